"""Requests to the practice for more of the record through the service (issue 21): who may make
which, who sees them, keeping them, and writing one out as text or PDF.

Who may make one (the gate's one rule for acting, ltc_dashboard/gate/acting.py): the patient, any kind; a carer
a historic-record or subject access request on the patient's behalf, only while a current Consent
surely permits her consent-action `correct` over the record as a whole (not one limited to some
resource types) and none might deny it; a request for
proxy access is the patient's own (they consent to it), so never a carer's; the clinic shared
screen never.

Who sees them (fail closed, as for home readings): nobody whose view the gate refuses; the patient
every request, whoever made it; a carer only the requests that carer made; the clinic shared
screen none (a request is about access to the record, not something to show in the room).
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.exports import feedback
from ltc_dashboard.exports.record_request import Sender, request_pdf, request_text
from ltc_dashboard.gate.acting import WHOLE_RECORD
from ltc_dashboard.gate.own_content import REQUESTS, own_rows
from ltc_dashboard.record.record_requests import KINDS, RecordRequest, check

__all__ = ["RequestRefused", "RequestsServiceMixin", "kinds_allowed", "refusal", "visible_requests"]


class RequestRefused(ValueError):
    """This viewer may not make, see or remove that request."""


def kinds_allowed(visible) -> tuple[str, ...]:
    """The kinds of request the viewer of this visible record may make."""
    viewer = visible.viewer
    if visible.denied_reason or viewer.kind == "clinic":
        return ()
    if viewer.kind == "patient":
        return KINDS
    return tuple(k for k in KINDS if k != "proxy") if visible.may_act(rtype=WHOLE_RECORD) else ()


def visible_requests(visible, rows: list[dict]) -> list[RecordRequest]:
    """The stored request rows this viewer may see (the gate's rule for own content,
    ltc_dashboard/gate/own_content.py: the patient every one, a carer her own, never the shared
    screen or anyone the gate refuses), in the order given."""
    return [req for r in own_rows(visible, REQUESTS, rows, None) if (req := _readable(r))]


def _readable(row: dict) -> RecordRequest | None:
    """A stored row as a request, or None for one that cannot be read (changed outside the app)."""
    try:
        return RecordRequest.from_row(row)
    except (ValueError, TypeError, KeyError):
        return None


class RequestsServiceMixin:
    """Service methods for record requests (mixed into service.Service)."""

    def request_kinds(self, viewer, today: dt.date) -> tuple[str, ...]:
        """The kinds of request this viewer may make."""
        return kinds_allowed(self.open(viewer, today).visible)

    def record_requests(self, viewer, today: dt.date) -> list[RecordRequest]:
        """The requests this viewer may see, newest first."""
        visible = self.open(viewer, today).visible
        return visible_requests(visible, self._store.record_requests(viewer.patient_id))

    def make_request(self, viewer, today: dt.date, kind: str, **fields) -> RecordRequest:
        """Check and keep a request made today (RequestInvalid names every problem); refused for a
        viewer who may not make that kind."""
        request = check(viewer.patient_id, kind, today, self.author_of(viewer), **fields)
        if kind not in self.request_kinds(viewer, today):
            raise RequestRefused(refusal(viewer, kind))
        return request.model_copy(update={"id": self._store.add_record_request(viewer.patient_id, request.row())})

    def delete_request(self, viewer, today: dt.date, request_id: int) -> None:
        """Remove one of the requests this viewer sees from the list."""
        if request_id not in {r.id for r in self.record_requests(viewer, today)}:
            raise RequestRefused("That request is not one this view can remove.")
        self._store.delete_record_request(viewer.patient_id, request_id)

    def request_document(self, viewer, today: dt.date, request: RecordRequest, fmt: str) -> bytes | str:
        """A request this viewer sees, written out as "text" (str) or "pdf" (bytes)."""
        opened = self.open(viewer, today)
        if request.id is not None and request.id not in {r.id for r in self.record_requests(viewer, today)}:
            raise RequestRefused("That request is not one this view can see.")
        info, visible = opened.record.patient, opened.visible
        carer = None
        if viewer.kind == "proxy":
            carer = next((p.name for p in opened.record.related_people if p.id == viewer.proxy_id), None) or "a carer"
        who = Sender(practice=feedback.practice(visible)[0], patient_name=info.name if info else None,
                     birth_date=info.birth_date if info else None, nhs_number=info.nhs_number if info else None,
                     record_starts=visible.record_starts, carer=carer)
        return request_pdf(request, who) if fmt == "pdf" else request_text(request, who)


def refusal(viewer, kind: str) -> str:
    """Why this viewer may not make this kind of request, in plain words."""
    if viewer.kind == "clinic":
        return "The shared screen cannot make requests for the record."
    if viewer.kind == "proxy" and kind == "proxy":
        return ("A request for proxy access is the person's own: they ask for it and consent to it. "
                "Nothing was kept.")
    if viewer.kind == "proxy":
        return ("The consent on their record does not let you make requests for them. The practice can "
                "add that to your proxy access if they agree. Nothing was kept.")
    return "This view cannot make requests for the record. Nothing was kept."
