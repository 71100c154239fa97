"""Small, forgiving readers for FHIR JSON shared by the mapping modules.

Real records arrive with missing fields, a dict where a list belongs, or a list where a dict belongs.
These helpers turn every such shape into "absent" instead of an exception, so one odd entry never stops
a record from being shown.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from ltc_dashboard import fhir_read
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import UK, FhirDate, clinical_date, parse_or_none
from ltc_dashboard.record.kept_lookups import holds_record_words


def as_dict(value) -> dict:
    """The value if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def dicts(value) -> list[dict]:
    """The JSON objects in a list (a lone object counts as a list of one)."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    if isinstance(value, dict):
        return [value]
    return []


def string(value) -> str | None:
    """A non-empty stripped string, else None."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def number(value) -> float | None:
    """A finite number (JSON number, or a numeric string), else None; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            result = float(value)
        elif isinstance(value, str):
            result = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):  # not a number, or an integer too big for a float
        return None
    return result if math.isfinite(result) else None


# A CodeableConcept read once into immutable parts: (first text or None, ((system, code, display), ...)),
# every part a stripped string ("" for a missing system or display), codings without a code dropped.
ConceptKey = tuple[str | None, tuple[tuple[str, str, str], ...]]


def concept_key(concept) -> ConceptKey:
    """A CodeableConcept (or Coding, or list of them) reduced to string text and string codings.

    Everything handed to `record.terminology` is built from this, so a number or list where a
    string belongs can never reach code that expects text. The result is immutable, so it can be
    shared and used as a cache key.
    """
    if isinstance(concept, dict):
        concepts: list = [concept]
    elif isinstance(concept, list):
        concepts = concept
    else:
        return None, ()
    text = None
    found: list[tuple[str, str, str]] = []
    for item in concepts:
        if not isinstance(item, dict):
            continue
        if text is None:
            text = string(item.get("text"))
        raw = item.get("coding") if "coding" in item else item
        for coding in (raw,) if isinstance(raw, dict) else raw if isinstance(raw, list) else ():
            if not isinstance(coding, dict):
                continue
            code = coding.get("code")
            if isinstance(code, str):
                code = code.strip()
            elif isinstance(code, int) and not isinstance(code, bool):
                code = str(code)
            else:
                continue
            if code:
                system, shown = coding.get("system"), coding.get("display")
                found.append((system.strip() if isinstance(system, str) else "", code,
                              shown.strip() if isinstance(shown, str) else ""))
    return text, tuple(found)


def key_concept(key: ConceptKey) -> dict:
    """A fresh CodeableConcept dict holding a concept_key's text and codings."""
    text, found = key
    concept: dict = {"coding": [{"system": system, "code": code, "display": shown}
                                for system, code, shown in found]}
    if text is not None:
        concept["text"] = text
    return concept


def clean_concept(concept) -> dict:
    """A CodeableConcept (or Coding, or list of them) as a fresh dict of string text and codings."""
    return key_concept(concept_key(concept))


def key_codings(key: ConceptKey) -> list[tuple[str, str]]:
    """(system, code) pairs of a concept_key, systems normalised as `record.terminology` does."""
    normalise = terminology.normalise_system
    return [(normalise(system), code) for system, code, _ in key[1]]


def codings(concept) -> list[tuple[str, str]]:
    """(system, code) pairs of a CodeableConcept, a Coding or a list of either."""
    if not isinstance(concept, (dict, list)):
        return []
    return key_codings(concept_key(concept))


_SMALL = 200  # longest text or display kept in the measure cache (a bound on what it can hold)


def cacheable(key: ConceptKey, *texts: str | None) -> bool:
    """Whether a concept_key (and texts) are short enough to keep in a cache (real codes are)."""
    text, found = key
    if len(found) > 8:
        return False
    for words in (text, *texts):
        if words is not None and len(words) > _SMALL:
            return False
    for system, code, shown in found:  # plain loops: this runs for every result of a record
        if len(system) > _SMALL or len(code) > _SMALL or len(shown) > _SMALL:
            return False
    return True


def key_measure(key: ConceptKey) -> terminology.Measure | None:
    """terminology.measure_for of a concept_key, cached for the short keys that real codes have."""
    if cacheable(key):
        return _cached_measure(key)
    return terminology.measure_for(key_concept(key))


@holds_record_words
@lru_cache(maxsize=4096)
def _cached_measure(key: ConceptKey) -> terminology.Measure | None:
    return terminology.measure_for(key_concept(key))


def first_code(concept) -> str | None:
    """The first code in a CodeableConcept (for status-like concepts such as clinicalStatus)."""
    for coding in dicts(as_dict(concept).get("coding")):
        code = string(coding.get("code"))
        if code:
            return code
    return None


