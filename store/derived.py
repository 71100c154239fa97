"""Each record's snapshot: what the access gate and the mapping derived from its stored resources
(record/projection.py), kept so that opening the record in a new process reads one row instead of
decoding and mapping every resource. The store keeps it as an opaque blob; it never reads it.

A snapshot is made for one value of the clinical-resources write counter (`data_version`), which
every write of resources bumps in its own transaction: a snapshot whose counter is not the
current one is never returned. It is kept only when the counter has not moved since the caller
read it, checked in the same write, so a snapshot made from texts a sync was replacing is dropped.
"""

from __future__ import annotations

import sqlite3

# How long keeping a snapshot may wait for another session's write to finish: it is only a
# saving, and the person is waiting for the page.
_KEEP_WAIT_MS = 200


class DerivedMixin:
    """The `derived` table: one snapshot blob per patient, with the code version that made it."""

    def derived(self, patient_id: str, version: str, data_version: str) -> tuple[bytes, bytes] | None:
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

    def has_derived(self, patient_id: str, version: str, data_version: str) -> bool:
        """Whether that snapshot is kept (for the benchmark and tests; reads no clinical data)."""
        return self.db.conn.execute(
            "SELECT 1 FROM derived WHERE patient_id = ? AND version = ? AND data_version = ?",
            [patient_id, version, data_version],
        ).fetchone() is not None

    def keep_derived(self, patient_id: str, version: str, data_version: str, blob: bytes,
                     entries: bytes, letters: list | None = None) -> bool:
        """Keep a snapshot made at `data_version`, unless resources were written since (then it
        is dropped: True only when it was kept). A store that cannot be written, or is busy, is
        left as it was. `letters`, the record's letter search rows made with the snapshot
        (store/resources.py `_replace_letter_text`), are kept with it in the same transaction."""
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
                return cursor.rowcount > 0
        except sqlite3.OperationalError:  # read-only, locked, disk full: the next open derives again
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {self.BUSY_TIMEOUT_MS}")
