"""Shared fixtures: a fresh store, a frozen "today", and no path to the user's real data.

Every test runs with "today" frozen at 2026-11-25 (LTC_TODAY) and the process clock in a time
zone far from the UK (Pacific/Kiritimati, UTC+14), so code that asks the machine for the date or
forgets the UK zone shows up (STYLE.md: freeze "today" in a non-UTC zone).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLES = ROOT.parent / "shared" / "fhir-samples" / "synthea-r4"
TODAY = dt.date(2026, 11, 25)

os.environ["TZ"] = "Pacific/Kiritimati"
time.tzset()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path_factory):
    """Freeze today and point every default path at a private folder."""
    monkeypatch.setenv("LTC_TODAY", TODAY.isoformat())
    monkeypatch.delenv("LTC_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "xdg"))


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A path for a store file that does not exist yet."""
    return tmp_path / "test.db"


@pytest.fixture
def fresh_store(db_path):
    """An empty store."""
    from ltc_dashboard.store import Store

    store = Store(db_path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def sample_files() -> list[Path]:
    """The six Synthea bundles in ../shared/fhir-samples (third-party, US-coded, unchanged)."""
    files = sorted(SAMPLES.glob("*.json"))
    assert len(files) == 6, f"expected six Synthea samples in {SAMPLES}"
    return files
