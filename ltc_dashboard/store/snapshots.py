"""Each record's snapshot: what the access gate and the mapping derived from its stored resources
(ltc_dashboard/gate/snapshot/), kept so that opening the record in a new process reads one row instead of
decoding and mapping every resource. The store keeps it as an opaque blob; it never reads it.

A snapshot is made for one value of the clinical-resources write counter (`data_version`), which
every write of resources bumps in its own transaction: a snapshot whose counter is not the
current one is never returned as current. It is kept only when the counter has not moved since
the caller read it, checked in the same write, so a snapshot made from texts a sync was replacing
is dropped. An older one is returned by `kept_with_changes` together with what changed since
(`changes_since`, from the log every write keeps: ltc_dashboard/store/resources.py `_note_changes`), so the gate
can update it with just those resources (ltc_dashboard/gate/snapshot/changes.py).

The log must PROVE it covers every write since the kept snapshot, else the record is derived
whole (fail closed): each logged write also logs a marker row for its counter, and the changes
count only when there is one marker for every counter between the kept snapshot's and now. A
write that bumps the counter without logging (the store code before the log, writing the same
file during an upgrade) or a log emptied by hand leaves a counter without its marker. The kept
snapshot and the log are read in ONE read transaction (WAL: a consistent view of the file), so
another session keeping the record's snapshot meanwhile, which drops the log up to it, cannot
leave this one an old snapshot and a log emptied since.
"""

from __future__ import annotations

import sqlite3

# The type of the row each logged write adds for its counter (with no patient and no id): the
# proof that the write's changes are in the log (`changes_since`). No resource type is empty.
_MARKER = ""

# How long keeping a snapshot may wait for another session's write to finish: it is only a
# saving, and the person is waiting for the page.
_KEEP_WAIT_MS = 200


