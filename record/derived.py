"""A record's snapshot: derived once from its stored resources, then read by the gate and the
mapping for every viewer (record/projection.py says what it is for and when it is made again).

`derive` is the slow path. It decodes each stored resource once, reads the gate's facts and maps
it; letters and medicines are mapped after every other resource has been read, through an index
of all the record's lookups (Binary, Medication, authors) that notes which of them each one asked
for, found or not. It also writes down what each viewer would otherwise work out again from every
entry: which rows point at each row (to hide what points at a withheld entry), and where each
mapped entry falls in its list's order (a stable sort of some of the entries is the sort of all
of them, kept to those).

The snapshot's layout is in record/snapshot.py.

`map_visible` is the fast path: the gate passed some rows to a viewer; their entries are made
from the snapshot, except where the viewer does not resolve the same references as the row did
(a letter whose Binary or author this viewer may not see): such an entry is mapped again, from
its stored text, through the viewer's own lookups, as `record.mapping.map_stored` does.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable

from record import stored_json
from record.mapping import (
    LOOKUP_TYPES, REFERENCED_ONLY, RecordMapping, in_list_order, is_entered_in_error, map_stored,
)
from record.mapping_common import Index
from record.mapping_medications import group_key, in_medicine_order, merge
from record.models import Letter, PatientInfo, PatientRecord
from record.projection import (
    DIGEST_SIZE, Unreadable, decode_model_list, digest, encode_model_list, facts_of,
)
from record.snapshot import NO_DAY, PERMISSION_TYPES, SHARED_TYPES, Snapshot

# Types whose mapping reads other resources through the index (record.mapping.Index).
_NEEDS_LOOKUPS = frozenset({"MedicationRequest", "MedicationStatement", "DocumentReference"})


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
           fetch_shared: Callable[[set[str]], list[dict]],
           texts_again: Callable[[tuple[str, ...]], Iterable[tuple[str, str, str]]]) -> Snapshot:
    """The snapshot of one record from its (type, id, stored JSON) rows in stored order.
    `fetch_shared` reads the shared resources (medicines, clinicians) the record points at;
    `texts_again` reads the record's rows of some types again, in the same order (letters and
    medicines are mapped in a second pass, rather than holding their texts meanwhile)."""
    deriving = _Deriving()
    later: list[int] = []
    lookups: list[dict] = []
    for rtype, rid, text in texts:
        resource = stored_json.loads(text)
        i = deriving.add_facts(rtype, rid, text, resource)
        if rtype in LOOKUP_TYPES and not is_entered_in_error(resource):
            lookups.append(resource)
        if rtype in _NEEDS_LOOKUPS:
            later.append(i)  # mapped once every lookup has been read
        elif rtype not in REFERENCED_ONLY:
            deriving.add_entries(i, *deriving.mapping.map_alone(resource))
    wanted = {ref for refs_out in deriving.outward.values() for ref in refs_out
              if not ref.startswith("Binary/")} - deriving.position.keys()
    index = _AskedIndex(lookups + [r for r in (fetch_shared(wanted) if wanted else [])
                                   if isinstance(r, dict) and not is_entered_in_error(r)])
    deriving.mapping.index = index
    expected = iter(later)
    for rtype, rid, text in texts_again(tuple(sorted(_NEEDS_LOOKUPS))) if later else ():
        i = next(expected, None)
        if i is None or deriving.keys[i] != f"{rtype}/{rid}" or deriving.digests[
                i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE] != digest(text):
            raise Unreadable("the record changed while its snapshot was made")
        index.asked = set()
        name, entries = deriving.mapping.map_alone(stored_json.loads(text))
        deriving.add_entries(i, name, entries)
        if rtype == "DocumentReference" and entries and isinstance(entries[0], Letter):
            deriving.add_search_rows(i, rid, entries[0])
        asked = tuple((key, index.found(key)) for key in sorted(index.asked))
        deriving.depends[i] = deriving.shared_depends.setdefault(asked, asked)  # one object each
    if next(expected, None) is not None:
        raise Unreadable("the record changed while its snapshot was made")
    return deriving.snapshot()


class _Sorted:
    """What a list's order reads of an entry (record.mapping.in_list_order): its date and id."""

    __slots__ = ("date", "id")

    def __init__(self, entry) -> None:
        self.date, self.id = getattr(entry, "date", None), entry.id


