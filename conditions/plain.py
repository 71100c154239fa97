"""A condition view in the words a person reads: the one place every view's sources become plain
citations (issue 15, "Wording").

`ConditionSpec.view` passes every view it builds through `plain_view`, so a measure, check,
question, note or panel that any condition module adds, now or later, reaches the pages, the sheet
and the exports with "NICE guideline NG28, recommendation 1.5.7" rather than "[NG28 1.5.7]" or
"(clinical-reference §2.3)". What the module wrote stays in the added `basis` fields (never shown
by a page; kept in the JSON summary for clinicians and the docs). A source that marks anything
unverified makes the value's `verified` flag false, so the pages say once, in words, that it is
awaiting clinical review (pages/text.py `review_words`).
"""

from __future__ import annotations

from ltc_dashboard.record.citations import Citation, cite, plain_words, unverified
from ltc_dashboard.record.tables import TableError


def _cite(source: str) -> Citation:
    """The table source as citations; a source no table row gave (a module's own words) is tidied
    instead of failing the page (the wording test over every view finds what is left)."""
    try:
        return cite(source)
    except TableError:
        return Citation(plain_words(source), unverified(source), source)


def _cited(update: dict, source: str, fields: tuple[str, str, str]) -> dict:
    """The update with a table source turned into its plain citation: (source field, basis field,
    verified field); an unverified source marks the value unverified."""
    citation = _cite(source)
    source_field, basis_field, verified_field = fields
    update.update({source_field: citation.plain, basis_field: citation.basis})
    if citation.unverified:
        update[verified_field] = False
    return update


def _measure(measure):
    update = {"note": plain_words(measure.note)}
    if measure.target_source and not measure.target_personal and measure.target_basis is None:
        _cited(update, measure.target_source, ("target_source", "target_basis", "target_verified"))
    return measure.model_copy(update=update)


def _check(check):
    update = {"note": plain_words(check.note), "addressed_by": plain_words(check.addressed_by)}
    if check.source and check.basis is None:
        _cited(update, check.source, ("source", "basis", "verified"))
    return check.model_copy(update=update)


def _question(question):
    if question.source != "suggested" or question.basis is not None:
        return question
    words, text = plain_words(question.reason), plain_words(question.text)
    if words == question.reason and text == question.text:
        return question
    return question.model_copy(update={"reason": words, "text": text, "basis": question.reason})


def _panel(panel):
    items = [(plain_words(label), plain_words(state), plain_words(detail)) for label, state, detail in panel.items]
    return panel.model_copy(update={"title": plain_words(panel.title), "items": items, "note": plain_words(panel.note)})


def plain_view(view):
    """The view with plain citations and no internal references in anything a person sees."""
    return view.model_copy(update={
        "intro": plain_words(view.intro),
        "support": plain_words(view.support),
        "measures": [_measure(m) for m in view.measures],
        "checks": [_check(c) for c in view.checks],
        "questions": [_question(q) for q in view.questions],
        "panels": [_panel(p) for p in view.panels],
    })
