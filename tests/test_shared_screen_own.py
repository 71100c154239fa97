"""The person's own content and the shared screen (issue 13 item 8): what the person writes or
keeps is hidden on the shared screen, pages, previews and downloads included, unless they choose
to show it; a kept question built from an entry never shows to a viewer who cannot see that entry
now. Records: the demo bipolar record (data/demo) with one hand-made PSY-labelled lithium result
added for this item, shaped like the demo's lithium Observations.
"""

from __future__ import annotations

import json

import pytest

from test_leaks import TODAY  # 2026-11-25, the frozen day of tests/conftest.py
from ltc_dashboard.exports.own_content import SHARED_SCREEN_PREFERENCE
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, texts,
)
from test_leaks import pdf_text

OWN = "Private worry about money zqown1x"
PSY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}
LITHIUM_RULE = "mental_health.lithium_outside_range"


def psy_lithium(value: float = 1.9) -> dict:
    """A lithium level outside the usual range, newer than the demo's, labelled PSY."""
    return {
        "resourceType": "Observation", "id": "mh-obs-lithium-psy", "meta": {"security": [PSY]},
        "status": "final", "subject": {"reference": f"Patient/{BIPOLAR}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "14334-7"}], "text": "Serum lithium level"},
        "effectiveDateTime": "2026-11-20T09:00:00Z",
        "valueQuantity": {"value": value, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"},
    }


@pytest.fixture
def service(demo_db):
    """The Service over a private copy of the demo store."""
    return Service(Store(demo_db))


def outputs(service: Service, viewer: Viewer) -> str:
    """Everything a viewer can take away or see of the summary: JSON, sheet, PDF text, FHIR and CSV."""
    summary = service.summary(viewer, TODAY)
    return "\n".join([summary.model_dump_json(), summary_markdown(summary),
                      pdf_text(service.export(viewer, TODAY, "pdf").data),
                      service.export(viewer, TODAY, "fhir").data.decode("utf-8"),
                      service.export(viewer, TODAY, "csv").data.decode("utf-8-sig")])


def test_own_question_is_hidden_on_the_shared_screen_by_default(service):
    """The patient's own question is in no shared-screen output (summary, sheet, PDF, FHIR, CSV) until they choose to show it."""
    patient, clinic = Viewer(kind="patient", patient_id=DIABETES), Viewer(kind="clinic", patient_id=DIABETES)
    service.add_question(patient, OWN)
    service.add_own_goal(patient, "Own goal zqgoal1x")
    assert OWN in outputs(service, patient)
    seen = outputs(service, clinic)
    assert OWN not in seen and "zqgoal1x" not in seen
    service.set_preference(patient, SHARED_SCREEN_PREFERENCE, "yes")
    seen = outputs(service, clinic)
    assert OWN in seen and "zqgoal1x" in seen


def test_kept_question_from_a_psy_result_never_reaches_the_shared_screen(service):
    """A suggestion built from a PSY-labelled lithium result, once kept, shows to the patient and never on the shared screen, even when own content is shown there."""
    store = service._store
    assert not import_items(store, [psy_lithium()]).rejected
    patient, clinic = Viewer(kind="patient", patient_id=BIPOLAR), Viewer(kind="clinic", patient_id=BIPOLAR)
    question = next(q for q in service.summary(patient, TODAY).questions if q.rule_id == LITHIUM_RULE)
    assert "1.9" in question.text and "Observation/mh-obs-lithium-psy" in question.sources
    service.add_question(patient, question.text, source="suggested", rule_id=question.rule_id, sources=question.sources)
    service.set_preference(patient, SHARED_SCREEN_PREFERENCE, "yes")
    assert question.text in outputs(service, patient)
    clinic_summary = service.summary(clinic, TODAY)
    assert question.text not in outputs(service, clinic)
    assert all(q.own_id is None for q in clinic_summary.questions if q.rule_id == LITHIUM_RULE)


def test_kept_question_disappears_when_its_entry_is_hidden_later(service):
    """A kept suggestion stops showing, even to the patient, once an entry it came from is hidden from them (a NOPAT label added later)."""
    store = service._store
    assert not import_items(store, [psy_lithium()]).rejected
    patient = Viewer(kind="patient", patient_id=BIPOLAR)
    question = next(q for q in service.summary(patient, TODAY).questions if q.rule_id == LITHIUM_RULE)
    service.add_question(patient, question.text, source="suggested", rule_id=question.rule_id, sources=question.sources)
    assert question.text in outputs(service, patient)
    hidden = psy_lithium()
    hidden["meta"] = {"security": [{**PSY, "code": "NOPAT"}], "versionId": "2"}
    assert not import_items(store, [hidden]).rejected
    summary = service.summary(patient, TODAY)
    assert question.text not in outputs(service, patient)
    assert summary.own_questions_withheld == 1


def test_old_kept_question_without_sources_shows_only_to_the_patient(service):
    """A kept suggestion saved before sources were recorded fails closed: the patient sees it, the shared screen (even when shown) does not."""
    patient, clinic = Viewer(kind="patient", patient_id=DIABETES), Viewer(kind="clinic", patient_id=DIABETES)
    service._store.add_question(DIABETES, "Old kept zqold1x", author="patient", source="suggested", rule_id="diabetes.x")
    service.set_preference(patient, SHARED_SCREEN_PREFERENCE, "yes")
    assert "zqold1x" in outputs(service, patient)
    assert "zqold1x" not in outputs(service, clinic)


def test_kept_question_sources_survive_export_and_import(service, tmp_path):
    """The FHIR export keeps a kept suggestion's sources, so restoring it keeps the same check."""
    patient = Viewer(kind="patient", patient_id=DIABETES)
    service.add_question(patient, "Kept zqkept1x", source="suggested", rule_id="diabetes.x",
                         sources=("Observation/dm-obs-hba1c-2026-10-12",))
    bundle = json.loads(service.export(patient, TODAY, "fhir").data)
    fresh = Store(tmp_path / "fresh.db")
    assert not import_items(fresh, [e["resource"] for e in bundle["entry"]]).rejected
    row = next(r for r in fresh.questions(DIABETES) if r["text"] == "Kept zqkept1x")
    assert json.loads(row["sources"]) == ["Observation/dm-obs-hba1c-2026-10-12"]


def test_carer_never_sees_the_patients_own_questions(service):
    """A carer's view holds only that carer's questions: the patient's own and kept ones never, whatever the shared-screen choice."""
    patient = Viewer(kind="patient", patient_id=DEMENTIA)
    carer = Viewer.parse(DEMENTIA, DAUGHTER)
    service.add_question(patient, OWN)
    service.set_preference(patient, SHARED_SCREEN_PREFERENCE, "yes")
    service.add_question(carer, "Carer question zqcarer1x")
    seen = outputs(service, carer)
    assert OWN not in seen and "zqcarer1x" in seen


def test_shared_screen_pages_hide_own_content_until_chosen(demo_db):
    """On the shared screen the questions and care-plan pages draw none of the person's own words until they switch it on in Settings."""
    at = go(open_app(DIABETES, "patient"), "questions")
    at.text_area(key="new-question").input(OWN)
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    go(at, "care_plan")
    at.text_input(key="own-goal-text").input("Walk zqgoal2x")
    at.button[[b.label for b in at.button].index("Add goal")].click().run()
    at.sidebar.toggle[0].set_value(True).run()
    for page in ("questions", "care_plan", "overview"):
        go(at, page)
        no_errors(at)
        assert OWN not in texts(at) and "zqgoal2x" not in texts(at), page
    clinic_sheet = at.session_state["summary_for_viewer"][2]
    assert all(q.own_id is None for q in clinic_sheet.questions)


def test_settings_offer_the_shared_screen_choice_and_it_shows_own_content(demo_db):
    """The patient's Settings page has the shared-screen switch; once on, the shared screen lists their own question."""
    at = go(open_app(DIABETES, "patient"), "questions")
    at.text_area(key="new-question").input(OWN)
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    go(at, "preferences")
    switch = at.toggle(key="pref_shared_own")
    assert switch.value is False
    switch.set_value(True).run()
    no_errors(at)
    at.sidebar.toggle[0].set_value(True).run()
    go(at, "questions")
    no_errors(at)
    assert OWN in texts(at)
