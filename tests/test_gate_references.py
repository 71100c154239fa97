"""Issue 13 items 5 and 7: a pointer to a withheld entry hides in every reference form FHIR R4
allows, a withheld shared resource (medicine, clinician) never shows through what points at it,
and a prognosis or resuscitation code anywhere in an entry keeps it out of view until the person
chooses to see such entries.

Records are hand-made for issue 13 (tests/test_gate_shapes_support.py says how); reference forms
follow hl7.org/fhir/R4/references.html (relative, versioned, absolute, `urn:uuid:` as a Bundle's
fullUrl, contained `#id`); codes are those of data/terminology/valuesets.csv.
"""

from __future__ import annotations

import json

import pytest

from connectors.files import FileConnector
from test_gate_shapes_support import (
    ACT, CONF, HAS_PDFTOTEXT, NOPAT, SCT, VIEWERS, carer, leaks, marked, observation, patient,
    service_with, shown,
)

UUID = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
FORMS = [
    "Observation/secret/_history/2",
    "https://gp.example.nhs.uk/fhir/Observation/secret",
    "https://gp.example.nhs.uk/fhir/Observation/secret/_history/3",
    "http://gp.example.nhs.uk/R4/Observation/secret/",
    f"urn:uuid:{UUID}",
]


@pytest.mark.parametrize("form", FORMS)
def test_a_pointer_in_any_reference_form_to_a_withheld_entry_is_hidden(tmp_path, form):
    """derivedFrom a NOPAT result, in any R4 reference form, hides the entry and what points at it."""
    secret_id = UUID if form.startswith("urn:uuid:") else "secret"
    secret = observation(secret_id, "MARK-SECRET", meta={"security": [NOPAT]})
    child = observation("child", "MARK-CHILD", derivedFrom=[{"reference": form}])
    grandchild = observation("grandchild", "MARK-GRANDCHILD", hasMember=[
        {"reference": "https://gp.example.nhs.uk/fhir/Observation/child/_history/1"}])
    service = service_with(tmp_path, [patient(), *carer(), secret, child, grandchild,
                                      observation("plain", "MARK-PLAIN")])
    assert not leaks(service, ["MARK-SECRET", "MARK-CHILD", "MARK-GRANDCHILD"])
    assert leaks(service, ["MARK-PLAIN"], [VIEWERS["patient"]])


def bundle_file(folder, name: str, entries: list[tuple[str, dict]]):
    path = folder / name
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"fullUrl": url, "resource": r} for url, r in entries]}))
    return path


def test_urn_uuid_references_hide_as_the_importer_stores_them(tmp_path):
    """A Bundle's urn:uuid reference to a NOPAT entry (rewritten to Type/id, or stored with the
    uuid as the entry's id when it came without one) hides the entry that points at it."""
    secret = observation("secret", "MARK-SECRET", meta={"security": [NOPAT]})
    anonymous = observation("x", "MARK-ANON", meta={"security": [NOPAT]})
    del anonymous["id"]
    first = bundle_file(tmp_path, "one.json", [
        (f"urn:uuid:{UUID}", secret), ("urn:uuid:11111111-2222-4333-8444-555555555555", anonymous),
        ("urn:uuid:a", observation("child", "MARK-CHILD", derivedFrom=[{"reference": f"urn:uuid:{UUID}"}])),
        ("urn:uuid:b", patient())])
    second = bundle_file(tmp_path, "two.json", [("urn:uuid:c", observation("later", "MARK-LATER", derivedFrom=[
        {"reference": "urn:uuid:11111111-2222-4333-8444-555555555555"}]))])
    service = service_with(tmp_path, [*FileConnector([first, second]).read(), *carer()])
    assert not leaks(service, ["MARK-SECRET", "MARK-ANON", "MARK-CHILD", "MARK-LATER"])


@pytest.mark.parametrize("reference", [f"urn:uuid:{UUID}", "Observation?identifier=abc", "not a reference"])
def test_a_reference_that_cannot_be_resolved_fails_closed_when_anything_is_withheld(tmp_path, reference):
    """A reference the gate cannot resolve to a stored entry might name a withheld one: while any
    entry is withheld for what it says, the entry holding it is hidden; with none, it is shown."""
    pointing = observation("pointing", "MARK-POINTING", derivedFrom=[{"reference": reference}])
    withheld = service_with(tmp_path, [patient(), *carer(), pointing,
                                       observation("secret", "MARK-SECRET", meta={"security": [NOPAT]})])
    assert not leaks(withheld, ["MARK-POINTING", "MARK-SECRET"])
    nothing_withheld = service_with(tmp_path, [patient(), *carer(), pointing])
    assert "Observation/pointing" in shown(nothing_withheld, VIEWERS["patient"])


