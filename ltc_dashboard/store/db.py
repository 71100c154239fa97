"""The store's file, connection and tables; errors; version and ownership rules."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import threading
import time
import uuid
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
    # copies that could not be ordered against the stored one: every label of both was kept
    unordered: Counter = field(default_factory=Counter)
    written: set = field(default_factory=set, repr=False)  # (type, id) added or updated
    # A newer copy that has fewer labels than the stored one replaced it: (type, id), the stored
    # copy before, the copy stored now. The importer says so (a label may have hidden the entry).
    labels_removed: list = field(default_factory=list, repr=False)
    # put(keep_labels=True): a newer copy without the stored copy's labels was given them
    labels_kept: list = field(default_factory=list, repr=False)  # (type, id)

    def merge(self, other: "PutResult") -> None:
        for name in ("added", "updated", "unchanged", "older", "unordered"):
            getattr(self, name).update(getattr(other, name))
        self.written |= other.written
        self.labels_removed += other.labels_removed
        self.labels_kept += other.labels_kept

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


# What the person writes. No import or sync ever writes here.
PERSONAL_TABLES = {
    "questions": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, text TEXT NOT NULL,"
    " source TEXT NOT NULL, rule_id TEXT, position INTEGER NOT NULL, status TEXT NOT NULL,"
    " author TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL",
    # A kept suggestion's sources: the entries it was built from, a JSON list of `Type/id` keys.
    # A table of its own, so a store made before it gains it without changing `questions`.
    "question_sources": "question_id INTEGER PRIMARY KEY, keys TEXT NOT NULL",
    # The appointment a question is for (issue 21): `Appointment` id. Its own table, as above.
    "question_appointments": "question_id INTEGER PRIMARY KEY, appointment_id TEXT NOT NULL",
    "comments": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL,"
    " resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, resource_version TEXT,"
    " kind TEXT NOT NULL, text TEXT NOT NULL, status TEXT NOT NULL, author TEXT NOT NULL,"
    " created TEXT NOT NULL, updated TEXT NOT NULL",
    "own_goals": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, text TEXT NOT NULL,"
    " status TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL",
    "goal_progress": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL,"
    " goal_ref TEXT NOT NULL, note TEXT NOT NULL, on_date TEXT NOT NULL, author TEXT NOT NULL,"
    " created TEXT NOT NULL",
    # Home readings (issue 20, ltc_dashboard/store/readings.py): the person's own measurements, in the UK unit.
    "home_readings": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " systolic INTEGER, diastolic INTEGER, pulse INTEGER, value REAL, unit TEXT NOT NULL,"
    " taken_at TEXT NOT NULL, context TEXT, author TEXT NOT NULL, created TEXT NOT NULL,"
    " updated TEXT NOT NULL, uid TEXT",  # uid: the reading's lasting identity (a UUID; attack 20)
    # Requests to the practice for more of the record (issue 21, ltc_dashboard/store/requests.py).
    "record_requests": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " made TEXT NOT NULL, due TEXT, carer_name TEXT, relationship TEXT, access TEXT, details TEXT,"
    " author TEXT NOT NULL, created TEXT NOT NULL",
    # Repeat prescription orders (issue 21, ltc_dashboard/store/repeat_orders.py): what the person ordered and how.
    "repeat_orders": "id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, medication_id TEXT NOT NULL,"
    " medication TEXT NOT NULL, entry_ids TEXT NOT NULL, last_issued TEXT, ordered_at TEXT NOT NULL,"
    " how TEXT NOT NULL, server TEXT, server_id TEXT, identifier TEXT NOT NULL, status TEXT NOT NULL,"
    " note TEXT, author TEXT NOT NULL, updated TEXT NOT NULL",
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
            self._into_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def _into_wal(self, conn: sqlite3.Connection) -> None:
        """WAL mode, waiting as a write would: switching a new file's mode needs it to itself, and
        SQLite does not call the busy handler for that, so processes creating one store at the
        same moment saw "database is locked" at once (tests/test_durability.py)."""
        deadline = time.monotonic() + self.BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

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
            # Every distinct copy of a resource that has had more than one (ltc_dashboard/store/versions.py):
            # which copy wins is decided from all of them, so the order they came in cannot matter.
            db.execute(
                "CREATE TABLE IF NOT EXISTS resource_copies (type TEXT NOT NULL, id TEXT NOT NULL,"
                " digest TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (type, id, digest))"
            )
            for name, columns in PERSONAL_TABLES.items():
                db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
            self._add_reading_uid(db.conn)
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # Each record's snapshot for the access gate and the mapping (ltc_dashboard/store/snapshots.py). It
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
            # Which resources each write changed (ltc_dashboard/store/resources.py `_note_changes`), so the next
            # open updates a record's kept snapshot with just those (ltc_dashboard/gate/snapshot/changes.py).
            # `changes_from`: the counter from which the log is complete (a store made before it
            # had none: snapshots kept before then are derived again whole).
            db.execute(
                "CREATE TABLE IF NOT EXISTS snapshot_changes (counter INTEGER NOT NULL, patient_id TEXT,"
                " type TEXT NOT NULL, id TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS snapshot_changes_patient ON snapshot_changes (patient_id, counter)")
            db.execute("INSERT OR IGNORE INTO meta (key, value) SELECT 'changes_from', CAST(value AS INTEGER)"
                       " FROM meta WHERE key = 'resources_version'")
        self._create_letter_index()

    @staticmethod
    def _add_reading_uid(conn) -> None:
        """A store made before readings had a lasting identity gains the column, and each reading
        in it a UUID (readings are never renumbered: only the empty ones are filled)."""
        if "uid" not in {row[1] for row in conn.execute("PRAGMA table_info(home_readings)").fetchall()}:
            try:
                conn.execute("ALTER TABLE home_readings ADD COLUMN uid TEXT")
            except sqlite3.OperationalError as exc:  # another session added it first
                if "duplicate column" not in str(exc):
                    raise
        if conn.execute("SELECT 1 FROM home_readings WHERE uid IS NULL LIMIT 1").fetchone():
            for (rid,) in conn.execute("SELECT id FROM home_readings WHERE uid IS NULL").fetchall():
                conn.execute("UPDATE home_readings SET uid = ? WHERE id = ? AND uid IS NULL", [str(uuid.uuid4()), rid])

    # The full-text index of letter text: what sqlite_utils' enable_fts(["body"],
    # create_triggers=True, tokenize="unicode61") makes, created here statement by statement in one
    # write transaction. enable_fts after a "not there yet" check let two sessions opening a new
    # store at once both create it, and the second failed with 'table "letter_text_fts" already
    # exists'. unicode61 with prefix queries: "retina" finds "retinal", "diab" finds "diabetic"
    # (porter stemming made "retina*" miss "retinal", which is what people type).
    #
    # One row per letter and part: part '' holds what the letter shows whoever looks (its title, and
    # its text when that is inline), part 'Binary/ID' its title with the text of the Binary it
    # shows. Each row keeps the digests of the stored texts it was made from (ltc_dashboard/gate/snapshot/facts.py
    # `digest`): the gate uses a row only while the letter and that Binary are visible to the
    # viewer with those very texts (ltc_dashboard/gate/access.py `search_letters`). The rows are made with the
    # record's snapshot (ltc_dashboard/store/snapshots.py `keep_snapshot`), and a new version of a letter or a Binary
    # deletes the rows made from the old one in the transaction that writes it (letter_text_stale).
    _LETTER_INDEX = (
        "CREATE TABLE letter_text (type TEXT NOT NULL, id TEXT NOT NULL, part TEXT NOT NULL DEFAULT '',"
        " patient_id TEXT, letter_digest BLOB, part_digest BLOB, body TEXT, PRIMARY KEY (type, id, part))",
        "CREATE INDEX letter_text_part ON letter_text (part)",
        "CREATE INDEX letter_text_patient ON letter_text (patient_id)",
        """CREATE VIRTUAL TABLE "letter_text_fts" USING FTS5 ("body", tokenize='unicode61', content="letter_text")""",
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
        """CREATE TRIGGER "letter_text_stale" AFTER UPDATE OF json, deleted ON resources
