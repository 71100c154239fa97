"""What booking and cancelling say (issue 21, branch fixapp21): the plain words for a slot already
started or moved, a booking the practice must still confirm, an appointment the practice has
already recorded, and a create answered without a body or a Location, against sekmet on 127.0.0.1.

The resources are made here in the R4 shapes sekmet accepts (Patient, Schedule, Slot,
Appointment), as tests/test_attack21a_booking.py makes them; the odd answers (no body, status
pending) are injected by FaultProxy (tests/servers/loopback.py), following the R4 RESTful API page
(http://hl7.org/fhir/R4/http.html: a create's body is optional) and the R4 Appointment status
values (http://hl7.org/fhir/R4/appointment.html).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from connectors.booking import slot_moment
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.appointments import BookingRefused
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from tests.servers.fixtures import proxy, server  # noqa: F401  (fixtures)
from tests.servers.loopback import Reply, Request

PID = "fixapp21-booker"
TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes LTC_TODAY here
ME = Viewer(kind="patient", patient_id=PID)


def _slot(sid: str, start: str) -> dict:
    """A free 20-minute Slot on this file's Schedule."""
    return {"resourceType": "Slot", "id": sid, "schedule": {"reference": "Schedule/fixapp21-sched"},
            "status": "free", "start": start, "end": start.replace(":00:00Z", ":20:00Z")}


@pytest.fixture
def booker(server, tmp_path):
    """A patient on sekmet with free slots (one the evening before today), synced into a fresh store."""
    server.transaction([
        {"resourceType": "Patient", "id": PID, "name": [{"text": "Fay Fixer"}]},
        {"resourceType": "Schedule", "id": "fixapp21-sched", "active": True},
        _slot("fixapp21-slot-1", "2027-01-11T10:00:00Z"), _slot("fixapp21-slot-2", "2027-01-12T10:00:00Z"),
        _slot("fixapp21-slot-3", "2027-01-13T10:00:00Z"), _slot("fixapp21-slot-old", "2026-11-24T23:00:00Z"),
    ])
    store = Store(tmp_path / "f.db")
    service = Service(store)
    service.sync(server.base, PID, server.token)
    yield service
    store.close()


def test_a_zoneless_slot_time_is_uk_time_and_a_word_is_no_time():
    """"10:00" with no zone on a summer day is 10:00 BST (09:00 UTC), whatever zone the machine is
    in (tests run in UTC+14); a start that is not a date and time is None, never a guess."""
    assert slot_moment("2026-07-01T10:00:00").astimezone(dt.timezone.utc).hour == 9
    assert slot_moment("2026-12-01T10:00:00").astimezone(dt.timezone.utc).hour == 10
    assert slot_moment("2026-12-01T10:00:00Z") == dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc)
    assert [slot_moment(v) for v in ("soon", "2026-12-01", None, 5, "2026-13-01T10:00:00")] == [None] * 5


@pytest.mark.server
def test_a_booking_says_when_it_is(server, booker):
    """The message names the time booked, on the UK clock, so the person can check it."""
    done = booker.book(ME, TODAY, "fixapp21-slot-1", server.base, server.token)
    assert done.message == "Your appointment on Monday 11 January 2027 at 10:00 is booked." and not done.pending


@pytest.mark.server
def test_a_slot_already_started_today_is_refused_in_plain_words(server, booker):
    """23:00 the evening before the frozen today (with "today" frozen, now is its first moment,
    service.appointments._not_before): refused, and nothing is made for it."""
    with pytest.raises(BookingRefused) as refused:
        booker.book(ME, TODAY, "fixapp21-slot-old", server.base, server.token)
    assert refused.value.kind == "SlotPast" and "already passed" in str(refused.value)
    found = requests.get(f"{server.base}/Appointment", params={"slot": "Slot/fixapp21-slot-old"},
                         headers=server.headers(), timeout=30).json()
    assert found.get("resourceType") == "Bundle" and not found.get("entry")


@pytest.mark.server
def test_a_moved_slot_says_what_changed(server, booker):
    """Confirmed at 10:00, moved to 15:00 at the practice: refused, both times said."""
    booker.free_slots(ME, TODAY, server.base, server.token)
    server.put({**server.read("Slot", "fixapp21-slot-2"), "start": "2027-01-12T15:00:00Z", "end": "2027-01-12T15:20:00Z"})
    with pytest.raises(BookingRefused) as refused:
        booker.book(ME, TODAY, "fixapp21-slot-2", server.base, server.token)
    assert refused.value.kind == "SlotMoved"
    assert "now at Tuesday 12 January 2027 at 15:00, not Tuesday 12 January 2027 at 10:00" in str(refused.value)


@pytest.mark.server
def test_a_pending_booking_is_said_to_be_requested(server, proxy, booker):
    """The server keeps the booking pending: "requested, not yet confirmed by the practice"."""
    def as_pending(fault, request):
        body = {**json.loads(request.body), "status": "pending"}
        return fault.forward(Request(request.method, request.path, request.headers, json.dumps(body).encode()))

    proxy.on(lambda r: r.method == "POST" and r.path.rstrip("/").endswith("/Appointment"), as_pending)
    done = booker.book(ME, TODAY, "fixapp21-slot-3", proxy.base, server.token)
    assert "requested, not yet confirmed by the practice" in done.message and done.pending


@pytest.mark.server
@pytest.mark.parametrize("status, words", [("noshow", "missed"), ("fulfilled", "attended"), ("arrived", "arrived")])
def test_cancelling_what_the_practice_recorded_says_what_it_recorded(server, booker, status, words):
    """Booked here, then recorded at the desk: the refusal names what the practice recorded."""
    done = booker.book(ME, TODAY, "fixapp21-slot-1", server.base, server.token)
    server.put({**server.read("Appointment", done.appointment_id), "status": status})
    with pytest.raises(BookingRefused) as refused:
        booker.cancel(ME, TODAY, done.appointment_id, server.base, server.token)
    assert refused.value.kind == "NotCancellable" and f"already recorded this appointment as {words}" in str(refused.value)
    assert server.read("Appointment", done.appointment_id)["status"] == status


@pytest.mark.server
def test_a_create_answered_with_nothing_is_found_by_its_slot(server, proxy, booker):
    """201 with no body and no Location: the booking is found by searching for its slot, not
    reported as a failure (the person would book twice)."""
    made: list[str] = []

    def bare(fault, request):
        made.append(json.loads(fault.forward(request).body)["id"])
        return Reply(201, b"", {})

    proxy.on(lambda r: r.method == "POST" and r.path.rstrip("/").endswith("/Appointment"), bare)
    done = booker.book(ME, TODAY, "fixapp21-slot-2", proxy.base, server.token)
    assert made and done.appointment_id == made[0] and "is booked" in done.message


def test_only_the_id_is_taken_from_a_location_header():
    """A Location naming another host gives only the Appointment id (read back on this client's own
    base, so the token never follows the header); one naming no Appointment gives nothing."""
    from connectors.booking import _location_id

    assert _location_id("https://evil.example/fhir/Appointment/a-1.2/_history/1") == "a-1.2"
    assert _location_id("Appointment/a9") == "a9"
    assert [_location_id(v) for v in (None, "", "https://x/fhir/Slot/s1", "https://x/MyAppointment/a1")] == [None] * 4
