"""Settings: the choices the person makes about their own view (the condition views point here),
saved in the store as preferences. Only the patient can change them."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ltc_dashboard.preference_keys import EOL_PROMPTS as PROMPTS, EOL_SHOW_PROGNOSIS as SENSITIVE, LAST_VISIT
from ltc_dashboard.preference_keys import SHARED_SCREEN_OWN as SHARED_SCREEN_PREFERENCE
from ltc_dashboard.preference_keys import SHARED_SCREEN_READINGS as READINGS_HIDDEN_PREFERENCE
from ltc_dashboard.service import core as door
from pages import state, ui
from pages.text import day

state.guard()


summary = state.summary()
ui.header("Settings", summary)
svc, viewer = state.service(), state.viewer()
if viewer.kind != "patient":
    st.write("Only the person whose record this is can change these settings.")
    st.stop()

prefs = svc.preferences(viewer.patient_id)


def _save(key: str, value: str) -> None:
    try:
        svc.set_preference(viewer, key, value)
    except door.StoreError as exc:
        st.error(str(exc))
        return
    state.refresh()


st.header("Planning ahead", anchor=False)
if "end_of_life" not in {view.id for view in summary.conditions}:
    st.write("Nothing to choose here: the planning-ahead view does not apply to your record.")
else:
    st.write("Planning ahead is personal. Nothing here changes your care; it only changes what this app shows you.")
    prompts = st.toggle(
        "Suggest questions about planning ahead", value=prefs.get(PROMPTS) == "yes", key="pref_prompts",
        help="When on, the planning-ahead view suggests questions you might ask at an appointment.",
    )
    if prompts != (prefs.get(PROMPTS) == "yes"):
        _save(PROMPTS, "yes" if prompts else "no")
    sensitive = st.toggle(
        "Show resuscitation (CPR) decisions and prognosis entries", value=prefs.get(SENSITIVE) == "yes",
        key="pref_sensitive",
        help="When on, these entries show in the app for you and for anyone who can see your record "
             "here: a carer with permission, and the shared screen.",
    )
    if sensitive != (prefs.get(SENSITIVE) == "yes"):
        _save(SENSITIVE, "yes" if sensitive else "no")

st.header("Shared screen", anchor=False)
st.write("When you look at your record together with a nurse (shared screen), what you wrote or "
         "kept yourself is hidden unless you choose to show it.")
shared = st.toggle(
    "Show my own questions, goals and notes on the shared screen",
    value=prefs.get(SHARED_SCREEN_PREFERENCE) == "yes", key="pref_shared_own",
    help="When on, the shared screen, its question sheet and its downloads include your own questions, "
         "the suggestions you kept, your own goals and your progress notes. Comments on your record are "
         "never shown there. A question made from an entry the shared screen hides stays hidden.",
)
if shared != (prefs.get(SHARED_SCREEN_PREFERENCE) == "yes"):
    _save(SHARED_SCREEN_PREFERENCE, "yes" if shared else "no")
readings_shown = st.toggle(
    "Show my home readings on the shared screen",
    value=prefs.get(READINGS_HIDDEN_PREFERENCE) != "hide", key="pref_shared_readings",
    help="Your own blood pressure, blood sugar and weight readings (Home readings). They are shown on the "
         "shared screen unless you turn this off.",
)
if readings_shown != (prefs.get(READINGS_HIDDEN_PREFERENCE) != "hide"):
    _save(READINGS_HIDDEN_PREFERENCE, "show" if readings_shown else "hide")

st.header("Your last appointment", anchor=False)
try:
    last_visit = dt.date.fromisoformat(prefs.get(LAST_VISIT) or "")
except ValueError:
    last_visit = None
st.write(f"Saved as {day(last_visit)}." if last_visit else "Not saved yet.")
st.caption("Letters dated after it are marked as new. You can change it on the overview page.")
