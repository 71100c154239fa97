"""Which store a command or the app reads and writes: the one chosen (`--db`, `LTC_DB`), the
per-user store, or, while that holds no record yet, a demo store built by importing `data/demo/`
so that the app and the CLI show something useful. An import or sync never writes to the demo
store (`write_store`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.settings import DEMO_DIR
from ltc_dashboard.store import Store, StoreError, default_path


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
