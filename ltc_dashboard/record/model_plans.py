"""Care plans and goals as mapped entries (ltc_dashboard/record/mapping_plans.py makes them; ltc_dashboard/record/models.py
re-exports them and lists them in `PatientRecord`). Split from ltc_dashboard/record/models.py to keep it under
400 lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import field

from ltc_dashboard.record.model_base import Coding, Entry, entry


@entry
class CarePlanActivity:
    """One thing a care plan says will be done."""

    text: str | None = None
    status: str | None = None
    codings: list[Coding] = field(default_factory=list)
    scheduled: list[dt.date] = field(default_factory=list)  # readable days of detail.scheduled[x]
    scheduled_partial: list[str] = field(default_factory=list)  # "2027", "2027-03": shown at their precision
    schedule_unreadable: bool = False  # a schedule was given but holds no readable day ("next spring")
    reference: str | None = None  # activity.reference (R4) or plannedActivityReference (R5), "Appointment/1"


@entry
class CarePlan(Entry):
    """A care plan (rare in UK GP data, common in apps and Synthea)."""

    resource_type: str = "CarePlan"
    title: str = "Care plan"
    status: str | None = None
    intent: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    period_precision: tuple[str | None, str | None] = (None, None)  # "year"/"month"/"day"/"time": never "1 January"
    categories: list[str] = field(default_factory=list)
    category_codings: list[Coding] = field(default_factory=list)
    activities: list[CarePlanActivity] = field(default_factory=list)
    goal_ids: list[str] = field(default_factory=list)
    description: str | None = None


@entry
class GoalTarget:
    """One target of a goal, in the measure's UK unit when the measure is known."""

    measure_id: str | None = None
    codings: list[Coding] = field(default_factory=list)
    low: float | None = None
    high: float | None = None
    value: float | None = None
    comparator: str | None = None
    unit: str | None = None
    text: str | None = None
    due: dt.date | None = None
    unit_problem: str | None = None


@entry
class Goal(Entry):
    """A goal agreed with the patient, such as an individual HbA1c target."""

    resource_type: str = "Goal"
    description: str | None = None
    lifecycle_status: str | None = None
    achievement_status: str | None = None
    start: dt.date | None = None
    targets: list[GoalTarget] = field(default_factory=list)
    notes: str | None = None
