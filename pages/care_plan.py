"""Care plan and goals: CarePlans, Goals agreed with the practice and coded care-plan entries from
the record, then the person's own goals, each with dated progress notes."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conditions import shared as planning
from conditions import personal
from conditions import plan_activities as activities
from conditions.base import Context, number, target_text
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.models import GoalTarget
from pages import state, ui
from pages.text import code_words, day, escape_markdown, humanise, md_line, missing_words, status_label

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
    """A Goal target in the words the condition page uses for it (issue 18): the same bounds, each
    inclusive or not, rounded as the measure is reported (conditions/personal.py), so a Goal of
    6.5 % reads "48 mmol/mol or below" here and there, and "<53" reads "below 53 mmol/mol"."""
    measure = terminology.measures().get(target.measure_id or "")
    bounds = personal.bounds_of([target]) if measure else None
    if bounds is not None and (bounds.low is not None or bounds.high is not None):
        words = target_text(bounds.low, bounds.high, measure.display_unit, bounds.low_inclusive, bounds.high_inclusive)
    else:
        unit = f" {target.unit}" if target.unit else ""
        value = None if target.value is None else f"{target.comparator or ''}{number(target.value)}{unit}"
        words = target.text or value or "no measure recorded"
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


checks = [check for view in summary.conditions for check in view.checks]
missing = missing_words(summary.viewer.kind, summary.patient.name)


def activity_words(line) -> str:
    """An activity's status and date in words; a review's from its check, as the overview has it."""
    if line.check is not None:
        check = line.check
        due = f", due {day(check.due)}" if check.due else ""
        return f"{line.status}; review: {status_label(check.status, check.before_boundary, missing)}{due}"
    when = day(line.date) if line.date else line.when
    return "; ".join(w for w in (line.status, when) if w)


st.header("Care plans", anchor=False)
if not record.care_plans:
    st.write("No care plans are in the record.")
for plan in record.care_plans:
    st.subheader(md_line(plan.title), anchor=False)
    period = " to ".join(human(d, precision or "day")  # "2021", "March 2027": never an invented 1st
                         for d, precision in zip((plan.period_start, plan.period_end), plan.period_precision) if d)
    st.caption(" · ".join(md_line(p) for p in (f"Status: {code_words(plan.status)}" if plan.status else "", period) if p))
    if plan.description:
        st.markdown(escape_markdown(plan.description))
    lines = activities.activity_lines(plan, record, checks)
    if lines:
        st.markdown("\n".join(f"- {escape_markdown(line.text)} ({md_line(activity_words(line))})" for line in lines))
    reviews = activities.plan_checks(plan, checks)
    if reviews:  # the same checks, dates and statuses the overview shows (issue 18)
        st.caption("Reviews of this plan, as the overview and the condition page show them:")
        ui.checks_table(reviews, missing)

st.header("Goals agreed with the practice", anchor=False)
if not record.goals:
    st.write("No goals are in the record.")
for goal in record.goals:
    st.subheader(md_line(goal.description or goal.text or "Goal"), anchor=False)
    facts = [f"Status: {code_words(goal.lifecycle_status)}" if goal.lifecycle_status else "",
             f"since {day(goal.start)}" if goal.start else "",
             f"progress: {code_words(goal.achievement_status)}" if goal.achievement_status else ""]
    st.caption(" · ".join(md_line(f) for f in facts if f))
    for target in goal.targets:
        st.markdown(f"- Target: {escape_markdown(target_words(target))}")
    if goal.notes:
        st.markdown(escape_markdown(goal.notes))
    progress_notes(f"Goal/{goal.id}", goal.id, goal.description or goal.text or "Goal")

st.header("Care-plan entries in the record", anchor=False)
# The same reader, and so the same entries, as the planning questions (issue 18): a review of an
# advance care plan listed here is one the views count.
entries = planning.care_plan_entries(Context(record=record, today=summary.today, viewer_kind=summary.viewer.kind))
ui.table([{"Date": human(e.date, e.precision or "day") if e.date else "undated", "Entry": humanise(e.text or "coded entry"),
           "Counts as": "an advance care plan" if e.kind == "acp" else ""} for e in entries],
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
