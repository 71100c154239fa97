"""Questions linked to an appointment, kept with the person's own content (issue 21), and who may
book: a store made before the link table gains it with every question kept; no import touches a
link; a link names only a listed question and a visible appointment; the patient may book, a carer
only with the Consent action correct (the one acting rule, ltc_dashboard/gate/acting.py), the shared screen never. Inputs:
the demo records in data/demo (through test_exports_support's store copy)."""

from __future__ import annotations

import sqlite3

import pytest

from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.service.appointments import BookingRefused
from ltc_dashboard.store import Store
from test_durability import DEMO
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

NEXT = "dm-appt-2026-12-15"


def test_a_store_made_before_links_gains_the_table_and_keeps_its_questions(db_path):
    """Opening a store with no question_appointments table (made before issue 21) adds it; the
    questions already kept are all still there, unlinked, and can be linked."""
    store = Store(db_path)
    qid = store.add_question("p1", "Kept before the change", author="patient")
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE question_appointments")
    conn.commit()
    conn.close()
    store = Store(db_path)
    [row] = store.questions("p1")
    assert row["text"] == "Kept before the change" and row["appointment_id"] is None
    store.link_question("p1", qid, "a1")
    assert store.questions("p1")[0]["appointment_id"] == "a1"
    store.close()


def test_import_never_touches_a_link(service):
    """Importing the records again leaves a question's link exactly as it was."""
    me = viewer("dm-patient")
    qid = service.add_question(me, "What does the review cover?")
    service.link_question(me, today(), qid, NEXT)
    import_paths(service._store, sorted(DEMO.glob("*.json")))
    import_paths(service._store, sorted(DEMO.glob("*.json")))
    assert [q.appointment_id for q in service.summary(me, today()).questions if q.own_id == qid] == [NEXT]


def test_a_link_names_only_a_listed_question_and_a_visible_appointment(service):
    """Another record's appointment or an unknown question is refused in plain words; unlinking works."""
    me = viewer("dm-patient")
    qid = service.add_question(me, "Can we talk about my feet?")
    with pytest.raises(BookingRefused, match="not in this view"):
        service.link_question(me, today(), qid, "dem-not-an-appointment")
    with pytest.raises(BookingRefused, match="not in this list"):
        service.link_question(me, today(), qid + 999, NEXT)
    service.link_question(me, today(), qid, NEXT)
    service.link_question(me, today(), qid, None)
    assert [q.appointment_id for q in service.summary(me, today()).questions if q.own_id == qid] == [None]


def test_patient_may_book_and_the_shared_screen_never(service):
    """The patient may book; the shared screen is refused before any server is asked."""
    assert service.may_book(viewer("dm-patient"), today())
    clinic = viewer("dm-patient", "clinic")
    assert not service.may_book(clinic, today())
    with pytest.raises(BookingRefused) as refused:
        service.book(clinic, today(), "slot-1")
    assert refused.value.kind == "not allowed"
    assert not service.booking_offered(clinic, today())


@pytest.mark.parametrize("action, allowed", [(None, False), ("access", False), ("correct", True), ("amend", False)])
def test_carer_books_only_when_the_consent_action_allows_it(service, action, allowed):
    """The daughter may book or cancel only with the Consent action correct (`amend` is no R4
    consent-action code: it grants nothing); refused
    before any server is asked, else she meets the next question (no connection kept here)."""
    carer = viewer("dem-patient", DAUGHTER)
    if action:
        allow_corrections(service, action)
    assert service.may_book(carer, today()) is allowed
    with pytest.raises(BookingRefused) as refused:
        service.book(carer, today(), "slot-1")
    if allowed:
        assert "not connected" in str(refused.value)
    else:
        assert refused.value.kind == "not allowed" and "consent" in str(refused.value)


def test_without_a_connection_booking_is_not_offered(service):
    """The demo store keeps no connection to a server: the page says to book with the practice."""
    assert not service.booking_offered(viewer("dm-patient"), today())


@pytest.mark.skipif(__import__("shutil").which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_sheet_says_the_next_appointment_and_its_questions(service):
    """The printable sheet (PDF, read back with pdftotext) carries the next appointment and the
    question linked to it."""
    from test_leaks import pdf_text

    me = viewer("dm-patient")
    qid = service.add_question(me, "Should my feet be checked again?")
    service.link_question(me, today(), qid, NEXT)
    words = " ".join(pdf_text(service.export(me, today(), "pdf").data).split())
    assert "Your next appointment: Tuesday 15 December 2026 at 10:30, with Nurse Jo Demo" in words
    assert "For this appointment: Should my feet be checked again?" in words