def display(concept) -> str | None:
    """Best human words for a CodeableConcept: its text, else the first coding's display."""
    concept = as_dict(concept)
    text = string(concept.get("text"))
    if text:
        return text
    for coding in dicts(concept.get("coding")):
        shown = string(coding.get("display"))
        if shown:
            return shown
    return None


def displays(concepts) -> list[str]:
    """Displays of a list of CodeableConcepts, skipping ones without words."""
    return [shown for shown in (display(c) for c in dicts(concepts)) if shown]


def all_codings(concepts) -> list[tuple[str, str]]:
    """Codings of every CodeableConcept in a list, in order, without repeats."""
    found: list[tuple[str, str]] = []
    for concept in dicts(concepts):
        for pair in key_codings(concept_key(concept)):
            if pair not in found:
                found.append(pair)
    return found


def codes(concepts) -> list[str]:
    """Bare codes of every CodeableConcept in a list (e.g. observation categories)."""
    return [code for _, code in all_codings(concepts)]


def fhir_date(value) -> FhirDate | None:
    """A FHIR date with its precision, or None when missing or impossible."""
    return parse_or_none(value) if isinstance(value, str) else None


def day(value) -> dt.date | None:
    """The UK calendar day of a FHIR date or dateTime, or None."""
    found = fhir_date(value)
    return found.day if found else None


def uk_datetime(value) -> dt.datetime | None:
    """A zoned FHIR dateTime/instant as an aware datetime on the UK clock; None otherwise."""
    text = string(value)
    if not text or "T" not in text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    try:
        return moment.astimezone(UK) if moment.tzinfo else None
    except OverflowError:  # (late on 31 December 9999 west of UTC: past the last instant Python has)
        return None


def happened(resource: dict) -> FhirDate | None:
    """The clinical date of a resource (record.dates.clinical_date), never raising on odd shapes."""
    try:
        return clinical_date(resource)
    except (AttributeError, TypeError, ValueError, IndexError):
        return None


def entry_fields(resource: dict, concept=None) -> dict:
    """The fields every mapped entry shares: id, type, codes and words of `concept`, clinical date."""
    when = happened(resource)
    return {
        "id": string(resource.get("id")) or "unknown",
        "resource_type": string(resource.get("resourceType")) or "Unknown",
        "codings": codings(concept),
        "text": display(concept),
        "date": when.day if when else None,
        "date_precision": when.precision if when else None,
    }


def reference_id(reference) -> str | None:
    """The id a Reference points at: "Goal/1" and "urn:uuid:1" and "#1" all give "1"."""
    if isinstance(reference, dict):
        reference = reference.get("reference")
    target = string(reference)
    return fhir_read.reference_id(target) if target else None


def reference_text(reference) -> str | None:
    """The literal reference string ("RelatedPerson/daughter-1"), else None."""
    return string(as_dict(reference).get("reference"))


class Index:
    """Resources of the record by id and by "Type/id", for resolving references."""

    def __init__(self, resources: list[dict]) -> None:
        self._by_key: dict[str, dict] = {}
        for resource in resources:
            rtype, rid = string(resource.get("resourceType")), string(resource.get("id"))
            if rtype and rid:
                self._by_key.setdefault(f"{rtype}/{rid}", resource)

    def resolve(self, reference, expected_type: str, container: dict | None = None) -> dict | None:
        """The resource a Reference points at (contained first), if it is in this record."""
        target = string(as_dict(reference).get("reference"))
        if not target:
            return None
        if target.startswith("#") and container is not None:
            for contained in dicts(container.get("contained")):
                if (contained.get("id"), contained.get("resourceType")) == (target[1:], expected_type):
                    return contained
            return None
        rid = reference_id(reference)
        return self.lookup(f"{expected_type}/{rid}") if rid else None

    def lookup(self, key: str) -> dict | None:
        """The resource stored under `Type/id` in this index, if any."""
        return self._by_key.get(key)

    def name_of(self, reference, container: dict | None = None) -> str | None:
        """A person's or organisation's name for a Reference: its display, else the resolved name."""
        shown = string(as_dict(reference).get("display"))
        if shown:
            return shown
        for rtype in ("Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Patient"):
            found = self.resolve(reference, rtype, container)
            if found:
                return string(found.get("name")) or human_name(found.get("name"))
        return None


def human_name(names) -> str | None:
    """ "Margaret Jones" from a list of HumanName (official first), without titles: fhir_read owns
    how a person is named (issue 19)."""
    return fhir_read.name_line(names)
