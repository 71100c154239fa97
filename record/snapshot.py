"""A record's snapshot, as record/derived.py makes it and the gate and the mapping read it.

It is held in columns, one value per stored resource in stored order, with what most resources
lack (labels, flags, references outside the record, lookups) kept only where present: reading
25,000 resources' facts back then makes a few Python objects per resource, not dozens. What it is
for and when it is made again: record/projection.py.
"""

from __future__ import annotations

import marshal
from array import array
from dataclasses import dataclass, field

from record.projection import DIGEST_SIZE, Unreadable

# Resources of no patient that entries point at (store.shared).
SHARED_TYPES = frozenset({"Medication", "Practitioner", "PractitionerRole", "Organization", "Location"})
PERMISSION_TYPES = ("Consent", "RelatedPerson")
NO_DAY = -1  # in `days`: the resource has no clinical date
_NO_ENTRIES = (array("i"), [])


@dataclass
class Snapshot:
    """One record's derived facts and entries, one position per stored resource (stored order).

    types, keys: each resource's type and `Type/id`; digests: DIGEST_SIZE bytes a resource, of its
    stored text; days: its clinical day number (NO_DAY if none); labels, flags: security labels and
    record.projection flags, where there are any; ref_offsets, ref_targets: the positions of the
    resources that point at each one (those of position i are ref_targets[ref_offsets[i]:
    ref_offsets[i + 1]]); letter_binaries: the Binaries each letter points at, where it does;
    depends: the (Type/id, found) pairs a letter or medicine read through references; lists: the
    PatientRecord list each maps into; orders: per list, (positions, entry numbers) in the list's
    order; person: where the record's person is;
    letters, binaries: positions of those types; permissions: the Consents and RelatedPersons as
    stored (record/policy.py reads them); medicine_groups: the positions of each medicine's
    requests with what they merge into (record.mapping_medications.merge), used when a viewer
    sees all of them; shared_refs: each shared resource (medicine, clinician) with the positions
    that point at it; shared_facts: the labels and flags of those shared resources that have any
    (record.projection.shared_facts), with the positions that name each in their own text;
    unresolved: the positions holding a reference that names
    no stored resource it can be resolved to (record.references.normal_reference); entries: the encoded entries of every position, one blob per list (its
    positions and their entries, in stored order), each decoded only when the mapping needs it
    (`entries_of`)."""

    types: tuple[str, ...]
    keys: tuple[str, ...]
    digests: bytes
    days: array
    labels: dict[int, tuple]
    flags: dict[int, int]
    ref_offsets: array
    ref_targets: array
    letter_binaries: dict[int, tuple[str, ...]]
    depends: dict[int, tuple]
    lists: tuple[str, ...]
    orders: dict[str, tuple[array, array]]
    person: tuple[int, int] | None
    letters: tuple[int, ...]
    binaries: tuple[int, ...]
    permissions: tuple[dict, ...]
    medicine_groups: tuple[tuple[tuple[int, ...], tuple], ...]
    shared_refs: dict[str, tuple[int, ...]]
    shared_facts: dict[str, tuple]
    unresolved: tuple[int, ...]
    entries: bytes
    # The letters' search rows (record.derived), made with the snapshot and kept by the store
    # beside it (store/db.py); not part of the snapshot's blobs, so empty once read back.
    search_rows: list = field(default_factory=list, repr=False)
    _decoded: list = field(default_factory=list, repr=False)
    _where: dict = field(default_factory=dict, repr=False)  # list -> {position: index in it}

    def digest_at(self, position: int) -> bytes:
        return self.digests[position * DIGEST_SIZE:(position + 1) * DIGEST_SIZE]

    def referrers(self, position: int) -> array:
        return self.ref_targets[self.ref_offsets[position]:self.ref_offsets[position + 1]]

    def naming_withheld_shared(self, hidden_labels: frozenset, flags: int) -> list[int]:
        """The positions that name, in their own text, a shared resource withheld for these
        labels or flags (record.derived: a prescription its medicine, an entry a clinician
        whose reference carries a display)."""
        return [i for labels, has, naming in self.shared_facts.values()
                if has & flags or hidden_labels.intersection(labels) for i in naming]

    def entries_of(self, list_name: str) -> tuple[array, list]:
        """The positions that map into one PatientRecord list, in stored order, and their
        encoded entries (record.projection.encode_model_list), in step; decoded once."""
        if not self._decoded:
            try:
                self._decoded.append(marshal.loads(self.entries))
            except (ValueError, TypeError, EOFError, OverflowError) as problem:
                raise Unreadable("snapshot entries") from problem
            if not isinstance(self._decoded[0], dict):
                raise Unreadable("snapshot entries")
        lists = self._decoded[0]
        found = lists.get(list_name, _NO_ENTRIES)
        if isinstance(found, bytes):
            try:
                positions, encoded = marshal.loads(found)
                found = lists[list_name] = (_ints(positions), encoded)
            except (ValueError, TypeError, EOFError, OverflowError) as problem:
                raise Unreadable("snapshot entries") from problem
        if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], list)
                and len(found[0]) == len(found[1])):
            raise Unreadable("snapshot entries")
        return found

    def encoded_at(self, position: int) -> tuple | list:
        """The encoded entries of one position (none for a resource that maps to nothing)."""
        name = self.lists[position]
        where = self._where.get(name)
        if where is None:
            positions, _ = self.entries_of(name)
            where = self._where[name] = {p: n for n, p in enumerate(positions)}
        n = where.get(position)
        return () if n is None else self.entries_of(name)[1][n]

    @staticmethod
    def encode_entries(by_list: dict[str, dict[int, tuple | list]]) -> bytes:
        """The entries blob: per list, its positions (as bytes) and their encoded entries."""
        return marshal.dumps({name: marshal.dumps((array("i", found).tobytes(), list(found.values())))
                              for name, found in by_list.items()})

    # What is kept in the store: the facts in one blob, the entries in another.
    _FACTS = ("types", "keys", "digests", "days", "labels", "flags", "ref_offsets", "ref_targets",
              "letter_binaries", "depends", "lists", "orders", "person", "letters", "binaries", "permissions",
              "medicine_groups", "shared_refs", "shared_facts", "unresolved")

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
