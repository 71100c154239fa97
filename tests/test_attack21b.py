"""Attack on repeat prescriptions (issue 21, branch atk21b): MedicationRequest shapes that bear on
"is this a current repeat", and issues that arrive later and should (or should not) mark an order
issued. Written by an outside tester: each `xfail(strict=True)` test fails on main today and
passes once the break it names is fixed; the unmarked ones are probes that held.

Records: the diabetes demo record (data/demo/diabetes.json, UK GP shape: an authorisation with
intent plan and one issue per supply, made by data/demo/gen/medicines.py) with one more
MedicationRequest per case, written in that shape with only the element under test changed.
Where a shape comes from elsewhere the test says so.
"""

from __future__ import annotations

import datetime as dt

import pytest

from test_exports_support import (  # noqa: F401  (fixtures)
    demo_resource, export_store_template, service, today, viewer,
)
from test_repeats import ORDERED, issue

ME = viewer("dm-patient")
COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"


def plan(rid: str, name: str, status: str = "active", intent: str = "plan", **more) -> dict:
    """A repeat authorisation in the demo generator's shape (data/demo/gen/medicines.py)."""
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": intent,
            "courseOfTherapyType": {"coding": [{"system": COURSE, "code": "continuous"}]},
            "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/dm-patient"},
            "authoredOn": "2026-06-01", "dosageInstruction": [{"text": "One a day"}], **more}


def choice(service, name: str):
    return next((c for c in service.repeat_choices(ME, today()) if c.medication.name == name), None)


def only_order(service):
    """The order made in the test (the demo record keeps one prepared order of its own)."""
    return next(o for o in service.repeat_orders(ME, today()) if o.medication_id == "dm-med-metformin")


# -- which repeats are offered ----------------------------------------------------------------
def test_a_proposal_is_not_offered_as_a_repeat(service):
    """A MedicationRequest with intent `proposal` (R4: a suggestion "from a non-prescriber",
    e.g. a hospital's discharge advice or another app's order; issue 21 itself names proposal as a
    way an app might order) is not an authorisation the practice made: it must not be offered."""
    service._store.put([plan("att-prop-sertraline", "Sertraline 50mg tablets", intent="proposal")])
    found = choice(service, "Sertraline 50mg tablets")
    assert found is None or not found.offered


def test_a_completed_authorisation_is_not_offered(service):
    """GP Connect (nhsconnect/gpconnect#1058): "Where the intent is plan it is complete once all the
    authorised issues have been made or the authorisationExpiryDate has been reached". Metformin's
    authorisation comes again as completed, its last issue 19 November: not orderable."""
    done = {**demo_resource("diabetes.json", "dm-med-metformin"), "meta": {"versionId": "2"}, "status": "completed"}
    service._store.put([done])
    found = choice(service, "Metformin 500mg modified-release tablets")
    assert found is None or not found.offered


def test_an_on_hold_repeat_is_listed_but_not_offered(service):
    """The GP puts metformin on hold (R4 medicationrequest-status on-hold) after its last issue."""
    held = {**demo_resource("diabetes.json", "dm-med-metformin"), "meta": {"versionId": "2"}, "status": "on-hold"}
    service._store.put([held])
    found = choice(service, "Metformin 500mg modified-release tablets")
    assert found is None or not found.offered


def test_an_authorisation_whose_validity_ended_is_not_listed(service):
    """Probe (held): dispenseRequest.validityPeriod.end yesterday ends the authorisation."""
    ended = {**demo_resource("diabetes.json", "dm-med-metformin"), "meta": {"versionId": "2"},
             "dispenseRequest": {"validityPeriod": {"start": "2016-05-17", "end": "2026-11-24"}}}
    service._store.put([ended])
    assert choice(service, "Metformin 500mg modified-release tablets") is None


@pytest.mark.parametrize("status", ["stopped", "cancelled", "entered-in-error"])
def test_an_ended_authorisation_is_neither_listed_nor_orderable(service, status):
    """Probe (held): each R4 status that ends a request."""
    from ltc_dashboard.service.repeats import OrderRefused

    ended = {**demo_resource("diabetes.json", "dm-med-metformin"), "meta": {"versionId": "2"}, "status": status}
    service._store.put([ended])
    assert choice(service, "Metformin 500mg modified-release tablets") is None
    with pytest.raises(OrderRefused):
        service.prepare_order(ME, today(), ["dm-med-metformin-2026-11-19"])


def test_an_acute_order_and_a_draft_authorisation_are_not_offered(service):
    """Probe (held): the UK Core example's acute course (UKCore-MedicationRequest-EyeDrops-Example,
    courseOfTherapyType acute) on an active order, and an unsigned (draft) authorisation."""
    acute = {**plan("att-acute-amox", "Amoxicillin 500mg capsules", intent="order"),
             "courseOfTherapyType": {"coding": [{"system": COURSE, "code": "acute"}]}}
    draft = plan("att-draft-ramipril", "Ramipril 2.5mg capsules", status="draft")
    service._store.put([acute, draft])
    assert choice(service, "Amoxicillin 500mg capsules") is None
    found = choice(service, "Ramipril 2.5mg capsules")
    assert found is None or not found.offered


