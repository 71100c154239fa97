"""Peak memory of the real app server at 100k, for bench/run.py: `streamlit run app.py` on
127.0.0.1 (headless, LTC_DB at the 100k store, LTC_TODAY set), every page of the navigation
opened in Debian's chromium through Playwright, then the server process's VmHWM (its peak
resident set) read from /proc. Uses the browser tests' settings and helpers (tests/browser/).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PAGE_WAIT_MS = 600_000  # the first page opens a 100,000-resource record


def measure(root: Path, db: Path, today: str, patient: str) -> float:
    """Peak RSS in MB of the app server after every page was viewed."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_healthy
    from tests.browser.test_browser import nav_links

    port = _free_port()
    env = {**os.environ, "LTC_TODAY": today, "LTC_DB": str(db), "XDG_DATA_HOME": str(db.parent / "xdg"),
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("LTC_LOGIN", None)
    log = db.parent / "streamlit.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log)
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
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


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
