"""Asking for more of the record (issue 21): what the online record holds, in plain words, and a
request to the practice (the full historic record, a subject access request, proxy access for a
carer) prepared as text to copy and a printable PDF, kept in a list with the day it was made and
when an answer is due.

What the page says about withheld entries is the same for everyone: it never says whether, what
or how many entries are withheld from this person (the gate's own notice of entries it could not
check, shown at the top by ui.header, is the only count). Who may make which request and who sees
which: ltc_dashboard/service/record_requests.py (the one rule). The shared screen never reaches this page (app.py)."""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.record.record_requests import KIND_WORDS, MAX_DETAILS, MAX_NAME, MAX_RELATIONSHIP, PROXY_ACCESS, RequestInvalid
from ltc_dashboard.service import core as door
from ltc_dashboard.service.record_requests import RequestRefused
from ltc_dashboard.summary.sheet import carer_scope_lines
from pages import state, ui
from pages.text import day, escape_markdown, md_line

state.guard()

summary = state.summary()
ui.header("Ask for more of the record", summary)
if summary.denied or summary.viewer.kind == "clinic":
    st.stop()

svc, viewer, today = state.service(), state.viewer(), state.today()
carer = summary.viewer.kind == "proxy"
kinds = svc.request_kinds(viewer, today)
FIELDS = ("rr-kind", "rr-carer", "rr-relationship", "rr-access", "rr-details")
CHOICES = {
    "historic": "Online access to the full (historic) record",
    "sar": "A copy of everything the practice holds (subject access request)",
    "proxy": "Proxy access for a carer or someone I trust",
}

# -- what the online record holds ----------------------------------------------------------------
st.subheader("What the online record holds", anchor=False)
if carer:
    st.markdown(escape_markdown(
        "You see the part of their GP record that their consent lets a carer see. " + " ".join(carer_scope_lines(summary))))
elif summary.record_starts:
    st.markdown(escape_markdown(
        f"Your online record shows entries made from {day(summary.record_starts)}, the day online access to "
        "your record started: results, letters, medicines, conditions and notes the practice added since then. "
        "Entries from before that day are not shown here. Older entries need a request to the practice."))
else:
    st.markdown(escape_markdown(
        "Your online record shows the entries your practice shares online. No start date is set for it, so "
        "older entries show too, where the practice shares them."))
st.markdown(escape_markdown(
    "A GP practice can keep some entries out of the online record, for example information about another "
    "person, or something that could cause serious harm, or a result a clinician wants to talk about with "
    "the patient first (NHS England, Redacting information for online record access). This page says the "
    "same to everyone: it does not say whether any entries are kept out of this record. You can ask the "
    "practice."))

# -- preparing a request -------------------------------------------------------------------------
EXPLAIN = {
    "historic": "Ask the practice to switch on online access to the full record, including older entries. "
                "The practice checks the older record first and may keep some entries out (RCGP GP online "
                "services toolkit).",
    "sar": "Ask for a copy of all the personal information the practice holds, under the right of access in "
           "the UK GDPR. The practice must answer without undue delay and at the latest within one month of "
           "receiving the request. It can take up to two more months if the request is complex or several "
           "were made, and must say so within the first month (Information Commissioner's Office, Right of "
           "access). If the last day falls on a weekend or bank holiday, the practice has until the next "
           "working day. If it asks for proof of identity, the month starts when it gets it.",
    "proxy": "Ask the practice to let someone you trust, such as a carer, use your GP online services for "
             "you. The practice will need the person's name, how they are related to you, what they should be "
             "able to do, your consent, and proof of who you both are, usually photo ID. The practice decides "
             "what access, if any, to give, and you can ask it to end the access at any time (NHS website, How "
             "to get proxy access; RCGP GP online services toolkit).",
}


def _clear() -> None:
    for key in (*FIELDS, "rr-error"):
        st.session_state.pop(key, None)


def _prepare() -> None:
    kind = next(k for k, words in CHOICES.items() if words == st.session_state.get("rr-kind"))
    fields = {"details": st.session_state.get("rr-details")}
    if kind == "proxy":
        words = set(st.session_state.get("rr-access") or ())
        fields.update(carer_name=st.session_state.get("rr-carer"),
                      relationship=st.session_state.get("rr-relationship"),
                      access=[code for code, what in PROXY_ACCESS.items() if what in words])
    try:
        made = svc.make_request(viewer, today, kind, **fields)
    except RequestInvalid as exc:
        st.session_state["rr-error"] = "Not prepared. " + " ".join(exc.problems.values())
        return
    except (RequestRefused, door.StoreError) as exc:
        st.session_state["rr-error"] = str(exc)
        return
    _clear()
    st.session_state["rr-made"] = made.id
    state.new_run()


