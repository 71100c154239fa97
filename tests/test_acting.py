"""The gate's one rule for acting on a record (ltc_dashboard/gate/acting.py, attacks 21a and 21b): consent-action
`correct` in its own system, read over every provision at any depth with the rules for seeing, and
every add/act check of the service going through it (flags, readings, bookings, requests, orders).

Records: hand-made R4 Consents in clinical-reference §8.2's shape (patient-privacy, INFA, an IRCP
actor), about one patient p1 and her carer rp1, with one Observation labelled PSY (v3-ActCode,
data/terminology/sensitivity.csv: hidden only on the shared screen) and one plain.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.exports.feedback import FlagRefused
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes LTC_TODAY here
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
CAROL = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
ME = Viewer(kind="patient", patient_id="p1")


def actions(*codes: str, system: str | None = ACTION) -> list[dict]:
    return [{"coding": [{"system": system, "code": c} if system else {"code": c}]} for c in codes]


def kind(code: str) -> list[dict]:
    return [{"system": "http://hl7.org/fhir/resource-types", "code": code}]


def consent(action: list[dict], nested: list[dict] | None = None, **extra) -> dict:
    """Carol's Consent: a permit from 2025 with these actions and exceptions."""
    provision = {"type": "permit", "period": {"start": "2025-01-01"}, "action": action,
                 "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                                 "code": "IRCP"}]},
                            "reference": {"reference": "RelatedPerson/rp1"}}], **extra}
    if nested:
        provision["provision"] = nested
    return {"resourceType": "Consent", "id": "c1", "status": "active", "dateTime": "2025-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}], "patient": {"reference": "Patient/p1"},
            "provision": provision}


def observation(rid: str, labels: list[tuple[str, str]] = ()) -> dict:
    resource = {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": "Patient/p1"},
                "code": {"text": f"Note {rid}"}, "effectiveDateTime": "2026-10-01", "valueString": "x"}
    if labels:
        resource["meta"] = {"security": [{"system": s, "code": c} for s, c in labels]}
    return resource


@pytest.fixture
def make(tmp_path):
    """A Service over a fresh store holding p1, Carol, two Observations and the given Consent."""
    stores = []

    def build(given: dict) -> Service:
        store = Store(tmp_path / f"s{len(stores)}.db")
        stores.append(store)
        store.put([{"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann Test"}]},
                   {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"},
                    "name": [{"text": "Carol Carer"}]},
                   observation("plain"), observation("psy", [(ACT, "PSY")]), given])
        return Service(store)

    yield build
    for store in stores:
        store.close()


def acts(service: Service) -> dict:
    """Every add/act answer of the service for Carol."""
    return {"flag": service.may_flag(CAROL, TODAY), "readings": service.may_add_readings(CAROL, TODAY),
            "book": service.may_book(CAROL, TODAY), "requests": bool(service.request_kinds(CAROL, TODAY)),
            "order": service.may_order(CAROL, TODAY)}


ALL = {"flag": True, "readings": True, "book": True, "requests": True, "order": True}
NONE = {k: False for k in ALL}


def test_access_and_correct_let_her_do_everything_and_the_patient_always(make):
    """The plain permit of access and correct: every act is allowed; the patient's too."""
    service = make(consent(actions("access", "correct")))
    assert acts(service) == ALL
    assert service.may_add_readings(ME, TODAY) and service.may_order(ME, TODAY)


@pytest.mark.parametrize("action", [actions("access"), actions("access", "amend"), actions("access", "use", "disclose"),
                                    actions("access") + actions("correct", system=None),
                                    actions("access") + actions("correct", system="https://example.org/actions")],
                         ids=["access", "amend", "use-disclose", "bare-correct", "other-system-correct"])
def test_no_consentaction_correct_no_acting(make, action):
    """Only consent-action `correct` in its own system grants acting: a bare or local `correct`
    (its meaning is its system's), `amend` (no R4 code) or other actions do not."""
    assert acts(make(consent(action))) == NONE


