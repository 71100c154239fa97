"""The store's file, connection and tables; errors; version and ownership rules."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


def _import_sqlite_utils():
    """sqlite_utils, imported without pandas and numpy.

    When they are installed it imports both (about 0.4 s, most of an `ltc` command's start) only
    to convert their values on insert, which the store never asks it to do. They are hidden for
    that one import and nothing else: an import of them later (the app's tables) is unaffected.
    Only a process that has not loaded them yet hides them; app.py loads pandas first, so no other
    thread of the app server can be importing pandas in that moment.
    """
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # makes `import name` raise ImportError
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            sys.modules.pop(name, None)
    return sqlite_utils


sqlite_utils = _import_sqlite_utils()

SCHEMA_VERSION = 1


class StoreError(Exception):
    """The store file cannot be opened or used."""


class NotInStore(StoreError):
    """A row the caller asked for does not exist (or belongs to another patient)."""


class InvalidWrite(StoreError):
    """What the person tried to save is not acceptable (empty, too long, wrong kind)."""


@dataclass
class PutResult:
    """What one `put` did, counted per resource type."""

    added: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    older: Counter = field(default_factory=Counter)
    written: set = field(default_factory=set, repr=False)  # (type, id) added or updated

    def merge(self, other: "PutResult") -> None:
        for name in ("added", "updated", "unchanged", "older"):
            getattr(self, name).update(getattr(other, name))
        self.written |= other.written

    @property
    def stored(self) -> Counter:
        """Resources per type that are now in the store from this input (new, newer or same)."""
        return self.added + self.updated + self.unchanged + self.older


def default_path() -> Path:
    """The per-user store: $LTC_DB, else $XDG_DATA_HOME/ltc/ltc.db (~/.local/share/ltc/ltc.db)."""
    if os.environ.get("LTC_DB"):
        return Path(os.environ["LTC_DB"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ltc" / "ltc.db"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def patient_of(resource: dict) -> str | None:
    """The id of the Patient a resource belongs to, or None for shared resources."""
    rtype = resource.get("resourceType")
    if rtype == "Patient":
        return resource.get("id")
    for key in ("subject", "patient", "beneficiary"):
        found = _patient_ref(resource.get(key))
        if found:
            return found
    if rtype == "Binary":
        return _patient_ref(resource.get("securityContext"))
    if rtype == "Appointment":
        for part in resource.get("participant") or []:
            found = _patient_ref((part or {}).get("actor")) if isinstance(part, dict) else None
            if found:
                return found
    return None


def _patient_ref(ref) -> str | None:
    if isinstance(ref, dict):
        text = ref.get("reference")
        if isinstance(text, str) and "Patient/" in text:
            return text.rsplit("Patient/", 1)[1].split("/")[0] or None
    return None


def version_key(resource: dict) -> tuple[str | None, str | None]:
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    version = meta.get("versionId")
    updated = meta.get("lastUpdated")
    return (str(version) if version is not None else None, updated if isinstance(updated, str) else None)


def is_newer(incoming: tuple, existing: tuple) -> bool | None:
    """Whether an incoming (versionId, lastUpdated) beats the stored one.

    True: replace. False: the incoming one is older, keep what is stored. None: same version.
    versionId decides when both are numbers; else lastUpdated when both have it. When neither side
    carries version information the incoming copy replaces (a re-export of the same record); when
    only the stored copy has it, the stored copy is kept (never replace a versioned entry with an
    unversioned one).
    """
    (in_ver, in_upd), (ex_ver, ex_upd) = incoming, existing
    if in_ver is not None and ex_ver is not None and in_ver.isdigit() and ex_ver.isdigit():
        if int(in_ver) != int(ex_ver):
            return int(in_ver) > int(ex_ver)
        if in_upd and ex_upd and in_upd != ex_upd:
            return in_upd > ex_upd
        return None
    if in_upd and ex_upd:
        return None if in_upd == ex_upd else in_upd > ex_upd
    if (in_ver or in_upd) and not (ex_ver or ex_upd):
        return True
    if (ex_ver or ex_upd) and not (in_ver or in_upd):
        return False
    return True


# What the person writes. No import or sync ever writes here.
PERSONAL_TABLES = {
    "questions": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, text TEXT NOT NULL,"
    " source TEXT NOT NULL, rule_id TEXT, position INTEGER NOT NULL, status TEXT NOT NULL,"
    " author TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL",
    # A kept suggestion's sources: the entries it was built from, a JSON list of `Type/id` keys.
    # A table of its own, so a store made before it gains it without changing `questions`.
    "question_sources": "question_id INTEGER PRIMARY KEY, keys TEXT NOT NULL",
    "comments": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL,"
    " resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, resource_version TEXT,"
    " kind TEXT NOT NULL, text TEXT NOT NULL, status TEXT NOT NULL, author TEXT NOT NULL,"
    " created TEXT NOT NULL, updated TEXT NOT NULL",
    "own_goals": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, text TEXT NOT NULL,"
    " status TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL",
    "goal_progress": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL,"
    " goal_ref TEXT NOT NULL, note TEXT NOT NULL, on_date TEXT NOT NULL, author TEXT NOT NULL,"
    " created TEXT NOT NULL",
    "access_log": "id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, patient_id TEXT NOT NULL,"
    " viewer_kind TEXT NOT NULL, viewer_id TEXT, what TEXT NOT NULL",
    "preferences": "patient_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (patient_id, key)",
    "sync_state": "server TEXT NOT NULL, patient_id TEXT NOT NULL, resource_type TEXT NOT NULL,"
    " last_sync TEXT NOT NULL, PRIMARY KEY (server, patient_id, resource_type)",
}

MAX_TEXT = 4000  # characters in one question, comment or note
DERIVED_COLUMNS = ("patient_id", "version", "data_version", "blob", "entries")


class StoreBase:
    """A SQLite file holding one household's records. One connection per thread; WAL on."""

    BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another session's

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                # Created readable by its owner only: it holds health records.
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._create()
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"Cannot open the store at {self.path}: {exc}") from exc

    # -- connection ---------------------------------------------------------------------------
    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def _create(self) -> None:
        db = self.db
        with db.conn:
            db.execute(
                "CREATE TABLE IF NOT EXISTS resources (type TEXT NOT NULL, id TEXT NOT NULL,"
                " patient_id TEXT, version TEXT, last_updated TEXT, json TEXT NOT NULL,"
                " deleted INTEGER NOT NULL DEFAULT 0, stored_at TEXT, PRIMARY KEY (type, id))"
            )
            db.execute("CREATE INDEX IF NOT EXISTS resources_patient ON resources (patient_id)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS letter_text (type TEXT NOT NULL, id TEXT NOT NULL,"
                " patient_id TEXT, body TEXT, PRIMARY KEY (type, id))"
            )
            for name, columns in PERSONAL_TABLES.items():
                db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # Each record's snapshot for the access gate and the mapping (store/derived.py). It
            # holds only what can be derived again, so a table of another shape is replaced.
            columns = [row[1] for row in db.execute("PRAGMA table_info(derived)").fetchall()]
            if columns and columns != list(DERIVED_COLUMNS):
                db.execute("DROP TABLE derived")
            db.execute(
                "CREATE TABLE IF NOT EXISTS derived (patient_id TEXT PRIMARY KEY, version TEXT NOT NULL,"
                " data_version TEXT NOT NULL, blob BLOB NOT NULL, entries BLOB NOT NULL)"
            )
            db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                [str(SCHEMA_VERSION)],
            )
            # Counts writes to clinical resources: data_version() reads it instead of scanning.
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('resources_version', '0')")
        self._create_letter_index()

    # The full-text index of letter text: what sqlite_utils' enable_fts(["body"],
    # create_triggers=True, tokenize="unicode61") makes, created here statement by statement in one
    # write transaction. enable_fts after a "not there yet" check let two sessions opening a new
    # store at once both create it, and the second failed with 'table "letter_text_fts" already
    # exists'. unicode61 with prefix queries: "retina" finds "retinal", "diab" finds "diabetic"
    # (porter stemming made "retina*" miss "retinal", which is what people type).
    _LETTER_INDEX = (
        """CREATE VIRTUAL TABLE "letter_text_fts" USING FTS5 ("body", tokenize='unicode61', content="letter_text")""",
        'INSERT INTO "letter_text_fts" (rowid, "body") SELECT rowid, "body" FROM "letter_text"',
        """CREATE TRIGGER "letter_text_ai" AFTER INSERT ON "letter_text" BEGIN
  INSERT INTO "letter_text_fts" (rowid, "body") VALUES (new.rowid, new."body");
END""",
        """CREATE TRIGGER "letter_text_ad" AFTER DELETE ON "letter_text" BEGIN
  INSERT INTO "letter_text_fts" ("letter_text_fts", rowid, "body") VALUES('delete', old.rowid, old."body");
END""",
        """CREATE TRIGGER "letter_text_au" AFTER UPDATE ON "letter_text" BEGIN
  INSERT INTO "letter_text_fts" ("letter_text_fts", rowid, "body") VALUES('delete', old.rowid, old."body");
  INSERT INTO "letter_text_fts" (rowid, "body") VALUES (new.rowid, new."body");
END""",
    )

    def _create_letter_index(self) -> None:
        conn = self.db.conn
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'letter_text_fts'").fetchone():
            return
        conn.execute("BEGIN IMMEDIATE")  # checked again under the write lock, then made whole
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'letter_text_fts'").fetchone():
                for statement in self._LETTER_INDEX:
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

