"""Session-state keys and the few helpers that read and change them.

One `Service` per server (`st.cache_resource`): it holds only the store handle and its own cache
keyed by viewer. Everything clinical is fetched through it for the viewer kept in
`st.session_state`, so one person's data is never served to another session or another viewer.
"""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from ltc_dashboard import settings
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.gate.access import still_admitted as gate_still_admitted
from ltc_dashboard.service.core import Service, open_service
from ltc_dashboard.summary.core import Summary
from pages.sessions import COOKIE, EXITED_COOKIE, SIGN_INS, Held

VIEWER = "viewer"  # the Viewer whose eyes the pages use now
ROLE = "role"  # who signed in: {"kind": "patient"|"carer"|"nurse", "name": str, "links": [...]}
HOME = "home_viewer"  # the patient's own viewer while they are in shared-screen mode
CONFIRM_LEAVE = "leave_asked"  # asked "leave shared screen?" and waiting for the answer
VIEW_ID = "condition_view"  # the condition view the condition page shows
SUMMARY = "summary_for_viewer"  # (viewer key, today, Summary), dropped at the start of each run
LOGGED = "last_logged"  # {slot: (viewer key, what)}: the last views written to the access log
URL_APPLIED = "url_applied"  # the ?patient=&viewer= pair already acted on
EXITED = "quick_exit"  # set after quick exit: only the neutral page shows
NEUTRAL_LEFT = "left_neutral_page"  # chose "Sign in" on the neutral page: the browser's exit mark no longer applies
OPENED = "opened_viewers"  # viewer keys opened in this session (progress bar only the first time)
KEPT = "kept_viewers"  # every Viewer this session opened through the Service: all forgotten on leaving
ROUTED = "routed_by_app"  # set by app.py only while it runs the page it chose
TOKEN = "sign_in_token"  # this sign-in's token in pages/sessions.SIGN_INS (and the browser's cookie)
LEFT = "signed_out_by_choice"  # the person signed out: the next page is sign-in at the bare address
SIGNED_OUT = "signed_out_notice"  # a sign-in ended (True), or a record page's address was asked for ("page")


@st.cache_resource(show_spinner="Opening the record store…")
def _service(db: str | None, data_home: str | None) -> Service:
    """One Service per store configuration; the arguments only key the cache."""
    return open_service()


def service() -> Service:
    """The server's Service over the configured store (the demo store when none is set)."""
    return _service(os.environ.get("LTC_DB"), os.environ.get("XDG_DATA_HOME"))


def guard() -> None:
    """Every page calls this first. Because a `pages/` folder exists, Streamlit also serves each
    file in it by its own name (e.g. /letters), which would skip app.py: sign-in, the sidebar, quick
    exit and the access log. Such a run goes back through the app instead."""
    if not st.session_state.get(ROUTED):
        st.switch_page("app.py")


def today() -> dt.date:
    """Today in the UK, or LTC_TODAY."""
    return settings.today()


def viewer() -> Viewer | None:
    """The current viewer, or None before sign-in."""
    return st.session_state.get(VIEWER)


def role() -> dict:
    """Who signed in (kind, name and, for a carer, the people they look after)."""
    return st.session_state.get(ROLE) or {}


def in_shared_screen() -> bool:
    """Whether the clinic shared-screen view is on."""
    current = viewer()
    return bool(current and current.kind == "clinic")


def sign_in(who: dict, as_viewer: Viewer) -> None:
    """Start a session for one person and viewer, dropping anything from a previous one (what the
    server kept of its views included: a link opened in the same tab is a new sign-in)."""
    _forget_viewers()
    SIGN_INS.forget(st.session_state.get(TOKEN))
    for key in (VIEWER, ROLE, HOME, CONFIRM_LEAVE, VIEW_ID, SUMMARY, LOGGED, TOKEN, SIGNED_OUT, KEPT, OPENED):
        st.session_state.pop(key, None)
    st.session_state[ROLE] = who
    st.session_state[VIEWER] = keep(as_viewer)
    st.session_state[TOKEN] = SIGN_INS.start(_held())


