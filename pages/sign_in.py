"""Sign-in for demo and local use: choose to be a patient, a carer or a clinic nurse.

A real login comes later; while `LTC_LOGIN` is set this chooser (and the URL route) are off.
"""

from __future__ import annotations

import streamlit as st

from ltc_dashboard import settings
from ltc_dashboard.gate.access import Viewer
from pages import state
from pages.carer_choice import carer_choices, distinct, person_labels
from pages.text import day, plain

state.guard()

st.title("Welcome", anchor=False)
ended = st.session_state.get(state.SIGNED_OUT)
if ended:  # the page is not named: on a shared device "Diabetes" would say too much to whoever reloads
    back = " Sign in again to go back to the page you were on." if ended == "page" else " Sign in again to carry on."
    st.info(f"You were signed out for your security.{back}", icon="🔒")
st.write("See your GP record for long-term conditions, get ready for appointments, and keep your questions in one place.")

if settings.login_configured():
    st.info("This app is set up to use a login, and that login is not available in this version yet. "
            "Ask whoever runs it how to sign in.", icon="🔒")
    st.stop()

svc = state.service()
today = state.today()
if svc.is_demo:
    st.info("These are **demo records** of made-up people. Nothing here is about a real person.", icon="ℹ️")

patients = svc.patients(today)
people = {p.id: p for p in patients}
if not patients:
    st.warning("There are no records in this store yet.")
    st.write("Connect to your GP record online with a SMART sign-in (or a FHIR server's address and "
             "token), and the app copies your record here. Or import a file of your record with "
             "`ltc import`, then reload.")
    st.page_link("pages/connect.py", label="Connect your GP record", icon=":material/sync:")  # issue 17
    st.stop()


def _patient_label(choice) -> str:
    return plain(f"{choice.name} (born {day(choice.birth_date)})" if choice.birth_date else choice.name)


st.header("Who are you?", anchor=False)
kind = st.radio(
    "Who are you?", ["A patient", "A carer", "A clinic nurse"], horizontal=True,
    label_visibility="collapsed", key="sign_in_kind",
)

if kind == "A patient":
    st.subheader("See your own record", anchor=False)
    chosen = st.selectbox("Your name", patients, format_func=_patient_label, key="sign_in_patient")
    if st.button("Open my record", type="primary", key="open_patient"):
        state.sign_in({"kind": "patient"}, Viewer(kind="patient", patient_id=chosen.id))
        st.rerun()

elif kind == "A carer":
    st.subheader("See the record of someone you care for", anchor=False)
    st.write("You see only what the person (or the practice, on their behalf) has agreed to share with you.")
    choices = carer_choices(svc.carers(today))  # two RelatedPersons of one patient are listed apart
    if not choices:
        st.write("No carers are recorded in this store.")
        st.stop()
    by_label = {choice.label: choice for choice in choices}
    carer = by_label[st.selectbox("Your name", list(by_label), key="sign_in_carer")]
    links = carer.links
    names = person_labels([link.patient_id for link in links], people)
    by_words = dict(zip(distinct([
        plain(name + (f", where you are recorded as their {link.relationship.lower()}" if link.relationship else "")
              + ("" if link.active_now else " (no current permission)")) for link, name in zip(links, names)]), links))
    link = by_words[st.selectbox("Whose record", list(by_words), key="sign_in_cared_for")]
    if st.button("Open their record", type="primary", key="open_carer"):
        state.sign_in(
            {"kind": "carer", "name": carer.name, "links": [(l.related_person_id, l.patient_id) for l in links]},
            Viewer(kind="proxy", patient_id=link.patient_id, proxy_id=link.related_person_id),
        )
        st.rerun()

else:
    st.subheader("Review a record with a patient (shared screen)", anchor=False)
    st.write("The shared screen uses larger text, shows one condition at a time and hides sensitive entries.")
    chosen = st.selectbox("Patient", patients, format_func=_patient_label, key="sign_in_clinic_patient")
    if st.button("Open shared screen", type="primary", key="open_clinic"):
        state.sign_in({"kind": "nurse"}, Viewer(kind="clinic", patient_id=chosen.id))
        st.rerun()
