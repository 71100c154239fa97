"""The Appointments page, the overview and the sheet (issue 21), from the diabetes demo record
(data/demo/gen/diabetes.py `_appointments`): upcoming and recent with their status in words, the
next one in a sentence, "Add to calendar", questions linked to an appointment, and "Book with your
practice" where no server offers booking (the demo store keeps no connection)."""

from __future__ import annotations

import datetime as dt

import icalendar

from test_app_support import (  # noqa: F401  (fixtures)
    DIABETES, demo_db, demo_db_template, go, no_errors, open_app, texts,
)

NEXT = "Your next appointment: Tuesday 15 December 2026 at 10:30, with Nurse Jo Demo at The Example Surgery, Room 2 (demo)."


def page(viewer="patient"):
    at = go(open_app(DIABETES, viewer), "appointments")
    no_errors(at)
    return at


def test_upcoming_and_recent_with_status_in_words(demo_db):
    """Upcoming soonest first, recent most recent first; noshow reads "missed"; the next one is said."""
    at = page()
    bold = [m.value for m in at.markdown if m.value.startswith("**")]
    assert bold == ["**Tuesday 15 December 2026 at 10:30** · booked", "**Tuesday 12 January 2027 at 14:10** · cancelled",
                    "**Tuesday 27 October 2026 at 11:00** · missed", "**Tuesday 8 September 2026 at 09:40** · attended"]
    assert [i.value for i in at.info][0].replace("\\", "") == NEXT
    assert "Book with your practice" in texts(at)
    assert not [b for b in at.button if b.key in ("find-slots",) or str(b.key).startswith("cancel-")]


def test_the_calendar_download_has_the_uk_time(demo_db):
    """The booked appointment's .ics starts at 10:30 UK time (GMT in December)."""
    at = page()
    from ltc_dashboard.service.core import open_service
    svc = open_service(str(demo_db))
    from ltc_dashboard.gate.access import Viewer
    data, name = svc.calendar_file(Viewer(kind="patient", patient_id=DIABETES), dt.date(2026, 11, 25),
                                   "dm-appt-2026-12-15")
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 15, 10, 30, tzinfo=dt.timezone.utc)
    assert name == "appointment-2026-12-15.ics"
    assert any(getattr(b, "label", "") == "Add to calendar" for b in at.get("download_button"))


def test_overview_and_sheet_say_the_next_appointment_and_its_questions(demo_db):
    """A question linked to the next appointment shows under it on the page and on the sheet."""
    at = go(open_app(DIABETES, "patient"), "questions")
    at.text_area(key="new-question").input("Can we talk about my feet?")
    at.button[[b.label for b in at.button].index("Add question")].click().run()
    at = page()
    at.selectbox(key="link-dm-appt-2026-12-15").select_index(0).run()
    at.button(key="link-add-dm-appt-2026-12-15").click().run()
    no_errors(at)
    assert "- Can we talk about my feet?" in [m.value for m in at.markdown]
    from ltc_dashboard.service.core import open_service
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.summary.sheet import summary_markdown
    summary = open_service(str(demo_db)).summary(Viewer(kind="patient", patient_id=DIABETES), dt.date(2026, 11, 25))
    sheet = summary_markdown(summary)
    assert NEXT.replace("(demo).", "\\(demo\\).") in sheet or NEXT in sheet
    assert "- For this appointment: Can we talk about my feet?" in sheet
    overview = go(open_app(DIABETES, "patient"), "overview")
    assert any(i.value.replace("\\", "") == NEXT for i in overview.info)
    questions = go(open_app(DIABETES, "patient"), "questions")
    assert "For the appointment on Tuesday 15 December 2026 at 10:30" in [c.value for c in questions.caption]


