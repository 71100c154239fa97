"""What a condition view shows, as frozen models: its measures, checks, questions and panels
(conditions/base.py builds them and re-exports them; the summary, the pages, the sheet and the
exports read them). Split from conditions/base.py to keep it under 400 lines."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from conditions.home_average import HomeAverage
from conditions.series import HomePoint, SeriesPoint, SituationLine

# not-needed: §11.7; undated: evidence is recorded without a readable date, so not "overdue" (issue 18)
CheckStatus = Literal["ok", "due-soon", "overdue", "never", "not-needed", "undated"]
ViewerKind = Literal["patient", "proxy", "clinic"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class MeasureView(_Out):
    """A tracked measure: its series, and the target that applies to this person with its source."""

    id: str
    name: str
    plain_name: str
    unit: str
    display_unit: str
    target: str | None = None  # e.g. "48 mmol/mol or below", "below 140/90 mmHg"
    target_low: float | None = None
    target_high: float | None = None
    target_source: str | None = None
    target_verified: bool | None = None
    target_personal: bool = False
    target_low_inclusive: bool = True  # whether the bound itself is on target ("below 140": no)
    target_high_inclusive: bool = True
    target_basis: str | None = None  # the table's source as written; never shown (conditions/plain.py)
    series: list[SeriesPoint] = Field(default_factory=list)
    home_series: list[HomePoint] = Field(default_factory=list)  # the person's own readings (issue 20): never checks
    home_average: HomeAverage | None = None  # blood pressure: the NICE home week (conditions/home_average.py)
    home_average_note: str | None = None  # why there is no home average, in words
    note: str | None = None


class CheckView(_Out):
    """A check that should be done at an interval: when last done, when next due, and its status."""

    id: str
    name: str
    last_done: dt.date | None = None
    due: dt.date | None = None
    status: CheckStatus
    interval_days: int | None = None
    source: str | None = None
    verified: bool | None = None
    addressed_by: str | None = None  # e.g. "declined on 3 March 2026"
    note: str | None = None
    basis: str | None = None  # the table's source as written; never shown (conditions/plain.py)
    before_boundary: bool = False  # status "never" under a date boundary: not in the online record (issue 16)
    evidence: tuple[str, ...] = ()  # the value sets that show it done (intervals.csv): a plan's reviews link here
    last_done_precision: str | None = None  # "year"/"month": last done in "2025", shown so, never "1 January 2025"


class Question(_Out):
    """A question for the appointment: a fact with its dates, then an open question."""

    text: str
    source: Literal["suggested", "own"]
    reason: str
    view: str | None = None
    rule_id: str | None = None
    rank: int = 50  # lower is more important
    own_id: int | None = None
    status: str | None = None
    appointment_id: str | None = None  # the one appointment the person linked it to (issue 21)
    basis: str | None = None  # the reason as its rule wrote it, when that held an internal reference
    sources: Any = Field(default=(), exclude=True)  # the entries it came from: conditions/sources.Sources


class Panel(_Out):
    """A view's extra list, e.g. the end-of-life "is my shared record complete?" checklist."""

    id: str
    title: str
    items: list[tuple[str, str, str | None]] = Field(default_factory=list)  # (label, state, detail)
    note: str | None = None


class ConditionView(_Out):
    """Everything one condition view shows for one viewer and day."""

    id: str
    title: str
    intro: str | None = None
    measures: list[MeasureView] = Field(default_factory=list)
    checks: list[CheckView] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    panels: list[Panel] = Field(default_factory=list)
    support: str | None = None  # signposting text (mental health), never a prompt
    shown_because: Literal["diagnosis", "chosen"] = "diagnosis"  # "chosen": the person chose it (issue 16)
    boundary_note: str | None = None  # what a view under a date boundary cannot see (issue 16)
    situations: list[SituationLine] = Field(default_factory=list)  # conditions/situations.py
