"""The Home readings page's choice of a file's columns (issue 20): where the header does not say
which column is which, the person chooses once (a select per role) and the choice is kept in the
preferences (`reading_csv_columns`) for the next file from the same device. The reading itself
stays ltc_dashboard/intake/reading_csv.py's; this module only draws the selects and keeps the choice."""

from __future__ import annotations

import json
import zlib

import streamlit as st

from ltc_dashboard.exports.own_content import CSV_COLUMNS_PREFERENCE
from ltc_dashboard.intake.reading_csv import ROLE_WORDS, choice_problem, kept_choice
from ltc_dashboard.service import core as door
from pages import state
from pages.text import escape_markdown

NONE = "Not in this file"


def remembered(svc, header: list[str]) -> dict[str, str]:
    """The kept choice of columns, for the roles this file's header has."""
    return kept_choice(svc.preferences(state.viewer().patient_id).get(CSV_COLUMNS_PREFERENCE), header)


def _keys(header: list[str]) -> dict[str, str]:
    """One widget key per role, new for each header (a select's options are that header's names)."""
    tag = zlib.crc32("\x1f".join(header).encode("utf-8"))
    return {role: f"hr-col-{role}-{tag}" for role in ROLE_WORDS}


def _keep(svc, header: list[str]) -> None:
    """Keep the choice the selects show (a button's callback, before the page is drawn again)."""
    choice = {role: st.session_state[key] for role, key in _keys(header).items()
              if st.session_state.get(key) not in (None, NONE)}
    if problem := choice_problem(choice):
        st.session_state["hr-col-error"] = problem
        return
    try:
        svc.set_preference(state.viewer(), CSV_COLUMNS_PREFERENCE, json.dumps(choice, sort_keys=True))
    except door.StoreError as exc:
        st.session_state["hr-col-error"] = str(exc)
        return
    st.session_state["hr-col-kept"] = True
    state.new_run()


def chooser(svc, header: list[str], current: dict[str, str], open_it: bool) -> None:
    """A select per role with the file's column names; "Use these columns" keeps the choice."""
    with st.expander("Choose which column is which", expanded=open_it):
        st.markdown("If the file's column names do not say what each column holds, choose them here. "
                    "The choice is kept for the next file with the same columns.")
        options = [NONE, *header]
        for role, key in _keys(header).items():
            chosen = current.get(role)
            index = options.index(chosen) if chosen in options else 0
            st.selectbox(ROLE_WORDS[role], options, index=index, key=key)
        if error := st.session_state.pop("hr-col-error", None):
            st.error(escape_markdown(error))
        elif st.session_state.pop("hr-col-kept", None):
            st.success("Column choice kept.")
        st.button("Use these columns", key="hr-col-save", on_click=_keep, args=(svc, header))