def request_form() -> None:
    st.subheader("Prepare a request to the practice", anchor=False)
    offered = [CHOICES[k] for k in kinds]
    chosen = st.radio("What do you want to ask for?", offered, key="rr-kind")
    kind = next(k for k, words in CHOICES.items() if words == chosen)
    st.markdown(escape_markdown(EXPLAIN[kind]))
    if carer:
        st.caption("The request is written as coming from you, on their behalf. The practice may ask for evidence "
                   "that you may act for them, such as their written authority.")
    if kind == "proxy":
        st.text_input("The carer's full name", key="rr-carer", help=f"Up to {MAX_NAME} characters.")
        st.text_input("How they are related to you (for example daughter, husband, friend)", key="rr-relationship",
                      help=f"Up to {MAX_RELATIONSHIP} characters.")
        st.multiselect("What they should be able to do", list(PROXY_ACCESS.values()), key="rr-access",
                       placeholder="Choose one or more")
    st.text_area("Anything to add in your own words (optional)" if kind != "proxy" else
                 "Why you would like them to have access (optional)", key="rr-details",
                 help=("For example the dates or kinds of information you want. " if kind == "sar" else "")
                 + f"Up to {MAX_DETAILS:,} characters.")
    if st.session_state.get("rr-error"):
        st.error(escape_markdown(st.session_state["rr-error"]))
    st.button("Prepare this request", key="rr-prepare", type="primary", on_click=_prepare)
    st.caption("Preparing a request keeps it in the list below with today's date. It does not send it: print it "
               "or copy its text, and give it to the practice.")


if kinds:
    request_form()
elif carer:
    st.info("You can prepare a request for them when the consent on their record lets you act for them in this "
            "way. The practice can tell you how to arrange that. A request for proxy access is the person's own.")


# -- the kept requests ----------------------------------------------------------------------------
def _remove(request_id: int) -> None:
    st.session_state.pop("rr-confirm", None)
    try:
        svc.delete_request(viewer, today, request_id)
    except (RequestRefused, door.StoreError) as exc:
        st.session_state["rr-list-error"] = str(exc)
        return
    state.new_run()


def _set(key: str, value) -> None:
    st.session_state[key] = value


def due_words(request) -> str:
    if request.due:
        return f"answer due by {day(request.due)}"
    return "no answer date is set for this kind of request; ask the practice if you have not heard back"


def request_list() -> None:
    requests = svc.record_requests(viewer, today)
    st.subheader("Your requests" if not carer else "Requests you prepared", anchor=False)
    if not requests:
        st.markdown("No requests yet.")
        return
    if st.session_state.get("rr-list-error"):
        st.error(escape_markdown(st.session_state.pop("rr-list-error")))
    just_made = st.session_state.pop("rr-made", None)
    if just_made is not None:
        st.success("Prepared and kept in this list. Print it or copy its text for the practice.")
    for request in requests:
        by = "" if request.author in ("patient", str(viewer)) else " by a carer"
        st.markdown(escape_markdown(f"{KIND_WORDS[request.kind]} made {day(request.made)}{by}; {due_words(request)}."))
        if request.carer_name:
            st.caption(f"For {md_line(request.carer_name)}, {md_line(request.relationship or '')}.")
        with st.expander("Print or copy this request", expanded=request.id == just_made):
            st.download_button("Download the PDF to print", key=f"rr-pdf-{request.id}", mime="application/pdf",
                               data=svc.request_document(viewer, today, request, "pdf"),
                               file_name=f"request-{request.kind}-{request.made.isoformat()}.pdf")
            st.caption("The text to copy into a message or email (the copy button is at its top right):")
            st.code(svc.request_document(viewer, today, request, "text"), language=None, wrap_lines=True)
        if st.session_state.get("rr-confirm") == request.id:
            st.warning("Remove this request from the list? The practice is not told, and this cannot be undone.")
            yes, no = st.columns([1, 3])
            yes.button("Yes, remove it", key=f"rr-yes-{request.id}", type="primary", on_click=_remove,
                       args=(request.id,))
            no.button("No, keep it", key=f"rr-no-{request.id}", on_click=_set, args=("rr-confirm", None))
        else:
            st.button("Remove from this list", key=f"rr-remove-{request.id}", on_click=_set,
                      args=("rr-confirm", request.id))


request_list()
