"""When a full read may be taken as saying what the server no longer holds (issue 17, docs/sync.md
"Deletions by absence"). Removal by absence is a deletion inferred from silence, so it happens only
when the read is certain; otherwise nothing is removed and the person is told.

A full read over several pages is not certain when the server changed while it was paged (offset
paging shifts entries past the reader): an entry updated after the first page's time, an entry with
no time to compare, pages that disagree on the total, or an entry repeated on a later page. Then
each entry the read lacks is asked for directly (`GET [type]/[id]`: FHIR R4 http.html#read): 404 or
410 is gone; the entry answered for this patient is still there; any other answer leaves the whole
kind uncertain. More than `MAX_CHECKS` candidates are not asked one by one: nothing is removed.
Pure reading over the connector's transport; no store.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors import notices
from connectors import search_pages as pages
from connectors.base import ConnectorError, NotFound
from connectors.fetched import Fetched

MAX_CHECKS = 50


class Paging:
    """What one search's pages said, to judge whether its list can be trusted as whole."""

    def __init__(self) -> None:
        self.start = None  # the first page's time
        self.totals: set = set()
        self.pages = 0
        self.unsure = False  # an entry later than the first page, one without a time, or repeated

    def page(self, number: int, page: dict, when: object) -> None:
        self.pages = number
        self.totals.add(page.get("total") if type(page.get("total")) is int else None)
        if number == 1:
            self.start = pages.instant(when)

    def entry(self, resource: object, repeated: bool) -> None:
        meta = resource.get("meta") if isinstance(resource, dict) else None
        updated = pages.instant(meta.get("lastUpdated") if isinstance(meta, dict) else None)
        if repeated or updated is None or self.start is None or updated > self.start:
            self.unsure = True

    @property
    def certain(self) -> bool:
        """One page is one answer; several are certain only when nothing says the list moved."""
        return self.pages <= 1 or (not self.unsure and len(self.totals) == 1)


def still_there(get_json: Callable, rtype: str, candidates: set[str], ours: Callable[[dict], bool]) -> set[str] | None:
    """The candidates a direct read finds still on the server for this patient; None when any answer
    is not a clear yes or no (or there are too many to ask): then nothing of the kind is removed."""
    if len(candidates) > MAX_CHECKS:
        return None
    kept: set[str] = set()
    for rid in sorted(candidates):
        try:
            resource, _ = get_json(f"{rtype}/{rid}")
        except NotFound:  # 404 or 410: gone
            continue
        except ConnectorError:
            return None
        if not isinstance(resource, dict) or resource.get("resourceType") != rtype or resource.get("id") != rid:
            return None
        if ours(resource):
            kept.add(rid)
    return kept


def settle(out: Fetched, held: dict[str, set[str]] | None, get_json: Callable, ours: Callable[[dict], bool]) -> None:
    """For each kind whose full read was not certain: what the store holds from here and the read
    lacks is read directly; what is still there is listed, and when any answer is unclear the kind's
    list is dropped (nothing of it removed), with a notice."""
    for rtype in sorted(out.uncertain & set(out.listed)):
        candidates = (held or {}).get(rtype, set()) - out.listed[rtype]
        if not candidates:
            continue
        there = still_there(get_json, rtype, candidates, ours)
        if there is None:
            del out.listed[rtype]
            out.notes.append(notices.unsure_read(rtype))
        else:
            out.listed[rtype] |= there
