"""Care plan and goals: CarePlans, Goals agreed with the practice and coded care-plan entries from
the record, then the person's own goals, each with dated progress notes."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conditions.base import number
from pages import state, ui
from pages.text import day, escape_markdown, humanise, md_line
from record import terminology
from record.models import GoalTarget

state.guard()

summary = state.summary()
ui.header("Care plan and goals", summary)
if summary.denied and not summary.conditions:
    st.stop()

svc, viewer = state.service(), state.viewer()
record = svc.record(viewer, state.today())
# What the person wrote that this viewer may see (exports.own_content.for_viewer, the one rule):
# a carer only their own; the patient never a carer's; the shared screen only when the person
# chose to show it there (Settings).
own = svc.own_content(viewer, state.today())
own_shown = ui.own_shown(summary)
writable = ui.can_write(summary) and own_shown
progress = own.progress


def target_words(target: GoalTarget) -> str:
    measure = terminology.measures().get(target.measure_id or "")
    shown_unit = measure.display_unit if measure else target.unit
    unit = f" {shown_unit}" if shown_unit else ""
    if target.low is not None and target.high is not None:
        words = f"between {number(target.low)} and {number(target.high)}{unit}"
    elif target.value is not None:
        words = f"{target.comparator or ''}{number(target.value)}{unit}"
    elif target.high is not None:
        words = f"{number(target.high)}{unit} or below"
    elif target.low is not None:
        words = f"{number(target.low)}{unit} or above"
    else:
        words = target.text or "no measure recorded"
    return words + (f", by {day(target.due)}" if target.due else "")


def progress_notes(goal_ref: str, key: str, goal_name: str) -> None:
    notes = [p for p in progress if p.get("goal_ref") == goal_ref]
    for note in notes:
        st.markdown(f"- {day(_date(note.get('on_date')), 'undated')}: {escape_markdown(note['note'])}")
    if not writable:
        return
    with st.form(f"progress-{key}", clear_on_submit=True, border=False):
        text = st.text_input("Add a progress note", max_chars=ui.MAX_TEXT, key=f"progress-text-{key}",
                             placeholder="for example: walked every day this week")
        if st.form_submit_button(f"Save progress note: {md_line(goal_name)}"):  # one name per goal (issue 18)
            ui.save(lambda: svc.add_goal_progress(viewer, goal_ref, text, summary.today))


def _date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


st.header("Care plans", anchor=False)
if not record.care_plans:
    st.write("No care plans are in the record.")
for plan in record.care_plans:
    st.subheader(md_line(plan.title), anchor=False)
    period = " to ".join(day(d) for d in (plan.period_start, plan.period_end) if d)
    st.caption(" · ".join(md_line(p) for p in (f"Status: {plan.status}" if plan.status else "", period) if p))
    if plan.description:
        st.markdown(escape_markdown(plan.description))
    items = [a for a in plan.activities if a.text]
    if items:
        st.markdown("\n".join(f"- {escape_markdown(a.text)}" + (f" ({md_line(a.status)})" if a.status else "") for a in items))

st.header("Goals agreed with the practice", anchor=False)
if not record.goals:
    st.write("No goals are in the record.")
for goal in record.goals:
    st.subheader(md_line(goal.description or goal.text or "Goal"), anchor=False)
    facts = [f"Status: {goal.lifecycle_status}" if goal.lifecycle_status else "",
             f"since {day(goal.start)}" if goal.start else "",
             f"progress: {goal.achievement_status}" if goal.achievement_status else ""]
    st.caption(" · ".join(md_line(f) for f in facts if f))
    for target in goal.targets:
        st.markdown(f"- Target: {escape_markdown(target_words(target))}")
    if goal.notes:
        st.markdown(escape_markdown(goal.notes))
    progress_notes(f"Goal/{goal.id}", goal.id, goal.description or goal.text or "Goal")

st.header("Care-plan entries in the record", anchor=False)
plan_sets = [vs for vs in terminology.valueset_ids() if "care_plan" in vs]


def _concept(entry) -> dict:
    return {"coding": [{"system": s, "code": c} for s, c in entry.codings], "text": entry.text}


coded = [e for e in record.coded_entries() if any(terminology.in_valueset(vs, _concept(e)) for vs in plan_sets)]
ui.table([{"Date": day(e.date, "undated"), "Entry": humanise(e.text or "coded entry")}
          for e in sorted(coded, key=lambda e: e.date, reverse=True)],
         "No care-plan reviews or entries are coded in the record.")


def own_goals() -> None:
    if not own_shown:
        st.write("Your own goals and notes are not shown on the shared screen. To show them here, "
                 "switch on “Show my own questions, goals and notes on the shared screen” in "
                 "Settings, in your own view.")
        return
    goals = own.goals
    if not goals:
        st.write("No goals of your own yet.")
    for goal in goals:
        st.subheader(md_line(goal["text"]), anchor=False)
        progress_notes(f"own/{goal['id']}", f"own-{goal['id']}", goal["text"])
    if writable:
        with st.form("own-goal", clear_on_submit=True):
            text = st.text_input("A goal of your own", max_chars=ui.MAX_TEXT, key="own-goal-text",
                                 placeholder="for example: walk to the park twice a week")
            if st.form_submit_button("Add goal"):
                ui.save(lambda: svc.add_own_goal(viewer, text))


st.header("Your own goals", anchor=False)
if summary.viewer.kind == "clinic":
    with st.expander("Your own goals and notes (hidden on the shared screen until you open them)"):
        own_goals()
else:
    own_goals()
