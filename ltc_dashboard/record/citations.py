"""Citations as a person reads them: the one owner of how a table's `source` is shown (issue 15).

The `source` column of targets.csv and intervals.csv is written for the people who keep the tables:
bracketed keys (`[NG28 1.5.7]`, `[SPS-Li]`), pointers into the project's clinical reference
(`clinical-reference §6.1`) and notes ("interval unverified"). A patient, carer or nurse sees none of
that: `plain` turns a source into the public citations it names ("NICE guideline NG28,
recommendation 1.5.7"), from data/terminology/sources.csv; `unverified` says whether the source
marks anything unverified, which the pages then say once in words ("This aim is awaiting clinical
review."). The source as written stays with a view as its `basis`, for clinicians and the docs.

A recommendation number stays in the citation, in words: NICE numbers its recommendations
publicly, so "recommendation 1.5.7" lets a person find the very paragraph; it costs a few words.

Every bracketed key must be in sources.csv, and every targets/intervals source must name at least
one: `check` raises `TableError` (a TerminologyError) when those tables are read, so a new row
with a key nobody has written a citation for fails every test instead of reaching a page.
`plain_words` tidies free text a condition module wrote (a question's reason, a note): known
keys become citations, internal pointers and bracketed "(unverified)" go.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Mapping, NamedTuple

from ltc_dashboard.record.kept_lookups import holds_record_words
from ltc_dashboard.record.tables import TableError, read_table

_BRACKETED = re.compile(r"\[([^\[\]]*)\]")
# A pointer into the project's own reference: "clinical-reference §6.1", "clinical-reference §1.2 §2.1
# and §11.11", "§5.2, §5.3" (internal; never shown).
_POINTER = re.compile(r"(?:clinical-reference\s*)?§\s*[0-9][0-9.]*(?:(?:\s*(?:,|and|&)?\s*§\s*[0-9][0-9.]*))*"
                      r"|clinical-reference", re.IGNORECASE)
_PAREN = re.compile(r"\s*\(([^()]*)\)")
_UNVERIFIED_NOTE = re.compile(r"^\s*(?:[\w-]+\s+){0,3}unverified(?:\s+[\w-]+){0,3}\s*$", re.IGNORECASE)
_RANGE = re.compile(r"\s*[–—-]\s*")
_YEAR = re.compile(r"(?:19|20)\d\d")


class Citation(NamedTuple):
    """One source as shown: its plain citations, whether it marks anything unverified, and the
    source as written (the basis)."""

    plain: str
    unverified: bool
    basis: str


@cache
def _rows() -> tuple[tuple[str, str, str], ...]:
    rows = read_table("sources.csv", ("key", "citation", "locator"))
    seen: set[str] = set()
    for row in rows:
        if not row["key"] or not row["citation"]:
            raise TableError("sources.csv: every row needs a key and a citation")
        if row["key"] in seen:
            raise TableError(f"sources.csv: key {row['key']!r} is listed twice")
        seen.add(row["key"])
    return tuple((r["key"], r["citation"], r["locator"]) for r in rows)


def keys() -> Mapping[str, str]:
    """Every known source key and its plain citation."""
    return MappingProxyType({key: citation for key, citation, _ in _rows()})


def _locators() -> dict[str, str]:
    return {key: locator for key, _, locator in _rows()}


def _one(inside: str, where: str) -> str:
    """`NG28 1.5.7–1.5.8` as "NICE guideline NG28, recommendations 1.5.7 to 1.5.8"."""
    key, _, locator = inside.strip().partition(" ")
    known = keys()
    if key not in known:
        raise TableError(f"{where}: source key [{key}] is not in sources.csv")
    locator = locator.strip()
    if not locator:
        return known[key]
    if _YEAR.fullmatch(locator):  # "[NG17 2015]": the edition
        return f"{known[key]} ({locator})"
    if locator[:1].islower():  # "[NG203 table 1]": the place in its own words
        return f"{known[key]}, {locator}"
    word = _locators()[key]
    if not word:
        raise TableError(f"{where}: [{inside.strip()}] gives a place in a source that has none (sources.csv locator)")
    many = bool(_RANGE.search(locator) or "," in locator)
    locator = _RANGE.sub(" to ", locator)
    return f"{known[key]}, {word}{'s' if many else ''} {locator}"


@lru_cache(maxsize=1024)
def cite(source: str | None, where: str = "source") -> Citation:
    """A table source as plain citations; TableError when it names an unknown key or none at all."""
    text = (source or "").strip()
    found = [_one(inside, where) for inside in _BRACKETED.findall(text)]
    if not found:
        raise TableError(f"{where}: source {text[:80]!r} names no source key such as [NG28] (sources.csv)")
    return Citation("; ".join(dict.fromkeys(found)), "unverified" in text.casefold(), text)


def check(source: str, where: str) -> None:
    """Raise TableError unless every key the source brackets is in sources.csv (table load)."""
    cite(source, where)


def plain(source: str | None) -> str:
    """The source as plain citations, e.g. "[NG28 1.5.7]" reads "NICE guideline NG28, recommendation 1.5.7"."""
    return cite(source).plain


def unverified(source: str | None) -> bool:
    """Whether the source marks its value, or part of it, unverified."""
    return "unverified" in (source or "").casefold()


def _tidy_paren(match: re.Match) -> str:
    inside = match.group(1)
    if _POINTER.fullmatch(inside.strip()) or _UNVERIFIED_NOTE.match(inside):
        return ""
    if "§" in inside or "clinical-reference" in inside.casefold():
        rest = _POINTER.sub("", inside).strip(" ;,")
        rest = "" if not rest or _UNVERIFIED_NOTE.match(rest) else rest
        return f" ({rest})" if rest else ""
    return match.group(0)


def _bracket(match: re.Match) -> str:
    inside = match.group(1)
    try:
        return _one(inside, "text")
    except TableError:
        return match.group(0)  # not a source key (e.g. "mm[Hg]"): left as it is


@holds_record_words
@lru_cache(maxsize=4096)
def plain_words(text: str | None) -> str | None:
    """Free text a person will read, with internal references turned into plain words: known
    `[KEY ...]` become citations; "(clinical-reference §2.3)", "§5.2" and "(unverified)" go."""
    if not text:
        return text
    out = _BRACKETED.sub(_bracket, text)
    out = _PAREN.sub(_tidy_paren, out)
    out = _POINTER.sub("", out)
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r"\s+([.,;:])", r"\1", out)
    out = re.sub(r"\(\s*\)", "", out)
    out = re.sub(r"\(\s*\(([^()]*)\)\s*\)", r"(\1)", out)  # "(clinical-reference §6.1 (QS95))" left "( (QS95))"
    out = re.sub(r"\(\s+", "(", out)
    out = re.sub(r"\s*[;,]\s*\)", ")", out)  # "(QOF (dementia); clinical-reference §4.3)" left "; )"
    out = _UNVERIFIED_WORD.sub(NOT_CHECKED, out)
    return unnest(out.strip())


_UNVERIFIED_WORD = re.compile(r"\bunverified\b", re.IGNORECASE)
NOT_CHECKED = "not yet checked against its source"


def unnest(text: str | None) -> str | None:
    """Brackets inside brackets said once (issue 18, "doubled brackets"): an inner "(x)" becomes
    ", x", so "(source: your personal target (HbA1c agreed at review))" reads "(source: your
    personal target, HbA1c agreed at review)". Unbalanced text is left as it is."""
    if not text or text.count("(") != text.count(")") or "(" not in text:
        return text
    out, depth = [], 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth > 1:
                while out and out[-1] == " ":
                    out.pop()
                out.append(", ")
                continue
        elif char == ")":
            depth -= 1
            if depth < 0:
                return text
            if depth >= 1:
                following = text[i + 1:].lstrip()[:1]
                if following and following not in ").,;:":
                    out.append(",")
                continue
        out.append(char)
    return "".join(out)


REVIEW_WORDS = {
    "aim": "This aim is awaiting clinical review.",
    "interval": "This interval is awaiting clinical review.",
}


def review_words(verified: bool | None, what: str = "aim") -> str:
    """The one sentence that says a shown value is unverified ("This aim is awaiting clinical
    review."), or "" when it is verified or is the person's own (verified is None)."""
    return REVIEW_WORDS[what] if verified is False else ""


def source_words(source: str | None) -> str:
    """A view's source as shown: plain words (a source that missed the view's conversion is
    converted here too), or "source not recorded"."""
    return plain_words(source) or "source not recorded"


def preload() -> None:
    """Read sources.csv now (a server's start)."""
    _rows()