# -- an issue that arrives later ---------------------------------------------------------------
# entered-in-error held (the entry is dropped before mapping); cancelled and draft broke (every request
# not a plan/proposal counted as an issue whatever its status) until conditions/repeats.is_issue.
@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "draft"])
def test_an_issue_that_never_happened_does_not_mark_the_order_issued(service, status):
    """Ordered 20 November; on 23 November the practice records an issue with R4 status
    entered-in-error (a mistake), cancelled (withdrawn before dispensing) or draft (not signed)."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([{**issue("att-metformin-2026-11-23", "2026-11-23"), "status": status}])
    assert only_order(service).issued_on is None


def test_an_issue_of_the_ordered_authorisation_at_another_strength_marks_it(service):
    """The practice answers the order by issuing metformin 1g, basedOn the same authorisation (the
    R4 link from an issue to its authorisation): the order is issued, not "not yet issued" for ever."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([issue("att-metformin-1g-2026-11-23", "2026-11-23",
                              name="Metformin 1g modified-release tablets")])
    assert only_order(service).issued_on == dt.date(2026, 11, 23)


def test_an_issue_made_hours_before_the_order_but_synced_after_does_not_mark_it(service):
    """Ordered 20 November 12:00 UTC; the practice had issued metformin at 09:00 that morning, which
    reaches the app only in the next sync (late sync). authoredOn is an R4 dateTime."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([issue("att-metformin-morning", "2026-11-20T09:00:00Z")])
    assert only_order(service).issued_on is None


def test_an_issue_the_day_before_the_order_synced_late_does_not_mark_it(service):
    """Probe (held): an issue dated 19 November 23:00, arriving after a 20 November order."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([issue("att-metformin-late", "2026-11-19T23:00:00Z")])
    assert only_order(service).issued_on is None


def test_an_issue_of_another_medicine_does_not_mark_the_order(service):
    """Probe (held): gliclazide issued on 23 November does not mark a metformin order."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([issue("att-glic-2026-11-23", "2026-11-23", "dm-med-gliclazide", "Gliclazide 80mg tablets")])
    assert only_order(service).issued_on is None


# -- does a hidden medicine ever show ----------------------------------------------------------
def _label_all_metformin(service, code: str, system: str) -> None:
    """Every metformin entry again, labelled (a newer version of each)."""
    import json

    from test_exports_support import DEMO

    bundle = json.loads((DEMO / "diabetes.json").read_text())
    again = [{**e["resource"], "meta": {"versionId": "2", "security": [{"system": system, "code": code}]}}
             for e in bundle["entry"] if e["resource"]["id"].startswith("dm-med-metformin")]
    service._store.put(again)


def test_an_order_of_a_medicine_later_restricted_is_not_shown_to_the_patient(service):
    """The patient orders metformin; the practice then labels every metformin entry R (restricted,
    v3-Confidentiality: withheld from the patient too, data/terminology/sensitivity.csv). The
    gate hides the medicine; the order's name in the list and the JSON must not say it exists."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    _label_all_metformin(service, "R", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality")
    assert choice(service, "Metformin 500mg modified-release tablets") is None  # the gate hides it
    shown = [o.medication for o in service.repeat_orders(ME, today())]
    summary = service.summary(ME, today()).model_dump(mode="json")["repeat_orders"]
    assert "Metformin" not in repr(shown) + repr(summary)


def test_the_clinic_screen_never_sees_an_order_of_a_psy_medicine(service):
    """Probe (held): metformin labelled PSY (hidden on the shared screen); the clinic sees no order."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    _label_all_metformin(service, "PSY", "http://terminology.hl7.org/CodeSystem/v3-ActCode")
    clinic = viewer("dm-patient", "clinic")
    assert service.repeat_orders(clinic, today()) == []
    assert "Metformin" not in repr(service.summary(clinic, today()).model_dump(mode="json")["repeat_orders"])


def test_the_fhir_export_does_not_name_a_restricted_medicine_through_its_order(service):
    """The patient's FHIR export (`ltc export --format fhir`) after metformin is labelled R."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    _label_all_metformin(service, "R", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality")
    data = service.export(ME, today(), "fhir").data.decode()
    assert "Atorvastatin" in data  # the demo's own order of a medicine still shown is exported
    assert "Metformin" not in data


# -- more shapes: a second authorisation, an `option` ---------------------------------------------
def test_a_stopped_newer_authorisation_does_not_end_the_active_one(service):
    """The GP adds a second metformin authorisation on 22 November and stops it the same day (a
    duplicate made by mistake, R4 status stopped); the original authorisation is still active and
    was issued on 19 November: §11.1 "an active authorisation" keeps it current and orderable."""
    service._store.put([plan("att-metformin-dup", "Metformin 500mg modified-release tablets", status="stopped",
                             authoredOn="2026-11-22")])
    found = choice(service, "Metformin 500mg modified-release tablets")
    assert found is not None and found.offered


