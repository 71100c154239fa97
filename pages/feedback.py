"""Check my record: the person's "this looks wrong" marks and comments on entries, each with its
status (not sent yet, sent, answered), and what to send the practice: a letter asking for the
record to be corrected (rectification request) or, per entry, a FHIR Communication.

Entries are flagged where they are shown (pages/feedback_widget.py). Only what this viewer may
see is listed; the shared screen and a carer whose consent does not include corrections see an
explanation instead.
"""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.exports.feedback import KIND_WORDS, STATUS_WORDS
from ltc_dashboard.service import core as door
from ltc_dashboard.textsafe import json_text
from pages import state, ui
from pages.text import escape_markdown, md_line, page_title, plain, when

state.guard()
summary = state.summary()
ui.header(page_title("feedback", summary.viewer.kind), summary)
svc, viewer, today = state.service(), state.viewer(), state.today()

if viewer.kind == "clinic":
    st.info("Comments on the record are not shown on the shared screen.")
    st.stop()
if summary.denied:
    st.stop()
if not svc.may_flag(viewer, today):
    st.info("Your permission (consent) to see this record does not include asking the practice to "
            "correct it. The practice can change the permission if the person agrees.")
    st.stop()

st.write(
    "If an entry looks wrong, or you want to add your view, use “This looks wrong / add a comment” "
    "under it: under the latest result of each chart, or on the Results, Medicines or Letters page. "
    "Your comments are listed here. When you are "
    "ready, download the letter below and give or send it to the practice, then mark the comments "
    "as sent. When the practice replies, mark them as answered."
)
items = svc.flags(viewer, today)


def item_card(item) -> None:
    with st.container(border=True):
        st.markdown(f"**{KIND_WORDS.get(item.kind, 'Comment')}: {escape_markdown(item.entry_says)}**")
        st.caption(f"Entry dated {md_line(item.entry_date or 'not dated')}. Comment written {when(item.created)}. "
                   f"Status: {STATUS_WORDS.get(item.status, item.status)}.")
        st.markdown(escape_markdown(item.text))
        status_col, download_col = st.columns(2)
        chosen = status_col.selectbox(
            "Status", list(STATUS_WORDS), index=list(STATUS_WORDS).index(item.status),
            format_func=STATUS_WORDS.get, key=f"flag-status-{item.id}-{item.status}",
        )
        if chosen != item.status:
            ui.save(lambda: svc.set_flag_status(viewer, today, item.id, chosen), (door.FlagRefused,))
        download_col.download_button(
            "Download this comment for the practice's system", icon=":material/download:",
            data=json_text(svc.flag_communication(viewer, today, item.id), indent=2),
            file_name=f"communication-{item.id}.json", mime="application/fhir+json", key=f"flag-fhir-{item.id}",
            help="A file for the practice's computer system (a FHIR R4 Communication, JSON) that points "
            "at the exact version of the entry. To send your comments in words, use the letter below.",
        )


st.header("Your comments", anchor=False)
if not items:
    st.write("You have not flagged any entries yet.")
for item in items:
    item_card(item)

if items:
    st.header("Ask the practice to correct the record", anchor=False)
    labels = {i.id: plain(f"{KIND_WORDS.get(i.kind, 'Comment')}: {i.entry_says}") for i in items}
    picked = st.multiselect(
        "Entries to include in the letter", list(labels), format_func=labels.get, key="flag-letter-pick",
        default=[i.id for i in items if i.status != "answered"],
    )
    letter = svc.rectification_request(viewer, today, set(picked))
    st.download_button(
        "Download the request letter", data=letter, icon=":material/download:", key="flag-letter",
        file_name=f"request-to-correct-record-{today.isoformat()}.md", mime="text/markdown",
    )
    st.caption("The letter is a plain text (Markdown) file: open it in any text editor to read, print or email it.")
    with st.expander("Show the letter"):
        st.text(letter)
