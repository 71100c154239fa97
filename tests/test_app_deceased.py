"""The app's pages for someone who has died (clinical-reference §11.10): a plain notice on every
page, for the patient's own view, a carer and the shared screen, and no due checks, targets or
appointment questions anywhere (issue 14). The record is hand-made in tests/test_current_medicines.py."""

from __future__ import annotations

import pytest

from ltc_dashboard.store import Store
from test_app_support import PATIENT_PAGES, SHARED_PAGES, no_errors, open_app, visit_all  # noqa: F401
from tests.test_current_medicines import _died

NOTICE = "Ann Test died on 3 October 2026."


@pytest.fixture
def deceased_db(tmp_path, monkeypatch):
    """A store holding only the record of someone who has died, chosen through LTC_DB."""
    path = tmp_path / "app.db"
    store = Store(path)
    store.put(_died())
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))
    return path


@pytest.mark.parametrize("viewer,pages", [("patient", PATIENT_PAGES), ("clinic", SHARED_PAGES),
                                          ("proxy:RelatedPerson/rp1", SHARED_PAGES)])
def test_every_page_shows_the_notice_and_nothing_to_do(deceased_db, viewer, pages):
    """Every page draws without error and shows the notice; none shows checks that are due, a
    target to reach or questions to ask."""
    at = open_app("p1", viewer)
    no_errors(at)
    assert any(NOTICE in alert.value for alert in at.info)
    seen = visit_all(at, pages)
    assert seen.count(NOTICE) >= 2
    for words in ("Needs attention now", "Regular checks", "What is due", "Questions you might ask", "Target:",
                  "Questions for the next appointment", "Add a question"):
        assert words not in seen, words
