"""The sidebar under the navigation: who is signed in, a carer's switch between the people they
look after, the shared-screen switch (and the deliberate way out of it), and sign out.
"""

from __future__ import annotations

import streamlit as st

from pages import state
from pages.text import md_line, plain
from record.access import Viewer
from summary import Summary


def controls(summary: Summary) -> None:
    """Draw the sidebar controls for the signed-in person."""
    who = state.role()
    with st.sidebar:
        st.divider()
        if who.get("kind") == "carer":
            _carer(who, summary)
        elif who.get("kind") == "nurse":
            st.markdown("Signed in as **a clinic nurse** (shared screen).")
        else:
            st.markdown(f"Signed in as **{md_line(summary.patient.name or 'you')}**.")
        if state.in_shared_screen():
            _leave_shared_screen(who)
            return
        if who.get("kind") == "patient":
            switched = st.toggle(
                "Shared screen (clinic) mode", value=False,
                help="For looking at the screen together with a nurse: larger text, one condition "
                     "at a time, and sensitive entries hidden.",
            )
            if switched:
                state.enter_shared_screen()
                st.rerun()
        st.button("Sign out", key="sign_out", on_click=state.sign_out)


def _carer(who: dict, summary: Summary) -> None:
    st.markdown(f"Signed in as **{md_line(who.get('name', 'a carer'))}** (carer).")
    links = who.get("links") or []
    if len(links) < 2:
        return
    names = {p.id: p.name for p in state.service().patients(state.today())}
    current = state.viewer()
    options = [rp for rp, _ in links]
    patient_of = dict(links)
    chosen = st.selectbox(
        "Whose record to show",
        options,
        index=options.index(current.proxy_id) if current.proxy_id in options else 0,
        format_func=lambda rp: plain(names.get(patient_of[rp], "a person you care for")),
    )
    if chosen != current.proxy_id:
        state.switch_viewer(Viewer(kind="proxy", patient_id=patient_of[chosen], proxy_id=chosen))
        st.rerun()


def _leave_shared_screen(who: dict) -> None:
    """Leaving the shared screen needs a second, deliberate click."""
    st.info("Shared screen is on.", icon="🖥️")
    label = "Sign out of the shared screen" if who.get("kind") == "nurse" else "Leave shared screen"
    if not st.session_state.get(state.CONFIRM_LEAVE):
        if st.button(label, key="leave_shared"):
            st.session_state[state.CONFIRM_LEAVE] = True
            st.rerun()
        return
    st.warning("Leaving shows everything again. Is the screen private now?")
    if st.button("Yes, leave shared screen", key="confirm_leave", type="primary"):
        state.leave_shared_screen()
        st.rerun()
    if st.button("Stay in shared screen", key="stay_shared"):
        st.session_state.pop(state.CONFIRM_LEAVE, None)
        st.rerun()
