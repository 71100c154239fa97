"""Medicines: current repeats and past medicines with when each was last issued, grouped by the
condition view they relate to (MedicationLine.conditions)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conditions.base import RECENT_MEDICINE_DAYS
from ltc_dashboard.summary.sheet import medicine_name
from pages import state, ui
from pages.feedback_widget import flag_control
from pages.text import day, plain

state.guard()

summary = state.summary()
ui.header("Medicines", summary)
if summary.denied and not summary.medications:
    st.stop()
if not summary.medications:
    st.write("No medicines are in the record.")
    st.stop()

record = state.service().record(state.viewer(), state.today())
dosage = {}
for med in record.medications:
    for mid in (med.id, *med.ids):
        dosage[mid] = med.dosage_text or ""


def _row(line) -> dict[str, str]:
    return {
        "Medicine": medicine_name(line),
        "How to take it": dosage.get(line.id, ""),
        "Last issued": day(line.last_issued, "not recorded"),
        "Repeat": "Yes" if line.repeat else "No",
    }


def _group(title: str, lines) -> None:
    st.header(title, anchor=False)
    current = [line for line in lines if line.current]
    past = sorted((line for line in lines if not line.current),
                  key=lambda line: line.last_issued or dt.date.min, reverse=True)
    st.subheader("Current", anchor=False)
    ui.table([_row(line) for line in current], "No current medicines in this group.")
    if past:
        st.subheader("Past", anchor=False)
        ui.paged_table(past, _row, "Past medicines in this group, most recently issued first.",
                       key=f"past-medicines-{title}", noun="past medicines", order="most recently issued first")


months = round(RECENT_MEDICINE_DAYS / 30.44)
as_of = f" on {day(summary.died_on)}" if summary.died_on else ""
st.caption(f"“Current”{as_of} means not stopped, and either still authorised as a repeat, issued in the "
           f"last {months} months, or an order that was never re-issued. "
           "Ask the practice or a pharmacist before changing how you take any medicine.")
titles = {view.id: view.title for view in summary.conditions}
placed: set[str] = set()
for view_id, title in titles.items():
    lines = [m for m in summary.medications if view_id in m.conditions]
    if lines:
        placed.update(m.id for m in lines)
        _group(title, lines)
rest = [m for m in summary.medications if m.id not in placed]
if rest:
    _group("Other medicines" if placed else "All medicines", rest)

by_id = {med.id: med for med in record.medications}
flaggable = [line for line in summary.medications if line.id in by_id]
if flaggable and summary.viewer.kind != "clinic":
    st.header("Something wrong?", anchor=False)
    line = st.selectbox("Medicine to comment on", flaggable, format_func=lambda m: plain(m.name), key="medicine_flag",
                        help="Choose one medicine, then say if it looks wrong or add a comment for the practice.")
    flag_control(state.service(), state.viewer(), by_id[line.id])
