"""The lookup caches whose keys hold a person's entry words, and the one call that empties them.

Reading a long record asks the same questions of the same codes and words thousands of times
(which value set, which measure, which medicine class, the plain words of a panel), so those
answers are kept in bounded `functools.lru_cache`s. Their keys hold the entries' free text as sent
(a locally typed problem's words, a medicine's name, a date), so they are record data in memory too
(hazard H24): `service.Service.forget` (sign out, quick exit) calls `forget_all`, so no person's
words outlive the session that opened them. Caches keyed only by table content (value sets, units,
citations keys, consent terms) are not personal and stay.

Clearing is cheap; the cost is that the next record opened asks its lookups afresh (tests/
test_attack_cache_service.py has the attack; docs/ARCHITECTURE.md "What is kept in memory").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

_KEPT: list = []


def holds_record_words(cached: F) -> F:
    """Mark an lru_cache'd function whose keys hold entry text: `forget_all` clears it."""
    _KEPT.append(cached)
    return cached


def forget_all() -> None:
    """Empty every cache marked by `holds_record_words`."""
    for cached in _KEPT:
        cached.cache_clear()


def kept_count() -> int:
    """How many answers those caches hold now (for the tests)."""
    return sum(cached.cache_info().currsize for cached in _KEPT)