class _Deriving:
    """A snapshot being made, one resource at a time. Each resource's entries are encoded as soon
    as they are mapped, keeping only what the lists' order and the medicine groups need of them:
    a 100,000-resource record's mapped models are not all held at once."""

    def __init__(self) -> None:
        self.mapping = RecordMapping([])
        self.types: list[str] = []
        self.keys: list[str] = []
        self.digests = bytearray()
        self.days = array("i")
        self.pointed: dict[int, list[int]] = {}  # position -> positions pointing at it
        self.waiting: dict[str, list[int]] = {}  # key not stored yet -> positions pointing at it
        self.lists: list[str] = []
        self.labels: dict[int, tuple] = {}
        self.flags: dict[int, int] = {}
        self.outward: dict[int, tuple[str, ...]] = {}
        self.depends: dict[int, tuple] = {}
        self.shared_depends: dict[tuple, tuple] = {}  # marshal writes each distinct one once
        self.permissions: list[dict] = []
        self.position: dict[str, int] = {}
        self.by_list: dict[str, dict[int, tuple]] = {}
        self.seen: dict[str, dict] = {}  # per list blob: marshal shares repeated texts within it
        self.order_items: dict[str, list[tuple[int, int, _Sorted]]] = {}
        self.medicines: dict[int, object] = {}  # the requests, for their groups
        self.person: tuple[int, int] | None = None
        self.search_rows: list[tuple] = []  # letters' search rows, kept with the snapshot

    def add_facts(self, rtype: str, rid: str, text: str, resource: dict) -> int:
        i = len(self.keys)
        if rtype in PERMISSION_TYPES:
            self.permissions.append(stored_json.loads(text))  # a copy of its own: never shared
        row_labels, row_flags, day, row_refs, urls = facts_of(resource, text)
        self.types.append(sys.intern(rtype))
        key = f"{rtype}/{rid}"
        self.keys.append(key)
        self.position[key] = i
        self.digests += digest(text)
        self.days.append(NO_DAY if day is None else day)
        for ref in row_refs:  # the person is never hidden: pointing at them passes nothing on
            if not ref.startswith("Patient/"):
                target = self.position.get(ref)
                if target is None:
                    self.waiting.setdefault(ref, []).append(i)
                elif target != i:
                    self.pointed.setdefault(target, []).append(i)
        if key in self.waiting:
            self.pointed.setdefault(i, []).extend(self.waiting.pop(key))
        self.lists.append("other")
        if row_labels:
            self.labels[i] = row_labels
        if row_flags:
            self.flags[i] = row_flags
        pointing = {r for r in row_refs if r.split("/", 1)[0] in SHARED_TYPES}
        if rtype == "DocumentReference":
            pointing |= {r for r in (*row_refs, *urls) if r.startswith("Binary/")}
        if pointing:
            self.outward[i] = tuple(sys.intern(r) for r in sorted(pointing))
        return i

    def add_entries(self, i: int, name: str, entries: tuple) -> None:
        self.lists[i] = name = sys.intern(name)
        if not entries:
            return
        self.by_list.setdefault(name, {})[i] = encode_model_list(entries, self.seen.setdefault(name, {}))
        if name == "medicines":
            if entries[0].kind == "request":
                self.medicines[i] = entries[0]
        if name != "patient":
            self.order_items.setdefault(name, []).extend((i, j, _Sorted(e)) for j, e in enumerate(entries))
        elif self.person is not None:  # as record.mapping.RecordMapping.take
            self.order_items.setdefault("other", []).extend(
                (i, j, _Sorted(e)) for j, e in enumerate(entries) if j > 0)
        elif isinstance(entries[0], PatientInfo):
            self.person = (i, 0)
        else:
            self.order_items.setdefault("other", []).append((i, 0, _Sorted(entries[0])))

    def add_search_rows(self, i: int, rid: str, letter: Letter) -> None:
        """The letter's search rows (store/db.py): what its page shows whoever looks, and what it
        shows with the text of its Binary, with the digests of the texts they come from."""
        title, text = letter.title or "", letter.text or ""
        own = self.digests[i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE]
        binary = self.position.get(f"Binary/{letter.binary_id}") if letter.binary_id else None
        if binary is None:  # inline text, or a Binary not in the record (its text is not shown)
            self.search_rows.append((rid, "", own, None, f"{title}\n{text}".strip()))
            return
        self.search_rows.append((rid, "", own, None, title))
        if text:
            self.search_rows.append((rid, self.keys[binary], own,
                                     self.digests[binary * DIGEST_SIZE:(binary + 1) * DIGEST_SIZE],
                                     f"{title}\n{text}"))

    def letter_binaries(self) -> dict[int, tuple[str, ...]]:
        """What the gate reads of `outward` (which the snapshot does not keep whole: a 25,000
        resource record's medicines point at 5,000 of them): the Binaries of each letter."""
        found = {}
        for i, refs_out in self.outward.items():
            binaries = tuple(ref for ref in refs_out if ref.startswith("Binary/"))
            if binaries and self.types[i] == "DocumentReference":
                found[i] = binaries
        return found

    def snapshot(self) -> Snapshot:
        """The columns, the referrers, each list's order and the medicine groups."""
        offsets, targets = array("i", [0]), array("i")
        for i in range(len(self.keys)):
            targets.extend(sorted(self.pointed.get(i, ())))
            offsets.append(len(targets))
        orders = {}
        for name, items in self.order_items.items():
            ordered = in_list_order(name, items, lambda item: item[2])
            orders[name] = (array("i", (i for i, _, _ in ordered)), array("i", (j for _, j, _ in ordered)))
        groups: dict[str, list[int]] = {}
        for i, single in self.medicines.items():
            groups.setdefault(group_key(single), []).append(i)
        shared_refs: dict[str, list[int]] = {}
        for i, refs_out in self.outward.items():
            for ref in refs_out:
                if ref.split("/", 1)[0] in SHARED_TYPES:
                    shared_refs.setdefault(ref, []).append(i)
        types = self.types
        return Snapshot(
            types=tuple(types), keys=tuple(self.keys), digests=bytes(self.digests), days=self.days,
            labels=self.labels, flags=self.flags, ref_offsets=offsets, ref_targets=targets,
            letter_binaries=self.letter_binaries(), depends=self.depends, lists=tuple(self.lists), orders=orders,
            person=self.person,
            letters=tuple(i for i, t in enumerate(types) if t == "DocumentReference"),
            binaries=tuple(i for i, t in enumerate(types) if t == "Binary"),
            permissions=tuple(self.permissions),
            medicine_groups=tuple(
                (tuple(members), encode_model_list((merge([self.medicines[i] for i in members]),), {}))
                for members in groups.values()),
            shared_refs={ref: tuple(found) for ref, found in shared_refs.items()},
            entries=Snapshot.encode_entries(self.by_list),
            search_rows=self.search_rows,
        )


