"""A real FHIR R4 server for the sync tests: sekmet-fhir 0.1.1 (FastAPI + SQLite), installed into
`.tools/sekmet-venv` by scripts/setup-test-tools.sh, started once per test process on a free
loopback port with a static bearer token, and loaded with the six Synthea samples, the demo
records (data/demo/*.json, when built) and one letter with its Binary.

Bundles are loaded as transactions of PUTs: the file connector resolves their urn:uuid ids and
references first, so the server holds exactly what `ltc import` would store.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from connectors.base import Rejected
from connectors.files import FileConnector

ROOT = Path(__file__).resolve().parents[2]
SEKMET = ROOT / ".tools" / "sekmet-venv" / "bin" / "sekmet"
SAMPLES = ROOT.parent / "shared" / "fhir-samples" / "synthea-r4"
TOKEN = "sekmet-test-token-7f3a"  # static, loopback only
SMART_TOKEN = "sekmet-smart-token-9c1e"  # what the SMART test double grants

# Synthea patients, by the role they play in the tests (each test changes only its own patient).
TRUMAN = "d5525459-8f3e-4e60-8ed2-5140d165db75"  # compared with a file import; never changed
ALMEDA = "5f6d256f-fc32-4b10-ba9c-51aba830cfa4"  # incremental sync, updates and deletions
COLEMAN = "5fd069dc-e337-4062-9722-a732c655c17d"  # faults
MARGERY = "9bf59715-246f-4ce2-85a6-58c1757f8d21"  # failed sync, then resume
ISAIAH = "0e61c3ad-d11e-4080-a6aa-cac89cae4e37"  # another patient, for foreign resources

LETTER_TEXT = b"Dear Dr Jones, I reviewed Mr Wiegand in the diabetes clinic today."


@dataclass(frozen=True)
class Sekmet:
    """A running sekmet: its FHIR base URL and the token it accepts."""

    base: str
    token: str
    process: subprocess.Popen

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/fhir+json"}

    def put(self, resource: dict) -> dict:
        response = requests.put(f"{self.base}/{resource['resourceType']}/{resource['id']}", json=resource,
                                headers=self.headers(), timeout=30)
        response.raise_for_status()
        return response.json()

    def read(self, rtype: str, rid: str) -> dict:
        response = requests.get(f"{self.base}/{rtype}/{rid}", headers=self.headers(), timeout=30)
        response.raise_for_status()
        return response.json()

    def delete(self, rtype: str, rid: str) -> None:
        requests.delete(f"{self.base}/{rtype}/{rid}", headers=self.headers(), timeout=30).raise_for_status()

    def transaction(self, resources: list[dict]) -> None:
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": f"{self.base}/{r['resourceType']}/{r['id']}", "resource": r,
             "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources]}
        response = requests.post(self.base, json=bundle, headers=self.headers(), timeout=120)
        assert response.status_code == 200, response.text[:500]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60.0) -> None:
    """Poll `url` until it answers, for at most `seconds`; fail at once if the process exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            pass
        try:
            process.wait(timeout=0.1)  # the poll interval, cut short if sekmet dies
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"sekmet exited with {process.returncode}; see sekmet.log")
    raise RuntimeError(f"sekmet did not answer within {seconds:g} s")


def letter_resources() -> list[dict]:
    """A clinic letter for Truman with its text in a Binary on the same server."""
    binary = {"resourceType": "Binary", "id": "letter-truman-1", "contentType": "text/plain",
              "data": base64.b64encode(LETTER_TEXT).decode()}
    document = {
        "resourceType": "DocumentReference", "id": "letter-truman-1", "status": "current",
        "subject": {"reference": f"Patient/{TRUMAN}"}, "date": "2026-10-01T10:00:00Z",
        "description": "Diabetes clinic letter",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": "371531000", "display": "Report of clinical encounter"}]},
        "content": [{"attachment": {"contentType": "text/plain", "url": "Binary/letter-truman-1"}}],
    }
    return [binary, document]


def record_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.json")) + sorted((ROOT / "data" / "demo").glob("*.json"))


def resources_in(path: Path) -> list[dict]:
    return [item for item in FileConnector([path]).read() if not isinstance(item, Rejected)]


_RUNNING: dict[str, Sekmet] = {}


def start(tmp: Path) -> Sekmet:
    """Start sekmet once per process and load the records; stopped when the process exits."""
    if "server" in _RUNNING:
        return _RUNNING["server"]
    port = free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    config = {
        "host": "127.0.0.1", "port": port, "base_url": base, "data_dir": str(tmp / "data"),
        "simulator": {"enabled": False}, "validation": {"inbound": "off"}, "log_inbound": False,
        "server_auth": {"types": ["bearer"], "tokens": [TOKEN, SMART_TOKEN]},
    }
    settings = tmp / "settings.yaml"
    settings.write_text(json.dumps(config))  # JSON is YAML
    log = open(tmp / "sekmet.log", "wb")
    process = subprocess.Popen([str(SEKMET), "serve", "--config", str(settings)], cwd=tmp,
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "SEKMET_CONFIG": str(settings)})
    atexit.register(_stop, process)
    wait_until_up(f"{base}/metadata", process)
    server = Sekmet(base, TOKEN, process)
    for path in record_files():
        server.transaction(resources_in(path))
    server.transaction(letter_resources())
    _RUNNING["server"] = server
    return server


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def sekmet_or_skip(tmp_factory) -> Sekmet:
    """The running server; a skip with the reason when sekmet is not installed, a failure under CI."""
    if not SEKMET.exists():
        message = f"sekmet is not installed at {SEKMET.relative_to(ROOT)}: run scripts/setup-test-tools.sh"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the server tests)")
        pytest.skip(message)
    return start(tmp_factory.mktemp("sekmet"))
