"""How the gate's hiding passes along references (ltc_dashboard/gate/access.py `open_record`): an entry that
points at a withheld one is withheld too, and a Binary is shown only through a visible letter.
Split from ltc_dashboard/gate/access.py to keep it within the house's file size; it reads no store."""

from __future__ import annotations

from ltc_dashboard.gate.snapshot.layout import Snapshot


def hide_dependants(snapshot: Snapshot, kept: dict[str, int], withheld: list[int]) -> None:
    """Hide every kept entry that points at a withheld one, and so on along the chain.

    Only entries withheld for what they say (labels, errors, sensitive codes) pass their hiding
    on: a 2026 prescription that points at its 2010 original stays visible when the online
    record starts in 2023, because the pointer says nothing the person may not see. The person
    (Patient) is never hidden, so hiding does not pass through them either. An entry that points
    at withheld content passes it on even where it is itself out of view for its date (found by
    tests/test_leaks.py: an undated entry pointing at an entered-in-error one, and a dated one
    pointing at it). A letter so withheld withholds its Binary too, and with it every other
    letter attaching that Binary."""
    keys, types = snapshot.keys, snapshot.types
    chain = list(withheld)
    if chain:  # a reference the gate cannot resolve might name a withheld entry: hidden too
        chain += [i for i in snapshot.unresolved if kept.pop(keys[i], None) is not None]
    passed = set(chain)  # an entry that points at withheld content carries it on, shown or not
    binaries = {keys[i]: i for i in snapshot.binaries} if snapshot.letter_binaries else {}
    while chain:
        position = chain.pop()
        # a letter's Binary is its content: withheld with it, and so from every letter attaching it
        attached = [binaries[b] for b in snapshot.letter_binaries.get(position, ()) if b in binaries]
        for i in (*snapshot.referrers(position), *attached):
            if i not in passed and types[i] != "Patient":
                passed.add(i)
                kept.pop(keys[i], None)
                chain.append(i)


def drop_orphan_binaries(snapshot: Snapshot, kept: dict[str, int]) -> None:
    """A Binary is visible only through a visible letter that points at it."""
    keys, wanted = snapshot.keys, set()
    for i in snapshot.letters:
        if keys[i] in kept:
            wanted.update(snapshot.letter_binaries.get(i, ()))
    for i in snapshot.binaries:
        if keys[i] not in wanted:
            kept.pop(keys[i], None)
