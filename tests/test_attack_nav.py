"""Outside attack on issue 18's reload persistence, Quick exit and links (branch attack-nav): tokens,
tabs, idle limits, restarts, and `?patient=&viewer=` links over a restored sign-in, each run through
the stand-in browser of tests/attack_nav_support.py (a cookie jar; a reload is a new session).

Records are the demo store's (data/demo/README.md): dm-patient, dem-patient and her carer
dem-rp-daughter. The attacks that failed were xfail(strict=True); branch fix-nav fixed them and removed the marks.
"""

from __future__ import annotations

import pytest
from streamlit.util import calc_hash

import pages.state as state
from attack_nav_support import SIGNED_OUT, Browser, stand_in_cookies, viewer_of  # noqa: F401
from pages.sessions import COOKIE, IDLE_LIMIT, SIGN_INS, SignIns
from test_app_support import DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, headings, no_errors, texts  # noqa: F401


@pytest.fixture(autouse=True)
def _browser_cookies(stand_in_cookies):
    """Every test's AppTests read their cookies from the running stand-in Browser's jar."""


def test_the_stand_in_browser_really_reloads_into_the_same_viewer(demo_db):
    """Baseline for the harness: a patient opened by link, reloaded at the bare address (no link),
    comes back as the same patient on the same token; without the cookie the reload is signed out."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    token = at.session_state[state.TOKEN]
    assert browser.jar.get(COOKIE) == token
    again = browser.open()
    no_errors(again)
    assert viewer_of(again).kind == "patient" and viewer_of(again).patient_id == DIABETES
    assert again.session_state[state.TOKEN] == token
    assert headings(Browser().open()) == ["Welcome"]


WIDER_LINKS = {
    "the patient's own view": {"patient": DEMENTIA, "viewer": "patient"},
    "the clinic view of the same patient": {"patient": DEMENTIA, "viewer": "clinic"},
    "another patient's own view": {"patient": DIABETES, "viewer": "patient"},
}


@pytest.mark.parametrize("link", list(WIDER_LINKS), ids=list(WIDER_LINKS))
def test_a_carers_restored_sign_in_is_not_widened_by_a_link(demo_db, link):
    """A carer (dem-rp-daughter) is signed in in this browser; the same browser then opens (a new
    tab, or a reload of a bookmarked link) `?patient=&viewer=` naming a wider view: Dorothy's own
    view, her clinic view, another patient's record. The restored carer sign-in must not widen
    (issue 18's promise: a link cannot override a restored sign-in into a wider view)."""
    browser = Browser()
    carer = browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert viewer_of(carer).kind == "proxy"
    tab = browser.open(WIDER_LINKS[link])
    assert viewer_of(tab) is None or viewer_of(tab) == viewer_of(carer)


def test_a_nurse_reload_at_the_bare_address_stays_the_clinic_view(demo_db):
    """A clinic nurse's sign-in (role nurse, clinic viewer, nothing behind it) reloads as the same
    clinic view: no patient-only page is offered."""
    browser = Browser()
    browser.open({"patient": DIABETES, "viewer": "clinic"})
    again = browser.open()
    no_errors(again)
    assert viewer_of(again).kind == "clinic" and state.HOME not in again.session_state
    assert again.session_state[state.ROLE]["kind"] == "nurse"


def test_the_shared_screen_reloaded_at_its_link_stays_the_shared_screen(demo_db):
    """The patient opened the app by its demo link `?patient=dm-patient&viewer=patient` and turned
    the shared screen on; the query string is still in the address bar. The nurse presses reload:
    the clinic viewer must come back, never the patient's own view."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.toggle[0].set_value(True)
    browser.run(at)
    no_errors(at)
    assert viewer_of(at).kind == "clinic"
    assert at.query_params.get("viewer") in (["patient"], "patient")  # the address still carries the link
    again = browser.reload(at)
    no_errors(again)
    assert viewer_of(again).kind == "clinic"


def test_the_shared_screen_reloaded_at_the_bare_address_stays_the_shared_screen(demo_db):
    """As above but the address carries no link (signed in from the chooser, or the link dropped):
    the restored sign-in is the clinic viewer with the patient's own view held behind it."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.toggle[0].set_value(True)
    browser.run(at)
    again = browser.open()
    no_errors(again)
    assert viewer_of(again).kind == "clinic"
    assert "My settings" not in texts(again) and "Who has looked" not in texts(again)


@pytest.mark.parametrize("cookie", ["", " ", "x", "A" * 43, "ü🔑" * 20, "a" * 5000, "null", "undefined",
                                    "%00", "\x00", "' OR 1=1 --"])
def test_a_forged_token_restores_nobody(demo_db, cookie):
    """Made-up cookie values (empty, short, the right length, unicode, very long, JavaScript's
    null/undefined strings, control characters, SQL-ish) never restore a record; the page is the
    sign-in page and shows no one's name."""
    SIGN_INS.start(state.Held(role={"kind": "patient"},  # a live sign-in exists on the server
                              viewer=state.Viewer(kind="patient", patient_id=DIABETES), home=None))
    browser = Browser()
    browser.jar[COOKIE] = cookie
    at = browser.open()
    no_errors(at)
    assert viewer_of(at) is None and headings(at) == ["Welcome"]
    assert "Rajesh" not in " ".join(m.value for m in at.markdown)


def test_two_tabs_share_one_token_and_sign_out_in_one_ends_both(demo_db):
    """Two tabs of one browser hold one token; signing out in the second ends the first at its next
    run, and a reload of either restores nobody."""
    browser = Browser()
    first = browser.open({"patient": DIABETES, "viewer": "patient"})
    second = browser.open()
    assert viewer_of(second).patient_id == DIABETES
    second.button(key="sign_out").click()
    browser.run(second)
    browser.run(first)
    no_errors(first)
    assert viewer_of(first) is None and headings(first) == ["Welcome"]
    assert viewer_of(browser.open()) is None  # a reload at the bare address (the link re-signs in by design)


def test_a_token_copied_to_another_browser_after_quick_exit_restores_nobody(demo_db):
    """The token is lifted from the cookie (another browser, another device) after the owner pressed
    Quick exit: it restores nothing, and the owner's browser no longer holds it."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    stolen = browser.jar[COOKIE]
    at.button(key="quick_exit_button").click()
    browser.run(at)
    assert COOKIE not in browser.jar
    assert headings(at) == ["Recipes"]
    thief = Browser()
    thief.jar[COOKIE] = stolen
    got = thief.open()
    assert viewer_of(got) is None and headings(got) == ["Welcome"]


@pytest.mark.parametrize("back_to", ["diabetes", "home", "access-log", "sign-in", "connect-record"])
def test_quick_exit_then_back_to_a_record_address_stays_neutral(demo_db, back_to):
    """After Quick exit, the same session asked for a record page's address (Back: /diabetes,
    /home, /access-log, /sign-in, /connect-record) and for a record link `?patient=&viewer=` (Back
    to the first address): the neutral page only, and no cookie comes back."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.button(key="quick_exit_button").click()
    browser.run(at)
    at._page_hash = calc_hash(back_to)
    browser.run(at)
    assert headings(at) == ["Recipes"] and viewer_of(at) is None and COOKIE not in browser.jar
    at.query_params["patient"] = DIABETES
    at.query_params["viewer"] = "patient"
    browser.run(at)
    assert headings(at) == ["Recipes"] and viewer_of(at) is None
    assert "Rajesh" not in texts(at) and "Health record" not in texts(at)


