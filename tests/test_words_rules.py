"""The word rules of issue 18 as pure functions: brackets said once (`record.citations.unnest`),
"unverified" in words, FHIR status codes as words (`pages.text.code_words`), a question already
in the list found however it is typed (`pages.text.kept_as`), a carer's page titles, and the
sheet's headings moved under the page's own (`pages.print_sheet.preview_markdown`)."""

from __future__ import annotations

import pytest

from conditions.base import Question
from ltc_dashboard.record.citations import plain_words, unnest
from pages.print_sheet import preview_markdown
from pages.text import code_words, kept_as, page_title


@pytest.mark.parametrize("text, said", [
    ("(source: your personal target (HbA1c agreed at review))", "(source: your personal target, HbA1c agreed at review)"),
    ("Target (source: a (b (c))).", "Target (source: a, b, c)."),
    ("(a (b) c)", "(a, b, c)"),
    ("(screening (2020)) |", "(screening, 2020) |"),
    ("no brackets", "no brackets"),
    ("x (a) (b)", "x (a) (b)"),
    ("unbalanced (a (b)", "unbalanced (a (b)"),
    (")(", ")("),
])
def test_brackets_inside_brackets_are_said_once(text, said):
    """Inner brackets become a comma; text with unbalanced brackets is left as it is."""
    assert unnest(text) == said


def test_plain_words_leave_no_dangling_separator_or_unverified():
    """A pointer removed from "(QOF; clinical-reference §4.3)" leaves no "; )", and "unverified"
    in a note is said as not yet checked against its source."""
    assert plain_words("No review (Quality and Outcomes Framework (dementia); clinical-reference §4.3)") == \
        "No review (Quality and Outcomes Framework, dementia)"
    assert plain_words("Once a year (3 months after a statin change: unverified)") == \
        "Once a year (3 months after a statin change: not yet checked against its source)"


@pytest.mark.parametrize("code, words", [("in-progress", "in progress"), ("entered-in-error", "entered in error"),
                                         ("not-achieved", "not achieved"), ("some-new-code", "some new code"),
                                         ("final", "final"), (None, "not recorded")])
def test_status_codes_read_as_words(code, words):
    """A FHIR status code is shown as words, never with its hyphens."""
    assert code_words(code) == words


def test_a_question_is_found_in_the_list_however_it_is_typed():
    """Case, spacing and the closing question mark do not make a new question; a kept suggestion is
    found by its rule; a suggestion not kept (no own_id) is not the list."""
    questions = [
        Question(text="Could we talk about my sleep?", source="own", reason="added by you", own_id=7),
        Question(text="Your HbA1c rose.", source="suggested", reason="kept", own_id=8, rule_id="dm-rise"),
        Question(text="Not kept", source="suggested", reason="x", rule_id="dm-eye"),
    ]
    assert kept_as(questions, "  could we talk about MY   sleep ") == 1
    assert kept_as(questions, "Different words", "dm-rise") == 2
    assert kept_as(questions, "Not kept", "dm-eye") is None
    assert kept_as(questions, "") is None


def test_a_carer_sees_titles_about_the_person_they_care_for():
    """The patient and the shared screen keep "My questions"; a carer reads about their person."""
    assert page_title("questions", "patient") == page_title("questions", "clinic") == "My questions"
    assert page_title("questions", "proxy") == "Questions for their appointment"
    assert page_title("feedback", "proxy") == "Check their record"


def test_the_sheet_preview_moves_headings_under_the_page():
    """The sheet's "#" and "##" become h3 and h4 in the page, so the page keeps one h1."""
    assert preview_markdown("# Title\n\n## Part\ntext # not a heading\n") == "### Title\n\n#### Part\ntext # not a heading\n"
