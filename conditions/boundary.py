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
    """Whether a check of this interval with no visible evidence may have been done before the
    boundary and still count: the boundary is later than today less the interval, or the check
    has no interval (once only, a document). A boundary older than the interval hides nothing
    that would count: then no result found is just that."""
    if ctx.boundary is None:
        return False
    return not interval_days or ctx.boundary > ctx.today - dt.timedelta(days=interval_days)


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
