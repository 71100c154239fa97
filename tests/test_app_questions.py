"""My questions: add, edit, reorder, tick off, remove, the sheet, and the access log."""

from __future__ import annotations

import re

from test_app_support import (  # noqa: F401  (fixtures)
    DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app,
)


def own_lines(at) -> list[str]:
    """The person's own list as drawn: "**1.** text" lines, markdown escapes removed."""
    return [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**")]


def sheet_shown(at) -> str:
    """The sheet as the page shows it: the Markdown drawn inside the sheet's container."""
    return next(m.value for m in at.markdown if m.value.startswith("### Appointment preparation"))


def add(at, text: str):
    """Type a question into the add form and submit it."""
    at.text_area(key="new-question").input(text)
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    no_errors(at)
    return at


def button(at, key: str):
    return at.button(key=key)


def question_ids(at) -> list[int]:
    """Ids of the own questions in list order (from their Move up buttons)."""
    return [int(b.key.split("-")[1]) for b in at.button if b.key and b.key.startswith("up-")]


def test_own_questions_are_added_reordered_edited_ticked_and_removed(demo_db):
    """The list is saved in the store and every change shows at once."""
    at = go(open_app(DIABETES, "patient"), "questions")
    add(at, "Could we talk about my sleep?")
    add(at, "Is my foot pain related to diabetes?")
    assert own_lines(at) == ["**1.** Could we talk about my sleep?", "**2.** Is my foot pain related to diabetes?"]

    first, second = question_ids(at)
    button(at, f"up-{second}").click().run()
    assert own_lines(at)[0] == "**1.** Is my foot pain related to diabetes?"
    assert button(at, f"up-{second}").disabled

    button(at, f"edit-{first}").click().run()
    at.text_area(key=f"edit-text-{first}").input("Could we talk about my sleep and tiredness?")
    at.button[[b.label for b in at.button].index("Save changes")].click().run()
    assert own_lines(at)[1] == "**2.** Could we talk about my sleep and tiredness?"

    at.checkbox(key=f"asked-{first}-False").check().run()
    assert own_lines(at)[1] == "**2.** ✔ Asked: Could we talk about my sleep and tiredness?"

    button(at, f"remove-{second}").click().run()
    no_errors(at)
    assert own_lines(at) == ["**1.** ✔ Asked: Could we talk about my sleep and tiredness?"]


def test_an_empty_question_is_refused_in_plain_words(demo_db):
    """Submitting nothing shows the store's plain reason, never a traceback."""
    at = go(open_app(DIABETES, "patient"), "questions")
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    assert not at.exception
    assert "empty" in at.error[0].value


def test_the_sheet_downloads_as_markdown_with_my_questions(demo_db):
    """The pre-consultation sheet is offered as a Markdown download holding the list."""
    at = go(open_app(DIABETES, "patient"), "questions")
    add(at, "Could we talk about my sleep?")
    sheet = at.get("download_button")[0]
    assert sheet.proto.label == "Download the question sheet"
    shown = sheet_shown(at)
    assert shown.startswith("### Appointment preparation: Rajesh Example")
    assert "1. Could we talk about my sleep?" in shown


def test_had_appointment_sets_the_last_visit(demo_db):
    """"I have had my appointment today" makes today the date letters are compared with."""
    at = go(open_app(DIABETES, "patient"), "questions")
    button(at, "had_appointment").click().run()
    no_errors(at)
    go(at, "overview")
    assert at.date_input(key="last_visit_input").value.isoformat() == "2026-11-25"


def test_a_carers_questions_are_their_own(demo_db):
    """A carer's list holds only what they wrote; the patient's list never shows it."""
    carer = go(open_app(DEMENTIA, DAUGHTER), "questions")
    add(carer, "Who can help with meals at home?")
    assert own_lines(carer) == ["**1.** Who can help with meals at home?"]
    patient = go(open_app(DEMENTIA, "patient"), "questions")
    assert "Who can help with meals at home?" not in " ".join(own_lines(patient))


def test_access_log_shows_who_viewed_what(demo_db):
    """The patient sees their own views and each carer's, by name, with the date and time."""
    carer = go(open_app(DEMENTIA, DAUGHTER), "letters")
    no_errors(carer)
    patient = go(open_app(DEMENTIA, "patient"), "access_log")
    log = patient.table[0].value
    susan = log[log["Who"] == "Susan Specimen (carer with proxy access)"]
    assert {"Overview", "Letters"} <= set(susan["What"])
    assert "Letter: Memory assessment service: review" in set(susan["What"])
    assert "You" in set(log["Who"])
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}", when) for when in log["When"])


def test_carers_cannot_open_the_access_log_or_the_preview(demo_db):
    """Those pages are the patient's alone: a carer's navigation does not offer them."""
    at = open_app(DEMENTIA, DAUGHTER)
    for page in ("access_log", "carer_preview"):
        try:
            at.switch_page(f"pages/{page}.py")
        except ValueError:
            continue
        raise AssertionError(f"a carer could open {page}")
