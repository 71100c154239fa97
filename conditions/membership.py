"""Whether an entry's codes or words fall in a value set: asked of every entry for each value set a
view looks for, so the answers are kept (bounded, and emptied on Service.forget: they hold words)."""

from __future__ import annotations

from functools import lru_cache

from ltc_dashboard.record import terminology
from ltc_dashboard.record.kept_lookups import holds_record_words
from ltc_dashboard.record.models import Coding


def in_any(valuesets, codings, text: str | None = None) -> bool:
    """Whether the codes (or a value set's text rules, the words) fall in any of the value sets."""
    return _in_any_of(tuple(valuesets), tuple(codings), text or "")


@holds_record_words
@lru_cache(maxsize=1 << 16)
def _in_any_of(valuesets: tuple[str, ...], codings: tuple[Coding, ...], text: str) -> bool:
    """Views ask this of every entry for each value set they look for; entries repeat the same
    codes and words thousands of times in a long record, so the answers are kept."""
    concept = {"coding": [{"system": s, "code": c} for s, c in codings], "text": text}
    return terminology.in_valueset(valuesets, concept)
