"""Codes, measures, targets, due intervals, medicine classes and labels, read from data tables.

The CSV files in ``data/terminology/`` are the only place codes, targets and intervals live (see
their README). This module reads them once, checks that every row names a source and says whether
it is verified, and answers the questions the rest of the program asks of a FHIR coding: which value
set is it in, which measure is it, which medicine classes does it belong to. Stdlib and pydantic only.
"""

from __future__ import annotations

import csv
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TABLES = Path(__file__).resolve().parent.parent / "data" / "terminology"

_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "http://loinc.org/": LOINC,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
}
_TEXT_RULE = "text"  # valuesets.csv system for a display-text rule
_INCLUDE = "valueset"  # valuesets.csv system for "all codes of another value set"
# Words that turn a phrase match into its opposite ("retinal screening declined").
_NEGATIONS = ("declined", "refused", "not", "unsuitable", "exception", "excepted", "exempt",
              "dissent", "did not attend", "dna")
_VIEWERS = {"patient": ("all",), "proxy": ("all",), "clinic": ("all", "clinic")}


class TerminologyError(Exception):
    """A terminology table is unreadable, or was asked about something it does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class TableError(TerminologyError):
    """A terminology CSV file is missing, malformed or breaks its own rules."""


class UnknownValueSet(TerminologyError, KeyError):
    """No value set with that id exists in valuesets.csv."""


class UnknownMeasure(TerminologyError, KeyError):
    """No measure with that id exists in measures.csv."""


class UnknownCheck(TerminologyError, KeyError):
    """No due-check with that id (and condition) exists in intervals.csv."""


class UnknownViewerKind(TerminologyError, ValueError):
    """The viewer kind is not one of patient, proxy or clinic."""


class Measure(BaseModel, frozen=True):
    """One thing that is measured and charted, with its UK unit and the value set that codes it."""

    id: str
    name: str
    plain_name: str
    unit: str
    display_unit: str
    valueset: str
    category: str
    source: str
    verified: bool = True


class Target(BaseModel, frozen=True):
    """A target, band or threshold for a measure; ``low``/``high`` are bounds, either may be absent."""

    id: str
    measure: str
    condition: str
    applies_when: str
    low: float | None
    high: float | None
    unit: str
    text: str
    source: str
    verified: bool
    kind: str = "target"  # target, band, action, audit or range
    label: str = ""
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: float) -> bool | None:
        """Whether value lies within the bounds; None when the row has no numeric bound at all."""
        if self.low is None and self.high is None:
            return None
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)):
            return False
        return True


class Interval(BaseModel, frozen=True):
    """A due rule: which value sets satisfy a check and how often it is expected."""

    check: str
    condition: str
    evidence: tuple[str, ...]
    interval_days: int
    grace_days: int
    stricter_when: str | None
    stricter_interval_days: int | None
    source: str
    verified: bool
    declined: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    text: str = ""

    @property
    def once_only(self) -> bool:
        """True when the check has no repeat interval (interval_days is 0)."""
        return self.interval_days == 0

    def window(self, stricter: bool = False) -> tuple[int, int]:
        """(interval, grace) days, the stricter interval if asked; grace is capped at a quarter."""
        days = (stricter and self.stricter_interval_days) or self.interval_days
        return days, min(self.grace_days, days // 4)


def read_table(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of data/terminology/<name> as stripped strings; every row needs source and verified."""
    path = TABLES / name
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in (*columns, "source", "verified") if c not in (reader.fieldnames or ())]
            if missing:
                raise TableError(f"{name}: missing column(s) {', '.join(missing)}")
            rows = []
            for line, row in enumerate(reader, start=2):
                if None in row or any(v is None for v in row.values()):
                    raise TableError(f"{name} line {line}: wrong number of fields")
                clean = {k: v.strip() for k, v in row.items()}
                if not clean["source"]:
                    raise TableError(f"{name} line {line}: no source")
                if clean["verified"] not in ("yes", "no"):
                    raise TableError(f"{name} line {line}: verified must be yes or no")
                rows.append(clean)
            return rows
    except OSError as exc:
        raise TableError(f"cannot read terminology table {name}: {exc.strerror}") from exc


