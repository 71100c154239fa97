"""A record's snapshot: derived once from its stored resources, then read by the gate and the
mapping for every viewer (record/projection.py says what it is for and when it is made again).

`derive` is the slow path. It decodes each stored resource once, reads the gate's facts and maps
it; letters and medicines are mapped after every other resource has been read, through an index
of all the record's lookups (Binary, Medication, authors) that notes which of them each one asked
for, found or not. It also writes down what each viewer would otherwise work out again from every
entry: which rows point at each row (to hide what points at a withheld entry), and where each
mapped entry falls in its list's order (a stable sort of some of the entries is the sort of all
of them, kept to those).

The snapshot is held in columns, one value per stored resource in stored order, with what most
resources lack (labels, flags, references outside the record, lookups) kept only where present:
reading 25,000 resources' facts back then makes a few Python objects per resource, not dozens.

`map_visible` is the fast path: the gate passed some rows to a viewer; their entries are made
from the snapshot, except where the viewer does not resolve the same references as the row did
(a letter whose Binary or author this viewer may not see): such an entry is mapped again, from
its stored text, through the viewer's own lookups, as `record.mapping.map_stored` does.
"""

from __future__ import annotations

import marshal
import sys
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from record import stored_json
from record.mapping import (
    LOOKUP_TYPES, REFERENCED_ONLY, RecordMapping, in_list_order, is_entered_in_error, map_stored,
)
from record.mapping_common import Index
from record.mapping_medications import group_key, in_medicine_order, merge
from record.models import PatientInfo, PatientRecord
from record.projection import (
    BUILDERS, DIGEST_SIZE, Unreadable, decode_model_list, digest, encode_model_list, facts_of,
)

# Types whose mapping reads other resources through the index (record.mapping.Index).
_NEEDS_LOOKUPS = frozenset({"MedicationRequest", "MedicationStatement", "DocumentReference"})
# Resources of no patient that entries point at (store.shared).
SHARED_TYPES = frozenset({"Medication", "Practitioner", "PractitionerRole", "Organization", "Location"})
PERMISSION_TYPES = ("Consent", "RelatedPerson")
NO_DAY = -1  # in `days`: the resource has no clinical date


