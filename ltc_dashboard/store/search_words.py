"""What a person types into the letter search, as the FTS5 query the store runs (split from
ltc_dashboard/store/resources.py to keep it under 400 lines): each word a quoted prefix, common endings left off."""

from __future__ import annotations

import re
import unicodedata

# Endings people add or leave off ("retinal" / "retinopathy", "diabetic" / "diabetes"): a search
# word loses one of them, and the rest is matched as a prefix.
_ENDINGS = ("ically", "ation", "ities", "ness", "ing", "ies", "ity", "ous", "ic", "al", "ed", "es",
            "s", "y")


_WORD = re.compile(r"[^\W_]+")
_MAX_WORDS = 32


def search_match(query: str) -> str | None:
    """The FTS5 query for what a person typed: each word (a run of letters and digits) as a
    quoted prefix, all of them required; None when it has no word. A word cannot hold a quote, a
    NUL or FTS syntax (NEAR, *, -, column names are plain words or separators here), and lone
    surrogates, which SQLite cannot be given, are separators too."""
    words: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFC", query)):
        prefix = _search_prefix(word)
        if prefix not in words:
            words.append(prefix)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:_MAX_WORDS])


def _search_prefix(word: str) -> str:
    """The part of a search word to match as a word beginning."""
    lower = word.lower()
    for ending in _ENDINGS:
        if lower.endswith(ending) and len(lower) - len(ending) >= 4:
            return word[: len(word) - len(ending)]
    return word
