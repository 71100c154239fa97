"""A person's own target for a measure, from their most recent active Goal (clinical-reference §11.6).

Only a target that can be trusted is used: the mapping (record/mapping_plans.py) marks a target
whose unit cannot be converted, whose value is outside the measure's possible range, or whose low is
above its high (§11.11), and such a target never replaces the guideline one. A target converted to
a unit that is reported in whole numbers (HbA1c in mmol/mol, from DCCT %) is said and compared in
whole numbers, so "your personal range is 58 to 69" reads the same in every place it is shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from record.models import Goal, GoalTarget, PatientRecord

ACTIVE_GOAL = frozenset({None, "active", "accepted", "planned", "ongoing"})
WHOLE_NUMBER_UNITS = frozenset({"mmol/mol"})  # IFCC HbA1c is reported in whole mmol/mol (§11.11)


def personal_target(record: PatientRecord, measure_id: str) -> tuple[Goal, GoalTarget] | None:
    """The target of the person's most recent active Goal for this measure, if it can be trusted.
    When the most recent one cannot, none is used (not an older one it may have replaced)."""
    best = None
    for goal in record.goals:
        if goal.lifecycle_status not in ACTIVE_GOAL:
            continue
        for target in goal.targets:
            if target.measure_id != measure_id:
                continue
            if target.value is not None or target.high is not None or target.low is not None:
                if best is None or (goal.start or dt.date.min) >= (best[0].start or dt.date.min):
                    best = (goal, target)
    if best is None or best[1].unit_problem is not None:
        return None
    if best[1].unit not in WHOLE_NUMBER_UNITS:
        return best
    goal, target = best
    whole = {key: None if getattr(target, key) is None else float(round(getattr(target, key)))
             for key in ("low", "high", "value")}
    return goal, dataclasses.replace(target, **whole)
