"""Honest about the boundary (issue 16): a view under a date boundary (the patient's online record
start, a carer's data period start: `Context.boundary`) says what it cannot see, and a check with
no visible evidence is "not in your online record", never "never": it may have been done before
the boundary. The boundary comes from the viewer's own permissions (record/access.py), never from
the entries, so nothing here depends on an entry the viewer cannot see.
"""

from __future__ import annotations

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


def at_boundary(ctx, check):
    """A check with no visible evidence under a date boundary: status "never" still (the JSON keeps
    its values, schema_version 1), marked `before_boundary`, worded "not in your online record"."""
    if ctx.boundary is None or check.status != "never" or check.last_done or check.before_boundary:
        return check
    return check.model_copy(update={"before_boundary": True})


def at_boundary_view(ctx, view):
    """A whole view marked: every check, and the note saying what it cannot see."""
    if ctx.boundary is None:
        return view
    return view.model_copy(update={"checks": [at_boundary(ctx, c) for c in view.checks],
                                   "boundary_note": boundary_note(ctx)})
