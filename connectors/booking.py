"""Booking and cancelling appointments on a FHIR R4 server (issue 21): the only writes the app sends.

Offered only where the server's CapabilityStatement says it searches Slots and creates and updates
Appointments. Book: read the Slot again (taken since it was listed: `SlotTaken`), then create an
Appointment (status booked, the patient as participant, the Slot referenced, its times); a slot
already started, or moved since the person confirmed its time, is refused. Cancel: read the
Appointment fresh, refuse unless it is still booked or pending, then update it with status
cancelled, If-Match its version, so a change made at the practice meanwhile is not overwritten. Every refusal is a named exception with a plain
message; none carries the token or the server's words. This module never touches the store: the
caller stores the server's answer through the normal sync (ltc_dashboard/service/appointments.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import requests

from connectors.base import BadPayload, ConnectorError, NotFound, ServerError, Unauthorised
from connectors.http import FHIR_JSON, origin_of

TIMEOUT = 30.0
UK = ZoneInfo("Europe/London")
# The statuses a cancel may change: the booking stands and nothing has happened at the desk since.
CANCELLABLE = frozenset({"booked", "pending", "proposed", "waitlist"})
CHANGED = "The appointment was changed at the practice since it was shown here. Sync the record, then look again."


class SlotTaken(ConnectorError):
    """The slot is no longer free (taken meanwhile, or the server answered 409 or 412)."""


class AppointmentChanged(ConnectorError):
    """The appointment was changed at the practice since it was read (HTTP 409 or 412)."""


class WritesRefused(ConnectorError):
    """The server does not accept this write from this app (HTTP 403 or 405)."""


class ScopeMissing(ConnectorError):
    """The sign-in did not grant the app permission to write appointments."""


class SlotPast(ConnectorError):
    """The slot started before now: a stale page or a typed id, never booked."""


class SlotMoved(ConnectorError):
    """The slot's time is no longer the one the person confirmed (moved at the practice)."""


class NotCancellable(ConnectorError):
    """The practice has recorded the appointment as something no cancel may overwrite (attended,
    missed, arrived, entered in error); the exception's text is that status code."""


class NetworkFailed(ConnectorError):
    """The server could not be reached, or did not answer in time."""


@dataclass(frozen=True)
class Slot:
    """A free slot as the server lists it."""

    id: str
    start: str
    end: str | None = None
    service: str | None = None


def scope_allows_writes(scope: str | None) -> bool:
    """Whether granted SMART scopes let the app create and update Appointments: v1 `.write` or `.*`,
    v2 `.c`/`.u` letters, for Appointment or every type. None (a typed token, scopes not known):
    the server decides."""
    if scope is None:
        return True
    for item in scope.split():
        context, _, rest = item.partition("/")
        rtype, _, access = rest.partition(".")
        if context not in ("patient", "user") or rtype not in ("Appointment", "*"):
            continue
        letters = access.split("?")[0]
        if letters in ("write", "*") or (set(letters) <= set("cruds") and {"c", "u"} <= set(letters)):
            return True
    return False


