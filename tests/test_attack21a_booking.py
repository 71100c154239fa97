"""Outside attack on booking and cancelling (issue 21, branch atk21a) against sekmet on 127.0.0.1.

Every resource is made here in the R4 shapes sekmet accepts (Patient, Schedule, Slot, Appointment);
the fault shapes come from the FHIR R4 RESTful API page (http://hl7.org/fhir/R4/http.html):
"create": the server "SHALL return a 201 Created ... a Location header", and the body is
optional ("Prefer: return=minimal" or a server that ignores Prefer returns none); "update" with
If-Match is the managed-concurrency form; and from the R4 Appointment status state machine
(http://hl7.org/fhir/R4/appointment.html): the practice moves an appointment to arrived,
fulfilled, noshow or entered-in-error at its own desk. FaultProxy (tests/servers/loopback.py)
stands in for the answers sekmet itself would not give.

Tests marked xfail(strict=True) are breaks found on main: each fails today and passes when fixed.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectors.booking import BookingClient
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.appointments import BookingRefused
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from tests.servers.fixtures import proxy, server  # noqa: F401  (fixtures)
from tests.servers.loopback import FakeFhir, Reply, Request

pytestmark = pytest.mark.server
PID = "atk21a-booker"
TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes LTC_TODAY here
ME = Viewer(kind="patient", patient_id=PID)


def _slot(sid: str, start: str) -> dict:
    """A free 20-minute Slot on the test Schedule (R4 Slot: schedule, status, start, end)."""
    return {"resourceType": "Slot", "id": sid, "schedule": {"reference": "Schedule/atk21a-sched"}, "status": "free",
            "start": start, "end": start.replace(":00:00Z", ":20:00Z")}


@pytest.fixture
def booker(server, tmp_path):
    """A patient on sekmet with free slots (one in the past), synced into a fresh store."""
    server.transaction([
        {"resourceType": "Patient", "id": PID, "name": [{"text": "Ada Attack"}]},
        {"resourceType": "Schedule", "id": "atk21a-sched", "active": True},
        _slot("atk21a-slot-1", "2026-12-21T10:00:00Z"), _slot("atk21a-slot-2", "2026-12-22T10:00:00Z"),
        _slot("atk21a-slot-3", "2026-12-23T10:00:00Z"), _slot("atk21a-slot-4", "2026-12-24T10:00:00Z"),
        _slot("atk21a-slot-past", "2026-11-02T10:00:00Z"),  # a free slot three weeks before "today"
    ])
    store = Store(tmp_path / "b.db")
    service = Service(store)
    service.sync(server.base, PID, server.token)
    yield service
    store.close()


def _status_on_server(server, rid: str) -> str:
    return server.read("Appointment", rid)["status"]


# -- breaks -------------------------------------------------------------------------------------
def test_a_slot_in_the_past_is_not_booked(server, booker):
    """A free Slot dated before today (a schedule the practice never tidied; free_slots does not list
    it, but service.book takes any id, as a stale page or a typed id gives it): refused in plain
    words, and no Appointment is made on the server."""
    with pytest.raises(BookingRefused):
        booker.book(ME, TODAY, "atk21a-slot-past", server.base, server.token)


@pytest.mark.parametrize("practice_status", ["noshow", "fulfilled", "entered-in-error"])
def test_cancel_never_overwrites_what_the_practice_recorded_since(server, booker, practice_status):
    """Booked here; then the practice marks it missed / attended / entered in error on its own
    system, and the app has not synced yet, so the page still shows it booked. "Cancel" must not
    turn the practice's record into "cancelled" (connectors/booking.py promises "a change made at
    the practice meanwhile is not overwritten"; If-Match only covers the instant between its own
    read and write)."""
    done = booker.book(ME, TODAY, "atk21a-slot-1", server.base, server.token)
    changed = server.read("Appointment", done.appointment_id)
    server.put({**changed, "status": practice_status})
    try:
        booker.cancel(ME, TODAY, done.appointment_id, server.base, server.token)
    except BookingRefused:
        pass
    assert _status_on_server(server, done.appointment_id) == practice_status


def test_a_201_with_no_body_is_a_booking_not_a_refusal(server, proxy, booker):
    """The server makes the Appointment and answers 201 with only a Location header (R4 http.html:
    the body is optional). The app must not tell the person it failed (they would book again)."""
    made: list[str] = []

    def created_no_body(fault, request):
        reply = fault.forward(request)
        rid = json.loads(reply.body)["id"]
        made.append(rid)
        return Reply(201, b"", {"Location": f"{fault.base}/Appointment/{rid}/_history/1"})

    proxy.on(lambda r: r.method == "POST" and r.path.rstrip("/").endswith("/Appointment"), created_no_body)
    outcome = booker.book(ME, TODAY, "atk21a-slot-2", proxy.base, server.token)
    assert made and _status_on_server(server, made[0]) == "booked"
    assert outcome.appointment_id == made[0]


def test_two_cancels_racing_end_cancelled_and_say_so(server, proxy, booker):
    """Two devices press Cancel together: both read version 1; the first PUT wins. The second, sent
    If-Match W/"1", is refused with 412. It is already cancelled, as asked: the second should say
    so (or read it again), not 'changed at the practice ... sync and look again'."""
    done = booker.book(ME, TODAY, "atk21a-slot-3", server.base, server.token)
    stale = server.read("Appointment", done.appointment_id)  # what the second device read
    proxy.on(lambda r: r.method == "GET" and f"/Appointment/{done.appointment_id}" in r.path,
             lambda fault, request: Reply.json(stale, 200, {"ETag": f'W/"{stale["meta"]["versionId"]}"'}))
    BookingClient(server.base, server.token).cancel(done.appointment_id)  # the first device
    assert _status_on_server(server, done.appointment_id) == "cancelled"
    refused = None
    try:
        booker.cancel(ME, TODAY, done.appointment_id, proxy.base, server.token)
    except BookingRefused as exc:
        refused = exc
    assert _status_on_server(server, done.appointment_id) == "cancelled"
    assert refused is None or "cancelled" in str(refused), json.dumps(str(refused))


def test_a_slot_moved_since_it_was_listed_is_not_booked_at_another_time(server, booker):
    """The person chose 10:00 on 24 December (the page asked "Book ... at 10:00?"); meanwhile the
    practice moved that Slot to 16:00 (a session re-timed; the Slot stays free). book() reads the
    Slot again but checks only that it is free: the person is booked at 16:00 and told only "Your
    appointment is booked.". It must be refused (or booked at the time the person confirmed)."""
    listed = {s.id: s for s in booker.free_slots(ME, TODAY, server.base, server.token)}
    assert listed["atk21a-slot-4"].start.startswith("2026-12-24T10:00")
    server.put({**server.read("Slot", "atk21a-slot-4"), "start": "2026-12-24T16:00:00Z", "end": "2026-12-24T16:20:00Z"})
    try:
        done = booker.book(ME, TODAY, "atk21a-slot-4", server.base, server.token)
    except BookingRefused:
        return
    start = server.read("Appointment", done.appointment_id)["start"]
    assert start.startswith("2026-12-24T10:00"), f"booked at {start}; the message said only {done.message!r}"