def test_idle_limit_boundary_with_a_frozen_clock(demo_db, monkeypatch):
    """With the server clock frozen: a reload exactly at the idle limit still restores; one second
    past it restores nobody and says plainly why."""
    clock = [5000.0]
    monkeypatch.setattr(SIGN_INS, "_clock", lambda: clock[0])
    browser = Browser()
    browser.open({"patient": DIABETES, "viewer": "patient"})
    clock[0] += IDLE_LIMIT
    assert viewer_of(browser.open()).patient_id == DIABETES
    clock[0] += IDLE_LIMIT + 1
    late = browser.open()
    assert viewer_of(late) is None
    assert [i.value for i in late.info][:1] == [f"{SIGNED_OUT} Sign in again to carry on."]


def test_an_open_tab_left_idle_past_the_limit_is_signed_out_at_its_next_click(demo_db, monkeypatch):
    """The tab stays open on the overview while the frozen server clock passes the idle limit by one
    second; the next run of that same session shows the sign-in page saying why, not the record,
    and a reload restores nobody."""
    clock = [9000.0]
    monkeypatch.setattr(SIGN_INS, "_clock", lambda: clock[0])
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    clock[0] += IDLE_LIMIT + 1
    browser.run(at)
    no_errors(at)
    assert viewer_of(at) is None and headings(at) == ["Welcome"]
    assert [i.value for i in at.info][:1] == [f"{SIGNED_OUT} Sign in again to go back to the page you were on."]
    assert viewer_of(browser.open()) is None


