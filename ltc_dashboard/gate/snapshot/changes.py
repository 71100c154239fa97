"""Updating a kept snapshot with the resources a write changed, instead of deriving it whole.

A write logs which of a record's resources it added, replaced or deleted (ltc_dashboard/store/snapshots.py
`note_changes`). The next open reads the record's last kept snapshot and the changes since, and
`update` applies them: each changed resource is read, its facts derived and it is mapped, as
ltc_dashboard/gate/snapshot/build.py does for every resource, and the record-wide parts (who points at whom,
each list's order, the medicine groups, the shared resources pointed at) are changed where those
resources touch them. The work is the k changed resources plus copying the snapshot's columns;
nothing else is decoded or mapped. A deletion moves every later position down, so it rewrites
every part that holds positions (removals.py): no resource is decoded or mapped, but the
snapshot's entries are read and written again, about what reading the snapshot back costs.

It gives up (returns None: the record is derived whole) wherever a change could move something
record-wide that is not kept per resource, and wherever the gate's decisions could change:

* a resource of a type the gate or the mapping reads across the record (`WHOLE_TYPES`: consents,
  related people, the Patient, provenance, letters and their Binaries, lookups, shared resources);
* one that has, or had, security labels or any flag (entered in error, prognosis, unchecked);
* one holding, or that held, a reference the gate cannot resolve, or one naming an id untyped;
* a new row that does not fall after every row the snapshot holds (stored order);
* a new row that something in the record already names (it would become pointed at);
* one that points at a shared resource the record did not point at before, or at one that has
  labels or flags, or that was the last to point at one.

tests/test_snapshot_update.py checks, on random sequences of writes, that the result equals a
full derive and that every viewer's open is the same.
"""

from __future__ import annotations

import marshal
from array import array
from bisect import bisect_left, insort
from collections.abc import Callable

from ltc_dashboard.gate.snapshot.build import NEEDS_LOOKUPS, AskedIndex, Deriving
from ltc_dashboard.gate.snapshot.codec import Unreadable, decode_model_list, encode_model_list
from ltc_dashboard.gate.snapshot.facts import DIGEST_SIZE, UNCHECKED, digest
from ltc_dashboard.gate.snapshot.layout import PERMISSION_TYPES, SHARED_TYPES, Chunks, Snapshot
from ltc_dashboard.gate.snapshot.removals import without
from ltc_dashboard.record import stored_json
from ltc_dashboard.record.mapping import LOOKUP_TYPES, in_list_order, is_entered_in_error
from ltc_dashboard.record.mapping_medications import group_key, merge

# A change to one of these types derives the record whole (see the module docstring).
WHOLE_TYPES = frozenset({*PERMISSION_TYPES, "Patient", "Provenance", "DocumentReference", "Binary",
                         *LOOKUP_TYPES, *SHARED_TYPES})


class _Whole(Exception):
    """The changes cannot be applied alone: the record is derived whole."""


class _Row:
    """What one changed resource derives to: its position, day, references and entries."""

    def __init__(self, position: int, key: str, text: str, deriving: Deriving, entries: tuple,
                 depends: tuple | None) -> None:
        self.position, self.key, self.digest = position, key, digest(text)
        self.day = deriving.days[0]
        self.refs = {target: len(found) for target, found in deriving.waiting.items()}
        self.shared = tuple(r for r in deriving.outward.get(0, ()) if r.split("/", 1)[0] in SHARED_TYPES)
        self.list = deriving.lists[0]
        self.encoded = deriving.by_list.get(self.list, {}).get(0)
        self.entries = entries
        self.request = deriving.medicines.get(0)
        self.depends = depends
        self.late = key.split("/", 1)[0] in NEEDS_LOOKUPS


def update(old: Snapshot, changed: set[tuple[str, str]],
           read: Callable[[set[tuple[str, str]]], dict[tuple[str, str], tuple[int, str]]],
           rowid_of: Callable[[str, str], int | None],
           fetch_shared: Callable[[set[str]], list[dict]]) -> Snapshot | None:
    """`old` with the `changed` (type, id) resources applied, or None when it must be derived
    whole. `read` gives (rowid, stored JSON) of those of the given resources that are in the
    record now; `rowid_of` where a stored resource falls in stored order; `fetch_shared` the
    shared resources (medicines, clinicians) a medicine's mapping may look up."""
    try:
        return _Update(old).apply(changed, read, rowid_of, fetch_shared)
    except (_Whole, Unreadable):
        return None
    except Exception:  # noqa: BLE001  whatever failed, deriving whole is always right (and slower)
        return None


