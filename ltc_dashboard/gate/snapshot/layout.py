"""A record's snapshot as the gate and the mapping read it (ltc_dashboard/gate/snapshot/__init__.py: what it
holds and when it is valid).

It is held in columns, one value per stored resource in stored order, with what most resources
lack (labels, flags, references outside the record, lookups) kept only where present: reading
25,000 resources' facts back then makes a few Python objects per resource, not dozens.
"""

from __future__ import annotations

import marshal
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from ltc_dashboard.gate.snapshot.codec import Unreadable
from ltc_dashboard.gate.snapshot.facts import DIGEST_SIZE
from ltc_dashboard.record.lookup_types import PERMISSION_TYPES, SHARED_TYPES  # noqa: F401  (their owner; read here by build.py)

NO_DAY = -1  # in `days`: the resource has no clinical date
_NO_ENTRIES = (b"", [])
CHUNK = 512  # positions per chunk of a list's entries (`encode_entries`)


@dataclass
class Snapshot:
    """One record's derived facts and entries, one position per stored resource (stored order).

    types, keys: each resource's type and `Type/id`; digests: DIGEST_SIZE bytes a resource, of its
    stored text; days: its clinical day number (NO_DAY if none); labels, flags: security labels and
    gate.snapshot.facts flags, where there are any; ref_offsets, ref_targets: the positions of the
    resources that point at each one (those of position i are ref_targets[ref_offsets[i]:
    ref_offsets[i + 1]]); letter_binaries: the Binaries each letter points at, where it does;
    depends: the (Type/id, found) pairs a letter or medicine read through references; lists: the
    PatientRecord list each maps into; orders: per list, (positions, entry numbers) in the list's
    order; person: where the record's person is;
    letters, binaries: positions of those types; permissions: the Consents and RelatedPersons as
    stored (ltc_dashboard/gate/policy.py reads them); medicine_groups: the positions of each medicine's
    requests with what they merge into (record.mapping_medications.merge), used when a viewer
    sees all of them; shared_refs: each shared resource (medicine, clinician) with the positions
    that point at it; shared_facts: the labels and flags of those shared resources that have any
    (gate.snapshot.facts.shared_facts), with the positions that name each in their own text;
    unresolved: the positions holding a reference that names
    no stored resource it can be resolved to (record.references.normal_reference); dangling: each
    `Type/id` named by a reference that no row of the record holds (a shared resource, or one not
    stored yet), with the positions naming it; any_named: each id named with no type (urn:uuid,
    urn:oid) with the positions naming it (these two are read by ltc_dashboard/gate/snapshot/changes.py, to
    know when a new row would be pointed at); entries: the encoded entries of every position,
    per list in chunks of CHUNK positions (their positions and entries, in stored order: see
    `encode_entries`), each list decoded only when the mapping needs it (`entries_of`)."""

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
    dangling: dict[str, tuple[int, ...]]
    any_named: dict[str, tuple[int, ...]]
    entries: bytes
    # The letters' search rows (ltc_dashboard/gate/snapshot/build.py), made with the snapshot and kept by the store
    # beside it (ltc_dashboard/store/db.py); not part of the snapshot's blobs, so empty once read back.
    search_rows: list = field(default_factory=list, repr=False)
    _decoded: list = field(default_factory=list, repr=False)
    _where: dict = field(default_factory=dict, repr=False)  # list -> {position: index in it}

    def digest_at(self, position: int) -> bytes:
        return self.digests[position * DIGEST_SIZE:(position + 1) * DIGEST_SIZE]

    def referrers(self, position: int) -> array:
        return self.ref_targets[self.ref_offsets[position]:self.ref_offsets[position + 1]]

    def naming_withheld_shared(self, hidden_labels: frozenset, flags: int) -> list[int]:
        """The positions that name, in their own text, a shared resource withheld for these
        labels or flags (ltc_dashboard/gate/snapshot/build.py: a prescription its medicine, an entry a clinician
        whose reference carries a display)."""
        return [i for labels, has, naming in self.shared_facts.values()
                if has & flags or hidden_labels.intersection(labels) for i in naming]

    def entries_of(self, list_name: str) -> tuple[array, list]:
        """The positions that map into one PatientRecord list, in stored order, and their
        encoded entries (gate.snapshot.codec.encode_model_list), in step; decoded once."""
        if not self._decoded:
            try:
                self._decoded.append(marshal.loads(self.entries))
            except (ValueError, TypeError, EOFError, OverflowError) as problem:
                raise Unreadable("snapshot entries") from problem
            if not isinstance(self._decoded[0], dict):
                raise Unreadable("snapshot entries")
        lists = self._decoded[0]
        found = lists.get(list_name, _NO_ENTRIES)
        if not isinstance(found, tuple) or len(found) != 2 or not isinstance(found[0], array):
            positions, encoded = array("i"), []
            try:
                for chunk in found[1]:
                    some, entries = marshal.loads(chunk)
                    positions.frombytes(some)
                    encoded += entries
            except (ValueError, TypeError, EOFError, OverflowError, IndexError) as problem:
                raise Unreadable("snapshot entries") from problem
            found = lists[list_name] = (positions, encoded)
        if not (isinstance(found[1], list) and len(found[0]) == len(found[1])):
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
        """The entries blob: per list, the first position of each chunk (as bytes) and the chunks,
        each CHUNK positions (as bytes) and their encoded entries, in stored order. Chunks let
        ltc_dashboard/gate/snapshot/changes.py rewrite the part of a list a change falls in, not all of it."""
        lists = {}
        for name, found in by_list.items():
            ordered = sorted(found)
            parts = [ordered[n:n + CHUNK] for n in range(0, len(ordered), CHUNK)]
            lists[name] = (array("i", [part[0] for part in parts]).tobytes(),
                           [encode_chunk(part, [found[i] for i in part]) for part in parts])
        return marshal.dumps(lists)

    # What is kept in the store: the facts in one blob, the entries in another.
    _FACTS = ("types", "keys", "digests", "days", "labels", "flags", "ref_offsets", "ref_targets",
              "letter_binaries", "depends", "lists", "orders", "person", "letters", "binaries", "permissions",
              "medicine_groups", "shared_refs", "shared_facts", "unresolved", "dangling", "any_named")

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


