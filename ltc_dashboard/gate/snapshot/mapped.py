"""A viewer's record made from the snapshot rows the gate passed (the fast path of the mapping).

Entries come from the snapshot, except where the viewer does not resolve the same references as
the row did (a letter whose Binary or author this viewer may not see): such an entry is mapped
again, from its stored text, through the viewer's own lookups, as `record.mapping.map_stored` does.
"""

from __future__ import annotations

from ltc_dashboard.gate.snapshot.codec import Unreadable, decode_model_list
from ltc_dashboard.gate.snapshot.layout import Snapshot
from ltc_dashboard.record.mapping import LOOKUP_TYPES, REFERENCED_ONLY, RecordMapping, is_entered_in_error, map_stored
from ltc_dashboard.record.mapping_medications import in_medicine_order, merge
from ltc_dashboard.record.models import PatientRecord


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
    of each group made so far, under the `Type/id` of the group's requests: never its number in
    the snapshot's list, which another snapshot of the same resources (updated, or derived
    whole) could order differently, showing one medicine for another (a PSY-labelled one on the
    clinic screen). It holds no part of the snapshot itself (whose decoded entries are several
    times the size of the models), only its digests, to know it."""

    __slots__ = ("digests", "entries", "groups")

    def __init__(self, snapshot: Snapshot) -> None:
        self.digests = snapshot.digests
        self.entries: list[tuple | None] = [None] * len(snapshot.keys)
        self.groups: dict[tuple[str, ...], object] = {}

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
    for members, merged in snapshot.medicine_groups:
        grouped.update(members)
        shown = [i for i in members if i in visible]
        if len(shown) == len(members):
            key = tuple(snapshot.keys[i] for i in members)
            if key not in made.groups:
                made.groups[key] = decode_model_list(merged)[0]
            found.append(made.groups[key])
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
