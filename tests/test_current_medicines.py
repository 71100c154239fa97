"""Which medicines are current (clinical-reference §11.1), medicines grouped by route, a person who
has died (§11.10), clinical conditions only in `ltc patients`, and a resource whose patient cannot
be resolved (issue 14). Records are hand-made here in the shapes FHIR R4 allows (UK GP repeats
with authorisation and issues, US-style orders), or read in place from ../shared/fhir-samples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conditions.medicines import is_current
from conditions.problems import clinical_problems
from connectors.base import Rejected
from connectors.files import FileConnector
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.summary.core import build_summary
from ltc_dashboard.summary.sheet import summary_markdown
from tests.test_access import consent, related

TODAY = dt.date(2026, 11, 25)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples"
UKCORE = SHARED / "ukcore-r4-xml"
COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"


def request(rid, when, status="active", intent="order", name="Metformin 500mg tablets", course=None,
            based_on=None, end=None, route=None):
    found = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": intent,
             "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/p1"}}
    if when:
        found["authoredOn"] = when
    if course:
        found["courseOfTherapyType"] = {"coding": [{"system": COURSE, "code": course}]}
    if based_on:
        found["basedOn"] = [{"reference": f"MedicationRequest/{based_on}"}]
    if end:
        found["dispenseRequest"] = {"validityPeriod": {"start": when, "end": end}}
    if route:
        found["dosageInstruction"] = [{"route": {"coding": [{"system": "http://snomed.info/sct",
                                                             "display": route}]}}]
    return found


def statement(rid, status="active", end=None, last_issue=None):
    found = {"resourceType": "MedicationStatement", "id": rid, "status": status,
             "medicationCodeableConcept": {"text": "Atorvastatin 20mg tablets"},
             "subject": {"reference": "Patient/p1"}, "dateAsserted": "2020-01-01"}
    if end:
        found["effectivePeriod"] = {"start": "2020-01-01", "end": end}
    if last_issue:
        found["extension"] = [{"url": "https://fhir.hl7.org.uk/StructureDefinition/"
                                      "Extension-UKCore-MedicationStatementLastIssueDate",
                               "valueDateTime": last_issue}]
    return found


def medicines(*resources):
    return map_record([{"resourceType": "Patient", "id": "p1"}, *resources]).medications


CASES = [
    # UK repeat: an active authorisation with no end is current whatever its last issue.
    ("authorised 3 years ago, issued once", [request("a", "2023-11-20", intent="plan"),
                                             request("a1", "2023-11-20", "completed", based_on="a")], True),
    ("authorisation stopped", [request("a", "2023-11-20", "stopped", intent="plan"),
                               request("a1", "2026-11-01", "completed", based_on="a")], False),
    ("authorisation ended by its end date", [request("a", "2023-11-20", intent="plan", end="2026-11-24")], False),
    ("issues only, the last 5 months ago", [request("i1", "2025-01-10", "completed"),
                                            request("i2", "2026-06-28", "completed")], True),
    ("issues only, the last 8 months ago", [request("i1", "2025-01-10", "completed"),
                                            request("i2", "2026-03-25", "completed")], False),
    ("continuous order, not an issue of another", [request("c", "2021-02-01", course="continuous")], True),
    ("US-style active order never re-issued", [request("u", "2015-04-18")], True),
    ("US-style order renewed, the earlier stopped", [request("u1", "2019-04-18", "stopped"),
                                                     request("u2", "2020-04-18")], True),
    ("US-style order with a past end", [request("u", "2015-04-18", end="2016-04-18")], False),
    ("two active orders: re-issued, the last 8 months ago", [request("o1", "2026-01-10"),
                                                             request("o2", "2026-03-25")], False),
    ("acute order 2 years ago", [request("ac", "2024-11-01", course="acute")], False),
    # Two authorisations of one medicine: an active one keeps it current though a later one was
    # stopped (a duplicate made by mistake, stopped the day it was made; attack 21b).
    ("a later authorisation stopped, the first active", [request("a", "2023-11-20", intent="plan"),
                                                          request("a2", "2026-11-22", "stopped", intent="plan"),
                                                          request("a1", "2026-11-01", "completed", based_on="a")], True),
    # A proposal (R4: a suggestion from someone without authority to prescribe) is no authorisation.
    ("a proposal alone", [request("p", "2026-11-01", intent="proposal", course="continuous")], False),
    ("a proposal after a stopped authorisation", [request("a", "2023-11-20", "stopped", intent="plan"),
                                                  request("p", "2026-11-01", intent="proposal")], False),
    ("statement active, no end", [statement("s")], True),
    ("statement active, last issued 3 years ago", [statement("s", last_issue="2023-11-20")], True),
    ("statement completed", [statement("s", "completed")], False),
    ("statement with a past end", [statement("s", end="2026-01-01")], False),
]


@pytest.mark.parametrize("resources,current", [(r, c) for _, r, c in CASES], ids=[n for n, _, _ in CASES])
def test_current_follows_the_clinical_reference(resources, current):
    """Current = not ended, and an active authorisation or statement with no end, an issue in the
    last 6 months, or an active order never re-issued (clinical-reference §11.1)."""
    (med,) = medicines(*resources)
    assert is_current(med, TODAY) is current


def test_iv_and_oral_paracetamol_requests_are_two_entries(fresh_store):
    """The UK Core IV and oral paracetamol requests share a dm+d code and name but not a route:
    two medicines, each named with its route in the summary and the sheet."""
    report = import_paths(fresh_store, [UKCORE / "UKCore-Patient-RichardSmith-Example.xml",
                                        UKCORE / "UKCore-MedicationRequest-ParacetamolIV-Example.xml",
                                        UKCORE / "UKCore-MedicationRequest-ParacetamolOral-Example.xml"])
    assert not report.rejected
    viewer = Viewer(kind="patient", patient_id="UKCore-Patient-RichardSmith-Example")
    summary = build_summary(open_record(fresh_store, viewer, TODAY))
    assert sorted((m.name, m.route) for m in summary.medications) == [
        ("Paracetamol", "Intravenous"), ("Paracetamol", "Oral")]
    same_route = medicines(request("x1", "2026-11-01", route="Oral"), request("x2", "2026-10-01", route="Oral"))
    assert len(same_route) == 1 and same_route[0].issues == [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]


def _sample_summary(store, path: Path):
    import_paths(store, [path])
    patient_id = next(iter(store.patient_ids()))
    return build_summary(open_record(store, Viewer(kind="patient", patient_id=patient_id), TODAY))


@pytest.mark.parametrize("index", range(6))
def test_synthea_samples_show_their_current_medicines(index, sample_files, fresh_store):
    """Each Synthea sample's current medicines are exactly its active orders (US records carry only
    the active order, never re-issued), and metformin and insulin are listed under the diabetes view."""
    path = sample_files[index]
    bundle = json.loads(path.read_text(encoding="utf-8"))
    active = {e["resource"]["medicationCodeableConcept"]["text"] for e in bundle["entry"]
              if e["resource"]["resourceType"] == "MedicationRequest" and e["resource"]["status"] == "active"}
    summary = _sample_summary(fresh_store, path)
    assert {m.name for m in summary.medications if m.current} == active
    diabetes = [m for m in summary.medications if m.current and ("metformin" in m.name.lower()
                                                                  or "insulin" in m.name.lower())]
    assert diabetes and all("diabetes" in m.conditions for m in diabetes)


def test_the_live_synthea_samples_on_metformin_and_insulin_show_both(sample_files, fresh_store):
    """Isaiah Schaden, alive and on metformin and insulin, shows both as current medicines in the
    summary and the sheet (the issue's "taking no medicines" report)."""
    path = next(p for p in sample_files if p.name.startswith("Isaiah_Schaden"))
    summary = _sample_summary(fresh_store, path)
    sheet = summary_markdown(summary)
    current = sheet.split("## Current medicines", 1)[1].split("##", 1)[0]
    assert "Metformin" in current and "insulin" in current and summary.death_notice is None


def _died(when="2026-10-03T09:20:00+01:00"):
    return [{"resourceType": "Patient", "id": "p1", "name": [{"given": ["Ann"], "family": "Test"}],
             "deceasedDateTime": when},
            {"resourceType": "Condition", "id": "t2", "clinicalStatus": {"coding": [{"code": "active"}]},
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
             "subject": {"reference": "Patient/p1"}},
            {"resourceType": "Observation", "id": "h1", "status": "final", "subject": {"reference": "Patient/p1"},
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "999791000000106"}]},
             "effectiveDateTime": "2026-06-01", "valueQuantity": {"value": 61, "unit": "mmol/mol"}},
            request("g", "2020-01-06", intent="plan", name="Gliclazide 80mg tablets"),
            consent(), related()]


