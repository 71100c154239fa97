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
    assert not [b for b in at.button if b.label == "Add to my questions"]


def test_preview_of_an_expired_carer_shows_they_see_nothing(demo_db):
    """Previewing the son, whose consent ended, says he sees none of the record."""
    at = go(open_app(DEMENTIA, "patient"), "carer_preview")
    options = at.selectbox(key="preview_person").options
    at.selectbox(key="preview_person").select_index([o.startswith("Peter") for o in options].index(True)).run()
    no_errors(at)
    assert any("Peter Specimen sees none of your record" in m.value for m in at.markdown)
