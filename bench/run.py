"""The performance benchmark behind README's figures: `make bench` (about 10-18 minutes on 2 cores).

It writes the scale records (bench/scale.py) into a temporary folder, measures, and prints as its
last line one JSON object with every figure, the targets and the machine. bench/README.md says
what each figure is and how it is taken. Nothing here runs in `make test`.

    .venv/bin/python bench/run.py [--runs 3] [--keep DIR]

Parts that need something this machine lacks (the sekmet server, browser tooling) are measured
another way or left out, and the JSON says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import scale  # noqa: E402  (bench/scale.py)
from after_sync import after_sync  # noqa: E402  (bench/after_sync.py)

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
LTC = str(ROOT / ".venv" / "bin" / "ltc")
TODAY = "2026-11-25"  # the scale records' reference day (data/demo/gen/fhir.py TODAY)
PATIENT = scale.PATIENT_ID
TARGETS = {"import_ratio": 4.0, "sync_ratio": 1.5, "resync_ratio": 0.05, "summary_ms_25k": 150.0,
           "summary_growth": 1.0, "page_ratio": 1.5, "peak_rss_mb": 500.0,
           "browser_page_ms": 1000.0, "browser_floor_ratio": 3.0, "browser_size_ratio": 1.5,
           "after_sync_to_first": 0.1, "after_sync_to_kept": 2.0}


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def timed(command: list[str], env: dict | None = None) -> float:
    """Wall-clock seconds of one whole process (its output discarded)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def child(kind: str, *args: str) -> dict:
    """Run one measurement in a fresh Python process (bench/measure.py) and read its JSON line."""
    env = {**os.environ, "LTC_TODAY": TODAY, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([PY, str(HERE / "measure.py"), kind, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"bench/measure.py {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the parts ----------------------------------------------------------------------------------
def records(work: Path) -> dict[int, Path]:
    files = {}
    for size in scale.SIZES:
        path = work / f"scale-{size}.json"
        started = time.perf_counter()
        path.write_bytes(scale.text(size).encode("utf-8"))
        say(f"wrote {path.name}: {path.stat().st_size / 2**20:.1f} MB in {time.perf_counter() - started:.1f} s")
        files[size] = path
    return files


def import_ratio(files: dict[int, Path], work: Path, runs: int) -> dict:
    """`ltc import` of the 25k Bundle ÷ `json.load` of it, both whole processes, medians."""
    path = files[25_000]
    loads, imports = [], []
    for run in range(runs):
        loads.append(timed([PY, "-c", f"import json; json.load(open({str(path)!r}))"]))
        db = work / f"import-{run}.db"
        imports.append(timed([LTC, "import", str(path), "--db", str(db)]))
        if run:
            for leftover in work.glob(f"{db.name}*"):
                leftover.unlink()
    result = {"import_s": statistics.median(imports), "json_load_s": statistics.median(loads)}
    result["import_ratio"] = result["import_s"] / result["json_load_s"]
    say(f"import: {result}")
    return result


def stores(files: dict[int, Path], work: Path) -> dict[int, Path]:
    """One store per size (the 25k one from the import runs)."""
    found = {25_000: work / "import-0.db"}
    for size in (2_500, 100_000):
        db = work / f"store-{size}.db"
        seconds = timed([LTC, "import", str(files[size]), "--db", str(db)])
        say(f"imported {size}: {seconds:.1f} s")
        found[size] = db
    return found


def summaries(dbs: dict[int, Path], work: Path, runs: int) -> dict:
    """service.summary, first call in a fresh process with code warmed on the demo records:
    `summary_first_ms` on copies of each store as imported (that open derives the record's
    snapshot and keeps it), then `summary_ms` on the store whose snapshot an earlier open kept
    (every later open: a server started again, a CLI command). And the warm rerun."""
    from ltc_dashboard.intake.stores import demo_store  # noqa: PLC0415

    demo_store(work / "demo").close()
    demo = str(work / "demo" / "demo.db")
    first, cold, warm, phases = {}, {}, {}, {}
    for size, db in sorted(dbs.items()):
        count = runs if size < 100_000 else max(1, runs - 1)
        opened = []
        for run in range(count):
            copy = work / f"first-{size}-{run}.db"
            shutil.copy(db, copy)
            opened.append(child("summary", str(copy), demo))
            copy.unlink()
        if any(r["snapshot_kept"] for r in opened):
            raise RuntimeError("a store as imported already held a snapshot")
        first[size] = statistics.median(r["cold_ms"] for r in opened)
        child("summary", str(db), demo)  # keeps the snapshot, as the first open after an import does
        results = [child("summary", str(db), demo) for _ in range(count)]
        if not all(r["snapshot_kept"] for r in results):
            raise RuntimeError("the snapshot was not kept by the first open")
        cold[size] = statistics.median(r["cold_ms"] for r in results)
        warm[size] = statistics.median(r["warm_ms"] for r in results)
        phases[size] = {part: round(statistics.median(r[part] for r in results), 1)
                        for part in ("gate_ms", "map_ms", "views_ms")}
        say(f"summary {size}: first open {first[size]:.0f} ms, cold {cold[size]:.0f} ms, "
            f"warm {warm[size]:.1f} ms; {phases[size]}")
    bundle = work / "scale-25000.json"
    figures = _first_after_sync(first, cold, after_sync(dbs[25_000], bundle, demo, work, runs, child, say))
    if 100_000 not in cold:  # --only after-sync
        return {"summary_ms": {"25000": round(cold[25_000], 1)},
                "summary_first_ms": {"25000": round(first[25_000], 1)}, **figures}
    slope = math.log(cold[100_000] / cold[25_000]) / math.log(100_000 / 25_000)
    warm_slope = math.log(max(warm[100_000], 0.01) / max(warm[25_000], 0.01)) / math.log(4)
    return {**figures,"summary_ms": {str(k): round(v, 1) for k, v in cold.items()},
            "summary_first_ms": {str(k): round(v, 1) for k, v in first.items()},
            "summary_warm_ms": {str(k): round(v, 2) for k, v in warm.items()},
            "summary_growth": round(slope, 3), "summary_warm_growth": round(warm_slope, 3),
            "summary_phases_ms": {str(k): v for k, v in phases.items()}}


def _first_after_sync(first: dict, cold: dict, found: dict) -> dict:
    """The first open after a 10-resource sync beside the first open after the import and the
    open with the snapshot kept, at 25k (bench/after_sync.py)."""
    after = found["summary_after_sync_ms"]
    return {**found, "after_sync_to_first": round(after / first[25_000], 3),
            "after_sync_to_kept": round(after / cold[25_000], 3)}


def only_after_sync(work: Path, runs: int) -> dict:
    """`--only after-sync`: the 25k record imported, then its first open, the open with the
    snapshot kept and the first open after a 10-resource sync, as in the whole run."""
    path = work / "scale-25000.json"
    path.write_bytes(scale.text(25_000).encode("utf-8"))
    db = work / "import-0.db"
    say(f"imported 25000: {timed([LTC, 'import', str(path), '--db', str(db)]):.1f} s")
    return summaries({25_000: db}, work, runs)


def pages(dbs: dict[int, Path], runs: int) -> dict:
    """AppTest: overview then the diabetes page, after the first run has opened the record."""
    seconds, first = {}, {}
    for size in (2_500, 25_000):
        results = [child("pages", str(dbs[size])) for _ in range(runs)]
        seconds[size] = statistics.median(r["pages_s"] for r in results)
        first[size] = statistics.median(r["first_run_s"] for r in results)
        say(f"pages {size}: {seconds[size]:.2f} s (first run {first[size]:.2f} s)")
    return {"page_ratio": round(seconds[25_000] / seconds[2_500], 3),
            "pages_s": {str(k): round(v, 3) for k, v in seconds.items()},
            "page_first_run_s": {str(k): round(v, 3) for k, v in first.items()}}


def browser_pages(dbs: dict[int, Path], runs: int) -> dict:
    """Navigation to page ready in Chromium, per page, first visit and repeat, at 2.5k (the demo
    records' size, rounded up) and 25k, beside a one-line Streamlit page (bench/browser_speed.py)."""
    if not _browser_ready():
        say("browser pages: no Playwright or chromium here, not measured")
        return {"browser_how": "not measured: no Playwright or chromium"}
    from browser_speed import measure, worst  # noqa: PLC0415  (needs Playwright)

    figures = measure({"2500": dbs[2_500], "25000": dbs[25_000]}, TODAY, PATIENT, runs, say)
    found = worst(figures)
    say(f"browser pages: slowest {found['page_ms']} ms ({found['page_ms_where']}), "
        f"{found['floor_ratio']} x the floor, 25k / 2.5k {found['size_ratio']}")
    return {"browser_ready_ms": figures, "browser_worst": found}


def peak_rss(db: Path, as_imported: Path) -> dict:
    """The app's peak resident memory after every page was viewed at 100k: `peak_rss_mb` with the
    store as imported (the server derives the record's snapshot at its first open, as it does
    after a sync or an import in the app), `peak_rss_kept_mb` with the snapshot kept already."""
    figures = {}
    for name, store in (("peak_rss_mb", as_imported), ("peak_rss_kept_mb", db)):
        if _browser_ready():
            from rss_browser import measure  # noqa: PLC0415  (needs Playwright)

            mb = measure(store, TODAY, PATIENT)
            how = ("the app server as make run starts it (serve.py: streamlit run app.py, headless, 127.0.0.1), "
                   "every page opened in Chromium through Playwright; VmHWM of the server process")
        else:
            mb = child("rss", str(store))["peak_rss_mb"]
            how = ("no Playwright here: a separate Python process ran AppTest over every page at 100k; "
                   "its VmHWM (the real server was not driven)")
        say(f"{name}: {mb:.0f} MB ({how})")
        figures[name] = round(mb, 1)
    return {**figures, "peak_rss_how": how}


def _browser_ready() -> bool:
    try:
        import playwright  # noqa: F401, PLC0415
    except ImportError:
        return False
    return bool(shutil.which("chromium") or shutil.which("chromium-browser"))


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return {"nproc": os.cpu_count(), "memory_gb": round(memory / 2**20, 1), "cpu": model,
            "python": platform.python_version(), "load_at_start": os.getloadavg()[0],
            "date": dt.date.today().isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per timed figure (the median is kept)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--only", choices=["after-sync"], help="measure one figure (with its yardsticks) alone")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="ltc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    figures: dict = {"machine": machine()}
    try:
        if args.only:
            figures.update(only_after_sync(work, args.runs))
            figures["targets"] = {k: TARGETS[k] for k in ("after_sync_to_first", "after_sync_to_kept")}
            figures["met"] = {k: v for k, v in _met(figures).items() if k.startswith("after_sync")}
            print(json.dumps(figures, separators=(", ", ": ")))
            return 0
        files = records(work)
        figures.update(import_ratio(files, work, args.runs))
        dbs = stores(files, work)
        as_imported = work / "as-imported-100000.db"
        shutil.copy(dbs[100_000], as_imported)  # before any open keeps a snapshot in it
        figures.update(summaries(dbs, work, args.runs))
        figures.update(pages(dbs, args.runs))
        figures.update(browser_pages(dbs, args.runs))
        from sync_bench import sync_figures  # noqa: PLC0415  (bench/sync_bench.py)

        figures.update(sync_figures(files[25_000], work, args.runs, say))
        figures.update(peak_rss(dbs[100_000], as_imported))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    figures["targets"] = TARGETS
    figures["met"] = _met(figures)
    figures["bench_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, separators=(", ", ": ")))
    return 0


def _met(f: dict) -> dict:
    def under(value, limit):
        return None if value is None else value <= limit

    browser = f.get("browser_worst", {})

    return {"import_ratio": under(f.get("import_ratio"), TARGETS["import_ratio"]),
            "sync_ratio": under(f.get("sync_ratio"), TARGETS["sync_ratio"]),
            "resync_ratio": under(f.get("resync_ratio"), TARGETS["resync_ratio"]),
            "summary_ms_25k": under(f.get("summary_ms", {}).get("25000"), TARGETS["summary_ms_25k"]),
            "summary_warm_ms_25k": under(f.get("summary_warm_ms", {}).get("25000"), TARGETS["summary_ms_25k"]),
            "summary_growth": under(f.get("summary_growth"), TARGETS["summary_growth"]),
            "page_ratio": under(f.get("page_ratio"), TARGETS["page_ratio"]),
            "peak_rss_mb": under(f.get("peak_rss_mb"), TARGETS["peak_rss_mb"]),
            "browser_page_ms": under(browser.get("page_ms"), TARGETS["browser_page_ms"]),
            "browser_floor_ratio": under(browser.get("floor_ratio"), TARGETS["browser_floor_ratio"]),
            "browser_size_ratio": under(browser.get("size_ratio"), TARGETS["browser_size_ratio"]),
            "after_sync_to_first": under(f.get("after_sync_to_first"), TARGETS["after_sync_to_first"]),
            "after_sync_to_kept": under(f.get("after_sync_to_kept"), TARGETS["after_sync_to_kept"])}


if __name__ == "__main__":
    sys.exit(main())
