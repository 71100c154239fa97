"""The change log must prove it covers every write since a kept snapshot, and the shared merged
medicines can never show one medicine for another (fixsnap19, after attack 19: hazard H36).

Each test isolates one control, so that it fails when that control alone is taken away:
* the one read transaction of the kept snapshot and the log (ltc_dashboard/store/snapshots.py `kept_with_changes`):
  the race of tests/test_attack19_snapshot.py with a second patient in the store, whose older
  kept snapshot keeps the write markers, so only the transaction stops the stale open;
* the write markers (`changes_since`): an unlogged write between two logged ones;
* the medicine groups' order after a deletion (ltc_dashboard/gate/snapshot/removals.py `_groups`);
* the shared merged medicines keyed by their requests (ltc_dashboard/gate/snapshot/mapped.py `_Made.groups`),
  here with the groups left out of order on purpose.

The record and its viewers are tests/attack19_support.py's (R4 shapes of tests/test_access.py and
tests/test_snapshot_update.py); the second patient's result is the same HbA1c shape.
"""

from __future__ import annotations

import pytest

from ltc_dashboard.gate import access_snapshot
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.gate.snapshot import removals
from ltc_dashboard.gate.snapshot.codec import decode_model_list, encode_model_list
from ltc_dashboard.record.mapping_medications import merge
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import resources as store_resources
from ltc_dashboard.store import Store
from tests.attack19_support import (TODAY, VIEWERS, base, full, kept, labels, plain, prescription, rebuilt, result,
                                    snapshot_of)

PATIENT, CLINIC, CARER, CARER_NO_PSY = VIEWERS
OTHER = Viewer(kind="patient", patient_id="p2")


def _with_second_patient(store: Store) -> Store:
    """The record and another in the household, both opened (their snapshots kept at the same
    data version, so the second's is never newer than the first's)."""
    kept(store, [*base(), {"resourceType": "Patient", "id": "p2", "name": [{"given": ["Bo"], "family": "Test"}]},
                 {**result(90), "subject": {"reference": "Patient/p2"}}])
    open_record(store, OTHER, TODAY)
    return store


def test_another_session_keeping_the_snapshot_mid_read_cannot_empty_this_one_s_log(fresh_store):
    """The race of attack 19 with a second patient kept earlier: pruning the write markers waits
    for every kept snapshot (the second patient's is older), so only reading the kept snapshot
    and the log in one read transaction keeps the carer's open from the old snapshot."""
    store = _with_second_patient(fresh_store)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    other, real = Store(store.path), store.changes_since

    def after_the_other_session(*args):  # the other session derives whole and keeps (drops the log)
        store.changes_since = real
        open_record(other, CLINIC, TODAY)
        return real(*args)

    store.changes_since = after_the_other_session
    assert "Observation/o0" not in open_record(store, CARER, TODAY).keys
    assert store.changes_since is real  # the race was run


def test_an_unlogged_write_between_logged_ones_derives_whole(fresh_store, monkeypatch):
    """A write of the store code before the log (no rows, no marker) between two logged writes:
    the log ends with a marker, but one counter in between has none, so it proves nothing."""
    store = kept(fresh_store)
    store.put([result(5, day=5)])
    monkeypatch.setattr(store_resources, "_note_changes", lambda conn, changed: None)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    monkeypatch.undo()
    store.put([result(6, day=6)])
    since = store.snapshot_before("p1", access_snapshot.VERSION)[2]
    assert store.changes_since("p1", since, store.data_version()) is None
    calls = []
    real = access_snapshot.derive
    monkeypatch.setattr(access_snapshot, "derive", lambda *a, **k: calls.append(1) or real(*a, **k))
    keys = open_record(store, CARER, TODAY).keys
    assert calls == [1] and "Observation/o0" not in keys and "Observation/o6" in keys


def test_a_fully_logged_gap_is_still_applied_without_deriving_whole(fresh_store, monkeypatch):
    """The proof costs nothing where the log is whole: two logged writes are applied to the kept
    snapshot (no whole derive), and the result is a whole derive's."""
    store = kept(fresh_store)
    store.put([result(5, day=5)])
    store.put([result(6, day=6)])
    since = store.snapshot_before("p1", access_snapshot.VERSION)[2]
    assert store.changes_since("p1", since, store.data_version()) == {("Observation", "o5"), ("Observation", "o6")}
    calls = []
    real = access_snapshot.derive
    monkeypatch.setattr(access_snapshot, "derive", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert plain(snapshot_of(store)) == plain(full(store))
    assert calls == []


def _unsorted_groups(s, gone, new):
    """removals.py `_groups` as it was before fixsnap19: each group left where it was."""
    found = []
    for members, merged in s.medicine_groups:
        left = [i for i in members if i not in gone]
        if not left:
            continue
        if len(left) != len(members):
            merged = encode_model_list((merge([decode_model_list(s.encoded_at(i))[0] for i in left]),), {})
        found.append((tuple(new[i] for i in left), merged))
    return tuple(found)


@pytest.mark.parametrize("groups_sorted", [True, False])
def test_the_clinic_screen_never_gets_another_medicine_from_the_shared_memo(fresh_store, tmp_path, monkeypatch,
                                                                            groups_sorted):
    """Attack 19's leak, with the deletion's groups in order and (the second control alone) out of
    order: the service's merged medicines are shared under their requests' ids, so the clinic
    screen, opening a whole derive of the same resources, is shown Ramipril, never the patient's
    PSY-labelled Metformin."""
    if not groups_sorted:
        monkeypatch.setattr(removals, "_groups", _unsorted_groups)
    store = kept(fresh_store)
    store.put([prescription(2, medicine=None, day=6), prescription(3, day=7, meta=labels("PSY"))])
    open_record(store, PATIENT, TODAY)
    store.delete("MedicationRequest", "rx0")
    service = Service(store)
    first = [members for members, _ in snapshot_of(store).medicine_groups]
    assert (first == sorted(first)) is groups_sorted  # the order this case is about
    assert {m.name for m in service.record(PATIENT, TODAY).medications} == {
        "Metformin 500mg tablets", "Ramipril 5mg capsules"}
    store.db.conn.execute("UPDATE derived SET version = 'another release'")  # derived whole at the next open
    assert [m.name for m in service.record(CLINIC, TODAY).medications] == ["Ramipril 5mg capsules"]
    assert [m.name for m in Service(rebuilt(store, tmp_path)).record(CLINIC, TODAY).medications] == [
        "Ramipril 5mg capsules"]
