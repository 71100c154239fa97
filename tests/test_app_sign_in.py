"""Sign-in, the local URL route, the login switch and quick exit."""

from __future__ import annotations

import copy

from streamlit.testing.v1 import AppTest

from test_app_support import (  # noqa: F401  (fixtures)
    APP, DAUGHTER, DEMENTIA, DIABETES, TIMEOUT, demo_db, demo_db_template, go, headings, no_errors,
    open_app, texts,
)


def choose(at: AppTest, who: str) -> AppTest:
    """Pick "A patient", "A carer" or "A clinic nurse" on the sign-in page."""
    return at.radio(key="sign_in_kind").set_value(who).run()


def test_sign_in_page_offers_patient_carer_and_nurse(demo_db):
    """Before anyone signs in, only the sign-in page shows, with the three ways in."""
    at = open_app()
    no_errors(at)
    assert headings(at) == ["Welcome"]
    assert at.radio(key="sign_in_kind").options == ["A patient", "A carer", "A clinic nurse"]
    assert "Rajesh Example" in " ".join(at.selectbox(key="sign_in_patient").options)


def test_patient_signs_in_and_sees_their_overview(demo_db):
    """Choosing a demo patient opens their overview in their own words."""
    at = open_app()
    at.selectbox(key="sign_in_patient").select_index(
        [o.startswith("Rajesh Example") for o in at.selectbox(key="sign_in_patient").options].index(True))
    at.button(key="open_patient").click().run()
    no_errors(at)
    assert headings(at) == ["Overview"]
    assert "Record of Rajesh Example" in at.caption[0].value
    assert "your own view" in at.caption[0].value


def test_carer_signs_in_to_the_person_they_care_for(demo_db):
    """A demo carer (grouped by name) opens the cared-for person's record as a proxy."""
    at = choose(open_app(), "A carer")
    assert "Susan Specimen" in at.selectbox(key="sign_in_carer").options
    at.selectbox(key="sign_in_carer").select("Susan Specimen").run()
    assert any("Dorothy Specimen" in o for o in at.selectbox(key="sign_in_cared_for").options)
    at.button(key="open_carer").click().run()
    no_errors(at)
    assert "a carer's view" in at.caption[0].value
    assert "Susan Specimen" in texts(at)


def test_expired_carer_is_told_there_is_no_permission(demo_db):
    """A carer whose consent ended sees a plain notice and none of the record."""
    at = choose(open_app(), "A carer")
    at.selectbox(key="sign_in_carer").select("Peter Specimen").run()
    assert "no current permission" in at.selectbox(key="sign_in_cared_for").options[0]
    at.button(key="open_carer").click().run()
    assert any("no current permission" in w.value for w in at.warning)
    assert "Memory assessment" not in texts(at)
    assert "Dementia" not in [s.value for s in at.header]


def test_nurse_opens_shared_screen_for_a_patient(demo_db):
    """The clinic nurse picks a patient and lands in shared-screen mode with its banner."""
    at = choose(open_app(), "A clinic nurse")
    options = at.selectbox(key="sign_in_clinic_patient").options
    at.selectbox(key="sign_in_clinic_patient").select_index([o.startswith("Rajesh") for o in options].index(True))
    at.button(key="open_clinic").click().run()
    no_errors(at)
    assert any("Shared screen: some sensitive entries are hidden" in w.value for w in at.warning)
    assert "clinic nurse" in texts(at)


def test_url_opens_a_view_directly_in_local_mode(demo_db):
    """?patient=ID&viewer=proxy:RelatedPerson/ID opens that carer's view without the chooser."""
    at = open_app(DEMENTIA, DAUGHTER)
    no_errors(at)
    assert headings(at) == ["Overview"]
    assert "a carer's view" in at.caption[0].value


def test_url_with_a_bad_viewer_shows_a_plain_error(demo_db):
    """A viewer the app does not know gives an st.error and the sign-in page, never a traceback."""
    at = open_app(DIABETES, "doctor")
    assert not at.exception
    assert "Unknown viewer" in at.error[0].value
    assert headings(at) == ["Welcome"]


def test_url_with_an_unknown_patient_shows_a_plain_error(demo_db):
    """A patient id that is not in the store is refused in plain words that do not echo it."""
    at = open_app("nobody-here", "patient")
    assert not at.exception
    assert "not in this store" in at.error[0].value
    assert "nobody-here" not in at.error[0].value


def test_url_naming_another_patients_carer_is_refused(demo_db):
    """A RelatedPerson of one patient cannot be used to open another patient's record."""
    at = open_app(DIABETES, DAUGHTER)
    assert "not linked to this record" in at.error[0].value
    assert headings(at) == ["Welcome"]


def test_url_route_is_off_when_a_login_is_configured(demo_db, monkeypatch):
    """With LTC_LOGIN set, neither the URL nor the demo chooser can pick who you are."""
    monkeypatch.setenv("LTC_LOGIN", "oidc")
    at = open_app(DIABETES, "patient")
    no_errors(at)
    assert headings(at) == ["Welcome"]
    assert not at.radio and not at.selectbox
    assert "Rajesh" not in texts(at)


def test_quick_exit_clears_everything_and_shows_a_neutral_page(demo_db):
    """One click on quick exit leaves only a recipe page with no trace of the record."""
    at = open_app(DIABETES, "patient")
    go(at, "letters")
    at.button(key="quick_exit_button").click().run()
    no_errors(at)
    assert headings(at) == ["Recipes"]
    shown = texts(at)
    for trace in ("Rajesh", "Letters", "Diabetes", "Sign out", "Quick exit", "health"):
        assert trace not in shown
    assert set(at.session_state.keys()) == {"quick_exit"}
    assert at.query_params == {}


def test_quick_exit_is_on_the_sign_in_page_too(demo_db):
    """Quick exit is offered before anyone signs in."""
    at = open_app()
    assert at.button(key="quick_exit_button").label == "Quick exit"


def test_sign_out_returns_to_the_chooser(demo_db):
    """Signing out forgets the viewer and shows the sign-in page."""
    at = open_app(DIABETES, "patient")
    at.sidebar.button(key="sign_out").click().run()
    assert headings(at) == ["Welcome"]
    assert "viewer" not in at.session_state


def test_carer_of_several_people_switches_between_them(demo_db):
    """A carer recorded for two people picks whose record to show from the sidebar."""
    from ltc_dashboard.store import Store

    store = Store(demo_db)
    raw = {r["id"]: r for r in store.resources_for(DEMENTIA)}
    person = copy.deepcopy(raw["dem-rp-daughter"])
    consent = copy.deepcopy(raw["dem-consent-proxy-daughter"])
    person.update(id="dem2-rp-susan", patient={"reference": "Patient/dem2-patient"})
    consent.update(id="dem2-consent-proxy-susan", patient={"reference": "Patient/dem2-patient"})
    consent["provision"]["actor"][0]["reference"] = {"reference": "RelatedPerson/dem2-rp-susan"}
    store.put([person, consent])
    store.close()

    at = open_app(DEMENTIA, DAUGHTER)
    switch = at.sidebar.selectbox[0]
    assert switch.label == "Whose record to show"
    assert sorted(switch.options) == ["Dorothy Specimen", "George Testcase"]
    switch.select("George Testcase").run()
    no_errors(at)
    assert "Record of George Testcase" in at.caption[0].value
    assert at.session_state["viewer"].proxy_id == "dem2-rp-susan"
