"""Issue 13 items 3 and 6: every type the store keeps is placed by its clinical date, never by
`meta.lastUpdated`; and a security label or entered-in-error status in any place FHIR R4 puts one
hides the entry from everyone it should.

Records are hand-made for issue 13 (tests/test_gate_shapes_support.py says how); each type's date
elements are those of its R4 page (hl7.org/fhir/R4/<type>.html).
"""

from __future__ import annotations

import pytest

from ltc_dashboard.gate.policy import UNREADABLE_LABEL, labels_of
from ltc_dashboard.record.dates import UNDATED_TYPES, clinical_date
from test_gate_shapes_support import (
    ACT, CONF, NOPAT, VIEWERS, access_start, carer, leaks, marked, observation, patient,
    service_with, shown,
)

# (type, the element that names the patient, the date elements for a day) for every type the
# store files under a patient (fhir_read.patient_of: subject, patient or beneficiary).
DATED = [
    ("MedicationDispense", "subject", lambda d: {"status": "completed", "whenHandedOver": d}),
    ("MedicationDispense", "subject", lambda d: {"status": "completed", "whenPrepared": d}),
    ("MedicationAdministration", "subject", lambda d: {"status": "completed", "effectiveDateTime": d}),
    ("MedicationAdministration", "subject", lambda d: {"status": "completed", "effectivePeriod": {"start": d}}),
    ("FamilyMemberHistory", "patient", lambda d: {"status": "completed", "date": d}),
    ("RiskAssessment", "subject", lambda d: {"status": "final", "occurrenceDateTime": d}),
    ("RiskAssessment", "subject", lambda d: {"status": "final", "occurrencePeriod": {"start": d}}),
    ("Composition", "subject", lambda d: {"status": "final", "date": d, "title": "Summary"}),
    ("AdverseEvent", "subject", lambda d: {"actuality": "actual", "date": d}),
    ("CareTeam", "subject", lambda d: {"status": "active", "period": {"start": d}}),
    ("ChargeItem", "subject", lambda d: {"status": "billed", "occurrenceDateTime": d}),
    ("CommunicationRequest", "subject", lambda d: {"status": "active", "authoredOn": d}),
    ("Coverage", "beneficiary", lambda d: {"status": "active", "period": {"start": d}}),
    ("DetectedIssue", "patient", lambda d: {"status": "final", "identifiedDateTime": d}),
    ("DeviceRequest", "subject", lambda d: {"status": "active", "intent": "order", "authoredOn": d}),
    ("DeviceUseStatement", "subject", lambda d: {"status": "active", "timingDateTime": d}),
    ("DeviceUseStatement", "subject", lambda d: {"status": "active", "recordedOn": d}),
    ("DocumentManifest", "subject", lambda d: {"status": "current", "created": d}),
    ("EpisodeOfCare", "patient", lambda d: {"status": "finished", "period": {"start": d}}),
    ("GuidanceResponse", "subject", lambda d: {"status": "success", "occurrenceDateTime": d}),
    ("ImmunizationEvaluation", "patient", lambda d: {"status": "completed", "date": d}),
    ("ImmunizationRecommendation", "patient", lambda d: {"date": d}),
    ("Invoice", "subject", lambda d: {"status": "issued", "date": d}),
    ("List", "subject", lambda d: {"status": "current", "mode": "snapshot", "date": d}),
    ("MeasureReport", "subject", lambda d: {"status": "complete", "date": d}),
    ("Media", "subject", lambda d: {"status": "completed", "createdDateTime": d}),
    ("Media", "subject", lambda d: {"status": "completed", "issued": d + "T09:00:00Z"}),
    ("NutritionOrder", "patient", lambda d: {"status": "active", "intent": "order", "dateTime": d}),
    ("RequestGroup", "subject", lambda d: {"status": "active", "intent": "plan", "authoredOn": d}),
    ("Specimen", "subject", lambda d: {"collection": {"collectedDateTime": d}}),
    ("Specimen", "subject", lambda d: {"receivedTime": d + "T09:00:00Z"}),
    ("SupplyDelivery", "patient", lambda d: {"status": "completed", "occurrenceDateTime": d}),
    ("VisionPrescription", "patient", lambda d: {"status": "active", "dateWritten": d}),
    ("Basic", "subject", lambda d: {"code": {"text": "note"}, "created": d}),
    ("ClaimResponse", "patient", lambda d: {"status": "active", "created": d}),
    ("CoverageEligibilityRequest", "patient", lambda d: {"status": "active", "created": d}),
    ("Observation", "subject", lambda d: {"status": "final", "code": {"text": "x"},
                                          "effectiveTiming": {"event": [d]}}),
    ("Procedure", "subject", lambda d: {"status": "completed", "performedPeriod": {"start": d}}),
    ("Immunization", "patient", lambda d: {"status": "completed", "vaccineCode": {"text": "flu"},
                                           "occurrenceString": "last autumn", "recorded": d}),
    ("AllergyIntolerance", "patient", lambda d: {"lastOccurrence": d}),
    ("Condition", "subject", lambda d: {"onsetAge": {"value": 60}, "recordedDate": d}),
    ("ServiceRequest", "subject", lambda d: {"status": "active", "intent": "order",
                                             "occurrencePeriod": {"start": d}}),
    ("Communication", "subject", lambda d: {"status": "completed", "sent": d}),
]
# Recently updated: a date the gate must never read as when the entry happened.
RECENT = {"lastUpdated": "2026-11-01T10:00:00Z"}


