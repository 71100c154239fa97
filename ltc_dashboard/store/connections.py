"""Kept SMART connections (issue 17): what a later sync needs to go on without a new sign-in.

Two places, on purpose:
- the table `smart_connections` in the SQLite store holds only what is not secret: the server, the
  patient (and RelatedPerson), who kept it (`holder`: '' for the person, 'RelatedPerson/ID' for a
  carer; one connection per server, record and holder, so a carer's sign-in never replaces the
  person's or another carer's), the client id, the sign-in server's endpoints, the scope granted,
  when the access token expires, its lifetime, when it was saved;
- the tokens (the access token and the refresh token) are never written to SQLite. They live in
  `<store>-tokens` beside it: JSON keyed by server and then patient id (the person's own) or the
  JSON list ["ID", "RelatedPerson/X"] (a carer's, and a person's whose id could be read as a
  key: the older "ID as RelatedPerson/X" moves on open), created readable by its
  owner only (os.open with 0600: there is no moment when it, or the temporary file it is written
  through, is readable by anyone else), and replaced whole on every change (a temporary file in the
  same folder, synced, renamed over the old one, then the folder synced). Every rewrite happens
  inside the store's write transaction, so two sessions (the page and `ltc sync`) never interleave.

Why no tokens in SQLite: SQLite keeps old versions of a page in the write-ahead log, and must keep
them while another session is reading, so a token deleted from a table can stay readable in
`ltc.db-wal` for as long as that reader lasts. A file replaced whole has no such history. No
cryptography is used (none is needed: the protection is the owner-only file; health software
ships no home-made cipher).

"Forget this connection" deletes the row and rewrites the tokens file without that entry; it
returns True only once the file no longer holds it, and raises `StoreError` when the file could not
be rewritten. `connections()` lists without tokens; nothing here logs one; no export reads either
place (exports are built from the gated record and the personal tables).

Older stores kept tokens in the table (plain, then "sealed1:" with keys in `<store>-keys`). On open,
plain tokens are moved to the tokens file; sealed ones are dropped with their row, since opening
them would need the old cipher: that person signs in again (a warning says how many), and the old
`<store>-keys` file is removed. A table from before holders is rebuilt keyed by holder, and a
carer's tokens move to their own key. See `_migrate`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from pathlib import Path

from ltc_dashboard.store.db import StoreError

log = logging.getLogger(__name__)

# One connection per server, record and holder: the person's own (holder '') and each carer's
# (holder 'RelatedPerson/ID'), so a carer's sign-in never replaces the person's connection.
_TABLE = (
    "CREATE TABLE IF NOT EXISTS smart_connections (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
    " related_person TEXT, client_id TEXT NOT NULL, authorization_endpoint TEXT NOT NULL,"
    " token_endpoint TEXT NOT NULL, scope TEXT NOT NULL, expires_at REAL, lifetime REAL,"
    " saved TEXT NOT NULL, holder TEXT NOT NULL DEFAULT '', PRIMARY KEY (server, patient_id, holder))"
)
_COLUMNS = ("server", "patient_id", "related_person", "client_id", "authorization_endpoint", "token_endpoint",
            "scope", "expires_at", "lifetime", "saved", "holder")
_SECRETS = ("access_token", "refresh_token")
_SEALED = "sealed1:"  # tokens sealed by the retired cipher (before this file): dropped on open


class ConnectionsMixin:
    """Store methods for kept SMART connections."""

    def _create(self) -> None:
        super()._create()
        with self.db.conn:
            self.db.execute(_TABLE)
        self._migrate()

    @property
    def _tokens_path(self) -> Path:
        return Path(f"{self.path}-tokens")

    def save_connection(self, row: dict) -> None:
        """Keep (or replace) the connection for row["server"], row["patient_id"] and its holder (the
        person, or the carer row["related_person"]): its non-secret fields in the table, its tokens
        in the tokens file (both or, on a failure, the row not)."""
        values = {**{c: row.get(c) for c in _COLUMNS}, "saved": row.get("saved") or _now(),
                  "holder": holder_of(row.get("related_person"))}
        secret = {c: (None if row.get(c) is None else str(row[c])) for c in _SECRETS}
        with self._transaction() as conn:  # the write lock serialises every edit of the tokens file
            conn.execute(f"INSERT OR REPLACE INTO smart_connections ({', '.join(_COLUMNS)}) VALUES "
                         f"({', '.join('?' for _ in _COLUMNS)})", [values[c] for c in _COLUMNS])
            tokens = _read_tokens(self._tokens_path)
            tokens.setdefault(values["server"], {})[_key(values["patient_id"], values["holder"])] = secret
            _write_tokens(self._tokens_path, _only_kept(conn, tokens))

    def connection(self, server: str, patient_id: str, holder: str = "") -> dict | None:
        """The connection this holder kept (the person: '', a carer: 'RelatedPerson/ID') with its
        tokens, or None (also when its tokens are gone: forgotten)."""
        row = self.db.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM smart_connections"
                                   " WHERE server = ? AND patient_id = ? AND holder = ?",
                                   [server, patient_id, holder]).fetchone()
        if not row:
            return None
        secret = _read_tokens(self._tokens_path).get(server, {}).get(_key(patient_id, holder))
        if not isinstance(secret, dict) or not isinstance(secret.get("access_token"), str):
            return None
        return {**dict(zip(_COLUMNS, row)), **{c: secret.get(c) for c in _SECRETS}}

    def connections(self, patient_id: str | None = None) -> list[dict]:
        """Kept connections (of one patient, if given), without their tokens: whether one can be
        renewed is `renewable`."""
        rows = self.db.conn.execute(
            "SELECT server, patient_id, related_person, saved, holder FROM smart_connections WHERE ? IS NULL"
            " OR patient_id = ? ORDER BY server, patient_id, holder", [patient_id, patient_id]).fetchall()
        tokens = _read_tokens(self._tokens_path) if rows else {}

        def renewable(server: str, patient: str, holder: str) -> bool:
            secret = tokens.get(server, {}).get(_key(patient, holder))
            return isinstance(secret, dict) and bool(secret.get("refresh_token"))

        return [{"server": r[0], "patient_id": r[1], "related_person": r[2], "saved": r[3], "holder": r[4],
                 "renewable": renewable(r[0], r[1], r[4])} for r in rows]

    def forget_connection(self, server: str, patient_id: str, holder: str = "") -> bool:
        """Delete the connection this holder kept, and its tokens; whether there was one. True only
        once the tokens file no longer holds them; `StoreError` when it could not be rewritten."""
        key = _key(patient_id, holder)
        with self._transaction() as conn:
            gone = conn.execute("DELETE FROM smart_connections WHERE server = ? AND patient_id = ? AND holder = ?",
                                [server, patient_id, holder]).rowcount > 0
            tokens = _read_tokens(self._tokens_path)
            held = key in tokens.get(server, {})
            if held:
                del tokens[server][key]
                _write_tokens(self._tokens_path, _only_kept(conn, tokens))
        if key in _read_tokens(self._tokens_path).get(server, {}):
            raise StoreError("the forgotten connection's tokens are still in the tokens file")
        return gone or held

    def _migrate(self) -> None:
        """Move tokens an older store kept in the table to the tokens file (plain ones), or drop
        the connection (sealed ones: the person signs in again); remove the old key file."""
        keys = Path(f"{self.path}-keys")
        columns = {r[1] for r in self.db.conn.execute("PRAGMA table_info(smart_connections)")}
        if "access_token" not in columns:
            if "holder" not in columns:
                self._migrate_holders()
            self._migrate_keys()
            keys.unlink(missing_ok=True)
            return
        conn = self.db.conn
        conn.execute("PRAGMA secure_delete = ON")  # the old rows' bytes are zeroed, not just unlinked
        try:
            with self._transaction():
                old = [dict(zip([d[0] for d in cursor.description], r)) for cursor in
                       [conn.execute(f"SELECT {', '.join(_COLUMNS[:-1] + _SECRETS)} FROM smart_connections")]
                       for r in cursor]
                kept = [{**r, "holder": holder_of(r["related_person"])} for r in old
                        if not any(str(r[c] or "").startswith(_SEALED) for c in _SECRETS) and r["access_token"]]
                tokens = _read_tokens(self._tokens_path)
                for r in kept:
                    tokens.setdefault(r["server"], {})[_key(r["patient_id"], r["holder"])] = {c: r[c] for c in _SECRETS}
                conn.execute("DELETE FROM smart_connections")
                conn.execute("DROP TABLE smart_connections")
                conn.execute(_TABLE)
                conn.executemany(f"INSERT INTO smart_connections ({', '.join(_COLUMNS)}) VALUES "
                                 f"({', '.join('?' for _ in _COLUMNS)})",
                                 [[r[c] if c == "holder" else r[c] or (_now() if c == "saved" else None)
                                   for c in _COLUMNS] for r in kept])
                _write_tokens(self._tokens_path, _only_kept(conn, tokens))
        finally:
            conn.execute("PRAGMA secure_delete = OFF")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages leave the write-ahead log too
        keys.unlink(missing_ok=True)
        if len(old) > len(kept):
            log.warning("%d kept SMART connection(s) from an older version could not be carried over: "
                        "sign in again on the Connect page to sync that record", len(old) - len(kept))

    def _migrate_holders(self) -> None:
        """A table from before holders (one connection per server and record): rebuilt keyed by
        holder too, each row's holder read from its RelatedPerson, and a carer's tokens moved to
        their own key in the tokens file, in one transaction."""
        conn = self.db.conn
        with self._transaction():
            if "holder" in {r[1] for r in conn.execute("PRAGMA table_info(smart_connections)")}:
                return  # another session migrated it while this one waited for the write lock
            columns = _COLUMNS[:-1]
            old = [dict(zip(columns, r)) for r in conn.execute(f"SELECT {', '.join(columns)} FROM smart_connections")]
            conn.execute("DROP TABLE smart_connections")
            conn.execute(_TABLE)
            rows = [{**r, "holder": holder_of(r["related_person"])} for r in old]
            conn.executemany(f"INSERT INTO smart_connections ({', '.join(_COLUMNS)}) VALUES "
                             f"({', '.join('?' for _ in _COLUMNS)})", [[r[c] for c in _COLUMNS] for r in rows])
            tokens = _read_tokens(self._tokens_path)
            moved = False
            for r in rows:
                patients = tokens.get(r["server"], {})
                if r["holder"] and isinstance(patients, dict) and r["patient_id"] in patients:
                    patients[_key(r["patient_id"], r["holder"])] = patients.pop(r["patient_id"])
                    moved = True
            if moved:
                _write_tokens(self._tokens_path, _only_kept(conn, tokens))


    def _migrate_keys(self) -> None:
        """Tokens kept under the old carer key ("ID as RelatedPerson/X") move to structured keys."""
        conn = self.db.conn
        query = ("SELECT server, patient_id, holder FROM smart_connections WHERE holder != ''"
                 " OR patient_id LIKE '% as %' OR patient_id LIKE '[%'")
        if not conn.execute(query).fetchone():
            return
        with self._transaction():
            tokens = _read_tokens(self._tokens_path)
            if _moved_keys(conn.execute(query).fetchall(), tokens):
                _write_tokens(self._tokens_path, _only_kept(conn, tokens))

def _moved_keys(rows: list[tuple[str, str, str]], tokens: dict) -> bool:
    """Move each connection's tokens from its old key ("ID as RelatedPerson/X") to its structured
    one; an old key two connections could both have (a person whose patient id reads as a carer's
    key) is dropped: neither may be given the other's tokens (both sign in again). Whether any moved."""
    claims: dict[tuple[str, str], int] = {}
    for server, patient, holder in rows:
        claims[(server, _old_key(patient, holder))] = claims.get((server, _old_key(patient, holder)), 0) + 1
    changed = False
    for server, patient, holder in rows:
        old, new = _old_key(patient, holder), _key(patient, holder)
        patients = tokens.get(server)
        if old == new or not isinstance(patients, dict) or old not in patients:
            continue
        secret = patients.pop(old)
        if claims[(server, old)] == 1 and new not in patients:
            patients[new] = secret
        changed = True
    return changed


