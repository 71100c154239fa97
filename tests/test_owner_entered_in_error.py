"""Entered-in-error has one owner (ltc_dashboard/fhir_read.py `entered_in_error`, issue 19): the gate's facts and the
mapping give its answer on every R4 type that can say it, in every element R4 says it in, and the
gate withholds such an entry from the patient."""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.gate.snapshot import facts as snapshot_facts
from ltc_dashboard.record import mapping
from ltc_dashboard.fhir_read import IN_ERROR_ALSO as ALSO, IN_ERROR_ELEMENTS as R4_ELEMENTS, entered_in_error

# tests/conftest.py freezes LTC_TODAY here; not imported from it, because under the whole suite the
# module named `conftest` may be tests/browser's, whose TODAY is a string.
TODAY = dt.date(2026, 11, 25)

VERIFICATION = {"Condition": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "AllergyIntolerance": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"}
# Where each type names its patient, where it is not `subject` (R4 resource pages).
PATIENT_ELEMENT = {"AllergyIntolerance": "patient", "Immunization": "patient", "Consent": "patient",
                   "FamilyMemberHistory": "patient", "Coverage": "beneficiary"}
PLACES = sorted({(t, e) for t, e in R4_ELEMENTS.items()} | set(ALSO.items()))


def marked(rtype: str, element: str, value: str = "entered-in-error") -> dict:
    """A resource of `rtype` for patient p1 saying `value` in `element` (written for this test from
    the R4 resource pages: a code, or a CodeableConcept for verificationStatus)."""
    resource = {"resourceType": rtype, "id": f"{rtype.lower()}-1"}
    if element == "verificationStatus":
        resource[element] = {"coding": [{"system": VERIFICATION[rtype], "code": value}]}
    else:
        resource[element] = value
    if rtype == "Appointment":
        resource["participant"] = [{"actor": {"reference": "Patient/p1"}, "status": "accepted"}]
    elif rtype != "Medication":  # a shared resource: no patient
        resource[PATIENT_ELEMENT.get(rtype, "subject")] = {"reference": "Patient/p1"}
    return resource


def every_answer(resource: dict) -> tuple[bool, bool, bool, bool]:
    """The owner's, the mapping's, the gate facts' function's and the gate facts' flag's answers."""
    flagged = bool(snapshot_facts.facts_of(resource, "{}")[1] & snapshot_facts.ENTERED_IN_ERROR)
    return (entered_in_error(resource), mapping.is_entered_in_error(resource),
            snapshot_facts.entered_in_error(resource), flagged)


@pytest.mark.parametrize("rtype, element", PLACES)
def test_every_r4_place_is_read_alike_by_the_gate_and_the_mapping(rtype, element):
    """Each type's own element holding entered-in-error (in any letter case) is seen by all."""
    assert every_answer(marked(rtype, element)) == (True,) * 4
    assert every_answer(marked(rtype, element, " Entered-In-Error ")) == (True,) * 4


@pytest.mark.parametrize("rtype, element", PLACES)
def test_another_status_is_not_entered_in_error(rtype, element):
    """The same element with an ordinary value says nothing, for every reader."""
    ordinary = "confirmed" if element == "verificationStatus" else "final"
    assert every_answer(marked(rtype, element, ordinary)) == (False,) * 4


def test_the_mapping_now_reads_what_only_the_gate_read():
    """The two versions differed: the mapping missed a padded or capitalised status, a second
    coding and a coded clinicalStatus; the one owner reads them all."""
    for resource in ({"resourceType": "Observation", "status": "Entered-in-error"},
                     {"resourceType": "Condition", "verificationStatus": {"coding": [
                         {"system": "urn:local", "code": "x"}, {"code": "entered-in-error"}]}},
                     {"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "entered-in-error"}]}}):
        assert every_answer(resource) == (True,) * 4


def test_a_provenance_has_no_status_and_is_not_entered_in_error():
    """R4 Provenance has no status element: a Provenance is never read as entered in error."""
    provenance = {"resourceType": "Provenance", "id": "pv", "recorded": "2025-01-01T00:00:00Z",
                  "target": [{"reference": "Observation/o1"}], "agent": [{"who": {"reference": "Practitioner/d"}}]}
    assert every_answer(provenance) == (False,) * 4


def test_a_mark_in_an_odd_shape_is_read_fail_closed_and_a_number_says_nothing():
    """A list where R4 has one code, or a bare code where it has a CodeableConcept, still says
    entered-in-error to every reader (fail closed, as fhir_read reads every element; it was read
    as saying nothing until helper-66 showed such a Condition reaching every viewer); a number
    says nothing, and nothing raises."""
    assert every_answer({"resourceType": "Observation", "status": ["entered-in-error"]}) == (True,) * 4
    assert every_answer({"resourceType": "Condition", "verificationStatus": "entered-in-error"}) == (True,) * 4
    assert every_answer({"resourceType": "Observation", "status": 7}) == (False,) * 4


@pytest.mark.parametrize("rtype, element", [p for p in PLACES if p[0] != "Medication"])
def test_the_gate_withholds_every_marked_entry_from_the_patient(fresh_store, rtype, element):
    """Stored beside the patient, an entry marked in its type's own element is not visible to them,
    while the same entry unmarked is (so the check can fail)."""
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat Error"}]}
    ordinary = "confirmed" if element == "verificationStatus" else "final"
    fresh_store.put([patient, marked(rtype, element, ordinary)])
    me = Viewer(kind="patient", patient_id="p1")
    key = f"{rtype}/{rtype.lower()}-1"
    assert open_record(fresh_store, me, TODAY).sees(key)
    fresh_store.put([{**marked(rtype, element), "meta": {"versionId": "2"}}])
    assert not open_record(fresh_store, me, TODAY).sees(key)
