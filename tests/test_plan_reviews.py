"""A care plan's reviews and activities read the same date and status the overview does (issue
18: a scheduled review showed no date on the care plan page while the overview said it was
overdue), and a review whose date cannot be read is "date not recorded", never "overdue".

Activity shapes follow FHIR R4 CarePlan.activity (detail.scheduledTiming / scheduledPeriod /
scheduledString, activity.reference) and R5 (plannedActivityReference), hand-written for this
test; the UK Core sample is /work/shared/fhir-samples/ukcore-r4-xml/UKCore-CarePlan-WellnessPlan-
Example.xml (a daily repeat with no dates); the demo record is data/demo/dementia.json. Codes
come from data/terminology/valuesets.csv ([R3]). Nothing here is real patient data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conditions import dementia
from conditions import plan_activities as activities
from conditions.base import Context
from connectors import fhir_xml
from ltc_dashboard.record.mapping import map_record
from pages.text import ATTENTION, status_label
from test_app_support import DEMENTIA, demo_db, demo_db_template, go, no_errors, open_app, shown_summary  # noqa: F401

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
SCT = "http://snomed.info/sct"
UKCORE = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "ukcore-r4-xml" / "UKCore-CarePlan-WellnessPlan-Example.xml"
DEMENTIA_PLAN = {"coding": [{"system": SCT, "code": "736371006", "display": "Dementia care plan"}]}
REVIEW = ("956861000000107", "Review of dementia advance care plan")


def _patient() -> dict:
    return {"resourceType": "Patient", "id": "p", "birthDate": "1940-01-01", "name": [{"given": ["Ann"], "family": "Example"}]}


def _alzheimers() -> dict:
    return {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"}, "recordedDate": "2021-01-01",
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": SCT, "code": "26929004", "display": "Alzheimer's disease"}]}}


def _review(rid: str, when: str) -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": "Patient/p"},
            "effectiveDateTime": when, "code": {"coding": [{"system": SCT, "code": REVIEW[0], "display": REVIEW[1]}]}}


def _plan(*activity: dict) -> dict:
    return {"resourceType": "CarePlan", "id": "plan", "status": "active", "intent": "plan", "title": "Dementia care plan",
            "category": [DEMENTIA_PLAN], "subject": {"reference": "Patient/p"}, "period": {"start": "2021-04-06"},
            "activity": list(activity)}


def _appointment(rid: str, start: str) -> dict:
    return {"resourceType": "Appointment", "id": rid, "status": "booked", "start": start,
            "participant": [{"actor": {"reference": "Patient/p"}, "status": "accepted"}], "description": "Dementia review"}


def _lines(*resources):
    record = map_record([_patient(), _alzheimers(), *resources])
    ctx = Context(record=record, today=TODAY)
    view = dementia.SPEC.view(ctx)
    plan = record.care_plans[0]
    return activities.activity_lines(plan, record, view.checks), activities.plan_checks(plan, view.checks), view


def _detail(status: str, **scheduled) -> dict:
    return {"detail": {"status": status, "description": "Annual dementia review at the practice", **scheduled}}


@pytest.mark.parametrize(("activity", "extra", "date", "when"), [
    (_detail("scheduled", scheduledTiming={"event": ["2027-02-03T10:00:00+00:00"]}), [], dt.date(2027, 2, 3), ""),
    (_detail("scheduled", scheduledTiming={"repeat": {"boundsPeriod": {"start": "2027-03-01"}, "frequency": 1,
                                                      "period": 1, "periodUnit": "a"}}), [], dt.date(2027, 3, 1), ""),
    (_detail("not-started", scheduledPeriod={"start": "2027-01-10", "end": "2027-01-31"}), [], dt.date(2027, 1, 10), ""),
    (_detail("scheduled", scheduledString="next spring"), [], None, activities.NO_DATE),
    (_detail("scheduled", scheduledTiming={"repeat": {"frequency": 1, "period": 1, "periodUnit": "a"}}), [], None, activities.NO_DATE),
    (_detail("scheduled", scheduledPeriod={"start": "2026-02-30"}), [], None, activities.NO_DATE),  # no such day
    (_detail("scheduled"), [], None, activities.NO_DATE),
    ({"reference": {"reference": "Appointment/a1"}, "detail": {"status": "scheduled", "description": "Annual dementia review at the practice"}},
     [_appointment("a1", "2027-01-20T09:30:00+00:00")], dt.date(2027, 1, 20), ""),
    ({"plannedActivityReference": {"reference": "Appointment/a1"}, "detail": {"status": "scheduled", "description": "Annual dementia review at the practice"}},
     [_appointment("a1", "2027-01-20T09:30:00+00:00")], dt.date(2027, 1, 20), ""),  # R5 shape
    ({"reference": {"reference": "Appointment/gone", "display": "Annual dementia review at the practice"}}, [], None, activities.NO_DATE),
    (_detail("in-progress"), [], None, ""),  # not a planned date: nothing to say
])
def test_an_activity_has_its_own_readable_date_or_date_not_recorded(activity, extra, date, when):
    """Across schedule shapes, an activity shows the day it is scheduled for when one can be read
    (a Timing event or bounds, a Period, a referenced Appointment), else "date not recorded" while
    it is planned; its status never reads "overdue"."""
    lines, _, _ = _lines(_plan(activity), *extra)
    (line,) = lines
    assert (line.date, line.when) == (date, when)
    assert "overdue" not in f"{line.status} {line.when}".lower()


def test_a_plan_shows_the_same_review_check_the_overview_does():
    """A dementia care plan's review is the view's own check (last done, due, overdue), the object
    the overview lists; the plan's undated activity says "date not recorded" beside it."""
    lines, reviews, view = _lines(_plan(_detail("scheduled")), _review("r1", "2025-08-14"))
    check = next(c for c in view.checks if c.id == "care_plan_review")
    assert reviews == [check] and check.status == "overdue" and check.due == dt.date(2026, 8, 14)
    assert lines[0].when == activities.NO_DATE


