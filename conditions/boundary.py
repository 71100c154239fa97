"""Honest about the boundary (issue 16): a view under a date boundary (the patient's online record
start, a carer's data period start: `Context.boundary`) says what it cannot see, and a check with
no visible evidence is "not in your online record", never "never": it may have been done before
the boundary. The boundary comes from the viewer's own permissions (record/access.py), never from
the entries, so nothing here depends on an entry the viewer cannot see.
"""

from __future__ import annotations

import datetime as dt

from record.dates import human


def missing_where(ctx) -> str:
    """Where something not found is missing from: "in the record you can see", or under a date
    boundary "in your online record" (a carer: "in what you can see of {name}'s record")."""
    if ctx.boundary is None:
        return "in the record you can see"
    return ctx.wording("in your online record", "in what you can see of {name}'s record")


def boundary_note(ctx) -> str | None:
    """What a view under a date boundary cannot see, in plain words; None without a boundary."""
    if ctx.boundary is None:
        return None
    return ctx.wording(f"Your online record starts on {human(ctx.boundary)}",
                       f"What you can see of {{name}}'s record starts on {human(ctx.boundary)}"
                       ) + ", so checks done before then do not show here."


def hides(ctx, interval_days: int | None) -> bool:
    """Whether a check with no visible evidence may have been done before the boundary: always,
    under a boundary. Issue 16 says a check whose last result would be before the boundary is "not
    in your online record", never "never"; a result older than the interval would not make the
    check up to date, but "never" would still be untrue (a yearly check done in 2022 under an
    online record that starts in 2023 was done, and the person may remember it). `interval_days`
    is kept for the callers; the status (due or overdue) does not change, only the words."""
    return ctx.boundary is not None


def at_boundary(ctx, check):
    """A check with no visible evidence that the boundary may hide (`hides`): status "never" still
    (the JSON keeps its values, schema_version 1), marked `before_boundary`, and worded "not in your
    online record" wherever it is shown."""
    if check.status != "never" or check.last_done or check.before_boundary or not hides(ctx, check.interval_days):
        return check
    return check.model_copy(update={"before_boundary": True})


def not_seen(ctx, check) -> bool:
    """Whether a check is one the boundary may hide (`at_boundary`): its words say so."""
    return check is not None and at_boundary(ctx, check).before_boundary


def at_boundary_view(ctx, view):
    """A whole view marked: every check, and the note saying what it cannot see."""
    if ctx.boundary is None:
        return view
    return view.model_copy(update={"checks": [at_boundary(ctx, c) for c in view.checks],
                                   "boundary_note": boundary_note(ctx)})