@pytest.mark.parametrize("viewer", [Viewer(kind="patient", patient_id="p1"), Viewer(kind="clinic", patient_id="p1"),
                                    Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")], ids=str)
def test_a_person_who_has_died_gets_a_notice_and_nothing_to_do(viewer, fresh_store):
    """For every viewer, the record of someone who has died opens with a plain notice, keeps its
    results, and shows no due check, target or question in the summary or the sheet (§11.10)."""
    fresh_store.put(_died())
    fresh_store.add_question("p1", "My own question", author=str(viewer) if viewer.kind == "proxy" else "patient")
    summary = build_summary(open_record(fresh_store, viewer, TODAY), fresh_store.questions("p1"))
    assert summary.death_notice == ("Ann Test died on 3 October 2026. This record is shown as it was kept. It "
                                    "does not list checks that are due, targets to reach or questions for an "
                                    "appointment.")
    assert summary.died_on == dt.date(2026, 10, 3) and summary.questions == []
    (view,) = summary.conditions
    assert view.checks == [] and view.questions == [] and view.panels == [] and view.intro is None
    hba1c = next(m for m in view.measures if m.id == "hba1c")
    assert [p.value for p in hba1c.series] == [61] and hba1c.target is None and hba1c.target_source is None
    sheet = summary_markdown(summary)
    assert summary.death_notice in sheet and "Questions to ask" not in sheet and "Appointment preparation" not in sheet
    assert "My own question" not in sheet and "NG28" not in sheet


def test_deceased_boolean_or_a_date_that_cannot_be_read_still_counts():
    """Patient.deceasedBoolean true, or a deceasedDateTime whatever its form, says the person has
    died; deceasedBoolean false does not."""
    def info(**deceased):
        return map_record([{"resourceType": "Patient", "id": "p1", **deceased}]).patient
    assert (info(deceasedBoolean=True).deceased, info(deceasedBoolean=True).deceased_on) == (True, None)
    assert info(deceasedDateTime="2018").deceased and info(deceasedDateTime="2018").deceased_on == dt.date(2018, 1, 1)
    assert not info(deceasedBoolean=False).deceased and not info().deceased


def test_medicines_of_someone_who_has_died_are_judged_on_the_day_of_death(fresh_store):
    """A medicine last issued a month before death is listed as current on the day of death, not
    dropped for being 8 months old today (§11.10, §11.1)."""
    fresh_store.put([*_died("2026-04-01"), request("i", "2026-03-01", "completed", name="Sertraline 50mg tablets")])
    summary = build_summary(open_record(fresh_store, Viewer(kind="patient", patient_id="p1"), TODAY))
    assert {m.name: m.current for m in summary.medications}["Sertraline 50mg tablets"] is True
    assert "## Medicines listed as current on 1 April 2026" in summary_markdown(summary)


SOCIAL = [("446654005", "Refugee (person)"), ("160903007", "Full-time employment (finding)"),
          ("999000001", "Lives alone (social concept)")]


def _condition(code, text, category="problem-list-item", status="active"):
    return {"resourceType": "Condition", "id": f"c{code}", "clinicalStatus": {"coding": [{"code": status}]},
            "category": [{"coding": [{"code": category}]}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": text}], "text": text},
            "subject": {"reference": "Patient/p1"}}


def test_patients_list_shows_clinical_conditions_only(capsys, db_path, tmp_path):
    """`ltc patients` lists diagnoses and clinical findings (obesity is a finding too), never social
    or administrative entries (a refugee, employment, a health-concern category) or ended ones."""
    from ltc_dashboard.cli.main import main

    resources = [{"resourceType": "Patient", "id": "p1", "name": [{"given": ["Ann"], "family": "Test"}]},
                 _condition("44054006", "Diabetes mellitus type 2 (disorder)"),
                 _condition("162864005", "Body mass index 30+ - obesity (finding)", "encounter-diagnosis"),
                 _condition("73595000", "Money worries", "health-concern"),
                 _condition("10509002", "Acute bronchitis (disorder)", status="resolved"),
                 *(_condition(code, text, "encounter-diagnosis") for code, text in SOCIAL)]
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in resources]}))
    assert main(["import", str(path), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["patients", "--db", str(db_path)]) == 0
    line = capsys.readouterr().out.strip().split("\t")
    assert line[3] == "Body mass index 30+ - obesity (finding); Diabetes mellitus type 2 (disorder)"
    assert clinical_problems(map_record(resources)) == line[3].split("; ")


def test_a_subject_left_as_an_unresolved_urn_is_rejected_and_never_stored(fresh_store, tmp_path):
    """An entry whose subject is a urn:uuid: that no entry of its Bundle resolves is rejected with
    that reason; one the Bundle resolves is stored against its patient (nothing without one)."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001",
         "resource": {"resourceType": "Patient", "name": [{"family": "Test"}]}},
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000002",
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "Weight"},
                      "subject": {"reference": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"}}},
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000003",
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "Weight"},
                      "subject": {"reference": "urn:uuid:bbbbbbbb-0000-4000-8000-00000000dead"}}},
        {"resource": {"resourceType": "Immunization", "id": "imm", "status": "completed",
                      "patient": {"reference": "urn:uuid:bbbbbbbb-0000-4000-8000-00000000dead"}}},
    ]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    items = list(FileConnector([path]).read())
    assert [i for i in items if isinstance(i, Rejected)] == [
        Rejected(str(path), "entry 3", "subject cannot be resolved to a patient (subject is a urn: "
                                       "reference found nowhere in the file)"),
        Rejected(str(path), "entry 4", "subject cannot be resolved to a patient (patient is a urn: "
                                       "reference found nowhere in the file)")]
    report = import_paths(fresh_store, [path])
    assert len(report.rejected) == 2 and report.put.stored == {"Patient": 1, "Observation": 1}
    rows = fresh_store.db.conn.execute("SELECT type, patient_id FROM resources ORDER BY type").fetchall()
    assert all(patient for _, patient in rows) and len(rows) == 2
