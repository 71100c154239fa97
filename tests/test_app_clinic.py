"""Shared-screen (clinic) mode: what the nurse and patient see together, and how to leave it."""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    BIPOLAR, DIABETES, NOPAT_LETTER, PSY_ENTRY, SHARED_PAGES, demo_db, demo_db_template, go,
    headings, no_errors, open_app, open_expanders, texts, visit_all,
)

BANNER = "Shared screen: some sensitive entries are hidden"


def test_nurse_never_sees_the_psy_entry_or_the_nopat_letter(demo_db):
    """On every shared-screen page the PSY-labelled risk assessment and the NOPAT letter are absent."""
    at = open_app(BIPOLAR, "clinic")
    seen = visit_all(at, SHARED_PAGES)
    assert BANNER in seen
    assert PSY_ENTRY not in seen
    assert NOPAT_LETTER not in seen


def test_patient_sees_the_psy_entry_the_shared_screen_hides(demo_db):
    """The risk assessment is in the patient's own results, so hiding it on the shared screen is real."""
    at = open_expanders(go(open_app(BIPOLAR, "patient"), "results"))
    assert PSY_ENTRY in texts(at)
    assert NOPAT_LETTER not in visit_all(at, ["letters", "overview", "questions"])


def test_every_shared_page_shows_the_banner_and_large_text(demo_db):
    """Each page on the shared screen carries the banner and the large-text style."""
    at = open_app(DIABETES, "clinic")
    for page in SHARED_PAGES:
        go(at, page)
        no_errors(at)
        assert BANNER in [w.value for w in at.warning], page
        assert any("font-size" in h.value for h in at.html), page


def test_shared_screen_shows_one_condition_at_a_time(demo_db):
    """The conditions page offers a select and draws only the chosen view."""
    at = go(open_app(DIABETES, "clinic"), "condition")
    assert headings(at) == ["Conditions"]
    assert at.selectbox(key="clinic_condition").options == ["Diabetes"]
    assert [h.value for h in at.header] == ["Diabetes"]


def test_own_questions_stay_collapsed_on_the_shared_screen(demo_db):
    """The person's own questions sit in a closed expander until they open it."""
    at = go(open_app(DIABETES, "patient"), "questions")
    at.text_area(key="new-question").input("Private worry about money")
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    at.sidebar.toggle[0].set_value(True).run()
    go(at, "questions")
    own = [e for e in at.expander if e.label.startswith("Your own questions")]
    assert own and own[0].proto.expanded is False


def test_patient_switches_on_shared_screen_and_leaving_needs_confirmation(demo_db):
    """One switch enters shared screen; leaving takes a second, deliberate click."""
    at = open_app(DIABETES, "patient")
    at.sidebar.toggle[0].set_value(True).run()
    no_errors(at)
    assert at.session_state["viewer"].kind == "clinic"
    assert BANNER in [w.value for w in at.warning]

    at.sidebar.button(key="leave_shared").click().run()
    assert at.session_state["viewer"].kind == "clinic"
    at.sidebar.button(key="stay_shared").click().run()
    assert at.session_state["viewer"].kind == "clinic"

    at.sidebar.button(key="leave_shared").click().run()
    at.sidebar.button(key="confirm_leave").click().run()
    no_errors(at)
    assert at.session_state["viewer"].kind == "patient"
    assert BANNER not in [w.value for w in at.warning]


def test_nurse_leaving_also_needs_confirmation(demo_db):
    """The nurse's way out is the same two steps, ending at the sign-in page."""
    at = open_app(DIABETES, "clinic")
    at.sidebar.button(key="leave_shared").click().run()
    assert at.session_state["viewer"].kind == "clinic"
    at.sidebar.button(key="confirm_leave").click().run()
    assert headings(at) == ["Welcome"]
