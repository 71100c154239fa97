"""The repeat-specific rules of conditions/repeats.py beyond §11.1 (issue 21, after attack 21b): why
a repeat is listed but not offered (on hold, completed, a proposal, unnamed, a statement), a group
made only of another repeat's issues, a statement of a medicine also prescribed, unnamed requests
of one Medication grouped, and which requests count as the issue that answers an order (intent and
status, time of day, already in the record when ordered).

Records: the diabetes demo record (data/demo/diabetes.json, UK GP shape made by
data/demo/gen/medicines.py: an authorisation with intent plan, one issue per supply) with one more
resource per case, written in that shape with only the element under test changed; small records
mapped on their own in the shapes tests/test_current_medicines.py uses.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions.repeats import COMPLETED, ON_HOLD, PROPOSAL, STATEMENT, UNNAMED
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.service.repeats import OrderRefused
from test_attack21b import ME, choice, only_order, plan
from test_exports_support import (  # noqa: F401  (fixtures)
    demo_resource, export_store_template, service, today,
)
from test_repeats import ORDERED, issue

METFORMIN = "Metformin 500mg modified-release tablets"


# -- listed, not offered, and why ---------------------------------------------------------------------
@pytest.mark.parametrize("status, reason", [("on-hold", ON_HOLD), ("completed", COMPLETED)])
def test_an_authorisation_on_hold_or_completed_is_listed_with_why(service, status, reason):
    """Metformin's authorisation again with R4 status on-hold or completed: listed, not offered,
    with the reason in plain words; ordering it by its id is refused with that reason."""
    again = {**demo_resource("diabetes.json", "dm-med-metformin"), "meta": {"versionId": "2"}, "status": status}
    service._store.put([again])
    found = choice(service, METFORMIN)
    assert (found.offered, found.reason) == (False, reason)
    with pytest.raises(OrderRefused, match="cannot be ordered here"):
        service.prepare_order(ME, today(), ["dm-med-metformin"])


def test_a_proposal_is_listed_as_a_suggestion_and_an_unnamed_repeat_as_unnamed(service):
    """A continuous proposal says it is a suggestion; an authorisation whose medicine the record
    does not name (a reference to a Medication not held, no display) says so."""
    unnamed = {**plan("rules-unnamed", "x"), "medicationReference": {"reference": "Medication/rules-not-held"}}
    unnamed.pop("medicationCodeableConcept")
    service._store.put([plan("rules-prop", "Sertraline 50mg tablets", intent="proposal"), unnamed])
    assert (choice(service, "Sertraline 50mg tablets").reason, choice(service, "Unnamed medicine").reason) \
        == (PROPOSAL, UNNAMED)


def test_a_statement_is_listed_not_offered_unless_its_medicine_is_prescribed(service):
    """A MedicationStatement of levothyroxine (no request of it) is listed with why; one of
    metformin, which the record prescribes, adds nothing: metformin is listed once, offered."""
    def stated(rid: str, name: str) -> dict:
        return {"resourceType": "MedicationStatement", "id": rid, "status": "active",
                "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/dm-patient"},
                "effectivePeriod": {"start": "2024-02-01"}, "dateAsserted": "2026-11-10"}

    service._store.put([stated("rules-levo", "Levothyroxine 50microgram tablets"), stated("rules-met", METFORMIN)])
    names = [c.medication.name for c in service.repeat_choices(ME, today())]
    assert names.count(METFORMIN) == 1 and choice(service, METFORMIN).offered
    levo = choice(service, "Levothyroxine 50microgram tablets")
    assert (levo.offered, levo.reason, levo.medication.kind) == (False, STATEMENT, "statement")


def test_an_issue_under_another_name_is_not_a_repeat_of_its_own(service):
    """An issue of metformin's authorisation written as "Metformin 1g ..." (basedOn the plan) is
    that repeat's issue: not listed as a repeat of its own, and not orderable by its id."""
    service._store.put([issue("rules-met-1g", "2026-11-23", name="Metformin 1g modified-release tablets")])
    assert choice(service, "Metformin 1g modified-release tablets") is None
    with pytest.raises(OrderRefused):
        service.prepare_order(ME, today(), ["rules-met-1g"])


