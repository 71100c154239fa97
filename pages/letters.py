"""Letters: a list and a reader (plain text, sanitised HTML or a PDF's text), full-text search over
the letters this viewer may see, and what the abbreviations in the open letter mean."""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from ltc_dashboard.preference_keys import LAST_VISIT
from ltc_dashboard.record import terminology
from ltc_dashboard.record.models import Letter
from pages import state, ui
from pages.feedback_widget import flag_control
from pages.text import day, escape_markdown, md_line, plain

state.guard()

_HEADING_TAG = re.compile(r"<(/?)h[1-6]\b", re.IGNORECASE)

summary = state.summary()
ui.header("Letters", summary)
if summary.denied and not summary.letters:
    st.stop()

svc, viewer = state.service(), state.viewer()
record = svc.record(viewer, state.today())
letters = sorted(record.letters, key=lambda l: l.date or dt.date.min, reverse=True)
if not letters:
    st.write("No letters are in the record.")
    st.stop()

last_visit = None
try:
    last_visit = dt.date.fromisoformat(svc.preferences(summary.patient.id).get(LAST_VISIT) or "")
except ValueError:
    pass


def is_new(letter: Letter) -> bool:
    return bool(last_visit and letter.date and letter.date > last_visit)


def label(letter: Letter) -> str:
    who = f", from {letter.author}" if letter.author else ""
    new = " (new since your last appointment)" if is_new(letter) else ""
    return plain(f"{day(letter.date, 'undated')}: {letter.title}{who}{new}")


def found_abbreviations(text: str) -> list[dict[str, str]]:
    """Abbreviations from the glossary that appear as whole words in the letter."""
    rows = []
    for short, meaning in terminology.glossary().items():
        if re.search(rf"(?<![\w/]){re.escape(short)}(?![\w/])", text):
            rows.append({"Abbreviation": short, "Meaning": meaning})
    return rows


def reader_html(html: str) -> str:
    """The sanitised letter HTML with its headings set below the page's own (heading order)."""
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h3", plain(html))


query = st.text_input(
    "Search the letters", placeholder="for example: eye, kidney, appointment", key="letters_search",
).strip()
shown = svc.search_letters(viewer, state.today(), query) if query else letters
if query:
    st.caption(f"{len(shown)} of {len(letters)} letters contain “{md_line(query)}”." if shown else
               "No letter contains every word of that search.")
if not shown:
    st.stop()

st.header("Letters in the record", anchor=False)
listed = ui.paged_table(
    shown, lambda l: {"Date": day(l.date, "undated"), "Letter": l.title, "From": l.author or "",
                      "New": "New" if is_new(l) else ""},
    f"{len(shown)} letters, newest first.", key="letters_rows", noun="letters",
)

letter = st.selectbox("Letter to read (from the letters listed above)", listed, format_func=label, key="letters_open")
state.log_view(f"Letter: {plain(letter.title)}", slot="letter")

st.header(md_line(letter.title), anchor=False)
st.caption(" · ".join(md_line(part) for part in (day(letter.date, "undated"), letter.author) if part))
with st.container(border=True):
    if letter.html_safe:
        st.html(reader_html(letter.html_safe))
    elif letter.text:
        st.markdown(escape_markdown(letter.text))
    elif letter.pdf_text:
        st.markdown(escape_markdown(letter.pdf_text))
    else:
        st.info(escape_markdown(letter.unavailable_reason or "This letter's content is not available here. Ask the practice for a copy."))

flag_control(svc, viewer, letter)

text = letter.text or letter.pdf_text or ""
abbreviations = found_abbreviations(text) if text else []
if abbreviations:
    st.subheader("Abbreviations in this letter", anchor=False)
    ui.table(abbreviations, f"{len(abbreviations)} abbreviations found in this letter and what they mean.")
