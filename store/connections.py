"""Kept SMART connections (issue 17): what a later sync needs to go on without a new sign-in.

One row per (server, patient): the sign-in server's endpoints, the client id, the scope granted,
and the tokens (refresh token, the access token and when it expires). They are secrets: the store
file is readable by its owner only (store/db.py), nothing here logs them, and no export reads this
table (exports are built from the gated record and the personal tables). `connections()` lists
the rows without the tokens; "Forget this connection" deletes the row.

The tokens are never written to the SQLite file in the clear: each row's tokens are sealed with a
key of their own (`_seal`: HMAC-SHA256 in counter mode, then an HMAC tag; the standard library
only), and the keys live beside the store in `<store>-keys` (0600, replaced whole, never appended
to). Why: SQLite keeps old versions of a page in the write-ahead log, and must keep them while
another session (another Streamlit session, `ltc sync`) is reading, so a token deleted from the
table can stay readable in `ltc.db-wal` for as long as that reader lasts. "Forget" deletes the
row (secure_delete) and then the key, so whatever sealed copies remain in the file or its log
cannot be opened. It returns True only once the key file no longer holds the key; a failure to
rewrite it raises `StoreError`. This is crypto-shredding on forget, not protection from someone
who can read the store's folder while the connection is kept (the key file is next to it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from store.db import StoreError

_TABLE = (
    "CREATE TABLE IF NOT EXISTS smart_connections (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
    " related_person TEXT, client_id TEXT NOT NULL, authorization_endpoint TEXT NOT NULL,"
    " token_endpoint TEXT NOT NULL, scope TEXT NOT NULL, access_token TEXT NOT NULL, expires_at REAL,"
    " lifetime REAL, refresh_token TEXT, saved TEXT NOT NULL, PRIMARY KEY (server, patient_id))"
)
_COLUMNS = ("server", "patient_id", "related_person", "client_id", "authorization_endpoint", "token_endpoint",
            "scope", "access_token", "expires_at", "lifetime", "refresh_token", "saved")
_SECRETS = ("access_token", "refresh_token")
_SEALED = "sealed1:"  # prefix of a sealed token: sealed1:<key id>:<base64 of nonce, text, tag>


class ConnectionsMixin:
    """Store methods for kept SMART connections."""

    def _create(self) -> None:
        super()._create()
        with self.db.conn:
            self.db.execute(_TABLE)

    @property
    def _keys_path(self) -> Path:
        return Path(f"{self.path}-keys")

    def save_connection(self, row: dict) -> None:
        """Keep (or replace) the connection for row["server"] and row["patient_id"], its tokens sealed
        with a new key (the old key is dropped once the new row is committed)."""
        values = {**{c: row.get(c) for c in _COLUMNS}, "saved": row.get("saved") or _now()}
        key_id, key = secrets.token_hex(8), secrets.token_bytes(32)
        for column in _SECRETS:
            if values[column] is not None:
                values[column] = _seal(key_id, key, str(values[column]))
        with self._transaction() as conn:  # the write lock serialises every edit of the key file
            keys = _read_keys(self._keys_path)
            keys[key_id] = key.hex()
            _write_keys(self._keys_path, keys)
            conn.execute(f"INSERT OR REPLACE INTO smart_connections ({', '.join(_COLUMNS)}) VALUES "
                         f"({', '.join('?' for _ in _COLUMNS)})", [values[c] for c in _COLUMNS])
        self._drop_unused_keys()

    def connection(self, server: str, patient_id: str) -> dict | None:
        """The kept connection with its tokens, or None (also when its key is gone: forgotten)."""
        row = self.db.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM smart_connections"
                                   " WHERE server = ? AND patient_id = ?", [server, patient_id]).fetchone()
        if not row:
            return None
        found = dict(zip(_COLUMNS, row))
        keys = _read_keys(self._keys_path)
        for column in _SECRETS:
            if isinstance(found[column], str) and found[column].startswith(_SEALED):
                found[column] = _open(found[column], keys)
                if found[column] is None:
                    return None  # its key is gone or the text was altered: not usable
        return found

    def connections(self, patient_id: str | None = None) -> list[dict]:
        """Kept connections (of one patient, if given), without their tokens: whether one can be
        renewed is `renewable`."""
        rows = self.db.conn.execute(
            "SELECT server, patient_id, related_person, saved, refresh_token IS NOT NULL FROM smart_connections"
            " WHERE ? IS NULL OR patient_id = ? ORDER BY server, patient_id", [patient_id, patient_id])
        return [{"server": r[0], "patient_id": r[1], "related_person": r[2], "saved": r[3], "renewable": bool(r[4])}
                for r in rows]

    def forget_connection(self, server: str, patient_id: str) -> bool:
        """Delete the kept connection, then its key; whether there was one. The row's page is
        overwritten (secure_delete); sealed copies left in the write-ahead log while another session
        reads cannot be opened once the key is gone. `StoreError` when the key could not be removed."""
        self.db.conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._transaction() as conn:
                gone = conn.execute("DELETE FROM smart_connections WHERE server = ? AND patient_id = ?",
                                    [server, patient_id]).rowcount > 0
        finally:
            self.db.conn.execute("PRAGMA secure_delete = OFF")
        self._drop_unused_keys()
        if not self.db.conn.in_transaction:  # tidy the log where no one reads; never waits for a reader
            self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return gone

    def _drop_unused_keys(self) -> None:
        """Rewrite the key file without the keys no kept row uses (a forgotten or replaced one).
        Skipped inside an enclosing transaction: its rows are not committed yet."""
        if getattr(self._local, "atomic", False):
            return
        try:
            with self._transaction() as conn:
                used = {_key_id(value) for row in conn.execute(
                    "SELECT access_token, refresh_token FROM smart_connections") for value in row}
                keys = _read_keys(self._keys_path)
                kept = {k: v for k, v in keys.items() if k in used}
                if kept != keys:
                    _write_keys(self._keys_path, kept)
        except OSError as exc:
            raise StoreError(f"could not remove a forgotten connection's key: {exc}") from exc


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, b"stream" + nonce + n.to_bytes(8, "big"), hashlib.sha256).digest()
              for n in range(-(-length // 32)))
    return b"".join(blocks)[:length]


def _tag(key: bytes, key_id: str, body: bytes) -> bytes:
    return hmac.new(key, b"tag" + key_id.encode() + body, hashlib.sha256).digest()[:16]


def _seal(key_id: str, key: bytes, text: str) -> str:
    """`text` encrypted and authenticated under `key` (a fresh 16-byte nonce every time)."""
    data, nonce = text.encode("utf-8"), secrets.token_bytes(16)
    body = nonce + bytes(a ^ b for a, b in zip(data, _keystream(key, nonce, len(data))))
    return f"{_SEALED}{key_id}:" + base64.b64encode(body + _tag(key, key_id, body)).decode("ascii")


def _open(sealed: str, keys: dict[str, str]) -> str | None:
    """The text sealed by `_seal`, or None when its key is gone or the text was altered."""
    key_id = _key_id(sealed)
    key = bytes.fromhex(keys[key_id]) if key_id in keys else None
    try:
        raw = base64.b64decode(sealed.split(":", 2)[2], validate=True)
    except (ValueError, IndexError):
        return None
    body, tag = raw[:-16], raw[-16:]
    if key is None or len(body) < 16 or not hmac.compare_digest(tag, _tag(key, key_id, body)):
        return None
    nonce, data = body[:16], body[16:]
    return bytes(a ^ b for a, b in zip(data, _keystream(key, nonce, len(data)))).decode("utf-8", "replace")


def _key_id(value: object) -> str | None:
    return value.split(":", 2)[1] if isinstance(value, str) and value.startswith(_SEALED) else None


def _read_keys(path: Path) -> dict[str, str]:
    try:
        keys = json.loads(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in keys.items() if isinstance(v, str)} if isinstance(keys, dict) else {}


def _write_keys(path: Path, keys: dict[str, str]) -> None:
    """Replace the key file whole (created 0600, synced, then renamed over the old one)."""
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    handle = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            json.dump(keys, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
