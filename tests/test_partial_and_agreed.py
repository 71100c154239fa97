"""The rules the fix for the outside attack on issue 18 had to decide (docs/rules/results_and_plans.md),
beyond what the attack tests pin: a partial review date that leaves no doubt keeps its status; which
CarePlan statuses count as an agreed advance care plan; every R4 reference form and every
Appointment status that will not happen; a Goal's excluded ends in words; an exact HbA1c judged at
the whole mmol/mol it is shown as, a limit never rounded across a bound.

Records are hand-written with the helpers and codes of tests/test_attack_plan_reviews.py and
tests/test_attack_verdict.py (SNOMED 956861000000107 review of dementia advance care plan,
736366004 advance care plan, 999791000000106 IFCC HbA1c, from data/terminology/valuesets.csv and
code_units.csv). Today is frozen by tests/conftest.py at 25 November 2026. No real patient data.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions import plan_activities as activities
from conditions import verdict
from conditions.target_words import target_text
from test_attack_plan_reviews import ASKED, _acp_plan, _appointment, _by_reference, _detail, _plan, _review, _says_none, _view
from test_attack_verdict import _goal, _hba1c, _measure


@pytest.mark.parametrize(("when", "status", "shown"), [
    ("2023", "overdue", "2023"),          # even on 31 December 2023, a yearly review was due by 2024: certainly overdue
    ("2024-06", "overdue", "June 2024"),  # the last possible day, 30 June 2024, was due 30 June 2025
    ("2026-03", "ok", "March 2026"),      # even on 1 March 2026 it is due 1 March 2027: certainly in time
])
def test_a_partial_review_date_that_leaves_no_doubt_keeps_its_status(when, status, shown):
    """Judged across every day the date stands for: when the first and the last possible day give
    the same status, that is the status, and the last-done date is said at its precision."""
    from ltc_dashboard.record.dates import human

    _, review, _ = _view(_plan(_detail()), _review("r1", when))
    assert review.status == status
    assert human(review.last_done, review.last_done_precision) == shown


def test_a_full_date_beside_a_partial_one_cannot_hide_it():
    """A review on 1 February 2025 and one in "2025" (which may be December): due between
    1 February and 31 December 2026, so on 25 November 2026 neither overdue nor certainly not."""
    _, review, view = _view(_plan(_detail()), _review("r1", "2025-02-01"), _review("r2", "2025"))
    assert (review.status, review.due) == ("undated", None)
    assert "dementia.care_plan_review" not in {q.rule_id for q in view.questions}


@pytest.mark.parametrize(("status", "intent", "asked"), [
    ("on-hold", "plan", []), ("active", "order", []), ("unknown", "plan", ASKED), ("active", "directive", []),
])
def test_which_careplan_statuses_count_as_an_agreed_advance_care_plan(status, intent, asked):
    """On hold (agreed, paused) and an order count; status unknown is not trusted to be agreed."""
    assert _says_none(_acp_plan(status, intent)) == asked


def test_a_careplan_with_no_status_is_not_counted():
    """CarePlan.status is required (R4); a plan without one is not trusted to be agreed."""
    plan = _acp_plan("active", "plan")
    del plan["status"]
    assert _says_none(plan) == ASKED


@pytest.mark.parametrize("reference", ["Appointment/a1", "https://example.org/fhir/Appointment/a1",
                                       "https://example.org/fhir/Appointment/a1/_history/7", "a1"])
def test_every_reference_form_finds_the_appointment(reference):
    lines, _, _ = _view(_plan(_by_reference(reference)), _appointment("a1", "2027-01-20T09:30:00+00:00"))
    assert [line.date for line in lines] == [dt.date(2027, 1, 20)]


@pytest.mark.parametrize("reference", ["Encounter/a1", "Appointment/a2"])
def test_a_reference_to_something_else_gives_no_date(reference):
    lines, _, _ = _view(_plan(_by_reference(reference)), _appointment("a1", "2027-01-20T09:30:00+00:00"))
    assert [(line.date, line.when) for line in lines] == [(None, activities.NO_DATE)]


def test_an_appointment_entered_in_error_gives_no_date():
    lines, _, _ = _view(_plan(_by_reference("Appointment/a1")),
                        _appointment("a1", "2027-01-20T09:30:00+00:00", "entered-in-error"))
    assert [line.date for line in lines] == [None]


@pytest.mark.parametrize(("low", "high", "inclusive", "words"), [
    (48, 58, (True, True), "48 to 58 mmol/mol"),
    (48, 58, (False, True), "above 48 mmol/mol and 58 mmol/mol or below"),
    (48, 58, (True, False), "48 mmol/mol or above and below 58 mmol/mol"),
    (None, 53, (True, False), "below 53 mmol/mol"),
    (40, None, (False, True), "above 40 mmol/mol"),
])
def test_target_words_say_each_excluded_end(low, high, inclusive, words):
    assert target_text(low, high, "mmol/mol", *inclusive) == words


def test_a_goal_range_with_an_excluded_end_is_judged_as_worded():
    """Targets '>48' and '<=58': 48 is outside "above 48 mmol/mol and 58 mmol/mol or below", 58 within."""
    goal = _goal(quantity={"value": 48, "comparator": ">", "unit": "mmol/mol"})
    goal["target"].append({**goal["target"][0], "detailQuantity": {"value": 58, "comparator": "<=", "unit": "mmol/mol"}})
    measure = _measure(goal, _hba1c("o1", "2026-09-12", {"value": 48, "unit": "mmol/mol"}),
                       _hba1c("o2", "2026-10-12", {"value": 58, "unit": "mmol/mol"}))
    assert measure.target == "above 48 mmol/mol and 58 mmol/mol or below"
    assert [verdict.words(measure, p) for p in measure.series] == ["below the target", "within the target"]


def test_crossing_goal_targets_set_no_target():
    """Targets '>=60' and '<=50' cannot both be met: not trusted, so the guideline 48 applies."""
    goal = _goal(quantity={"value": 60, "comparator": ">=", "unit": "mmol/mol"})
    goal["target"].append({**goal["target"][0], "detailQuantity": {"value": 50, "comparator": "<=", "unit": "mmol/mol"}})
    measure = _measure(goal, _hba1c("o1", "2026-10-12", {"value": 55, "unit": "mmol/mol"}))
    assert not measure.target_personal and measure.target_high == 48


@pytest.mark.parametrize(("quantity", "said"), [
    ({"value": 48.4, "unit": "mmol/mol"}, "within the target"),   # shown as 48, judged as 48
    ({"value": 48.5, "unit": "mmol/mol"}, "above the target"),    # shown as 49 (half up)
    ({"value": 47.6, "unit": "mmol/mol", "comparator": ">"}, ""),  # somewhere above 47.6: not rounded to ">48"
])
def test_hba1c_is_judged_at_the_whole_number_it_is_shown_as(quantity, said):
    from pages import charts

    measure = _measure(_hba1c("o1", "2026-10-12", quantity))
    row = charts.series_rows(measure)[0]
    assert row["How it compares"] == said
    assert row["Result"] == {48.4: "48 mmol/mol", 48.5: "49 mmol/mol", 47.6: ">47.6 mmol/mol"}[quantity["value"]]