def test_a_token_from_before_a_restart_restores_nobody(demo_db, monkeypatch):
    """A server restart empties the remembered sign-ins (a new SignIns): the old cookie restores nobody."""
    browser = Browser()
    browser.open({"patient": DIABETES, "viewer": "patient"})
    monkeypatch.setattr(state, "SIGN_INS", SignIns())
    at = browser.open()
    assert viewer_of(at) is None and headings(at) == ["Welcome"]

def test_a_restored_sign_in_when_a_login_is_configured_keeps_the_viewer_and_ignores_links(demo_db, monkeypatch):
    """With LTC_LOGIN set, a cookie of a carer's sign-in is restored as the carer; a `?viewer=patient`
    link is off in that mode, so it cannot widen the view."""
    browser = Browser()
    browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    monkeypatch.setenv("LTC_LOGIN", "smart")
    at = browser.open({"patient": DEMENTIA, "viewer": "patient"})
    assert viewer_of(at).kind == "proxy" and viewer_of(at).proxy_id == "dem-rp-daughter"


@pytest.mark.parametrize("where", ["", "recipes"], ids=["bare address", "recipes"])
def test_a_reload_after_quick_exit_stays_neutral(demo_db, where):
    """Quick exit, then the same browser reloads the neutral page's address (the bare address it
    moved to, or /recipes): whoever looks at the screen must still see the neutral page, not the
    health record's sign-in page."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.button(key="quick_exit_button").click()
    browser.run(at)
    assert headings(at) == ["Recipes"]
    again = browser.open(url_path=where or None)
    assert headings(again) == ["Recipes"], headings(again)


def test_quick_exit_in_one_tab_ends_the_other_tab_without_showing_the_record(demo_db):
    """Two tabs hold one token; Quick exit in the first. The second tab's next run shows no record:
    its sign-in ended, and a reload of it restores nobody."""
    browser = Browser()
    first = browser.open({"patient": DIABETES, "viewer": "patient"})
    second = browser.open()
    assert viewer_of(second).patient_id == DIABETES
    first.button(key="quick_exit_button").click()
    browser.run(first)
    browser.run(second)
    no_errors(second)
    assert viewer_of(second) is None and headings(second) == ["Welcome"]
    assert viewer_of(browser.open()) is None


def test_a_link_in_a_fresh_session_after_sign_out_does_not_bring_back_the_old_token(demo_db):
    """After sign out, the old token (still in a copied cookie) cannot be revived by any later
    sign-in: a new sign-in gets a new token and the old one restores nobody."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    old = browser.jar[COOKIE]
    at.button(key="sign_out").click()
    browser.run(at)
    assert COOKIE not in browser.jar
    browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert browser.jar[COOKIE] != old
    copy = Browser()
    copy.jar[COOKIE] = old
    assert viewer_of(copy.open()) is None

def test_a_restored_nurse_leaving_the_shared_screen_is_signed_out_not_shown_a_patient(demo_db):
    """A clinic nurse's sign-in (nothing behind the shared screen) is restored by a reload; "Sign out
    of the shared screen" then "Yes" signs out: no patient's own view is behind it to come back to."""
    browser = Browser()
    browser.open({"patient": DIABETES, "viewer": "clinic"})
    at = browser.open()
    at.button(key="leave_shared").click()
    browser.run(at)
    at.button(key="confirm_leave").click()
    browser.run(at)
    no_errors(at)
    assert viewer_of(at) is None and headings(at) == ["Welcome"]
    assert viewer_of(browser.open()) is None


def test_sign_out_then_back_to_the_link_address_in_the_same_tab_stays_signed_out(demo_db):
    """After signing out, Back to the `?patient=&viewer=` address the tab opened with (same session):
    the link is not acted on again, and the old cookie is gone."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.button(key="sign_out").click()
    browser.run(at)
    at.query_params["patient"] = DIABETES
    at.query_params["viewer"] = "patient"
    browser.run(at)
    assert viewer_of(at) is None and headings(at) == ["Welcome"] and COOKIE not in browser.jar


@pytest.mark.parametrize("link", ["", "nobody", "dem-patient "])
def test_a_broken_link_over_a_restored_carer_keeps_the_carer_view(demo_db, link):
    """A restored carer's tab opens a link naming no record, an unknown one, or one with a trailing
    space: the link is refused and the carer's own view stays (never another person's)."""
    browser = Browser()
    browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    at = browser.open({"patient": link, "viewer": "patient"})
    assert viewer_of(at).kind == "proxy" and viewer_of(at).proxy_id == "dem-rp-daughter"
    assert at.error
