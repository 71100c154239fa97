"""Which condition views to suggest, from what this viewer can see (issue 16).

A view whose diagnosis entry is out of the viewer's sight (prospective online access, a carer's
data period that starts after the diagnosis) is missing from the summary. The person may then
choose to show it; the app suggests one when the record the viewer sees holds monitoring results,
medicines or planning documents the view follows. Everything here reads the `Context`, so only
entries the access gate passed: a hidden entry never causes, shapes or words a suggestion.

What counts as evidence and the words for it come from `data/terminology/view_suggestions.csv`.
The words never state a diagnosis: "If you have diabetes, you can show the diabetes view."
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from conditions.base import Context
from ltc_dashboard.record import terminology


class SuggestedView(BaseModel):
    """A view the person may choose to show, and why, in words that state no diagnosis."""

    model_config = ConfigDict(frozen=True)

    id: str
    reason: str


def _seen(ctx: Context, kind: str, ids: tuple[str, ...]) -> bool:
    """Whether the visible record holds evidence of this kind: a countable valued result of one
    of the measures, a medicine of one of the classes (any time), or a coded entry in a value set."""
    if kind == "measure":
        return any(ctx.valued(measure_id) for measure_id in ids)
    if kind == "medicine":
        return any(ctx.medicines(cls, within_days=None) for cls in ids)
    return bool(ctx.coded(*ids))


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def suggestion(ctx: Context, view_id: str, title: str) -> SuggestedView | None:
    """The suggestion for one view, or None when the visible record holds none of its evidence."""
    rows = [row for row in terminology.view_suggestions() if row[0] == view_id]
    found = [words for _, kind, ids, words, _ in rows if kind != "condition" and _seen(ctx, kind, ids)]
    clause = next(((words, carer) for _, kind, _, words, carer in rows if kind == "condition"), None)
    if not found or clause is None:
        return None
    name = title[0].lower() + title[1:]
    reason = ctx.wording(
        f"Your record has {_listed(found)}. {clause[0]}, you can show the {name} view.",
        f"{{name}}'s record has {_listed(found)}. {clause[1]}, you can show the {name} view.",
    )
    return SuggestedView(id=view_id, reason=reason[0].upper() + reason[1:])