@dataclass
class Snapshot:
    """One record's derived facts and entries, one position per stored resource (stored order).

    types, keys: each resource's type and `Type/id`; digests: DIGEST_SIZE bytes a resource, of its
    stored text; days: its clinical day number (NO_DAY if none); labels, flags: security labels and
    record.projection flags, where there are any; ref_offsets, ref_targets: the positions of the
    resources that point at each one (those of position i are ref_targets[ref_offsets[i]:
    ref_offsets[i + 1]]); outward: what a resource points at outside the record (shared medicines
    and clinicians; a letter's Binary), where it does; depends: the (Type/id, found) pairs a letter
    or medicine read through references; lists: the PatientRecord list each maps into; orders: per
    list, (positions, entry numbers) in the list's order; person: where the record's person is;
    letters, binaries: positions of those types; permissions: the Consents and RelatedPersons as
    stored (record/policy.py reads them); medicine_groups: the positions of each medicine's
    requests with what they merge into (record.mapping_medications.merge), used when a viewer
    sees all of them; shared_refs: each shared resource (medicine, clinician) with the positions
    that point at it; entries: the encoded entries of every position, one blob per list, each
    decoded only when the mapping needs it (`entries_of`)."""

    types: tuple[str, ...]
    keys: tuple[str, ...]
    digests: bytes
    days: array
    labels: dict[int, tuple]
    flags: dict[int, int]
    ref_offsets: array
    ref_targets: array
    outward: dict[int, tuple[str, ...]]
    depends: dict[int, tuple]
    lists: tuple[str, ...]
    orders: dict[str, tuple[array, array]]
    person: tuple[int, int] | None
    letters: tuple[int, ...]
    binaries: tuple[int, ...]
    permissions: tuple[dict, ...]
    medicine_groups: tuple[tuple[tuple[int, ...], tuple], ...]
    shared_refs: dict[str, tuple[int, ...]]
    entries: bytes
    _decoded: list = field(default_factory=list, repr=False)

    def digest_at(self, position: int) -> bytes:
        return self.digests[position * DIGEST_SIZE:(position + 1) * DIGEST_SIZE]

    def referrers(self, position: int) -> array:
        return self.ref_targets[self.ref_offsets[position]:self.ref_offsets[position + 1]]

    def entries_of(self, list_name: str) -> dict[int, tuple]:
        """The encoded entries (record.projection.encode_model_list) of the positions that map
        into one PatientRecord list, by position; decoded once."""
        if not self._decoded:
            try:
                self._decoded.append(marshal.loads(self.entries))
            except (ValueError, TypeError, EOFError, OverflowError) as problem:
                raise Unreadable("snapshot entries") from problem
            if not isinstance(self._decoded[0], dict):
                raise Unreadable("snapshot entries")
        lists = self._decoded[0]
        found = lists.get(list_name, {})
        if isinstance(found, bytes):
            try:
                found = lists[list_name] = marshal.loads(found)
            except (ValueError, TypeError, EOFError, OverflowError) as problem:
                raise Unreadable("snapshot entries") from problem
        if not isinstance(found, dict):
            raise Unreadable("snapshot entries")
        return found

    # What is kept in the store: the facts in one blob, the entries in another.
    _FACTS = ("types", "keys", "digests", "days", "labels", "flags", "ref_offsets", "ref_targets",
              "outward", "depends", "lists", "orders", "person", "letters", "binaries", "permissions",
              "medicine_groups", "shared_refs")

    def facts_blob(self) -> tuple:
        """The facts as plain values marshal can keep (arrays as bytes)."""
        values = []
        for name in self._FACTS:
            value = getattr(self, name)
            if isinstance(value, array):
                value = value.tobytes()
            elif name == "orders":
                value = {k: (rows.tobytes(), items.tobytes()) for k, (rows, items) in value.items()}
            values.append(value)
        return tuple(values)

    @classmethod
    def from_blobs(cls, facts: tuple, entries: bytes) -> "Snapshot":
        """The snapshot `facts_blob` and its entries blob describe; Unreadable if they do not."""
        try:
            values = dict(zip(cls._FACTS, facts, strict=True))
            for name in ("days", "ref_offsets", "ref_targets"):
                values[name] = _ints(values[name])
            values["orders"] = {k: (_ints(rows), _ints(items)) for k, (rows, items) in values["orders"].items()}
            snapshot = cls(**values, entries=entries)
        except (ValueError, TypeError, AttributeError) as problem:
            raise Unreadable("snapshot facts") from problem
        count = len(snapshot.keys)
        if (len(snapshot.types) != count or len(snapshot.days) != count or len(snapshot.lists) != count
                or len(snapshot.digests) != count * DIGEST_SIZE or len(snapshot.ref_offsets) != count + 1):
            raise Unreadable("snapshot facts")
        return snapshot


def _ints(data: bytes) -> array:
    values = array("i")
    values.frombytes(data)
    return values


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
    types, keys, digests, days, refs, lists, mapped = [], [], [], [], [], [], []
    labels, flags, outward, depends = {}, {}, {}, {}
    later: list[tuple[int, str]] = []
    lookups: list[dict] = []
    permissions: list[dict] = []
    mapping = RecordMapping([])
    for rtype, rid, text in texts:
        i = len(keys)
        resource = stored_json.loads(text)
        if rtype in PERMISSION_TYPES:
            permissions.append(stored_json.loads(text))  # a copy of its own: never shared
        row_labels, row_flags, day, row_refs, urls = facts_of(resource, text)
        types.append(sys.intern(rtype))
        keys.append(f"{rtype}/{rid}")
        digests.append(digest(text))
        days.append(NO_DAY if day is None else day)
        refs.append(row_refs)
        if row_labels:
            labels[i] = row_labels
        if row_flags:
            flags[i] = row_flags
        pointing = {r for r in row_refs if r.split("/", 1)[0] in SHARED_TYPES}
        if rtype == "DocumentReference":
            pointing |= {r for r in (*row_refs, *urls) if r.startswith("Binary/")}
        if pointing:
            outward[i] = tuple(sys.intern(r) for r in sorted(pointing))
        if rtype in LOOKUP_TYPES and not is_entered_in_error(resource):
            lookups.append(resource)
        if rtype in _NEEDS_LOOKUPS:
            lists.append("other")
            mapped.append(())
            later.append((i, text))  # mapped once every lookup has been read
        elif rtype in REFERENCED_ONLY:
            lists.append("other")
            mapped.append(())
        else:
            name, entries = mapping.map_alone(resource)
            lists.append(sys.intern(name))
            mapped.append(entries)
    position = {key: i for i, key in enumerate(keys)}
    wanted = {ref for refs_out in outward.values() for ref in refs_out if not ref.startswith("Binary/")}
    wanted -= position.keys()
    index = _AskedIndex(lookups + [r for r in (fetch_shared(wanted) if wanted else [])
                                   if isinstance(r, dict) and not is_entered_in_error(r)])
    mapping.index = index
    for i, text in later:
        index.asked = set()
        name, mapped[i] = mapping.map_alone(stored_json.loads(text))
        lists[i] = sys.intern(name)
        depends[i] = tuple((key, index.found(key)) for key in sorted(index.asked))
    return _finish(types, keys, digests, days, refs, position, lists, mapped, labels, flags,
                   outward, depends, tuple(permissions))


