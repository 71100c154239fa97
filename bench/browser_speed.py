"""How long each page takes to be ready in a real browser, for bench/run.py (issue 18).

Ready means what a person waiting sees: the app no longer running (Streamlit's status widget
idle, `data-test-script-state` "notRunning") and the page's h1 present with its title. The time
runs from the navigation (the `goto` or the click on the menu link) to that moment, checked on
every animation frame. Before the next navigation the page is left to settle (its charts drawn).

One run: a fresh app server as `make run` starts it (serve.py, through
tests/browser/conftest.served_app) over the store, a fresh Chromium session opening the
patient's record from a link (`?patient=&viewer=patient`, which lands on the overview: its
*first* visit, the server's first session and the record's first open in that process), then
every other page by its menu link (their first visits), then every page again (*repeat*). The
floor is the same measure for a one-line Streamlit page served with the same options by
`streamlit run`: its first visit in a fresh server, its repeat a second visit in a new session.
Runs alternate floor and app servers, so load on a shared machine falls on all alike; medians.

    .venv/bin/python bench/browser_speed.py STORE [--runs 3]     (prints one JSON line)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

PAGE_WAIT_MS = 120_000  # a page not ready in two minutes is broken, not slow
FLOOR_SCRIPT = 'import streamlit as st; st.title("Floor")\n'  # the one-line page
PAGES = ("Overview", "Results", "My questions")  # besides each condition view (found in the menu)
READY = """([title]) => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
    const h1 = document.querySelector("[data-testid='stMain'] h1");
    return !!h1 && h1.textContent.trim().startsWith(title);
}"""


SETTLED = """() => !document.querySelector("[data-testid='stSkeleton'], [data-stale='true']")
    && [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(c => c.querySelector(".main-svg"))"""


def _ready_after(page, title: str, act) -> float:
    """Milliseconds from `act()` (a navigation) to the page titled `title` being ready. Then, not
    timed, waits until the page has settled (charts drawn, nothing loading), as a person reads a
    page before choosing the next: else the next page's time would hold this page's charts."""
    started = time.perf_counter()
    act()
    page.wait_for_function(READY, arg=[title], polling="raf", timeout=PAGE_WAIT_MS)
    ready = (time.perf_counter() - started) * 1000
    page.wait_for_function(SETTLED, polling="raf", timeout=PAGE_WAIT_MS)
    return ready


def _menu(page) -> dict[str, str]:
    """{title: href} of the sidebar navigation, read from the page."""
    more = page.locator("[data-testid='stSidebarNavViewButton']")
    if more.count() and more.inner_text().endswith("more"):
        more.click()
        page.wait_for_function("() => !document.querySelector(\"[data-testid='stSidebarNavViewButton']\")"
                               ".innerText.endsWith('more')", timeout=PAGE_WAIT_MS)
    links = page.locator("a[data-testid='stSidebarNavLink']")
    links.first.wait_for(timeout=PAGE_WAIT_MS)
    return {link.locator("span[label]").get_attribute("label"): link.get_attribute("href") for link in links.all()}


def _app_run(browser, db: Path, today: str, patient: str) -> dict[str, dict[str, float]]:
    """One fresh server and session: {title: {"first": ms, "repeat": ms}}."""
    from tests.browser.conftest import served_app

    with tempfile.TemporaryDirectory(prefix="ltc-speed-") as home, served_app(db, today, Path(home)) as (url, _):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        times: dict[str, dict[str, float]] = {"Overview": {}}
        times["Overview"]["first"] = _ready_after(
            page, "Overview", lambda: page.goto(f"{url}/?patient={patient}&viewer=patient"))
        menu = _menu(page)
        condition_titles = [t for t in menu if t not in _NOT_MEASURED and t not in PAGES]
        order = [*condition_titles, "Results", "My questions"]
        for rounds in ("first", "repeat"):
            for title in (order if rounds == "first" else [*order, "Overview"]):
                link = page.locator(f"a[data-testid='stSidebarNavLink'][href='{menu[title]}']")
                times.setdefault(title, {})[rounds] = _ready_after(page, title, link.click)
        context.close()
    return times


# Menu pages the figure leaves out: the issue names the overview, each condition view, results and
# questions (what a person opens to prepare for or follow an appointment).
_NOT_MEASURED = {"Medicines", "Letters", "Care plan and goals", "Check my record", "Settings",
                 "What my carer can see", "Who has looked", "Connect a record", "Import a file"}


def _floor_run(browser, today: str) -> dict[str, float]:
    """The one-line page in a fresh server: its first visit, then a second."""
    from tests.browser.conftest import served_app

    with tempfile.TemporaryDirectory(prefix="ltc-floor-") as home:
        script = Path(home) / "floor.py"
        script.write_text(FLOOR_SCRIPT)
        with served_app(Path(home) / "unused.db", today, Path(home), script=script) as (url, _):
            figures = {}
            for rounds in ("first", "repeat"):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                figures[rounds] = _ready_after(page, "Floor", lambda: page.goto(url))
                context.close()
    return figures


@contextlib.contextmanager
def _bytecode_kept():
    """Servers that keep their compiled bytecode, as an installed app does. This machine sets
    PYTHONDONTWRITEBYTECODE=1, with which every server start compiled the app's hundred modules
    again (0.2-0.4 s of each first visit); the app's modules are compiled once first (into
    __pycache__, which git ignores), so every run starts alike."""
    saved = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"/\.|/node_modules|/build/", str(ROOT)],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield
    finally:
        if saved is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = saved


def measure(stores: dict[str, Path], today: str, patient: str, runs: int, say=None) -> dict:
    """Median ready times per store label and page, and the floor's, in ms; see the docstring."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with _bytecode_kept():
        return _measure(stores, today, patient, runs, say, sync_playwright, CHROMIUM, CHROMIUM_ARGS)