def switch_viewer(as_viewer: Viewer) -> None:
    """Look through other eyes in the same session (a carer's other person)."""
    st.session_state[VIEWER] = keep(as_viewer)
    st.session_state.pop(SUMMARY, None)
    st.session_state.pop(VIEW_ID, None)
    SIGN_INS.update(st.session_state.get(TOKEN), _held())


def keep(opened: Viewer) -> Viewer:
    """Note a viewer this session opens through the Service (its own, a carer's other person, the
    shared screen, a carer preview), so leaving forgets every one of them (`_forget_viewers`);
    a reload carries the list (pages/sessions.Held.kept). Returns the viewer."""
    kept = st.session_state.setdefault(KEPT, set())
    if opened not in kept:
        kept.add(opened)
        SIGN_INS.update(st.session_state.get(TOKEN), _held())
    return opened


def _held() -> Held:
    """What a reload must bring back: who signed in, the viewer, the patient's own view behind
    the shared screen, and every viewer the session opened (forgotten when it ends)."""
    return Held(role=dict(role()), viewer=viewer(), home=st.session_state.get(HOME),
                kept=frozenset(st.session_state.get(KEPT, ())), applied=st.session_state.get(URL_APPLIED))


def remember_applied() -> None:
    """The signed-in session acted on (or set aside) this address's link: a reload with the link
    still in the address bar does not act on it again (pages/sessions.Held.applied)."""
    SIGN_INS.update(st.session_state.get(TOKEN), _held())


def still_admitted(as_viewer: Viewer | None) -> bool:
    """Whether this viewer is still one the sign-in page and a link would admit: the gate decides
    (ltc_dashboard/gate/access.py `still_admitted`, from the carers it lists for the patient)."""
    return gate_still_admitted(as_viewer, lambda: service().carers(today()))


def restore_sign_in() -> None:
    """At the start of a run with nobody signed in: the browser's remembered sign-in, if it is still
    live, exactly as it was (pages/sessions.py). A cookie whose sign-in has ended restores nothing
    and is noted, so the sign-in page can say plainly why the person is there."""
    if viewer() is not None:
        return
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token:  # (AppTest's context answers with a stand-in object)
        return
    held = SIGN_INS.restore(token)
    if held is not None and not still_admitted(held.viewer):
        SIGN_INS.forget(token)  # the carer is no longer admitted: the sign-in ends here
        held = None
    if held is None:
        st.session_state[SIGNED_OUT] = True
        return
    st.session_state[ROLE] = held.role
    st.session_state[VIEWER] = held.viewer
    if held.home is not None:
        st.session_state[HOME] = held.home
    st.session_state[KEPT] = {*held.kept, held.viewer} | ({held.home} if held.home is not None else set())
    st.session_state[TOKEN] = token
    if held.applied is not None:
        st.session_state[URL_APPLIED] = held.applied


def exit_marked() -> bool:
    """Whether this browser used quick exit (it holds the exit mark, pages/sessions.EXITED_COOKIE) and this session
    has no sign-in and has not chosen to start again: then only the neutral page shows (issue 18)."""
    if viewer() is not None or st.session_state.get(NEUTRAL_LEFT):
        return False
    return st.context.cookies.get(EXITED_COOKIE) == "1"


def leave_neutral() -> None:
    """The neutral page's discreet "Sign in": start again at the sign-in page; the exit mark is
    dropped from the browser by the signed-out run (app.py)."""
    st.session_state.pop(EXITED, None)
    st.session_state[NEUTRAL_LEFT] = True


def sign_in_still_live() -> bool:
    """Whether this session's sign-in is still remembered (not ended by sign out or quick exit in
    another tab, nor idle too long) and its carer still admitted (`still_admitted`, H25); marks it
    used. Without a token (none was made) it is live while its viewer is admitted."""
    token = st.session_state.get(TOKEN)
    return (token is None or SIGN_INS.touch(token)) and still_admitted(viewer())


def end_stale_sign_in() -> None:
    """This session's sign-in ended elsewhere or timed out: sign out and say why on the sign-in page,
    which stays at this address so signing in again returns here."""
    sign_out()
    st.session_state.pop(LEFT, None)
    st.session_state[SIGNED_OUT] = True


