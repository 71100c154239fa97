"""Condition views when the diagnosis is not in view (issue 16): prospective online access and a
carer's data period hide a diagnosis made before them; the person may show the view by choice,
and the app suggests it only from entries this viewer can see.

Records are hand-made: a patient with type 2 diabetes since 2019 (or dementia since 2022) and
results on either side of the access start, through the real store, gate, summary and exports.
"""

from __future__ import annotations

import datetime as dt
import json

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SCT = "http://snomed.info/sct"
PATIENT = Viewer(kind="patient", patient_id="p1")
CARER = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
PEOPLE = [
    {"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat Example"}], "birthDate": "1950-01-01"},
    {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"},
     "name": [{"text": "Carer One"}]},
]


def condition(rid: str, code: str, date: str, labels=()) -> dict:
    """An active coded Condition of the patient recorded on `date`."""
    resource = {"resourceType": "Condition", "id": rid, "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": SCT, "code": code}]}, "recordedDate": date,
                "onsetDateTime": date, "clinicalStatus": {"coding": [{"code": "active"}]}}
    if labels:
        resource["meta"] = {"security": [{"system": ACT, "code": c} for c in labels]}
    return resource


def result(rid: str, code: str, date: str, value: float, unit: str) -> dict:
    """A final coded Observation with a number."""
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": SCT, "code": code}]}, "effectiveDateTime": date,
            "valueQuantity": {"value": value, "unit": unit}}


def medicine(rid: str, text: str, date: str) -> dict:
    """An active repeat MedicationRequest named by text."""
    return {"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"text": text},
            "authoredOn": date}


def hba1c(rid: str, date: str) -> dict:
    return result(rid, "999791000000106", date, 58, "mmol/mol")


def access_start(start: str, who: str = "Patient/p1", cid: str = "start") -> dict:
    """An access Consent that permits `who` to see entries from `start`."""
    actor = [{"reference": {"reference": who}}]
    if who.startswith("RelatedPerson"):
        actor[0]["role"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                        "code": "IRCP"}]}
    return {"resourceType": "Consent", "id": cid, "status": "active", "dateTime": "2023-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}],
            "patient": {"reference": "Patient/p1"},
            "provision": {"type": "permit", "actor": actor, "dataPeriod": {"start": start}}}


DIABETES_2019 = [condition("dm", "44054006", "2019-03-01"), hba1c("a1c-2022", "2022-05-01"),
                 hba1c("a1c-2024", "2024-06-01"), hba1c("a1c-2025", "2025-06-01")]


def service_with(store, resources: list[dict]) -> Service:
    assert not import_items(store, [*PEOPLE, *resources]).rejected
    return Service(store)


def series(summary, view_id: str, measure_id: str) -> list[dt.date]:
    view = next(v for v in summary.conditions if v.id == view_id)
    return [p.date for m in view.measures if m.id == measure_id for p in m.series]


def test_prospective_access_suggests_the_view_and_the_chosen_view_shows_results_after_the_start(fresh_store):
    """A diabetes diagnosis before the access start opens no view; the HbA1c results after it
    suggest one, and the view by choice shows only the results after the start."""
    service = service_with(fresh_store, [*DIABETES_2019, access_start("2023-10-31")])
    summary = service.summary(PATIENT, TODAY)
    assert summary.conditions == []
    assert [(s.id, s.reason) for s in summary.suggested_views] == [(
        "diabetes", "Your record has blood sugar (HbA1c) results. If you have diabetes, you can show the diabetes view.")]
    service.choose_view(PATIENT, "diabetes", True)
    chosen = service.summary(PATIENT, TODAY)
    assert [(v.id, v.shown_because) for v in chosen.conditions] == [("diabetes", "chosen")]
    assert chosen.conditions[0].intro.startswith("You chose to show this view.")
    assert series(chosen, "diabetes", "hba1c") == [dt.date(2024, 6, 1), dt.date(2025, 6, 1)]
    assert chosen.suggested_views == []
    service.choose_view(PATIENT, "diabetes", False)
    assert service.summary(PATIENT, TODAY).conditions == []


def test_without_a_boundary_the_view_is_shown_because_of_the_diagnosis(fresh_store):
    """With full access the diagnosis opens the view, marked as such, and nothing is suggested."""
    summary = service_with(fresh_store, DIABETES_2019).summary(PATIENT, TODAY)
    assert [(v.id, v.shown_because) for v in summary.conditions] == [("diabetes", "diagnosis")]
    assert summary.suggested_views == []