class _Update:
    def __init__(self, old: Snapshot) -> None:
        self.old = old
        self.position = dict(zip(old.keys, range(len(old.keys))))
        self.decoded: dict[int, tuple] = {}
        self.chunks: dict[str, Chunks] = {}
        try:
            self.blobs = dict(marshal.loads(old.entries))
        except (ValueError, TypeError, EOFError) as problem:
            raise Unreadable("snapshot entries") from problem

    def apply(self, changed, read, rowid_of, fetch_shared) -> Snapshot:
        old, replaced, added, deleted = self.old, [], [], set()
        rows = read(changed)
        for rtype, rid in sorted(changed):
            key, row = f"{rtype}/{rid}", rows.get((rtype, rid))
            at = self.position.get(key)
            if at is None and row is None:
                continue  # not in this record before or now
            if rtype in WHOLE_TYPES:
                raise _Whole(key)
            if row is None:
                deleted.add(at)  # (deleted, or filed into another record)
            elif at is None:
                added.append((row[0], rtype, rid, row[1]))
            elif digest(row[1]) != old.digest_at(at):
                replaced.append((at, rtype, rid, row[1]))
        if not replaced and not added and not deleted:
            return old
        last = rowid_of(*old.keys[-1].split("/", 1)) if old.keys else 0
        if last is None or any(rowid <= last for rowid, *_ in added):
            raise _Whole("a row falls inside the stored order")
        for n, (_, rtype, rid, _) in enumerate(sorted(added)):
            key = f"{rtype}/{rid}"
            if key in old.dangling or rid in old.any_named:
                raise _Whole(key)  # already named: it would become pointed at
            self.position[key] = len(old.keys) + n
        for at in [*deleted, *(at for at, *_ in replaced)]:
            if at in deleted and old.keys[at].split("/", 1)[1] in old.any_named:
                raise _Whole(old.keys[at])  # named untyped: what it resolves to would change
            if at in old.labels or at in old.flags or at in old.unresolved or any(
                    at in naming for naming in old.any_named.values()) or any(
                    at in facts[-1] for facts in old.shared_facts.values()):
                raise _Whole(old.keys[at])
        index = _LazyIndex(self, read, fetch_shared) if any(
            rtype in NEEDS_LOOKUPS for _, rtype, _, _ in (*replaced, *added)) else None
        made = [self._derive(at, rtype, rid, text, index) for at, rtype, rid, text in replaced]
        made += [self._derive(self.position[f"{rtype}/{rid}"], rtype, rid, text, index)
                 for _, rtype, rid, text in sorted(added)]
        snapshot = self._snapshot(made, {at for at, *_ in replaced}) if made else old
        if deleted:
            snapshot = without(snapshot, deleted)
            if snapshot is None:
                raise _Whole("a shared resource is no longer pointed at")
        return snapshot

    # -- each changed resource, as build.py derives it ----------------------------------------
    def _derive(self, at: int, rtype: str, rid: str, text: str, index: "_LazyIndex | None") -> _Row:
        deriving = Deriving()
        resource = stored_json.loads(text)
        deriving.add_facts(rtype, rid, text, resource)
        depends = None
        if rtype in NEEDS_LOOKUPS:
            deriving.mapping.index, index.asked = index, set()
            entries = deriving.map_into(0, resource)
            depends = tuple((key, index.found(key)) for key in sorted(index.asked))
        else:
            entries = deriving.map_into(0, resource)
        if deriving.labels or deriving.flags or deriving.unresolved or deriving.by_id:
            raise _Whole(f"{rtype}/{rid}")  # labelled, flagged, or a reference the gate must resolve
        row = _Row(at, f"{rtype}/{rid}", text, deriving, entries, depends)
        for ref in row.shared:
            if ref not in self.old.shared_refs or ref in self.old.shared_facts:
                raise _Whole(ref)
        return row

    def _entry(self, made: dict[int, _Row], at: int, j: int):
        """Entry j of position `at`: the changed row's, or the old snapshot's, decoded once."""
        if at in made:
            return made[at].entries[j]
        if at not in self.decoded:
            self.decoded[at] = decode_model_list(self._chunks(self.old.lists[at]).get(at))
        return self.decoded[at][j]

    def _chunks(self, name: str) -> "Chunks":
        if name not in self.chunks:
            self.chunks[name] = Chunks(*self.blobs.get(name, (b"", [])))
        return self.chunks[name]

    # -- the record-wide parts -------------------------------------------------------------------
    def _snapshot(self, rows: list[_Row], replaced: set[int]) -> Snapshot:
        old, made = self.old, {row.position: row for row in rows}
        count = len(old.keys) + len(rows) - len(replaced)
        keys, types, lists = list(old.keys), list(old.types), list(old.lists)
        digests, days = bytearray(old.digests), array("i", old.days)
        depends = dict(old.depends)
        for row in rows:
            at = row.position
            if at < len(old.keys):
                lists[at], days[at] = row.list, row.day
                digests[at * DIGEST_SIZE:(at + 1) * DIGEST_SIZE] = row.digest
            else:
                keys.append(row.key)
                types.append(row.key.split("/", 1)[0])
                lists.append(row.list)
                days.append(row.day)
                digests += row.digest
            if row.depends is None:
                depends.pop(at, None)
            else:
                depends[at] = row.depends
        offsets, targets, dangling = self._references(rows, replaced, count)
        by_list, orders = self._lists(made, replaced, lists)
        return Snapshot(
            types=tuple(types), keys=tuple(keys), digests=bytes(digests), days=days,
            labels=old.labels, flags=old.flags, ref_offsets=offsets, ref_targets=targets,
            letter_binaries=old.letter_binaries, depends=depends, lists=tuple(lists), orders=orders,
            person=old.person, letters=old.letters, binaries=old.binaries, permissions=old.permissions,
            medicine_groups=self._groups(made, replaced), shared_refs=self._shared(rows, replaced),
            shared_facts=old.shared_facts, unresolved=old.unresolved, dangling=dangling,
            any_named=old.any_named, entries=by_list)

    def _references(self, rows: list[_Row], replaced: set[int], count: int):
        """The referrers (ref_offsets, ref_targets) and `dangling` with the changed rows' old
        references taken out and their new ones put in."""
        old = self.old
        gained: dict[int, list[int]] = {}
        lost: dict[int, list[int]] = {}
        for at in replaced:  # what the old copy pointed at
            start = 0
            while True:
                try:
                    n = old.ref_targets.index(at, start)
                except ValueError:
                    break
                lost.setdefault(bisect_left(old.ref_offsets, n + 1) - 1, []).append(at)
                start = n + 1
        dangling = {key: list(found) for key, found in old.dangling.items()
                    if not replaced.intersection(found)} | {
            key: [i for i in found if i not in replaced] for key, found in old.dangling.items()
            if replaced.intersection(found)}
        for row in rows:
            for target, times in row.refs.items():
                at = self.position.get(target)
                if at is None:
                    for _ in range(times):
                        insort(dangling.setdefault(target, []), row.position)
                else:
                    gained.setdefault(at, []).extend([row.position] * times)
        offsets, targets, done = array("i", [0]), array("i"), 0
        old_offsets, old_targets, old_count = old.ref_offsets, old.ref_targets, len(old.keys)
        for i in sorted(gained.keys() | lost.keys() | set(range(old_count, count))):
            upto = min(i, old_count)
            if done < upto:  # unchanged positions: copied as a run, their offsets shifted
                shift = len(targets) - old_offsets[done]
                targets.extend(old_targets[old_offsets[done]:old_offsets[upto]])
                offsets.extend(old_offsets[done + 1:upto + 1] if not shift else
                               array("i", [o + shift for o in old_offsets[done + 1:upto + 1]]))
            found = list(old.referrers(i)) if i < old_count else []
            for gone in lost.get(i, ()):
                found.remove(gone)
            targets.extend(sorted(found + gained.get(i, [])))
            offsets.append(len(targets))
            done = i + 1
        if done < old_count:
            shift = len(targets) - old_offsets[done]
            targets.extend(old_targets[old_offsets[done]:])
            offsets.extend([o + shift for o in old_offsets[done + 1:]])
        return offsets, targets, {key: tuple(found) for key, found in dangling.items() if found}

    def _shared(self, rows: list[_Row], replaced: set[int]) -> dict[str, tuple[int, ...]]:
        """Each shared resource with the positions pointing at it; none may lose its last."""
        shared = {ref: list(found) for ref, found in self.old.shared_refs.items()}
        for ref, found in shared.items():
            if replaced.intersection(found):
                found[:] = [i for i in found if i not in replaced]
        for row in rows:
            for ref in row.shared:
                insort(shared[ref], row.position)
        if not all(shared.values()):
            raise _Whole("a shared resource is no longer pointed at")
        return {ref: tuple(found) for ref, found in shared.items()}

    def _lists(self, made: dict[int, _Row], replaced: set[int], lists: list[str]) -> tuple[bytes, dict]:
        """The entries blob and each list's order, with the changed rows moved: only the chunks
        of a list's entries (layout.py `encode_entries`) that a changed row falls in are read
        and written again."""
        old, blobs = self.old, dict(self.blobs)
        orders = dict(old.orders)
        touched = {old.lists[at] for at in replaced} | {row.list for row in made.values()}
        for name in touched:
            chunks = self._chunks(name)
            rows, items = (list(part) for part in orders.get(name, (array("i"), array("i"))))
            leaving = [at for at in replaced if old.lists[at] == name]
            for at in leaving:
                chunks.remove(at)
            if leaving:
                kept = [(i, j) for i, j in zip(rows, items) if i not in replaced]
                rows, items = [i for i, _ in kept], [j for _, j in kept]
            for at, row in sorted(made.items()):
                if row.list != name or row.encoded is None:
                    continue
                chunks.insert(at, row.encoded)
                if name != "patient":
                    for j in range(len(row.entries)):
                        n = self._place(name, made, rows, items, (at, j))
                        rows.insert(n, at)
                        items.insert(n, j)
            if chunks.parts:
                blobs[name] = chunks.encoded()
            else:
                blobs.pop(name, None)
            if rows:
                orders[name] = (array("i", rows), array("i", items))
            else:
                orders.pop(name, None)
        return marshal.dumps(blobs), orders

    def _place(self, name: str, made: dict[int, _Row], rows: list[int], items: list[int], item: tuple) -> int:
        """Where `item` goes in a list's order: the first place whose item it comes before, as
        record.mapping.in_list_order (a stable sort over stored order) would put it."""
        def entry_of(pair):
            return self._entry(made, *pair)

        def stored(pair):  # build.py maps letters and medicines in a second pass, after the rest
            return (made[pair[0]].late if pair[0] in made else self.old.types[pair[0]] in NEEDS_LOOKUPS, *pair)

        low, high = 0, len(rows)
        while low < high:
            middle = (low + high) // 2
            other = (rows[middle], items[middle])
            first = in_list_order(name, sorted([item, other], key=stored), entry_of)[0]
            if first == item:
                high = middle
            else:
                low = middle + 1
        return low

    def _groups(self, made: dict[int, _Row], replaced: set[int]) -> tuple:
        """The medicine groups with the changed requests moved, those groups merged again."""
        old = self.old
        groups = [(list(members), merged) for members, merged in old.medicine_groups]
        touched: set[int] = set()
        for number, (members, _) in enumerate(groups):
            if replaced.intersection(members):
                members[:] = [i for i in members if i not in replaced]
                touched.add(number)
        keys = {group_key(self._entry(made, members[0], 0)): n for n, (members, _) in enumerate(groups) if members}
        for at, row in sorted(made.items()):
            if row.request is None:
                continue
            n = keys.get(group_key(row.request))
            if n is None:
                n = keys[group_key(row.request)] = len(groups)
                groups.append(([], None))
            insort(groups[n][0], at)
            touched.add(n)
        found = []
        for n, (members, merged) in enumerate(groups):
            if not members:
                continue
            if n in touched:
                merged = encode_model_list((merge([self._entry(made, i, 0) for i in members]),), {})
            found.append((tuple(members), merged))
        return tuple(sorted(found, key=lambda group: group[0][0]))