WHEN new.type IN ('DocumentReference', 'Binary') BEGIN
  DELETE FROM letter_text WHERE type = new.type AND id = new.id;
  DELETE FROM letter_text WHERE part = new.type || '/' || new.id;
END""",
    )
    # An index of an earlier layout (one row per letter, no digests) is replaced, and the kept
    # snapshots with it: the first open of each record after that makes its rows again.
    _OLD_LETTER_INDEX = (
        'DROP TRIGGER IF EXISTS "letter_text_stale"', 'DROP TRIGGER IF EXISTS "letter_text_ai"',
        'DROP TRIGGER IF EXISTS "letter_text_ad"', 'DROP TRIGGER IF EXISTS "letter_text_au"',
        'DROP TABLE IF EXISTS "letter_text_fts"', 'DROP TABLE IF EXISTS "letter_text"', "DELETE FROM derived",
    )
    LETTER_TEXT_COLUMNS = ("type", "id", "part", "patient_id", "letter_digest", "part_digest", "body")

    def _letter_index_current(self, conn) -> bool:
        columns = tuple(row[1] for row in conn.execute("PRAGMA table_info(letter_text)").fetchall())
        return columns == self.LETTER_TEXT_COLUMNS and conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('letter_text_fts', 'letter_text_stale')"
        ).fetchone()[0] == 2

    def _create_letter_index(self) -> None:
        conn = self.db.conn
        if self._letter_index_current(conn):
            return
        conn.execute("BEGIN IMMEDIATE")  # checked again under the write lock, then made whole
        try:
            if not self._letter_index_current(conn):
                for statement in (*self._OLD_LETTER_INDEX, *self._LETTER_INDEX):
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