def _forget_viewers() -> None:
    """Drop the server's kept records and summaries of every viewer this session opened
    (Service.forget): the current one, the patient's own behind the shared screen, a carer's
    earlier people, the clinic view after leaving the shared screen, a previewed carer's view.
    Signing out, quick exit and a new sign-in go on even when the store cannot be opened."""
    kept = {viewer(), st.session_state.get(HOME), *st.session_state.get(KEPT, ())} - {None}
    if not kept:
        return
    try:
        svc = service()
    except Exception:  # noqa: BLE001  never stands between the person and the way out
        return
    for opened in kept:
        svc.forget(opened)


def sign_out() -> None:
    """Forget who signed in, here and in the server's remembered sign-ins, and what the server kept
    of their view; the sign-in page shows next."""
    _forget_viewers()
    SIGN_INS.forget(st.session_state.get(TOKEN))
    for key in list(st.session_state.keys()):
        if key not in (URL_APPLIED, NEUTRAL_LEFT):
            del st.session_state[key]
    st.session_state[LEFT] = True  # the next person starts at the sign-in page, not at this one's page


def enter_shared_screen() -> None:
    """Switch the patient's session to the clinic viewer for the same patient."""
    current = viewer()
    if current is None or current.kind != "patient":
        return
    st.session_state[HOME] = current
    switch_viewer(Viewer(kind="clinic", patient_id=current.patient_id))


def leave_shared_screen() -> None:
    """Back to the patient's own view (only after they confirmed)."""
    home = st.session_state.pop(HOME, None)
    st.session_state.pop(CONFIRM_LEAVE, None)
    if home is None:
        sign_out()
    else:
        switch_viewer(home)


def _forget_expired(held: Held) -> None:
    """A remembered sign-in left idle too long (its tab may be closed): forget every viewer it
    opened in the server, as signing out would (pages/sessions.SignIns.on_expire)."""
    try:
        svc = service()
    except Exception:  # noqa: BLE001  nothing is kept when the store cannot be opened
        return
    for opened in {held.viewer, held.home, *held.kept} - {None}:
        svc.forget(opened)


SIGN_INS.on_expire = _forget_expired


def quick_exit() -> None:
    """Clear everything at once, the remembered sign-in and what the server kept of this view too;
    only a neutral page shows afterwards."""
    _forget_viewers()
    SIGN_INS.forget(st.session_state.get(TOKEN))
    st.session_state.clear()
    st.session_state[EXITED] = True


def summary(progress: bool = False) -> Summary:
    """The current viewer's Summary for today, built once per run (and per viewer)."""
    current = viewer()
    day = today()
    held = st.session_state.get(SUMMARY)
    if held and held[0] == current.key and held[1] == day:
        return held[2]
    opened = st.session_state.setdefault(OPENED, set())
    bar = None
    if progress and current.key not in opened:
        bar = st.progress(0.1, text="Opening the record…")
    svc = service()
    svc.open(current, day)
    if bar:
        bar.progress(0.6, text="Working out what is due…")
    built = svc.summary(current, day)
    if bar:
        bar.progress(1.0, text="Ready")
        bar.empty()
    opened.add(current.key)
    st.session_state[SUMMARY] = (current.key, day, built)
    return built


def new_run() -> None:
    """Start a run with nothing held over: the summary is rebuilt (the Service caches the record)."""
    st.session_state.pop(SUMMARY, None)


def refresh() -> None:
    """Run again after the person wrote something, so every page shows it."""
    st.session_state.pop(SUMMARY, None)
    st.rerun()


def log_view(what: str, slot: str = "page") -> None:
    """Write one access-log line when the viewer opens a page (slot "page") or something within
    it (e.g. slot "letter"), not on every rerun. Opening another page starts afresh."""
    current = viewer()
    if current is None:
        return
    marks = st.session_state.setdefault(LOGGED, {})
    mark = (current.key, what)
    if marks.get(slot) == mark:
        return
    service().log_access(current, what)
    if slot == "page":
        marks.clear()
    marks[slot] = mark