class SnapshotsMixin:
    """The `derived` table: one snapshot blob per patient, with the code version that made it.
    (The table keeps the name it had before the snapshot got one name in the code, issue 19: a
    renamed table would be a schema change for a word.)"""

    def kept_with_changes(self, patient_id: str, version: str) -> tuple[str, tuple[bytes, bytes, str] | None,
                                                                       set[tuple[str, str]] | None]:
        """(the data version now, this patient's kept snapshot made by `version` as `snapshot_before`
        gives it, what was written since it as `changes_since` gives it), all read in one read
        transaction: a consistent view, whatever other sessions write or keep meanwhile. The
        changes are None when the kept snapshot is current (nothing to apply) or the log cannot
        prove what changed (derive whole)."""
        conn = self.db.conn
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")  # deferred: the read transaction starts at the first SELECT
        try:
            now = self.data_version()
            kept = self.snapshot_before(patient_id, version)
            changed = None if kept is None or kept[2] == now else self.changes_since(patient_id, kept[2], now)
            return now, kept, changed
        finally:
            if own:
                conn.execute("COMMIT")

    def snapshot_before(self, patient_id: str, version: str) -> tuple[bytes, bytes, str] | None:
        """This patient's kept snapshot made by `version` at whatever data version it was made:
        (its facts, its entries, that data version)."""
        row = self.db.conn.execute("SELECT data_version FROM derived WHERE patient_id = ? AND version = ?",
                                   [patient_id, version]).fetchone()
        kept = self.snapshot_blobs(patient_id, version, row[0]) if row else None
        return None if kept is None else (*kept, row[0])

    def changes_since(self, patient_id: str, data_version: str, now: str) -> set[tuple[str, str]] | None:
        """(type, id) of this patient's resources written after `data_version` up to `now`; None
        when the log cannot say: it starts later, a write in between left no marker (so it may
        have logged nothing), or a shared resource changed meanwhile, which any record may point
        at. Read it in the same read transaction as the kept snapshot (`kept_with_changes`)."""
        conn = self.db.conn
        since, until = int(data_version[1:]), int(now[1:])
        start = conn.execute("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'changes_from'").fetchone()
        if start is None or since < start[0] or since > until:
            return None
        rows = conn.execute(
            "SELECT patient_id, type, id, counter FROM snapshot_changes WHERE counter > ? AND counter <= ?"
            " AND (patient_id = ? OR patient_id IS NULL)", [since, until, patient_id]).fetchall()
        marked = {counter for owner, rtype, _, counter in rows if owner is None and rtype == _MARKER}
        if len(marked) != until - since:  # a write with no log, or a log emptied: cannot prove
            return None
        if any(owner is None and rtype != _MARKER for owner, rtype, _, _ in rows):
            return None
        return {(rtype, rid) for owner, rtype, rid, _ in rows if owner is not None}

    def snapshot_blobs(self, patient_id: str, version: str, data_version: str) -> tuple[bytes, bytes] | None:
        """The snapshot of this patient's record made by `version` at `data_version`, if kept:
        (its facts, its entries). Both are read in one read transaction, through SQLite's blob
        reads (one copy of several megabytes instead of two)."""
        conn = self.db.conn
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            row = conn.execute(
                "SELECT rowid FROM derived WHERE patient_id = ? AND version = ? AND data_version = ?",
                [patient_id, version, data_version],
            ).fetchone()
            if row is None:
                return None
            parts = []
            for column in ("blob", "entries"):
                with conn.blobopen("derived", column, row[0], readonly=True) as blob:
                    parts.append(blob.read())
            return parts[0], parts[1]
        finally:
            if own:
                conn.execute("COMMIT")

    def has_snapshot(self, patient_id: str, version: str, data_version: str) -> bool:
        """Whether that snapshot is kept (for the benchmark and tests; reads no clinical data)."""
        return self.db.conn.execute(
            "SELECT 1 FROM derived WHERE patient_id = ? AND version = ? AND data_version = ?",
            [patient_id, version, data_version],
        ).fetchone() is not None

    def keep_snapshot(self, patient_id: str, version: str, data_version: str, blob: bytes,
                     entries: bytes, letters: list | None = None) -> bool:
        """Keep a snapshot made at `data_version`, unless resources were written since (then it
        is dropped: True only when it was kept). A store that cannot be written, or is busy, is
        left as it was. `letters`, the record's letter search rows made with the snapshot
        (ltc_dashboard/store/resources.py `_replace_letter_text`), are kept with it in the same transaction."""
        conn = self.db.conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {_KEEP_WAIT_MS}")
            with self.atomic():
                cursor = conn.execute(
                    "INSERT OR REPLACE INTO derived (patient_id, version, data_version, blob, entries)"
                    " SELECT ?, ?, ?, ?, ? WHERE (SELECT 'v' || value FROM meta"
                    " WHERE key = 'resources_version') = ?",
                    [patient_id, version, data_version, sqlite3.Binary(blob), sqlite3.Binary(entries),
                     data_version],
                )
                if cursor.rowcount > 0 and letters is not None:
                    self._replace_letter_text(conn, patient_id, letters)
                if cursor.rowcount > 0:  # what its snapshot now holds needs no log; shared
                    # changes go once no kept snapshot is older than them
                    conn.execute("DELETE FROM snapshot_changes WHERE patient_id = ? AND counter <= ?",
                                 [patient_id, int(data_version[1:])])
                    # (a reader that read an older kept snapshot read the log in that same read
                    # transaction: WAL keeps what it saw; `kept_with_changes`)
                    conn.execute("DELETE FROM snapshot_changes WHERE patient_id IS NULL AND counter <="
                                 " (SELECT min(CAST(substr(data_version, 2) AS INTEGER)) FROM derived)")
                return cursor.rowcount > 0
        except sqlite3.OperationalError:  # read-only, locked, disk full: the next open derives again
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {self.BUSY_TIMEOUT_MS}")

    def resource_rows(self, patient_id: str, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
        """(rowid, stored JSON) of each of these resources that is this patient's and not deleted:
        the rowid says where it falls in the record's stored order (`resource_texts_for`)."""
        found = {}
        for rtype, rid in sorted(keys):
            row = self.db.conn.execute(
                "SELECT rowid, json FROM resources WHERE type = ? AND id = ? AND patient_id = ? AND deleted = 0",
                [rtype, rid, patient_id]).fetchone()
            if row is not None:
                found[(rtype, rid)] = (row[0], row[1])
        return found

    def rowid_of(self, rtype: str, rid: str) -> int | None:
        """Where a stored resource falls in stored order (no clinical data)."""
        row = self.db.conn.execute("SELECT rowid FROM resources WHERE type = ? AND id = ?", [rtype, rid]).fetchone()
        return row[0] if row else None


def note_changes(conn, changed: list[tuple[str | None, str, str]]) -> None:
    """Log (patient, type, id) of each resource this write added, replaced, deleted or filed into
    or out of a record, at the counter `_count_change` just set, in the same transaction: the next
    open of that record updates its kept snapshot with just these (ltc_dashboard/gate/snapshot/changes.py).
    A shared resource (no patient) is logged with none: every record's snapshot is then derived
    again whole, since any record may point at it. With them, the write's marker (no patient,
    type and id empty): the proof that this counter's changes are logged (`changes_since`)."""
    conn.executemany(
        "INSERT INTO snapshot_changes (counter, patient_id, type, id) SELECT CAST(value AS INTEGER), ?, ?, ?"
        " FROM meta WHERE key = 'resources_version'", [*dict.fromkeys(changed), (None, _MARKER, "")])  # once each, in order