def map_visible(visible, memo: dict) -> PatientRecord:
    """The viewer's record from the snapshot rows the gate passed (`VisibleRecord.take_rows`);
    when the visible record has none to give (already taken), from its stored texts as before.
    `memo` (one per record and data version, shared by its viewers) keeps, under "snapshot", the
    models made from one snapshot (`_Made`); made from another, they are replaced."""
    taken = visible.take_rows()
    if taken is None:
        return map_stored(visible.stored_texts(), visible.resources_of(*LOOKUP_TYPES), memo)
    snapshot, passed = taken
    made = memo.get("snapshot")
    if made is None or made.digests != snapshot.digests:
        made = memo["snapshot"] = _Made(snapshot)
    try:
        record = _from_snapshot(visible, snapshot, passed, made)
    except (Unreadable, IndexError):  # damaged entries, or ones that do not match the facts:
        # map the passed entries from their texts
        memo.pop("snapshot", None)
        record = map_stored(visible.stored_texts(), visible.resources_of(*LOOKUP_TYPES), {})
    visible.check_current()  # a sync during the open: the service opens it again
    return record


class _Made:
    """The models made from one snapshot's entries, shared by the viewers of one data version:
    `entries[i]` is position i's models once made (None before), `groups` the merged medicine
    of each group made so far. It holds no part of the snapshot itself (whose decoded entries
    are several times the size of the models), only its digests, to know it."""

    __slots__ = ("digests", "entries", "groups")

    def __init__(self, snapshot: Snapshot) -> None:
        self.digests = snapshot.digests
        self.entries: list[tuple | None] = [None] * len(snapshot.keys)
        self.groups: dict[int, object] = {}

    def at(self, i: int, snapshot: Snapshot) -> tuple:
        models = self.entries[i]
        if models is None:
            models = self.entries[i] = decode_model_list(snapshot.encoded_at(i))
        return models