def test_a_booking_the_practice_must_still_confirm_is_not_called_booked(server, proxy, booker):
    """A server whose workflow keeps patient-made bookings "pending" until the practice accepts
    them (R4 Appointment.status pending: "some or all of the participants have not finalized their
    acceptance"): the proxy passes the create on as pending, as such a server stores it. The record
    then says "waiting to be confirmed", so the message must not say "Your appointment is booked."."""
    def as_pending(fault, request):
        body = json.loads(request.body)
        body["status"] = "pending"
        return fault.forward(Request(request.method, request.path, request.headers, json.dumps(body).encode()))

    proxy.on(lambda r: r.method == "POST" and r.path.rstrip("/").endswith("/Appointment"), as_pending)
    done = booker.book(ME, TODAY, "atk21a-slot-2", proxy.base, server.token)
    assert _status_on_server(server, done.appointment_id) == "pending"
    assert "booked" not in done.message.lower(), done.message


def test_a_cancel_answered_with_no_body_is_not_a_failure(server, proxy, booker):
    """The update is made and answered 200 with no body (R4 http.html: return=minimal, or a server
    that ignores Prefer): the person must not be told it could not be read (they would phone the
    practice, or cancel again)."""
    done = booker.book(ME, TODAY, "atk21a-slot-1", server.base, server.token)

    def no_body(fault, request):
        reply = fault.forward(request)
        return Reply(reply.status, b"", {})

    proxy.on(lambda r: r.method == "PUT" and "/Appointment/" in r.path, no_body)
    try:
        booker.cancel(ME, TODAY, done.appointment_id, proxy.base, server.token)
    finally:
        assert _status_on_server(server, done.appointment_id) == "cancelled"


