"""Sync state: where each server's sync of a record got to, and which entries it holds from there.

`sync_state` keeps, per server, patient and resource type, the server's time of the last successful
sync (the mark the next one asks from). `sync_held` keeps which entries (type and id) a server has
given for a patient: only these can be removed when a complete full read of that type no longer
lists them (sync.py, issue 17). An entry from a file import, or one another server also holds,
is never removed that way. Neither table holds clinical content.
"""

from __future__ import annotations

_HELD = ("CREATE TABLE IF NOT EXISTS sync_held (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
         " resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,"
         " PRIMARY KEY (server, patient_id, resource_type, resource_id))")


class SyncStateMixin:
    """Store methods for sync marks and the entries each server holds for a record."""

    def _create(self) -> None:
        super()._create()
        with self.db.conn:
            self.db.execute(_HELD)

    def sync_marks(self, server: str, patient_id: str) -> dict[str, str]:
        """Resource type -> the server's time at the last successful sync of this patient."""
        rows = self.db.conn.execute(
            "SELECT resource_type, last_sync FROM sync_state WHERE server = ? AND patient_id = ?",
            [server, patient_id],
        )
        return dict(rows.fetchall())

    def set_sync_marks(self, server: str, patient_id: str, marks: dict[str, str]) -> None:
        """Record where a successful sync got to, per resource type."""
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO sync_state (server, patient_id, resource_type, last_sync) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (server, patient_id, resource_type) DO UPDATE SET last_sync = excluded.last_sync",
                [(server, patient_id, rtype, when) for rtype, when in sorted(marks.items())],
            )

    def sync_sources(self) -> list[dict]:
        """Each (server, patient) synced, with the newest server time reached (no clinical data)."""
        rows = self.db.conn.execute(
            "SELECT server, patient_id, max(last_sync) FROM sync_state GROUP BY server, patient_id"
            " ORDER BY server, patient_id"
        )
        return [{"server": r[0], "patient_id": r[1], "last_sync": r[2]} for r in rows]

    # -- what each server has given ------------------------------------------------------------
    def held_ids(self, server: str, patient_id: str) -> dict[str, set[str]]:
        """Resource type -> the ids this server has given for this patient (and not since deleted)."""
        held: dict[str, set[str]] = {}
        rows = self.db.conn.execute(
            "SELECT resource_type, resource_id FROM sync_held WHERE server = ? AND patient_id = ?",
            [server, patient_id])
        for rtype, rid in rows:
            held.setdefault(rtype, set()).add(rid)
        return held

    def hold(self, server: str, patient_id: str, keys) -> None:
        """Note that `server` gave these (type, id) entries for this patient."""
        with self._transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO sync_held (server, patient_id, resource_type, resource_id)"
                             " VALUES (?, ?, ?, ?)", [(server, patient_id, t, i) for t, i in keys])

    def let_go(self, server: str, patient_id: str, keys) -> None:
        """This server no longer gives these (type, id) entries for this patient."""
        with self._transaction() as conn:
            conn.executemany("DELETE FROM sync_held WHERE server = ? AND patient_id = ? AND resource_type = ?"
                             " AND resource_id = ?", [(server, patient_id, t, i) for t, i in keys])

    def held_elsewhere(self, server: str, rtype: str, rid: str) -> bool:
        """Whether another server also holds this entry (then one server's absence does not remove it)."""
        return self.db.conn.execute(
            "SELECT 1 FROM sync_held WHERE server != ? AND resource_type = ? AND resource_id = ? LIMIT 1",
            [server, rtype, rid]).fetchone() is not None
