"""Overview: the person's conditions and what needs attention now (checks due or overdue,
latest results outside the target, letters new since the last appointment)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conditions.home import home_average_lines
from ltc_dashboard.preference_keys import LAST_VISIT
from ltc_dashboard.record.appointments import next_sentence
from ltc_dashboard.service import core as door
from ltc_dashboard.summary.sheet import carer_scope_lines, kept_questions
from pages import state, ui
from pages.text import (
    ATTENTION, day, escape_markdown, humanise, latest_point, md_line, missing_words, off_target, outside_words,
    page_title, review_words, source_words, status_label, unnest, value_words,
)

state.guard()

summary = state.summary()
ui.header("Overview", summary)
if not summary.conditions and summary.denied:
    st.stop()
if summary.viewer.kind == "proxy":  # what the consent leaves out, said first (issue 16)
    st.info(escape_markdown("\n".join(carer_scope_lines(summary))), icon=":material/lock_clock:")
if not summary.death_notice and (upcoming := next_sentence(summary.appointments, summary.today, summary.viewer.kind)):
    st.info(escape_markdown(upcoming), icon=":material/event:")  # issue 21; the Appointments page has the rest

st.header("Conditions", anchor=False)
if not summary.conditions:
    st.write("None of the five long-term conditions this app follows is in the part of the record shown here."
             + ("" if summary.viewer.kind == "clinic" else
                (" Entries made before the online record starts do not show here." if summary.record_starts else "")
                + " If one of them applies, you can show its view below."))
if summary.viewer.kind == "patient" and not (summary.conditions or summary.medications or summary.letters or summary.suggested_views):
    st.page_link("pages/connect.py", label="Connect your GP record", icon=":material/sync:")  # an empty record (issue 17)
    st.page_link("pages/import_file.py", label="Import a file of your record", icon=":material/upload_file:")
for view in summary.conditions:
    st.markdown(f"**{md_line(view.title)}**" + (f": {escape_markdown(humanise(view.intro))}" if view.intro else ""))
    if view.shown_because == "chosen" and summary.viewer.kind != "clinic":
        ui.choose_view_button(view.id, False, f"Hide the {ui.view_name(view.id)} view")  # one name per view

for line in home_average_lines(summary):  # issue 20: the home blood pressure week, in words
    st.markdown(escape_markdown(line))

if summary.viewer.kind != "clinic" and not summary.denied and not summary.death_notice:  # the person or a carer chooses (issue 16)
    for suggestion in summary.suggested_views:
        st.info(escape_markdown(suggestion.reason), icon=":material/lightbulb:")
        ui.choose_view_button(suggestion.id, True, f"Show the {ui.view_name(suggestion.id)} view")
    others = ui.other_views(summary)
    if others:
        with st.expander("Show another condition view"):
            st.write("A view can be shown by choice when its diagnosis is not in the online record, "
                     "for example because online access started after it. It says it was chosen.")
            for view_id in others:
                ui.choose_view_button(view_id, True, f"Show the {ui.view_name(view_id)} view")

if summary.death_notice:  # nothing is due, and no appointment to prepare for (§11.10)
    st.stop()

st.header("Needs attention now", anchor=False)
attention = False

due = [
    {"Condition": view.title, "Check": check.name,
     "Status": status_label(check.status, check.before_boundary, missing_words(summary.viewer.kind, summary.patient.name)),
     "Due": day(check.due, "now")}
    for view in summary.conditions for check in view.checks if check.status in ATTENTION
]
if due:
    attention = True
    st.subheader("Checks due or overdue", anchor=False)
    ui.table(due, f"{len(due)} checks are due, overdue or not found in the record.")

off = []
seen: set[str] = set()
for view in summary.conditions:
    for measure in view.measures:
        side = off_target(measure)
        if side and measure.id not in seen:
            seen.add(measure.id)
            last = latest_point(measure)
            off.append(unnest(
                f"{measure.plain_name[:1].upper()}{measure.plain_name[1:]}: latest "
                f"{value_words(last.value, measure.display_unit, last.comparator)} on {day(last.date)}, "
                f"{outside_words(measure, side, ui.whose(summary))} "
                f"(source: {source_words(measure.target_source)})"
                + (f". {review_words(measure.target_verified)}" if review_words(measure.target_verified) else "")
            ))
if off:
    attention = True
    st.subheader("Latest results outside the target", anchor=False)
    st.markdown("\n".join(f"- {escape_markdown(line)}" for line in off))

svc = state.service()
prefs = svc.preferences(summary.patient.id)
last_visit = None
if prefs.get(LAST_VISIT):
    try:
        last_visit = dt.date.fromisoformat(prefs[LAST_VISIT])
    except ValueError:
        last_visit = None
if last_visit:
    new = [letter for letter in summary.letters if letter.date and letter.date > last_visit]
    if new:
        attention = True
        st.subheader(f"Letters new since the last appointment ({day(last_visit)})", anchor=False)
        st.markdown("\n".join(f"- {day(l.date)}: {escape_markdown(l.title)}" for l in new))

if not attention:
    st.success("Nothing needs attention now.", icon="✅")

if summary.viewer.kind == "patient":
    with st.expander("When was your last appointment?"):
        st.write("Letters that arrived after this date are listed above as new.")
        picked = st.date_input(
            "Date of your last appointment", value=last_visit or summary.today,
            max_value=summary.today, format="DD/MM/YYYY", key="last_visit_input",
        )
        if st.button("Save date", key="save_last_visit"):
            try:
                svc.set_preference(state.viewer(), LAST_VISIT, picked.isoformat())
            except door.StoreError as exc:
                st.error(str(exc))
            else:
                state.refresh()

st.header("Questions for the next appointment", anchor=False)
open_own = kept_questions(summary)  # written or kept and not yet asked: what the sheet lists
suggested = [q for q in summary.questions if q.own_id is None]
st.write(f"{len(open_own)} in the list, {len(suggested)} suggested from the record.")
questions_title = page_title("questions", summary.viewer.kind)
st.page_link("pages/questions.py", label=f"Go to {questions_title[:1].lower()}{questions_title[1:]}", icon=":material/help:")
