"""Appointments through the service (issue 21): the calendar file, questions linked to an
appointment, and booking and cancelling where the practice's server allows it.

Who may book or cancel (the gate's one rule for acting, ltc_dashboard/gate/acting.py): the patient; a carer
only while a current Consent surely permits her consent-action `correct` for a new Appointment and
none might deny it, at any depth; the clinic shared screen never. A booking or cancelling is shown only from the server's own
answer, fetched by the normal sync after the write (never written into the store from here), so
a refused write can never show as made (hazard log: a booking shown as made when the server
refused it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import requests

from connectors.base import ConnectorError
from connectors.booking import BookingClient, NotCancellable, Slot, scope_allows_writes, slot_moment
from ltc_dashboard.exports.calendar_ics import calendar, file_name
from ltc_dashboard.intake import sync
from ltc_dashboard.record.appointments import GOING_AHEAD, AppointmentLine, status_words, upcoming, when_words
from ltc_dashboard.record.dates import UK
from ltc_dashboard.service.connect import SyncFailed

__all__ = ["AppointmentsServiceMixin", "BookingOutcome", "BookingRefused", "may_book", "slot_moment"]


class BookingRefused(ValueError):
    """This viewer may not book or cancel here, or the server refused; the message says why and
    `kind` which refusal (the connectors/booking.py exception's name, or "not allowed")."""

    def __init__(self, message: str, kind: str = "not allowed") -> None:
        super().__init__(message)
        self.kind = kind


# A booking the server keeps in one of these is asked for, not yet made (R4 appointmentstatus).
REQUESTED = frozenset({"pending", "proposed", "waitlist"})


def _refused(exc: Exception) -> BookingRefused:
    """A server refusal or failure as BookingRefused, its message plain (connectors/booking.py)."""
    if isinstance(exc, requests.RequestException):
        return BookingRefused("The practice's server could not be reached. Nothing was changed.", "NetworkFailed")
    if isinstance(exc, NotCancellable):
        return BookingRefused(f"The practice has already recorded this appointment as {status_words(str(exc) or None)}, "
                              "so it cannot be cancelled here. Nothing was changed; sync the record to see it, "
                              "and phone the practice if that is wrong.", "NotCancellable")
    return BookingRefused(str(exc), type(exc).__name__)


def _not_before(today: dt.date) -> dt.datetime:
    """The earliest start a booking may have: now, or the start of `today` (UK) when today is frozen
    to another day (LTC_TODAY, tests and demos)."""
    now = dt.datetime.now(UK)
    return now if now.date() == today else dt.datetime.combine(today, dt.time(), UK)


def _booked_words(answer: dict) -> str:
    """What the server made, in words: booked with its time, or requested and not yet confirmed."""
    moment = slot_moment(answer.get("start"))
    when = f" on {when_words(AppointmentLine(id='-', start=moment.astimezone(UK)))}" if moment else ""
    if answer.get("status") == "booked":
        return f"Your appointment{when} is booked."
    if answer.get("status") in REQUESTED:
        return (f"Your appointment{when} is requested, not yet confirmed by the practice. The practice will "
                "confirm it or contact you.")
    return (f"The practice's server took the request{when}, but recorded it as "
            f"{status_words(answer.get('status'))}. Sync the record, and ask the practice if unsure.")


@dataclass(frozen=True)
class BookingOutcome:
    """What a booking or cancelling did: the server's answer id, and whether the record shows it yet."""

    appointment_id: str | None
    shown: bool
    message: str
    pending: bool = False  # asked for, not yet confirmed by the practice (pending, proposed, waitlist)


def may_book(visible) -> bool:
    """Whether the viewer of this visible record may book and cancel: the gate's rule for acting
    (ltc_dashboard/gate/acting.py), for a new Appointment today."""
    return visible.may_act(rtype="Appointment")


class AppointmentsServiceMixin:
    """Service methods for appointments (mixed into service.Service)."""

    def calendar_file(self, viewer, today: dt.date, appointment_id: str | None = None,
                      stamp: dt.datetime | None = None) -> tuple[bytes, str]:
        """(.ics bytes, file name): one visible appointment, or every upcoming one going ahead."""
        lines = self.summary(viewer, today).appointments
        chosen = [l for l in lines if l.id == appointment_id] if appointment_id else \
            [l for l in upcoming(lines, today) if l.status in GOING_AHEAD]
        if appointment_id and not chosen:
            raise BookingRefused("That appointment is not in this view of the record.")
        return calendar(chosen, stamp or dt.datetime.now(dt.timezone.utc)), file_name(chosen)

    def link_question(self, viewer, today: dt.date, question_id: int, appointment_id: str | None) -> None:
        """Link one of the viewer's listed questions to an appointment they can see (None unlinks)."""
        summary = self.summary(viewer, today)
        if question_id not in {q.own_id for q in summary.questions if q.own_id is not None}:
            raise BookingRefused("That question is not in this list.")
        if appointment_id is not None and appointment_id not in {a.id for a in summary.appointments}:
            raise BookingRefused("That appointment is not in this view of the record.")
        self._store.link_question(viewer.patient_id, question_id, appointment_id)

    def may_book(self, viewer, today: dt.date) -> bool:
        """Whether this viewer may book and cancel appointments."""
        return may_book(self.open(viewer, today).visible)

    def booking_server(self, viewer) -> str | None:
        """The server this viewer keeps a connection to for this record (bookings go there), or None."""
        kept = self.connections(viewer.patient_id, viewer.proxy_id)
        return kept[0]["server"] if kept else None

    def booking_offered(self, viewer, today: dt.date, server: str | None = None, token: str | None = None) -> bool:
        """Whether this viewer may book here and the server says it books (Slot search, Appointment
        create and update). A server that cannot be asked offers nothing."""
        if not self.may_book(viewer, today):
            return False
        try:
            client, _ = self._booking_client(viewer, server, token)
            return client.supports_booking()
        except (ConnectorError, BookingRefused, SyncFailed, ValueError, requests.RequestException):
            return False

    def free_slots(self, viewer, today: dt.date, server: str | None = None, token: str | None = None) -> list[Slot]:
        """The free slots from today on (UK day), soonest first."""
        client, _ = self._booking_client(viewer, server, token)
        try:
            slots = client.free_slots(f"{today.isoformat()}T00:00:00Z")
        except (ConnectorError, requests.RequestException) as exc:
            raise _refused(exc) from exc
        self._remember_slots({s.id: s.start for s in slots})
        return slots

    def book(self, viewer, today: dt.date, slot_id: str, server: str | None = None,
             token: str | None = None, confirmed_start: str | None = None) -> BookingOutcome:
        """Book a free slot for the patient at the time the person confirmed (`confirmed_start`,
        else the start this service listed for it): a slot moved since, or already started, is
        refused. The record then shows the server's answer once synced."""
        client, scope = self._writer(viewer, today, server, token)
        confirmed = confirmed_start or self._slots_listed.get(slot_id)
        try:
            answer = client.book(viewer.patient_id, slot_id, not_before=_not_before(today),
                                 confirmed_start=confirmed)
        except (ConnectorError, requests.RequestException) as exc:
            raise _refused(exc) from exc
        return self._after_write(viewer, server, token, scope, answer, _booked_words(answer))

    def cancel(self, viewer, today: dt.date, appointment_id: str, server: str | None = None,
               token: str | None = None) -> BookingOutcome:
        """Cancel a booked appointment this viewer can see."""
        shown = {a.id: a for a in self.summary(viewer, today).appointments}
        if appointment_id not in shown or shown[appointment_id].status not in GOING_AHEAD:
            raise BookingRefused("Only a booked appointment shown here can be cancelled.")
        client, scope = self._writer(viewer, today, server, token)
        try:
            answer = client.cancel(appointment_id)
        except (ConnectorError, requests.RequestException) as exc:
            raise _refused(exc) from exc
        if answer.get("status") != "cancelled":
            done = (f"The practice's server took the cancellation but now records the appointment as "
                    f"{status_words(answer.get('status'))}. Sync the record, and phone the practice if unsure.")
        else:
            done = "The appointment was already cancelled." if answer.get("already") else "The appointment is cancelled."
        return self._after_write(viewer, server, token, scope, answer, done)

    # -- helpers ------------------------------------------------------------------------------
    def _writer(self, viewer, today: dt.date, server: str | None, token: str | None):
        if not self.may_book(viewer, today):
            raise BookingRefused("This view cannot book or cancel appointments."
                                 + (" A carer can when the consent on the record lets them act for the person."
                                    if viewer.kind == "proxy" else ""))
        client, scope = self._booking_client(viewer, server, token)
        if not scope_allows_writes(scope):
            raise BookingRefused("The sign-in to the practice's server lets this app read the record but not "
                               "book. Sign in again and allow booking, or book with your practice.", "ScopeMissing")
        return client, scope

    def _booking_client(self, viewer, server: str | None, token: str | None) -> tuple[BookingClient, str | None]:
        """The client for the given server and typed token (scopes unknown), else for this holder's
        kept connection (its token renewed when due, its granted scopes)."""
        if token:
            if not server:
                raise BookingRefused("Say which server to book on.")
            return BookingClient(server, token), None
        server = server or self.booking_server(viewer)
        if server is None:
            raise BookingRefused("This record is not connected to the practice's server. Book with your practice.")
        try:
            kept = sync.kept_tokens(self._store, server, viewer.patient_id, viewer.proxy_id)
            live = sync.connected_token(self._store, server, viewer.patient_id, sync.SmartHttp(),
                                        proxy_id=viewer.proxy_id)
        except (ConnectorError, requests.RequestException) as exc:
            raise BookingRefused("The connection to the practice's server has ended. Sign in again.") from exc
        return BookingClient(server, live), kept.scope if kept else None

    def _after_write(self, viewer, server: str | None, token: str | None, scope: str | None, answer: dict,
                     done: str) -> BookingOutcome:
        """Fetch the record again by the normal sync, so the page shows what the server now holds."""
        rid = answer.get("id") if isinstance(answer.get("id"), str) else None
        pending = answer.get("status") in REQUESTED
        try:
            if token:
                self.sync(server, viewer.patient_id, token, holder=sync.holder(viewer.proxy_id))
            else:
                self.sync_connection(server or self.booking_server(viewer), viewer.patient_id,
                                     proxy_id=viewer.proxy_id)
        except SyncFailed:
            return BookingOutcome(rid, False, f"{done} The app could not fetch the record again just now, so "
                                              "it is not shown here yet: sync the record to see it.", pending)
        return BookingOutcome(rid, True, done, pending)
