"""Shared fixtures and helpers for the AppTest page tests (no tests of its own).

Each test gets its own copy of a store built once from data/demo, so what one test writes
(questions, the access log) never leaks into another.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 60

# Demo ids and words (data/demo/README.md).
DIABETES = "dm-patient"
END_OF_LIFE = "eol-patient"
DEMENTIA = "dem-patient"
RHEUMATOID = "ra-patient"
BIPOLAR = "mh-patient"
DAUGHTER = "proxy:RelatedPerson/dem-rp-daughter"
SON = "proxy:RelatedPerson/dem-rp-son"
SDV_LETTER = "Adult safeguarding enquiry outcome"
NOPAT_LETTER = "Psychiatry review letter"
PSY_ENTRY = "Mental health risk assessment"
ACCESS_START_BANNER = "Your online record starts on 31 October 2023."

PATIENT_PAGES = ["overview", "condition", "results", "medications", "letters", "care_plan",
                 "questions", "preferences", "carer_preview", "access_log"]
SHARED_PAGES = ["overview", "condition", "results", "medications", "letters", "care_plan", "questions"]


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory) -> Path:
    """A store built from data/demo, once per test session."""
    from ltc_dashboard.intake import stores

    folder = tmp_path_factory.mktemp("demo-template")
    stores.demo_store(folder).close()
    return folder / "demo.db"


@pytest.fixture
def demo_db(demo_db_template, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo store, chosen through LTC_DB."""
    path = tmp_path / "app.db"
    shutil.copy(demo_db_template, path)
    monkeypatch.setenv("LTC_DB", str(path))
    return path


def open_app(patient: str | None = None, viewer: str = "patient") -> AppTest:
    """The app after its first run, opened at `?patient=&viewer=` when a patient is given."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if patient:
        at.query_params["patient"] = patient
        at.query_params["viewer"] = viewer
    return at.run()


def go(at: AppTest, page: str) -> AppTest:
    """Switch to pages/<page>.py and run."""
    return at.switch_page(f"pages/{page}.py").run()


def texts(at: AppTest) -> str:
    """Every string the current run drew (main and sidebar, tables, charts, widget labels and
    options), so a test can say what must not show anywhere."""
    parts = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if getattr(node, "type", None) in ("table", "arrow_data_frame"):
            parts.append(node.value.to_string())
    return "\n".join(parts)


def no_errors(at: AppTest) -> None:
    """The run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def headings(at: AppTest) -> list[str]:
    """The h1 titles drawn in the main area."""
    return [t.value for t in at.main.title]


def shown_summary(at: AppTest):
    """The Summary the last run drew (held in the session for that run)."""
    return at.session_state["summary_for_viewer"][2]


def pages_for(at: AppTest, pages: list[str]) -> list[str]:
    """The pages of `pages` this run's navigation offers (the condition page needs a view)."""
    return [p for p in pages if p != "condition" or shown_summary(at).conditions]


def open_expanders(at: AppTest) -> AppTest:
    """Open every closed expander that makes its content only when open (pages/ui.open_expander:
    a keyed expander, whose element id ends in its key), as clicks would, and run again; so what
    they hold is drawn and checked like the rest of the page."""
    keys = [e.proto.id.split("-", 2)[2] for e in at.expander if e.proto.id.count("-") >= 2 and not e.proto.expanded]
    for key in keys:
        at.session_state[key] = True
    if keys:
        at.run()
    return at


def visit_all(at: AppTest, pages: list[str]) -> str:
    """Open each page in turn with its expanders open, check it drew without error, and return
    everything shown."""
    seen = []
    for page in pages_for(at, pages):
        go(at, page)
        no_errors(at)
        open_expanders(at)
        no_errors(at)
        seen.append(texts(at))
    return "\n".join(seen)
