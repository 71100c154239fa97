"""Results: any coded measure over time, one generic chart page driven by the measures table
(data/terminology/measures.csv, through record.terminology), searchable by name."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conditions.base import Context, MeasureView, series_of
from conditions.home import HOME_MEASURES, home_points
from ltc_dashboard.record import terminology
from pages import state, ui
from pages.feedback_widget import flag_control
from pages.result_actions import latest_point, latest_result_actions
from pages.text import code_words, day, plain, value_words

state.guard()

summary = state.summary()
ui.header("Results", summary)
if summary.denied and not summary.conditions:
    st.stop()

record = state.service().record(state.viewer(), state.today())
ctx = Context(record=record, today=summary.today, viewer_kind=summary.viewer.kind)
table = terminology.measures()
in_views = {m.id: m for view in summary.conditions for m in view.measures}
found = {mid: record.results_for(mid) for mid in table}
# The person's home readings (issue 20), by the rule for who sees them: a measure with only home
# readings is listed too, and a measure outside the views carries them as its home series.
readings = state.service().readings(state.viewer(), state.today())
home = {mid: home_points(mid, readings) for mid in HOME_MEASURES}
available = [meta for meta in table.values() if found[meta.id] or home.get(meta.id)]


def other_results_label(count: int) -> str:
    """The expander of results the app does not chart, in words that say what it holds."""
    return f"{count} other result{'s' if count != 1 else ''}, listed without a chart"


def other_results() -> None:
    """Results with no measure in the table: listed, not charted."""
    others = [r for r in record.results if not r.measure_id]
    if not others:
        return
    st.header("Other results", anchor=False)
    st.write("This app draws charts only for the kinds of result it follows. These ones are in the record "
             "too: they are listed as the record has them, without a chart or a target. The practice can "
             "explain any of them.")
    box = ui.open_expander(other_results_label(len(others)), key="open-results-other")
    if box is None:  # made only when opened: at 25k, hundreds of rows
        return
    with box:  # ui.table escapes the cells
        ui.paged_table(
            sorted(others, key=lambda r: r.date or dt.date.min, reverse=True),
            lambda r: {"Date": day(r.date, "undated"), "Name": r.name,
                       "Result": value_words(r.value, r.unit or "", r.comparator, r.value_text or "recorded")},
            "Other results, listed without a chart, newest first.", key="results_other_rows",
        )


if not available:
    st.write("There are no coded results in the record.")
    other_results()
    st.stop()

query = st.text_input(
    "Search results by name", placeholder="for example: cholesterol, kidney, HbA1c", key="results_search",
).strip().casefold()
matches = [
    meta for meta in available
    if not query or query in meta.name.casefold() or query in meta.plain_name.casefold() or query in meta.id
]
st.caption(f"{len(matches)} of {len(available)} kinds of result in the record.")
if not matches:
    st.write("No result matches that search. Try a shorter word, such as “sugar” or “kidney”.")
    st.stop()


def _label(meta) -> str:
    plain = f"{meta.plain_name[:1].upper()}{meta.plain_name[1:]}"
    # "Blood sugar (HbA1c): Haemoglobin A1c (HbA1c)": the medical name after a colon, never in a
    # second pair of brackets (issue 18).
    return plain if meta.plain_name.casefold() == meta.name.casefold() else f"{plain}: {meta.name}"


chosen = st.selectbox("Result to show", matches, format_func=_label, key="results_measure")
measure = in_views.get(chosen.id) or MeasureView(
    id=chosen.id, name=chosen.name, plain_name=chosen.plain_name, unit=chosen.unit,
    display_unit=chosen.display_unit, series=series_of(ctx, chosen.id), home_series=home.get(chosen.id, []),
)
period = ui.period_control(key="results_period")
ui.measure_block(measure, summary, key=f"results-{chosen.id}", heading=st.header, period=period)
latest_result_actions(measure, found[chosen.id], summary, key=f"results-{chosen.id}")
if chosen.id not in in_views:
    st.caption("No target is shown here: targets come with a condition view that applies to this person.")

every = found[chosen.id][::-1]
listed = []
with st.expander("Every entry, including ones not counted"):
    st.write("Charts and checks count only final, amended or corrected results with a usable unit.")
    listed = ui.paged_table(
        every,
        lambda r: {
            "Date": day(r.date, "undated"),
            "Result": value_words(r.value, chosen.display_unit, r.comparator, r.value_text),
            "Status": code_words(r.status),
            "Note": r.unit_problem or "",
        },
        f"Every {chosen.plain_name} entry, newest first.", key=f"results_every_{chosen.id}", noun="entries",
    )

latest = latest_point(measure)
others = [r for r in listed if latest is None or r.id != latest.id]  # the latest has its own controls under the chart
if others:
    entry = st.selectbox(
        "Another result to comment on (from the entries listed above)", others, key=f"results_flag_{chosen.id}",
        format_func=lambda r: plain(f"{day(r.date, 'undated')}: "
                                    + value_words(r.value, chosen.display_unit, r.comparator, r.value_text)),
        help="Choose one result, then say if it looks wrong or add a comment for the practice. "
        "To comment on an older one, list older entries above first.",
    )
    flag_control(state.service(), state.viewer(), entry)

other_results()
