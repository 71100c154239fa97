"""Which entries a condition view read: the sources kept with a suggested question (issue 13
item 8).

A suggested question states a fact from the record ("Your lithium level on 3 March 2026 was 1.3
mmol/L, outside ..."). Once the person keeps it, its words live in their own tables and no longer
pass the access gate; so the `Type/id` keys of the entries its view read go with it, and it is
shown to a viewer only while that viewer's gate passes every one of them
(`gate.own_content.questions_for`).

What a view reads is noted as it reads: `build_summary` gives the condition modules the record
through `TracedRecord`, and `ConditionSpec.view` collects, while it computes the view's measures,
checks and question rules, every entry any of them took from the record. That is more than the
words of one question depend on (a rule that looks for the newest result reads them all), which
errs towards hiding: a kept question is never shown to someone who cannot see an entry it may
have been built from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def entry_keys(entry) -> tuple[str, ...]:
    """The `Type/id` keys of the stored resources one mapped entry came from: a result made from
    a panel's component names the panel's Observation; a medicine names every issue grouped in it."""
    rtype, rid = getattr(entry, "resource_type", None), getattr(entry, "id", None)
    if not isinstance(rtype, str) or not isinstance(rid, str):
        return ()
    source = getattr(entry, "source_id", None) or rid
    ids = getattr(entry, "ids", None) or ()
    return tuple(f"{rtype}/{i}" for i in (source, *ids) if isinstance(i, str))


class Tracer:
    """Sets of what is being collected, innermost last; an entry read is noted in all of them.

    Entries are noted by identity (`id`), and a list the record gives as one frozen copy of it
    (`_Many`: a C-level copy, so entries a caller later drops from its list stay noted), turned
    into keys only when a view asks (`keys`): noting each entry's key as it was read cost three
    times the views' own time on a 25,000-resource record, and noting each entry's id of lists
    read again and again (one measure's results, 147 times a summary) a sixth of it."""

    __slots__ = ("_open", "_objects")

    def __init__(self) -> None:
        self._open: list[set[int]] = []
        self._objects: dict[int, object] = {}  # id -> the object, kept alive while noted

    @contextlib.contextmanager
    def collecting(self) -> Iterator[set[int]]:
        """Collect what is read inside the block (also into any outer block), as object ids."""
        found: set[int] = set()
        self._open.append(found)
        try:
            yield found
        finally:
            self._open.pop()  # blocks nest, so the innermost is last

    def add(self, noted) -> None:
        """Note what a memoised answer read, in every open collection."""
        for found in self._open:
            found.update(noted)

    def note(self, value) -> None:
        """Note what the record gave: an entry, or a list, tuple, set or dict of entries."""
        if not self._open:
            return
        if isinstance(value, (list, tuple, set, frozenset)):
            if not value:
                return
            many = _Many(value)  # a copy: the caller may change its list afterwards
            self._objects[id(many)] = many
            for found in self._open:
                found.add(id(many))
        elif isinstance(value, dict):
            for item in value.values():
                self.note(item)
        elif hasattr(value, "resource_type"):
            self._objects[id(value)] = value
            for found in self._open:
                found.add(id(value))

    def sources(self, noted) -> Sources:
        """What a collection noted, as the `Sources` a view's questions carry."""
        return Sources(((self._objects, frozenset(noted)),))


class _Many(tuple):
    """The entries of one list the record gave, as noted (Tracer.note): expanded by Sources.keys."""

    __slots__ = ()


class Sources:
    """The `Type/id` keys of the entries a view read, worked out when first asked for: most
    suggestions are never kept, and making every key for every view cost more than the views
    (a 25,000-resource record). Iterating, `in` and `len` read the keys; `|` joins two."""

    __slots__ = ("_parts", "_fixed", "_keys")

    def __init__(self, parts: tuple = (), fixed: tuple[str, ...] = ()) -> None:
        self._parts = parts  # (id -> object, noted ids) pairs
        self._fixed = fixed  # keys given as they are
        self._keys: tuple[str, ...] | None = None

    def keys(self) -> tuple[str, ...]:
        """The sorted keys."""
        if self._keys is None:
            entries: dict[int, object] = {}  # each entry once, however many lists noted it
            for objects, noted in self._parts:
                for n in noted:
                    value = objects.get(n)
                    if type(value) is _Many:
                        entries.update(zip(map(id, value), value))
                    else:
                        entries[n] = value
            found = {key for entry in entries.values() for key in entry_keys(entry)}
            self._keys = tuple(sorted(found | set(self._fixed)))
        return self._keys

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key) -> bool:
        return key in self.keys()

    def __len__(self) -> int:
        return len(self.keys())

    def __or__(self, other) -> Sources:
        other = other if isinstance(other, Sources) else Sources(fixed=tuple(other))
        return Sources(self._parts + other._parts, self._fixed + other._fixed)

    def __repr__(self) -> str:
        return f"Sources({len(self)} entries)"


class _Traced:
    """An object of the record (the record itself, or one of its indexes) whose answers are noted."""

    __slots__ = ("_target", "_tracer")

    def __init__(self, target, tracer: Tracer) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_tracer", tracer)

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        tracer = self._tracer
        if callable(value):
            def call(*args, **kwargs):
                answer = value(*args, **kwargs)
                if hasattr(answer, "__next__"):  # an iterator: read it once, here
                    answer = list(answer)
                tracer.note(answer)
                return answer
            return call
        if hasattr(value, "where") and not isinstance(value, (list, tuple, dict)):
            return _Traced(value, tracer)  # an index: its answers are noted
        tracer.note(value)
        return value


def traced(record, tracer: Tracer):
    """The record as the condition modules read it, noting every entry they take from it."""
    return _Traced(record, tracer)

