"""Remembered sign-ins seen from the app (issue 18): sign out, quick exit and an ended sign-in
forget the server's record of it, a shared-screen switch updates it, and a session whose sign-in
ended elsewhere is signed out with a plain notice. The reload itself is tested in a real browser
(tests/browser/test_navigation.py): AppTest has no cookies."""

from __future__ import annotations

import time

from pages import state
from pages.sessions import IDLE_LIMIT, SIGN_INS, Held
from pages.state import TOKEN
from test_app_support import DIABETES, demo_db, demo_db_template, headings, no_errors, open_app  # noqa: F401

SIGNED_OUT = "You were signed out for your security."


def test_signing_in_remembers_the_viewer_on_the_server(demo_db):
    """A sign-in gets a token that restores the same patient's own view."""
    at = open_app(DIABETES, "patient")
    held = SIGN_INS.restore(at.session_state[TOKEN])
    assert held.viewer.kind == "patient" and held.viewer.patient_id == DIABETES


def test_quick_exit_and_sign_out_forget_the_remembered_sign_in(demo_db):
    """After quick exit, or signing out, the old token restores nobody."""
    at = open_app(DIABETES, "patient")
    token = at.session_state[TOKEN]
    at.button(key="quick_exit_button").click().run()
    assert SIGN_INS.restore(token) is None
    at = open_app(DIABETES, "patient")
    token = at.session_state[TOKEN]
    at.button(key="sign_out").click().run()
    no_errors(at)
    assert SIGN_INS.restore(token) is None
    assert headings(at) == ["Welcome"]
    assert not [i for i in at.info if i.value.startswith(SIGNED_OUT)]  # signing out by choice needs no notice


def test_shared_screen_switch_is_what_a_reload_brings_back(demo_db):
    """Turning the shared screen on updates the remembered sign-in, so a reload cannot show the patient's own view."""
    at = open_app(DIABETES, "patient")
    token = at.session_state[TOKEN]
    at.toggle[0].set_value(True).run()
    no_errors(at)
    held = SIGN_INS.restore(token)
    assert held.viewer.kind == "clinic" and held.home.kind == "patient"


def test_a_sign_in_ended_elsewhere_signs_this_session_out_with_a_plain_notice(demo_db):
    """When the sign-in was ended in another tab (quick exit, sign out) or timed out, the next action shows the sign-in page saying why."""
    at = open_app(DIABETES, "patient")
    assert headings(at) == ["Overview"]
    SIGN_INS.forget(at.session_state[TOKEN])
    at.run()
    no_errors(at)
    assert headings(at) == ["Welcome"]
    assert [i.value for i in at.info][:1] == [f"{SIGNED_OUT} Sign in again to go back to the page you were on."]
    assert "Rajesh" not in " ".join(m.value for m in at.markdown)


def test_the_remembered_sign_in_carries_every_view_the_session_opened(demo_db):
    """The patient turns the shared screen on: the remembered sign-in lists both her own view and
    the clinic view, so a session restored by a reload forgets both when it ends (hazard H24)."""
    at = open_app(DIABETES, "patient")
    at.toggle[0].set_value(True).run()
    no_errors(at)
    held = SIGN_INS.restore(at.session_state[TOKEN])
    assert {(v.kind, v.patient_id) for v in held.kept} == {("patient", DIABETES), ("clinic", DIABETES)}


def test_a_sign_in_that_expires_idle_leaves_nothing_of_its_views_in_the_server(demo_db, monkeypatch):
    """A tab is closed without signing out; once its sign-in has been idle past the limit, the next
    sign-in on the server forgets every view it opened (the shared screen's and the patient's)."""
    at = open_app(DIABETES, "patient")
    at.toggle[0].set_value(True).run()
    no_errors(at)
    kept = {v.key for v in SIGN_INS.restore(at.session_state[TOKEN]).kept}
    assert kept and kept <= state.service().held_viewers()
    later = time.monotonic() + IDLE_LIMIT + 60
    monkeypatch.setattr(SIGN_INS, "_clock", lambda: later)
    SIGN_INS.forget(SIGN_INS.start(Held(role={"kind": "nurse"}, viewer=None, home=None)))  # someone else signs in
    assert not kept & state.service().held_viewers()
