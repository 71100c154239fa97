"""Fixtures for the browser tests: the app served by `streamlit run` on a free local port, over a
private copy of the demo store, and Debian's chromium driven by Playwright.

Nothing here downloads a browser: `scripts/setup-test-tools.sh` (run by `make test`) installs
Debian's chromium and axe-core; Playwright comes with the `test` extra. Without them the tests skip
with the reason, except under CI=true, where a missing tool fails the run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TODAY = "2026-11-25"
START_TIMEOUT = 60  # seconds for `streamlit run` to answer its health check
# Flags that keep Debian's chromium from reaching for the network at start (it hangs without them).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _missing(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where the setup must have installed it."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must have it: run scripts/setup-test-tools.sh)", pytrace=False)
    pytest.skip(f"{reason}; run `make test` or scripts/setup-test-tools.sh to install it")


@pytest.fixture(scope="session")
def axe_source() -> Path:
    """The path of axe-core's axe.min.js installed by the setup script."""
    if not AXE.is_file():
        _missing(f"axe-core is not installed at {AXE.relative_to(ROOT)}")
    return AXE


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, launched by Playwright (each launch gets a fresh profile)."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed (the `test` extra)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    """Poll /_stcore/health until it answers "ok", the server dies, or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # between polls of a bounded loop, not a wait for the app
    raise RuntimeError(f"streamlit did not answer within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def served_app(db: Path, today: str, home: Path, script: Path | str = "app.py"):
    """The app (serve.py) on 127.0.0.1 over the store `db`, healthy; yields (url, process) and
    stops it afterwards. Shared by the browser tests and the benchmark's peak-memory and page-speed
    runs (which serve its one-line floor page as `script`, the same way)."""
    env = {
        **os.environ,
        "LTC_TODAY": today,
        "LTC_DB": str(db),
        "XDG_DATA_HOME": str(home / "xdg"),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    env.pop("LTC_LOGIN", None)
    port = _free_port()
    log = home / "streamlit.log"
    options = ["--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
               # No file watcher: nothing reloads while the app runs, and no CPU spent on the tree.
               "--server.fileWatcherType", "none"]
    # The app as `make run` starts it (serve.py: `streamlit run app.py` with its modules loaded first);
    # any other script by Streamlit itself.
    start = [sys.executable, "serve.py"] if str(script) == "app.py" else [sys.executable, "-m", "streamlit", "run", str(script)]
    with log.open("w") as out:
        server = subprocess.Popen([*start, *options], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> str:
    """The app served by `streamlit run` on 127.0.0.1 over a private demo store; stopped at the end."""
    from ltc_dashboard.intake import stores

    home = tmp_path_factory.mktemp("browser-app")
    stores.demo_store(home / "store").close()
    with served_app(home / "store" / "demo.db", TODAY, home) as (url, _):
        yield url


@pytest.fixture(scope="session")
def hostile_app_url(tmp_path_factory) -> str:
    """The app served over a private store holding only tests/hostile_record.py's record (issue 13
    item 9: every text field Markdown, HTML and a right-to-left override)."""
    import datetime as dt

    from hostile_record import resources
    from ltc_dashboard.intake.ingest import import_items
    from ltc_dashboard.store import Store

    home = tmp_path_factory.mktemp("hostile-app")
    store = Store(home / "hostile.db")
    assert not import_items(store, resources(dt.date.fromisoformat(TODAY))).rejected
    store.close()
    with served_app(home / "hostile.db", TODAY, home) as (url, _):
        yield url
