"""A care plan's activities and reviews as the care plan page shows them, from the same facts the
overview reads (issue 18: a scheduled review showed no date on the care plan page while the
overview said it was overdue).

A review's due date and status come from one place, the view's `CheckView` (the due/overdue
engine in conditions/base.py, the same object the overview and the condition page draw); the care
plan page shows that object beside the plan it reviews, never a date or status of its own making.
An activity's own date is read from its schedule (R4 `detail.scheduled[x]`) or the Appointment it
points at (`activity.reference`, R5 `plannedActivityReference`); one whose date cannot be read is
"date not recorded", and an activity is never called overdue. Pure: no streamlit, no store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conditions.base import CheckView, in_any
from ltc_dashboard.record.dates import human, parse
from ltc_dashboard.record.models import CarePlan, CarePlanActivity, PatientRecord

# FHIR CarePlan.activity.detail.status (R4) in plain words; anything else reads "status not known".
STATUS_WORDS = {"not-started": "not started", "scheduled": "scheduled", "in-progress": "in progress",
                "on-hold": "on hold", "completed": "done", "cancelled": "cancelled", "stopped": "stopped",
                "unknown": "status not known"}
PLANNED = ("not-started", "scheduled", "on-hold", None)  # statuses whose date is a plan, not a record
NO_DATE = "date not recorded"
NOT_HAPPENING = frozenset({"cancelled", "noshow", "entered-in-error"})  # Appointment.status (R4)


@dataclass(frozen=True)
class ActivityLine:
    """One activity in words: what, its status, its date, or `when` = "date not recorded" for a
    planned one with none readable, or a partial date at its precision ("March 2027", `date` None);
    or, for a review, the check that gives its due date and status."""

    text: str
    status: str
    when: str
    date: dt.date | None = None
    check: CheckView | None = None


def plan_checks(plan: CarePlan, checks: list[CheckView]) -> list[CheckView]:
    """The checks a plan's reviews count for: those whose evidence value sets (intervals.csv) hold
    the plan's category or title (a "Dementia care plan" is reviewed by the dementia care plan
    review). The same objects the overview shows, once each."""
    found = [c for c in checks if c.evidence and in_any(c.evidence, plan.category_codings, plan.title)]
    return list({c.id + (c.source or ""): c for c in found}.values())


def activity_line(activity: CarePlanActivity, record: PatientRecord, checks: list[CheckView]) -> ActivityLine:
    """An activity in words. One coded as something a check counts (a care-plan review) takes
    that check's due date and status; otherwise its own readable date, else "date not recorded"
    for a planned one (never "overdue")."""
    status = STATUS_WORDS.get(activity.status or "", "status not recorded" if activity.status is None else "status not known")
    text = activity.text or "Activity"
    check = next((c for c in checks if c.evidence and activity.codings and in_any(c.evidence, activity.codings, None)), None)
    if check is not None:
        return ActivityLine(text, status, "", check=check)
    days = list(activity.scheduled)
    wanted = appointment_id(activity.reference)
    if wanted:  # an Appointment that will not happen (cancelled, missed, in error) gives no date
        days += [a.start for a in record.appointments
                 if a.start and a.id == wanted and a.status not in NOT_HAPPENING]
    pick = min if activity.status in PLANNED else max
    if days:
        return ActivityLine(text, status, "", date=pick(days))
    if activity.scheduled_partial:  # "2027", "2027-03": said at its precision, never as the 1st
        found = parse(pick(activity.scheduled_partial))
        return ActivityLine(text, status, human(found.day, found.precision))
    return ActivityLine(text, status, NO_DATE if activity.status in PLANNED else "")  # none readable


def appointment_id(reference: str | None) -> str | None:
    """The Appointment id a reference names: "Appointment/a1", a version-specific
    "Appointment/a1/_history/2" or an absolute ".../Appointment/a1" (R4 References); a bare id is
    taken as is. None for a reference to anything else."""
    parts = [p for p in (reference or "").split("/") if p]
    if "_history" in parts:
        parts = parts[:parts.index("_history")]
    if len(parts) == 1:
        return parts[0]
    return parts[-1] if len(parts) >= 2 and parts[-2] == "Appointment" else None


def activity_lines(plan: CarePlan, record: PatientRecord, checks: list[CheckView]) -> list[ActivityLine]:
    """Every activity of a plan that has words, in the plan's order; entered-in-error ones left out."""
    return [activity_line(a, record, checks) for a in plan.activities
            if a.text and a.status != "entered-in-error"]
