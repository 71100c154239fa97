"""The gate's reading of a record's snapshot (ltc_dashboard/gate/snapshot/): kept, updated with what was
written since, or derived whole. Part of the gate: only ltc_dashboard/gate/access.py imports it
(tests/test_architecture.py), and with it it is the only reader of clinical resources."""

from __future__ import annotations

from collections.abc import Iterator

from ltc_dashboard.gate.consent import stored_text
from ltc_dashboard.gate.snapshot import VERSION, Snapshot, Unreadable, derive, update
from ltc_dashboard.gate.snapshot.codec import decode_snapshot, encode_snapshot
from ltc_dashboard.gate.snapshot.facts import digest


class RecordChanged(RuntimeError):
    """The store changed after the gate read a record: the record must be opened again."""


# Changes an updated snapshot is kept after. Writing a 25,000-resource record's snapshot back
# takes about 100 ms (several MB, synced to disk), more than applying a few changes again at
# each open; past this many, the snapshot is kept (and the change log up to it dropped).
_KEEP_AFTER = 200


def read_snapshot(store, patient_id: str) -> tuple[Snapshot, str]:
    """One patient's record as a snapshot, and the store's data version it was read at: kept in
    the store while nothing has been written since it was made with this code (store.snapshots);
    else the last kept one updated with what was written since (ltc_dashboard/gate/snapshot/changes.py), or
    derived whole from the stored resources; and kept, unless something was written meanwhile.

    The data version, the kept snapshot and the log since it are read in one read transaction
    (store.kept_with_changes): read apart, another session could keep the record's snapshot in
    between and drop the log this one still needs, and the old snapshot would pass as current."""
    version, kept, changed = store.kept_with_changes(patient_id, VERSION)
    if kept is not None:
        try:
            snapshot = Snapshot.from_blobs(decode_snapshot(kept[0]), kept[1])
        except Unreadable:
            snapshot = None  # derived again below, and replaced
        if snapshot is not None and kept[2] == version:
            return snapshot, version
        if snapshot is not None and changed is not None:
            snapshot = update(snapshot, changed, lambda keys: store.resource_rows(patient_id, keys),
                              store.rowid_of, store.shared)
            if snapshot is not None:
                if store.data_version() != version:  # written meanwhile: the rows read may be newer
                    raise RecordChanged("the record changed while it was opened")
                if len(changed) >= _KEEP_AFTER:  # else the next open applies the same few again
                    store.keep_snapshot(patient_id, VERSION, version, encode_snapshot(snapshot.facts_blob()),
                                       snapshot.entries)
                return snapshot, version
    try:
        snapshot = derive(store.resource_texts_for(patient_id), store.shared,
                          lambda types: store.resource_texts_for(patient_id, types))
    except Unreadable:  # written to while it was read: the open starts again (ltc_dashboard/service/core.py)
        raise RecordChanged("the record changed while it was opened") from None
    store.keep_snapshot(patient_id, VERSION, version, encode_snapshot(snapshot.facts_blob()), snapshot.entries,
                       letters=snapshot.search_rows)
    snapshot.search_rows = []  # the store has them (or the next open makes them again)
    return snapshot, version


def texts(store, snapshot: Snapshot, patient_id: str) -> Iterator[tuple[str, str]]:
    """(Type/id, stored JSON) of the record's resources as the snapshot knows them, and of the
    shared resources they point at (for Consent criteria found in text: ltc_dashboard/gate/consent.py)."""
    digests = {key: snapshot.digest_at(i) for i, key in enumerate(snapshot.keys)}
    for rtype, rid, text in store.resource_texts_for(patient_id):
        if digests.get(f"{rtype}/{rid}") != digest(text):
            raise RecordChanged("the record changed while it was opened")
        yield f"{rtype}/{rid}", text
    for resource in store.shared(set(snapshot.shared_refs)) if snapshot.shared_refs else ():
        yield f"{resource.get('resourceType')}/{resource.get('id')}", stored_text(resource)
