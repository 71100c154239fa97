"""Repeat prescriptions through the service (issue 21): which repeats may be ordered, who may order,
who sees which orders, and ordering: sent to the FHIR server as a Task where it takes one, else
prepared as a message to the practice.

Who may order (the gate's one rule for acting, ltc_dashboard/gate/acting.py): the patient; a carer only while a
current Consent surely permits her consent-action `correct` for MedicationRequests and for the
repeat ordered, and none might deny it, at any depth; the clinic shared screen never.

Who sees orders (fail closed, the gate's own-content rule, ltc_dashboard/gate/own_content.py ORDERS):
nobody whose view the gate refuses; the patient every order, a carer only the orders that carer
made, each only while the medicine it names is in what the gate shows that viewer; the
clinic shared screen none.

Sending never shows an order as sent unless the server said it took it (HTTP 200/201): a refusal
before sending (no write scope, the server does not list Task create, a token that would go over
plain http to another computer) keeps nothing; a refusal of the send itself keeps the order as "not
sent" with why; whatever may have reached the server without it saying it took it (no answer in
time, a connection closed after sending, a 5xx, 202 Accepted) leaves it "could not confirm", never
"not sent". Ordering the same repeat again while such an order is unconfirmed sends it again under
the same identifier, so a server that has it (If-None-Exist) answers with that one, not a second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import requests

from conditions.repeats import RepeatChoice, find_choice, find_medicine, issued_after, repeat_choices
from connectors import orders
from connectors.base import ConnectorError, ServerError, Unauthorised
from connectors.http import RequestRefused
from ltc_dashboard.exports.repeat_order import if_none_exist, order_identifier, order_message, order_task
from ltc_dashboard.gate.medicines import MEDICINE_TYPES
from ltc_dashboard.gate.own_content import ORDERS, own_rows
from ltc_dashboard.intake import sync
from ltc_dashboard.record.dates import UK, human


class OrderRefused(ValueError):
    """This viewer may not order that medicine (not permitted, not offered, not in their view)."""


REFUSALS = {  # why an order was not sent, in plain words (never "sent")
    "no write scope": ("The connection to this server was set up to read the record only, so the app cannot send "
                       "an order with it. Nothing was sent. Connect again and allow the app to send orders, or "
                       "prepare the order as a message to the practice."),
    "writes refused": ("The server did not accept the order: it does not take orders from this app. Nothing was "
                       "ordered. You can prepare the order as a message to the practice instead."),
    "sign in again": ("The server did not accept the sign-in, so the order was not sent. Connect to the server "
                      "again, then order again, or prepare the order as a message."),
    "not connected": ("This app keeps no connection to that server for this record, so the order was not sent. "
                      "Connect the record first, or prepare the order as a message."),
    "unreachable": ("The server could not be reached, so the order was not sent. Check the internet connection "
                    "and try again, or prepare the order as a message."),
    "no answer": ("The server did not answer in time, so the app cannot tell whether the order arrived. Check "
                  "with the practice before ordering again."),
    "dropped": ("The connection to the server closed before it answered, so the app cannot tell whether the order "
                "arrived. Check with the practice before ordering again."),
    "failed after sending": ("The server reported a fault after the order reached it, so the app cannot tell "
                             "whether it was taken. Check with the practice before ordering again."),
    "accepted only": ("The server said it received the order and will deal with it later, but did not confirm it "
                      "was taken, so the app cannot say it was ordered. Check with the practice before ordering "
                      "again."),
    "refused again": ("The server refused the order when it was sent again, and the app still cannot tell whether "
                      "the first attempt arrived. Check with the practice before ordering again."),
    "plain http": ("The server's address starts with http:// rather than https://, so the app did not send the "
                   "sign-in or the order to it: anyone on the way could read them. Nothing was sent. Use the "
                   "server's https:// address, or prepare the order as a message."),
    "server error": ("The server failed while taking the order, so it was not sent. Try again later, or prepare "
                     "the order as a message."),
    "refused as sent": ("The server refused the order as the app sent it, so it was not sent. Prepare the order "
                        "as a message to the practice instead."),
}
SUMMARY_STATUS = {"sent": "ordered", "prepared": "prepared", "sending": "unconfirmed", "refused": "not sent"}


@dataclass(frozen=True)
class OrderView:
    """A kept order as a viewer sees it, with whether it has been issued since (derived)."""

    id: int
    medication: str
    medication_id: str
    ordered_at: dt.datetime
    how: str  # "server" or "message"
    stored_status: str  # sending, sent, refused, prepared
    server: str | None
    server_id: str | None
    note: str | None
    author: str
    issued_on: dt.date | None

    @property
    def status(self) -> str:
        """The status word of the summary JSON: issued, ordered, prepared, unconfirmed, not sent."""
        return "issued" if self.issued_on else SUMMARY_STATUS.get(self.stored_status, "unconfirmed")

    def words(self, today: dt.date) -> str:
        """"Ordered on 3 December; not yet issued", "Issued on 5 December (ordered on 3 December)"."""
        on = _day(self.ordered_at.astimezone(UK).date(), today)
        if self.issued_on:
            return f"Issued on {_day(self.issued_on, today)} (ordered on {on})"
        if self.stored_status == "sent":
            return f"Ordered on {on}; not yet issued"
        if self.stored_status == "prepared":
            return f"Prepared as a message on {on}; not yet issued"
        if self.stored_status == "refused":
            return f"Not sent on {on}: {self.note or 'the server refused it'}"
        return (f"Ordered on {on}, but the app could not confirm the server took it; not yet issued. "
                "Check with the practice before ordering again")


@dataclass(frozen=True)
class OrderOutcome:
    """What came of one order: sent (with the server's id), prepared, or not sent and why."""

    sent: bool
    order_id: int | None = None
    server_id: str | None = None
    refusal: str | None = None  # a key of REFUSALS
    words: str = ""


def _day(day: dt.date, today: dt.date) -> str:
    """"3 December" this year, "3 December 2025" another."""
    text = human(day)
    return text.rsplit(" ", 1)[0] if day.year == today.year else text


def may_order(visible) -> bool:
    """Whether the viewer of this visible record may order repeats: the gate's rule for acting
    (ltc_dashboard/gate/acting.py), for MedicationRequests; each order also needs its repeat (`_offered`)."""
    return visible.viewer.kind in ("patient", "proxy") and visible.may_act(rtype="MedicationRequest")


WITHHELD_ALIKE = ("Part of this medicine's record is not shown in this view, and it could say the practice has "
                  "stopped or changed it, so it cannot be ordered here. Ask the practice whether it is still a repeat.")


def _unless_withheld(visible, choice: RepeatChoice | None) -> RepeatChoice | None:
    """The choice, not offered when the gate withheld from this viewer a medicine entry alike to
    it (a stopped authorisation before a carer's data period: ltc_dashboard/gate/medicines.py): what it
    withheld could change whether the repeat is current (fail closed)."""
    if choice is None or not choice.offered:
        return choice
    keys = [f"{rtype}/{i}" for i in choice.medication.ids for rtype in MEDICINE_TYPES]
    if visible.withheld_alike(keys):
        return dataclasses.replace(choice, offered=False, reason=WITHHELD_ALIKE)
    return choice


def visible_orders(visible, medications, rows: list[dict]) -> list[OrderView]:
    """The kept order rows this viewer may see, newest first, each with its issue derived."""
    viewer = visible.viewer
    if visible.denied_reason or viewer.kind not in ("patient", "proxy"):
        return []
    found = []
    for row in own_rows(visible, ORDERS, rows, None):  # the gate's rule: only while its medicine is visible
        if not any(find_medicine(medications, i) for i in row["entry_ids"]):
            continue
        view = _readable(row, medications)
        if view is not None:
            found.append(view)
    return found


def _readable(row: dict, medications) -> OrderView | None:
    """A stored row as an OrderView, or None for one that cannot be read (changed outside the app)."""
    try:
        ordered = dt.datetime.fromisoformat(row["ordered_at"])
        last = dt.date.fromisoformat(row["last_issued"]) if row.get("last_issued") else None
    except (TypeError, ValueError, KeyError):
        return None
    if ordered.tzinfo is None:
        return None
    issued = None if row["status"] == "refused" else issued_after(
        medications, row["medication_id"], row["entry_ids"], ordered, last)
    return OrderView(row["id"], row["medication"], row["medication_id"], ordered, row["how"], row["status"],
                     row.get("server"), row.get("server_id"), row.get("note"), row["author"], issued)


class RepeatsServiceMixin:
    """Service methods for repeat prescriptions (mixed into service.Service)."""

    def may_order(self, viewer, today: dt.date) -> bool:
        """Whether this viewer may order repeats."""
        return may_order(self.open(viewer, today).visible)

    def repeat_choices(self, viewer, today: dt.date) -> list[RepeatChoice]:
        """The repeats this viewer's record shows, offered for ordering or not and why."""
        opened = self.open(viewer, today)
        if opened.visible.denied_reason or viewer.kind == "clinic":
            return []
        choices = [_unless_withheld(opened.visible, c) for c in repeat_choices(opened.record.medications, today)]
        return sorted(choices, key=lambda c: (not c.offered, c.medication.name.casefold(), c.focus_id))  # as listed

    def repeat_orders(self, viewer, today: dt.date) -> list[OrderView]:
        """The orders this viewer may see, newest first."""
        opened = self.open(viewer, today)
        return visible_orders(opened.visible, opened.record.medications,
                              self._store.repeat_orders(viewer.patient_id))

    def order_rows(self, viewer, today: dt.date) -> list[dict]:
        """The kept rows of the orders this viewer may see (for the export of own content)."""
        shown = {o.id for o in self.repeat_orders(viewer, today)}
        return [row for row in self._store.repeat_orders(viewer.patient_id) if row["id"] in shown]

    def _offered(self, viewer, today: dt.date, medication_id: str) -> RepeatChoice:
        opened = self.open(viewer, today)
        if not may_order(opened.visible):
            raise OrderRefused("This view cannot order repeat prescriptions."
                               + (" A carer can when the consent on the record lets them act on it."
                                  if viewer.kind == "proxy" else ""))
        choice = _unless_withheld(opened.visible, find_choice(opened.record.medications, medication_id, today))
        if choice is None:
            raise OrderRefused("That medicine is not a current repeat in the record you can see, so it was not ordered.")
        if not choice.offered:
            raise OrderRefused(f"{choice.medication.name} cannot be ordered here. {choice.reason}")
        if not opened.visible.may_act(key=f"MedicationRequest/{choice.focus_id}"):
            raise OrderRefused("The consent on the record does not let this view order that medicine.")
        return choice

    def _row(self, viewer, choice: RepeatChoice, now: dt.datetime, how: str, status: str,
             server: str | None, identifier: str) -> dict:
        med = choice.medication
        return {"medication_id": choice.focus_id, "medication": med.name, "entry_ids": list(med.ids),
                "last_issued": med.last_issued.isoformat() if med.last_issued else None,
                "ordered_at": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), "how": how,
                "server": server, "identifier": identifier, "status": status,
                "author": str(viewer) if viewer.kind == "proxy" else viewer.kind}

    def _unconfirmed(self, viewer, today: dt.date, focus_id: str, server: str
                     ) -> tuple[int, str, dt.datetime] | None:
        """(id, identifier, time) of this viewer's order of `focus_id` sent to `server` that is
        still unconfirmed and not issued, to send again as the same order; else None."""
        author = str(viewer) if viewer.kind == "proxy" else viewer.kind
        waiting = {o.id: o.ordered_at for o in self.repeat_orders(viewer, today)
                   if o.how == "server" and o.stored_status == "sending" and o.issued_on is None
                   and o.medication_id == focus_id and o.server == server and o.author == author}
        rows = [r for r in self._store.repeat_orders(viewer.patient_id) if r["id"] in waiting and r.get("identifier")]
        return (rows[0]["id"], rows[0]["identifier"], waiting[rows[0]["id"]]) if rows else None

    def prepare_order(self, viewer, today: dt.date, medication_ids: list[str],
                      now: dt.datetime | None = None) -> tuple[list[int], str]:
        """Keep an order for each medicine as prepared, and the message to the practice."""
        choices = [self._offered(viewer, today, mid) for mid in dict.fromkeys(medication_ids)]
        if not choices:
            raise OrderRefused("Choose at least one medicine to order.")
        now = now or _now(today)
        ids = [self._store.add_repeat_order(viewer.patient_id, self._row(viewer, c, now, "message", "prepared", None,
                                                                       order_identifier())) for c in choices]
        info = self.open(viewer, today).record.patient
        text = order_message(info.name if info else None, info.birth_date if info else None,
                             info.nhs_number if info else None,
                             [(c.medication.name, c.medication.dosage_text, c.last_issued) for c in choices],
                             now, viewer.kind == "proxy")
        return ids, text

    def send_order(self, viewer, today: dt.date, medication_id: str, server: str, token: str | None = None,
                   now: dt.datetime | None = None, session: requests.Session | None = None) -> OrderOutcome:
        """Send one order to `server` as a Task: with `token` (typed, its scope unknown), else this
        holder's kept connection (its granted scope checked first). Refusals come back as an
        OrderOutcome that is not sent, with plain words; nothing is ever kept as sent unless the
        server took it."""
        choice = self._offered(viewer, today, medication_id)
        proxy_id = viewer.proxy_id if viewer.kind == "proxy" else None
        try:
            if token is None:
                kept = sync.kept_tokens(self._store, server, viewer.patient_id, proxy_id)
                if kept is None:
                    return _not_sent("not connected")
                if not orders.scope_allows_create(kept.scope, "Task"):
                    return _not_sent("no write scope")
                token = sync.connected_token(self._store, server, viewer.patient_id, proxy_id=proxy_id)
            if not orders.creates(server, "Task", token, session):
                return _not_sent("writes refused")
        except (ConnectorError, requests.RequestException) as exc:
            return _not_sent(_refusal(exc))
        again = self._unconfirmed(viewer, today, choice.focus_id, server)
        if again is not None:  # the same order again: a server that holds it answers with that one
            order_id, identifier, now = again
        else:
            now = now or _now(today)
            identifier = order_identifier()
            order_id = self._store.add_repeat_order(
                viewer.patient_id, self._row(viewer, choice, now, "server", "sending", server, identifier))
        requester = f"RelatedPerson/{proxy_id}" if proxy_id else None
        task = order_task(viewer.patient_id, choice.focus_id, choice.medication.name, now, identifier, requester)
        try:
            server_id = orders.create(server, task, token, if_none_exist(identifier), session)
        except orders.NotConfirmed as exc:
            return _not_sent(_unconfirmed_key(exc), order_id)  # left "sending": shown as not confirmed
        except orders.NoIdGiven:
            server_id = None  # the server said it took it (2xx) without saying under which id
        except (ConnectorError, requests.RequestException) as exc:
            if again is not None:  # the first attempt may still have arrived: it stays unconfirmed
                return _not_sent("refused again", order_id)
            why = _refusal(exc)
            self._store.settle_repeat_order(viewer.patient_id, order_id, "refused", note=_short_reason(why))
            return _not_sent(why, order_id)
        self._store.settle_repeat_order(viewer.patient_id, order_id, "sent", server_id=server_id)
        return OrderOutcome(True, order_id, server_id, None,
                            f"{choice.medication.name}: ordered on {_day(now.astimezone(UK).date(), today)}; "
                            "sent to the practice's server. It shows as issued here once the practice issues it.")


