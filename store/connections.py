"""Kept SMART connections (issue 17): what a later sync needs to go on without a new sign-in.

One row per (server, patient): the sign-in server's endpoints, the client id, the scope granted,
and the tokens (refresh token, the access token and when it expires). They are secrets: the store
file is readable by its owner only (store/db.py), nothing here logs them, and no export reads this
table (exports are built from the gated record and the personal tables). `connections()` lists
the rows without the tokens; "Forget this connection" deletes the row.
"""

from __future__ import annotations

import datetime as dt

_TABLE = (
    "CREATE TABLE IF NOT EXISTS smart_connections (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
    " related_person TEXT, client_id TEXT NOT NULL, authorization_endpoint TEXT NOT NULL,"
    " token_endpoint TEXT NOT NULL, scope TEXT NOT NULL, access_token TEXT NOT NULL, expires_at REAL,"
    " lifetime REAL, refresh_token TEXT, saved TEXT NOT NULL, PRIMARY KEY (server, patient_id))"
)
_COLUMNS = ("server", "patient_id", "related_person", "client_id", "authorization_endpoint", "token_endpoint",
            "scope", "access_token", "expires_at", "lifetime", "refresh_token", "saved")


class ConnectionsMixin:
    """Store methods for kept SMART connections."""

    def _create(self) -> None:
        super()._create()
        with self.db.conn:
            self.db.execute(_TABLE)

    def save_connection(self, row: dict) -> None:
        """Keep (or replace) the connection for row["server"] and row["patient_id"]."""
        values = {**{c: row.get(c) for c in _COLUMNS}, "saved": row.get("saved") or _now()}
        with self._transaction() as conn:
            conn.execute(f"INSERT OR REPLACE INTO smart_connections ({', '.join(_COLUMNS)}) VALUES "
                         f"({', '.join('?' for _ in _COLUMNS)})", [values[c] for c in _COLUMNS])

    def connection(self, server: str, patient_id: str) -> dict | None:
        """The kept connection with its tokens, or None."""
        row = self.db.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM smart_connections"
                                   " WHERE server = ? AND patient_id = ?", [server, patient_id]).fetchone()
        return dict(zip(_COLUMNS, row)) if row else None

    def connections(self, patient_id: str | None = None) -> list[dict]:
        """Kept connections (of one patient, if given), without their tokens: whether one can be
        renewed is `renewable`."""
        rows = self.db.conn.execute(
            "SELECT server, patient_id, related_person, saved, refresh_token IS NOT NULL FROM smart_connections"
            " WHERE ? IS NULL OR patient_id = ? ORDER BY server, patient_id", [patient_id, patient_id])
        return [{"server": r[0], "patient_id": r[1], "related_person": r[2], "saved": r[3], "renewable": bool(r[4])}
                for r in rows]

    def forget_connection(self, server: str, patient_id: str) -> bool:
        """Delete the kept connection; whether there was one. The tokens' bytes go too: the page
        that held them is overwritten (secure_delete) and the write-ahead log emptied."""
        self.db.conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._transaction() as conn:
                gone = conn.execute("DELETE FROM smart_connections WHERE server = ? AND patient_id = ?",
                                    [server, patient_id]).rowcount > 0
        finally:
            self.db.conn.execute("PRAGMA secure_delete = OFF")
        if gone and not self.db.conn.in_transaction:
            self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