def test_unnamed_requests_of_one_medication_are_one_entry_and_contained_ones_stay_apart():
    """GP Connect shape: an authorisation and two issues referencing one Medication the record does
    not hold group as one "Unnamed medicine"; two requests each with its own contained Medication
    ("#m", no code) are two (a contained reference is each resource's own)."""
    def req(rid: str, reference: str, **more) -> dict:
        return {"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
                "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-10-01",
                "medicationReference": {"reference": reference}, **more}

    shared = [req("a", "Medication/gone", intent="plan"), req("i1", "Medication/gone", status="completed"),
              req("i2", "Medication/gone", status="completed")]
    contained = [req(f"c{n}", "#m", contained=[{"resourceType": "Medication", "id": "m"}]) for n in (1, 2)]
    meds = map_record([{"resourceType": "Patient", "id": "p1"}, *shared, *contained]).medications
    assert sorted(sorted(m.ids) for m in meds) == [["a", "i1", "i2"], ["c1"], ["c2"]]
    assert {m.name for m in meds} == {"Unnamed medicine"}


# -- which request answers an order -------------------------------------------------------------------
@pytest.mark.parametrize("intent, answers", [("plan", False), ("proposal", False), ("option", False),
                                             ("directive", False), ("original-order", True), ("instance-order", True)])
def test_only_an_order_intent_answers_an_order(service, intent, answers):
    """R4 medicationrequest-intent: a plan (authorisation), proposal (suggestion), option (one of
    several alternatives) or directive is no supply; the order intents are."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([{**issue("rules-intent", "2026-11-23"), "intent": intent, "status": "active"}])
    assert only_order(service).issued_on == (dt.date(2026, 11, 23) if answers else None)


@pytest.mark.parametrize("status, answers", [("on-hold", False), ("stopped", False), ("unknown", False),
                                             ("active", True), ("completed", True)])
def test_only_an_active_or_completed_issue_answers_an_order(service, status, answers):
    """R4 medicationrequest-status: an issue held, stopped or of unknown state was not supplied."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([{**issue("rules-status", "2026-11-23"), "status": status}])
    assert only_order(service).issued_on == (dt.date(2026, 11, 23) if answers else None)


def test_an_issue_later_on_the_order_day_marks_it_though_one_was_made_that_morning(service):
    """The record held a 09:00 issue of 20 November when metformin was ordered at 12:00; a 15:00
    issue that day answers the order (times compared, not days), the morning one never does."""
    service._store.put([issue("rules-morning", "2026-11-20T09:00:00Z")])
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    assert only_order(service).issued_on is None
    service._store.put([issue("rules-afternoon", "2026-11-20T15:00:00Z")])
    assert only_order(service).issued_on == dt.date(2026, 11, 20)


def test_an_issue_based_on_the_ordered_authorisation_under_another_code_marks_it(service):
    """basedOn comes first: an issue made from the ordered authorisation marks it even when its
    dm+d code differs (the UK Core example's amoxicillin code on an issue of metformin's plan)."""
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    coded = {**issue("rules-coded", "2026-11-23"), "medicationCodeableConcept": {"coding": [
        {"system": "https://dmd.nhs.uk", "code": "39732411000001106", "display": "Amoxicillin 500mg capsules"}]}}
    service._store.put([coded])
    assert only_order(service).issued_on == dt.date(2026, 11, 23)


def test_an_issue_of_another_code_and_name_not_based_on_the_order_does_not_mark_it(service):
    """Neither basedOn, code nor name match (another authorisation's issue): not the answer."""
    service._store.put([plan("rules-other-plan", "Amoxicillin 500mg capsules")])
    service.prepare_order(ME, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([issue("rules-other", "2026-11-23", plan="rules-other-plan", name="Amoxicillin 500mg capsules")])
    assert only_order(service).issued_on is None
