"""Repeat prescriptions (issue 21): the person's repeat medicines with when each was last issued,
those that may be ordered as checkboxes, "Order" with a confirmation, and every order kept with its
status. Which repeats are offered, who may order and who sees which orders: ltc_dashboard/service/repeats.py and
conditions/repeats.py (the one rule). Sent to the practice's FHIR server over the kept connection
where it takes orders; otherwise prepared as a message to copy, print or download."""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.service import core as door
from ltc_dashboard.service.repeats import OrderRefused
from pages import state, ui
from pages.text import day, escape_markdown

state.guard()

summary = state.summary()
ui.header("Repeat prescriptions", summary)
if summary.denied:
    st.stop()

svc, viewer, today = state.service(), state.viewer(), state.today()
if viewer.kind == "clinic":  # not in the shared screen's menu; a typed address still orders nothing
    st.markdown("Ordering repeat prescriptions is not offered on the shared screen.")
    st.stop()
choices = svc.repeat_choices(viewer, today)
orders = svc.repeat_orders(viewer, today)
writable = svc.may_order(viewer, today)
proxy_id = viewer.proxy_id if viewer.kind == "proxy" else None
servers = [c["server"] for c in svc.connections(viewer.patient_id, proxy_id)]


def _ask() -> None:
    picked = [c.focus_id for c in choices if c.offered and st.session_state.get(f"rp-pick-{c.focus_id}")]
    st.session_state.pop("rp-result", None)
    if not picked:
        st.session_state["rp-error"] = "Choose at least one medicine to order, then select Order."
        return
    st.session_state.pop("rp-error", None)
    st.session_state["rp-confirm"] = picked


def _cancel() -> None:
    st.session_state.pop("rp-confirm", None)


def _order(how: str) -> None:
    picked = st.session_state.pop("rp-confirm", [])
    results, message = [], None
    try:
        if how == "message":
            _, message = svc.prepare_order(viewer, today, picked)
            results.append(("ok", "Prepared as a message to the practice. Copy, print or download it below."))
        else:
            for medication_id in picked:
                outcome = svc.send_order(viewer, today, medication_id, servers[0])
                results.append(("ok" if outcome.sent else "error", outcome.words))
    except (OrderRefused, door.StoreError) as exc:
        results.append(("error", str(exc)))
    st.session_state["rp-result"] = (results, message)
    for key in [k for k in st.session_state if str(k).startswith("rp-pick-")]:
        st.session_state[key] = False
    state.new_run()


def repeat_list() -> None:
    st.subheader("Your repeat medicines" if viewer.kind == "patient" else "Repeat medicines", anchor=False)
    if not choices:
        st.markdown("No current repeat medicines are in the record shown here.")
        return
    if not writable:
        st.info("This view cannot order repeat prescriptions."
                + (" A carer can when the consent on the record lets them act on it." if viewer.kind == "proxy" else ""))
    for choice in choices:
        med = choice.medication
        last = f"last issued on {day(med.last_issued)}" if med.last_issued else "no issue recorded"
        label = f"{med.name} ({last})"
        if choice.offered and writable:
            st.checkbox(escape_markdown(label), key=f"rp-pick-{choice.focus_id}")
            if med.dosage_text:
                st.caption(escape_markdown(med.dosage_text))
        else:
            st.markdown(f"**{escape_markdown(med.name)}**: {last}. "
                        + (escape_markdown(choice.reason) if choice.reason else ""))
    if not writable or not any(c.offered for c in choices):
        return
    if st.session_state.get("rp-error"):
        st.error(st.session_state["rp-error"])
    confirm = st.session_state.get("rp-confirm")
    if not confirm:
        st.button("Order", key="rp-order", type="primary", on_click=_ask)
        return
    names = [c.medication.name for c in choices if c.focus_id in confirm]
    how = (f"It will be sent to the practice's server ({servers[0]})." if servers else
           "This record is not connected to a server that takes orders, so the order is prepared as a message "
           "for you to send to the practice.")
    st.warning(escape_markdown(f"Order {', '.join(names)}? {how}"))
    yes, message, no = st.columns([1, 2, 1])
    if servers:
        yes.button("Yes, send the order", key="rp-yes", type="primary", on_click=_order, args=("server",))
        message.button("Prepare as a message instead", key="rp-message", on_click=_order, args=("message",))
    else:
        yes.button("Yes, prepare the order", key="rp-yes", type="primary", on_click=_order, args=("message",))
    no.button("Cancel", key="rp-no", on_click=_cancel)


def result() -> None:
    held = st.session_state.get("rp-result")
    if not held:
        return
    results, message = held
    for kind, words in results:
        (st.success if kind == "ok" else st.error)(escape_markdown(words))
    if message:
        st.code(message, language=None)
        st.download_button("Download the message", message, file_name="repeat-prescription-request.txt",
                           mime="text/plain", key="rp-download")


def order_list() -> None:
    st.subheader("Your orders" if viewer.kind == "patient" else "Orders", anchor=False)
    if not orders:
        st.markdown("No orders yet.")
        return
    for order in orders:
        st.markdown(f"**{escape_markdown(order.medication)}**: {escape_markdown(order.words(today))}.")


result()
repeat_list()
order_list()
state.log_view("repeat prescriptions")
