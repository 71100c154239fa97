"""Input/expected-output pairs pin each condition view's measures, checks and questions on a
frozen day (tests/fixtures/conditions/README.md describes the format)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.summary.core import build_summary

FIXTURES = Path(__file__).parent / "fixtures" / "conditions"
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/expected.json"))


def _summary_for(case: Path, store, expected: dict):
    report = import_paths(store, [case / "input.json"])
    assert not report.rejected, report.rejected
    patient_id = next(iter(store.patient_ids()))
    viewer = Viewer.parse(patient_id, expected.get("viewer", "patient"))
    reveal = expected.get("preferences", {}).get("eol_show_prognosis") == "yes"
    visible = open_record(store, viewer, dt.date.fromisoformat(expected["today"]), reveal_prognosis=reveal)
    return build_summary(visible, preferences=expected.get("preferences", {}), chosen=tuple(expected.get("chosen", ())))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_condition_fixture(case, fresh_store):
    """The view computed from input.json equals expected.json on the scenario's frozen day."""
    expected = json.loads((case / "expected.json").read_text())
    summary = _summary_for(case, fresh_store, expected)
    views = {v.id: v for v in summary.conditions}
    if not expected.get("applies", True):
        assert expected["condition"] not in views
        return
    view = views[expected["condition"]]
    for key in ("shown_because", "boundary_note"):  # issue 16: a view by choice, under a date boundary
        if key in expected:
            assert getattr(view, key) == expected[key], key
    measures = {m.id: m for m in view.measures}
    for measure_id, want in expected.get("measures", {}).items():
        got = measures[measure_id]
        for key, value in want.items():
            if key == "series":
                series = [[p.date.isoformat(), None if p.value is None else round(p.value, 1), p.flag] for p in got.series]
                assert series == [[d, v if v is None else round(v, 1), f] for d, v, f in value], measure_id
            else:
                assert getattr(got, key) == value, f"{measure_id}.{key}"
    if "checks" in expected:
        checks = {c.id: c for c in view.checks}
        assert set(checks) == set(expected["checks"]), "the view shows a different set of checks"
        for check_id, want in expected["checks"].items():
            got = checks[check_id].model_dump(mode="json")
            for key, value in want.items():
                assert got[key] == value, f"{check_id}.{key}"
    if "questions" in expected:
        assert [q.text for q in view.questions] == expected["questions"]
    for check_id, start in expected.get("check_notes_start", {}).items():
        note = next(c.note for c in view.checks if c.id == check_id)
        assert note and note.startswith(start), check_id
    if "current_medicines" in expected:
        assert sorted(m.name for m in summary.medications if m.current) == sorted(expected["current_medicines"])
    if "death_notice" in expected:
        assert summary.death_notice == expected["death_notice"]
        if expected["death_notice"]:
            assert summary.questions == [] and all(
                not v.checks and not v.questions and not any(m.target for m in v.measures)
                for v in summary.conditions)
    if "panels" in expected:
        panels = {p.id: p for p in view.panels}
        assert set(panels) == set(expected["panels"]), "the view shows a different set of panels"
        for panel_id, items in expected["panels"].items():
            assert [[label, state] for label, state, _ in panels[panel_id].items] == items, panel_id


def test_there_is_a_fixture_for_every_exemplar():
    """Each of the five exemplars has at least one fixture pair."""
    have = {c.parent.name for c in CASES}
    assert have >= {"diabetes", "end_of_life", "dementia", "inflammatory_arthritis", "mental_health"}
