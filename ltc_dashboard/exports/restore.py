"""Writing own content read from an imported file (see `ltc_dashboard/exports/own_content.py`) back into the
person's tables, through the store's ordinary methods.

Re-importing the same file never duplicates anything: a row whose words, author and target are
already stored is skipped, and what is already stored is never changed (the person's later edits
win over an older export). Restored questions keep their exported order; in a fresh store they
also get their original ids back when the export had no gaps (the store numbers rows itself).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from connectors.base import Rejected
from ltc_dashboard import fhir_read
from ltc_dashboard.exports.own_content import OwnItem, from_fhir, sources_of
from ltc_dashboard.exports.reading_fhir import from_observation, is_reading
from ltc_dashboard.exports.repeat_order import is_order, order_row
from ltc_dashboard.record.dates import uk_today
from ltc_dashboard.record.readings import Reading, ReadingInvalid, earliest_birth
from ltc_dashboard.store import StoreError

SOURCE = "own content"
_AUTHOR = re.compile(r"(patient|clinic|proxy:RelatedPerson/[A-Za-z0-9\-.]{1,64})")
_ORDER = ("goal", "question", "comment", "progress", "preferences", "reading", "order")


@dataclass
class Restored:
    """What a restore added or found already there, per kind, and each item it could not use."""

    added: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    rejected: list[Rejected] = field(default_factory=list)
    superseded: Counter = field(default_factory=Counter)  # older copies of rows changed since: not restored

    @property
    def counts(self) -> Counter:
        """Rows now in the tables from this file (new or already there), like `PutResult.stored`."""
        return self.added + self.unchanged


def restore(store, resources: list[dict], today: dt.date | None = None) -> Restored:
    """Write own-content resources into the personal tables of the patients they name. `today`
    (the UK day, or LTC_TODAY's, by default: record.dates.uk_today): no reading dated after it is restored."""

    result = Restored()
    today = today or uk_today()
    items: dict[str, list[OwnItem]] = {}
    for resource in resources:
        where = f"{resource.get('resourceType')}/{resource.get('id')}"
        if is_order(resource):  # a repeat prescription order (issue 21)
            found = order_row(resource)
            item = OwnItem("order", found[0], where, {"author": found[1]["author"], "row": found[1]}) if found else None
        else:
            item = _reading_item(store, resource, where, result, today) if is_reading(resource) else from_fhir(resource)
        if item is False:
            continue
        if item is None:
            result.rejected.append(Rejected(SOURCE, where, "tagged as own content, but not in a form ltc writes"))
        elif item.kind != "preferences" and not _AUTHOR.fullmatch(str(item.fields.get("author") or "patient")):
            result.rejected.append(Rejected(SOURCE, where, "the author is not patient, clinic or a carer"))
        else:
            items.setdefault(item.patient_id, []).append(item)
    for patient_id, group in items.items():
        _Patient(store, patient_id, result).restore(group)
    return result


def _reading_item(store, resource: dict, where: str, result: Restored, today: dt.date) -> OwnItem | None | bool:
    """A home reading as an item, None when it names no patient, False when it was rejected (said).
    The one check with the UK today and the person's birth date from the stored record, if any."""
    patient_id = fhir_read.patient_id_in(fhir_read.reference(resource.get("subject")))
    if patient_id is None:
        return None
    from ltc_dashboard.gate.access import patient_resource  # at call time: the gate is not loaded by every import's start

    born = earliest_birth((patient_resource(store, patient_id) or {}).get("birthDate"))
    try:
        reading = from_observation(resource, patient_id, today, born)
    except ReadingInvalid as exc:
        result.rejected.append(Rejected(SOURCE, where, f"not a home reading ltc can keep: {exc}"))
        return False
    return OwnItem("reading", patient_id, str(resource.get("id") or ""), {"author": reading.author, "reading": reading})


class _Patient:
    """Restores one patient's items, keeping the mapping from exported own goals to stored ones."""

    def __init__(self, store, patient_id: str, result: Restored):
        self.store, self.pid, self.result = store, patient_id, result
        self.goal_ids: dict[str, int] = {}  # exported Goal id -> stored own goal id

    def restore(self, group: list[OwnItem]) -> None:
        for kind in _ORDER:
            chosen = sorted((i for i in group if i.kind == kind),
                            key=lambda i: (i.fields.get("id") or 0, i.resource_id))
            if chosen:
                getattr(self, f"_{kind}")(chosen)

    def _try(self, item: OwnItem, what: str, write) -> object | None:
        try:
            value = write()
        except StoreError as exc:
            self.result.rejected.append(Rejected(SOURCE, f"{what} {item.resource_id}", str(exc)))
            return None
        self.result.added[f"own {what}"] += 1
        return value

    def _skip(self, what: str) -> None:
        self.result.unchanged[f"own {what}"] += 1

    def _goal(self, items: list[OwnItem]) -> None:
        stored = {(g["text"], g["author"]): g["id"] for g in self.store.own_goals(self.pid)}
        for item in items:
            key = (item.fields.get("text"), item.fields.get("author") or "patient")
            if key in stored:
                self._skip("goal")
            else:
                new_id = self._try(item, "goal",
                                   lambda key=key: self.store.add_own_goal(self.pid, key[0] or "", author=key[1]))
                if new_id is None:
                    continue
                stored[key] = new_id
            self.goal_ids[f"Goal/{item.resource_id}"] = stored[key]

    def _question(self, items: list[OwnItem]) -> None:
        rows = self.store.questions(self.pid)
        before = [q["id"] for q in rows]
        stored = {(q["text"], q["source"], q.get("rule_id"), q["author"]) for q in rows}
        added = []
        for item in items:
            f = item.fields
            key = (f.get("text"), f.get("source") or "own", f.get("rule_id"), f.get("author") or "patient")
            if key in stored:
                self._skip("question")
                continue

            def write(f=f, key=key):
                qid = self.store.add_question(self.pid, key[0] or "", author=key[3], source=key[1], rule_id=key[2],
                                              sources=sources_of(f))
                if f.get("status") not in (None, "open"):
                    self.store.update_question(self.pid, qid, status=f["status"])
                return qid

            qid = self._try(item, "question", write)
            if qid is not None:
                stored.add(key)
                added.append((f.get("position") or 0, f.get("id") or 0, qid))
        if added:
            self._reorder(before + [qid for *_, qid in sorted(added)])

    def _reorder(self, wanted: list[int]) -> None:
        current = [q["id"] for q in self.store.questions(self.pid)]
        for index, qid in enumerate(wanted):
            at = current.index(qid)
            if at != index:
                self.store.move_question(self.pid, qid, index - at)
                current.insert(index, current.pop(at))

    def _comment(self, items: list[OwnItem]) -> None:
        stored = {(c["resource_type"], c["resource_id"], c["resource_version"], c["kind"], c["text"], c["author"])
                  for c in self.store.comments(self.pid)}
        for item in items:
            f = item.fields
            key = (f["resource_type"], f["resource_id"], f.get("resource_version"), f["kind"], f.get("text"),
                   f.get("author") or "patient")
            if key in stored:
                self._skip("comment")
                continue

            def write(f=f, key=key):
                cid = self.store.add_comment(self.pid, *key[:4], text=key[4] or "", author=key[5])
                if f.get("status") not in (None, "draft"):
                    self.store.set_comment_status(self.pid, cid, f["status"])
                return cid

            if self._try(item, "comment", write) is not None:
                stored.add(key)

    def _progress(self, items: list[OwnItem]) -> None:
        stored = {(p["goal_ref"], p["note"], p["on_date"], p["author"]) for p in self.store.goal_progress(self.pid)}
        for item in items:
            f = item.fields
            about = f["about"].split("/_history/")[0]
            if about in self.goal_ids:
                goal_ref = f"own/{self.goal_ids[about]}"
            elif about.startswith("Goal/own-goal-"):
                self.result.rejected.append(Rejected(SOURCE, f"progress note {item.resource_id}",
                                                     "the goal it is about is not in the file"))
                continue
            else:
                goal_ref = about
            key = (goal_ref, f.get("note"), str(f.get("on_date") or "")[:10], f.get("author") or "patient")
            if key in stored:
                self._skip("progress note")
                continue
            if self._try(item, "progress note", lambda key=key: self.store.add_goal_progress(
                    self.pid, key[0], key[1] or "", key[2], author=key[3])) is not None:
                stored.add(key)

    def _preferences(self, items: list[OwnItem]) -> None:
        for item in items:
            for key, value in item.fields.items():
                if self.store.preference(self.pid, key) is not None:
                    self._skip("preference")
                else:
                    self._try(item, "preference",
                              lambda key=key, value=value: self.store.set_preference(self.pid, key, value))

    def _reading(self, items: list[OwnItem]) -> None:
        """A reading whose identity is kept is the same reading: already kept when its values are,
        else an older copy of one the person has since changed (not restored: their change wins).
        One without a kept identity (an export made before readings had one) is already kept when
        a reading of the same kind, moment and values is, whoever entered it."""
        stored = [Reading.from_row(r) for r in self.store.readings(self.pid) if _readable(r)]
        by_uid = {r.uid: r for r in stored if r.uid}
        measured = {r.measurement for r in stored}
        for item in items:
            reading = item.fields["reading"]
            kept = by_uid.get(reading.uid)
            if kept is not None and kept.measurement != reading.measurement:
                self.result.superseded["own reading"] += 1
            elif kept is not None or reading.measurement in measured:
                self._skip("reading")
            elif self._try(item, "reading", lambda r=reading: self.store.add_reading(self.pid, r.row())) is not None:
                by_uid[reading.uid] = reading
                measured.add(reading.measurement)


    def _order(self, items: list[OwnItem]) -> None:
        kept = {row["identifier"] for row in self.store.repeat_orders(self.pid)}
        for item in items:
            row = item.fields["row"]
            if row["identifier"] in kept:
                self._skip("order")
            elif self._try(item, "order", lambda r=row: self.store.add_repeat_order(self.pid, r)) is not None:
                kept.add(row["identifier"])


def _readable(row: dict) -> bool:
    try:
        Reading.from_row(row)
    except (ValueError, TypeError, KeyError):
        return False
    return True
