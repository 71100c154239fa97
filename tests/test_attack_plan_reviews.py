"""Outside attack on "a scheduled review shows its date from the same check the overview shows;
an unreadable date is 'Date not recorded', never overdue" and on the care plan page's activity
dates (issue 18): ltc_dashboard/record/mapping_plans._schedule, conditions/plan_activities.py,
conditions/base.check_from_row / undated_evidence, summary.build_summary.

The records are hand-written for this attack: CarePlan.activity in the R4 shapes
(detail.scheduledTiming event/repeat.boundsPeriod, scheduledPeriod, scheduledString,
activity.reference to an Appointment, relative and versioned `Appointment/a1/_history/2` as R4
References allow) and R5's plannedActivityReference; Appointment.status from the R4 value set
(cancelled, noshow); FHIR partial dates ("2025", "2025-11") and dateTimes with offsets west and
east of the UK. Codes are those of tests/test_plan_reviews.py (SNOMED 736371006 dementia care
plan, 956861000000107 review of dementia advance care plan, 26929004 Alzheimer's disease), as in
data/terminology/valuesets.csv. Nothing here is real patient data.

Tests marked xfail(strict) are breaks found by this attack: a fix flips them.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conditions import dementia
from conditions import plan_activities as activities
from conditions.base import Context
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.store import Store
from ltc_dashboard.summary.core import build_summary

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
SCT = "http://snomed.info/sct"
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


def _plan(*activity: dict, pid: str = "plan", status: str = "active") -> dict:
    return {"resourceType": "CarePlan", "id": pid, "status": status, "intent": "plan", "title": "Dementia care plan",
            "category": [DEMENTIA_PLAN], "subject": {"reference": "Patient/p"}, "period": {"start": "2021-04-06"},
            "activity": list(activity)}


def _appointment(rid: str, start: str, status: str = "booked") -> dict:
    return {"resourceType": "Appointment", "id": rid, "status": status, "start": start,
            "participant": [{"actor": {"reference": "Patient/p"}, "status": "accepted"}], "description": "Dementia review"}


def _detail(status: str = "scheduled", **scheduled) -> dict:
    return {"detail": {"status": status, "description": "Annual dementia review at the practice", **scheduled}}


def _by_reference(reference: str, key: str = "reference") -> dict:
    return {key: {"reference": reference}, "detail": {"status": "scheduled", "description": "Annual dementia review at the practice"}}


def _view(*resources):
    record = map_record([_patient(), _alzheimers(), *resources])
    view = dementia.SPEC.view(Context(record=record, today=TODAY))
    review = next(c for c in view.checks if c.id == "care_plan_review")
    lines = [line for plan in record.care_plans for line in activities.activity_lines(plan, record, view.checks)]
    return lines, review, view


# -- the Appointment an activity points at ----------------------------------------------------------

@pytest.mark.parametrize("status", ["cancelled", "noshow"])
def test_a_cancelled_appointment_gives_the_activity_no_date(status):
    """A scheduled activity whose activity.reference is an Appointment with status cancelled (or
    noshow): that day is not when the review will happen, so the activity must not show 20 January
    2027 as its date; with no other schedule it is "date not recorded"."""
    lines, _, _ = _view(_plan(_by_reference("Appointment/a1")), _appointment("a1", "2027-01-20T09:30:00+00:00", status))
    (line,) = lines
    assert line.date != dt.date(2027, 1, 20) and line.when == activities.NO_DATE


@pytest.mark.parametrize("key", ["reference", "plannedActivityReference"])
def test_a_booked_appointment_gives_its_uk_day(key):
    """A booked Appointment at 00:30 on 21 January 2027 at +02:00 is 22:30 on 20 January in the UK:
    the activity's date is the UK day, in the R4 and the R5 shape."""
    lines, _, _ = _view(_plan(_by_reference("Appointment/a1", key)), _appointment("a1", "2027-01-21T00:30:00+02:00"))
    assert [(line.date, line.when) for line in lines] == [(dt.date(2027, 1, 20), "")]


def test_a_versioned_reference_finds_its_appointment():
    """R4 allows a version-specific reference ("Appointment/a1/_history/2"); it points at the
    Appointment a1 in the record, so the activity shows that appointment's day."""
    lines, _, _ = _view(_plan(_by_reference("Appointment/a1/_history/2")), _appointment("a1", "2027-01-20T09:30:00+00:00"))
    assert [(line.date, line.when) for line in lines] == [(dt.date(2027, 1, 20), "")]


