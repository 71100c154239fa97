"""Taking deleted rows out of a snapshot (ltc_dashboard/gate/snapshot/changes.py decides when it may).

Every position after a deleted row moves down, so every part that holds positions is written
again with them renumbered: the columns, who points at whom, each list's order and entries, the
medicine groups (a group that lost a request is merged again), the shared resources pointed at.
What pointed at a deleted row now names a key no row holds (`dangling`), as a whole derive finds.
The work is a pass over the snapshot's columns and entries, no resource decoded or mapped: about
what reading the snapshot back costs.
"""

from __future__ import annotations

from array import array

from ltc_dashboard.gate.snapshot.codec import decode_model_list, encode_model_list
from ltc_dashboard.gate.snapshot.facts import DIGEST_SIZE
from ltc_dashboard.gate.snapshot.layout import Snapshot
from ltc_dashboard.record.mapping_medications import merge


def without(snapshot: Snapshot, gone: set[int]) -> Snapshot | None:
    """`snapshot` with the rows at the `gone` positions taken out, or None when a shared resource
    would lose the last row pointing at it (what the gate reads of it would change)."""
    s, count = snapshot, len(snapshot.keys)
    new, n = array("i"), 0  # new position of each old one, -1 for a deleted row
    for i in range(count):
        new.append(-1 if i in gone else n)
        n += i not in gone
    keep = [i for i in range(count) if i not in gone]
    shared_refs = {ref: tuple(new[i] for i in found if i not in gone) for ref, found in s.shared_refs.items()}
    if not all(shared_refs.values()):
        return None
    dangling = {key: tuple(new[i] for i in found if i not in gone) for key, found in s.dangling.items()}
    for p in sorted(gone):  # what pointed at it now names a key no row holds
        pointing = tuple(new[i] for i in s.referrers(p) if i not in gone)
        if pointing:
            dangling[s.keys[p]] = pointing
    mapped = [new[t] for t in s.ref_targets]
    offsets, targets = array("i", [0]), array("i")
    for i in keep:
        targets.extend([t for t in mapped[s.ref_offsets[i]:s.ref_offsets[i + 1]] if t >= 0])
        offsets.append(len(targets))
    digests = b"".join(s.digests[i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE] for i in keep)
    return Snapshot(
        types=tuple(s.types[i] for i in keep), keys=tuple(s.keys[i] for i in keep), digests=digests,
        days=array("i", [s.days[i] for i in keep]), labels=_moved(s.labels, new), flags=_moved(s.flags, new),
        ref_offsets=offsets, ref_targets=targets, letter_binaries=_moved(s.letter_binaries, new),
        depends=_moved(s.depends, new), lists=tuple(s.lists[i] for i in keep), orders={
            name: (array("i", [new[i] for i in rows if new[i] >= 0]),
                   array("i", [j for i, j in zip(rows, items) if new[i] >= 0]))
            for name, (rows, items) in s.orders.items() if any(new[i] >= 0 for i in rows)},
        person=None if s.person is None else (new[s.person[0]], s.person[1]),
        letters=tuple(new[i] for i in s.letters), binaries=tuple(new[i] for i in s.binaries),
        permissions=s.permissions, medicine_groups=_groups(s, gone, new), shared_refs=shared_refs,
        shared_facts={ref: (*facts[:-1], tuple(new[i] for i in facts[-1])) for ref, facts in s.shared_facts.items()},
        unresolved=tuple(new[i] for i in s.unresolved), dangling={k: v for k, v in dangling.items() if v},
        any_named={rid: tuple(new[i] for i in found) for rid, found in s.any_named.items()},
        entries=_entries(s, new))


def _moved(by_position: dict, new: array) -> dict:
    return {new[i]: value for i, value in by_position.items() if new[i] >= 0}


def _entries(s: Snapshot, new: array) -> bytes:
    import marshal

    by_list: dict[str, dict[int, tuple | list]] = {}
    for name in marshal.loads(s.entries):
        positions, encoded = s.entries_of(name)
        found = {new[i]: entry for i, entry in zip(positions, encoded) if new[i] >= 0}
        if found:
            by_list[name] = found
    return Snapshot.encode_entries(by_list)


def _groups(s: Snapshot, gone: set[int], new: array) -> tuple:
    """Each medicine group renumbered; one that lost a request merged again from the rest; in
    the order a whole derive gives them, by their first request in stored order (build.py): a
    deletion can take a group's first request and leave its next one after another group's."""
    found = []
    for members, merged in s.medicine_groups:
        left = [i for i in members if i not in gone]
        if not left:
            continue
        if len(left) != len(members):
            merged = encode_model_list((merge([decode_model_list(s.encoded_at(i))[0] for i in left]),), {})
        found.append((tuple(new[i] for i in left), merged))
    return tuple(sorted(found, key=lambda group: group[0][0]))