@pytest.mark.parametrize("rtype, key, dated", DATED, ids=[f"{c[0]}-{i}" for i, c in enumerate(DATED)])
def test_every_kept_type_is_withheld_before_the_access_start_by_its_clinical_date(tmp_path, rtype, key, dated):
    """A kept type dated before the online-access start reaches no viewer; one dated after does."""
    before = marked(rtype, "before", "MARK-BEFORE-START", key, meta=RECENT, **dated("2020-03-01"))
    after = marked(rtype, "after", "MARK-AFTER-START", key, meta=RECENT, **dated("2025-03-01"))
    assert clinical_date(before).iso() == "2020-03-01" and clinical_date(after).iso() == "2025-03-01"
    service = service_with(tmp_path, [patient(), access_start("2024-01-01"), *carer(), before, after])
    for viewer in VIEWERS.values():
        assert f"{rtype}/after" in shown(service, viewer) and f"{rtype}/before" not in shown(service, viewer)
    assert not leaks(service, ["MARK-BEFORE-START"])
    assert leaks(service, ["MARK-AFTER-START"], [VIEWERS["patient"]])  # the outputs do show such entries


# Types the store keeps that have no date of their own (R4): withheld behind any boundary.
UNDATABLE = [
    ("BodyStructure", "patient", {"description": "left knee"}),
    ("MolecularSequence", "patient", {"coordinateSystem": 0}),
    ("Procedure", "subject", {"status": "completed", "performedString": "years ago"}),
    ("Observation", "subject", {"status": "final", "code": {"text": "x"}}),
    ("Device", "patient", {"status": "active"}),
]


@pytest.mark.parametrize("rtype, key, fields", UNDATABLE, ids=[c[0] + "-" + str(i) for i, c in enumerate(UNDATABLE)])
def test_an_entry_without_a_clinical_date_is_withheld_behind_every_date_boundary(tmp_path, rtype, key, fields):
    """No clinical date (only meta.lastUpdated): hidden after an access start or a carer's data
    period; shown when no boundary applies."""
    entry = marked(rtype, "undated", "MARK-UNDATED", key, meta=RECENT, **fields)
    assert clinical_date(entry) is None
    bounded = service_with(tmp_path, [patient(), access_start("2024-01-01"), *carer(), entry])
    assert not leaks(bounded, ["MARK-UNDATED"])
    carer_bounded = service_with(tmp_path, [patient(), *carer(data_start="2024-01-01"), entry])
    assert not leaks(carer_bounded, ["MARK-UNDATED"], [VIEWERS["proxy"]])
    assert f"{rtype}/undated" in shown(carer_bounded, VIEWERS["patient"])