# -- an activity's own schedule ------------------------------------------------------------------------

@pytest.mark.parametrize("scheduled", [
    {"scheduledPeriod": {"end": "2027-03-01"}},  # only an end: no start to show
    {"scheduledTiming": {"repeat": {"boundsPeriod": {"end": "2027-01-01"}, "frequency": 1, "period": 1, "periodUnit": "a"}}},
    {"scheduledTiming": {"repeat": {"boundsDuration": {"value": 1, "unit": "a"}}}},
    {"scheduledString": "after the memory clinic"},
    {"scheduledTiming": {"event": ["2027-02-30"]}},  # no such day
])
def test_a_schedule_with_no_readable_start_is_date_not_recorded(scheduled):
    """Schedules that hold no day to show: "date not recorded", never a date, never overdue."""
    lines, _, _ = _view(_plan(_detail(**scheduled)))
    assert [(line.date, line.when) for line in lines] == [(None, activities.NO_DATE)]
    assert "overdue" not in f"{lines[0].status} {lines[0].when}"


def test_an_event_west_of_the_uk_is_shown_on_its_uk_day():
    """An event at 23:30 on 3 February 2027 at -05:00 is 04:30 on 4 February in the UK."""
    lines, _, _ = _view(_plan(_detail(scheduledTiming={"event": ["2027-02-03T23:30:00-05:00"]})))
    assert lines[0].date == dt.date(2027, 2, 4)


@pytest.mark.parametrize("start", ["2027", "2027-03"])
def test_a_partial_schedule_date_is_not_shown_as_a_day(start):
    """scheduledPeriod.start "2027" (or "2027-03"), a FHIR partial dateTime: the page must not show
    "1 January 2027" (or "1 March 2027"); ltc_dashboard/record/models.py promises "2019" is never shown as
    "1 January 2019". The activity line either keeps the precision or shows no day."""
    (line,) = _view(_plan(_detail(scheduledPeriod={"start": start})))[0]
    assert line.date is None or getattr(line, "date_precision", "day") != "day"


def test_activities_entered_in_error_are_left_out_and_plans_entered_in_error_are_not_listed():
    """An activity with detail.status entered-in-error is not listed; a CarePlan entered-in-error
    is not in the record at all."""
    lines, _, _ = _view(_plan({"detail": {"status": "entered-in-error", "description": "Wrong patient"}}),
                        _plan(_detail(), pid="gone", status="entered-in-error"))
    assert lines == []


def test_two_plans_show_the_one_review_check():
    """Two dementia care plans (one active, one revoked) both show the same review check, the
    object the overview lists: one due date, one status."""
    record = map_record([_patient(), _alzheimers(), _plan(_detail()), _plan(_detail(), pid="old", status="revoked"),
                         _review("r1", "2025-08-14")])
    view = dementia.SPEC.view(Context(record=record, today=TODAY))
    shown = [activities.plan_checks(plan, view.checks) for plan in record.care_plans]
    assert len(shown) == 2 and shown[0] == shown[1] and [c.due for c in shown[0]] == [dt.date(2026, 8, 14)]


# -- the review's own date: partial, zoned ------------------------------------------------------------

@pytest.mark.parametrize(("when", "day", "status"), [
    ("2025-11-26T00:30:00+01:00", dt.date(2025, 11, 25), "due-soon"),  # 23:30 on the 25th in the UK
    ("2025-11-24T23:30:00-05:00", dt.date(2025, 11, 25), "due-soon"),  # 04:30 on the 25th in the UK
])
def test_a_review_across_midnight_is_counted_on_its_uk_day(when, day, status):
    """A review recorded just after midnight east of the UK, or just before midnight west of it,
    counts on its UK day; due a year later (25 November 2026, today), not overdue."""
    _, review, view = _view(_plan(_detail()), _review("r1", when))
    assert (review.last_done, review.due, review.status) == (day, dt.date(2026, 11, 25), status)
    assert "dementia.care_plan_review" not in {q.rule_id for q in view.questions}


