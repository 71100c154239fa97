"""What a person on a phone needs first, and in few taps (issue 18, "Phones"): a condition page
starts with what is due and the questions; a question is one short block with its details folded
away; a question already in the list is said to be there, never added twice; and the latest
result under each chart can be asked about, or commented on, where it is shown.

The records are the demo records in data/demo (README there says where they came from), on a
frozen today (conftest.py); each test writes to its own copy of the store.
"""

from __future__ import annotations

import json

from test_app_support import (  # noqa: F401  (fixtures)
    DAUGHTER, DEMENTIA, DIABETES, demo_db, demo_db_template, go, no_errors, open_app, shown_summary, texts,
)
from test_app_questions import add, own_lines

HBA1C_QUESTION = "The blood sugar (HbA1c) result on 12 October 2026 was 61 mmol/mol. Could we talk about what it means?"


def test_a_condition_page_starts_with_what_is_due_and_the_questions(demo_db):
    """On the diabetes page, "What is due" and "Questions you might ask" come before the charts,
    and no chart is drawn above them."""
    at = go(open_app(DIABETES, "patient"), "condition")
    no_errors(at)
    headers = [h.value for h in at.main.header]
    assert headers == ["What is due", "Questions you might ask", "Results over time"]
    order = [node.type for node in in_order(at.main) if node.type in ("header", "plotly_chart")]
    assert order[:3] == ["header", "header", "header"] and "plotly_chart" in order


def in_order(block) -> list:
    """Every element under a block, in the order the page draws them."""
    found = []
    for _, child in sorted(getattr(block, "children", {}).items()):
        found.append(child)
        found += in_order(child)
    return found


def test_a_suggested_question_is_one_short_block(demo_db):
    """Each suggested question shows its words and its button; why it is suggested is in an
    expander of its own, not a caption under every card."""
    at = go(open_app(DIABETES, "patient"), "condition")
    view = next(v for v in shown_summary(at).conditions if v.id == "diabetes")
    why = [e for e in at.expander if e.label == "Why it is suggested"]
    assert len(why) == len(view.questions) >= 2
    assert all(len(e.caption) == 1 for e in why)
    assert not [c for c in at.main.caption if c.value.startswith("Why it is suggested")]


def test_my_question_keeps_its_changes_folded_away(demo_db):
    """An own question shows its words and the "asked" tick; moving, editing and removing are
    inside "Change question N"."""
    at = add(go(open_app(DIABETES, "patient"), "questions"), "Could we talk about my sleep?")
    change = next(e for e in at.expander if e.label == "Change question 1")
    assert {b.label for b in change.button} == {"Move up", "Move down", "Edit", "Remove"}
    assert [c.label for c in at.checkbox if c.key.startswith("asked-")] == ["Asked at the appointment"]


def test_the_same_question_twice_is_said_to_be_there_already(demo_db):
    """Typing a question the list holds (other case, spacing or question mark) adds nothing and
    says "already in your questions (number 1)"."""
    at = add(go(open_app(DIABETES, "patient"), "questions"), "Could we talk about my sleep?")
    at.text_area(key="new-question").input("  could we talk about MY sleep ")
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    assert not at.exception
    assert own_lines(at) == ["**1.** Could we talk about my sleep?"]
    assert any("already in your questions (number 1)" in i.value for i in at.info)


def test_a_kept_suggestion_shows_as_kept_with_no_second_add(demo_db):
    """After "Add to my questions", the card says it is already in the list, on the condition page
    and in the suggestions, and offers no button to add it again."""
    at = go(open_app(DIABETES, "patient"), "condition")
    at.button(key="add-diabetes-0").click().run()
    no_errors(at)
    assert "add-diabetes-0" not in [b.key for b in at.button]
    assert any(c.value == "✔ Already in your questions (number 1)." for c in at.caption)
    go(at, "questions")
    assert len(own_lines(at)) == 1


