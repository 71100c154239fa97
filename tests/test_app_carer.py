"""Carers with proxy access see only what consent allows, and the patient can preview it."""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    DAUGHTER, DEMENTIA, SDV_LETTER, SHARED_PAGES, SON, demo_db, demo_db_template, go, headings,
    no_errors, open_app, texts, visit_all,
)

CARER_PAGES = SHARED_PAGES  # the same pages as the shared screen: no preview, no access log


def test_daughter_never_sees_the_sdv_letter_on_any_page(demo_db):
    """The carer of the dementia patient sees her record but never the SDV-labelled letter's title."""
    at = open_app(DEMENTIA, DAUGHTER)
    seen = visit_all(at, CARER_PAGES)
    assert "Memory assessment service: review" in seen
    assert SDV_LETTER not in seen


def test_daughter_cannot_find_the_sdv_letter_by_search(demo_db):
    """Full-text search returns only letters the carer may see."""
    at = go(open_app(DEMENTIA, DAUGHTER), "letters")
    at.text_input(key="letters_search").input("safeguarding").run()
    no_errors(at)
    assert SDV_LETTER not in texts(at)
    assert any("No letter contains" in c.value for c in at.caption)


def test_patient_sees_the_sdv_letter_that_the_carer_cannot(demo_db):
    """The same letter is in the patient's own view, so the carer's view really is narrower."""
    at = go(open_app(DEMENTIA, "patient"), "letters")
    assert SDV_LETTER in texts(at)


def test_carer_pages_speak_to_the_carer(demo_db):
    """Headings say whose record it is and that it is a carer's view."""
    at = open_app(DEMENTIA, DAUGHTER)
    assert "Record of Dorothy Specimen" in at.caption[0].value
    assert "only what the consent allows" in at.caption[0].value
    go(at, "condition")
    assert headings(at) == ["Dementia"]
    assert "Dorothy" in " ".join(m.value for m in at.markdown)


def test_expired_consent_shows_nothing_clinical(demo_db):
    """A carer whose consent has ended gets the notice and only the overview page."""
    at = open_app(DEMENTIA, SON)
    no_errors(at)
    assert any("no current permission" in w.value for w in at.warning)
    shown = texts(at)
    assert "Memory assessment" not in shown and "Donepezil" not in shown and "MMSE" not in shown
    try:
        at.switch_page("pages/letters.py")
    except ValueError:
        pass
    else:
        raise AssertionError("the letters page should not be offered without consent")


def test_patient_previews_exactly_what_the_daughter_sees(demo_db):
    """"What my carer can see" draws the daughter's summary read-only, without the SDV letter."""
    at = go(open_app(DEMENTIA, "patient"), "carer_preview")
    no_errors(at)
    assert at.selectbox(key="preview_person").value.proxy_name == "Susan Specimen"
    assert "What Susan Specimen sees" in [h.value for h in at.header]
    shown = texts(at)
    assert "Memory assessment service: review" in shown
    assert SDV_LETTER not in shown
    assert not [b for b in at.button if b.label.startswith("Add to my questions")]


def test_preview_of_an_expired_carer_shows_they_see_nothing(demo_db):
    """Previewing the son, whose consent ended, says he sees none of the record."""
    at = go(open_app(DEMENTIA, "patient"), "carer_preview")
    options = at.selectbox(key="preview_person").options
    at.selectbox(key="preview_person").select_index([o.startswith("Peter") for o in options].index(True)).run()
    no_errors(at)
    assert any("Peter Specimen sees none of your record" in m.value for m in at.markdown)


SON_TWIN = "dem-rp-son-2"  # a second RelatedPerson of the same name for the same patient


def add_a_second_son_who_may_see_more(demo_db) -> None:
    """A second 'Peter Specimen' RelatedPerson for the dementia patient, with the daughter's
    current Consent (the first one's Consent has ended)."""
    import copy

    from ltc_dashboard.store import Store

    store = Store(demo_db)
    raw = {r["id"]: r for r in store.resources_for(DEMENTIA)}
    person = dict(copy.deepcopy(raw["dem-rp-son"]), id=SON_TWIN)
    consent = dict(copy.deepcopy(raw["dem-consent-proxy-daughter"]), id="dem-consent-proxy-son-2")
    consent["provision"]["actor"][0]["reference"] = {"reference": f"RelatedPerson/{SON_TWIN}"}
    store.put([person, consent])
    store.close()


def test_a_carer_is_never_switched_to_another_carer_of_the_same_name_and_patient(demo_db):
    """Signed in as the son whose Consent has ended, with a second RelatedPerson of his name for
    the same patient whose Consent is current: on every page and rerun he stays himself and sees
    nothing clinical, and the sidebar offers no second record of the same person."""
    add_a_second_son_who_may_see_more(demo_db)
    at = open_app(DEMENTIA, SON)
    seen = []
    for _ in range(3):
        for page in ["overview", "condition", "results", "medications", "letters", "care_plan", "questions"]:
            try:
                go(at, page)
            except ValueError:  # a page this carer is not offered
                continue
            no_errors(at)
            assert at.session_state["viewer"].proxy_id == "dem-rp-son"
            assert not [s for s in at.sidebar.selectbox if s.label == "Whose record to show"]
            seen.append(texts(at))
        at.run()
        assert at.session_state["viewer"].proxy_id == "dem-rp-son"
    shown = "\n".join(seen)
    assert "Memory assessment" not in shown and "Donepezil" not in shown and "MMSE" not in shown


def test_sign_in_lists_two_carers_of_one_name_and_patient_apart(demo_db):
    """Two RelatedPersons of one name for the same patient are two choices at sign-in, each
    opening its own RelatedPerson."""
    add_a_second_son_who_may_see_more(demo_db)
    at = open_app()
    at.radio(key="sign_in_kind").set_value("A carer").run()
    options = at.selectbox(key="sign_in_carer").options
    assert "Peter Specimen" not in options
    mine = "Peter Specimen (carer entry dem-rp-son)"
    assert {mine, f"Peter Specimen (carer entry {SON_TWIN})"} <= set(options)
    at.selectbox(key="sign_in_carer").select(mine).run()
    at.button(key="open_carer").click().run()
    no_errors(at)
    assert at.session_state["viewer"].proxy_id == "dem-rp-son"
    assert at.session_state["role"]["links"] == [("dem-rp-son", DEMENTIA)]