def test_the_person_is_never_hidden_for_a_reference_that_cannot_be_resolved(tmp_path):
    """A Patient whose own references cannot be resolved stays visible to their own viewers."""
    person = {**patient(), "generalPractitioner": [{"reference": f"urn:uuid:{UUID}"}, {"reference": "a b"}]}
    service = service_with(tmp_path, [person, *carer(),
                                      observation("secret", "MARK-SECRET", meta={"security": [NOPAT]})])
    for viewer in VIEWERS.values():
        assert "Patient/p1" in shown(service, viewer)


def prescription(rid: str, marker: str, reference: str) -> dict:
    return marked("MedicationRequest", rid, marker, status="active", intent="order", authoredOn="2025-05-01",
                  medicationReference={"reference": reference, "display": f"Medicine {marker}"},
                  dosageInstruction=[{"text": f"Dose {marker}"}])


def medication(mid: str, marker: str, labels: list[dict]) -> dict:
    return {"resourceType": "Medication", "id": mid, "meta": {"security": labels},
            "code": {"text": f"Medication {marker}"}}


@pytest.mark.parametrize("form", ["Medication/m-secret", "https://gp.example.nhs.uk/fhir/Medication/m-secret/_history/4"])
def test_a_withheld_shared_medicine_never_shows_through_its_prescription(tmp_path, form):
    """A prescription naming a NOPAT Medication (its display text included) reaches no output of any viewer."""
    service = service_with(tmp_path, [
        patient(), *carer(), medication("m-secret", "MARK-MED-SECRET", [NOPAT]),
        prescription("rx-secret", "MARK-RX-SECRET", form),
        medication("m-plain", "MARK-MED-PLAIN", []), prescription("rx-plain", "MARK-RX-PLAIN", "Medication/m-plain")])
    assert not leaks(service, ["MARK-MED-SECRET", "MARK-RX-SECRET"], pdf=HAS_PDFTOTEXT)
    assert leaks(service, ["MARK-RX-PLAIN"], [VIEWERS["patient"]])


def test_a_psy_medicine_is_hidden_through_its_prescription_on_the_shared_screen_only(tmp_path):
    """A PSY-labelled shared Medication hides its prescription on the clinic screen; the patient sees both."""
    service = service_with(tmp_path, [patient(), medication("m-psy", "MARK-MED-PSY", [{"system": ACT, "code": "PSY"}]),
                                      prescription("rx-psy", "MARK-RX-PSY", "Medication/m-psy")])
    assert not leaks(service, ["MARK-MED-PSY", "MARK-RX-PSY"], [VIEWERS["clinic"]])
    assert "MedicationRequest/rx-psy" in shown(service, VIEWERS["patient"])


def test_a_withheld_clinician_never_shows_through_the_letters_they_wrote(tmp_path):
    """A letter naming a Practitioner labelled R in its author's display is hidden; one that only
    points at them is shown without their name. Their name reaches no output either way."""
    doctor = {"resourceType": "Practitioner", "id": "dr-secret", "meta": {"security": [{"system": CONF, "code": "R"}]},
              "name": [{"text": "Dr MARK-DR-SECRET"}]}

    def letter(rid: str, marker: str, author: dict) -> dict:
        return marked("DocumentReference", rid, marker, status="current", date="2025-05-01",
                      description=f"Clinic letter {marker}", author=[author],
                      content=[{"attachment": {"contentType": "text/plain", "data": "TGV0dGVyIGJvZHk="}}])
    service = service_with(tmp_path, [
        patient(), *carer(), doctor,
        letter("named", "MARK-LETTER-NAMED", {"reference": "Practitioner/dr-secret", "display": "Dr MARK-DR-SECRET"}),
        letter("pointing", "MARK-LETTER-POINTING", {"reference": "https://gp.example.nhs.uk/fhir/Practitioner/dr-secret"})])
    assert not leaks(service, ["MARK-DR-SECRET", "MARK-LETTER-NAMED"], pdf=HAS_PDFTOTEXT)
    assert leaks(service, ["MARK-LETTER-POINTING"], [VIEWERS["patient"]])