class BookingClient:
    """Reads and writes appointments on one FHIR server with one bearer token."""

    def __init__(self, base: str, token: str | None, session: requests.Session | None = None,
                 timeout: float = TIMEOUT) -> None:
        origin_of(base)  # ValueError for anything but an absolute http(s) URL
        self.base = base.rstrip("/")
        self._token = token
        self._session = session or requests.Session()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"BookingClient({self.base!r})"

    def supports_booking(self) -> bool:
        """Whether the CapabilityStatement says Slot search-type and Appointment create and update."""
        statement = self._json("GET", "metadata")
        kinds: dict[str, set[str]] = {}
        for rest in statement.get("rest") or []:
            if isinstance(rest, dict) and rest.get("mode") == "server":
                for resource in rest.get("resource") or []:
                    if isinstance(resource, dict):
                        kinds.setdefault(str(resource.get("type")), set()).update(
                            str(i.get("code")) for i in resource.get("interaction") or [] if isinstance(i, dict))
        return "search-type" in kinds.get("Slot", set()) and {"create", "update"} <= kinds.get("Appointment", set())

    def free_slots(self, after: str, count: int = 20) -> list[Slot]:
        """Free slots starting at or after `after` (a FHIR instant), soonest first."""
        page = self._json("GET", "Slot", params={"status": "free", "start": f"ge{after}", "_sort": "start",
                                                 "_count": str(count)})
        slots = []
        for entry in page.get("entry") or []:
            slot = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(slot, dict) and slot.get("resourceType") == "Slot" and slot.get("status") == "free" \
                    and isinstance(slot.get("id"), str) and isinstance(slot.get("start"), str):
                service = next((c.get("text") or next((d.get("display") for d in c.get("coding") or []), None)
                                for c in slot.get("serviceType") or [] if isinstance(c, dict)), None)
                slots.append(Slot(slot["id"], slot["start"], slot.get("end"), service))
        return sorted(slots, key=lambda s: s.start)

    def book(self, patient_id: str, slot_id: str, description: str | None = None,
             not_before: dt.datetime | None = None, confirmed_start: str | None = None) -> dict:
        """Create a booked Appointment in a free slot; the Appointment the server now holds.

        Refused before anything is written: `SlotTaken` when the slot is not free now (or the
        server says so with 409/412); `SlotPast` when it starts before `not_before` (a stale page
        or a typed id); `SlotMoved` when its start is no longer `confirmed_start`, the time the
        person said yes to. A 201 with no body is still a booking: it is read from its Location
        (or found by its slot), never reported as a failure the person would book again after."""
        slot = self._json("GET", f"Slot/{slot_id}")
        if slot.get("status") != "free":
            raise SlotTaken("That time has just been taken. Choose another.")
        start = slot_moment(slot.get("start"))
        if start is None:
            raise BadPayload("The practice's server gave a time for that slot the app cannot read. Nothing "
                             "was booked; choose another or book with your practice.")
        if not_before is not None and start < not_before:
            raise SlotPast("That time has already passed. Nothing was booked; choose another.")
        confirmed = slot_moment(confirmed_start) if confirmed_start else None
        if confirmed_start and confirmed != start:
            raise SlotMoved(f"The practice has moved that slot: it is now at {_uk_words(start)}"
                            + (f", not {_uk_words(confirmed)}" if confirmed else "")
                            + ". Nothing was booked; choose again.")
        appointment = {
            "resourceType": "Appointment", "status": "booked", "start": slot.get("start"), "end": slot.get("end"),
            "slot": [{"reference": f"Slot/{slot_id}"}],
            "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "required": "required",
                             "status": "accepted"}],
        }
        if slot.get("serviceType"):
            appointment["serviceType"] = slot["serviceType"]
        if description:
            appointment["description"] = description
        response = self._send("POST", "Appointment", body=appointment, conflict=SlotTaken(
            "That time has just been taken. Choose another."))
        answer = _body(response)
        if answer.get("resourceType") == "Appointment" and isinstance(answer.get("id"), str):
            return answer
        made = _location_id(response.headers.get("Location") or response.headers.get("Content-Location"))
        if made:
            return self._json("GET", f"Appointment/{made}")
        found = self._json("GET", "Appointment", params={"slot": f"Slot/{slot_id}", "patient": f"Patient/{patient_id}"})
        mine = [e["resource"] for e in found.get("entry") or [] if isinstance(e, dict)
                and isinstance(e.get("resource"), dict) and e["resource"].get("status") != "cancelled"
                and _names_slot(e["resource"], slot_id)]  # a server ignoring `slot` lists others too
        if len(mine) == 1:
            return mine[0]
        raise BadPayload("The practice's server took the booking but did not say what it made. Sync the "
                         "record to see it before booking again.")

    def cancel(self, appointment_id: str) -> dict:
        """Set a booked (or still pending) Appointment's status to cancelled; the Appointment the
        server now holds, with `already` True when it was cancelled before this asked.

        Read fresh first: one the practice has since marked attended, missed, arrived or entered in
        error is `NotCancellable` (never overwritten). The update is If-Match that version; a 412
        is read again (by search, a fresh read): cancelled meanwhile (another device) is a success,
        anything else `AppointmentChanged`. A 2xx with no body is read back."""
        current, version = self._json("GET", f"Appointment/{appointment_id}", with_version=True)
        if current.get("status") == "cancelled":
            return {**current, "already": True}
        if current.get("status") not in CANCELLABLE:
            raise NotCancellable(str(current.get("status") or ""))
        changed = {k: v for k, v in current.items() if k != "already"} | {"status": "cancelled"}
        headers = {"If-Match": f'W/"{version}"'} if version else {}
        try:
            response = self._send("PUT", f"Appointment/{appointment_id}", body=changed, headers=headers,
                                  conflict=AppointmentChanged(CHANGED))
        except AppointmentChanged:
            now = self._fresh(appointment_id)
            if now is not None and now.get("status") == "cancelled":
                return {**now, "already": True}
            raise
        answer = _body(response)
        if answer.get("resourceType") == "Appointment":
            return answer
        return self._json("GET", f"Appointment/{appointment_id}")

    def _fresh(self, appointment_id: str) -> dict | None:
        """The Appointment as the server holds it now, by search (a read that no cache between
        kept from before the write); None when it cannot be read."""
        try:
            page = self._json("GET", "Appointment", params={"_id": appointment_id})
        except (ConnectorError, requests.RequestException):
            return None
        return next((e["resource"] for e in page.get("entry") or [] if isinstance(e, dict)
                     and isinstance(e.get("resource"), dict) and e["resource"].get("id") == appointment_id), None)

    # -- HTTP ---------------------------------------------------------------------------------
    def _send(self, method: str, path: str, params: dict | None = None, body: dict | None = None,
              headers: dict | None = None, conflict: ConnectorError | None = None) -> requests.Response:
        sent = {"Accept": FHIR_JSON, **(headers or {})}
        if self._token:
            sent["Authorization"] = f"Bearer {self._token}"
        if body is not None:
            sent["Content-Type"] = FHIR_JSON
            sent["Prefer"] = "return=representation"
        try:
            response = self._session.request(method, f"{self.base}/{path}", params=params, json=body,
                                             headers=sent, timeout=self._timeout, allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout):
            raise NetworkFailed("The practice's server could not be reached. Check the connection and "
                                "try again; nothing was changed.") from None
        _raise_for(response.status_code, conflict)
        return response

    def _json(self, method: str, path: str, params: dict | None = None, body: dict | None = None,
              headers: dict | None = None, conflict: ConnectorError | None = None, with_version: bool = False):
        response = self._send(method, path, params, body, headers, conflict)
        try:
            answer = response.json()
        except ValueError:
            raise BadPayload("The practice's server gave an answer the app cannot read.") from None
        if not isinstance(answer, dict):
            raise BadPayload("The practice's server gave an answer the app cannot read.")
        if with_version:
            version = (answer.get("meta") or {}).get("versionId") or _etag_version(response.headers.get("ETag"))
            return answer, version
        return answer