def test_a_carer_whose_data_period_starts_after_the_diagnosis_is_suggested_the_view_in_carer_words(fresh_store):
    """The carer's view starts in 2024, after the 2019 diagnosis: the suggestion speaks of the person
    cared for, and the carer's choice shows the view to that carer only, not to the patient."""
    service = service_with(fresh_store, [*DIABETES_2019, access_start("2024-01-01", "RelatedPerson/rp1", "carer")])
    summary = service.summary(CARER, TODAY)
    assert summary.conditions == []
    assert [s.reason for s in summary.suggested_views] == [
        "Pat's record has blood sugar (HbA1c) results. If Pat has diabetes, you can show the diabetes view."]
    service.choose_view(CARER, "diabetes", True)
    assert series(service.summary(CARER, TODAY), "diabetes", "hba1c") == [dt.date(2024, 6, 1), dt.date(2025, 6, 1)]
    assert service.chosen_views(PATIENT) == ()
    assert [(v.id, v.shown_because) for v in service.summary(PATIENT, TODAY).conditions] == [("diabetes", "diagnosis")]


def test_medicines_alone_suggest_the_diabetes_view(fresh_store):
    """A visible diabetes medicine with no result and no diagnosis suggests the view."""
    summary = service_with(fresh_store, [medicine("met", "Metformin 500mg tablets", "2026-09-01")]).summary(PATIENT, TODAY)
    assert summary.conditions == []
    assert [(s.id, s.reason) for s in summary.suggested_views] == [
        ("diabetes", "Your record has diabetes medicines. If you have diabetes, you can show the diabetes view.")]


def test_a_hidden_diagnosis_causes_no_suggestion_and_no_view(fresh_store):
    """NOPAT dementia and diabetes Conditions beside a visible HbA1c result leave the patient's and
    the carer's summaries as they are without them: no view, and the same suggestion, word for word."""
    carer_access = access_start("2024-01-01", "RelatedPerson/rp1", "carer")
    service = service_with(fresh_store, [hba1c("a1c-2025", "2025-06-01"), carer_access])
    before = {v: service.summary(v, TODAY) for v in (PATIENT, CARER)}
    service = service_with(fresh_store, [condition("dem", "26929004", "2025-01-01", labels=("NOPAT",)),
                                         condition("dm", "44054006", "2025-01-01", labels=("NOPAT",))])
    for viewer, summary in before.items():
        after = service.summary(viewer, TODAY)
        assert after.conditions == [] and [s.id for s in after.suggested_views] == ["diabetes"]
        assert after.suggested_views == summary.suggested_views
        assert "dementia" not in after.model_dump_json()


def test_a_chosen_view_survives_a_reimport_and_travels_with_the_export(fresh_store):
    """The choice is kept in the personal tables: importing the record again keeps it, and the
    patient's FHIR export carries it as a preference."""
    resources = [*DIABETES_2019, access_start("2023-10-31")]
    service = service_with(fresh_store, resources)
    service.choose_view(PATIENT, "diabetes", True)
    again = service_with(fresh_store, resources)
    assert [(v.id, v.shown_because) for v in again.summary(PATIENT, TODAY).conditions] == [("diabetes", "chosen")]
    bundle = json.loads(again.export(PATIENT, TODAY, "fhir").data)
    preferences = [r["resource"] for r in bundle["entry"] if r["resource"].get("id") == "own-preferences"]
    assert "views_chosen" in json.dumps(preferences) and "diabetes" in json.dumps(preferences)


def test_the_clinic_screen_neither_applies_choices_nor_suggests(fresh_store):
    """The shared screen shows views by the record only: no one there chooses or is suggested one."""
    service = service_with(fresh_store, [hba1c("a1c-2025", "2025-06-01")])
    service.choose_view(PATIENT, "diabetes", True)
    summary = service.summary(Viewer(kind="clinic", patient_id="p1"), TODAY)
    assert summary.conditions == [] and summary.suggested_views == []


def test_the_cli_view_ids_are_the_registry():
    """`ltc summary --view` offers exactly the registered condition views."""
    from ltc_dashboard.cli import main as cli
    from conditions import BY_ID

    assert cli.VIEW_IDS == tuple(BY_ID)