def holder_of(related_person: str | None) -> str:
    """Who keeps a connection: '' for the person's own sign-in, else 'Type/id' of the RelatedPerson
    (its last two path segments, so an absolute reference keys the same; a version in it,
    `RelatedPerson/X/_history/2`, is left out: it names the same person)."""
    if not related_person:
        return ""
    return "/".join(str(related_person).split("/_history/")[0].rstrip("/").split("/")[-2:])


def _key(patient_id: str, holder: str) -> str:
    """The tokens file's key under a server: the patient id for the person's own connection (as
    before holders), a JSON list [patient id, holder] for a carer's. A patient id is server data: one
    shaped like a carer's key ('ID as RelatedPerson/X', or a JSON list) must never name it, so a
    person's key that could be read as a carer's is a JSON list too."""
    if holder or patient_id.startswith("[") or " as " in patient_id:
        return json.dumps([patient_id, holder])
    return patient_id


def _old_key(patient_id: str, holder: str) -> str:
    """The key before structured keys: "ID as RelatedPerson/X" for a carer (migrated on open)."""
    return f"{patient_id} as {holder}" if holder else patient_id


def _only_kept(conn, tokens: dict) -> dict:
    """`tokens` without the entries no row of the table has (a forgotten or never-committed one)."""
    rows = {(server, _key(patient, holder)) for server, patient, holder in
            conn.execute("SELECT server, patient_id, holder FROM smart_connections").fetchall()}
    kept: dict = {}
    for server, patients in tokens.items():
        for patient, secret in (patients.items() if isinstance(patients, dict) else ()):
            if (server, patient) in rows:
                kept.setdefault(server, {})[patient] = secret
    return kept


def _read_tokens(path: Path) -> dict:
    """The tokens file's content; {} when there is none or it is not JSON (its tokens are then
    unusable anyway: the person signs in again). `StoreError` when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"could not read the kept connections' tokens file: {exc.strerror}") from None
    try:
        tokens = json.loads(text)
    except ValueError:
        return {}
    return tokens if isinstance(tokens, dict) else {}


def _write_tokens(path: Path, tokens: dict) -> None:
    """Replace the tokens file whole: a temporary file created 0600 in the same folder, written and
    synced, renamed over the old one, then the folder synced; a temporary file a crash left behind
    is removed. On any failure the old file is left
    as it was and the temporary one removed; `StoreError`."""
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        handle = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(tokens, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)
        for stale in path.parent.glob(f"{path.name}.*.tmp"):  # left by a crash: writes are serialised
            stale.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(f"could not rewrite the kept connections' tokens file: {exc.strerror or exc}") from None


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (a no-op where a folder cannot be opened, as on Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