def slot_moment(value) -> dt.datetime | None:
    """A Slot's start as an aware instant: a time with no zone is UK clock time (Europe/London, the
    practice's), never the machine's; None for anything that is not a date and time."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UK)
    except (ValueError, OverflowError):
        return None


def _uk_words(moment: dt.datetime) -> str:
    local = moment.astimezone(UK)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def _body(response: requests.Response) -> dict:
    """The JSON object the server answered with, or {} for none (a 201/200 with no body)."""
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _names_slot(appointment: dict, slot_id: str) -> bool:
    """Whether an Appointment references this Slot."""
    return any(isinstance(ref, dict) and str(ref.get("reference") or "").rstrip("/").endswith(f"Slot/{slot_id}")
               for ref in appointment.get("slot") or [])


def _location_id(location: str | None) -> str | None:
    """The Appointment id in a Location header (".../Appointment/ID/_history/1"): read back on this
    client's own base, never at the address the header names (the token goes nowhere else)."""
    match = re.search(r"(?:^|/)Appointment/([A-Za-z0-9\-.]{1,64})(?:/|$)", location or "")
    return match[1] if match else None


def _raise_for(status: int, conflict: ConnectorError | None) -> None:
    if status < 300:
        return
    if status in (409, 412) and conflict is not None:
        raise conflict
    if status == 401:
        raise Unauthorised("The sign-in to the practice's server has ended. Sign in again.")
    if status in (403, 405):
        raise WritesRefused("The practice's server does not accept bookings or cancellations from this "
                            "app. Book with your practice.")
    if status == 404:
        raise NotFound("The practice's server no longer has that time or appointment.")
    if status >= 500:
        raise ServerError("The practice's server had a problem. Nothing was changed; try again later.")
    raise ServerError(f"The practice's server refused the request (HTTP {status}). Nothing was changed.")


def _etag_version(etag: str | None) -> str | None:
    """The version in an ETag header (W/"3" gives 3)."""
    if not etag:
        return None
    return etag.removeprefix("W/").strip('"') or None
