"""Small pins for the gate's readings of R4 shapes the outside review found (issue 13)."""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.consent import stored_text
from ltc_dashboard.gate.consent_rules import bounds
from ltc_dashboard.gate.policy import labels_of
from ltc_dashboard.record.references import LOGICAL, normal_reference, person_as_shown, references, references_in


def test_a_period_with_times_is_read_by_whole_days():
    """A start later than the start of its UK day counts from the next day, and an end with a time ends the day before."""
    wide_start, wide_end, narrow_start, narrow_end = bounds(
        {"start": "2023-01-01T12:00:00Z", "end": "2023-02-01T09:00:00Z"}, "period")
    assert (wide_start, wide_end) == (dt.date(2023, 1, 1), dt.date(2023, 2, 1))
    assert (narrow_start, narrow_end) == (dt.date(2023, 1, 2), dt.date(2023, 1, 31))


def test_a_start_at_midnight_uk_time_counts_its_own_day():
    """A start at 00:00 UK time (British Summer Time here) covers its whole day."""
    assert bounds({"start": "2023-06-01T00:00:00+01:00"}, "period")[2] == dt.date(2023, 6, 1)
    assert bounds({"start": "2023-06-01T00:00:00.5+01:00"}, "period")[2] == dt.date(2023, 6, 2)


def test_a_logical_reference_is_unresolved_on_both_paths():
    """A Reference with an identifier and no reference is LOGICAL, read the same from text and by the walk."""
    report = {"resourceType": "DiagnosticReport", "id": "d", "identifier": [{"value": "x"}],
              "subject": {"reference": "Patient/p1"},
              "result": [{"identifier": {"system": "urn:lab", "value": "L1"}, "display": "Result"}]}
    walked: set[str] = set()
    references(report, walked)
    assert walked == references_in(stored_text(report), report) == {"Patient/p1", LOGICAL}
    assert normal_reference(LOGICAL) is None


def test_a_resource_own_identifier_is_no_reference():
    """A resource's own identifiers (a list, or one at its root) are not read as logical references."""
    response = {"resourceType": "QuestionnaireResponse", "id": "q", "identifier": {"value": "1"},
                "subject": {"reference": "Patient/p1"}}
    assert references_in(stored_text(response), response) == {"Patient/p1"}


def test_the_patient_keeps_coding_displays_and_visible_names():
    """The Patient keeps coded displays and the display of what the viewer sees, and drops the rest."""
    patient = {"resourceType": "Patient", "id": "p1", "text": {"div": "<div>Dr Hidden</div>"},
               "maritalStatus": {"coding": [{"system": "s", "code": "M", "display": "Married"}]},
               "managingOrganization": {"reference": "Organization/o1", "display": "The Surgery"},
               "generalPractitioner": [{"reference": "Practitioner/gp1", "display": "Dr Hidden"},
                                       {"identifier": {"value": "G1"}, "display": "Dr Logical"}],
               "contained": [{"resourceType": "Observation", "id": "c1"}]}
    shown = person_as_shown(patient, {"Organization/o1"}.__contains__)
    assert shown["maritalStatus"]["coding"][0]["display"] == "Married"
    assert shown["managingOrganization"]["display"] == "The Surgery"
    assert all("display" not in ref for ref in shown["generalPractitioner"])
    assert "contained" not in shown and "text" not in shown


def test_labels_in_meta_tag_only_from_label_systems():
    """A tag is a label only in a label system or as a bare hiding code; other tags are not labels."""
    tagged = {"resourceType": "Observation", "meta": {"tag": [
        {"system": "https://terminology.hl7.org/CodeSystem/v3-ActCode/", "code": "nopat"},
        {"system": "http://example.org/tags", "code": "R"}, {"code": "workflow"}]}}
    assert labels_of(tagged) == {("http://terminology.hl7.org/CodeSystem/v3-ActCode", "NOPAT")}
