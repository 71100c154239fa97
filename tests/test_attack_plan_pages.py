"""Outside attack on the care plan page and the overview (issue 18: "a scheduled review shows its
date from the same check the overview shows; an unreadable date is 'Date not recorded', never
overdue"), through the pages a person sees (AppTest, today frozen by tests/conftest.py).

The record is hand-written for this attack with FHIR partial dates, which R4 allows in
CarePlan.period.start, CarePlan.activity.detail.scheduledPeriod.start and
Observation.effectiveDateTime ("2021", "2027-03", "2025"); codes as tests/test_plan_reviews.py
(SNOMED 736371006 dementia care plan, 956861000000107 review of dementia advance care plan,
26929004 Alzheimer's disease, from data/terminology/valuesets.csv). Nothing here is real patient
data. Tests marked xfail(strict) are breaks found by this attack: a fix flips them.
"""

from __future__ import annotations

import pytest

from ltc_dashboard.store import Store
from test_app_support import go, no_errors, open_app, texts
from test_attack_plan_reviews import _alzheimers, _detail, _patient, _plan, _review


@pytest.fixture
def partial_db(tmp_path, monkeypatch):
    """A store holding a dementia care plan that started in "2021", an activity planned for
    "2027-03", and a review of the advance care plan recorded in "2025", chosen through LTC_DB."""
    plan = _plan(_detail(scheduledPeriod={"start": "2027-03"}))
    plan["period"] = {"start": "2021"}
    path = tmp_path / "app.db"
    store = Store(path)
    store.put([_patient(), _alzheimers(), plan, _review("r1", "2025")])
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))
    return path


def test_partial_dates_are_never_shown_as_days_or_made_overdue(partial_db):
    """On the overview and the care plan page, a date the record gave only as a year or a month is
    never shown as a day it did not give (ltc_dashboard/record/models.py: "2019" is never shown as "1 January
    2019"), and the review recorded in "2025" is not called overdue on either page."""
    at = open_app("p", "patient")
    no_errors(at)
    overview = texts(at)
    go(at, "care_plan")
    no_errors(at)
    care_plan = texts(at)
    for invented in ("1 January 2021", "1 March 2027", "1 January 2025", "1 January 2026"):
        assert invented not in care_plan and invented not in overview, invented
    assert "Overdue" not in overview and "Overdue" not in care_plan


def test_the_care_plan_page_and_the_overview_give_the_review_one_status(partial_db):
    """Whatever the status of the review recorded in "2025", the care plan page's table of the
    plan's reviews and the overview's list of checks give the same one (the same CheckView)."""
    at = open_app("p", "patient")
    no_errors(at)
    overview = [row for t in at.table for row in t.value.to_dict("records") if row.get("Check") == "Dementia care plan review"]
    go(at, "care_plan")
    no_errors(at)
    plan = [row for t in at.table for row in t.value.to_dict("records") if row.get("Check") == "Dementia care plan review"]
    assert len(plan) == 1 and len(overview) <= 1
    if overview:
        assert overview[0]["Status"] == plan[0]["Status"]
