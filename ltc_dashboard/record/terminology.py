"""Codes, measures, targets, due intervals, medicine classes and labels, read from data tables.

The CSV files in ``data/terminology/`` are the only place codes, targets and intervals live (see
their README). This module reads them once, checks that every row names a source and says whether
it is verified, and answers the questions the rest of the program asks of a FHIR coding: which value
set is it in, which measure is it, which medicine classes does it belong to. Stdlib and pydantic only.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from ltc_dashboard import fhir_read

from ltc_dashboard.record import citations
from ltc_dashboard.record.due_rules import Interval, Target, UnknownCheck, interval, intervals, targets  # noqa: F401
from ltc_dashboard.record.kept_lookups import holds_record_words
from ltc_dashboard.record.measures import Measure, UnknownMeasure, measure, measures  # noqa: F401  the table's owner
from ltc_dashboard.record.tables import TableError, TerminologyError, read_table  # noqa: F401

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "http://loinc.org/": LOINC,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
}
_KNOWN = {LOINC: LOINC, RXNORM.casefold(): RXNORM}
_TEXT_RULE = "text"  # valuesets.csv system for a display-text rule
_INCLUDE = "valueset"  # valuesets.csv system for "all codes of another value set"
# Words that turn a phrase match into its opposite ("retinal screening declined").
_NEGATIONS = ("declined", "refused", "not", "unsuitable", "exception", "excepted", "exempt",
              "dissent", "did not attend", "dna")
_VIEWERS = {"patient": ("all",), "proxy": ("all",), "clinic": ("all", "clinic")}


class UnknownValueSet(TerminologyError, KeyError):
    """No value set with that id exists in valuesets.csv."""


class UnknownViewerKind(TerminologyError, ValueError):
    """The viewer kind is not one of patient, proxy or clinic."""


def normalise_system(system: str | None) -> str:
    """The canonical URI for a code system (SNOMED edition URIs and OIDs become SNOMED)."""
    return _normalised(system) if isinstance(system, str) else ""  # (a list is no key for the cache)


@lru_cache(maxsize=4096)
def _normalised(system: str) -> str:
    system = system.strip()
    if system.startswith(SNOMED + "/"):
        return SNOMED
    found = _SYSTEM_ALIASES.get(system)
    if found:
        return found
    # The same system in another spelling (https, upper case, a trailing slash): the code
    # systems' URIs are case-insensitive web addresses, and a prognosis code must not slip past
    # the gate's check for being spelt so (found by the second outside review).
    folded = system.casefold().rstrip("/")
    folded = "http://" + folded[len("https://"):] if folded.startswith("https://") else folded
    if folded == SNOMED or folded.startswith(SNOMED + "/"):
        return SNOMED
    return _SYSTEM_ALIASES.get(folded, _KNOWN.get(folded, system))


def codings_of(concept: Any) -> list[tuple[str, str]]:
    """(system, code) pairs from a CodeableConcept, a Coding, a list of either, or None, read
    through fhir_read (text only; a Coding inside a Coding is not FHIR and is not looked into)."""
    found = []
    for item in fhir_read.objects(concept):
        for one in fhir_read.coding_list(item["coding"]) if "coding" in item else (item,):
            system, code, _ = fhir_read.coding(one)
            if code.strip():
                found.append((normalise_system(system), code.strip()))
    return found


def texts_of(concept: Any) -> list[str]:
    """Human-readable words of a concept: its ``text`` and every coding's ``display``."""
    found = []
    for item in fhir_read.objects(concept):
        found += [item[k] for k in ("text", "display") if isinstance(item.get(k), str)]
        found += [c.display for c in fhir_read.codings(item) if c.display]
    return found


@cache
def _phrase(phrase: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in phrase.casefold().split())
    return re.compile(rf"(?<![a-z0-9]){words}(?![a-z0-9])")


@holds_record_words
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


def measure_for(concept: Any) -> Measure | None:
    """The measure whose value set holds any coding of concept (codes first, then text rules)."""
    return _measure_for(tuple(codings_of(concept)), " | ".join(texts_of(concept)).casefold())


@holds_record_words
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


@holds_record_words
@lru_cache(maxsize=1 << 14)
def _medicine_classes(pairs: frozenset[tuple[str, str]], words: str) -> frozenset[str]:
    return frozenset(name for name, rule in _medicine_rules().items() if _rule_holds(rule, pairs, words))


def _rule_holds(rule: dict[str, list[Any]], pairs: frozenset[tuple[str, str]], words: str) -> bool:
    """Whether one medicine class's rule (medicines.csv) holds for these codes and words."""
    def seen(kind: str) -> bool:
        return any(pattern.search(words) for pattern in rule[kind])

    return bool(pairs.intersection(rule["code"])) or (
        seen("ingredient") and not seen("exclude") and (not rule["requires"] or seen("requires")))


def in_medicine_class(name: str, text: str) -> bool:
    """Whether a text names a medicine of this class: `name in medicine_classes(text=text)`,
    testing that class's rule alone (a letter's words are tested one by one)."""
    rule = _medicine_rules().get(name)
    return rule is not None and _rule_holds(rule, frozenset(), " | ".join([*texts_of(None), text or ""]).casefold())


@cache
def view_suggestions() -> tuple[tuple[str, str, tuple[str, ...], str, str], ...]:
    """What may suggest a condition view (view_suggestions.csv): rows of (view, kind, ids, words,
    carer_words); kind is measure, medicine, valueset (evidence) or condition (the "If ..." clause)."""
    rows = read_table("view_suggestions.csv", ("view", "kind", "ids", "words", "carer_words"))
    if any(row["kind"] not in ("measure", "medicine", "valueset", "condition") for row in rows):
        raise TableError("view_suggestions.csv: kind must be measure, medicine, valueset or condition")
    return tuple((row["view"], row["kind"], tuple(i for i in row["ids"].split("|") if i), row["words"],
                  row["carer_words"]) for row in rows)


def preload() -> None:
    """Read every table and compile every pattern now (a server's start), not during the first
    person's first page: the value sets, measures, medicine classes, glossary and labels."""
    for vs_id in valueset_ids():
        _expanded(vs_id)
        for rule in text_rules(vs_id):
            for phrase in (p.strip() for p in rule.split("+")):
                if phrase:
                    _phrase(phrase)
    for negation in _NEGATIONS:
        _phrase(negation)
    measures()
    _medicine_rules()
    _glossary()
    _labels()
    view_suggestions()
    citations.preload()


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