def _finish(types, keys, digests, days, refs, position, lists, mapped, labels, flags, outward,
            depends, permissions) -> Snapshot:
    """The columns, the referrers, each list's order and the person, and the encoded entries."""
    pointed: list[list[int]] = [[] for _ in keys]
    for i, row_refs in enumerate(refs):
        for ref in row_refs:
            target = position.get(ref)
            if target is not None:
                pointed[target].append(i)
    offsets, targets = array("i", [0]), array("i")
    for found in pointed:
        targets.extend(found)
        offsets.append(len(targets))
    found: dict[str, list[tuple[int, int, object]]] = {}
    person = None
    for i, entries in enumerate(mapped):
        if lists[i] != "patient":
            found.setdefault(lists[i], []).extend((i, j, e) for j, e in enumerate(entries))
        elif person is not None:  # as record.mapping.RecordMapping.take
            found.setdefault("other", []).extend((i, j, e) for j, e in enumerate(entries) if j > 0)
        elif isinstance(entries[0], PatientInfo):
            person = (i, 0)
        else:
            found.setdefault("other", []).append((i, 0, entries[0]))
    orders = {}
    for name, items in found.items():
        ordered = in_list_order(name, items, lambda item: item[2])
        orders[sys.intern(name)] = (array("i", (i for i, _, _ in ordered)), array("i", (j for _, j, _ in ordered)))
    groups: dict[str, list[int]] = {}
    for i, entries in enumerate(mapped):
        if lists[i] == "medicines" and entries[0].kind == "request":
            groups.setdefault(group_key(entries[0]), []).append(i)
    medicine_groups = tuple(
        (tuple(members), encode_model_list((merge([mapped[i][0] for i in members]),), {}))
        for members in groups.values())
    shared_refs: dict[str, list[int]] = {}
    for i, refs_out in outward.items():
        for ref in refs_out:
            if ref.split("/", 1)[0] in SHARED_TYPES:
                shared_refs.setdefault(ref, []).append(i)
    by_list: dict[str, dict[int, tuple]] = {}
    seen: dict = {}  # one per list blob: marshal shares repeated texts within a blob
    for i, entries in enumerate(mapped):
        if entries:
            by_list.setdefault(lists[i], {})[i] = encode_model_list(entries, seen)
    return Snapshot(
        types=tuple(types), keys=tuple(keys), digests=b"".join(digests), days=array("i", days),
        labels=labels, flags=flags, ref_offsets=offsets, ref_targets=targets, outward=outward,
        depends=depends, lists=tuple(lists), orders=orders, person=person,
        letters=tuple(i for i, t in enumerate(types) if t == "DocumentReference"),
        binaries=tuple(i for i, t in enumerate(types) if t == "Binary"),
        permissions=permissions, medicine_groups=medicine_groups,
        shared_refs={ref: tuple(found) for ref, found in shared_refs.items()},
        entries=marshal.dumps({name: marshal.dumps(found) for name, found in by_list.items()}),
    )


