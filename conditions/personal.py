"""A person's own target for a measure, from their most recent active Goal in force today
(clinical-reference §11.6).

Only a target that can be trusted is used: the mapping (ltc_dashboard/record/mapping_plans.py) marks a target
whose unit cannot be converted, whose value is outside the measure's possible range, or whose low is
above its high (§11.11), and such a target never replaces the guideline one.

One Goal may hold several targets for one measure (R4 Goal.target 0..*: "all targets must be
met"): ">=48" and "<=58" are the range 48 to 58, so they are merged into one `PersonalTarget`
with both ends. Each end says whether the bound itself is on target, from the Goal's comparator
("<53" excludes 53; a bare 53 or "<=53" holds it): the words (`conditions/base.measure_view`) and
the verdict (`conditions/verdict.py`) both read it from here.

A measure reported in whole numbers (IFCC HbA1c in mmol/mol, converted from DCCT %) is said AND
compared in whole numbers: the Goal's bounds here, and each result (`reported`, used by
`conditions/base.series_of` and `conditions/diabetes_rules.Aim`), so a Goal of 6.0 % and a result
of 6.0 % are both 42 mmol/mol, and "your personal range is 58 to 69" reads the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ltc_dashboard.record.models import Goal, GoalTarget, PatientRecord

ACTIVE_GOAL = frozenset({None, "active", "accepted", "planned", "ongoing"})
WHOLE_NUMBER_UNITS = frozenset({"mmol/mol"})  # IFCC HbA1c is reported in whole mmol/mol (§11.11)


@dataclass(frozen=True)
class PersonalTarget:
    """The bounds a Goal sets for one measure, each inclusive or not, in the measure's UK unit."""

    low: float | None
    high: float | None
    low_inclusive: bool = True
    high_inclusive: bool = True
    unit: str | None = None


def reported(value: float | None, unit: str | None) -> float | None:
    """A value as the lab reports it in this unit: whole mmol/mol for HbA1c (half up), else as is."""
    if value is None or unit not in WHOLE_NUMBER_UNITS:
        return value
    return float(math.floor(value + 0.5))


def _bounds(target: GoalTarget) -> tuple[tuple[float, bool] | None, tuple[float, bool] | None]:
    """((low, inclusive), (high, inclusive)) of one Goal target. A detailRange holds both its ends;
    a quantity is an upper bound unless its comparator says ">" or ">="; "<" and ">" exclude it."""
    low = (target.low, True) if target.low is not None else None
    high = (target.high, True) if target.high is not None else None
    if target.value is not None:
        if target.comparator in (">", ">="):
            low = (target.value, target.comparator == ">=")
        else:
            high = (target.value, target.comparator != "<")
    return low, high


def bounds_of(targets: list[GoalTarget]) -> PersonalTarget | None:
    """All of one Goal's targets for a measure as one: the highest low and the lowest high (at a
    tie the end that excludes its bound). None when one cannot be trusted or the ends cross."""
    if any(t.unit_problem is not None for t in targets):
        return None
    lows = [b for b in (_bounds(t)[0] for t in targets) if b]
    highs = [b for b in (_bounds(t)[1] for t in targets) if b]
    low = max(lows, key=lambda b: (b[0], not b[1]), default=None)
    high = min(highs, key=lambda b: (b[0], b[1]), default=None)
    unit = targets[0].unit
    if unit in WHOLE_NUMBER_UNITS:
        low = low and (reported(low[0], unit), low[1])
        high = high and (reported(high[0], unit), high[1])
    if low and high and (low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1]))):
        return None  # nothing can meet it: not trusted (§11.11)
    return PersonalTarget(low[0] if low else None, high[0] if high else None,
                          low[1] if low else True, high[1] if high else True, unit)


def personal_target(record: PatientRecord, measure_id: str,
                    today: dt.date | None = None) -> tuple[Goal, PersonalTarget] | None:
    """The target of the person's most recent active Goal for this measure that has started by
    `today` (a Goal that starts next year is not today's target), if it can be trusted. When the
    most recent one cannot, none is used (not an older one it may have replaced)."""
    best: tuple[Goal, list[GoalTarget]] | None = None
    for goal in record.goals:
        if goal.lifecycle_status not in ACTIVE_GOAL:
            continue
        if today is not None and goal.start is not None and goal.start > today:
            continue
        mine = [t for t in goal.targets if t.measure_id == measure_id
                and (t.value is not None or t.high is not None or t.low is not None)]
        if mine and (best is None or (goal.start or dt.date.min) >= (best[0].start or dt.date.min)):
            best = (goal, mine)
    if best is None:
        return None
    merged = bounds_of(best[1])
    return (best[0], merged) if merged is not None else None
