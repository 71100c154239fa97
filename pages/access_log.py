"""Who has looked: the patient sees who (themself, which carer, the shared screen) viewed what of
their record, and when."""

from __future__ import annotations

import streamlit as st

from pages import state, ui
from pages.text import viewer_words, when

state.guard()

summary = state.summary()
ui.header("Who has looked at your record", summary)
svc, viewer = state.service(), state.viewer()
if viewer.kind != "patient":
    st.write("Only the person whose record this is can see who has looked at it.")
    st.stop()

names = {l.related_person_id: l.proxy_name for l in svc.carers(state.today()) if l.patient_id == viewer.patient_id}
rows = svc.access_log(viewer.patient_id)
st.write("Every page opened in this app is listed here, newest first: by you, by a carer with "
         "permission, or on the shared screen with your clinic.")
ui.table(
    [{"When": when(row.get("at")),
      "Who": viewer_words(row.get("viewer_kind", ""), names.get(row.get("viewer_id") or "")),
      "What": row.get("what") or ""} for row in rows],
    "Nobody has looked at your record in this app yet.",
)