def test_a_coded_review_activity_takes_the_checks_date_and_status():
    """An activity coded as a care-plan review shows the check's due date and status, not a second
    date of its own."""
    coded = {"detail": {"status": "scheduled", "code": {"coding": [{"system": SCT, "code": REVIEW[0], "display": REVIEW[1]}]},
                        "scheduledString": "when convenient"}}
    lines, _, view = _lines(_plan(coded), _review("r1", "2025-08-14"))
    assert lines[0].check == next(c for c in view.checks if c.id == "care_plan_review")


def test_a_review_with_an_unreadable_date_is_date_not_recorded_never_overdue():
    """A review recorded on a date that cannot be read may be the latest: the check is "date not
    recorded" (not overdue, not never), it still needs attention, and no overdue question is asked."""
    _, reviews, view = _lines(_plan(_detail("scheduled")), _review("r1", "2024-06-10"), _review("r2", "2026-13-01"))
    check = next(c for c in view.checks if c.id == "care_plan_review")
    assert (check.status, check.due, check.last_done) == ("undated", None, dt.date(2024, 6, 10))
    assert reviews == [check] and "undated" in ATTENTION
    assert status_label("undated") == "❔ Date not recorded"
    assert "dementia.care_plan_review" not in {q.rule_id for q in view.questions}


def test_the_uk_core_care_plan_sample_reads_without_a_date():
    """The UK Core wellness plan's activity (done, a daily repeat with no dates) maps with no date
    and says nothing about one: it is not planned."""
    record = map_record([fhir_xml.parse(UKCORE.read_text(encoding="utf-8"))])
    (plan,) = record.care_plans
    (line,) = activities.activity_lines(plan, record, [])
    assert (line.text, line.status, line.date, line.when) == ("Body weight", "done", None, "")
    assert plan.activities[0].schedule_unreadable


def test_care_plan_page_and_overview_agree_for_the_dementia_demo(demo_db):
    """On the dementia demo, the care plan page shows the review's status and due date as the
    overview has them, and the scheduled review activity as "date not recorded"."""
    at = go(open_app(DEMENTIA, "patient"), "overview")
    no_errors(at)
    check = next(c for v in shown_summary(at).conditions for c in v.checks if c.id == "care_plan_review")
    overview = [row for t in at.table for row in t.value.to_dict("records") if row.get("Check") == check.name]
    go(at, "care_plan")
    no_errors(at)
    rows = [row for t in at.table for row in t.value.to_dict("records") if row.get("Check") == check.name]
    assert overview and rows and rows[0]["Status"] == overview[0]["Status"] and rows[0]["Next due"] == overview[0]["Due"]
    assert any("Annual dementia review at the practice (scheduled; date not recorded)" in m.value for m in at.markdown)