def _number(text: str, where: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        raise TableError(f"{where}: {text!r} is not a number") from None


def _days(text: str, where: str) -> int | None:
    if text and not text.isdigit():
        raise TableError(f"{where}: {text!r} is not a whole number of days")
    return int(text) if text else None


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


@lru_cache(maxsize=4096)
def normalise_system(system: str | None) -> str:
    """The canonical URI for a code system (SNOMED edition URIs and OIDs become SNOMED)."""
    system = system.strip() if isinstance(system, str) else ""
    if system.startswith(SNOMED + "/"):
        return SNOMED
    return _SYSTEM_ALIASES.get(system, system)


def codings_of(concept: Any) -> list[tuple[str, str]]:
    """(system, code) pairs from a CodeableConcept, a Coding, a list of either, or None."""
    if isinstance(concept, (list, tuple)):
        return [pair for item in concept for pair in codings_of(item)]
    if not isinstance(concept, dict):
        return []
    if "coding" in concept:
        return codings_of(concept.get("coding"))
    code = str(concept.get("code") or "").strip()
    return [(normalise_system(concept.get("system")), code)] if code else []


def texts_of(concept: Any) -> list[str]:
    """Human-readable words of a concept: its ``text`` and every coding's ``display``."""
    if isinstance(concept, (list, tuple)):
        return [text for item in concept for text in texts_of(item)]
    if not isinstance(concept, dict):
        return []
    found = [concept[k] for k in ("text", "display") if isinstance(concept.get(k), str)]
    return found + texts_of(concept.get("coding"))


@cache
def _phrase(phrase: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in phrase.casefold().split())
    return re.compile(rf"(?<![a-z0-9]){words}(?![a-z0-9])")


@lru_cache(maxsize=1 << 16)
def _text_rule_matches(rule: str, text: str) -> bool:
    """All '+'-joined phrases appear as words, and no negating word appears that the rule lacks."""
    phrases = [p.strip() for p in rule.split("+") if p.strip()]
    if not phrases or not all(_phrase(p).search(text) for p in phrases):
        return False
    return not any(_phrase(n).search(text) and n not in rule.casefold() for n in _NEGATIONS)


@cache
def _valueset_rows() -> dict[str, list[tuple[str, str]]]:
    sets: dict[str, list[tuple[str, str]]] = {}
    for row in read_table("valuesets.csv", ("valueset", "system", "code", "display")):
        if not row["valueset"] or not row["code"]:
            raise TableError(f"valuesets.csv: empty value set id or code in {row['valueset']!r}")
        system = row["system"] if row["system"] in (_TEXT_RULE, _INCLUDE) else normalise_system(row["system"])
        sets.setdefault(row["valueset"], []).append((system, row["code"]))
    return sets


@cache
def _expanded(vs_id: str) -> tuple[frozenset[tuple[str, str]], tuple[str, ...]]:
    """(codes, text rules) of a value set with its includes expanded."""
    rows = _valueset_rows()
    if vs_id not in rows:
        raise UnknownValueSet(f"unknown value set {vs_id!r} (not in data/terminology/valuesets.csv)")
    codes: set[tuple[str, str]] = set()
    rules: list[str] = []
    seen: set[str] = set()
    pending = [vs_id]  # includes are expanded breadth-first; cycles are harmless
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        if current not in rows:
            raise TableError(f"valuesets.csv: {vs_id!r} includes unknown value set {current!r}")
        seen.add(current)
        for system, code in rows[current]:
            if system == _INCLUDE:
                pending.append(code)
            elif system == _TEXT_RULE:
                rules.append(code.casefold())
            else:
                codes.add((system, code))
    return frozenset(codes), tuple(rules)


def valueset_ids() -> tuple[str, ...]:
    """Every value set id, in file order."""
    return tuple(_valueset_rows())


def valueset(vs_id: str) -> frozenset[tuple[str, str]]:
    """The (system, code) pairs of a value set; its display-text rules are not included."""
    return _expanded(vs_id)[0]


def text_rules(vs_id: str) -> tuple[str, ...]:
    """The display-text rules of a value set (lower case; '+' joins phrases that must all appear)."""
    return _expanded(vs_id)[1]


def in_valueset(vs_id: str | tuple[str, ...], concept: Any) -> bool:
    """True when a coding of concept is in the value set (or sets), or its text meets a text rule."""
    codes, rules = _expanded(vs_id) if isinstance(vs_id, str) else _union(vs_id)
    if any(pair in codes for pair in codings_of(concept)):
        return True
    text = " | ".join(texts_of(concept)).casefold() if rules else ""
    return any(_text_rule_matches(rule, text) for rule in rules)


@cache
def _union(vs_ids: tuple[str, ...]) -> tuple[frozenset[tuple[str, str]], tuple[str, ...]]:
    sets = [_expanded(vs_id) for vs_id in vs_ids]
    return frozenset().union(*(s[0] for s in sets)), tuple(dict.fromkeys(r for s in sets for r in s[1]))


@cache
def _measures() -> tuple[Measure, ...]:
    columns = ("id", "name", "plain_name", "unit", "display_unit", "valueset", "category")
    rows = read_table("measures.csv", columns)
    if len({row["id"] for row in rows}) != len(rows):
        raise TableError("measures.csv: a measure id is listed twice")
    return tuple(Measure(**{c: row[c] for c in columns}, source=row["source"],
                         verified=row["verified"] == "yes") for row in rows)


def measures() -> dict[str, Measure]:
    """All measures by id, ordered as in measures.csv (the order a menu lists them)."""
    return {item.id: item for item in _measures()}


def measure(measure_id: str) -> Measure:
    """One measure by id; UnknownMeasure if there is none."""
    try:
        return measures()[measure_id]
    except KeyError:
        raise UnknownMeasure(f"unknown measure {measure_id!r} (not in measures.csv)") from None


def measure_for(concept: Any) -> Measure | None:
    """The measure whose value set holds any coding of concept (codes first, then text rules)."""
    return _measure_for(tuple(codings_of(concept)), " | ".join(texts_of(concept)).casefold())


@lru_cache(maxsize=1 << 14)
def _measure_for(pairs: tuple[tuple[str, str], ...], text: str) -> Measure | None:
    concept = {"coding": [{"system": system, "code": code} for system, code in pairs], "text": text}
    for item in measures().values():
        if any(pair in valueset(item.valueset) for pair in pairs):
            return item
    for item in measures().values():
        if text_rules(item.valueset) and in_valueset(item.valueset, concept):
            return item
    return None


@cache
def _medicine_rules() -> dict[str, dict[str, list[Any]]]:
    rules: dict[str, dict[str, list[Any]]] = {}
    for row in read_table("medicines.csv", ("class", "match", "kind")):
        entry = rules.setdefault(row["class"], {"code": [], "ingredient": [], "exclude": [], "requires": []})
        if row["kind"] not in entry:
            raise TableError(f"medicines.csv: unknown kind {row['kind']!r} for {row['match']!r}")
        if row["kind"] == "code":
            system, _, code = row["match"].rpartition("|")
            entry["code"].append((normalise_system(system), code.strip()))
        else:
            entry[row["kind"]].append(_phrase(row["match"]))
    return rules


def medicine_classes(concept: Any = None, text: str | None = None) -> frozenset[str]:
    """Classes of a medicine: by code, or by ingredient word in its displays, its text and text.

    A word match is dropped when an 'exclude' phrase of the class appears (insulin pen needles), or
    when the class has 'requires' phrases and none appears (anticipatory medicines are injections).
    """
    return _medicine_classes(frozenset(codings_of(concept)),
                             " | ".join([*texts_of(concept), text or ""]).casefold())


@lru_cache(maxsize=1 << 14)
def _medicine_classes(pairs: frozenset[tuple[str, str]], words: str) -> frozenset[str]:
    def seen(kind: str, rule: dict[str, list[Any]]) -> bool:
        return any(pattern.search(words) for pattern in rule[kind])

    return frozenset(
        name for name, rule in _medicine_rules().items()
        if pairs.intersection(rule["code"])
        or (seen("ingredient", rule) and not seen("exclude", rule)
            and (not rule["requires"] or seen("requires", rule))))


def _flag(text: str, where: str) -> bool:
    if text not in ("", "yes", "no"):
        raise TableError(f"{where}: {text!r} must be yes or no")
    return text != "no"  # blank means yes


@cache
def _targets() -> tuple[Target, ...]:
    columns = ("id", "measure", "condition", "applies_when", "low", "high", "unit", "text")
    found = []
    for row in read_table("targets.csv", (*columns, "kind", "label", "low_inclusive", "high_inclusive")):
        where = f"targets.csv {row['id']}"
        found.append(Target(
            **{c: row[c] for c in columns if c not in ("low", "high")},
            low=_number(row["low"], where), high=_number(row["high"], where),
            source=row["source"], verified=row["verified"] == "yes", kind=row["kind"] or "target",
            label=row["label"], low_inclusive=_flag(row["low_inclusive"], where),
            high_inclusive=_flag(row["high_inclusive"], where)))
    return tuple(found)


def targets(measure_id: str, condition: str | None = None) -> list[Target]:
    """Targets, bands and thresholds for a measure; with condition, that condition's and 'any'."""
    measure(measure_id)
    return [t for t in _targets() if t.measure == measure_id
            and (condition is None or t.condition in (condition, "any"))]


@cache
def _intervals() -> tuple[Interval, ...]:
    columns = ("check", "condition", "evidence", "interval_days", "grace_days", "stricter_when",
               "stricter_interval_days", "declined", "parts", "text")
    found = []
    for row in read_table("intervals.csv", columns):
        where = f"intervals.csv {row['check']}/{row['condition']}"
        found.append(Interval(
            check=row["check"], condition=row["condition"], evidence=_split(row["evidence"]),
            interval_days=_days(row["interval_days"], where) or 0,
            grace_days=_days(row["grace_days"], where) or 0,
            stricter_when=row["stricter_when"] or None,
            stricter_interval_days=_days(row["stricter_interval_days"], where),
            source=row["source"], verified=row["verified"] == "yes",
            declined=_split(row["declined"]), parts=_split(row["parts"]), text=row["text"]))
    return tuple(found)


def intervals(condition: str | None = None) -> list[Interval]:
    """Due rules in file order; with condition, only that condition's."""
    return [i for i in _intervals() if condition is None or i.condition == condition]


def interval(check: str, condition: str | None = None) -> Interval:
    """The due rule for a check (the first listed when condition is None); UnknownCheck if none."""
    for item in intervals(condition):
        if item.check == check:
            return item
    where = f" for condition {condition!r}" if condition else ""
    raise UnknownCheck(f"unknown check {check!r}{where} (not in intervals.csv)")


@cache
def _glossary() -> tuple[tuple[str, str], ...]:
    return tuple((r["abbreviation"], r["meaning"]) for r in read_table("glossary.csv", ("abbreviation", "meaning")))


def glossary() -> dict[str, str]:
    """Abbreviations common in UK clinic letters and what they mean (a fresh dict each call)."""
    return dict(_glossary())


@cache
def _labels() -> tuple[tuple[str, str, str], ...]:
    rows = read_table("sensitivity.csv", ("system", "code", "meaning", "hidden_from"))
    if any(row["hidden_from"] not in ("all", "clinic") for row in rows):
        raise TableError("sensitivity.csv: hidden_from must be all or clinic")
    return tuple((row["system"], row["code"], row["hidden_from"]) for row in rows)


def hidden_labels(viewer_kind: str) -> frozenset[tuple[str, str]]:
    """Security labels (system, code) whose resources this kind of viewer must not see."""
    if viewer_kind not in _VIEWERS:
        raise UnknownViewerKind(f"unknown viewer kind {viewer_kind!r}; expected patient, proxy or clinic")
    scopes = _VIEWERS[viewer_kind]
    return frozenset((system, code) for system, code, hidden in _labels() if hidden in scopes)