def test_only_people_permissions_and_shared_resources_are_undated():
    """The types shown whatever their date are the person, carers, a letter's Binary (shown only
    through its letter) and the shared resources no patient owns; a Consent is dated by its
    dateTime (outside review: a 2015 advance decision showed behind a 2023 access start)."""
    assert UNDATED_TYPES == {"Patient", "RelatedPerson", "Binary", "Organization", "Practitioner",
                             "PractitionerRole", "Location", "Medication"}


# -- item 6: labels in every place R4 puts them -----------------------------------------------
REDACTING = [
    ("https://terminology.hl7.org/CodeSystem/v3-ActCode", "NOPAT"),
    ("http://terminology.hl7.org/CodeSystem/v3-ActCode/", "NOPAT"),
    ("HTTP://Terminology.HL7.org/CodeSystem/v3-actcode", "nopat"),
    ("http://hl7.org/fhir/v3/ActCode/", "NoPat"),
    ("https://terminology.hl7.org/CodeSystem/v3-Confidentiality/", "r"),
    ("urn:oid:2.16.840.1.113883.5.25", "v"),
    (None, "R"),
    (None, "V"),
    (None, "NOPAT"),
    ("", "nopat"),
]


@pytest.mark.parametrize("system, code", REDACTING)
def test_redacting_labels_hide_in_any_spelling_of_their_system_and_code(tmp_path, system, code):
    """NOPAT, R and V hide an entry from every viewer whatever the http(s), slash or case, and with no system."""
    label = {"code": code} if system is None else {"system": system, "code": code}
    secret = observation("secret", "MARK-LABELLED", meta={"security": [label]})
    service = service_with(tmp_path, [patient(), *carer(), secret, observation("plain", "MARK-PLAIN")])
    assert not leaks(service, ["MARK-LABELLED"])
    assert leaks(service, ["MARK-PLAIN"], [VIEWERS["clinic"]])


@pytest.mark.parametrize("label", [{"code": "psy"}, {"system": "https://terminology.hl7.org/CodeSystem/v3-ActCode/",
                                                     "code": "Psy"}])
def test_a_sensitivity_label_without_its_exact_system_still_hides_on_the_shared_screen(tmp_path, label):
    """A PSY label with no system or another spelling of it hides the entry on the clinic screen only."""
    entry = observation("psy", "MARK-PSY", meta={"security": [label]})
    service = service_with(tmp_path, [patient(), entry])
    assert not leaks(service, ["MARK-PSY"], [VIEWERS["clinic"]])
    assert leaks(service, ["MARK-PSY"], [VIEWERS["patient"]])


def letter(rid: str, marker: str, **fields) -> dict:
    return marked("DocumentReference", rid, marker, status="current", date="2025-05-01", description=f"Letter {marker}",
                  content=[{"attachment": {"contentType": "text/plain", "data": "TGV0dGVyIGJvZHk="}}], **fields)


def test_a_document_security_label_hides_the_letter(tmp_path):
    """DocumentReference.securityLabel R (a CodeableConcept, with or without its system) hides the letter."""
    service = service_with(tmp_path, [
        patient(), *carer(),
        letter("d1", "MARK-DOC-R", securityLabel=[{"coding": [{"system": CONF, "code": "R"}]}]),
        letter("d2", "MARK-DOC-BARE", securityLabel=[{"coding": [{"code": "V"}]}]),
        letter("d3", "MARK-DOC-PLAIN", securityLabel=[{"coding": [{"system": CONF, "code": "N"}]}])])
    assert not leaks(service, ["MARK-DOC-R", "MARK-DOC-BARE"])
    assert leaks(service, ["MARK-DOC-PLAIN"], [VIEWERS["patient"]])


