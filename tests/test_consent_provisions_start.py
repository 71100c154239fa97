"""The patient's own access start (clinical-reference §8.3), read from the same Consent.provision
shapes as a carer's (issue 13 item 2). Split from tests/test_consent_provisions.py to keep each
under 400 lines; records are hand-made there for issue 13 item 2 and built with its helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.gate.access import Viewer, open_record
from test_consent_provisions import PEOPLE, SCT, TODAY, consent, entry


# -- the patient's own access start, read from the same shapes -------------------------------------
PATIENT = Viewer(kind="patient", patient_id="p1")


def own(provision: dict, cid: str = "start", **extra) -> dict:
    """The patient's own access Consent (clinical-reference §8.3) with this provision."""
    return consent({"type": "permit", "actor": [{"reference": {"reference": "Patient/p1"}}], **provision},
                   cid=cid, **extra)


@pytest.mark.parametrize("provision, start", [
    ({"dataPeriod": {"start": "2024-01-01"}}, dt.date(2024, 1, 1)),
    ({"dataPeriod": {"start": "2023-10"}}, dt.date(2023, 10, 31)),  # a partial start: its last day
    ({"dataPeriod": {"start": "2024-01-01"}, "actor": {"reference": {"reference": "Patient/p1"}}}, dt.date(2024, 1, 1)),
    ({"dataPeriod": {"start": "2024-01-01"}, "provision": [{"type": "permit", "provision": [
        {"type": "deny", "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}]}]}]}, dt.date(2024, 1, 1)),
])
def test_the_patients_start_is_read_from_any_shape_that_only_sets_a_start(fresh_store, provision, start):
    """A lone actor object, nested permits and denies for someone else leave the start readable;
    a partial start counts from its last day (the record might start then)."""
    fresh_store.put([*PEOPLE, entry("before", date="2023-10-30"), own(provision)])
    record = open_record(fresh_store, PATIENT, TODAY)
    assert record.record_starts == start and record.denied_reason is None


@pytest.mark.parametrize("provision", [
    {"dataPeriod": {"start": "2024-01-01"}, "provision": [{"type": "deny", "securityLabel": [{"code": "SDV"}]}]},
    {"dataPeriod": {"start": "2024-01-01"}, "provision": [{"type": "permit", "provision": [
        {"type": "permit", "provision": [{"type": "deny", "class": [{"code": "Condition"}]}]}]}]},
    {"dataPeriod": {"start": "2024-01-01"}, "class": [{"code": "Observation"}]},
    {"dataPeriod": {"start": "2024-01-01"}, "code": [{"coding": [{"system": SCT, "code": "75367002"}]}]},
    {"dataPeriod": {"start": "2024-01-01", "end": "2025-01-01"}},
    {"dataPeriod": {"start": "2024-01-01"}, "period": {"end": "2025-01-01"}},
    {"dataPeriod": {"start": "2024-01-01"}, "action": [{"coding": [{"code": "collect"}]}]},
    {"dataPeriod": {"start": "2024-01-01"}, "expression": {"expression": "true"}},
    {"type": "deny"},
    {"actor": [{"reference": {"reference": "Group/household"}}], "dataPeriod": {"start": "2024-01-01"}},
])
def test_a_patient_consent_that_says_more_than_a_start_fails_closed(fresh_store, provision):
    """A deny for the patient at any depth, a class, code, end or action limit, an expired period,
    an unknown element, a top-level deny or a group actor: the start cannot be applied as it is,
    so no dated entry shows, and the patient is told why."""
    fresh_store.put([*PEOPLE, entry("later", date="2025-06-01"), own(provision)])
    record = open_record(fresh_store, PATIENT, TODAY)
    assert not {k for k in record.keys if k.startswith("Observation/")}
    assert record.denied_reason and "could not be read" in record.denied_reason


def test_several_patient_consents_without_an_order_take_the_latest_start(fresh_store):
    """Two access Consents whose decision dates cannot be read: the later start counts."""
    fresh_store.put([*PEOPLE, own({"dataPeriod": {"start": "2021-01-01"}}, cid="a", dateTime="soon"),
                     own({"dataPeriod": {"start": "2024-01-01"}}, cid="b")])
    assert open_record(fresh_store, PATIENT, TODAY).record_starts == dt.date(2024, 1, 1)
