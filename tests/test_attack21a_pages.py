"""Outside attack on the Appointments page (issue 21, branch atk21a), drawn with Streamlit's AppTest
from a copy of the demo store (tests/test_app_support.py) with one more Appointment added here.

Input shapes: an Appointment whose description and display-only participants carry Markdown
(a link and a remote image: what a hostile import file or a careless practice system can put in
free text; the house rule is that record text reaches Markdown only through pages.text
escape_markdown, STYLE.md and textsafe.markdown); and Slots whose start has no time zone or is not
a date at all (R4 Slot.start is an instant, which needs a zone, but the page reads whatever the
server sent: the shape comes from servers that write local times, as HAPI does for naive input).

Tests marked xfail(strict=True) are breaks found on main: each fails today and passes when fixed.
"""

from __future__ import annotations

import pytest

from ltc_dashboard.store import Store
from test_app_support import (  # noqa: F401  (fixtures)
    DIABETES, demo_db, demo_db_template, go, open_app, texts,
)

LINK = "[Confirm your visit](https://evil.example/login)"
IMAGE = "![x](https://tracker.example/pixel.png)"


def _add_hostile_appointment(db) -> None:
    store = Store(db)
    store.put([{"resourceType": "Appointment", "id": "atk21a-md", "status": "booked",
                "start": "2026-12-18T09:00:00+00:00", "end": "2026-12-18T09:20:00+00:00",
                "description": f"Review {LINK} {IMAGE}",
                "participant": [{"actor": {"reference": f"Patient/{DIABETES}"}},
                                {"actor": {"display": f"**Dr Bold** {IMAGE}"}},
                                {"actor": {"type": "Location", "display": f"Room {LINK}"}}]}])
    store.close()


def test_record_text_on_an_appointment_card_is_never_read_as_markdown(demo_db):
    """The card's description, "With ..." and "At ..." lines are record text: a link or a remote
    image in them must be shown as written, never made a link or loaded (a tracking pixel when the
    page opens on the clinic screen)."""
    _add_hostile_appointment(demo_db)
    at = go(open_app(DIABETES, "patient"), "appointments")
    assert not at.exception
    drawn = [m.value for m in at.markdown]
    assert any("evil.example" in value.replace("\\", "") for value in drawn)  # drawn (as rendered: escapes read)
    live = [value for value in drawn if "](https://" in value]
    assert live == []


def _offering(monkeypatch, starts: list[str]) -> None:
    """The page as if the practice's server offered booking and listed these slot starts (the
    service's server calls stand in, as tests/test_app_appointments.py does)."""
    from connectors.booking import Slot
    from ltc_dashboard.service.core import Service

    monkeypatch.setattr(Service, "booking_offered", lambda self, viewer, today: True)
    monkeypatch.setattr(Service, "free_slots", lambda self, viewer, today: [
        Slot(f"s{i}", start, None, "GP") for i, start in enumerate(starts)])


def test_a_slot_time_without_a_zone_is_never_shown_on_another_day(demo_db, monkeypatch):
    """A Slot starting "2026-12-16T10:00:00" (no zone): the page must not offer "Tuesday 15 December
    2026 at 20:00", a day and time the server never said (the process runs in Pacific/Kiritimati)."""
    _offering(monkeypatch, ["2026-12-16T10:00:00"])
    at = go(open_app(DIABETES, "patient"), "appointments")
    at.button(key="find-slots").click().run()
    labels = [b.label for b in at.button if str(b.key).startswith("slot-")]
    assert not [label for label in labels if "15 December" in label or "20:00" in label], labels


def test_a_slot_start_that_is_not_a_date_does_not_break_the_page(demo_db, monkeypatch):
    """A server lists a Slot whose start is "soon" beside a good one: the page still draws, offering
    the good one."""
    _offering(monkeypatch, ["soon", "2026-12-16T10:00:00Z"])
    at = go(open_app(DIABETES, "patient"), "appointments")
    at.button(key="find-slots").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("16 December 2026 at 10:00" in b.label for b in at.button if str(b.key).startswith("slot-"))


def test_a_slots_service_text_is_never_read_as_markdown(demo_db, monkeypatch):
    """Slot.serviceType text from the server ("[Pay first](https://evil.example)" and a remote
    image) goes into the "Book ..." button label and the "Book ...?" confirmation, both of which
    Streamlit reads as Markdown (links and images in labels): it must be shown as written."""
    from connectors.booking import Slot
    from ltc_dashboard.service.core import Service

    monkeypatch.setattr(Service, "booking_offered", lambda self, viewer, today: True)
    monkeypatch.setattr(Service, "free_slots", lambda self, viewer, today: [
        Slot("s1", "2026-12-16T10:00:00Z", None, f"{LINK} {IMAGE}")])
    at = go(open_app(DIABETES, "patient"), "appointments")
    at.button(key="find-slots").click().run()
    labels = [b.label for b in at.button if str(b.key).startswith("slot-")]
    at.button(key="slot-s1").click().run()
    shown = labels + [w.value for w in at.warning]
    assert any("evil.example" in text.replace("\\", "") for text in shown)  # as rendered: escapes read
    assert [text for text in shown if "](https://" in text] == []
