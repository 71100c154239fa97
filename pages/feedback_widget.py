"""The "This looks wrong / add a comment" control that pages show under one entry of the record.

    from pages.feedback_widget import flag_control
    flag_control(state.service(), state.viewer(), entry)   # entry: LabResult, Medication, Letter ...

It draws nothing for a viewer who may not flag (the shared screen, a carer whose consent does not
include corrections). Saving goes through `Service.flag_entry`, which checks the entry is one the
viewer can see and keeps its version; the person sends it from the "Check my record" page.
"""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.exports.feedback import KIND_WORDS, STATUS_WORDS, entry_reference
from ltc_dashboard.service import core as door
from pages import state
from pages.text import escape_markdown, md_line, page_title

MAX_TEXT = 4000  # the store's limit on one comment
CHOICES = {"looks_wrong": "This looks wrong", "comment": "I want to add a comment"}


def _key(reference: str) -> str:
    return "flag-" + reference.replace("/", "-")


def flag_control(service, viewer, entry, where: str = "", about: str = "") -> None:
    """Under one entry: the viewer's flags on it, and a small form to add one (when allowed).
    `where` tells apart two places one entry shows on a page (a blood-pressure panel's two numbers);
    `about` names the entry on the button where a page has several (one under each chart), so no two
    buttons share a name for a screen reader (issue 18, WCAG 2.4.6)."""
    today = state.today()
    if viewer is None or viewer.kind == "clinic" or not service.may_flag(viewer, today):
        return
    reference = entry_reference(entry)
    key = _key(reference) + (f"-{where}" if where else "")
    for item in (f for f in service.flags(viewer, today) if f.reference == reference):
        st.caption(f"{KIND_WORDS.get(item.kind, 'Comment')} ({md_line(STATUS_WORDS.get(item.status, item.status).lower())}): "
                   + escape_markdown(item.text))
    with st.popover("This looks wrong / add a comment" + (f" about {md_line(about)}" if about else ""), icon=":material/flag:"):
        with st.form(key, clear_on_submit=True, border=False):
            kind = st.radio("What would you like to do?", list(CHOICES), format_func=CHOICES.get, key=f"{key}-kind")
            text = st.text_area("Your comment for the practice", max_chars=MAX_TEXT, key=f"{key}-text",
                                placeholder="for example: I don't agree because ...")
            if st.form_submit_button("Save", type="primary"):
                try:
                    service.flag_entry(viewer, today, reference, kind, text)
                except (door.StoreError, door.FlagRefused) as exc:
                    st.error(str(exc))
                    return
                st.toast(f"Saved. Send it to the practice from the “{page_title('feedback', viewer.kind)}” page.")
                state.refresh()
