"""Whose resource this is, and how a person is named: one owner each in fhir_read (issue 19), and
every place that asks (the importer, the store, the server connector, the exports) gives its
answer for every reference form R4 allows."""

from __future__ import annotations

import pytest

from connectors.validate import check
from ltc_dashboard import fhir_read
from ltc_dashboard.record.mapping_common import human_name

# (reference text, the Patient id it names or None) in every form R4 allows; written for this test
# from the R4 Reference rules (relative, absolute, versioned, urn:uuid, contained, conditional).
FORMS = [
    ("Patient/p1", "p1"),
    ("https://gp.example.nhs.uk/fhir/Patient/p1", "p1"),
    ("Patient/p1/_history/2", "p1"),
    ("https://gp.example.nhs.uk/fhir/Patient/p1/_history/7", "p1"),
    ("urn:uuid:0c1e7a52-0000-4000-8000-000000000000", None),  # only its Bundle can resolve it
    ("#p1", None),  # contained: the container's own, no stored Patient
    ("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", None),  # conditional
    ("Group/p1", None),
    ("RelatedPatient/p1", None),  # a type whose name merely ends in Patient
    ("", None),
]


@pytest.mark.parametrize("target, expected", FORMS)
def test_the_owner_reads_every_reference_form(target, expected):
    """patient_id_in names the Patient of relative, absolute and versioned references, and no one
    for urn:uuid, contained, conditional or other-type references."""
    assert fhir_read.patient_id_in(target) == expected


@pytest.mark.parametrize("target, expected", FORMS)
@pytest.mark.parametrize("key, rtype", [("subject", "Observation"), ("patient", "AllergyIntolerance"),
                                        ("beneficiary", "Coverage")])
def test_every_patient_element_is_read_through_the_owner(target, expected, key, rtype):
    """subject, patient and beneficiary are all read, each in every form."""
    assert fhir_read.patient_of({"resourceType": rtype, "id": "x", key: {"reference": target}}) == expected


def test_an_identifier_only_patient_names_no_one():
    """A logical reference (an identifier, no reference text) ties the entry to no stored Patient."""
    resource = {"resourceType": "Observation", "subject": {"identifier": {"system": "s", "value": "9000000009"}}}
    assert fhir_read.patient_of(resource) is None
    assert check(resource) == "subject cannot be resolved to a patient (subject is an identifier with no reference)"


@pytest.mark.parametrize("target, expected", FORMS[:-1])  # an empty reference is "missing", not unresolved
def test_the_importer_refuses_exactly_what_the_owner_cannot_place(target, expected):
    """connectors/validate.py accepts a subject exactly when the owner names its Patient."""
    problem = check({"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"},
                     "subject": {"reference": target}})
    assert (problem is None) == (expected is not None), problem


@pytest.mark.parametrize("target, expected", FORMS)
def test_the_store_files_a_resource_where_the_owner_says(fresh_store, target, expected):
    """The store files each resource under the owner's answer (store.placement)."""
    fresh_store.put([{"resourceType": "Observation", "id": "o1", "subject": {"reference": target}}])
    assert fresh_store.placement("Observation", "o1")[0] == expected


def test_binary_and_appointment_are_placed_by_their_own_elements():
    """A Binary by its securityContext, an Appointment by its Patient participant, in any form."""
    assert fhir_read.patient_of({"resourceType": "Binary", "securityContext": {"reference": "Patient/c/_history/1"}}) == "c"
    appointment = {"resourceType": "Appointment", "participant": [
        {"actor": {"reference": "Practitioner/d"}}, {"actor": {"reference": "https://x.example/fhir/Patient/e"}}]}
    assert fhir_read.patient_of(appointment) == "e"
    assert fhir_read.patient_of({"resourceType": "Medication", "id": "m"}) is None


@pytest.mark.parametrize("target, ours", [
    ("Patient/p1", True), ("Patient/p1/_history/3", True), ("https://server.example/fhir/Patient/p1", True),
    ("https://server.example/fhir/Patient/p1/_history/3", True), ("https://other.example/fhir/Patient/p1", False),
    ("Patient/p2", False), ("urn:uuid:p1", False), ("#p1", False),
])
def test_the_server_connector_asks_the_owner_and_checks_the_server(target, ours):
    """A server read keeps an entry only when the owner names this patient and an absolute URL is
    this server's."""
    from connectors.server_ownership import ownership_problem

    problem = ownership_problem({"resourceType": "Observation", "subject": {"reference": target}},
                                "https://server.example/fhir/", "p1")
    assert (problem is None) == ours


# HumanName shapes written for this test from the R4 HumanName rules (use, text, given, family).
NAMES = [
    ([{"use": "maiden", "family": "Smith", "given": ["Margaret"]}, {"use": "official", "family": "Jones", "given": ["Margaret"]}],
     "Margaret Jones"),
    ([{"text": "  Mrs Margaret Jones  "}], "Mrs Margaret Jones"),
    ([{"given": [" Ann ", "", 3], "family": " Lee "}], "Ann Lee"),
    ([{"use": "nickname", "given": ["Peggy"]}, {"given": ["Margaret"], "family": "Jones"}], "Margaret Jones"),
    ({"family": "Jones"}, "Jones"),
    ([{"text": " "}, {"use": "old", "family": "Brown"}], "Brown"),
    ("Margaret", None),
    ([], None),
]


@pytest.mark.parametrize("names, expected", NAMES)
def test_a_person_is_named_one_way_for_the_record_and_for_the_carer_lists(names, expected):
    """The mapping (human_name) and the carer lists (person_name) give the same name: one owner."""
    assert fhir_read.name_line(names) == expected
    assert human_name(names) == expected
    assert fhir_read.person_name({"resourceType": "RelatedPerson", "name": names}) == expected
