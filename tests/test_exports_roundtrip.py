"""The FHIR export re-imports without loss: a fresh store gives the same summary and the same own
questions, comments, goals, notes and preferences, and importing twice adds nothing."""

from __future__ import annotations

import json
import os

from test_exports_support import export_store_template, service, today, viewer  # noqa: F401  (fixtures)

DM = "dm-patient"


def write_own_content(service) -> None:
    """What a patient might write before an appointment: questions (one kept from the suggestions,
    one ticked off, one moved up), a flag, a comment, an own goal with notes, and a preference."""
    who, day = viewer(DM), today()
    summary = service.summary(who, day)
    suggested = next(q for q in summary.questions if q.rule_id)
    first = service.add_question(who, "Can we talk about my feet?")
    service.add_question(who, suggested.text, source="suggested", rule_id=suggested.rule_id)
    third = service.add_question(who, "Is my new job’s shift pattern a problem for my tablets?")
    service.move_question(who, third, -2)
    service.update_question(who, first, status="asked")
    flag = service.flag_entry(who, day, "Observation/dm-obs-hba1c-2026-10-12", "looks_wrong",
                              "I was ill that week — 61 seems high")
    service.set_flag_status(who, day, flag, "sent")
    service.flag_entry(who, day, "Observation/dm-obs-cholesterol-2024-07-15", "comment", "Glad this was corrected")
    goal = service.add_own_goal(who, "Walk to the park twice a week")
    service.add_goal_progress(who, f"own/{goal}", "Walked twice this week", day)
    service.add_goal_progress(who, "Goal/dm-goal-hba1c", "Cut down on sugary drinks", day)
    service.set_preference(who, "last_visit", "2026-10-12")


def own_rows(service, patient: str) -> dict:
    """The person's own tables without store-local ids and timestamps."""
    drop = {"id", "created", "updated"}
    goals = {g["id"]: g["text"] for g in service.own_goals(patient)}

    def clean(rows):
        return [{k: v for k, v in r.items() if k not in drop} for r in rows]

    def goal(ref: str) -> str:  # own goals by their words: row ids differ between stores
        return goals.get(int(ref[4:]), "?") if ref.startswith("own/") else ref

    progress = [{**r, "goal_ref": goal(r["goal_ref"])} for r in clean(service.goal_progress(patient))]
    return {"questions": clean(service.questions(patient)), "comments": clean(service.comments(patient)),
            "goals": clean(service.own_goals(patient)), "progress": progress,
            "preferences": service.preferences(patient)}


def fresh_import(tmp_path, data: bytes, name: str = "fresh.db"):
    """A Service over a new store holding only the imported export."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store

    path = tmp_path / "export.json"
    path.write_bytes(data)
    store = Store(tmp_path / name)
    report = import_paths(store, [path])
    assert not report.rejected, report.rejected
    return Service(store), report


def test_fhir_export_reimports_to_the_same_summary(service, tmp_path):
    """Export (FHIR), import into a fresh store: the summary for the same viewer and day is equal JSON."""
    write_own_content(service)
    who, day = viewer(DM), today()
    before = service.summary(who, day)
    assert any(q.own_id for q in before.questions)
    fresh, _ = fresh_import(tmp_path, service.export(who, day, "fhir").data)
    assert fresh.summary(who, day).model_dump_json() == before.model_dump_json()


def test_own_content_comes_back_into_the_personal_tables_not_the_resources(service, tmp_path):
    """Questions, comments (with entry version and status), goals, notes and preferences are restored as rows."""
    write_own_content(service)
    who, day = viewer(DM), today()
    fresh, report = fresh_import(tmp_path, service.export(who, day, "fhir").data)
    assert own_rows(fresh, DM) == own_rows(service, DM)
    assert report.own == {"own question": 3, "own comment": 2, "own goal": 1, "own progress note": 2, "own order": 1,
                          "own preference": 1}
    assert "Communication" not in report.put.stored and "Basic" not in report.put.stored
    def flags(svc):
        return [(f.about, f.status) for f in svc.flags(who, day)]

    assert flags(fresh) == flags(service)
    assert any(f.about == "Observation/dm-obs-cholesterol-2024-07-15/_history/2" for f in fresh.flags(who, day))


def test_importing_the_same_export_twice_adds_nothing(service, tmp_path):
    """A second import of the same file finds every own row already there and duplicates none."""
    write_own_content(service)
    data = service.export(viewer(DM), today(), "fhir").data
    fresh, _ = fresh_import(tmp_path, data)
    first = own_rows(fresh, DM)
    path = tmp_path / "again.json"
    path.write_bytes(data)
    again = fresh.import_files([path])
    assert own_rows(fresh, DM) == first
    assert not again.rejected and sum(again.own.values()) == 10 and again.exit_code == 0


def test_own_content_resources_are_valid_r4_shapes(service):
    """Own questions, comments and notes are tagged Communications with subject, category and payload."""
    write_own_content(service)
    bundle = json.loads(service.export(viewer(DM), today(), "fhir").data)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    own = [e["resource"] for e in bundle["entry"] if e["resource"].get("meta", {}).get("tag")]
    assert {r["resourceType"] for r in own} == {"Communication", "Goal", "Basic", "Task"}  # Task: the demo's order
    for resource in own:
        assert resource.get("subject", resource.get("for")) == {"reference": f"Patient/{DM}"}
        if resource["resourceType"] == "Communication":
            assert resource["status"] and resource["category"][0]["coding"][0]["code"]
            assert resource["payload"][0]["contentString"]
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_ltc_export_and_import_on_the_command_line(service, tmp_path):
    """`ltc export --format fhir` writes a private file that `ltc import` restores into a fresh store."""
    from ltc_dashboard.cli import main as cli

    write_own_content(service)
    out = tmp_path / "record.json"
    db = str(service.store_path)
    assert cli.main(["export", "--patient", DM, "--format", "fhir", "--out", str(out), "--db", db]) == 0
    assert os.stat(out).st_mode & 0o777 == 0o600
    fresh_db = str(tmp_path / "cli-fresh.db")
    assert cli.main(["import", str(out), "--db", fresh_db]) == 0
    from ltc_dashboard.service.core import open_service

    assert open_service(fresh_db).questions(DM) and open_service(fresh_db).comments(DM)
    for fmt in ("pdf", "csv"):
        assert cli.main(["export", "--patient", DM, "--as", "clinic", "--format", fmt,
                         "--out", str(tmp_path / f"x.{fmt}"), "--db", db]) == 0
