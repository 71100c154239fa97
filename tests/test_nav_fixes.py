"""Issue 18 fixes for the attack on branch attack-nav (tests/test_attack_nav*.py): the way back from
the neutral page Quick exit leaves in a browser, the plain message when a link is set aside for a
signed-in view, and a carer hidden from the patient's view while her tab is open. Each runs through
the stand-in browser of tests/attack_nav_support.py (a cookie jar; a reload is a new session).

Records are the demo store's (data/demo/README.md): dm-patient, dem-patient and her carer
dem-rp-daughter; the NOPAT version 2 of RelatedPerson/dem-rp-daughter is the attack's
(tests/test_attack_nav_access.py, the shape of attack 16's safeguarding contact).
"""

from __future__ import annotations

import pytest

import pages.state as state
from attack_nav_support import SIGNED_OUT, Browser, stand_in_cookies, viewer_of  # noqa: F401
from ltc_dashboard.store import Store
from pages.sessions import COOKIE, EXITED_COOKIE
from test_app_support import DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, headings, no_errors, texts  # noqa: F401
from test_attack_nav_access import NOPAT, _person_v2


@pytest.fixture(autouse=True)
def _browser_cookies(stand_in_cookies):
    """Every test's AppTests read their cookies from the running stand-in Browser's jar."""


def test_quick_exit_leaves_only_a_mark_and_sign_in_on_the_neutral_page_starts_again(demo_db):
    """After Quick exit the browser holds no token, only the exit mark, and a reload stays neutral;
    the recipe page's "Sign in" shows the sign-in page (without "signed out for your security")
    and drops the mark, so the next reload is an ordinary first visit."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.button(key="quick_exit_button").click()
    browser.run(at)
    assert browser.jar == {EXITED_COOKIE: "1"}
    again = browser.open()
    assert headings(again) == ["Recipes"] and "Welcome" not in texts(again)
    again.button[0].click()
    browser.run(again)
    no_errors(again)
    assert headings(again) == ["Welcome"] and SIGNED_OUT not in texts(again)
    assert EXITED_COOKIE not in browser.jar
    assert headings(browser.open()) == ["Welcome"]


def test_a_link_over_the_exit_mark_opens_nothing(demo_db):
    """A record link opened in a browser that used Quick exit shows the neutral page, signs no one
    in and sets no token (someone reopening the history must not get the record)."""
    browser = Browser()
    at = browser.open({"patient": DIABETES, "viewer": "patient"})
    at.button(key="quick_exit_button").click()
    browser.run(at)
    tab = browser.open({"patient": DIABETES, "viewer": "patient"})
    assert headings(tab) == ["Recipes"] and viewer_of(tab) is None and COOKIE not in browser.jar


def test_a_link_to_another_view_over_a_restored_sign_in_says_plainly_why_it_is_not_opened(demo_db):
    """The carer's restored view stays, and the page says she is signed in and must sign out
    first; the same link (her own) says nothing."""
    browser = Browser()
    browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    same = browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert not same.warning and viewer_of(same).proxy_id == "dem-rp-daughter"
    other = browser.open({"patient": DIABETES, "viewer": "patient"})
    assert viewer_of(other).proxy_id == "dem-rp-daughter"
    assert [w.value for w in other.warning if "Sign out first to open another view" in w.value]
    assert "Rajesh" not in texts(other)


def test_a_carer_hidden_while_her_tab_is_open_is_signed_out_at_her_next_action(demo_db):
    """The open tab (same session, no reload) of a carer whose RelatedPerson becomes NOPAT-labelled
    is signed out at its next run with the plain notice, and her token restores nobody."""
    browser = Browser()
    at = browser.open({"patient": DEMENTIA, "viewer": DAUGHTER})
    assert at.session_state[state.SUMMARY][2].conditions
    store = Store(demo_db)
    store.put(_person_v2(lambda p: p.update(meta={**p["meta"], "security": [NOPAT]})))
    store.close()
    browser.run(at)
    no_errors(at)
    assert viewer_of(at) is None and headings(at) == ["Welcome"]
    shown = texts(at)
    assert SIGNED_OUT in shown and "Alzheimer" not in shown
    assert viewer_of(browser.open()) is None
