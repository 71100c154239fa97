"""The pre-consultation sheet lists only the questions the person wrote or kept (issue 18): a
suggestion they did not keep, one already asked, or an internal note never reaches it, and its
Markdown tables and headings stay the ones the PDF reads. The summaries are built by hand here,
from the Summary contract (ltc_dashboard/summary/core.py), so each rule is pinned on its own."""

from __future__ import annotations

import datetime as dt

from conditions.base import ConditionView, MeasureView, Question
from conditions.series import SeriesPoint
from ltc_dashboard.summary.core import PatientLine, Summary, ViewerLine
from ltc_dashboard.summary.sheet import kept_questions, summary_markdown

TODAY = dt.date(2026, 11, 25)


def _summary(questions, kind="patient", conditions=()) -> Summary:
    return Summary(patient=PatientLine(id="p1", name="Pat Example"), viewer=ViewerLine(kind=kind),
                   today=TODAY, questions=list(questions), conditions=list(conditions))


OWN = Question(text="Could we talk about my sleep?", source="own", reason="added by you", own_id=1, status="open")
KEPT = Question(text="Your HbA1c rose. Could we talk about it?", source="suggested", reason="suggested, kept by you",
                own_id=2, status="open", rule_id="dm-hba1c-rise")
ASKED = Question(text="Is my foot pain related?", source="own", reason="added by you", own_id=3, status="asked")
NOT_KEPT = Question(text="No eye screening is recorded. Could we talk about it?", source="suggested",
                    reason="No eye screening in 12 months (clinical-reference §2.3)", rule_id="dm-eye")


def test_the_sheet_lists_what_the_person_wrote_or_kept_and_nothing_else():
    """Own and kept questions are numbered in list order; an unkept suggestion and an asked
    question are left out, and no "(suggested: ...)" note or internal reference is written."""
    sheet = summary_markdown(_summary([OWN, KEPT, ASKED, NOT_KEPT]))
    lines = sheet.splitlines()
    start = lines.index("## Questions to ask")
    assert lines[start + 2:start + 4] == ["1. Could we talk about my sleep?",
                                          "2. Your HbA1c rose. Could we talk about it?"]
    assert lines[start + 4] == ""
    for never in ("No eye screening", "Is my foot pain", "suggested", "kept by you", "§", "clinical-reference", "_("):
        assert never not in sheet, never


def test_with_only_suggestions_the_sheet_says_there_are_no_questions_yet():
    """Suggestions alone do not fill the sheet: it says "No questions yet."."""
    summary = _summary([NOT_KEPT])
    assert kept_questions(summary) == []
    assert "## Questions to ask\n\nNo questions yet.\n" in summary_markdown(summary)


def test_a_personal_target_is_cited_without_brackets_inside_brackets():
    """A personal target's source ("your personal target (agreed at review)") is written once in
    brackets in the sheet's table: "(your personal target, agreed at review)"."""
    measure = MeasureView(id="hba1c", name="HbA1c", plain_name="blood sugar (HbA1c)", unit="mmol/mol",
                          display_unit="mmol/mol", target="53 mmol/mol or below", target_high=53,
                          target_source="your personal target (agreed at review)", target_personal=True,
                          series=[SeriesPoint(date=dt.date(2026, 10, 12), value=61.0, id="o1")])
    view = ConditionView(id="diabetes", title="Diabetes", measures=[measure])
    sheet = summary_markdown(_summary([OWN], conditions=[view]))
    row = next(line for line in sheet.splitlines() if line.startswith("| Blood sugar"))
    assert "| 53 mmol/mol or below (your personal target, agreed at review) |" in row
    assert "))" not in sheet


def test_the_shared_screen_sheet_never_says_the_person_has_no_questions():
    """On the shared screen an empty list may be one the person keeps off it, so the sheet says
    none are listed here, not "No questions yet."."""
    sheet = summary_markdown(_summary([NOT_KEPT], kind="clinic"))
    assert "No questions yet." not in sheet
    assert "None listed here: the person's own questions show on the shared screen only if they choose." in sheet
