"""Nearby shapes of the issue-15 outside attack on dose changes (clinical-reference §11.9, §11.1,
§5.2), written by the fixer: dose texts in more shapes, restarts after a gap by statement, end date
and order, gaps that are not restarts, cancelled and mistaken entries, and due dates counted from a
change. Records are hand-made for issue 15, shaped as a UK GP record (a repeat as an authorisation
`intent = plan` with issues `basedOn` it; statements with `effectivePeriod`), as in
tests/test_attack15.py; nothing here is real patient data. "Today" is 2026-11-25.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions.base import Context
from conditions.dose_changes import dose_events
from conditions.inflammatory_arthritis_rules import blood_set
from conditions.mental_health_rules import lithium_checks
from ltc_dashboard.record.doses import dose_amount, per_ml_in, strength_in
from ltc_dashboard.record.mapping import map_record

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
LITHIUM = "Lithium carbonate 400mg modified-release tablets"
METHOTREXATE = "Methotrexate 2.5mg tablets"
LEFLUNOMIDE = "Leflunomide 20mg tablets"
WEEKLY = "Take FOUR tablets ONCE a week"


def request(rid, when, name, text, status="active", intent="plan", based_on=None, end=None) -> dict:
    found = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": intent,
             "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/p"},
             "authoredOn": when, "dosageInstruction": [{"text": text}]}
    if based_on:
        found["basedOn"] = [{"reference": f"MedicationRequest/{based_on}"}]
    if end:
        found["dispenseRequest"] = {"validityPeriod": {"start": when, "end": end}}
    return found


def issue(rid, when, based_on, name, text) -> dict:
    return request(rid, when, name, text, status="completed", intent="order", based_on=based_on)


def statement(rid, start, name, text, status="active", end=None) -> dict:
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationStatement", "id": rid, "status": status,
            "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/p"},
            "effectivePeriod": period, "dateAsserted": start, "dosage": [{"text": text}]}


def level(when, value=0.6) -> dict:
    return {"resourceType": "Observation", "id": f"li-{when}", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "14334-7"}]}, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": "mmol/L"}}


def ra_and_bloods(when: str) -> list[dict]:
    found = [{"resourceType": "Condition", "id": "ra", "subject": {"reference": "Patient/p"},
              "clinicalStatus": {"coding": [{"code": "active"}]},
              "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2018-01-01",
              "code": {"coding": [{"system": SCT, "code": "69896004", "display": "Rheumatoid arthritis"}]}}]
    return found + [{"resourceType": "Observation", "id": f"{code}-{when}", "status": "final",
                     "code": {"coding": [{"system": SCT, "code": code}]}, "subject": {"reference": "Patient/p"},
                     "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": unit}}
                    for code, value, unit in (("1018251000000107", 20, "U/L"),
                                              ("1011481000000105", 80, "mL/min/1.73m2"))]


def context(*resources) -> Context:
    flat: list[dict] = []
    for item in resources:
        flat.extend(item if isinstance(item, list) else [item])
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01", "gender": "female",
               "name": [{"given": ["Ann"], "family": "Example"}]}
    return Context(record=map_record([patient, *flat]), today=TODAY, viewer_kind="patient",
                   patient_name="Ann Example")


def kinds(ctx: Context, medicine_class: str = "lithium") -> list[tuple[str, str]]:
    return [(e.date.isoformat(), e.kind) for e in dose_events(ctx, medicine_class)]


def level_check(ctx: Context):
    return next(c for c in lithium_checks(ctx) if c.id == "lithium")


# -- dose texts --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name", "mg_a_day"), [
    ("One tablet in the morning and one at night", LITHIUM, 800),
    ("400mg in the morning and at night", LITHIUM, 800),
    ("take one 400mg tablet at night", "Lithium carbonate modified-release tablets", 400),
    ("Lithium carbonate 400mg MR tablets: two at night and one in the morning", LITHIUM, 1200),
    ("5ml twice a day", "Lithium citrate 520mg/5ml oral solution", 1040),
    ("Take FOUR tablets on Mondays and Thursdays", METHOTREXATE, 20 / 7),
    ("Take 2 tablets twice a week", METHOTREXATE, 10 / 7),
    ("Take SIX tablets every Friday", METHOTREXATE, 15 / 7),
    ("Methotrexate 2.5mg tablets: take four on Mondays", METHOTREXATE, 10 / 7),
])
def test_dose_texts_read_as_mg_a_day(text, name, mg_a_day):
    """Each dose text shape reads as its mg a day: every part added, the strength in the text or
    between count and form not taken as the dose, mL times the strength per volume, named weekdays
    weekly."""
    amount, _ = dose_amount([{"text": text}], name)
    assert amount == pytest.approx(mg_a_day, abs=1e-3)


@pytest.mark.parametrize(("text", "name"), [
    ("Methotrexate 2.5mg tablets as directed by the clinic", METHOTREXATE),
    ("10ml twice a day", "Lithium carbonate 400mg modified-release tablets"),
])
def test_a_dose_text_that_cannot_be_read_says_nothing(text, name):
    """A text naming only the strength, or mL with no strength per volume, is not read (nothing is
    guessed): the strength is never taken as the dose."""
    assert dose_amount([{"text": text}], name)[0] is None


def test_a_strength_per_volume_is_not_a_tablet_strength():
    """"520mg/5ml" is 104mg per mL, not a 520mg strength to compare with tablets."""
    name = "Lithium citrate 520mg/5ml oral solution"
    assert (strength_in(name), per_ml_in(name)) == (None, 104)


def test_a_dose_quantity_in_ml_without_a_strength_per_volume_is_not_read():
    """doseQuantity 10 mL of a product named without mg per mL cannot be turned into mg."""
    dosage = {"doseAndRate": [{"doseQuantity": {"value": 10, "unit": "mL"}}]}
    assert dose_amount([dosage], "Lithium liquid")[0] is None


# -- restarts after a gap ----------------------------------------------------------------------------

def test_a_statement_completed_long_ago_then_a_new_statement_is_a_restart():
    """Lithium stated as completed in 2023 (effectivePeriod end) and stated again on 1 November
    2026: a start, with a level a week after it."""
    ctx = context(statement("s1", "2021-01-01", LITHIUM, "400mg at night", "completed", end="2023-05-01"),
                  statement("s2", "2026-11-01", LITHIUM, "400mg at night"))
    assert kinds(ctx) == [("2021-01-01", "start"), ("2026-11-01", "start")]
    assert level_check(ctx).due == dt.date(2026, 11, 8)


def test_an_authorisation_whose_end_date_passed_then_a_new_one_is_a_restart():
    """An authorisation marked active whose validity ended in 2023, then a new one in November
    2026: the end date ends it (§11.1), so the new one is a restart."""
    ctx = context(request("a", "2022-01-01", LITHIUM, "400mg at night", end="2023-01-01"),
                  issue("a-0", "2022-12-01", "a", LITHIUM, "400mg at night"),
                  request("b", "2026-11-10", LITHIUM, "400mg at night"))
    assert kinds(ctx)[-1] == ("2026-11-10", "start")


def test_issues_only_after_more_than_six_months_without_one_is_a_restart():
    """Issues with no authorisation in the record, the last in January 2026 and the next on
    1 November 2026: more than 6 months with no issue, so a restart."""
    ctx = context(request("o1", "2026-01-05", LITHIUM, "400mg at night", status="completed", intent="order"),
                  request("o2", "2026-11-01", LITHIUM, "400mg at night", status="completed", intent="order"))
    assert kinds(ctx) == [("2026-01-05", "start"), ("2026-11-01", "start")]


def test_a_gap_between_issues_under_an_authorisation_in_force_is_not_a_restart():
    """An authorisation from 2018 still active, issues exported only from 2026: the gap is the
    export's, not a stop, so only the first start is read (and a level older than it keeps that
    start unknown)."""
    ctx = context(request("a", "2018-01-01", LITHIUM, "400mg at night"),
                  issue("a-0", "2026-09-01", "a", LITHIUM, "400mg at night"),
                  issue("a-1", "2026-10-01", "a", LITHIUM, "400mg at night"),
                  level("2016-01-01"), level("2026-06-01"))
    assert kinds(ctx) == [("2018-01-01", "start")]
    assert level_check(ctx).interval_days == 183


def test_a_stop_and_restart_within_six_months_is_a_dose_change_not_a_start():
    """Lithium stopped after an issue in July and a new authorisation in November at a higher
    dose: within the 6-month window, so a dose increase, not a start."""
    ctx = context(request("a", "2022-01-01", LITHIUM, "400mg at night", status="stopped"),
                  issue("a-0", "2026-07-01", "a", LITHIUM, "400mg at night"),
                  request("b", "2026-11-10", LITHIUM, "600mg at night"))
    assert kinds(ctx)[-1] == ("2026-11-10", "increase")


def test_a_restart_says_started_again_and_older_levels_do_not_hide_it():
    """Levels from the earlier course are older than the restart; the restart is still a start,
    said in words as started again."""
    ctx = context(request("a", "2019-01-01", LITHIUM, "400mg at night", status="stopped"),
                  issue("a-0", "2023-06-01", "a", LITHIUM, "400mg at night"), level("2023-05-01"),
                  request("b", "2026-11-10", LITHIUM, "400mg at night"))
    check = level_check(ctx)
    assert (check.interval_days, check.due) == (7, dt.date(2026, 11, 17))
    assert "lithium was started again on 10 November 2026" in check.note


def test_lithium_restarted_in_the_year_is_three_monthly_once_stable():
    """A restart in March 2026, stable levels after it: 3-monthly for the first year from the
    restart, not 6-monthly."""
    ctx = context(request("a", "2019-01-01", LITHIUM, "400mg at night", status="stopped"),
                  issue("a-0", "2024-06-01", "a", LITHIUM, "400mg at night"),
                  request("b", "2026-03-02", LITHIUM, "400mg at night"),
                  level("2026-03-10"), level("2026-03-17"), level("2026-06-17"))
    check = level_check(ctx)
    assert check.interval_days == 91 and "started on 2 March 2026" in check.note


def test_methotrexate_restarted_beside_leflunomide_dates_the_combination_from_the_restart():
    """Leflunomide since 2024, methotrexate taken in 2019, stopped, and restarted on 1 June 2026:
    past its own fortnightly and monthly phases, the combination is monthly from the restart."""
    ctx = context(ra_and_bloods("2026-11-01"),
                  request("lef", "2024-01-01", LEFLUNOMIDE, "ONE tablet daily"),
                  issue("lef-0", "2026-11-01", "lef", LEFLUNOMIDE, "ONE tablet daily"),
                  request("mtx-old", "2019-01-01", METHOTREXATE, WEEKLY, status="stopped"),
                  issue("mtx-old-0", "2019-06-01", "mtx-old", METHOTREXATE, WEEKLY),
                  request("mtx", "2026-06-01", METHOTREXATE, WEEKLY),
                  issue("mtx-0", "2026-11-01", "mtx", METHOTREXATE, WEEKLY))
    check = blood_set(ctx).check
    assert check.interval_days == 31 and "since 1 June 2026" in check.note


# -- cancelled and mistaken entries ------------------------------------------------------------------

def test_a_cancelled_new_authorisation_keeps_the_medicine_current():
    """A cancelled newer authorisation does not end the lithium the older authorisation still
    authorises: it stays a current medicine with its checks."""
    ctx = context(request("a", "2022-01-01", LITHIUM, "400mg at night"),
                  issue("a-0", "2026-10-01", "a", LITHIUM, "400mg at night"),
                  request("b", "2026-11-10", LITHIUM, "600mg at night", status="cancelled"))
    assert ctx.medicines("lithium") and kinds(ctx) == [("2022-01-01", "start")]


def test_a_cancelled_authorisation_after_a_gap_is_not_a_restart():
    """Lithium stopped in 2023; an authorisation in November 2026 that was cancelled never came
    into force, so it is not a restart."""
    ctx = context(request("a", "2019-01-01", LITHIUM, "400mg at night", status="stopped"),
                  issue("a-0", "2023-06-01", "a", LITHIUM, "400mg at night"),
                  request("b", "2026-11-10", LITHIUM, "400mg at night", status="cancelled"))
    assert kinds(ctx) == [("2019-01-01", "start")]


def test_an_issue_entered_in_error_at_another_dose_is_not_a_dose_change():
    """An issue entered in error at 800mg between two 400mg issues changes nothing."""
    wrong = issue("a-1", "2026-11-01", "a", LITHIUM, "800mg at night")
    wrong["status"] = "entered-in-error"
    ctx = context(request("a", "2022-01-01", LITHIUM, "400mg at night"),
                  issue("a-0", "2026-10-01", "a", LITHIUM, "400mg at night"), wrong)
    assert kinds(ctx) == [("2022-01-01", "start")]


# -- due dates counted from the change ---------------------------------------------------------------

def test_dmard_bloods_after_an_increase_yesterday_are_due_from_the_increase_not_overdue():
    """A methotrexate increase yesterday with the last bloods in October: due 2 weeks after the
    increase (8 December), not overdue since October, and no question about late bloods."""
    ctx = context(ra_and_bloods("2026-10-01"),
                  request("m", "2020-01-01", METHOTREXATE, "Take FOUR tablets on Fridays"),
                  issue("m-0", "2026-10-20", "m", METHOTREXATE, "Take FOUR tablets on Fridays"),
                  request("n", "2026-11-24", METHOTREXATE, "Take SIX tablets ONCE a week"))
    found = blood_set(ctx)
    assert (found.check.due, found.check.status, found.missing) == (dt.date(2026, 12, 8), "ok", ())


def test_dmard_bloods_after_an_increase_two_weeks_ago_are_due_from_the_increase():
    """The attack's case: an increase on 10 November with bloods on 1 October is due on
    24 November (the increase plus 2 weeks), not 15 October."""
    ctx = context(ra_and_bloods("2026-10-01"),
                  request("m", "2020-01-01", METHOTREXATE, "Take FOUR tablets on Fridays"),
                  issue("m-0", "2026-10-20", "m", METHOTREXATE, "Take FOUR tablets on Fridays"),
                  request("n", "2026-11-10", METHOTREXATE, "Take SIX tablets ONCE a week"))
    assert blood_set(ctx).check.due == dt.date(2026, 11, 24)


def test_lithium_level_after_a_change_yesterday_is_due_a_week_after_it_not_overdue():
    """A lithium increase yesterday with the last level in September: due a week after the
    increase, not overdue."""
    ctx = context(request("a", "2022-01-01", LITHIUM, "400mg at night"),
                  issue("a-0", "2026-10-01", "a", LITHIUM, "400mg at night"), level("2026-09-01"),
                  request("b", "2026-11-24", LITHIUM, "400mg at night and 200mg in the morning"))
    check = level_check(ctx)
    assert (check.due, check.status) == (dt.date(2026, 12, 1), "ok")
