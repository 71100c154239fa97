"""Who sees which of the person's own content is the gate's one rule (ltc_dashboard/gate/own_content.py,
issue 19): the summary and exports (ltc_dashboard/exports/own_content.py), the flags list (ltc_dashboard/exports/feedback.py)
and home readings (ltc_dashboard/service/readings.py) all ask it. Pinned here kind by kind, viewer by viewer."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ltc_dashboard.exports.own_content import for_viewer
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.gate.own_content import (COMMENTS, GOALS, KINDS, PROGRESS, QUESTIONS, READINGS, own_rows,
                                            questions_for, screen_choices)
from ltc_dashboard.service.readings import visible_readings

PATIENT = Viewer(kind="patient", patient_id="p1")
CLINIC = Viewer(kind="clinic", patient_id="p1")
CARER = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")
OTHER_CARER = "proxy:RelatedPerson/rp2"


@dataclass
class Seen:
    """A stand-in for the gate's VisibleRecord: the viewer, the keys it passed, whether refused."""

    viewer: Viewer
    key_set: frozenset = field(default_factory=lambda: frozenset({"Observation/o1"}))
    denied_reason: str | None = None

    def sees(self, key: str) -> bool:
        return key in self.key_set


def row(kind: str, author: str, **more) -> dict:
    """A row as the store's personal tables hold it (ltc_dashboard/store/personal.py, ltc_dashboard/store/readings.py columns)."""
    base = {"id": 1, "patient_id": "p1", "author": author, "resource_type": "Observation", "resource_id": "o1",
            "goal_ref": "Observation/o1", "source": "own"}
    return {**base, **more}


AUTHORS = {"patient": "patient", "carer": str(CARER), "other carer": OTHER_CARER}
# (kind, viewer, shared-screen choices) -> the authors whose rows are shown
EXPECTED = {
    (QUESTIONS, "patient"): {"patient"}, (QUESTIONS, "carer"): {"carer"},
    (COMMENTS, "patient"): {"patient"}, (COMMENTS, "carer"): {"carer"},
    (GOALS, "patient"): {"patient"}, (GOALS, "carer"): {"carer"},
    (PROGRESS, "patient"): {"patient"}, (PROGRESS, "carer"): {"carer"},
    (READINGS, "patient"): {"patient", "carer", "other carer"}, (READINGS, "carer"): {"carer"},
}
VIEWERS = {"patient": PATIENT, "carer": CARER}


@pytest.mark.parametrize("kind, who", sorted(EXPECTED))
def test_each_viewer_sees_by_author(kind, who):
    """A carer only her own; the patient nothing a carer wrote, but every home reading."""
    rows = [row(kind, author, id=i) for i, author in enumerate(AUTHORS.values())]
    shown = own_rows(Seen(VIEWERS[who]), kind, rows, None)
    assert {name for name, author in AUTHORS.items() if author in {r["author"] for r in shown}} == EXPECTED[(kind, who)]


@pytest.mark.parametrize("kind, choice, shown", [
    (QUESTIONS, {}, False), (QUESTIONS, {"shared_screen_own": "yes"}, True),
    (GOALS, {}, False), (GOALS, {"shared_screen_own": "yes"}, True),
    (PROGRESS, {}, False), (PROGRESS, {"shared_screen_own": "yes"}, True),
    (COMMENTS, {}, False), (COMMENTS, {"shared_screen_own": "yes"}, False),
    (READINGS, {}, True), (READINGS, {"shared_screen_readings": "hide"}, False),
    (READINGS, {"shared_screen_own": "no"}, True),
])
def test_the_shared_screen_shows_what_the_person_chose(kind, choice, shown):
    """Questions, goals and notes only when chosen, never a carer's; comments never; readings
    unless hidden, whoever entered them (as the patient sees them)."""
    rows = [row(kind, "patient", id=1), row(kind, str(CARER), id=2)]
    expected = ([1, 2] if kind == READINGS else [1]) if shown else []
    assert [r["id"] for r in own_rows(Seen(CLINIC), kind, rows, screen_choices(choice))] == expected


