"""Sync state: where each server's sync of a record got to, and which entries it holds from there.

`sync_state` keeps, per server, patient and resource type, the server's time of the last successful
sync (the mark the next one asks from). `sync_held` keeps which entries (type and id) a server has
given for a patient, and to whom (`holder`: '' for the person's own sign-in or a typed token,
'RelatedPerson/ID' for a carer's): only these can be removed when a complete full read of that type,
by the same holder, no longer lists them (ltc_dashboard/intake/sync.py, issue 17). An entry another server, another
holder or a file import also holds is never removed that way: a file import holds what it stored
under the source `FILE`. `sync_views` keeps, per server, record and holder, what the reads were
allowed to see (the granted scope, or a digest of a typed token when the scope is not known): a
read under another view may list less without anything being deleted. No table holds clinical
content or a token.
"""

from __future__ import annotations

_HELD = ("CREATE TABLE IF NOT EXISTS sync_held (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
         " resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, holder TEXT NOT NULL DEFAULT '',"
         " PRIMARY KEY (server, patient_id, holder, resource_type, resource_id))")
_HELD_BY_ID = "CREATE INDEX IF NOT EXISTS sync_held_entry ON sync_held (resource_type, resource_id)"
_VIEWS = ("CREATE TABLE IF NOT EXISTS sync_views (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
          " holder TEXT NOT NULL, view TEXT NOT NULL, PRIMARY KEY (server, patient_id, holder))")
FILE = "(file import)"  # the source a file import holds its entries under (never a server's base URL)


class SyncStateMixin:
    """Store methods for sync marks and the entries each server holds for a record."""

    def _create(self) -> None:
        super()._create()
        conn = self.db.conn
        with conn:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(sync_held)")}
            if columns and "holder" not in columns:  # from before holders: every entry was the person's
                conn.execute("ALTER TABLE sync_held RENAME TO sync_held_before_holders")
                conn.execute(_HELD)
                conn.execute("INSERT OR IGNORE INTO sync_held (server, patient_id, resource_type, resource_id,"
                             " holder) SELECT server, patient_id, resource_type, resource_id, ''"
                             " FROM sync_held_before_holders")
                conn.execute("DROP TABLE sync_held_before_holders")
            conn.execute(_HELD)
            conn.execute(_HELD_BY_ID)
            conn.execute(_VIEWS)

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
    def held_ids(self, server: str, patient_id: str, holder: str = "") -> dict[str, set[str]]:
        """Resource type -> the ids this server has given this holder for this patient (and not since
        deleted)."""
        held: dict[str, set[str]] = {}
        rows = self.db.conn.execute(
            "SELECT resource_type, resource_id FROM sync_held WHERE server = ? AND patient_id = ? AND holder = ?",
            [server, patient_id, holder])
        for rtype, rid in rows:
            held.setdefault(rtype, set()).add(rid)
        return held

    def hold(self, server: str, patient_id: str, keys, holder: str = "") -> None:
        """Note that `server` gave these (type, id) entries for this patient to this holder."""
        with self._transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO sync_held (server, patient_id, holder, resource_type,"
                             " resource_id) VALUES (?, ?, ?, ?, ?)",
                             [(server, patient_id, holder, t, i) for t, i in keys])

    def hold_from_file(self, keys) -> None:
        """Note that a file import gave these (type, id) entries: never removed by a server's absence."""
        self.hold(FILE, "", keys)

    def let_go(self, server: str, patient_id: str, keys, holder: str = "") -> None:
        """This server no longer gives these (type, id) entries for this patient to this holder."""
        with self._transaction() as conn:
            conn.executemany("DELETE FROM sync_held WHERE server = ? AND patient_id = ? AND holder = ?"
                             " AND resource_type = ? AND resource_id = ?",
                             [(server, patient_id, holder, t, i) for t, i in keys])

    def held_elsewhere(self, server: str, rtype: str, rid: str, holder: str | None = "") -> bool:
        """Whether another source holds this entry too: another server or a file import, or (unless
        `holder` is None: a DELETE the server reported ends it for every holder) another holder's
        reads from this one. Then one read's absence, or one server's DELETE, does not remove it."""
        if holder is None:
            return self.db.conn.execute("SELECT 1 FROM sync_held WHERE resource_type = ? AND resource_id = ?"
                                        " AND server != ? LIMIT 1", [rtype, rid, server]).fetchone() is not None
        return self.db.conn.execute(
            "SELECT 1 FROM sync_held WHERE resource_type = ? AND resource_id = ? AND (server != ? OR holder != ?)"
            " LIMIT 1", [rtype, rid, server, holder]).fetchone() is not None

    def sync_view(self, server: str, patient_id: str, holder: str = "") -> str | None:
        """What this holder's last sync of the record from this server was allowed to see, or None."""
        row = self.db.conn.execute("SELECT view FROM sync_views WHERE server = ? AND patient_id = ? AND holder = ?",
                                   [server, patient_id, holder]).fetchone()
        return row[0] if row else None

    def set_sync_view(self, server: str, patient_id: str, holder: str, view: str) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO sync_views (server, patient_id, holder, view) VALUES (?, ?, ?, ?)",
                         [server, patient_id, holder, view])
