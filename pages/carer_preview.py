"""What my carer can see: the patient previews, read-only, the summary a proxy's view shows
(built through the same gate for Viewer(kind="proxy", ...))."""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.summary.sheet import carer_scope_lines
from pages import state, ui
from pages.charts import describe
from pages.text import check_row, day, escape_markdown, humanise, md_line, plain

state.guard()

summary = state.summary()
ui.header("What my carer can see", summary)
svc, viewer = state.service(), state.viewer()
if viewer.kind != "patient":
    st.write("Only the person whose record this is can preview a carer's view.")
    st.stop()

links = [l for l in svc.carers(state.today()) if l.patient_id == viewer.patient_id]
if not links:
    st.write("No carers or other people are linked to your record, so nobody else can see it here.")
    st.stop()

st.write("Choose someone to see exactly what their view of your record shows. What they can see "
         "is set by the permission (consent) recorded at your GP practice; ask the practice to change it.")
link = st.selectbox(
    "Person", links, key="preview_person",
    format_func=lambda l: plain(l.proxy_name + (f" ({l.relationship.lower()})" if l.relationship else "")
                                + ("" if l.active_now else ": no current permission")),
)
state.log_view(f"Preview of a carer's view ({plain(link.proxy_name)})", slot="preview")
carer = state.keep(Viewer(kind="proxy", patient_id=viewer.patient_id, proxy_id=link.related_person_id))
theirs = svc.summary(carer, state.today())  # kept for this session, forgotten when she leaves

st.header(f"What {md_line(link.proxy_name)} sees", anchor=False)
with st.container(border=True):
    for notice in theirs.notices:
        st.warning(escape_markdown(notice), icon="🔒")
    if theirs.denied and not theirs.conditions:
        st.write(f"{md_line(link.proxy_name)} sees none of your record.")
        st.stop()
    # what the consent leaves out, in the words the carer sees on their overview (issue 16)
    st.info(escape_markdown("\n".join(carer_scope_lines(theirs, "Their"))), icon=":material/lock_clock:")

    st.subheader("Conditions", anchor=False)
    if not theirs.conditions:
        st.write("No condition views.")
    for view in theirs.conditions:
        st.markdown(f"**{md_line(view.title)}**")
        lines = [describe(m, "the") for m in view.measures if m.series]
        if lines:
            st.markdown("\n".join(f"- {escape_markdown(m.plain_name[:1].upper() + m.plain_name[1:])}: {escape_markdown(s)}"
                                  for m, s in zip([m for m in view.measures if m.series], lines)))
        if view.boundary_note:
            st.caption(escape_markdown(f"Their view says: {view.boundary_note}"))
        ui.table([check_row(c, "Not in what they can see") for c in view.checks], "No regular checks.")

    st.subheader("Medicines", anchor=False)
    st.markdown("\n".join(f"- {escape_markdown(m.name)}" + ("" if m.current else " (past)")
                          for m in theirs.medications) or "None.")

    st.subheader("Letters", anchor=False)
    st.markdown("\n".join(f"- {day(l.date, 'undated')}: {escape_markdown(l.title)}" for l in theirs.letters) or "None.")

    st.subheader("Suggested questions they see", anchor=False)
    suggested = [q for q in theirs.questions if q.own_id is None]
    st.markdown("\n".join(f"- {escape_markdown(humanise(q.text))}" for q in suggested) or "None.")
    st.caption("Their own questions and notes are theirs and are not shown here.")