def _measure(stores, today, patient, runs, say, sync_playwright, chromium, chromium_args) -> dict:
    per_store: dict[str, dict[str, dict[str, list[float]]]] = {label: {} for label in stores}
    floor: dict[str, list[float]] = {"first": [], "repeat": []}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True, args=chromium_args)
        try:
            for run in range(runs):  # interleaved, so load on a shared machine falls on all alike
                for rounds, ms in _floor_run(browser, today).items():
                    floor[rounds].append(ms)
                for label, db in stores.items():
                    for title, by_round in _app_run(browser, db, today, patient).items():
                        for rounds, ms in by_round.items():
                            per_store[label].setdefault(title, {}).setdefault(rounds, []).append(ms)
                if say:
                    say(f"browser pages, run {run + 1} of {runs} done")
        finally:
            browser.close()
    return {"floor": {k: round(statistics.median(v)) for k, v in floor.items()},
            "pages": {label: {title: {k: round(statistics.median(v)) for k, v in rounds.items()}
                              for title, rounds in pages.items()}
                      for label, pages in per_store.items()}}


def worst(figures: dict) -> dict:
    """What the targets read: the slowest page's median (ms) and its ratio to the floor (first
    visits against the floor's first, repeats against its repeat), over every store; the larger
    store's time over the smaller's, all visits summed (`size_ratio`) and the worst single page
    and visit (`size_ratio_worst_page`, noisier: one page's median against another's)."""
    floor = figures["floor"]
    visits = [(label, title, rounds, ms) for label, pages in figures["pages"].items()
              for title, by_round in pages.items() for rounds, ms in by_round.items()]
    slowest = max(visits, key=lambda v: v[3])
    by_floor = max(visits, key=lambda v: v[3] / floor[v[2]])
    labels = list(figures["pages"])
    small, large = figures["pages"][labels[0]], figures["pages"][labels[-1]]
    pairs = [(title, rounds, small[title][rounds], large[title][rounds])
             for title in small if title in large for rounds in small[title] if rounds in large[title]]
    page_worst = max(pairs, key=lambda p: p[3] / p[2])
    return {"page_ms": slowest[3], "page_ms_where": f"{slowest[1]}, {slowest[2]} visit, {slowest[0]}",
            "floor_ratio": round(by_floor[3] / floor[by_floor[2]], 2),
            "floor_ratio_where": f"{by_floor[1]}, {by_floor[2]} visit, {by_floor[0]}",
            "size_ratio": round(sum(p[3] for p in pairs) / sum(p[2] for p in pairs), 2),
            "size_ratio_worst_page": round(page_worst[3] / page_worst[2], 2),
            "size_ratio_worst_where": f"{page_worst[0]}, {page_worst[1]} visit"}


def main(argv: list[str] | None = None) -> int:
    import scale  # noqa: PLC0415  (bench/scale.py)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", nargs="+", type=Path, help="stores holding the scale patient, smallest first")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--today", default="2026-11-25")
    args = parser.parse_args(argv)
    figures = measure({p.stem: p for p in args.stores}, args.today, scale.PATIENT_ID, args.runs,
                      say=lambda text: print(text, file=sys.stderr, flush=True))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