class _LazyIndex(AskedIndex):
    """The index build.py makes (the record's lookups, then the shared resources it points at,
    entered-in-error ones left out; the first of a key wins), read one key at a time when the
    mapping asks for it: a medicine asks for a few of the record's thousands."""

    def __init__(self, update: _Update, read, fetch_shared) -> None:
        super().__init__([])
        self.update, self.read, self.fetch_shared = update, read, fetch_shared
        self.loaded: set[str] = set()

    def lookup(self, key: str) -> dict | None:
        if key not in self.loaded:
            self.loaded.add(key)
            self._load(key)
        return super().lookup(key)

    def _load(self, key: str) -> None:
        old, rtype, _, rid = self.update.old, *key.partition("/")
        at = self.update.position.get(key)
        if at is not None and rtype in LOOKUP_TYPES:
            if old.flags.get(at, 0) & UNCHECKED:
                raise _Whole(key)  # (build.py tells a failed mapping from failed facts; this cannot)
            row = self.read({(rtype, rid)}).get((rtype, rid))
            if row is None or digest(row[1]) != old.digest_at(at):
                raise _Whole(key)  # written meanwhile
            resource = stored_json.loads(row[1])
            if not is_entered_in_error(resource):
                self._by_key[key] = resource
                return
        if key in old.shared_refs and at is None:
            for resource in self.fetch_shared({key}):
                if isinstance(resource, dict) and not is_entered_in_error(resource):
                    self._by_key.setdefault(f"{resource.get('resourceType')}/{resource.get('id')}", resource)