def test_an_option_is_not_an_issue(service):
    """A MedicationRequest with intent option (the intent seven of the eight UK Core MedicationRequest
    examples in ../shared/fhir-samples/ukcore-r4-xml carry), basedOn the authorisation, 23 November."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([{**issue("att-metformin-option", "2026-11-23"), "intent": "option", "status": "active"}])
    assert only_order(service).issued_on is None


def test_a_repeat_whose_medication_is_not_held_is_not_offered_once_per_issue(service):
    """GP Connect shape: the authorisation and its issues point at a Medication resource
    (medicationReference); the shared Medication was not fetched (not held in the store)."""
    ref = {"reference": "Medication/att-not-held"}
    auth = {**plan("att-unnamed-plan", "x"), "medicationReference": ref}
    auth.pop("medicationCodeableConcept")
    issues = []
    for day in ("2026-10-01", "2026-11-01"):
        one = {**issue(f"att-unnamed-{day}", day, plan="att-unnamed-plan"), "medicationReference": ref}
        one.pop("medicationCodeableConcept")
        issues.append(one)
    service._store.put([auth, *issues])
    unnamed = [c for c in service.repeat_choices(ME, today()) if c.medication.name == "Unnamed medicine" and c.offered]
    assert len(unnamed) <= 1, [c.focus_id for c in unnamed]


def test_the_uk_core_medication_requests_offer_nothing(tmp_path):
    """Probe (held): every UK Core MedicationRequest example (acute, completed, intent option or
    order) with its Patient and Medications, imported from XML: none is offered for ordering."""
    from pathlib import Path

    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store

    folder = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "ukcore-r4-xml"
    files = sorted(folder.glob("UKCore-MedicationRequest-*.xml")) + sorted(folder.glob("UKCore-Medication-*.xml")) \
        + [folder / "UKCore-Patient-RichardSmith-Example.xml"]
    store = Store(tmp_path / "uk.db")
    import_paths(store, files)
    service = Service(store)
    richard = viewer("UKCore-Patient-RichardSmith-Example")
    held = service.open(richard, today()).record.medications
    choices = service.repeat_choices(richard, today())
    store.close()
    assert len(held) >= 6  # the examples were imported and mapped
    assert not [c for c in choices if c.offered]


def test_an_issue_with_the_same_dm_d_code_and_another_description_marks_the_order(service):
    """The code and description of the UK Core example (UKCore-MedicationRequest-Amoxicillin-Example:
    dm+d 39732411000001106 "Amoxicillin 500mg capsules") on an authorisation; the issue after the
    order carries the same code with the supplier's longer description and no basedOn (links
    between issue and authorisation are lost when a record moves practice, GP2GP)."""
    dmd = {"system": "https://dmd.nhs.uk", "code": "39732411000001106"}
    auth = {**plan("att-amox-plan", "x"), "authoredOn": "2026-11-01",
            "medicationCodeableConcept": {"coding": [{**dmd, "display": "Amoxicillin 500mg capsules"}]}}
    service._store.put([auth])
    service.prepare_order(ME, today(), ["att-amox-plan"], now=ORDERED)
    later = {**issue("att-amox-2026-11-23", "2026-11-23"),
             "medicationCodeableConcept": {"coding": [{**dmd, "display": "Amoxicillin 500mg capsules (Generic)"}]}}
    later.pop("basedOn")
    service._store.put([later])
    order = next(o for o in service.repeat_orders(ME, today()) if o.medication_id == "att-amox-plan")
    assert order.issued_on == dt.date(2026, 11, 23)


def test_a_repeat_carried_as_a_medication_statement_is_listed(service):
    """A UK Core MedicationStatement (the shape of UKCore-MedicationStatement-Amoxicillin-Example,
    status active, with the UK Core last-issue-date extension the mapping reads) for a medicine
    the record holds no request of, last issued 10 November."""
    from ltc_dashboard.record.mapping_medications import LAST_ISSUE_EXTENSION

    statement = {"resourceType": "MedicationStatement", "id": "att-stmt-levo", "status": "active",
                 "medicationCodeableConcept": {"text": "Levothyroxine 50microgram tablets"},
                 "subject": {"reference": "Patient/dm-patient"}, "effectivePeriod": {"start": "2024-02-01"},
                 "dateAsserted": "2026-11-10", "dosage": [{"text": "One each morning"}],
                 "extension": [{"url": LAST_ISSUE_EXTENSION, "valueDateTime": "2026-11-10"}]}
    service._store.put([statement])
    held = service.open(ME, today()).record.medications
    assert any(m.name == "Levothyroxine 50microgram tablets" and m.kind == "statement" for m in held)
    names = {c.medication.name for c in service.repeat_choices(ME, today())}
    assert "Levothyroxine 50microgram tablets" in names
