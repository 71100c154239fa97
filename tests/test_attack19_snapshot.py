"""Attack 19 (outside tester): breaks of the snapshot kept up to date with the change log
(ltc_dashboard/gate/snapshot/changes.py, ltc_dashboard/gate/access_snapshot.py, ltc_dashboard/store/snapshots.py). Each test was an
xfail(strict) that failed on snap19; since fixsnap19 each passes, because the snapshot a viewer
opens is again what a whole derive of the same stored resources makes (ltc_dashboard/gate/snapshot/__init__.py,
invariants 2, 5 and 6; hazard H36). tests/test_snapshot_log.py checks each control alone.

The record and its viewers are tests/attack19_support.py's (R4 shapes of tests/test_access.py and
tests/test_snapshot_update.py). What held is in tests/test_attack19_snapshot_held.py.
"""

from __future__ import annotations

from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import resources as store_resources
from ltc_dashboard.store import Store
from tests.attack19_support import (TODAY, VIEWERS, full, kept, labels, plain, prescription, rebuilt,
                                    result, snapshot_of, stored, synthea)

PATIENT, CLINIC, CARER, CARER_NO_PSY = VIEWERS


# -- 1. Two sessions: a whole derive kept between another session's read of the kept snapshot
# and its read of the change log. keep_snapshot deletes the log up to the snapshot it keeps
# (ltc_dashboard/store/snapshots.py), so the other session reads an EMPTY log for the old snapshot it holds and
# serves it as current. Streamlit serves sessions in threads, each with its own connection
# (ltc_dashboard/store/db.py `db`), so two viewers opening one record at once is the ordinary case; here
# the other session is a second Store on the same file, run at the point between the reads.

def _racing(store: Store, other: Store, viewer) -> None:
    """Make `store`'s next read of the change log come after `other` opened the record for
    `viewer` (which derives it whole and keeps it)."""
    real = store.changes_since

    def after_the_other_session(*args):
        store.changes_since = real
        open_record(other, viewer, TODAY)
        return real(*args)

    store.changes_since = after_the_other_session


def test_a_label_added_meanwhile_is_not_lost_when_another_session_keeps_the_snapshot(fresh_store):
    """The sync adds NOPAT to a result (a whole-derive change). The clinic screen in one session
    and the carer in another open the record at the same time: the carer's open read the old kept
    snapshot, then the clinic's open kept the new one and dropped the log, then the carer's open
    found no change since its old snapshot and passed the result the label now redacts."""
    store = kept(fresh_store)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    _racing(store, Store(store.path), CLINIC)
    assert "Observation/o0" not in open_record(store, CARER, TODAY).keys


def test_a_new_result_is_not_missed_when_another_session_keeps_the_snapshot(fresh_store):
    """The same race after a sync that deleted a prescription and added a result: the carer's
    snapshot must be the record as stored (the deleted prescription gone), not the one from
    before the sync."""
    store = kept(fresh_store)
    store.put([result(0, version=2, meta=labels("PSY"))])  # a change that derives whole
    store.delete("MedicationRequest", "rx0")
    _racing(store, Store(store.path), PATIENT)
    keys = open_record(store, CARER_NO_PSY, TODAY).keys
    assert "MedicationRequest/rx0" not in keys and "Observation/o0" not in keys


def test_the_stale_open_is_not_kept_for_the_carer_s_next_rerun(fresh_store):
    """The race of the test above, through the service the pages use: the open made from the old
    snapshot is cached under the current data version (ltc_dashboard/service/core.py `open`), and the carer's
    next rerun, with no race at all, is served it again."""
    store = kept(fresh_store)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    service = Service(store)
    _racing(store, Store(store.path), CLINIC)
    service.record(CARER, TODAY)  # the open during the race
    assert [r.id for r in service.record(CARER, TODAY).results] == []


# -- 2. A write that bumps the data version without a log row. The log's completeness is never
# checked: `changes_since` reads "no rows" as "nothing changed", and the kept snapshot is served
# for the new data version. Shapes: the put of the store before this branch (main at 3310ba6,
# ltc_dashboard/store/resources.py `_put_batch`: `_count_change` and no `_note_changes`), which is what an
# older install or a CLI from another virtualenv writes to the same file during an upgrade; and
# a log emptied by hand (the table holds only what "can be derived again").

def _written_without_the_log(store: Store, monkeypatch, resources: list[dict]) -> None:
    monkeypatch.setattr(store_resources, "_note_changes", lambda conn, changed: None)
    store.put(resources)
    monkeypatch.undo()


def test_a_write_without_a_log_row_is_not_served_from_the_old_snapshot(fresh_store, monkeypatch):
    store = kept(fresh_store)
    _written_without_the_log(store, monkeypatch, [result(0, version=2, value=99.0, meta=labels("NOPAT"))])
    service = Service(store)
    shown = {viewer.key: [r.id for r in service.record(viewer, TODAY).results] for viewer in VIEWERS}
    assert shown == {viewer.key: [] for viewer in VIEWERS}


