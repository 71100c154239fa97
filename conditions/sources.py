"""Which entries a condition view read: the sources kept with a suggested question (issue 13
item 8).

A suggested question states a fact from the record ("Your lithium level on 3 March 2026 was 1.3
mmol/L, outside ..."). Once the person keeps it, its words live in their own tables and no longer
pass the access gate; so the `Type/id` keys of the entries its view read go with it, and it is
shown to a viewer only while that viewer's gate passes every one of them
(`exports.own_content.questions_for`).

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
    """Sets of keys being collected, innermost last; an entry read is noted in all of them."""

    __slots__ = ("_open",)

    def __init__(self) -> None:
        self._open: list[set[str]] = []

    @contextlib.contextmanager
    def collecting(self) -> Iterator[set[str]]:
        """Collect the keys of every entry read inside the block (also into any outer block)."""
        found: set[str] = set()
        self._open.append(found)
        try:
            yield found
        finally:
            self._open.pop()  # blocks nest, so the innermost is last

    def add(self, keys) -> None:
        """Note keys already known (a memoised answer's) in every open collection."""
        for found in self._open:
            found.update(keys)

    def note(self, value) -> None:
        """Note the entries in what the record gave: an entry, or a list, tuple, set or dict of them."""
        if not self._open:
            return
        keys: list[str] = []
        _collect(value, keys, 2)
        if keys:
            self.add(keys)


def _collect(value, keys: list[str], depth: int) -> None:
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _collect(item, keys, depth)
    elif isinstance(value, dict):
        if depth:
            for item in value.values():
                _collect(item, keys, depth - 1)
    elif hasattr(value, "resource_type"):
        keys.extend(entry_keys(value))


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

