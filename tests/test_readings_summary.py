"""Home readings in the summary (issue 20 step 4, without the home average): each measure's
`home_series` holds the person's own readings; `series`, the checks ("last done", due) and the
questions stay the GP's; readings pass the same viewer rules as everything else (leak tests: a
viewer who may not see the patient, a carer who did not enter them, a shared screen they are hidden
from, never see them). Inputs: the demo records (data/demo) and readings written here by hand."""

from __future__ import annotations

import json

from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

DM = "dm-patient"


def measure(summary, view_id: str, measure_id: str):
    view = next(v for v in summary.conditions if v.id == view_id)
    return next(m for m in view.measures if m.id == measure_id)


def gp_parts(summary) -> list:
    """Everything of each view but what home readings add, as JSON."""
    out = []
    for view in summary.conditions:
        data = view.model_dump(mode="json")
        data["panels"] = [p for p in data["panels"] if p["id"] != "home_glucose"]
        for m in data["measures"]:
            for key in ("home_series", "home_average", "home_average_note"):  # what home readings add
                m.pop(key)
        out.append(data)
    return out


def test_blood_pressure_readings_fill_home_series_of_both_numbers(service):
    """138/86 on two days: systolic 138 and diastolic 86 in home_series, in time order, with text and id."""
    me = viewer(DM)
    late = service.add_reading(me, today(), "bp", "141/88", "2026-11-21 19:00")
    early = service.add_reading(me, today(), "bp", "138/86", "2026-11-20 07:00", pulse="70")
    summary = service.summary(me, today())
    top, bottom = measure(summary, "diabetes", "bp_systolic"), measure(summary, "diabetes", "bp_diastolic")
    assert [(p.value, p.id) for p in top.home_series] == [(138.0, f"home/{early.id}"), (141.0, f"home/{late.id}")]
    assert [p.value for p in bottom.home_series] == [86.0, 88.0]
    assert top.home_series[0].text == "138/86 mmHg, pulse 70" and top.home_series[0].flag == "unknown"
    assert measure(summary, "diabetes", "hba1c").home_series == []


def test_series_checks_and_questions_are_unchanged_by_home_readings(service):
    """A week of high home readings after the last GP blood pressure changes no series, no check's
    last done or status, and no question: everything but home_series is the same JSON."""
    me = viewer(DM)
    before = service.summary(me, today())
    bp_check = next(c for v in before.conditions for c in v.checks if c.id == "bp")
    for day in range(18, 25):
        service.add_reading(me, today(), "bp", "165/99", f"2026-11-{day} 07:00")
    after = service.summary(me, today())
    assert measure(after, "diabetes", "bp_systolic").home_series  # the new summary has them
    assert gp_parts(after) == gp_parts(before)
    assert next(c for v in after.conditions for c in v.checks if c.id == "bp") == bp_check
    assert [q.text for q in after.questions] == [q.text for q in before.questions]


def test_weight_readings_join_the_weight_measure_with_their_kg(service):
    """Weight typed in stones and pounds shows in kg under the mental health view's weight."""
    me = viewer("mh-patient")
    service.add_reading(me, today(), "weight", "12 st 4 lb", "2026-11-20 08:00")
    assert [p.value for p in measure(service.summary(me, today()), "mental_health", "weight").home_series] == [78.0]


def test_the_summary_is_made_again_after_a_reading_changes(service):
    """A kept summary is not served after a reading is added, changed or removed."""
    me = viewer(DM)
    assert measure(service.summary(me, today()), "diabetes", "bp_systolic").home_series == []
    added = service.add_reading(me, today(), "bp", "138/86", "2026-11-20 07:00")
    assert [p.value for p in measure(service.summary(me, today()), "diabetes", "bp_systolic").home_series] == [138]
    service.update_reading(me, today(), added.id, "bp", "128/80", "2026-11-20 07:00")
    assert [p.value for p in measure(service.summary(me, today()), "diabetes", "bp_systolic").home_series] == [128]
    service.delete_reading(me, today(), added.id)
    assert measure(service.summary(me, today()), "diabetes", "bp_systolic").home_series == []


def test_json_points_have_the_series_shape_plus_context(service):
    """A home point has every key a series point has, and `context`."""
    me = viewer(DM)
    service.add_reading(me, today(), "bp", "138/86", "2026-11-20 07:00")
    data = json.loads(service.summary(me, today()).model_dump_json())
    bp = next(m for v in data["conditions"] for m in v["measures"] if m["id"] == "bp_systolic")
    assert set(bp["home_series"][0]) == set(bp["series"][0]) | {"context"}
    assert bp["home_series"][0]["date"] == "2026-11-20"


# -- leaks ------------------------------------------------------------------------------------
def _says(summary, marker: str) -> bool:
    return marker in summary.model_dump_json()


def test_a_viewer_who_may_not_see_the_patient_never_sees_their_readings(service):
    """The son (consent ended) and a RelatedPerson id that is no carer of this person get no home
    reading in any form: no point, no id, no value text."""
    service.add_reading(viewer("dem-patient"), today(), "weight", "61.3", "2026-11-19 08:00")
    for who in ("proxy:RelatedPerson/dem-rp-son", "proxy:RelatedPerson/nobody", "proxy:RelatedPerson/mh-rp-1"):
        summary = service.summary(viewer("dem-patient", who), today())
        assert not _says(summary, "home/") and not _says(summary, "61.3"), who
        assert service.readings(viewer("dem-patient", who), today()) == []


def test_a_carer_sees_only_the_readings_they_entered(service):
    """With the right to add, the daughter's summary and list hold her reading and not the patient's."""
    allow_corrections(service)
    mine = service.add_reading(viewer("dem-patient", DAUGHTER), today(), "weight", "60.2", "2026-11-20 08:00")
    theirs = service.add_reading(viewer("dem-patient"), today(), "weight", "61.7", "2026-11-19 08:00")
    assert [r.id for r in service.readings(viewer("dem-patient", DAUGHTER), today())] == [mine.id]
    assert {r.id for r in service.readings(viewer("dem-patient"), today())} == {mine.id, theirs.id}
    summary = service.summary(viewer("dem-patient", DAUGHTER), today())
    assert not _says(summary, f"home/{theirs.id}") and not _says(summary, "61.7")


def test_hidden_from_the_shared_screen_they_are_nowhere_in_its_summary(service):
    """The shared screen shows home readings until the person hides them; then none."""
    service.add_reading(viewer(DM), today(), "bp", "138/86", "2026-11-20 07:00")
    clinic = viewer(DM, "clinic")
    assert [p.value for p in measure(service.summary(clinic, today()), "diabetes", "bp_systolic").home_series] == [138]
    service.set_preference(viewer(DM), "shared_screen_readings", "hide")
    summary = service.summary(clinic, today())
    assert not _says(summary, "home/") and not _says(summary, "138/86")


def test_another_patients_readings_never_reach_this_summary(service):
    """Readings kept for one person do not show in another person's summary."""
    service.add_reading(viewer("mh-patient"), today(), "weight", "77.7", "2026-11-20 08:00")
    assert not _says(service.summary(viewer(DM), today()), "home/")
    assert service.readings(viewer(DM), today()) == []
