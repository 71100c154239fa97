"""The mental health view over whole records (clinical-reference §6): the demo bipolar record's PSY
and NOPAT entries kept from the viewers they are hidden from, and the fixture records through the
pipeline. Split from tests/test_mental_health.py (the rule functions) to keep each under 400 lines."""

from __future__ import annotations

import datetime as dt

import base64
import json
from pathlib import Path

import pytest

# tests/conftest.py freezes LTC_TODAY here; not imported from it, because under the whole suite the
# module named `conftest` may be tests/browser's, whose TODAY is a string.
TODAY = dt.date(2026, 11, 25)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "bipolar_lithium.json"
FIXTURES = Path(__file__).parent / "fixtures" / "conditions" / "mental_health"


# -- the demo bipolar record: PSY and NOPAT entries ----------------------------------------------

def _demo_resources() -> list[dict]:
    return [e["resource"] for e in json.loads(DEMO.read_text())["entry"]]


def _labelled(code: str) -> list[dict]:
    return [r for r in _demo_resources()
            if any(s.get("code") == code for s in (r.get("meta") or {}).get("security") or [])]


def _strings_of(resource: dict) -> list[str]:
    """The words a resource carries (codes' text and displays, values, notes, letter text), and its id."""
    found = [resource["id"]]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    text = base64.b64decode(value).decode("utf-8")
                    found.extend(line.strip() for line in text.splitlines())
                elif key in ("text", "display", "valueString", "description") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(resource)
    rest = [r for r in _demo_resources() if r["id"] != resource["id"]]
    others = json.dumps(rest, ensure_ascii=False) + " ".join(
        base64.b64decode(r["content"][0]["attachment"]["data"]).decode("utf-8") for r in rest
        if r.get("resourceType") == "DocumentReference" and "data" in r["content"][0]["attachment"])
    # Only words this entry alone holds: a shared clinician's name is not a leak.
    return [s for s in found if len(s) > 12 and s not in others]


def _demo_summary(store, viewer: str):
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    import_paths(store, [DEMO])
    patient_id = next(iter(store.patient_ids()))
    return build_summary(open_record(store, Viewer.parse(patient_id, viewer), TODAY))


def test_clinic_screen_holds_nothing_from_the_psy_entry(fresh_store):
    """On the clinic shared screen, no string of the PSY-labelled entry reaches the summary or the view."""
    (psy,) = _labelled("PSY")
    strings = _strings_of(psy)
    assert "Low risk of harm to self or others at present" in strings
    summary = _demo_summary(fresh_store, "clinic")
    dumped = summary.model_dump_json()
    views = [v.model_dump_json() for v in summary.conditions if v.id == "mental_health"]
    for text in strings:
        assert text not in dumped and all(text not in v for v in views)


def test_patient_holds_nothing_from_the_nopat_letter(fresh_store):
    """The patient's summary and mental health view hold no string of the NOPAT psychiatric letter."""
    (letter,) = _labelled("NOPAT")
    strings = _strings_of(letter)
    assert any("Collateral history" in s for s in strings)
    summary = _demo_summary(fresh_store, "patient")
    dumped = summary.model_dump_json()
    for text in strings:
        assert text not in dumped


@pytest.mark.parametrize("viewer", ["patient", "clinic"])
def test_demo_bipolar_patient_gets_the_mental_health_view(fresh_store, viewer):
    """The demo bipolar patient on lithium gets a non-empty mental health view with lithium checks."""
    summary = _demo_summary(fresh_store, viewer)
    view = next(v for v in summary.conditions if v.id == "mental_health")
    assert view.measures and {c.id for c in view.checks} >= {"lithium", "lithium_renal"}


def test_fixture_records_give_a_full_view_through_the_pipeline(fresh_store):
    """A UK-coded record on lithium gives a non-empty view (measures, checks, questions, support)."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    import_paths(fresh_store, [FIXTURES / "lithium_high_level_older_adult" / "input.json"])
    patient_id = next(iter(fresh_store.patient_ids()))
    summary = build_summary(open_record(fresh_store, Viewer.parse(patient_id, "patient"), TODAY))
    view = next(v for v in summary.conditions if v.id == "mental_health")
    assert view.measures and view.checks and view.questions and view.support
