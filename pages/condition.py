"""One condition view: what is due (checks with their status in words), the view's suggested
questions and its panels first, then trend charts with the target band and its source, each with
its latest result to ask about or comment on, and support text.

The app registers this file once per view in the summary (registry order); on the shared screen
it is one page that shows one condition at a time, chosen with a select.
"""

from __future__ import annotations

import streamlit as st

from pages import state, ui
from pages.result_actions import latest_result_actions
from pages.text import escape_markdown, humanise, kept_as, missing_words

state.guard()

summary = state.summary()
views = {view.id: view for view in summary.conditions}
wanted = st.session_state.get(state.VIEW_ID)

if not views:
    ui.header("Conditions", summary)
    st.write("None of the five long-term conditions this app follows is in the record.")
    st.stop()

if summary.viewer.kind == "clinic" or wanted not in views:
    ui.header("Conditions", summary)
    view_id = st.selectbox(
        "Condition to show", list(views), format_func=lambda vid: views[vid].title, key="clinic_condition",
        help="The shared screen shows one condition at a time.",
    )
    view = views[view_id]
    st.header(view.title, anchor=False)
    level, measure_heading = st.subheader, ui.h4
else:
    view = views[wanted]
    ui.header(view.title, summary)
    level, measure_heading = st.header, st.subheader

if view.intro:
    st.markdown(escape_markdown(humanise(view.intro)))
if view.boundary_note:  # what a view under a date boundary cannot see (issue 16)
    st.info(escape_markdown(view.boundary_note), icon="ℹ️")
for situation in view.situations:  # "Because you are pregnant, ..." (clinical-reference §11)
    st.info(escape_markdown(situation.words))

if not summary.death_notice:  # no due checks or questions for someone who has died (§11.10)
    # What is due and the questions come first: on a phone they are what a person came for, and
    # the charts below them run to several screens (issue 18).
    level("What is due", anchor=False)
    ui.checks_table(view.checks, missing_words(summary.viewer.kind, summary.patient.name))

    level("Questions you might ask", anchor=False)
    if view.questions:
        on_add = ui.add_suggested if ui.can_write(summary) and ui.own_shown(summary) else None
        for n, question in enumerate(view.questions):
            ui.question_card(question, key=f"add-{view.id}-{n}", on_add=on_add,
                             kept=kept_as(summary.questions, question.text, question.rule_id))
    else:
        st.write("No suggestions from the record for this condition just now.")

    for panel in view.panels:
        ui.panel_block(panel)

level("Results over time", anchor=False)
measures = [m for m in view.measures if m.series]
empty = [m for m in view.measures if not m.series]
if not measures:
    st.write("No results for this condition are in the record.")
else:
    period = ui.period_control(key=f"period-{view.id}")
    record = state.service().record(state.viewer(), state.today())
for measure in measures:
    ui.measure_block(measure, summary, key=f"{view.id}-{measure.id}", heading=measure_heading, period=period)
    latest_result_actions(measure, record.results_for(measure.id), summary, key=f"{view.id}-{measure.id}")
if empty:
    st.caption("Not in the record: " + ", ".join(m.plain_name for m in empty) + ".")

if view.support and not summary.death_notice:
    level("Support", anchor=False)
    st.info(humanise(view.support), icon="💬")
