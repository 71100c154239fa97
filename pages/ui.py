"""Widgets every page shares: the page heading, banners, quick exit, tables, measure and check
blocks, suggested questions. They draw domain objects; none reads the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from conditions import BY_ID
from conditions.base import CheckView, MeasureView, Panel, Question
from ltc_dashboard.gate.own_content import shows_own_on_shared_screen
from ltc_dashboard.service import core as door
from ltc_dashboard.summary.core import Summary
from pages import charts, state
from pages.text import (
    ONLINE_RECORD, check_row, day, escape_markdown, humanise, kept_as, md_line, plain, plain_words, target_line, unnest,
)

MAX_TEXT = 4000  # the store's limit on one question or note
PAGE_ROWS = 25  # rows a long table lists at a time; older ones are a choice away
SHARED_SCREEN_BANNER = "Shared screen: some sensitive entries are hidden"

_BASE_CSS = """
<style>
  /* Captions in the NHS secondary text colour, fully opaque (6.3:1 on white): Streamlit draws
     st.caption in the text colour at 60% opacity, 4.0:1, below the 4.5:1 WCAG AA asks of
     normal-size text (found by axe-core). */
  .stApp [data-testid="stCaptionContainer"] { color: #4C6272; opacity: 1; }
</style>
"""

_LARGE_TEXT_CSS = """
<style>
  /* Shared-screen mode: larger text so the patient and nurse can read it together. */
  [data-testid="stMain"] { font-size: 1.3rem; }
  [data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] td,
  [data-testid="stMain"] th, [data-testid="stMain"] label { font-size: 1.3rem !important; }
  [data-testid="stMain"] h1 { font-size: 2.8rem !important; }
  [data-testid="stMain"] h2 { font-size: 2.1rem !important; }
  [data-testid="stMain"] h3 { font-size: 1.7rem !important; }
</style>
"""


def base_style() -> None:
    """The few style fixes every page needs (drawn once per run, before the page)."""
    st.html(_BASE_CSS)


def whose(summary: Summary) -> str:
    """ "your" for the patient, "the" for anyone else (a carer, the shared screen)."""
    return "your" if summary.viewer.kind == "patient" else "the"


def person(summary: Summary) -> str:
    """The person's name, or a neutral phrase."""
    return summary.patient.name or "this person"


def header(title: str, summary: Summary) -> None:
    """The page's one h1, whose record it is, and the banners that must show on every page."""
    st.title(title, anchor=False)
    born = f", born {day(summary.patient.birth_date)}" if summary.patient.birth_date else ""
    seen_as = {
        "patient": "your own view",
        "proxy": "a carer's view: only what the consent allows",
        "clinic": "the shared screen",
    }[summary.viewer.kind]
    st.caption(f"Record of {md_line(person(summary))}{born}. Shown as {seen_as}. Today is {day(summary.today)}.")
    banners(summary)


def banners(summary: Summary) -> None:
    """Shared-screen warning, the online-record start date, and notices from the gate."""
    if summary.viewer.kind == "clinic":
        st.html(_LARGE_TEXT_CSS)
        st.warning(SHARED_SCREEN_BANNER, icon="🖥️")
    if summary.death_notice:  # clinical-reference §11.10: a plain notice, no warning sign
        st.info(summary.death_notice)
    for notice in summary.notices:
        st.warning(escape_markdown(notice), icon="🔒")
    if summary.record_starts:
        owner = "Your" if summary.viewer.kind == "patient" else "The"
        st.info(
            f"{owner} online record starts on {day(summary.record_starts)}. Older results are not "
            "shown here; that does not mean they were normal.  \n"
            "To see older entries, ask the GP practice for access to the full (historic) record: "
            "at reception, through the NHS App, or in writing. They can switch it on or send a copy.",
            icon="ℹ️",
        )


def quick_exit_button(where=st) -> None:
    """One click clears everything and shows a neutral page."""
    where.button(
        "Quick exit", key="quick_exit_button", type="primary", on_click=state.quick_exit,
        icon="🚪", help="Leave now. Clears this screen and shows an unrelated page.",
    )


def table(rows: list[dict], alt: str) -> None:
    """A plain, static table (readable by screen readers), or a sentence when empty. st.table
    reads every cell and header as Markdown, so each is written as text (md_line)."""
    if not rows:
        st.write(escape_markdown(alt))
        return
    cells = [{md_line(k): md_line(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    st.table(pd.DataFrame(cells), hide_index=True, alt=plain(alt))


def h4(text: str, anchor: bool = False) -> None:
    """A fourth-level heading (Streamlit has functions for levels 1 to 3 only); like theirs it takes
    `anchor`, and like every heading here it is drawn without a "link to heading" tab stop."""
    st.markdown(f"#### {escape_markdown(text)}")


def paged_table(items: Sequence, row: Callable[[object], dict], alt: str, key: str, noun: str = "results",
                order: str = "newest first", size: int = PAGE_ROWS) -> Sequence:
    """A table of `items` (already sorted in `order`) listed `size` rows at a time, saying
    how many there are in all, with a choice of which rows to list; returns the items listed. Only
    the listed rows are formatted, so a page costs the same however long the record is."""
    total = len(items)
    if total <= size:
        if total:
            st.caption(f"Showing all {total:,} {noun}, {order}.")
        table([row(item) for item in items], alt)
        return items
    starts = range(0, total, size)
    first = st.selectbox(
        f"Which {noun} to list", starts, key=key,
        format_func=lambda s: f"{s + 1:,} to {min(s + size, total):,}"
        + (" (newest)" if s == 0 else " (oldest)" if s + size >= total else ""),
        help=f"{total:,} {noun} in all, {size} at a time, {order}.",
    )
    shown = items[first:first + size]
    st.caption(f"Showing {first + 1:,} to {first + len(shown):,} of {total:,} {noun}, {order}.")
    table([row(item) for item in shown], alt)
    return shown


def open_expander(label: str, key: str):
    """An expander whose content is made only while it is open: the expander if open, else None.
    Streamlit runs the page again when it is opened or closed. A closed expander's content was
    made, sent and drawn on every run all the same: a condition page's tables of results (5 to 11,
    25 rows each) were a third of its run and much of the browser's work (bench/README.md, fix 34)."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def period_control(key: str) -> charts.Period:
    """The period every chart below it shows: the last year, the last 5 years (the default) or all."""
    return st.radio(
        "Period shown in the charts", charts.PERIODS, index=charts.PERIODS.index(charts.DEFAULT_PERIOD),
        format_func=lambda p: p.label, horizontal=True, key=key,
        help="Charts and their tables show this period. Choose “All results” to see every result.",
    )


def measure_block(measure: MeasureView, summary: Summary, key: str, heading: Callable[[str], object] = st.subheader,
                  period: charts.Period = charts.DEFAULT_PERIOD) -> None:
    """A measure: its name, target with source, chart for the period, one-sentence summary, what
    the period leaves out and the data table of what the chart shows."""
    heading(md_line(f"{measure.plain_name[:1].upper()}{measure.plain_name[1:]}"), anchor=False)
    if measure.plain_name.lower() != measure.name.lower():
        st.caption(md_line(measure.name))
    st.markdown(escape_markdown(target_line(measure)))
    shown = charts.within(measure, period, summary.today)
    note = charts.period_note(measure, shown, period, summary.today)
    sentence = unnest(charts.describe(shown, whose(summary))) if shown.series or shown.home_series else ""
    if charts.has_chart(shown):
        st.plotly_chart(
            charts.measure_figure(shown, period, summary.today), key=f"chart-{key}", alt=plain(f"{note} {sentence}"),
            config={"displaylogo": False, "displayModeBar": False},
        )
    st.markdown(escape_markdown(note))
    if sentence:
        st.markdown(escape_markdown(sentence))
    if measure.note:
        st.caption(escape_markdown(humanise(measure.note)))
    box = (open_expander(f"Table of {md_line(measure.plain_name)} results", key=f"open-rows-{key}")
           if shown.series or shown.home_series else None)
    if box is not None:
        with box:
            noun = "results" if period.years is None else f"results from the {period.label.lower()}"
            paged_table(charts.table_points(shown), lambda p: charts.table_row(p, measure),
                        f"The {measure.plain_name} {noun} the chart shows, newest first.", key=f"rows-{key}", noun=noun)


ATTENTION_FIRST = {"overdue": 0, "never": 1, "due-soon": 2}


def checks_table(checks: list[CheckView], missing: str = ONLINE_RECORD) -> None:
    """Checks with their status in words and an icon, when last done and when next due: the ones
    that need doing first (overdue, not recorded, due soon), each group in the view's order; what
    each check's interval means is folded into one expander, so a phone shows what is due first."""
    ordered = sorted(checks, key=lambda c: ATTENTION_FIRST.get(c.status, 3))
    table([check_row(c, missing) for c in ordered], "No regular checks apply.")
    notes = [f"{c.name}: {plain_words(humanise(c.note))}" for c in ordered if c.note]
    if notes:
        with st.expander("How often each check is done, and why"):
            for note in notes:
                st.caption(escape_markdown(note))


def panel_block(panel: Panel) -> None:
    """A view's extra checklist (e.g. "is my shared record complete?")."""
    st.subheader(md_line(panel.title), anchor=False)
    rows = [{"Item": label, "In the record": humanise(status), "Detail": humanise(detail or "")}
            for label, status, detail in panel.items]
    table(rows, "Nothing to list.")
    if panel.note:
        st.caption(escape_markdown(humanise(panel.note)))


def question_card(question: Question, key: str, on_add: Callable[[Question], None] | None,
                  kept: int | None = None) -> None:
    """A suggested question, one short block on a phone (issue 18): its words, then the add button
    (if allowed) or "Already in your questions" when the person's list holds it (`kept`: its
    number there); why it is suggested is folded into an expander."""
    with st.container(border=True):
        st.markdown(escape_markdown(humanise(question.text)))
        if kept:
            st.caption(f"✔ Already in your questions (number {kept}).")
        elif on_add is not None and st.button(add_label(question), key=key, icon="➕"):
            on_add(question)
        with st.expander("Why it is suggested"):
            st.caption(escape_markdown(humanise(question.reason[:1].upper() + question.reason[1:])))


def already_kept_notice(number: int) -> None:
    """Said instead of adding a question the person's list already holds."""
    st.info(f"That question is already in your questions (number {number}), so it was not added again.", icon="ℹ️")


def add_label(question: Question, words: int = 7) -> str:
    """The add button's name, saying which question it keeps (its first words), so a page's add
    buttons never share one name for a screen reader (issue 18; WCAG 2.4.6)."""
    said = plain(humanise(question.text)).split()
    lead = " ".join(said[:words]).rstrip(",;:.")
    return md_line(f"Add to my questions: “{lead}{'…' if len(said) > words else ''}”")


def add_suggested(question: Question) -> None:
    """Keep a suggested question in the person's own list (saved in the store), unless the list
    this viewer sees already holds it: then say so instead of adding it twice."""
    number = kept_as(state.summary().questions, question.text, question.rule_id)
    if number:
        already_kept_notice(number)
        return
    try:
        state.service().add_question(state.viewer(), question.text, source="suggested", rule_id=question.rule_id,
                                     sources=question.sources)
    except door.StoreError as exc:
        st.error(str(exc))
        return
    st.toast("Added to your questions")
    state.refresh()


def own_shown(summary: Summary) -> bool:
    """Whether this view shows the person's own questions, goals and notes: always, except on the
    shared screen, where only when the person chose so in Settings (gate.own_content)."""
    if summary.viewer.kind != "clinic":
        return True
    return shows_own_on_shared_screen(state.service().preferences(summary.patient.id))


def can_write(summary: Summary) -> bool:
    """Whether this view may save notes and questions (not a carer without permission)."""
    return not summary.denied


def save(write: Callable[[], object], refused: tuple[type[Exception], ...] = ()) -> None:
    """Run a write the person asked for; a refused one (empty, too long, not allowed) is shown as a
    plain error and nothing changes, else the page redraws with the saved state."""
    try:
        write()
    except (door.StoreError, *refused) as exc:
        st.error(str(exc))
        return
    state.refresh()


def view_name(view_id: str) -> str:
    """A condition view's title as it reads inside a sentence ("the diabetes view")."""
    title = BY_ID[view_id].title
    return title[:1].lower() + title[1:]


def other_views(summary: Summary) -> list[str]:
    """The views neither shown nor suggested, which the person may still choose (issue 16)."""
    taken = {v.id for v in summary.conditions} | {s.id for s in summary.suggested_views}
    return [view_id for view_id in BY_ID if view_id not in taken]


def choose_view_button(view_id: str, shown: bool, label: str) -> None:
    """A button that shows (or hides again) a condition view by this viewer's choice."""
    if st.button(label, key=f"{'show' if shown else 'hide'}_view_{view_id}"):
        save(lambda: state.service().choose_view(state.viewer(), view_id, shown), refused=(ValueError,))