def test_the_latest_result_is_asked_about_from_its_chart(demo_db):
    """Under the HbA1c chart, "Ask about this blood sugar (HbA1c) result" adds the result as a
    question stating the fact; the chart then says it is in the list, and the result's own
    "This looks wrong" control is there too."""
    at = go(open_app(DIABETES, "patient"), "condition")
    assert at.button(key="ask-diabetes-hba1c").label == "Ask about this blood sugar (HbA1c) result"
    assert "flag-Observation-dm-obs-hba1c-2026-10-12-diabetes-hba1c-text" in [t.key for t in at.text_area]
    at.button(key="ask-diabetes-hba1c").click().run()
    no_errors(at)
    assert "ask-diabetes-hba1c" not in [b.key for b in at.button]
    assert any("blood sugar (HbA1c) result is in your questions (number 1)" in c.value for c in at.caption)
    go(at, "questions")
    assert own_lines(at) == [f"**1.** {HBA1C_QUESTION}"]


def test_the_results_page_offers_the_same_and_lists_only_other_results_to_comment_on(demo_db):
    """On Results the latest HbA1c has its ask and comment controls under the chart, and the
    "another result" chooser no longer lists it."""
    at = go(open_app(DIABETES, "patient"), "results")
    no_errors(at)
    assert at.button(key="ask-results-hba1c")
    chooser = at.selectbox(key="results_flag_hba1c")
    assert chooser.label.startswith("Another result to comment on")
    assert "12 October 2026: 61 mmol/mol" not in chooser.options


def test_the_shared_screen_cannot_ask_or_comment_from_a_result(demo_db):
    """The shared screen shows no ask button under a chart unless the person shows their own
    questions there, and never the comment control."""
    at = go(open_app(DIABETES, "clinic"), "condition")
    no_errors(at)
    assert not [b for b in at.button if (b.key or "").startswith("ask-")]
    assert not [t for t in at.text_area if (t.key or "").startswith("flag-")]


def test_a_question_from_a_result_keeps_the_entry_it_came_from(demo_db):
    """The question made from the latest HbA1c is kept like a kept suggestion, with the key of the
    result it states, so only viewers who can see that result are shown it (H23); its reason
    says it is about a result."""
    from ltc_dashboard.store import Store

    at = go(open_app(DIABETES, "patient"), "condition")
    at.button(key="ask-diabetes-hba1c").click().run()
    store = Store(demo_db)
    try:
        row = next(r for r in store.questions(DIABETES) if r["text"] == HBA1C_QUESTION)
    finally:
        store.close()
    assert (row["source"], row["rule_id"]) == ("suggested", "result:dm-obs-hba1c-2026-10-12")
    assert json.loads(row["sources"]) == ["Observation/dm-obs-hba1c-2026-10-12"]
    go(at, "questions")
    assert any(c.value == "About a result, added by you" for c in at.caption)


def test_the_overview_counts_a_kept_suggestion_as_in_the_list(demo_db):
    """After keeping one suggestion, the overview says 1 in the list and one fewer suggested, as
    the sheet does; a carer's link names their appointment."""
    at = open_app(DIABETES, "patient")
    before = shown_summary(at)
    suggested = len([q for q in before.questions if q.own_id is None])
    go(at, "condition").button(key="add-diabetes-0").click().run()
    go(at, "overview")
    no_errors(at)
    assert f"1 in the list, {suggested - 1} suggested from the record." in [m.value for m in at.markdown]
    carer = open_app(DEMENTIA, DAUGHTER)
    assert "Go to questions for their appointment" in texts(carer)


def test_what_is_due_lists_the_checks_that_need_doing_first(demo_db):
    """The diabetes checks table starts with the overdue checks (eye screening, urine protein
    test), and the notes on each interval are folded into one expander."""
    at = go(open_app(DIABETES, "patient"), "condition")
    checks = next(t.value for t in at.table if "Check" in t.value.columns)
    statuses = list(checks["Status"])
    assert [s.startswith("⚠️") for s in statuses] == sorted((s.startswith("⚠️") for s in statuses), reverse=True)
    assert set(checks["Check"][:2]) == {"Eye screening", "Urine protein test (ACR)"}
    notes = next(e for e in at.expander if e.label == "How often each check is done, and why")
    assert len(notes.caption) >= 5