def test_a_comment_or_note_follows_its_entry_and_a_note_its_goal():
    """A comment on an entry the viewer cannot see, and a note on a goal they cannot see, are withheld."""
    seen = Seen(PATIENT)
    comments = [row(COMMENTS, "patient", id=1), row(COMMENTS, "patient", id=2, resource_id="o2")]
    assert [c["id"] for c in own_rows(seen, COMMENTS, comments, None)] == [1]
    notes = [row(PROGRESS, "patient", id=1, goal_ref="own/7"), row(PROGRESS, "patient", id=2, goal_ref="own/8")]
    assert [p["id"] for p in own_rows(seen, PROGRESS, notes, None, goals=[{"id": 7}])] == [1]


@pytest.mark.parametrize("viewer, sources, shown", [
    (PATIENT, None, True), (CARER, None, False),
    (CARER, '["Observation/o1"]', True), (CARER, '["Observation/o1", "Condition/hidden"]', False),
    (PATIENT, "not json", True), (CARER, '"Observation/o1"', False),
])
def test_a_kept_suggestion_follows_the_entries_it_came_from(viewer, sources, shown):
    """Shown only while every source entry is visible; with none recorded, to the patient alone."""
    author = "patient" if viewer.kind == "patient" else str(viewer)
    rows = [row(QUESTIONS, author, source="suggested", sources=sources)]
    assert bool(own_rows(Seen(viewer), QUESTIONS, rows, None)) is shown
    assert questions_for(Seen(viewer), rows, {}) == ((rows, 0) if shown else ([], 1))


def test_readings_of_a_refused_view_or_another_record_are_not_shown():
    """Nobody the gate refuses sees a reading, and only the record's own readings are read."""
    rows = [row(READINGS, "patient", id=1), row(READINGS, "patient", id=2, patient_id="p2")]
    assert [r["id"] for r in own_rows(Seen(PATIENT), READINGS, rows, None)] == [1]
    assert own_rows(Seen(PATIENT, denied_reason="no access"), READINGS, rows, None) == []
    assert visible_readings(Seen(PATIENT, denied_reason="no access"), rows, {}) == []


@pytest.mark.parametrize("viewer", [PATIENT, CLINIC, CARER])
def test_the_summary_and_exports_ask_the_same_rule(viewer):
    """for_viewer gives, kind by kind, exactly the gate's rows (one rule, no second copy)."""
    rows = {kind: [row(kind, author, id=i) for i, author in enumerate(AUTHORS.values())] for kind in KINDS}
    prefs = {"shared_screen_own": "yes"}
    choices = screen_choices(prefs)
    content = for_viewer(Seen(viewer), rows[QUESTIONS], rows[COMMENTS], rows[GOALS], rows[PROGRESS], prefs)
    goals = own_rows(Seen(viewer), GOALS, rows[GOALS], choices)
    assert content.questions == own_rows(Seen(viewer), QUESTIONS, rows[QUESTIONS], choices)
    assert content.comments == own_rows(Seen(viewer), COMMENTS, rows[COMMENTS], choices)
    assert content.goals == goals
    assert content.progress == own_rows(Seen(viewer), PROGRESS, rows[PROGRESS], choices, goals=goals)


def test_a_suggestion_the_patient_kept_is_still_suggested_where_her_list_is_hidden(tmp_path):
    """The summary leaves out a suggestion already kept, judged by the kept questions the viewer
    sees: the patient's list hides it from her suggestions; the shared screen (her list hidden by
    default) still lists it, so its absence does not say she kept it (helper-66's side note). The
    store is the demo store, built from data/demo/ (dm-patient has diabetes suggestions)."""
    import datetime as dt

    from ltc_dashboard.intake import stores
    from ltc_dashboard.service.core import Service

    service = Service(stores.demo_store(tmp_path))
    today = dt.date(2026, 11, 25)
    patient, clinic = Viewer(kind="patient", patient_id="dm-patient"), Viewer(kind="clinic", patient_id="dm-patient")
    first = service.summary(patient, today).questions[0]
    service.add_question(patient, first.text, source="suggested", rule_id=first.rule_id, sources=first.sources)
    mine = [q for q in service.summary(patient, today).questions if q.rule_id == first.rule_id]
    assert [q.own_id is not None for q in mine] == [True]  # kept, and not suggested again
    shared = [q for q in service.summary(clinic, today).questions if q.rule_id == first.rule_id]
    assert [q.own_id for q in shared] == [None]  # her list is hidden there: still a suggestion

