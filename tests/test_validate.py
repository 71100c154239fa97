"""Tests for connectors/validate.py: which resources `check` lets through and the reasons it gives."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.validate import check, date_problem


def observation(**fields: object) -> dict:
    """A minimal importable Observation, with `fields` added or replaced."""
    return {"resourceType": "Observation", "id": "obs-1", "status": "final", "subject": {"reference": "Patient/p1"}} | fields


def test_minimal_resources_pass() -> None:
    """A well-formed Observation and a bare Patient are importable."""
    assert check(observation(effectiveDateTime="2025-03-05T09:30:00.123+01:00", valueQuantity={"value": 53})) is None
    assert check({"resourceType": "Patient", "id": "p1", "birthDate": "1960"}) is None


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ([], "not a JSON object"),
        ("Observation", "not a JSON object"),
        ({"id": "x"}, "missing resourceType"),
        ({"resourceType": 7}, "missing resourceType"),
        ({"resourceType": "Patient", "id": "has space"}, "invalid id 'has space'"),
        ({"resourceType": "Patient", "id": "x" * 65}, "invalid id 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"),
        ({"resourceType": "Patient", "id": 12}, "invalid id '12'"),
        (observation(status=1), "invalid value '1' at status"),
        (observation(valueQuantity={"value": "7.1"}), "invalid value '7.1' at valueQuantity.value"),
        (observation(valueQuantity={"value": True}), "invalid value 'true' at valueQuantity.value"),
        (observation(valueQuantity={"value": float("nan")}), "invalid value 'nan' at valueQuantity.value"),
        (
            observation(component=[{"valueQuantity": {"value": 120}}, {"valueQuantity": {"value": None}}]),
            "invalid value 'null' at component[1].valueQuantity.value",
        ),
        (observation(referenceRange=[{"low": {"value": "4"}}]), "invalid value '4' at referenceRange[0].low.value"),
        (observation(valueInteger=2.5), "invalid value '2.5' at valueInteger"),
        (observation(valueBoolean="yes"), "invalid value 'yes' at valueBoolean"),
        (observation(subject={"reference": 5}), "invalid reference '5' at subject.reference"),
        (observation(effectiveDateTime="2023-02-30"), "impossible date '2023-02-30' at effectiveDateTime"),
        (observation(effectivePeriod={"start": "2023-13-01"}), "impossible date '2023-13-01' at effectivePeriod.start"),
        (observation(issued="2023-01-01T25:00:00Z"), "impossible date '2023-01-01T25:00:00Z' at issued"),
        (observation(issued="2023-01-01 10:00:00"), "invalid date '2023-01-01 10:00:00' at issued"),
        (observation(meta={"lastUpdated": "yesterday"}), "invalid date 'yesterday' at meta.lastUpdated"),
        (
            observation(extension=[{"url": "u", "valueDate": "2021-04-31"}]),
            "impossible date '2021-04-31' at extension[0].valueDate",
        ),
        (observation(subject=None), "missing subject"),
        ({"resourceType": "Condition", "subject": {"display": "someone"}}, "missing subject"),
        ({"resourceType": "Immunization", "status": "completed"}, "missing subject (patient)"),
        (
            {"resourceType": "Appointment", "participant": [{"actor": {"reference": "Practitioner/1"}}]},
            "missing subject (no Patient participant)",
        ),
        (observation(contained=[{"id": "m1"}]), "contained[0]: missing resourceType"),
    ],
)
def test_reasons(resource: object, reason: str) -> None:
    """Each kind of problem gets its own plain reason naming the field path and the value."""
    assert check(resource) == reason


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ({"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000001"}},
         "an identifier with no reference"),
        ({"reference": "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000001"},
         "a conditional reference, which only a server can resolve"),
        ({"reference": "Patient?_id=p1"}, "a conditional reference, which only a server can resolve"),
        ({"reference": "#p"}, "a resource contained in this one"),
        ({"reference": "Group/g1"}, "a Group, not a Patient"),
        ({"reference": "urn:uuid:0c1e7a52-0000-4000-8000-000000000000"}, "a urn: reference found nowhere in the file"),
    ],
)
def test_subjects_that_name_no_patient(subject: dict, kind: str) -> None:
    """A subject that cannot be resolved to a stored Patient is refused, its text (an NHS number) never quoted."""
    assert check(observation(subject=subject)) == f"subject cannot be resolved to a patient (subject is {kind})"


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Appointment", "participant": [{"actor": {"reference": "Patient/p1"}}]},
        {"resourceType": "Appointment", "participant": [{"actor": {"reference": "https://x.nhs.uk/fhir/Patient/p1"}}]},
        {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"}},
        {"resourceType": "Condition", "subject": {"reference": "https://x.nhs.uk/fhir/Patient/p1/_history/2"}},
        {"resourceType": "MolecularSequence", "variant": [{"start": 10, "end": 11}]},
        {"resourceType": "Patient", "identifier": [{"system": "s", "value": "2023-02-30"}]},
    ],
)
def test_lawful_shapes_pass(resource: dict) -> None:
    """Patient participants, absolute or versioned Patient subjects, integer positions and non-date strings are accepted."""
    assert check(resource) is None


def test_reason_keeps_long_values_short() -> None:
    """A long offending value is cut to 40 characters so reasons carry little data."""
    reason = check(observation(valueQuantity={"value": "Mrs Example said her reading was high this morning"}))
    assert reason == "invalid value 'Mrs Example said her reading was high...' at valueQuantity.value"
    assert len("Mrs Example said her reading was high...") == 40


@pytest.mark.parametrize(
    "text",
    ["2024", "2024-02", "2024-02-29", "2024-02-29T23:59:59Z", "2015-06-30T23:59:60+00:00",
     "2024-01-01T00:00:00.5-05:00", "2024-01-01T12:00:00", "2024-01-01T12:00Z"],
)
def test_fhir_date_formats_pass(text: str) -> None:
    """Every FHIR date, dateTime and instant shape is accepted, leap day and leap second included,
    and so are times without a zone or seconds (read as UK local time rather than lost)."""
    assert date_problem(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2023-02-29", "impossible date"),
        ("0000-01-01", "impossible date"),
        ("2024-00", "impossible date"),
        ("2024-01-01T12:00:00+15:00", "impossible date"),
        ("2024-1-01", "invalid date"),
        ("01/02/2024", "invalid date"),
        ("2024-01-01T12", "invalid date"),
    ],
)
def test_bad_dates(text: str, problem: str) -> None:
    """Dates that cannot exist and strings not in a FHIR date shape are told apart."""
    assert date_problem(text) == problem


@given(st.dates(min_value=datetime.date(1, 1, 1)))
def test_every_real_date_passes(day: datetime.date) -> None:
    """Any calendar date written as YYYY-MM-DD is accepted."""
    assert date_problem(day.isoformat()) is None


@given(st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99))
def test_date_check_agrees_with_the_calendar(year: int, month: int, day: int) -> None:
    """A YYYY-MM-DD string is accepted exactly when the calendar says the day exists."""
    text = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        datetime.date(year, month, day)
        exists = True
    except ValueError:
        exists = False
    assert (date_problem(text) is None) == exists


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
FHIR_KEYS = st.sampled_from(
    ["resourceType", "id", "status", "subject", "patient", "reference", "value", "valueQuantity", "low",
     "effectiveDateTime", "start", "issued", "contained", "participant", "actor", "valueInteger", "extension"]
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10) | FHIR_KEYS, children, max_size=5),
    max_leaves=30,
)
RESOURCE_TYPES = st.sampled_from(["Observation", "Appointment", "Patient", "Immunization", "Condition"])


@given(JSON_VALUES)
def test_check_never_raises_on_any_json_value(value: object) -> None:
    """Whatever JSON-like value it is given, check returns None or a non-empty reason and never raises."""
    reason = check(value)
    assert reason is None or (isinstance(reason, str) and reason)


@given(RESOURCE_TYPES, st.dictionaries(FHIR_KEYS, JSON_VALUES, max_size=6))
def test_check_never_raises_on_resource_like_values(resource_type: str, fields: dict) -> None:
    """Resource-shaped input with arbitrary fields gets None or a non-empty reason, never an exception."""
    reason = check(fields | {"resourceType": resource_type})
    assert reason is None or (isinstance(reason, str) and reason)