def _unconfirmed_key(exc: Exception) -> str:
    """The key of REFUSALS for an order that may have reached the server."""
    if isinstance(exc, orders.FailedAfterSending):
        return "failed after sending"
    if isinstance(exc, orders.AcceptedOnly):
        return "accepted only"
    return "dropped" if isinstance(exc, orders.Dropped) else "no answer"


def _now(today: dt.date) -> dt.datetime:
    """The time of an order: now, or, when "today" is frozen to another day (a demonstration,
    LTC_TODAY), noon UK time of that day, so the order never falls after the day the app shows."""
    now = dt.datetime.now(dt.timezone.utc)
    if now.astimezone(UK).date() == today:
        return now
    return dt.datetime.combine(today, dt.time(12), UK).astimezone(dt.timezone.utc)


def _refusal(exc: Exception) -> str:
    """The key of REFUSALS for a failure."""
    if isinstance(exc, orders.PlainHttp):
        return "plain http"
    if isinstance(exc, orders.WritesRefused) or getattr(exc, "status", None) == 403:
        return "writes refused"
    if isinstance(exc, sync.NotConnected):
        return "not connected"
    if isinstance(exc, (Unauthorised, sync.SmartError)):
        return "sign in again"
    if isinstance(exc, (orders.Unreachable, requests.RequestException)):
        return "unreachable"
    if isinstance(exc, RequestRefused) and exc.status == 405:
        return "writes refused"
    if isinstance(exc, ServerError) and "could not connect" in str(exc):
        return "unreachable"
    return "refused as sent" if isinstance(exc, RequestRefused) else "server error"


def _short_reason(key: str) -> str:
    return {"writes refused": "the server refused to take it", "sign in again": "the server did not accept the sign-in",
            "unreachable": "the server could not be reached", "server error": "the server failed while taking it",
            "refused as sent": "the server refused it as sent"}.get(key, "it was refused")


def _not_sent(key: str, order_id: int | None = None) -> OrderOutcome:
    return OrderOutcome(False, order_id, None, key, REFUSALS[key])