def test_a_synced_joint_appointment_is_this_patients(server, tmp_path):
    """A couple's appointment on the server lists the partner first, then this patient (R4: a group
    appointment has several Patient participants). The sync for this patient fetches it and its
    ownership check accepts it; it must then be listed for this patient, not filed under the partner."""
    server.transaction([
        {"resourceType": "Patient", "id": "atk21a-partner", "name": [{"text": "Pat Partner"}]},
        {"resourceType": "Patient", "id": "atk21a-joint", "name": [{"text": "Jo Joint"}]},
        {"resourceType": "Appointment", "id": "atk21a-couple", "status": "booked", "start": "2026-12-29T10:00:00Z",
         "description": "Joint review", "participant": [
             {"actor": {"reference": "Patient/atk21a-partner"}, "status": "accepted"},
             {"actor": {"reference": "Patient/atk21a-joint"}, "status": "accepted"}]},
    ])
    store = Store(tmp_path / "j.db")
    try:
        service = Service(store)
        service.sync(server.base, "atk21a-joint", server.token)
        mine = Viewer(kind="patient", patient_id="atk21a-joint")
        assert "atk21a-couple" in {line.id for line in service.summary(mine, TODAY).appointments}
    finally:
        store.close()


# -- what held ------------------------------------------------------------------------------------
def test_a_capability_statement_without_slot_search_offers_no_booking():
    """A CapabilityStatement (R4 shape) that creates and updates Appointments but cannot search
    Slots: booking is not offered (the page says to book with the practice)."""
    statement = {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1",
                 "format": ["json"], "rest": [{"mode": "server", "resource": [
                     {"type": "Appointment", "interaction": [{"code": "create"}, {"code": "update"}, {"code": "read"}]},
                     {"type": "Slot", "interaction": [{"code": "read"}]}]}]}
    with FakeFhir({"metadata": statement}) as fake:
        assert not BookingClient(fake.base, "t").supports_booking()
        statement["rest"][0]["resource"][1]["interaction"].append({"code": "search-type"})
        assert BookingClient(fake.base, "t").supports_booking()


def test_a_change_at_the_desk_between_read_and_write_is_refused_not_overwritten(server, proxy, booker):
    """The app read version 1; the desk saved version 2 before the PUT: sent If-Match W/"1", sekmet
    refuses it (412), said as changed at the practice, and the desk's change stands."""
    done = booker.book(ME, TODAY, "atk21a-slot-4", server.base, server.token)
    stale = server.read("Appointment", done.appointment_id)
    proxy.on(lambda r: r.method == "GET" and f"/Appointment/{done.appointment_id}" in r.path,
             lambda fault, request: Reply.json({**stale, "description": "read before"}, 200))
    server.put({**stale, "description": "changed at the desk"})
    with pytest.raises(BookingRefused) as refused:
        booker.cancel(ME, TODAY, done.appointment_id, proxy.base, server.token)
    assert refused.value.kind == "AppointmentChanged"
    assert server.read("Appointment", done.appointment_id)["description"] == "changed at the desk"
    assert _status_on_server(server, done.appointment_id) == "booked"