def test_composition_confidentiality_hides_the_composition(tmp_path):
    """Composition.confidentiality R or V hides the document from everyone; N does not."""
    def composition(rid, marker, level):
        return marked("Composition", rid, marker, status="final", date="2025-05-01", title=marker,
                      confidentiality=level, type={"text": "summary"}, author=[{"display": "Dr A"}])
    service = service_with(tmp_path, [patient(), *carer(), composition("c1", "MARK-COMP-R", "R"),
                                      composition("c2", "MARK-COMP-V", "v"), composition("c3", "MARK-COMP-N", "N")])
    assert not leaks(service, ["MARK-COMP-R", "MARK-COMP-V"])
    assert leaks(service, ["MARK-COMP-N"], [VIEWERS["patient"]])


def test_a_label_on_a_contained_resource_hides_its_container(tmp_path):
    """A NOPAT label on a contained Medication applies to the prescription that contains it."""
    request = marked("MedicationRequest", "rx", "MARK-CONTAINED", status="active", intent="order",
                     authoredOn="2025-05-01", medicationReference={"reference": "#med"},
                     contained=[{"resourceType": "Medication", "id": "med", "meta": {"security": [NOPAT]},
                                 "code": {"text": "Medicine MARK-CONTAINED"}}])
    service = service_with(tmp_path, [patient(), *carer(), request])
    assert not leaks(service, ["MARK-CONTAINED"])
    assert labels_of(request) == {(ACT, "NOPAT")}


def test_a_label_that_cannot_be_read_in_any_place_hides_the_entry():
    """A securityLabel, confidentiality or contained label in a shape that cannot be read is the
    unreadable label (hidden from everyone), not no label."""
    assert labels_of({"resourceType": "DocumentReference", "securityLabel": [{"coding": [{"code": 7}]}]}) == {
        UNREADABLE_LABEL}
    assert labels_of({"resourceType": "Composition", "confidentiality": ["R"]}) == {UNREADABLE_LABEL}
    assert labels_of({"resourceType": "Observation", "contained": [{"meta": {"security": "R"}}]}) == {UNREADABLE_LABEL}


ERRORS = [
    ("Goal", "subject", {"lifecycleStatus": "entered-in-error", "description": {"text": "walk"}, "startDate": "2025-01-01"}),
    ("AllergyIntolerance", "patient", {"recordedDate": "2025-01-01", "verificationStatus": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error"}]}}),
    ("Condition", "subject", {"recordedDate": "2025-01-01", "verificationStatus": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "entered-in-error"}]}}),
    ("DocumentReference", "subject", {"status": "current", "docStatus": "entered-in-error", "date": "2025-01-01",
                                      "content": [{"attachment": {"url": "https://example.org/x"}}]}),
    ("Immunization", "patient", {"status": "entered-in-error", "vaccineCode": {"text": "flu"},
                                 "occurrenceDateTime": "2025-01-01"}),
    ("Procedure", "subject", {"status": "entered-in-error", "performedDateTime": "2025-01-01"}),
    ("MedicationStatement", "subject", {"status": "entered-in-error", "effectiveDateTime": "2025-01-01",
                                        "medicationCodeableConcept": {"text": "pill"}}),
    ("FamilyMemberHistory", "patient", {"status": "entered-in-error", "date": "2025-01-01"}),
    ("Composition", "subject", {"status": "entered-in-error", "date": "2025-01-01", "title": "t"}),
    ("Observation", "subject", {"status": "Entered-In-Error", "effectiveDateTime": "2025-01-01"}),
]


@pytest.mark.parametrize("rtype, key, fields", ERRORS, ids=[c[0] + "-" + str(i) for i, c in enumerate(ERRORS)])
def test_an_entry_entered_in_error_in_any_status_element_is_hidden(tmp_path, rtype, key, fields):
    """Every R4 status element that can say entered-in-error hides the entry from every viewer."""
    service = service_with(tmp_path, [patient(), *carer(), marked(rtype, "wrong", "MARK-ERROR", key, **fields)])
    assert not leaks(service, ["MARK-ERROR"])
