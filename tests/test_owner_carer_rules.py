"""A carer's admission and sync are decided by the gate alone (ltc_dashboard/gate/carer_access.py, issue 19):
pages/state.py and ltc_dashboard/intake/sync.py only ask it. The rules are pinned here on their own; the behaviour
through the pages and the sync is pinned by tests/test_attack_sync_carers.py,
tests/test_fix16_carers.py and tests/test_app_carer.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ltc_dashboard.gate.access import Viewer, carer_may_sync, proxy_links
from ltc_dashboard.gate.carer_access import ProxyLink, may_sync, still_admitted

# tests/conftest.py freezes LTC_TODAY here; not imported from it, because under the whole suite the
# module named `conftest` may be tests/browser's, whose TODAY is a string.
TODAY = dt.date(2026, 11, 25)

ROOT = Path(__file__).resolve().parent.parent
CARER = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")


def link(rp: str = "rp1", patient: str = "p1", active: bool = True) -> ProxyLink:
    return ProxyLink(related_person_id=rp, patient_id=patient, proxy_name="Cara Carer", relationship=None,
                     active_now=active)


def _raises():
    raise RuntimeError("the list cannot be read")


@pytest.mark.parametrize("viewer, listed, admitted", [
    (None, [], True),
    (Viewer(kind="patient", patient_id="p1"), [], True),
    (Viewer(kind="clinic", patient_id="p1"), [], True),
    (CARER, [link()], True),
    (CARER, [link(active=False)], True),  # listed without access: signed in, shown no record
    (CARER, [link(rp="rp2")], False),
    (CARER, [link(patient="p2")], False),  # the same RelatedPerson id for another person is not her
    (CARER, [], False),
])
def test_who_is_still_admitted(viewer, listed, admitted):
    """A patient and the shared screen by who they are; a carer only while listed for that patient."""
    assert still_admitted(viewer, lambda: listed) is admitted


def test_a_carer_is_not_admitted_when_the_list_cannot_be_read():
    """Fail closed: a list that raises admits no carer, and still admits the patient."""
    assert still_admitted(CARER, _raises) is False
    assert still_admitted(Viewer(kind="patient", patient_id="p1"), _raises) is True


@pytest.mark.parametrize("listed, ever_held, allowed", [
    ([link()], True, True),
    ([link(active=False)], True, False),  # listed, but no Consent lets her see the record today
    ([link(rp="rp2")], True, False),
    ([], True, False),  # held once and no longer listed (hidden, withdrawn, deleted)
    ([], False, True),  # never held: a first sync is the server's to decide
])
def test_who_may_sync(listed, ever_held, allowed):
    """Sync over a kept connection: listed with access today, or a RelatedPerson never held."""
    assert may_sync(listed, "p1", "rp1", lambda: ever_held) is allowed


def test_an_admitted_carer_does_not_need_the_store_asked_whether_she_was_held():
    """`ever_held` is asked only when the list does not admit her (a store read saved)."""
    assert may_sync([link()], "p1", "rp1", _raises) is True


def test_pages_and_sync_only_ask_the_gate():
    """pages/state.py and ltc_dashboard/intake/sync.py hold no carer rule of their own: they call the gate's."""
    state, sync = (ROOT / "pages" / "state.py").read_text(), (ROOT / "ltc_dashboard" / "intake" / "sync.py").read_text()
    assert "gate_still_admitted(" in state and "related_person_id" not in state
    assert "gate_rule(" in sync and "proxy_links" not in sync and "ever_stored" not in sync


def test_a_carer_named_by_a_versioned_or_absolute_patient_reference_is_listed(fresh_store):
    """RelatedPerson.patient is read by the one owner of "whose resource": a versioned or absolute
    reference lists her for that person (it used to be read as the id `p1/_history/2`)."""
    # Hand-made for this test: a patient, two RelatedPersons in other reference forms, a Consent for one.
    fresh_store.put([
        {"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat"}]},
        {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1/_history/2"},
         "name": [{"use": "official", "text": "Cara Carer"}]},
        {"resourceType": "RelatedPerson", "id": "rp2", "active": True,
         "patient": {"reference": "https://gp.example.nhs.uk/fhir/Patient/p1"}, "name": [{"text": "Rob Carer"}]},
        {"resourceType": "Consent", "id": "c1", "status": "active", "dateTime": "2020-01-01",
         "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "INFA"}]}],
         "patient": {"reference": "Patient/p1"},
         "provision": {"type": "permit", "period": {"start": "2020-01-01"},
                       "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}]}},
    ])
    listed = {(l.related_person_id, l.patient_id, l.proxy_name, l.active_now) for l in proxy_links(fresh_store, TODAY)}
    assert listed == {("rp1", "p1", "Cara Carer", True), ("rp2", "p1", "Rob Carer", False)}
    assert carer_may_sync(fresh_store, "p1", "rp1", TODAY) is True
    assert carer_may_sync(fresh_store, "p1", "rp2", TODAY) is False
    assert carer_may_sync(fresh_store, "p1", "rp-new", TODAY) is True
