"""Shared fixtures and helpers for the export and feedback tests (no tests of its own).

Each test gets its own copy of a store built once from data/demo, so what one test writes never
leaks into another. Today is frozen at 2026-11-25 by conftest.py.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
TODAY_ISO = "2026-11-25"


@pytest.fixture(scope="session")
def export_store_template(tmp_path_factory) -> Path:
    """A store built from data/demo, once per test session."""
    from ltc_dashboard.intake import stores

    folder = tmp_path_factory.mktemp("export-template")
    stores.demo_store(folder).close()
    return folder / "demo.db"


@pytest.fixture
def service(export_store_template, tmp_path):
    """A Service over a private copy of the demo store."""
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store

    path = tmp_path / "demo-copy.db"
    shutil.copy(export_store_template, path)
    store = Store(path)
    yield Service(store)
    store.close()


def viewer(patient: str, kind: str = "patient"):
    """A Viewer from the CLI form ("patient", "clinic", "proxy:RelatedPerson/ID")."""
    from ltc_dashboard.gate.access import Viewer

    return Viewer.parse(patient, kind)


def today():
    from ltc_dashboard import settings

    return settings.today()


def demo_resource(file: str, resource_id: str) -> dict:
    """One resource of a demo bundle, as shipped."""
    bundle = json.loads((DEMO / file).read_text())
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == resource_id)


def hidden_strings(resource: dict, phrases: tuple[str, ...] = ()) -> list[str]:
    """What would give a hidden entry away: its id, description, code text, the start of its
    attached data (base64, as stored) and the given phrases, each checked to be in its text."""
    found = [resource["id"], *phrases]
    if resource.get("description"):
        found.append(resource["description"])
    if (resource.get("code") or {}).get("text"):
        found.append(resource["code"]["text"])
    text = json.dumps(resource, ensure_ascii=False)
    for content in resource.get("content") or []:
        data = content["attachment"].get("data")
        if data:
            found.append(data[:60])
            text += base64.b64decode(data).decode("utf-8")
    assert all(p in text for p in phrases), "a phrase the test looks for is not in the hidden entry"
    return found


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it."""
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def every_export(service, who, tmp_path: Path) -> dict[str, str]:
    """Every export and feedback output for one viewer, as searchable text (PDF via pdftotext)."""
    from ltc_dashboard.exports import FORMATS

    day = today()
    made = {fmt: service.export(who, day, fmt).data for fmt in FORMATS}
    texts = {
        "pdf": pdf_text(made["pdf"], tmp_path),
        "fhir": made["fhir"].decode("utf-8"),
        "csv": made["csv"].decode("utf-8-sig"),
    }
    if who.kind != "clinic" and service.may_flag(who, day):
        texts["letter"] = service.rectification_request(who, day)
        texts["communications"] = json.dumps(
            [service.flag_communication(who, day, f.id) for f in service.flags(who, day)], ensure_ascii=False)
    return texts