@pytest.mark.parametrize("when", ["2025", "2025-11"])
def test_a_review_with_a_partial_date_is_never_overdue(when):
    """A review of the dementia advance care plan recorded as "2025" (or "2025-11"): it may have
    been on 31 December (30 November) 2025, due a year later, so today (25 November 2026) it is not
    certainly overdue: never "overdue", and no overdue question."""
    _, review, view = _view(_plan(_detail()), _review("r1", when))
    assert review.status != "overdue"
    assert "dementia.care_plan_review" not in {q.rule_id for q in view.questions}


def test_the_overview_never_says_overdue_for_a_review_dated_only_by_year(tmp_path):
    """The same record stored and opened through the access gate for the patient, summarised as the
    overview is: the dementia view's care-plan review check is not "overdue"."""
    store = Store(tmp_path / "app.db")
    store.put([_patient(), _alzheimers(), _plan(_detail()), _review("r1", "2025")])
    visible = open_record(store, Viewer(kind="patient", patient_id="p"), TODAY)
    view = {v.id: v for v in build_summary(visible).conditions}["dementia"]
    store.close()
    check = next(c for c in view.checks if c.id == "care_plan_review")
    assert check.status != "overdue"


def test_an_impossible_review_date_beside_an_old_one_is_date_not_recorded_through_the_gate(tmp_path):
    """A review on 10 June 2024 and one on "2026-02-30" (no such day), stored and opened through the
    gate for the patient: the check is "undated" (Date not recorded), not overdue."""
    store = Store(tmp_path / "app.db")
    store.put([_patient(), _alzheimers(), _plan(_detail()), _review("r1", "2024-06-10"), _review("r2", "2026-02-30")])
    visible = open_record(store, Viewer(kind="patient", patient_id="p"), TODAY)
    view = {v.id: v for v in build_summary(visible).conditions}["dementia"]
    store.close()
    check = next(c for c in view.checks if c.id == "care_plan_review")
    assert (check.status, check.due) == ("undated", None)


# -- an advance care plan held as a CarePlan: which ones the planning questions count ---------------

def _acp_plan(status: str, intent: str, start: str = "2025-03-01") -> dict:
    """A CarePlan whose category is SNOMED 736366004 "Advance care plan" (valuesets.csv advance_care_plan)."""
    return {"resourceType": "CarePlan", "id": "acp", "status": status, "intent": intent, "title": "Advance care plan",
            "category": [{"coding": [{"system": SCT, "code": "736366004", "display": "Advance care plan"}]}],
            "subject": {"reference": "Patient/p"}, "period": {"start": start}}


def _says_none(*resources) -> list[str]:
    """The suggested questions that say no advance care plan is recorded, for a person on the end
    of life register who chose to see planning prompts (as tests/test_plan_agreement.py asks)."""
    from conditions import end_of_life as eol
    from conditions import end_of_life_rules as planning
    from conditions.base import ConditionView

    register = {"resourceType": "Flag", "id": "reg", "status": "active", "subject": {"reference": "Patient/p"},
                "period": {"start": "2025-01-01"}, "code": {"coding": [{"system": SCT, "code": "526631000000108"}]}}
    ctx = Context(record=map_record([_patient(), register, *resources]), today=TODAY,
                  preferences={planning.PROMPTS_PREFERENCE: "yes"})
    empty = ConditionView(id="x", title="x")
    return [q.rule_id for q in (*dementia.ask_plan_ahead(ctx, empty), *eol.ask_no_plan(ctx, empty))]


ASKED = ["dementia.plan_ahead", "end_of_life.no_plan_document"]


@pytest.mark.parametrize(("status", "intent", "asked"), [
    ("active", "plan", []), ("completed", "plan", []), ("revoked", "plan", ASKED), ("entered-in-error", "plan", ASKED),
])
def test_an_agreed_advance_care_plan_careplan_silences_the_question_and_a_revoked_one_does_not(status, intent, asked):
    """An active (or completed: it was agreed) advance care plan held as a CarePlan counts: no
    question says none is recorded; a revoked or entered-in-error one does not count."""
    assert _says_none(_acp_plan(status, intent)) == asked