def test_an_emptied_change_log_does_not_serve_the_old_snapshot(fresh_store):
    store = kept(fresh_store)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    store.db.conn.execute("DELETE FROM snapshot_changes")
    assert "Observation/o0" not in open_record(store, CARER, TODAY).keys


def test_a_write_without_a_log_row_is_not_kept_by_a_later_large_sync(fresh_store, monkeypatch):
    store = kept(fresh_store)
    _written_without_the_log(store, monkeypatch, [result(0, version=2, meta=labels("NOPAT"))])
    store.put([result(n, day=n) for n in range(1, 260)])  # ltc_dashboard/gate/access_snapshot.py keeps past 200
    open_record(store, PATIENT, TODAY)
    store.close()
    assert "Observation/o0" not in open_record(Store(store.path), CARER, TODAY).keys


# -- 3. Deleting a prescription leaves the medicine groups in the old order (removals.py
# `_groups` keeps each group where it was; a whole derive orders them by their first request).
# The record looks the same to a viewer, but the service shares the merged medicine of each
# group by its NUMBER between the viewers of one data version (ltc_dashboard/gate/snapshot/mapped.py
# `_Made.groups`, reused while the digests match). When the same data version is opened once
# from the updated snapshot and once derived whole (the kept row replaced by a process of
# another code version: keep_snapshot's INSERT OR REPLACE on patient_id; or dropped by the letter
# index upgrade, ltc_dashboard/store/db.py `_OLD_LETTER_INDEX`), group n is another medicine.

def _groups_reordered(store: Store) -> None:
    """Metformin (rx0, and rx3 labelled PSY) and Ramipril (rx2, by name) in stored order rx0, rx2,
    rx3; deleting rx0 leaves Metformin's first request after Ramipril's."""
    store.put([prescription(2, medicine=None, day=6), prescription(3, day=7, meta=labels("PSY"))])
    open_record(store, PATIENT, TODAY)
    store.delete("MedicationRequest", "rx0")


def test_the_medicine_groups_after_a_deletion_are_the_whole_derive_s(fresh_store):
    store = kept(fresh_store)
    _groups_reordered(store)
    assert plain(snapshot_of(store)) == plain(full(store))


def test_the_clinic_screen_is_not_given_the_patient_s_merged_medicine(fresh_store, tmp_path):
    store = kept(fresh_store)
    _groups_reordered(store)
    service = Service(store)
    assert {m.name for m in service.record(PATIENT, TODAY).medications} == {
        "Metformin 500mg tablets", "Ramipril 5mg capsules"}
    store.db.conn.execute("UPDATE derived SET version = 'another release'")  # its keep_snapshot, same data
    clinic = [m.name for m in service.record(CLINIC, TODAY).medications]
    expected = [m.name for m in Service(rebuilt(store, tmp_path)).record(CLINIC, TODAY).medications]
    assert expected == ["Ramipril 5mg capsules"]
    assert clinic == expected


def test_the_medicine_groups_of_a_synthea_record_after_deletions(fresh_store):
    """Renea Quigley's Synthea bundle: Ibuprofen issued twice, then Acetaminophen; a sync adds a
    later Ibuprofen issue (a copy of the second, new id) and the next deletes the first two."""
    patient_id = synthea(fresh_store)
    ibuprofen = [r for r in stored(fresh_store, patient_id, "MedicationRequest")
                 if r["medicationCodeableConcept"]["text"].startswith("Ibuprofen")]
    fresh_store.put([{**ibuprofen[1], "id": "attack19-ibuprofen", "authoredOn": "2026-10-01T09:00:00+00:00"}])
    open_record(fresh_store, Viewer(kind="patient", patient_id=patient_id), TODAY)
    with fresh_store.atomic():
        for request in ibuprofen:
            fresh_store.delete("MedicationRequest", request["id"])
    assert plain(snapshot_of(fresh_store, patient_id)) == plain(full(fresh_store, patient_id))


# Unmarked companions: what must already hold around each break.

def test_the_race_without_the_other_session_is_right(fresh_store):
    """Without the other session in between, the carer's open derives the labelled result whole."""
    store = kept(fresh_store)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    assert "Observation/o0" not in open_record(store, CARER, TODAY).keys


def test_the_groups_reordered_are_seen_alike_by_each_viewer_opened_alone(fresh_store, tmp_path):
    """Each viewer's own open (no memo shared) lists the same medicines as a rebuilt store."""
    store = kept(fresh_store)
    _groups_reordered(store)
    again = rebuilt(store, tmp_path)
    for viewer in VIEWERS:
        mine = [m.name for m in Service(store).record(viewer, TODAY).medications]
        assert mine == [m.name for m in Service(again).record(viewer, TODAY).medications], viewer
