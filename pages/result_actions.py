"""What a person can do with a result where it is shown (issue 18, phones): add it to their
questions for the appointment, or say it looks wrong, without finding it again in a list.

    from pages.result_actions import latest_result_actions
    latest_result_actions(measure, results, summary, key)   # results: the measure's LabResults

The question states the fact (the result, its value and date) and asks an open question; it never
advises. It is kept like a kept suggestion: with the keys of the entry it was made from, so it
shows only to viewers who can see that entry (exports.own_content.question_visible).
"""

from __future__ import annotations

import streamlit as st

from conditions.base import MeasureView
from conditions.sources import entry_keys
from ltc_dashboard.summary.core import Summary
from pages import state, ui
from pages.feedback_widget import flag_control
from pages.text import day, kept_as, value_words

RULE_PREFIX = "result:"  # a question made from one result keeps "result:<its id>" as its rule


def result_question(measure: MeasureView, point) -> str:
    """The question a result becomes: the fact, then an open question (clinical-reference §1.4)."""
    value = value_words(point.value, measure.display_unit, point.comparator, point.text)
    return (f"The {measure.plain_name} result on {day(point.date)} was {value}. "
            "Could we talk about what it means?")


def latest_point(measure: MeasureView):
    """The measure's most recent result with a value or words, or None."""
    return next((p for p in reversed(measure.series) if p.value is not None or p.text), None)


def latest_result_actions(measure: MeasureView, results: list, summary: Summary, key: str) -> None:
    """Under a measure's chart: its latest result in words, with "Add to my questions" (or
    "Already in your questions") and "This looks wrong / add a comment", when this viewer may."""
    point = latest_point(measure)
    entry = next((r for r in results if r.id == point.id), None) if point else None
    if entry is None:
        return
    may_ask = ui.can_write(summary) and ui.own_shown(summary) and not summary.death_notice
    text, rule = result_question(measure, point), RULE_PREFIX + entry.id
    number = kept_as(summary.questions, text, rule)
    columns = st.columns(2)
    if number:
        columns[0].caption(f"✔ This {measure.plain_name} result is in your questions (number {number}).")
    elif may_ask and columns[0].button(
        f"Ask about this {measure.plain_name} result", key=f"ask-{key}", icon="➕",
        help=f"Adds to your questions: “{text}”",
    ):
        add_result_question(text, rule, entry_keys(entry))
    with columns[1]:
        flag_control(state.service(), state.viewer(), entry, where=key, about=f"this {measure.plain_name} result")


def add_result_question(text: str, rule: str, keys: tuple[str, ...]) -> None:
    """Keep the result's question in the person's list, unless the list already holds it."""
    number = kept_as(state.summary().questions, text, rule)
    if number:
        ui.already_kept_notice(number)
        return
    ui.save(lambda: state.service().add_question(state.viewer(), text, source="suggested", rule_id=rule,
                                                 sources=keys))
