"""One dated value of a measure, as the summary charts it (`MeasureView.series`).

A slotted, frozen pydantic dataclass rather than a model: a 100,000-resource record's summary
holds some 50,000 of them, and a model's per-instance dict and fields-set made each about four
times the size. It validates and serialises (in `Summary`'s JSON) exactly as the model did.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid"))
class SeriesPoint:
    """One dated value of a measure, in the measure's UK unit."""

    date: dt.date
    value: float | None
    flag: Literal["high", "low", "normal", "unknown"] = "unknown"
    comparator: str | None = None
    text: str | None = None
    id: str


@dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid"))
class SituationLine:
    """A situation that shaped a view, in words ("Because you are pregnant, ..."), with its table
    source (conditions/situations.py, clinical-reference §11)."""

    id: str
    words: str
    source: str  # plain citation, e.g. "NICE guideline NG3"
    basis: str | None = None  # the table source key as written; never shown (conditions/plain.py)


@dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid"))
class HomePoint:
    """One home reading of a measure (`MeasureView.home_series`, issue 20): the shape of a
    `SeriesPoint` (the flag always "unknown": no lab judged it) plus when a blood sugar was taken."""

    date: dt.date  # the UK day it was taken
    value: float | None
    flag: Literal["high", "low", "normal", "unknown"] = "unknown"
    comparator: str | None = None
    text: str | None = None  # the reading as the person wrote it: "138/86 mmHg"
    id: str  # "home/ID"
    context: str | None = None  # glucose: waking, before_meal, after_meal, bedtime, other
