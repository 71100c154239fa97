"""Honest about the boundary (issue 16): a view under a date boundary (the patient's online record
start, a carer's data period start: `Context.boundary`; a carer's data period end:
`Context.boundary_end`; or nothing shown at all, when the settings cannot be read:
`Context.unshown`, attack 16) says what it cannot see, and a check with no visible evidence is
"not in your online record", never "never": it may have been done outside the boundary. The
boundary comes from the viewer's own permissions (ltc_dashboard/gate/access.py), never from the entries, so
nothing here depends on an entry the viewer cannot see.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.record.dates import human


def bounded(ctx) -> bool:
    """Whether what this viewer sees has a boundary (a start, an end, or nothing shown at all):
    then a check with no visible result is never "never"."""
    return ctx.boundary is not None or ctx.boundary_end is not None or ctx.unshown


def missing_where(ctx) -> str:
    """Where something not found is missing from: "in the record you can see", or under a date
    boundary "in your online record" (a carer: "in what you can see of {name}'s record")."""
    if not bounded(ctx):
        return "in the record you can see"
    return ctx.wording("in your online record", "in what you can see of {name}'s record")


def boundary_note(ctx) -> str | None:
    """What a view under a date boundary cannot see, in plain words; None without a boundary."""
    if ctx.unshown:
        return ctx.wording("Your online record cannot be shown here now, so checks and results do not show here.",
                           "{name}'s results are not in what you can see now, so checks do not show here.")
    start, end = ctx.boundary, ctx.boundary_end
    if start is None and end is None:
        return None
    if start is not None and end is not None:
        return ctx.wording(f"Your online record starts on {human(start)} and ends on {human(end)}",
                           f"What you can see of {{name}}'s record starts on {human(start)} and ends on "
                           f"{human(end)}") + ", so checks done before or after then do not show here."
    if end is not None:
        return ctx.wording(f"Your online record ends on {human(end)}",
                           f"What you can see of {{name}}'s record ends on {human(end)}"
                           ) + ", so later checks do not show here."
    return ctx.wording(f"Your online record starts on {human(start)}",
                       f"What you can see of {{name}}'s record starts on {human(start)}"
                       ) + ", so checks done before then do not show here."


def hides(ctx, interval_days: int | None) -> bool:
    """Whether a check with no visible evidence may have been done before the boundary: always,
    under a boundary. Issue 16 says a check whose last result would be before the boundary is "not
    in your online record", never "never"; a result older than the interval would not make the
    check up to date, but "never" would still be untrue (a yearly check done in 2022 under an
    online record that starts in 2023 was done, and the person may remember it). `interval_days`
    is kept for the callers; the status (due or overdue) does not change, only the words."""
    return bounded(ctx)


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
    if not bounded(ctx):
        return view
    return view.model_copy(update={"checks": [at_boundary(ctx, c) for c in view.checks],
                                   "boundary_note": boundary_note(ctx)})
