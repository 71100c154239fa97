"""Reading raw FHIR R4 JSON with its types checked, in one place.

A stored resource is the JSON that came in: any element may hold a list where FHIR has an
object, a number where it has text, or nest far deeper than any record does. Code that reads a
resource asks these accessors, which answer only in FHIR's own types and never raise: the gate's
facts and policy (record/snapshot/facts.py, record/policy.py), the terminology and the mapping
(record/terminology.py), sign-in (record/access.py) and, through those, the search index and the
exports. The importer (connectors/validate.py) rejects, naming the field, what they could not
read as FHIR says it is (`coding_problem`, `MAX_DEPTH`), so nothing odd is stored in the first
place; the accessors still hold for what was stored before, or arrives another way, and note
each Coding they met that was not in FHIR's shape (`odd_seen`): an entry whose facts the gate
read through such a Coding is withheld and counted (record/snapshot/build.py).

It is a top-level module because both sides use it: connectors/ may not import record/ (the
import rules in tests/test_architecture.py), and record/ may not import connectors/.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

# Deepest nesting of JSON objects and lists a resource may have. Real records stay far below it
# (nested extensions and questionnaire items reach a few dozen); deeper, a reader that follows
# the structure could run out of stack.
MAX_DEPTH = 100

# The elements of a Coding that are text (FHIR R4 Coding: system uri, version string, code code,
# display string).
CODING_TEXT = ("system", "version", "code", "display")
# Elements whose value is a Coding, or a list of them, wherever they appear: CodeableConcept.coding,
# Meta.security and Meta.tag, Consent.provision.securityLabel, .class and .purpose,
# Encounter.class, value[x] as a Coding.
CODING_KEYS = frozenset({"coding", "security", "tag", "securityLabel", "class", "purpose", "valueCoding"})


class Coding(NamedTuple):
    """A Coding's text elements; "" for one that is absent or not text."""

    system: str
    code: str
    display: str


def text(value) -> str | None:
    """A FHIR string (or code, uri, date as text): the value if it is text, else None."""
    return value if isinstance(value, str) else None


def objects(value) -> list[dict]:
    """A FHIR array of objects: its objects (other items skipped); a lone object as a list of
    one; anything else, none."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


class _Odd(threading.local):
    count = 0


_odd = _Odd()


def odd_seen() -> int:
    """How many Codings this thread has read that were not in FHIR's shape (an element that is
    not text, a Coding inside a Coding, a `coding` that is not a list). record/snapshot/build.py compares
    it before and after reading the gate's facts of a resource: a rise means the gate could not
    be sure what the resource says (a prognosis code under a system given as a list), and the
    entry is withheld and counted. Costs nothing on the common path."""
    return _odd.count


def coding(value: dict) -> Coding:
    """One Coding object's text elements. A code written as a whole JSON number (a SNOMED code
    some exporters do not quote) is read as its digits; the importer refuses it all the same."""
    system, code, display = value.get("system"), value.get("code"), value.get("display")
    if type(code) is int and -10**18 < code < 10**18:
        code = str(code)
    if not (isinstance(system, (str, type(None))) and isinstance(code, (str, type(None)))
            and isinstance(display, (str, type(None)))) or "coding" in value:
        _odd.count += 1
    return Coding(system if isinstance(system, str) else "", code if isinstance(code, str) else "",
                  display if isinstance(display, str) else "")


def coding_list(value) -> list[dict]:
    """CodeableConcept.coding: its Coding objects (a lone one as a list of one); anything else
    there is noted as odd (see odd_seen)."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        if value is not None:
            _odd.count += 1
    return objects(value)


def codings(concept) -> list[Coding]:
    """The Codings of a CodeableConcept, or of a list of them. A Coding inside a Coding is not
    FHIR and is not looked into."""
    return [coding(item) for one in objects(concept) for item in coding_list(one.get("coding"))]


def reference(value) -> str | None:
    """The `reference` text of a FHIR Reference, or None."""
    return text(value.get("reference")) if isinstance(value, dict) else None


def objects_in(node):
    """Every JSON object anywhere in a decoded resource, itself included, walked without recursion
    (FHIR bounds no depth, and a deep resource must not overflow the stack)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


def reference_id(target: str) -> str | None:
    """The id a reference text names, its stated type not checked: "Goal/1",
    "https://host/fhir/Goal/1/_history/2", "urn:uuid:1" and "#1" all give "1"."""
    target = target.strip()
    if target.lower().startswith(("urn:uuid:", "urn:oid:")):
        return target.split(":", 2)[2] or None
    if target.startswith("#"):
        return target[1:] or None
    parts = [part for part in target.split("/") if part]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return parts[-1] if parts else None


def concept_text(concept) -> str | None:
    """The words of a CodeableConcept (or the first of a list): its text, else a coding's display."""
    for one in objects(concept):
        words = text(one.get("text"))
        if words and words.strip():
            return words
        for item in codings(one):
            if item.display.strip():
                return item.display
    return None


def person_name(resource: dict) -> str | None:
    """The first HumanName of a Patient, RelatedPerson or Practitioner as one line: its text,
    else its given names and family name."""
    for name in objects(resource.get("name")):
        words = text(name.get("text"))
        if words and words.strip():
            return words
        given = name.get("given")
        parts = [*(given if isinstance(given, list) else []), name.get("family")]
        line = " ".join(p for p in parts if isinstance(p, str) and p).strip()
        if line:
            return line
    return None


def coding_problem(value) -> str | None:
    """Which text element of a Coding is not text ("code" ...), or None when all are."""
    if not isinstance(value, dict):
        return None
    for key in CODING_TEXT:
        if key in value and not isinstance(value[key], str):
            return key
    return None