def map_visible(visible, memo: dict) -> PatientRecord:
    """The viewer's record from the snapshot rows the gate passed (`VisibleRecord.take_rows`);
    when the visible record has none to give (already taken), from its stored texts as before.
    `memo` (one per record and data version, shared by its viewers) keeps each position's
    models for the snapshot whose digests it holds under "snapshot"; filled from another, it is
    emptied first."""
    taken = visible.take_rows()
    if taken is None:
        return map_stored(visible.stored_texts(), visible.resources_of(*LOOKUP_TYPES), memo)
    snapshot, passed = taken
    if memo.get("snapshot") != snapshot.digests:
        for position in [k for k in memo if isinstance(k, int)]:
            del memo[position]
        memo["snapshot"] = snapshot.digests
    try:
        return _from_snapshot(visible, snapshot, passed, memo)
    except Unreadable:  # a damaged entries blob: map the passed entries from their texts
        record = map_stored(visible.stored_texts(), visible.resources_of(*LOOKUP_TYPES), {})
        visible.check_current()
        return record


def _from_snapshot(visible, snapshot: Snapshot, passed: list[int], memo: dict) -> PatientRecord:
    """The record from the snapshot: each list walked once in its order, each entry made once
    (or taken from the memo)."""
    depends = snapshot.depends
    shown = set(passed)
    seen = None  # every visible key, made only if a letter or medicine needs it
    again: set[int] = set()
    for i in depends.keys() & shown:
        seen = visible.key_set if seen is None else seen
        if any(found != (ref in seen) for ref, found in depends[i]):
            again.add(i)  # this viewer resolves its references differently
    encoded = _Encoded(snapshot)
    if again:
        made = {i: _entry_models(i, encoded, memo) for i in passed
                if snapshot.types[i] not in REFERENCED_ONLY and i not in again}
        record = _map_in_stored_order(visible, snapshot, passed, made, again)
        visible.check_current()
        return record
    builders, lists = BUILDERS, {}
    for name, (rows, items) in snapshot.orders.items():
        if name == "medicines":
            continue
        found, out = snapshot.entries_of(name), []
        for i, j in zip(rows, items):
            if i in shown:
                models = memo.get(i)
                if models is None:
                    entries = found.get(i)
                    if entries is None:  # listed here but kept with its own list (a Patient)
                        entries = encoded[i]
                    if len(entries) == 1:  # most resources map to one entry
                        (kind, values), = entries
                        models = memo[i] = (builders[kind](values),)
                    else:
                        models = memo[i] = decode_model_list(entries)
                out.append(models[j])
        lists[name] = out
    person = snapshot.person
    medicines = {i for i in shown if snapshot.lists[i] == "medicines"}
    record = RecordMapping.assemble(
        _entry_models(person[0], encoded, memo)[0] if person and person[0] in shown else None, lists,
        _medications(snapshot, medicines, encoded, memo))
    visible.check_current()  # a sync during the open: the service opens it again
    return record


def _entry_models(i: int, encoded: "_Encoded", memo: dict) -> tuple:
    if i not in memo:
        memo[i] = decode_model_list(encoded[i])
    return memo[i]


class _Encoded:
    """Encoded entries by position, each list's blob decoded when one of its positions is asked."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot, self.lists, self.by_list = snapshot, snapshot.lists, {}

    def __getitem__(self, position: int) -> tuple:
        name = self.lists[position]
        found = self.by_list.get(name)
        if found is None:
            found = self.by_list[name] = self.snapshot.entries_of(name)
        return found.get(position, ())


def _medications(snapshot: Snapshot, visible: set[int], encoded: _Encoded, memo: dict) -> list:
    """The viewer's medicines as record.mapping_medications.group_medications makes them: a
    group whose requests are all visible is the snapshot's merged one; otherwise its visible
    requests are merged here. Statements stay as they are."""
    grouped: set[int] = set()
    found = []
    for number, (members, merged) in enumerate(snapshot.medicine_groups):
        grouped.update(members)
        shown = [i for i in members if i in visible]
        if len(shown) == len(members):
            key = ("medicine group", number)
            if key not in memo:
                memo[key] = decode_model_list(merged)[0]
            found.append(memo[key])
        elif shown:
            found.append(merge([_entry_models(i, encoded, memo)[0] for i in shown]))
    statements = [_entry_models(i, encoded, memo)[0] for i in sorted(visible - grouped)]
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
