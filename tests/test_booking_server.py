"""Booking and cancelling against sekmet on 127.0.0.1 (issue 21): sekmet's CapabilityStatement
offers Slot search and Appointment create and update; a booking is shown only from the server's
answer fetched by the normal sync; every refusal is a plain message of its own kind (slot taken,
writes refused, no write scope, network failure), with FaultProxy (tests/servers/loopback.py)
injecting the answers sekmet itself would not give. The patient, Schedule and Slots are made here."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.booking import BookingClient, scope_allows_writes
from connectors.smart import SmartConfig, Tokens
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake import sync
from ltc_dashboard.service.appointments import BookingRefused
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from tests.servers.fixtures import proxy, server  # noqa: F401  (fixtures)
from tests.servers.loopback import status

pytestmark = pytest.mark.server
PID = "appt-booker-1"
TODAY = dt.date(2026, 11, 25)
ME = Viewer(kind="patient", patient_id=PID)


def _shown(service) -> set[tuple[str, str]]:
    """(id, status) of every appointment the patient's summary shows (sekmet is shared by the module)."""
    return {(l.id, l.status) for l in service.summary(ME, TODAY).appointments}


def _slot(sid: str, start: str, free: str = "free") -> dict:
    return {"resourceType": "Slot", "id": sid, "schedule": {"reference": "Schedule/appt-sched-1"}, "status": free,
            "start": start, "end": start.replace(":00:00Z", ":20:00Z"),
            "serviceType": [{"text": "General practice"}]}


@pytest.fixture
def booker(server, tmp_path):
    """A patient on sekmet with three free slots, synced into a fresh store."""
    server.transaction([
        {"resourceType": "Patient", "id": PID, "name": [{"text": "Bea Booker"}]},
        {"resourceType": "Schedule", "id": "appt-sched-1", "active": True},
        _slot("appt-slot-1", "2026-12-15T10:00:00Z"), _slot("appt-slot-2", "2026-12-16T10:00:00Z"),
        _slot("appt-slot-3", "2026-12-17T10:00:00Z"), _slot("appt-slot-busy", "2026-12-18T10:00:00Z", "busy"),
        _slot("appt-slot-bst", "2027-04-06T09:00:00Z"),  # after the clocks go forward: 10:00 on the UK clock
    ])
    store = Store(tmp_path / "b.db")
    service = Service(store)
    service.sync(server.base, PID, server.token)
    yield service
    store.close()


def test_sekmet_offers_booking_and_lists_free_slots(server, booker):
    """The CapabilityStatement says Slot search and Appointment create/update; busy slots are not listed."""
    assert BookingClient(server.base, server.token).supports_booking()
    ids = [s.id for s in booker.free_slots(ME, TODAY, server.base, server.token)]
    assert "appt-slot-1" in ids and "appt-slot-busy" not in ids


def test_book_then_cancel_shows_the_servers_answer(server, booker):
    """A booking shows as booked after the sync; cancelling it shows it cancelled; both from the server."""
    done = booker.book(ME, TODAY, "appt-slot-2", server.base, server.token)
    assert done.shown and done.appointment_id
    stored = server.read("Appointment", done.appointment_id)
    assert stored["status"] == "booked" and stored["slot"] == [{"reference": "Slot/appt-slot-2"}]
    lines = {l.id: l for l in booker.summary(ME, TODAY).appointments}
    assert lines[done.appointment_id].status == "booked"
    booker.cancel(ME, TODAY, done.appointment_id, server.base, server.token)
    assert server.read("Appointment", done.appointment_id)["status"] == "cancelled"
    assert {l.id: l for l in booker.summary(ME, TODAY).appointments}[done.appointment_id].status == "cancelled"


def test_what_sekmet_returns_maps_on_the_uk_clock(server, booker):
    """The Appointment sekmet answers with (stored by the sync) maps to 10:00 BST on 6 April 2027,
    booked, for what its Slot was for, and its calendar event starts at that instant."""
    import icalendar

    from ltc_dashboard.record.appointments import when_words

    done = booker.book(ME, TODAY, "appt-slot-bst", server.base, server.token)
    line = {l.id: l for l in booker.summary(ME, TODAY).appointments}[done.appointment_id]
    assert when_words(line) == "Tuesday 6 April 2027 at 10:00"
    assert line.status == "booked" and line.description == "General practice" and line.with_ is None
    data, _ = booker.calendar_file(ME, TODAY, done.appointment_id)
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert event.decoded("DTSTART").astimezone(dt.timezone.utc) == dt.datetime(2027, 4, 6, 9, 0, tzinfo=dt.timezone.utc)
    assert "TZID=Europe/London:20270406T100000" in data.decode()


