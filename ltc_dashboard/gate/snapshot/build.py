"""Deriving a record's snapshot whole from its stored resources: the slow path, run at the first
open of a record, and whenever ltc_dashboard/gate/snapshot/changes.py cannot apply a write's changes alone.

It decodes each stored resource once, reads the gate's facts and maps it; letters and medicines
are mapped after every other resource has been read, through an index of all the record's lookups
(Binary, Medication, authors) that notes which of them each one asked for, found or not. It also
writes down what each viewer would otherwise work out again from every entry: which rows point at
each row (to hide what points at a withheld entry), and where each mapped entry falls in its
list's order (a stable sort of some of the entries is the sort of all of them, kept to those).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable

from ltc_dashboard import fhir_read
from ltc_dashboard.gate.policy import UNREADABLE_LABEL
from ltc_dashboard.gate.snapshot.codec import Unreadable, encode_model_list
from ltc_dashboard.gate.snapshot.facts import DIGEST_SIZE, UNCHECKED, digest, facts_of, shared_facts, unchecked_facts
from ltc_dashboard.gate.snapshot.layout import NO_DAY, PERMISSION_TYPES, SHARED_TYPES, Snapshot
from ltc_dashboard.record import stored_json
from ltc_dashboard.record.lookup_types import LOOKUP_TYPES, NEEDS_LOOKUPS, REFERENCED_ONLY  # their owner
from ltc_dashboard.record.mapping import RecordMapping, in_list_order, is_entered_in_error
from ltc_dashboard.record.mapping_common import Index
from ltc_dashboard.record.mapping_medications import group_key, merge
from ltc_dashboard.record.models import Letter, PatientInfo
from ltc_dashboard.record.references import ANY_TYPE, LOCAL, displayed_references, normal_reference



class AskedIndex(Index):
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
    deriving = Deriving()
    later: list[int] = []
    lookups: list[dict] = []
    for rtype, rid, text in texts:
        resource = stored_json.loads(text)
        i = deriving.add_facts(rtype, rid, text, resource)
        if rtype in LOOKUP_TYPES and not deriving.flags.get(i, 0) & UNCHECKED and not is_entered_in_error(resource):
            lookups.append(resource)
        if rtype in NEEDS_LOOKUPS:
            later.append(i)  # mapped once every lookup has been read
        elif rtype not in REFERENCED_ONLY:
            deriving.map_into(i, resource)
    wanted = {ref for refs_out in deriving.outward.values() for ref in refs_out
              if not ref.startswith("Binary/")} - deriving.position.keys()
    shared = [r for r in (fetch_shared(wanted) if wanted else []) if isinstance(r, dict)]
    deriving.shared_facts = shared_facts(shared)
    index = AskedIndex(lookups + [r for r in shared if not is_entered_in_error(r)])
    deriving.mapping.index = index
    expected = iter(later)
    for rtype, rid, text in texts_again(tuple(sorted(NEEDS_LOOKUPS))) if later else ():
        i = next(expected, None)
        if i is None or deriving.keys[i] != f"{rtype}/{rid}" or deriving.digests[
                i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE] != digest(text):
            raise Unreadable("the record changed while its snapshot was made")
        index.asked = set()
        mapped = deriving.map_into(i, stored_json.loads(text))
        if rtype == "DocumentReference" and mapped and isinstance(mapped[0], Letter):
            deriving.add_search_rows(i, rid, mapped[0])
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


class Deriving:
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
        self.ids: dict[str, list[int]] = {}  # id -> positions of that id (of any type)
        self.by_id: dict[str, list[int]] = {}  # id named by urn:uuid / urn:oid -> positions naming it
        self.unresolved: list[int] = []  # positions holding a reference that cannot be read
        self.shared_facts: dict[str, tuple] = {}
        self.naming: dict[str, list[int]] = {}  # shared resource -> rows naming it in their text
        self.search_rows: list[tuple] = []  # letters' search rows, kept with the snapshot

    def add_facts(self, rtype: str, rid: str, text: str, resource: dict) -> int:
        i = len(self.keys)
        if rtype in PERMISSION_TYPES:
            self.permissions.append(stored_json.loads(text))  # a copy of its own: never shared
        odd = fhir_read.odd_seen()
        try:  # one resource that cannot be read never stops the record: it is withheld, counted
            row_labels, row_flags, day, row_refs, urls = facts_of(resource, text)
        except Exception:  # noqa: BLE001  whatever failed, the entry is not classified
            row_labels, row_flags, day, row_refs, urls = unchecked_facts(resource, text)
        if UNREADABLE_LABEL in row_labels or fhir_read.odd_seen() != odd:  # (a Coding not in FHIR's shape)
            row_flags |= UNCHECKED  # (the gate withholds it and counts it: ltc_dashboard/gate/access.py)
            row_labels = tuple(sorted({*row_labels, UNREADABLE_LABEL}))
        self.types.append(sys.intern(rtype))
        key = f"{rtype}/{rid}"
        self.keys.append(key)
        self.position[key] = i
        self.digests += digest(text)
        self.days.append(NO_DAY if day is None else day)
        if rtype == "DocumentReference" and urls:  # a letter passes on the hiding of its Binary too
            attached = [u for u in urls if (n := normal_reference(u)) and n.startswith(("Binary/", ANY_TYPE))]
            row_refs = (*row_refs, *attached)
        row_refs = self._pointing(i, rtype, row_refs)
        if key in self.waiting:
            self.pointed.setdefault(i, []).extend(self.waiting.pop(key))
        self.ids.setdefault(rid, []).append(i)
        self.lists.append("other")
        if row_labels:
            self.labels[i] = row_labels
        if row_flags:
            self.flags[i] = row_flags
        pointing = {r for r in row_refs if r.split("/", 1)[0] in SHARED_TYPES}
        if rtype == "DocumentReference":
            binaries = {f"Binary/{u[len(ANY_TYPE):]}" if u.startswith(ANY_TYPE) else u
                        for u in map(normal_reference, urls) if u}
            pointing |= {r for r in (*row_refs, *binaries) if r.startswith("Binary/")}
        if pointing:
            self.outward[i] = tuple(sys.intern(r) for r in sorted(pointing))
            self._note_naming(i, resource, text, pointing)
        return i

    def _pointing(self, i: int, rtype: str, raw: tuple[str, ...]) -> set[str]:
        """Note what row i points at, each reference in its normal form (`normal_reference`):
        the rows it names now or once stored, the ids it names of any type (resolved when every
        row is in), and whether it holds one that cannot be read. The person is never hidden:
        pointing at them passes nothing on, and their own references are not followed."""
        found = set()
        for ref in raw:
            target = normal_reference(ref)
            if target is None:
                if rtype != "Patient":
                    self.unresolved.append(i)
                continue
            if target == LOCAL or target.startswith("Patient/"):
                continue
            found.add(target)
            if target.startswith(ANY_TYPE):
                self.by_id.setdefault(target[len(ANY_TYPE):], []).append(i)
                continue
            position = self.position.get(target)
            if position is None:
                self.waiting.setdefault(target, []).append(i)
            elif position != i:
                self.pointed.setdefault(position, []).append(i)
        return found

    def _note_naming(self, i: int, resource: dict, text: str, pointing: set[str]) -> None:
        """Note which shared resources row i names in its own text, and so shows whatever the
        viewer's lookups find: a medicine its prescription is about (its dose, its display), any
        other (a clinician, an organisation) whose Reference carries a display text. The gate
        hides the row from a viewer from whom that shared resource is withheld; a row that only
        points at a withheld clinician stays, mapped without them (map_visible)."""
        shared = [ref for ref in pointing if not ref.startswith("Binary/")]
        spelled = displayed_references(resource) if '"display"' in text and any(
            not r.startswith("Medication/") for r in shared) else ()
        for ref in shared:
            if ref.startswith("Medication/") or ref in spelled:
                self.naming.setdefault(ref, []).append(i)

    def map_into(self, i: int, resource: dict) -> tuple:
        """Map one resource into position i, and return its entries; one whose mapping fails is
        marked UNCHECKED (the gate withholds and counts it) and maps to nothing, and the rest of
        the record goes on."""
        try:
            name, entries = self.mapping.map_alone(resource)
            self.add_entries(i, name, entries)
            return entries
        except Exception:  # noqa: BLE001  a resource the mapping cannot read, whatever the cause
            self.labels[i] = tuple(sorted({*self.labels.get(i, ()), UNREADABLE_LABEL}))
            self.flags[i] = self.flags.get(i, 0) | UNCHECKED
            self.lists[i] = "other"
            return ()

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
        """The letter's search rows (ltc_dashboard/store/db.py): what its page shows whoever looks, and what it
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
        for rid, naming in self.by_id.items():  # an id of any type: every row with that id
            targets_of = [t for t in self.ids.get(rid, ()) if self.types[t] != "Patient"]
            if not targets_of and rid not in self.ids:
                # names nothing stored: it might be a withheld entry (the person is never hidden)
                self.unresolved.extend(n for n in naming if self.types[n] != "Patient")
            for target in targets_of:
                self.pointed.setdefault(target, []).extend(n for n in naming if n != target)
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
            shared_facts={ref: (*facts, tuple(self.naming.get(ref, ()))) for ref, facts in self.shared_facts.items()},
            unresolved=tuple(sorted(set(self.unresolved))),
            dangling={key: tuple(found) for key, found in self.waiting.items()},
            any_named={rid: tuple(naming) for rid, naming in self.by_id.items()},
            entries=Snapshot.encode_entries(self.by_list),
            search_rows=self.search_rows,
        )