def test_correct_alone_neither_shows_nor_acts(make):
    """A permit of `correct` only: nothing is shown (seeing needs access) and nothing may be done."""
    service = make(consent(actions("correct")))
    assert service.open(CAROL, TODAY).visible.denied_reason
    assert acts(service) == NONE


def test_a_nested_permit_scopes_acting_to_its_class(make):
    """Root access; a nested permit of correct for MedicationRequest (§8.2's repeat ordering):
    ordering only; readings, bookings, requests about the whole record and flags on Observations not."""
    service = make(consent(actions("access"), [{"type": "permit", "action": actions("correct"),
                                                "class": kind("MedicationRequest")}]))
    assert acts(service) == {**NONE, "order": True}


def test_a_deny_of_correct_for_one_class_takes_that_act_only(make):
    """Access and correct; a nested deny of correct for Appointments: she may not book, may do the rest."""
    service = make(consent(actions("access", "correct"), [{"type": "deny", "action": actions("correct"),
                                                           "class": kind("Appointment")}]))
    assert acts(service) == {**ALL, "book": False}


def test_a_deny_three_levels_down_is_read(make):
    """permit (access, correct) > permit Observation > permit > deny correct: no readings, and no
    flag on an Observation (her flags page stays: other entries, the person's details, are hers to flag)."""
    deep = {"type": "permit", "class": kind("Observation"), "provision": [
        {"type": "permit", "provision": [{"type": "deny", "action": actions("correct")}]}]}
    service = make(consent(actions("access", "correct"), [deep]))
    assert acts(service) == {**ALL, "readings": False}
    with pytest.raises(FlagRefused, match="consent"):
        service.flag_entry(CAROL, TODAY, "Observation/plain", "comment", "check this")


def test_a_deny_of_access_takes_acting_too(make):
    """A nested deny of access (no correct named) for Observations: a deny applies to acting unless
    surely about other actions (collect only), so no readings, and she no longer sees them."""
    service = make(consent(actions("access", "correct"), [{"type": "deny", "action": actions("access"),
                                                           "class": kind("Observation")}]))
    assert acts(service)["readings"] is False


def test_a_permit_needing_a_code_never_surely_covers_something_new(make):
    """A permit of correct only for a code: a new reading's code cannot be known, so not allowed."""
    service = make(consent(actions("access"), [{"type": "permit", "action": actions("correct"),
                                                "code": [{"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}]}]))
    assert acts(service)["readings"] is False


def test_a_deny_of_correct_for_a_label_stops_flagging_that_entry_only(make):
    """A nested deny of correct for PSY-labelled entries: she sees both Observations, may flag the
    plain one and not the PSY one."""
    service = make(consent(actions("access", "correct"), [{"type": "deny", "action": actions("correct"),
                                                           "securityLabel": [{"system": ACT, "code": "PSY"}]}]))
    assert service.open(CAROL, TODAY).visible.sees("Observation/psy")
    assert service.flag_entry(CAROL, TODAY, "Observation/plain", "comment", "check this")
    with pytest.raises(FlagRefused, match="consent"):
        service.flag_entry(CAROL, TODAY, "Observation/psy", "comment", "and this")


def test_an_unreadable_consent_lets_her_do_nothing(make):
    """A modifierExtension in an exception: the Consent cannot be relied on, for seeing or acting."""
    nested = [{"type": "permit", "modifierExtension": [{"url": "https://example.org/x", "valueBoolean": True}]}]
    assert acts(make(consent(actions("access", "correct"), nested))) == NONE


def test_a_permit_ended_yesterday_lets_her_do_nothing(make):
    """provision.period ended the day before: nothing is shown and nothing may be done."""
    assert acts(make(consent(actions("access", "correct"), period={"start": "2025-01-01", "end": "2026-11-24"}))) == NONE
