"""One measurement in a fresh process, for bench/run.py: prints one JSON line.

    python bench/measure.py summary STORE DEMO_STORE   # service.summary cold and warm, in ms
    python bench/measure.py pages STORE                # AppTest: overview and diabetes pages, s
    python bench/measure.py rss STORE                  # AppTest over every page; peak RSS, MB
    python bench/measure.py change STORE BUNDLE        # store a 10-resource sync (bench/after_sync.py)

A fresh process per measurement keeps "cold" honest: nothing of the record is cached yet. Code
is warmed first (terminology tables, pydantic schemas) on other records, so cold means the
record's own work, not Python loading modules.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATIENT = "scale-patient"
TODAY = dt.date(2026, 11, 25)
PAGES = ["overview", "condition", "results", "medications", "letters", "care_plan", "questions",
         "carer_preview", "access_log"]


def summary(db: str, demo_db: str) -> dict:
    from ltc_dashboard.record import terminology
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.gate.snapshot import VERSION
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store

    terminology.preload()  # the tables, as open_service() reads them when a server starts
    Service(Store(demo_db)).summary(Viewer(kind="patient", patient_id="dm-patient"), TODAY)
    store = Store(db)
    kept = store.has_snapshot(PATIENT, VERSION, store.data_version())  # made by an earlier open
    service = Service(store)
    viewer = Viewer(kind="patient", patient_id=PATIENT)
    started = time.perf_counter()
    service.summary(viewer, TODAY)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(7):
        started = time.perf_counter()
        service.summary(viewer, TODAY)
        warm.append(time.perf_counter() - started)
    return {"cold_ms": cold * 1000, "warm_ms": statistics.median(warm) * 1000, "snapshot_kept": kept,
            **_phases(db, viewer)}


def _phases(db: str, viewer) -> dict:
    """Where a cold summary's time goes, each part once more in this process (code warm, nothing
    of it cached but the store's own snapshot): the gate (reading the snapshot and applying the
    viewer's rules), the mapping into models, and the views on a record mapped afresh."""
    import gc

    from ltc_dashboard.gate.access import open_record
    from ltc_dashboard.gate.snapshot import map_visible
    from ltc_dashboard.store import Store
    from ltc_dashboard.summary.core import build_summary

    store, times = Store(db), {}
    collecting = gc.isenabled()
    gc.disable()  # as ltc_dashboard/service/core.py does while it opens and summarises
    try:
        started = time.perf_counter()
        visible = open_record(store, viewer, TODAY)
        times["gate_ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        record = map_visible(visible, {})
        times["map_ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        build_summary(visible, [], {}, record)
        times["views_ms"] = (time.perf_counter() - started) * 1000
    finally:
        if collecting:
            gc.enable()
    return times


def _app(db: str):
    os.environ["LTC_DB"] = db
    os.environ["LTC_TODAY"] = TODAY.isoformat()
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params["patient"] = PATIENT
    at.query_params["viewer"] = "patient"
    return at


def _check(at) -> None:
    if at.exception:
        raise SystemExit(f"the page raised: {[e.value for e in at.exception][:1]}")


def pages(db: str) -> dict:
    at = _app(db)
    started = time.perf_counter()
    at.run()  # sign-in through the URL, the first summary: opens the record
    first = time.perf_counter() - started
    _check(at)
    started = time.perf_counter()
    at.run()  # the overview again, as Streamlit reruns it on a click
    _check(at)
    at.switch_page("pages/condition.py").run()  # the first condition page: diabetes
    _check(at)
    seconds = time.perf_counter() - started
    heading = [t.value for t in at.main.title]
    return {"pages_s": seconds, "first_run_s": first, "condition_heading": heading[:1]}


def rss(db: str) -> dict:
    at = _app(db)
    at.run()
    _check(at)
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        _check(at)
    peak = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmHWM"))
    return {"peak_rss_mb": peak / 1024}


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    if kind == "change":
        sys.path.insert(0, str(ROOT / "bench"))
        from after_sync import write_changes
    else:
        write_changes = None
    print(json.dumps({"summary": summary, "pages": pages, "rss": rss, "change": write_changes}[kind](*args)))