def test_a_slot_no_longer_free_is_refused_and_nothing_is_booked(server, booker):
    """A slot taken since it was listed: "just been taken", no Appointment made, nothing shown."""
    before = _shown(booker)
    with pytest.raises(BookingRefused) as refused:
        booker.book(ME, TODAY, "appt-slot-busy", server.base, server.token)
    assert refused.value.kind == "SlotTaken" and "just been taken" in str(refused.value)
    booker.sync(server.base, PID, server.token)
    assert _shown(booker) == before


@pytest.mark.parametrize("code, kind", [(409, "SlotTaken"), (412, "SlotTaken"), (405, "WritesRefused"),
                                        (403, "WritesRefused")])
def test_server_refusals_are_plain_and_nothing_shows(proxy, booker, code, kind):
    """A 409/412 on the create is a taken slot; 405/403 the server refusing writes; nothing shows as booked."""
    proxy.on(lambda r: r.method == "POST" and "/Appointment" in r.path, status(code))
    before = _shown(booker)
    with pytest.raises(BookingRefused) as refused:
        booker.book(ME, TODAY, "appt-slot-3", proxy.base, "sekmet-test-token-7f3a")
    assert refused.value.kind == kind
    assert "sekmet-test-token" not in str(refused.value)
    assert _shown(booker) == before


@pytest.mark.parametrize("code, kind", [(405, "WritesRefused"), (403, "WritesRefused"), (412, "AppointmentChanged"),
                                        (409, "AppointmentChanged")])
def test_a_cancel_refused_by_the_server_leaves_it_booked(server, proxy, booker, code, kind):
    """A refused update (writes refused; changed at the practice meanwhile): the appointment stays
    booked here and there, and the message says which."""
    done = booker.book(ME, TODAY, "appt-slot-1", server.base, server.token)
    proxy.on(lambda r: r.method == "PUT" and "/Appointment/" in r.path, status(code))
    with pytest.raises(BookingRefused) as refused:
        booker.cancel(ME, TODAY, done.appointment_id, proxy.base, server.token)
    assert refused.value.kind == kind
    [put] = [r for r in proxy.requests if r.method == "PUT"]
    assert put.headers.get("if-match", "").startswith('W/"')  # the version read, so a change meanwhile is refused
    assert {l.id: l.status for l in booker.summary(ME, TODAY).appointments}[done.appointment_id] == "booked"
    assert server.read("Appointment", done.appointment_id)["status"] == "booked"


def _keep(service: Service, server, scope: str, base: str | None = None) -> None:
    """A kept SMART connection to sekmet with these granted scopes (sekmet takes the static token;
    the token endpoint is never asked: no expiry is given, so no renewal is due)."""
    base = base or server.base
    config = SmartConfig(base, f"{base}/authorize", f"{base}/token", "smart-configuration")
    tokens = Tokens(config, "ltc-test", server.token, refresh_token="refresh-never-used", scope=scope, patient=PID)
    assert sync.keep_connection(service._store, tokens, PID)


def test_a_token_without_a_write_scope_is_refused_before_any_write(server, proxy, booker):
    """Scopes kept with the connection that only read: refused with its own message before anything
    is sent (the proxy in front of sekmet sees no request at all)."""
    _keep(booker, server, "launch/patient patient/*.read", proxy.base)
    with pytest.raises(BookingRefused) as refused:
        booker.book(ME, TODAY, "appt-slot-3")
    assert refused.value.kind == "ScopeMissing" and "not book" in str(refused.value)
    assert proxy.requests == []


def test_booking_over_the_kept_connection_syncs_it_back(server, booker):
    """With a kept connection granting Appointment writes, the page's path (no typed token) books
    on that server and the normal sync over the connection brings the booking in."""
    _keep(booker, server, "launch/patient patient/*.read patient/Appointment.write")
    assert booker.booking_server(ME) == server.base and booker.booking_offered(ME, TODAY)
    done = booker.book(ME, TODAY, "appt-slot-3")
    assert done.shown
    assert {l.id: l.status for l in booker.summary(ME, TODAY).appointments}[done.appointment_id] == "booked"


def test_a_network_failure_is_plain(booker):
    """A server that cannot be reached: "could not be reached", nothing changed."""
    with pytest.raises(BookingRefused) as refused:
        booker.book(ME, TODAY, "appt-slot-3", "http://127.0.0.1:9/fhir", "t")
    assert refused.value.kind == "NetworkFailed"


@pytest.mark.parametrize("scope, allowed", [("patient/Appointment.write", True), ("patient/*.*", True),
                                            ("patient/Appointment.cruds", True), ("patient/Appointment.rs", False),
                                            ("patient/*.read launch/patient", False), ("user/Appointment.cu", True),
                                            ("", False), (None, True)])
def test_write_scopes(scope, allowed):
    """SMART v1 and v2 scopes that let the app create and update Appointments."""
    assert scope_allows_writes(scope) is allowed
