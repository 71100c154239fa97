"""The sidebar under the navigation: who is signed in, a carer's switch between the people they
look after, the shared-screen switch (and the deliberate way out of it), and sign out.
"""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.summary.core import Summary
from pages import state
from pages.carer_choice import person_labels, switch_options
from pages.text import md_line


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


SWITCH = "carer_switch"  # the carer's "Whose record to show" box: its value is the viewer's own


def _carer(who: dict, summary: Summary) -> None:
    """Who the carer is, and a switch between the people they look after: one RelatedPerson per
    patient, the one signed in as for the record shown (carer_choice.switch_options). The box's
    value is set to the current viewer every run, so only a choice the person makes changes it."""
    st.markdown(f"Signed in as **{md_line(who.get('name', 'a carer'))}** (carer).")
    current = state.viewer()
    if current is None or current.kind != "proxy":
        return
    options = switch_options([tuple(link) for link in who.get("links") or []], current.proxy_id, current.patient_id)
    if len(options) < 2:
        st.session_state.pop(SWITCH, None)
        return
    people = {p.id: p for p in state.service().patients(state.today())}
    by_label = dict(zip(person_labels([patient for _, patient in options], people), options))
    st.session_state[SWITCH] = next(label for label, option in by_label.items() if option == (current.proxy_id, current.patient_id))
    st.selectbox("Whose record to show", list(by_label), key=SWITCH, on_change=_switched, args=(by_label,))


def _switched(by_label: dict) -> None:
    """The person chose another record in the carer's box: look through that RelatedPerson's eyes."""
    chosen = by_label.get(st.session_state.get(SWITCH))
    current = state.viewer()
    if chosen and current is not None and chosen != (current.proxy_id, current.patient_id):
        state.switch_viewer(Viewer(kind="proxy", patient_id=chosen[1], proxy_id=chosen[0]))


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
