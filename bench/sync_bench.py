"""The sync figures for bench/run.py, against the sekmet FHIR server the sync tests use.

- `sync_ratio`: `sync.sync_patient(..., full=True)` of the 25k record into a fresh store ÷ the same
  HTTP requests made plainly: every URL that sync asked for (search pages with their `_count` and
  next links, the Goals by id, each letter's Binary) fetched again with a requests session and
  each body read with `json.loads`. Server time is in both.
- `naive_fhirclient_ratio`: our sync ÷ what most people would write with fhirclient: a search per
  type through `FHIRSearch.perform_iter` (next links followed), a fhirclient model built for every
  resource, and `Binary.read` for each letter's content. Nothing is stored.
- `resync_ratio`: a sync straight after a full one, nothing changed on the server (incremental:
  `_lastUpdated=gt` searches and `_history` for deletions) ÷ the full sync.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

import requests

from connectors.base import Rejected
from connectors.files import FileConnector
from ltc_dashboard.intake import sync
from ltc_dashboard.store import Store
from tests.servers import sekmet as sk

import naive_fhirclient  # bench/, beside this file

PATIENT = "scale-patient"
_LOAD_CHUNK = 500


def sync_figures(path: Path, work: Path, runs: int, say) -> dict:
    if not sk.SEKMET.exists():
        return {"sync_ratio": None, "naive_fhirclient_ratio": None, "resync_ratio": None,
                "sync_note": f"sekmet is not installed at {sk.SEKMET}: run scripts/setup-test-tools.sh"}
    server = _start(work / "sekmet")
    try:
        started = time.perf_counter()
        resources = [item for item in FileConnector([path]).read() if not isinstance(item, Rejected)]
        for start in range(0, len(resources), _LOAD_CHUNK):
            server.transaction(resources[start : start + _LOAD_CHUNK])
        say(f"sekmet: loaded {len(resources)} resources in {time.perf_counter() - started:.0f} s")
        _, urls, store = _full_sync(server, work / "sync-warm-up.db")  # warms the server's caches
        store.close()
        _plain(urls, server.token)
        full, plain, naive, again = [], [], [], []
        for run in range(runs):
            seconds, _, store = _full_sync(server, work / f"sync-{run}.db")
            full.append(seconds)
            started = time.perf_counter()
            sync.sync_patient(store, server.base, PATIENT, server.token)
            again.append(time.perf_counter() - started)
            store.close()
            plain.append(_plain(urls, server.token))
            naive.append(naive_fhirclient.fetch(server.base, server.token, PATIENT, resources))
            say(f"sync run {run + 1}: full {full[-1]:.2f} s, plain HTTP {plain[-1]:.2f} s, "
                f"naive fhirclient {naive[-1]:.2f} s, resync {again[-1]:.3f} s ({len(urls)} requests)")
    finally:
        sk._stop(server.process)
    full_s = statistics.median(full)
    return {"sync_s": round(full_s, 3), "sync_plain_http_s": round(statistics.median(plain), 3),
            "sync_naive_fhirclient_s": round(statistics.median(naive), 3),
            "resync_s": round(statistics.median(again), 4), "sync_requests": len(urls),
            "sync_ratio": round(full_s / statistics.median(plain), 3),
            "naive_fhirclient_ratio": round(full_s / statistics.median(naive), 3),
            "resync_ratio": round(statistics.median(again) / full_s, 4)}


def _start(folder: Path) -> sk.Sekmet:
    """sekmet on a free loopback port with an empty database (tests/servers/sekmet.py's settings)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = sk.free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    config = {"host": "127.0.0.1", "port": port, "base_url": base, "data_dir": str(folder / "data"),
              "simulator": {"enabled": False}, "validation": {"inbound": "off"}, "log_inbound": False,
              "server_auth": {"types": ["bearer"], "tokens": [sk.TOKEN]}}
    settings = folder / "settings.yaml"
    settings.write_text(json.dumps(config))
    log = open(folder / "sekmet.log", "wb")
    process = subprocess.Popen([str(sk.SEKMET), "serve", "--config", str(settings)], cwd=folder,
                               stdout=log, stderr=subprocess.STDOUT)
    sk.wait_until_up(f"{base}/metadata", process)
    return sk.Sekmet(base, sk.TOKEN, process)


def _full_sync(server: sk.Sekmet, db: Path) -> tuple[float, list[str], Store]:
    urls: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(response.url))
    store = Store(db)
    started = time.perf_counter()
    report = sync.sync_patient(store, server.base, PATIENT, server.token, full=True, session=session)
    seconds = time.perf_counter() - started
    if report.rejected:
        raise SystemExit(f"the sync rejected {len(report.rejected)} items, e.g. {report.rejected[0]}")
    return seconds, urls, store


def _plain(urls: list[str], token: str) -> float:
    """The same requests with a plain requests session, each body read with json.loads."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json",
               "Prefer": "handling=strict"}
    session = requests.Session()
    started = time.perf_counter()
    for url in urls:
        response = session.get(url, headers=headers, timeout=60)
        if response.ok:  # sekmet answers Goal?patient= with 400, for sync too (it then reads by id)
            json.loads(response.content)
    return time.perf_counter() - started
