"""The care plan page and the planning questions read the same facts (issue 18): the page listed
four reviews of the (dementia) advance care plan while a suggested question said no advance care
plan was recorded, because the page and the questions read different code sets with different
status rules. Now both read `end_of_life_rules.care_plan_entries` / `documents` through one reader.

Records are hand-written from the issue text and clinical-reference §3.1 and §4.1 (codes as
data/terminology/valuesets.csv gives them, [R2] [R3] [R4]); the demo record is
data/demo/dementia.json. Nothing here is real patient data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conditions import dementia
from conditions import end_of_life as eol
from conditions import end_of_life_rules as planning
from conditions.base import ConditionView, Context
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.summary.core import build_summary

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
SCT = "http://snomed.info/sct"
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "dementia.json"
# (code, display, counts as an advance care plan?) from valuesets.csv
CODES = [("956861000000107", "Review of dementia advance care plan", True),
         ("1095121000000102", "Dementia advance care plan agreed", True),
         ("736366004", "Advance care plan", True),
         ("1095151000000107", "Has end of life advance care plan", True),
         ("956841000000106", "Dementia care plan agreed", False),
         ("736373009", "End of life care plan", False)]
SHAPES = [("Observation", "final"), ("Observation", "amended"), ("Observation", "preliminary"),
          ("Observation", "cancelled"), ("Procedure", "completed"), ("Procedure", "not-done"),
          ("Flag", "active"), ("Flag", "inactive"), ("Condition", "active")]


def _entry(n: int, shape: tuple[str, str], code: tuple, when: dt.date) -> dict:
    kind, status = shape
    found = {"resourceType": kind, "id": f"e{n}", "subject": {"reference": "Patient/p"},
             "code": {"coding": [{"system": SCT, "code": code[0], "display": code[1]}]}}
    if kind == "Observation":
        found.update(status=status, effectiveDateTime=when.isoformat())
    elif kind == "Procedure":
        found.update(status=status, performedDateTime=when.isoformat())
    elif kind == "Flag":
        found.update(status=status, period={"start": when.isoformat()})
    else:
        found.update(clinicalStatus={"coding": [{"code": status}]}, recordedDate=when.isoformat())
    return found


def _context(*resources) -> Context:
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1940-01-01", "name": [{"given": ["Ann"], "family": "Example"}]}
    register = _entry(999, ("Flag", "active"), ("526631000000108", "On end of life care register"), dt.date(2025, 1, 1))
    return Context(record=map_record([patient, register, *resources]), today=TODAY,
                   preferences={planning.PROMPTS_PREFERENCE: "yes"})


def _says_none(ctx: Context) -> list[str]:
    """The suggested questions that say no advance care plan is recorded."""
    empty = ConditionView(id="x", title="x")
    return [q.rule_id for q in (*dementia.ask_plan_ahead(ctx, empty), *eol.ask_no_plan(ctx, empty))]


entries = st.lists(st.tuples(st.sampled_from(SHAPES), st.sampled_from(CODES),
                             st.integers(-2000, 30).map(lambda d: TODAY + dt.timedelta(days=d))), max_size=5)


@settings(max_examples=60, deadline=None)
@given(entries)
def test_the_page_lists_an_advance_care_plan_exactly_when_the_questions_count_one(found):
    """Across statuses, resource types, codes and dates (future ones too), the care plan page marks
    as an advance care plan exactly the coded entries the planning questions count, and whenever it
    lists one, no question says none is recorded."""
    ctx = _context(*(_entry(n, *item) for n, item in enumerate(found)))
    listed = planning.care_plan_entries(ctx)
    page_acp = sorted((e.date, e.text) for e in listed if e.kind == "acp")
    counted = sorted((d.date, d.text) for d in planning.documents(ctx, "acp"))
    assert page_acp == counted
    if page_acp:
        assert planning.has_plan_ahead(ctx) and _says_none(ctx) == []
    assert all(e.date <= TODAY for e in listed)


def test_no_advance_care_plan_entry_still_asks():
    """With only a dementia care plan (not an advance care plan) the page lists it unmarked and the
    questions still say none is recorded: the rule is not silenced by any care-plan entry."""
    ctx = _context(_entry(1, ("Observation", "final"), CODES[4], dt.date(2026, 3, 1)))
    assert [(e.text, e.kind) for e in planning.care_plan_entries(ctx)] == [("Dementia care plan agreed", "")]
    assert _says_none(ctx) == ["dementia.plan_ahead", "end_of_life.no_plan_document"]


def test_dementia_demo_lists_four_reviews_and_does_not_say_none_is_recorded(fresh_store):
    """The dementia demo's care plan page lists its four reviews of the dementia advance care plan
    as advance care plans, and the dementia view no longer says none is recorded."""
    import_paths(fresh_store, [DEMO])
    pid = next(iter(fresh_store.patient_ids()))
    visible = open_record(fresh_store, Viewer(kind="patient", patient_id=pid), TODAY)
    record = map_record(list(visible.resources))
    view = {v.id: v for v in build_summary(visible, record=record).conditions}["dementia"]
    assert "dementia.plan_ahead" not in {q.rule_id for q in view.questions}
    ctx = Context(record=record, today=TODAY)
    reviews = [e for e in planning.care_plan_entries(ctx) if e.text == "Review of dementia advance care plan"]
    assert len(reviews) == 4 and {e.kind for e in reviews} == {"acp"}
