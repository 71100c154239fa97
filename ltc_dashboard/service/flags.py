"""Marks and comments on entries (flags) for the one door, and the re-read rule every reader of
the door shares (split from ltc_dashboard/service/core.py to keep it under 400 lines, issue 19): a method that reads
a record through the gate runs again when a sync changed the record under it."""

from __future__ import annotations

import datetime as dt
import functools

from ltc_dashboard.exports import feedback
from ltc_dashboard.exports.feedback import FlagItem, FlagRefused
from ltc_dashboard.gate.access import RecordChanged, Viewer


def reread_on_change(method):
    """Run a reader again when a sync changed the record under it (`RecordChanged`): the visible
    record reads passed entries again when used, and refuses one that changed since the gate
    looked; `open` then sees the new data version and opens the record afresh."""
    @functools.wraps(method)
    def reread(self, *args, **kwargs):
        for attempt in range(3):
            try:
                return method(self, *args, **kwargs)
            except RecordChanged:
                if attempt == 2:
                    raise
    return reread


def author_of_viewer(viewer: Viewer) -> str:
    """Who wrote a piece of own content, as kept: the proxy's RelatedPerson, else the viewer kind."""
    return str(viewer) if viewer.kind == "proxy" else viewer.kind


class FlagsServiceMixin:
    """Flags and comments: who may make them (the gate's visible record says), and the letter and
    FHIR Communication they become. Mixed into service.Service, whose `open`, `own_content` and
    `_store` it uses."""

    @reread_on_change
    def may_flag(self, viewer: Viewer, today: dt.date) -> bool:
        """Whether this viewer may mark entries as looking wrong or comment on them."""
        return feedback.may_flag(self.open(viewer, today).visible)

    @reread_on_change
    def flag_entry(self, viewer: Viewer, today: dt.date, reference: str, kind: str, text: str) -> int:
        """Keep a "this looks wrong" mark or comment on a visible entry (`Type/id`), with its version."""
        visible = self.open(viewer, today).visible
        if not feedback.may_flag(visible):
            raise FlagRefused("This view cannot flag entries or comment on them.")
        rtype, rid, version = feedback.resolve(visible, reference)
        if not feedback.may_flag(visible, f"{rtype}/{rid}"):
            raise FlagRefused("The consent on the record does not let this view flag that entry.")
        return self._store.add_comment(viewer.patient_id, rtype, rid, version, kind, text, author=author_of_viewer(viewer))

    @reread_on_change
    def flags(self, viewer: Viewer, today: dt.date) -> list[FlagItem]:
        """The viewer's flags and comments on entries they can see, newest first."""
        opened = self.open(viewer, today)
        return feedback.flag_items(opened.visible, opened.record, self._store.comments(viewer.patient_id))

    def set_flag_status(self, viewer: Viewer, today: dt.date, comment_id: int, status: str) -> None:
        """Move one of the viewer's flags to draft, sent or answered."""
        if not self.may_flag(viewer, today) or comment_id not in {f.id for f in self.flags(viewer, today)}:
            raise FlagRefused("That comment is not one this view can change.")
        self._store.set_comment_status(viewer.patient_id, comment_id, status)

    @reread_on_change
    def rectification_request(self, viewer: Viewer, today: dt.date, comment_ids: set[int] | None = None) -> str:
        """The letter to the practice listing the chosen flags (all of them by default), oldest first."""
        opened = self.open(viewer, today)
        items = [f for f in reversed(self.flags(viewer, today)) if comment_ids is None or f.id in comment_ids]
        proxy = next((p.name for p in opened.record.related_people if p.id == viewer.proxy_id), None)
        return feedback.rectification_letter(items, opened.record, opened.visible, proxy_name=proxy)

    @reread_on_change
    def flag_communication(self, viewer: Viewer, today: dt.date, comment_id: int) -> dict:
        """One flag as a FHIR Communication to send to the practice today."""
        rows = {row["id"]: row for row in self.own_content(viewer, today).comments}
        if comment_id not in rows:
            raise FlagRefused("That comment is not one this view can send.")
        _, practice = feedback.practice(self.open(viewer, today).visible)
        return feedback.communication(rows[comment_id], viewer.patient_id, practice, sent=today.isoformat())
