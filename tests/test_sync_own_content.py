"""A sync never writes into what the person wrote (issue 20 attack, branch fix20b): a server's
resource carrying the app's own-content tag is refused with a plain reason and counted with the
sync's other refusals; the rest of the sync is stored and the sync finishes.

Inputs: the app's own export of a home reading (ltc_dashboard/exports/reading_fhir.py `reading_resource`), an own
goal, question and comment (ltc_dashboard/exports/own_content.py, ltc_dashboard/exports/feedback.py), as a GP system that kept a
patient's upload of `ltc export` would send them back; served by the loopback FHIR server `Paged`
(tests/test_attack17.py) on 127.0.0.1 as a searchset (FHIR R4 bundle.html).
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.exports import feedback
from ltc_dashboard.exports.own_content import goal_resource, question_resource
from ltc_dashboard.exports.reading_fhir import reading_resource
from ltc_dashboard.intake.ingest import OWN_FROM_SERVER, import_items
from ltc_dashboard.record.readings import Reading
from ltc_dashboard.store import Store
from tests.servers.loopback import Reply
from tests.test_attack17 import PATIENT, Paged, bundle, observation, run_sync


def _reading() -> dict:
    """The app's export of a home blood pressure reading of PATIENT (hand-written values)."""
    reading = Reading(id=1, patient_id=PATIENT, kind="bp", systolic=118, diastolic=72, unit="mmHg",
                      taken_at=dt.datetime(2026, 11, 20, 7, tzinfo=dt.timezone.utc), author="patient")
    return reading_resource(reading, PATIENT)


def _goal() -> dict:
    """The app's export of an own goal (row written here)."""
    return goal_resource({"id": 3, "text": "Walk to the park", "status": "active", "author": "patient"}, PATIENT)


def test_a_sync_refuses_own_content_and_stores_the_rest(tmp_path):
    """Own-content Observation and Goal on the server's pages: the sync finishes (no nested
    transaction), refuses both with the plain reason, keeps no reading or own goal, and stores
    the ordinary result on the same page."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [_reading(), observation(1)], 2))
        server.script[("Goal", 1)] = Reply.json(bundle(server.base, [_goal()], 1))
        report = run_sync(server, db)
    refused = [r for r in report.rejected if r.reason == OWN_FROM_SERVER]
    assert sorted(r.position for r in refused) == ["Goal/own-goal-3", "Observation/own-reading-1"]
    assert report.exit_code == 1 and report.counts["Observation"] == 1
    store = Store(db)
    try:
        assert store.readings(PATIENT) == [] and store.own_goals(PATIENT) == []
        assert [r["id"] for r in store.of_type("Observation")] == ["o1"] and store.of_type("Goal") == []
    finally:
        store.close()


def test_questions_and_comments_from_a_server_are_refused_too(fresh_store):
    """The sync asks for no Communication today; were one to come (a later sync kind, an include),
    `import_items(from_server=True)` inside the sync's transaction refuses it as well."""
    question = question_resource({"id": 5, "text": "Can we talk about my sleep?", "status": "open", "author": "patient",
                                  "position": 1, "source": "own"}, PATIENT)
    comment = feedback.communication({"id": 7, "resource_type": "Observation", "resource_id": "o1",
                                      "resource_version": "1", "kind": "comment", "text": "This was after a run",
                                      "status": "draft", "author": "patient"}, PATIENT, None)
    with fresh_store.atomic():
        report = import_items(fresh_store, [question, comment, _reading()], from_server=True)
    assert [r.reason for r in report.rejected] == [OWN_FROM_SERVER] * 3
    assert fresh_store.questions(PATIENT) == [] and fresh_store.comments(PATIENT) == []
    assert fresh_store.readings(PATIENT) == []


def test_a_file_still_restores_the_persons_own_content(fresh_store):
    """The same resources from a file (the person's own export): restored, not refused."""
    report = import_items(fresh_store, [_reading(), _goal()])
    assert report.rejected == [] and len(fresh_store.readings(PATIENT)) == 1 and len(fresh_store.own_goals(PATIENT)) == 1