def encode_chunk(positions: list[int], encoded: list) -> bytes:
    """One chunk of a list's entries: its positions (as bytes) and their encoded entries."""
    return marshal.dumps((array("i", positions).tobytes(), encoded))


def _ints(data: bytes) -> array:
    values = array("i")
    values.frombytes(data)
    return values


class Chunks:
    """One list's entries as `Snapshot.encode_entries` keeps them, in chunks, each decoded only
    when read or changed (ltc_dashboard/gate/snapshot/changes.py)."""

    def __init__(self, firsts: bytes, blobs: list[bytes]) -> None:
        self.firsts, self.parts = list(_ints(firsts)), list(blobs)  # a part: its blob, or (positions, encoded)

    def _open(self, n: int) -> tuple[list[int], list]:
        part = self.parts[n]
        if isinstance(part, bytes):
            try:
                positions, encoded = marshal.loads(part)
                part = self.parts[n] = (list(_ints(positions)), list(encoded))
            except (ValueError, TypeError, EOFError) as problem:
                raise Unreadable("snapshot entries") from problem
        return part

    def get(self, position: int):
        """The encoded entries of one position (none when it maps to nothing)."""
        n = bisect_right(self.firsts, position) - 1
        if n < 0:
            return ()
        positions, encoded = self._open(n)
        k = bisect_left(positions, position)
        return encoded[k] if k < len(positions) and positions[k] == position else ()

    def remove(self, position: int) -> None:
        n = bisect_right(self.firsts, position) - 1
        if n < 0:
            return
        positions, encoded = self._open(n)
        if position in positions:
            k = positions.index(position)
            del positions[k], encoded[k]
            if not positions:
                del self.firsts[n], self.parts[n]
            else:
                self.firsts[n] = positions[0]

    def insert(self, position: int, entry) -> None:
        n = max(0, bisect_right(self.firsts, position) - 1)
        if not self.parts or (n == len(self.parts) - 1 and position > self.firsts[n]
                              and len(self._open(n)[0]) >= CHUNK):
            self.firsts.append(position)  # a new chunk after the last, full one
            self.parts.append(([position], [entry]))
            return
        positions, encoded = self._open(n)
        k = bisect_left(positions, position)
        positions.insert(k, position)
        encoded.insert(k, entry)
        self.firsts[n] = positions[0]

    def encoded(self) -> tuple[bytes, list[bytes]]:
        return (array("i", self.firsts).tobytes(),
                [part if isinstance(part, bytes) else encode_chunk(*part) for part in self.parts])