def _offering(monkeypatch, book):
    """The page as if the practice's server offered booking: the service's server calls stand in
    (their real paths run against sekmet in tests/test_booking_server.py)."""
    from connectors.booking import Slot
    from ltc_dashboard.service.core import Service

    monkeypatch.setattr(Service, "booking_offered", lambda self, viewer, today: True)
    monkeypatch.setattr(Service, "free_slots", lambda self, viewer, today: [Slot("s1", "2026-12-16T10:00:00Z", None, "GP")])

    def booking(self, viewer, today, slot, confirmed_start=None):
        # the start the person confirmed goes with the booking, so a slot moved since is refused
        assert confirmed_start == "2026-12-16T10:00:00Z", confirmed_start
        return book(self, viewer, today, slot)

    monkeypatch.setattr(Service, "book", booking)


def test_booking_asks_first_then_says_it_is_booked(demo_db, monkeypatch):
    """Find a free time, choose it, confirm: only then is the booking sent, and its outcome said."""
    from ltc_dashboard.service.appointments import BookingOutcome

    sent = []
    _offering(monkeypatch, lambda self, viewer, today, slot: sent.append(slot) or BookingOutcome("a9", True, "Your appointment is booked."))
    at = page()
    assert "Book with your practice" not in texts(at)
    at.button(key="find-slots").click().run()
    at.button(key="slot-s1").click().run()
    assert sent == [] and "Book Wednesday 16 December 2026 at 10:00 (GP)?" in [w.value for w in at.warning]
    at.button(key="confirm-yes").click().run()
    no_errors(at)
    assert sent == ["s1"] and "Your appointment is booked." in [s.value for s in at.success]


def test_a_refused_booking_is_said_plainly_and_nothing_shows_as_booked(demo_db, monkeypatch):
    """A slot taken meanwhile: the page says so in plain words and lists no new appointment."""
    from ltc_dashboard.service.appointments import BookingRefused

    def taken(self, viewer, today, slot):
        raise BookingRefused("That time has just been taken. Choose another.", "SlotTaken")

    _offering(monkeypatch, taken)
    at = page()
    before = [m.value for m in at.markdown if m.value.startswith("**")]
    at.button(key="find-slots").click().run()
    at.button(key="slot-s1").click().run()
    at.button(key="confirm-yes").click().run()
    assert [e.value for e in at.error] == ["That time has just been taken. Choose another."]
    assert [m.value for m in at.markdown if m.value.startswith("**")] == before


def test_going_back_sends_nothing(demo_db, monkeypatch):
    """"No, go back" at the confirmation sends no booking."""
    sent = []
    _offering(monkeypatch, lambda self, viewer, today, slot: sent.append(slot))
    at = page()
    at.button(key="find-slots").click().run()
    at.button(key="slot-s1").click().run()
    at.button(key="confirm-no").click().run()
    no_errors(at)
    assert sent == [] and not at.warning


def test_the_shared_screen_shows_appointments_without_booking_or_own_questions(demo_db):
    """The clinic shared screen lists the appointments with no booking, cancelling or linking."""
    at = page("clinic")
    assert "**Tuesday 15 December 2026 at 10:30** · booked" in [m.value for m in at.markdown]
    assert not [b for b in at.button if str(b.key).startswith(("cancel-", "link-add-")) or b.key == "find-slots"]
    assert not at.selectbox


def test_cancelling_asks_first(demo_db, monkeypatch):
    """"Cancel this appointment" asks before anything is sent; "Yes, cancel it" sends it once."""
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.service.appointments import BookingOutcome

    sent = []
    monkeypatch.setattr(Service, "booking_offered", lambda self, viewer, today: True)
    monkeypatch.setattr(Service, "cancel", lambda self, viewer, today, rid: sent.append(rid)
                        or BookingOutcome(rid, True, "The appointment is cancelled."))
    at = page()
    at.button(key="cancel-dm-appt-2026-12-15").click().run()
    assert sent == [] and "Cancel the appointment on Tuesday 15 December 2026 at 10:30?" in [w.value for w in at.warning]
    at.button(key="confirm-yes").click().run()
    no_errors(at)
    assert sent == ["dm-appt-2026-12-15"] and "The appointment is cancelled." in [s.value for s in at.success]