@pytest.mark.parametrize(("status", "intent"), [("draft", "plan"), ("active", "proposal"), ("active", "option")])
def test_a_draft_or_proposed_advance_care_plan_is_not_counted_as_recorded(status, intent):
    """A CarePlan "Advance care plan" with status draft (R4: "being developed and is not yet ready
    for use") or intent proposal/option (a suggestion, not a plan anyone has agreed to carry out):
    no advance care plan has been agreed, so the question that none is recorded is still asked."""
    assert _says_none(_acp_plan(status, intent)) == ASKED


@pytest.mark.parametrize(("start", "asked"), [("2026-11-26T00:30:00+02:00", []),  # 22:30 on 25 November in the UK
                                              ("2026-11-26T09:00:00+02:00", ASKED)])  # tomorrow in the UK
def test_an_advance_care_plan_started_across_midnight_counts_from_its_uk_day(start, asked):
    """A plan whose period starts just after midnight east of the UK began today in the UK and
    counts; one starting tomorrow in the UK does not yet."""
    assert _says_none(_acp_plan("active", "plan", start)) == asked


@pytest.mark.parametrize("kind", ["patient", "proxy", "clinic"])
def test_a_hidden_appointment_gives_no_date_through_the_gate(tmp_path, kind):
    """An activity pointing at an Appointment labelled restricted (meta.security Confidentiality
    "R", hidden from every viewer, ltc_dashboard/gate/access.py): opened through the gate for the patient, a
    carer (tests/situation_records.carer) and the shared screen, the activity says "date not
    recorded" or the plan itself is withheld (the gate withholds what points at a hidden entry,
    ltc_dashboard/gate/chains.py); the hidden appointment's day appears in no activity line."""
    from situation_records import CARER, PID, carer

    def mine(resource: dict) -> dict:  # the same resource, about the carer's patient
        if resource["resourceType"] == "Patient":
            return {**resource, "id": PID}
        return json.loads(json.dumps(resource).replace('"Patient/p"', f'"Patient/{PID}"'))

    hidden = {**_appointment("a1", "2027-01-20T09:30:00+00:00"),
              "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]}}
    store = Store(tmp_path / "app.db")
    store.put([mine(r) for r in (_patient(), _alzheimers(), _plan(_by_reference("Appointment/a1")), hidden)] + carer())
    viewer = Viewer(kind=kind, patient_id=PID, proxy_id=CARER if kind == "proxy" else None)
    record = map_record(list(open_record(store, viewer, TODAY).resources))
    store.close()
    assert record.appointments == []
    lines = [line for plan in record.care_plans for line in activities.activity_lines(plan, record, [])]
    assert all((line.date, line.when) == (None, activities.NO_DATE) for line in lines)


def _unreadable(kind: str, status: str) -> dict:
    """A review of the dementia advance care plan on "2026-13-01" (no such month), as an
    Observation, Procedure or Condition with the given status (R4 value sets)."""
    code = {"coding": [{"system": SCT, "code": REVIEW[0], "display": REVIEW[1]}]}
    if kind == "Observation":
        return {**_review("bad", "2026-13-01"), "status": status}
    if kind == "Procedure":
        return {"resourceType": "Procedure", "id": "bad", "status": status, "subject": {"reference": "Patient/p"},
                "performedDateTime": "2026-13-01", "code": code}
    return {"resourceType": "Condition", "id": "bad", "subject": {"reference": "Patient/p"}, "recordedDate": "2026-13-01",
            "verificationStatus": {"coding": [{"code": status}]}, "code": code}


@pytest.mark.parametrize(("kind", "status", "expected"), [
    ("Observation", "final", "undated"), ("Observation", "entered-in-error", "overdue"),
    ("Observation", "cancelled", "overdue"), ("Observation", "preliminary", "overdue"),
    ("Procedure", "completed", "undated"), ("Procedure", "not-done", "overdue"), ("Procedure", "entered-in-error", "overdue"),
    ("Condition", "confirmed", "undated"), ("Condition", "entered-in-error", "overdue"), ("Condition", "refuted", "overdue"),
])
def test_only_an_entry_that_counts_makes_an_overdue_review_date_not_recorded(kind, status, expected):
    """Beside a review from June 2024 (overdue), an entry with an unreadable date turns the check
    into "Date not recorded" only when it would count had its date been readable; one entered in
    error, cancelled, preliminary, not done or refuted leaves the check overdue."""
    _, review, _ = _view(_plan(_detail()), _review("r1", "2024-06-10"), _unreadable(kind, status))
    assert review.status == expected
