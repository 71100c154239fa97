"""A record's snapshot: derived once from its stored resources, then read by the gate and the
mapping for every viewer (record/projection.py says what it is for and when it is made again).

`derive` is the slow path. It decodes each stored resource once, reads the gate's facts and maps
it; letters and medicines are mapped after every other resource has been read, through an index
of all the record's lookups (Binary, Medication, authors) that notes which of them each one asked
for, found or not. It also writes down what each viewer would otherwise work out again from every
entry: which rows point at each row (to hide what points at a withheld entry), and where each
mapped entry falls in its list's order (a stable sort of some of the entries is the sort of all
of them, kept to those).

`map_visible` is the fast path: the gate passed some rows to a viewer; their entries are made
from the rows, except where the viewer does not resolve the same references as the row did (a
letter whose Binary or author this viewer may not see): such an entry is mapped again, from its
stored text, through the viewer's own lookups, as `record.mapping.map_stored` does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from record import stored_json
from record.mapping import (
    LOOKUP_TYPES, REFERENCED_ONLY, RecordMapping, in_list_order, is_entered_in_error, map_stored,
)
from record.mapping_common import Index
from record.models import PatientInfo, PatientRecord
from record.projection import decode_model_list, digest, encode_model_list, facts_of

# A snapshot row, by position: the same layout in memory and in the stored blob.
#   TYPE, KEY ("Type/id"), DIGEST of the stored text, LABELS, FLAGS, DAY: the gate's facts;
#   REFERRERS: positions of the rows that point at this one; OUTWARD: what it points at outside
#   the record (shared medicines and clinicians) and, for a letter, its Binary;
#   LIST, ENTRIES: what it maps to; DEPENDS: ((Type/id, found), ...) it read through references.
TYPE, KEY, DIGEST, LABELS, FLAGS, DAY, REFERRERS, OUTWARD, LIST, ENTRIES, DEPENDS = range(11)
ROW_LENGTH = 11
# Types whose mapping reads other resources through the index (record.mapping.Index).
_NEEDS_LOOKUPS = frozenset({"MedicationRequest", "MedicationStatement", "DocumentReference"})
# Resources of no patient that entries point at (store.shared).
SHARED_TYPES = frozenset({"Medication", "Practitioner", "PractitionerRole", "Organization", "Location"})


@dataclass(frozen=True)
class Snapshot:
    """Every row of one record, with each list's order: ((row, entry), ...) per PatientRecord list,
    where the record's person is (a (row, entry) pair, or None), the positions of its letters,
    Binaries and rows that point outside the record, and its Consents and RelatedPersons as stored
    (who may see what: record/policy.py reads them)."""

    rows: list[tuple]
    orders: dict[str, tuple[tuple[int, int], ...]]
    person: tuple[int, int] | None
    letters: tuple[int, ...] = ()
    binaries: tuple[int, ...] = ()
    pointing: tuple[int, ...] = ()
    permissions: tuple[dict, ...] = ()

    def parts(self) -> tuple:
        """What `record.projection.encode_snapshot` keeps (and `from_parts` takes)."""
        return (self.rows, self.orders, self.person, self.letters, self.binaries, self.pointing,
                self.permissions)

    @classmethod
    def from_parts(cls, parts: tuple) -> "Snapshot":
        rows, orders, person, letters, binaries, pointing, permissions = parts
        return cls(rows=list(rows), orders=orders, person=person, letters=letters,
                   binaries=binaries, pointing=pointing, permissions=permissions)


PERMISSION_TYPES = ("Consent", "RelatedPerson")


class _AskedIndex(Index):
    """An index that notes every `Type/id` it was asked for, so a mapped entry can say what it
    read besides its own resource."""

    def __init__(self, resources: list[dict]) -> None:
        super().__init__(resources)
        self.asked: set[str] = set()

    def lookup(self, key: str) -> dict | None:
        self.asked.add(key)
        return super().lookup(key)

    def found(self, key: str) -> bool:
        """Whether the index holds `key` (without noting it)."""
        return super().lookup(key) is not None


def derive(texts: Iterable[tuple[str, str, str]],
           fetch_shared: Callable[[set[str]], list[dict]]) -> Snapshot:
    """The snapshot of one record from its (type, id, stored JSON) rows in stored order.
    `fetch_shared` reads the shared resources (medicines, clinicians) the record points at."""
    rows: list[list] = []
    refs: list[tuple[str, ...]] = []
    later: list[tuple[int, str]] = []
    lookups: list[dict] = []
    permissions: list[dict] = []
    mapping = RecordMapping([])
    for rtype, rid, text in texts:
        resource = stored_json.loads(text)
        if rtype in PERMISSION_TYPES:
            permissions.append(stored_json.loads(text))  # a copy of its own: never shared
        labels, flags, day, row_refs, urls = facts_of(resource, text)
        outward = [r for r in row_refs if r.split("/", 1)[0] in SHARED_TYPES]
        if rtype == "DocumentReference":
            outward += [r for r in (*row_refs, *urls) if r.startswith("Binary/")]
        rows.append([rtype, f"{rtype}/{rid}", digest(text), labels, flags, day, [],
                     tuple(sys.intern(r) for r in sorted(set(outward))), "other", (), ()])
        refs.append(row_refs)
        if rtype in LOOKUP_TYPES and not is_entered_in_error(resource):
            lookups.append(resource)
        if rtype in _NEEDS_LOOKUPS:
            later.append((len(rows) - 1, text))  # mapped once every lookup has been read
        elif rtype not in REFERENCED_ONLY:
            rows[-1][LIST:DEPENDS] = _encoded(mapping.map_alone(resource))
    position = {row[KEY]: i for i, row in enumerate(rows)}
    for i, row_refs in enumerate(refs):
        for ref in row_refs:
            target = position.get(ref)
            if target is not None:
                rows[target][REFERRERS].append(i)
    wanted = {ref for row in rows for ref in row[OUTWARD] if not ref.startswith("Binary/")} - position.keys()
    index = _AskedIndex(lookups + [r for r in (fetch_shared(wanted) if wanted else [])
                                   if isinstance(r, dict) and not is_entered_in_error(r)])
    mapping.index = index
    for i, text in later:
        index.asked = set()
        rows[i][LIST:DEPENDS] = _encoded(mapping.map_alone(stored_json.loads(text)))
        rows[i][DEPENDS] = tuple((key, index.found(key)) for key in sorted(index.asked))
    for row in rows:
        row[REFERRERS] = tuple(row[REFERRERS])
    return _with_orders([tuple(row) for row in rows], tuple(permissions))


def _encoded(mapped: tuple[str, tuple]) -> list:
    return [mapped[0], mapped[1]]


def _with_orders(rows: list[tuple], permissions: tuple[dict, ...]) -> Snapshot:
    """Each list's entries in PatientRecord order, and who the record's person is (the first
    readable Patient; record.mapping.RecordMapping.take)."""
    found: dict[str, list[tuple[int, int, object]]] = {}
    person = None
    for i, row in enumerate(rows):
        entries = row[ENTRIES]
        if row[LIST] != "patient":
            found.setdefault(row[LIST], []).extend((i, j, e) for j, e in enumerate(entries))
        elif person is not None:
            found.setdefault("other", []).extend((i, j, e) for j, e in enumerate(entries) if j > 0)
        elif isinstance(entries[0], PatientInfo):
            person = (i, 0)
        else:
            found.setdefault("other", []).append((i, 0, entries[0]))
    orders = {name: tuple((i, j) for i, j, _ in in_list_order(name, items, lambda item: item[2]))
              for name, items in found.items()}
    seen: dict = {}
    encoded = [(sys.intern(row[TYPE]), *row[KEY:LIST], sys.intern(row[LIST]),
                encode_model_list(row[ENTRIES], seen), row[DEPENDS]) for row in rows]
    return Snapshot(
        rows=encoded, orders=orders, person=person,
        letters=tuple(i for i, row in enumerate(rows) if row[TYPE] == "DocumentReference"),
        binaries=tuple(i for i, row in enumerate(rows) if row[TYPE] == "Binary"),
        pointing=tuple(i for i, row in enumerate(rows) if row[OUTWARD]),
        permissions=permissions,
    )


def map_visible(visible, memo: dict) -> PatientRecord:
    """The viewer's record from the snapshot rows the gate passed (`VisibleRecord.take_rows`);
    when the visible record has none to give (already taken), from its stored texts as before."""
    taken = visible.take_rows()
    if taken is None:
        return map_stored(visible.stored_texts(), visible.resources_of(*LOOKUP_TYPES), memo)
    snapshot, passed = taken
    rows, seen = snapshot.rows, visible.key_set
    made: dict[int, tuple] = {}
    again: list[int] = []
    for i in passed:
        row = rows[i]
        if row[TYPE] in REFERENCED_ONLY:
            continue
        if row[DEPENDS] and any(found != (ref in seen) for ref, found in row[DEPENDS]):
            again.append(i)  # this viewer resolves its references differently
            continue
        held = memo.get((row[KEY], row[DIGEST]))
        if held is None:
            held = memo[(row[KEY], row[DIGEST])] = (row[LIST], decode_model_list(row[ENTRIES]))
        made[i] = held[1]
    if again:
        record = _map_in_stored_order(visible, snapshot, passed, made, set(again))
    else:
        lists = {name: [made[i][j] for i, j in order if i in made] for name, order in snapshot.orders.items()}
        person = made[snapshot.person[0]][0] if snapshot.person and snapshot.person[0] in made else None
        record = RecordMapping.assemble(person, lists)
    visible.check_current()  # a sync during the open: the service opens it again
    return record


def _map_in_stored_order(visible, snapshot: Snapshot, passed: list[int], made: dict[int, tuple],
                         again: set[int]) -> PatientRecord:
    """The record as `map_stored` makes it, for a viewer some of whose entries had to be mapped
    again through their own lookups (then every list is sorted afresh)."""
    mapping = RecordMapping([r for r in visible.resources_of(*LOOKUP_TYPES) if not is_entered_in_error(r)])
    for i in passed:
        row = snapshot.rows[i]
        if i in again:
            resource = visible.get(row[KEY])
            if resource is not None:
                mapping.add(resource)
        elif i in made:
            mapping.take(row[LIST], made[i])
    return mapping.record()
