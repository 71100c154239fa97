"""Where things are and what day it is: the store path, the demo store, and "today".

`LTC_DB` (or `--db`) picks the store; otherwise the per-user store, and while that holds no record
yet, a demo store built from `data/demo/` so that the app and the CLI show something useful.
`LTC_TODAY=YYYY-MM-DD` freezes "today" (tests and demonstrations); otherwise it is today's date
in the UK.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest import import_paths
from record.dates import uk_today
from store import Store, StoreError, default_path

ROOT = Path(__file__).resolve().parent
DEMO_DIR = ROOT / "data" / "demo"
UK = ZoneInfo("Europe/London")


class SettingsError(ValueError):
    """A setting (environment variable or option) has a value that cannot be used."""


def today() -> dt.date:
    """Today's date in the UK, or the frozen date in LTC_TODAY (the rule is record.dates.uk_today;
    a bad LTC_TODAY is said here as a SettingsError)."""
    try:
        return uk_today()  # the one rule (record/dates.py)
    except ValueError:
        return parse_day(os.environ.get("LTC_TODAY"), "LTC_TODAY")


def login_configured() -> bool:
    """True when a sign-in is configured (LTC_LOGIN set): the local-mode choice of view in the URL
    is then off, and who is viewing comes from the sign-in alone."""
    return bool(os.environ.get("LTC_LOGIN"))


def parse_day(text: str, what: str = "date") -> dt.date:
    """A YYYY-MM-DD date, or a SettingsError that says what was wrong."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise SettingsError(f"{what} must be a date like 2026-03-05, not '{text:.40}'") from None


def demo_files() -> list[Path]:
    """The demo record files shipped in the repository."""
    return sorted(DEMO_DIR.glob("*.json"))


def _demo_fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def demo_store(folder: Path | None = None) -> Store:
    """The demo store, (re)built from data/demo when missing or when the demo files changed."""
    folder = folder or default_path().parent
    path = folder / "demo.db"
    stamp = folder / "demo.db.stamp"
    files = demo_files()
    fingerprint = _demo_fingerprint(files)
    if path.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return Store(path)
    folder.mkdir(parents=True, exist_ok=True)
    building = folder / f"demo.db.building-{os.getpid()}"
    for leftover in folder.glob(f"{building.name}*"):
        leftover.unlink()
    store = Store(building)
    report = import_paths(store, files)
    store.close()
    if report.rejected:
        raise StoreError("The demo data did not import cleanly: " + str(report.rejected[0]))
    os.replace(building, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    stamp.write_text(fingerprint)
    return Store(path)


def open_store(db: str | None = None) -> tuple[Store, bool]:
    """The store to read, and whether it is the demo store.

    `db` (the --db option), then LTC_DB, then the per-user store; when none was chosen and the
    per-user store holds no record yet, the demo store.
    """
    if db:
        return Store(db), False
    if os.environ.get("LTC_DB"):
        return Store(os.environ["LTC_DB"]), False
    path = default_path()
    if path.exists():
        store = Store(path)
        if store.patient_ids():
            return store, False
        store.close()
    return demo_store(path.parent), True


def write_store(db: str | None = None) -> Store:
    """The store an import or sync writes to: never the demo store."""
    return Store(db) if db else Store(default_path())