def _from_snapshot(visible, snapshot: Snapshot, passed: list[int], made: _Made) -> PatientRecord:
    """The record from the snapshot: each list's visible entries made in stored order (the order
    marshal laid them out in memory), then walked in the list's order."""
    depends = snapshot.depends
    shown = set(passed)
    again: set[int] = set()
    differs: dict[tuple, bool] = {}  # per distinct lookups (most medicines read the same few)
    for i in depends.keys() & shown:
        asked = depends[i]
        verdict = differs.get(asked)
        if verdict is None:
            verdict = differs[asked] = any(found != visible.sees(ref) for ref, found in asked)
        if verdict:
            again.add(i)  # this viewer resolves its references differently
    if again:
        models = {i: made.at(i, snapshot) for i in passed if snapshot.types[i] not in REFERENCED_ONLY and i not in again}
        return _map_in_stored_order(visible, snapshot, passed, models, again)
    entries = made.entries
    lists = {}
    for name, (rows, items) in snapshot.orders.items():
        if name == "medicines":
            continue
        for i, encoded in zip(*snapshot.entries_of(name)):
            if entries[i] is None and i in shown:
                entries[i] = decode_model_list(encoded)
        # (a Patient's further entries are listed here but kept with its own list: made by `at`)
        lists[name] = [(entries[i] or made.at(i, snapshot))[j] for i, j in zip(rows, items) if i in shown]
    person = snapshot.person
    medicines = {i for i in shown if snapshot.lists[i] == "medicines"}
    return RecordMapping.assemble(
        made.at(person[0], snapshot)[0] if person and person[0] in shown else None, lists,
        _medications(snapshot, medicines, made))


def _medications(snapshot: Snapshot, visible: set[int], made: _Made) -> list:
    """The viewer's medicines as record.mapping_medications.group_medications makes them: a
    group whose requests are all visible is the snapshot's merged one; otherwise its visible
    requests are merged here. Statements stay as they are."""
    grouped: set[int] = set()
    found = []
    for number, (members, merged) in enumerate(snapshot.medicine_groups):
        grouped.update(members)
        shown = [i for i in members if i in visible]
        if len(shown) == len(members):
            if number not in made.groups:
                made.groups[number] = decode_model_list(merged)[0]
            found.append(made.groups[number])
        elif shown:
            found.append(merge([made.at(i, snapshot)[0] for i in shown]))
    statements = [made.at(i, snapshot)[0] for i in sorted(visible - grouped)]
    return in_medicine_order(statements + found)


def _map_in_stored_order(visible, snapshot: Snapshot, passed: list[int], made: dict[int, tuple],
                         again: set[int]) -> PatientRecord:
    """The record as `map_stored` makes it, for a viewer some of whose entries had to be mapped
    again through their own lookups (then every list is sorted afresh)."""
    mapping = RecordMapping([r for r in visible.resources_of(*LOOKUP_TYPES) if not is_entered_in_error(r)])
    for i in passed:
        if i in again:
            resource = visible.get(snapshot.keys[i])
            if resource is not None:
                mapping.add(resource)
        elif i in made:
            mapping.take(snapshot.lists[i], made[i])
    return mapping.record()
