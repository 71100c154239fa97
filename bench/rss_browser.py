"""Peak memory of the real app server at 100k, for bench/run.py: the app as `make run` starts it
(serve.py: `streamlit run app.py` with the pages' modules loaded first) on 127.0.0.1 (headless,
LTC_DB at the 100k store, LTC_TODAY set), every page of the navigation opened in Debian's chromium
through Playwright, then the server process's VmHWM (its peak resident set) read from /proc. Uses
the browser tests' settings and helpers (tests/browser/).
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE_WAIT_MS = 600_000  # the first page opens a 100,000-resource record


def measure(db: Path, today: str, patient: str) -> float:
    """Peak RSS in MB of the app server after every page was viewed."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, served_app
    from tests.browser.test_browser import nav_links

    with served_app(db, today, db.parent) as (url, server):
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/?patient={patient}&viewer=patient")
            _wait_for_page(page, expect, "Overview")
            for title, href in nav_links(page):
                page.locator(f"a[data-testid='stSidebarNavLink'][href='{href}']").click()
                _wait_for_page(page, expect, title)
            browser.close()
        return _peak_mb(server.pid)


def _wait_for_page(page, expect, title: str) -> None:
    heading = page.locator("[data-testid='stMain'] h1").first
    expect(heading).to_have_text(re.compile(rf"^\s*{re.escape(title)}"), timeout=PAGE_WAIT_MS)
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=PAGE_WAIT_MS)


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM for the server process")