# -- item 7: prognosis and resuscitation codes anywhere in an entry ----------------------------
NOT_FOR_CPR = {"system": SCT, "code": "450476008", "display": "Not for attempted cardiopulmonary resuscitation"}
CPR_STATUS = {"system": SCT, "code": "304251008", "display": "Resuscitation status"}
GSF_C = {"system": SCT, "code": "845751000000103", "display": "GSF prognostic indicator stage C"}
SENSITIVE = [
    ("Observation", "subject", {"status": "final", "code": {"text": "Review"}, "effectiveDateTime": "2025-05-01",
                                "component": [{"code": {"text": "Decision"},
                                               "valueCodeableConcept": {"coding": [NOT_FOR_CPR]}}]}),
    ("Observation", "subject", {"status": "final", "code": {"text": "Review"}, "effectiveDateTime": "2025-05-01",
                                "component": [{"code": {"coding": [GSF_C]}, "valueString": "yes"}]}),
    ("Condition", "subject", {"recordedDate": "2025-05-01", "code": {"text": "Heart failure"},
                              "stage": [{"summary": {"coding": [GSF_C]}}]}),
    ("Condition", "subject", {"recordedDate": "2025-05-01", "code": {"text": "Heart failure"},
                              "stage": [{"summary": {"text": "x"}, "type": {"coding": [CPR_STATUS]}}]}),
    ("CarePlan", "subject", {"status": "active", "intent": "plan", "created": "2025-05-01",
                             "activity": [{"detail": {"status": "scheduled", "code": {"coding": [NOT_FOR_CPR]}}}]}),
    ("DocumentReference", "subject", {"status": "current", "date": "2025-05-01", "type": {"coding": [NOT_FOR_CPR]},
                                      "content": [{"attachment": {"url": "https://example.org/x"}}]}),
    ("DocumentReference", "subject", {"status": "current", "date": "2025-05-01", "category": [{"coding": [GSF_C]}],
                                      "content": [{"attachment": {"url": "https://example.org/x"}}]}),
    ("Consent", "patient", {"status": "active", "dateTime": "2025-05-01", "scope": {"coding": [{"code": "adr"}]},
                            "category": [{"coding": [NOT_FOR_CPR]}]}),
    ("Consent", "patient", {"status": "active", "dateTime": "2025-05-01", "scope": {"coding": [{"code": "adr"}]},
                            "category": [{"text": "Advance decision"}],
                            "provision": {"type": "deny", "code": [{"coding": [{"code": "450476008"}]}]}}),
    ("Consent", "patient", {"status": "active", "dateTime": "2025-05-01", "scope": {"coding": [{"code": "adr"}]},
                            "category": [{"text": "Advance decision"}], "policyRule": {"coding": [NOT_FOR_CPR]}}),
]


@pytest.mark.parametrize("rtype, key, fields", SENSITIVE, ids=[c[0] + "-" + str(i) for i, c in enumerate(SENSITIVE)])
def test_a_prognosis_or_resuscitation_code_anywhere_in_an_entry_waits_for_the_persons_choice(
        tmp_path, rtype, key, fields):
    """A CPR or prognosis code in a component, stage, activity, letter type or category, or a
    Consent hides the entry from every viewer until the person chooses to see such entries."""
    entry = marked(rtype, "eol", "MARK-EOL", key, **fields)
    assert not leaks(service_with(tmp_path, [patient(), *carer(), entry]), ["MARK-EOL"])
    revealed = service_with(tmp_path, [patient(), *carer(), entry], reveal=True)
    assert f"{rtype}/eol" in shown(revealed, VIEWERS["patient"])


def test_a_care_plan_activity_pointing_at_a_resuscitation_decision_waits_with_it(tmp_path):
    """A CarePlan whose activity.reference is a DNACPR request is hidden with that request."""
    request = marked("ServiceRequest", "dnacpr", "MARK-REQUEST", status="active", intent="order",
                     authoredOn="2025-05-01", code={"coding": [NOT_FOR_CPR]})
    plan = marked("CarePlan", "plan", "MARK-PLAN", status="active", intent="plan", created="2025-05-01",
                  activity=[{"reference": {"reference": "ServiceRequest/dnacpr/_history/1"}}])
    service = service_with(tmp_path, [patient(), *carer(), request, plan])
    assert not leaks(service, ["MARK-REQUEST", "MARK-PLAN"])
