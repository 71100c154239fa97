"""Decide whether a raw FHIR resource can be imported, and if not say why in plain words.

`check(resource)` returns None for a resource we can import, or a short reason such as
"impossible date '2023-02-30' at effectiveDateTime". It is deliberately not a full FHIR validator:
it catches what would break the record later (no type, a bad id, a date that cannot exist, a
measurement that is not a number, a clinical entry with no patient). Reasons name the field path
and at most 40 characters of the offending value, never other patient data.

The whole resource is walked once, with the common case (a string under a key that is not a date)
kept cheap: connectors call `check` on every resource, so a 25,000-resource bundle must not cost
much more than parsing it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from connectors.validate_subject import subject_problem
from ltc_dashboard.fhir_read import CODING_KEYS, MAX_DEPTH, coding_problem

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

# FHIR date, dateTime and instant: YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm:ss(.sss)(Z|+hh:mm).
# The pattern checks the shape; the calendar check below finds dates that cannot exist.
# FHIR requires a zone (and seconds) on a time, but GP and app exports often leave them out; such a
# value is accepted and read as UK local time (ltc_dashboard/record/dates.py) rather than losing the entry.
_DATE = re.compile(
    r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]{1,9})?)?"
    r"(?P<zone>Z|[+-](?P<zone_hour>[0-9]{2}):(?P<zone_minute>[0-9]{2}))?)?)?)?"
)

# Keys whose string values FHIR defines as date, dateTime or instant, besides those matched by suffix.
_DATE_KEYS = frozenset(
    {
        "start", "end", "issued", "authoredOn", "recordedDate", "birthDate", "lastUpdated",
        "created", "recorded", "started", "timestamp", "sent", "received", "dateAsserted",
        "whenHandedOver", "whenPrepared", "lastOccurrence",
    }
)
_DATE_SUFFIXES = ("Date", "DateTime", "date", "dateTime", "Instant")

# Keys whose object value is a Quantity (or Money, Age, Duration ...) with a numeric `value`.
_QUANTITY_KEYS = frozenset(
    {
        "quantity", "low", "high", "numerator", "denominator", "origin", "amount", "net",
        "unitPrice", "valueAge", "valueDuration", "valueDistance", "valueCount", "valueMoney",
    }
)
_DATE_FLAG = 1
_QUANTITY_FLAG = 2
_TYPED_FLAG = 4
_BAD_TEXT_FLAG = 8
_CODING_FLAG = 16
# Elements FHIR R4 defines as text wherever they appear (Coding.system and .display, Identifier,
# Quantity and ContactPoint .system, Reference.display): ltc_dashboard/record/ reads them as text.
_TEXT_KEYS = frozenset({"system", "display"})
_TEXT_FLAG = 32
# Codings checked here: all but security labels. A label that cannot be read is kept, and the gate
# withholds its entry from everyone and counts it (gate.policy.UNREADABLE_LABEL): refusing it
# would lose the entry with no trace in the record.
_CHECKED_CODINGS = CODING_KEYS - {"security"}
# A lone UTF-16 surrogate: JSON can spell one ("\ud800") but it is not a character, cannot be
# stored as UTF-8 and would stop the whole import if it reached the store.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_TEXT = "text that is not valid Unicode"
_key_flag_cache: dict[object, int] = {}
_KEY_CACHE_LIMIT = 4096  # keys come from untrusted files; do not let the cache grow without end


def _is_int(value: object) -> bool:
    return type(value) is int


def _is_number(value: object) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


# Primitive value[x] choices whose JSON type is fixed.
_TYPED_VALUES = {
    "valueInteger": _is_int,
    "valuePositiveInt": _is_int,
    "valueUnsignedInt": _is_int,
    "valueDecimal": _is_number,
    "valueBoolean": lambda value: type(value) is bool,
}

# Types whose top-level `status` is a CodeableConcept rather than a code string.
_STATUS_NOT_CODE = frozenset({"SubstanceSpecification", "MedicinalProductAuthorization"})

_MAX_SHOWN = 40
_TOO_DEEP = "structure nested too deeply"


@dataclass
class _Problem:
    """What is wrong, the offending value, and the path to it (innermost segment first)."""

    kind: str
    value: object
    path: list[str] = field(default_factory=list)

    def reason(self) -> str:
        if self.kind == _TOO_DEEP:  # the path would be as long as the nesting: name where it starts
            return f"{_TOO_DEEP} (more than {MAX_DEPTH} levels) under {self.path[-1] if self.path else 'the resource'}"
        path = ""
        for segment in reversed(self.path):
            path += segment if (segment.startswith("[") or not path) else "." + segment
        return f"{self.kind} '{_shown(self.value)}' at {path}"


def _shown(value: object) -> str:
    """The offending value as text, cut to 40 characters; containers are not spelt out."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        text = "{...}"
    elif isinstance(value, list):
        text = "[...]"
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return printable(text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "...")


def _segment(key: object) -> str:
    text = str(key)
    return printable(text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "...")


# Control characters and line breaks, which would split a reason over lines or drive a terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """Text safe to print on one line: controls as \\x1b, a lone surrogate as \\ud800 (for
    reasons that quote what a file says)."""
    text = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}" if ord(found.group()) < 256
                        else f"\\u{ord(found.group()):04x}", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _bad_text(text: str) -> bool:
    """Whether a string holds a lone surrogate; ASCII strings (most of them) are ruled out at once."""
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None


def _key_flags(key: object) -> int:
    """Whether values under `key` are dates and/or Quantities, worked out once per key name."""
    flags = 0
    if isinstance(key, str):
        if key in _DATE_KEYS or key.endswith(_DATE_SUFFIXES):
            flags |= _DATE_FLAG
        if key in _QUANTITY_KEYS or key.endswith("Quantity"):
            flags |= _QUANTITY_FLAG
        if key in _TYPED_VALUES:
            flags |= _TYPED_FLAG
        if _bad_text(key):
            flags |= _BAD_TEXT_FLAG
        if key in _CHECKED_CODINGS:
            flags |= _CODING_FLAG
        if key in _TEXT_KEYS:
            flags |= _TEXT_FLAG
    if len(_key_flag_cache) < _KEY_CACHE_LIMIT:
        _key_flag_cache[key] = flags
    return flags


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS_IN_MONTH[month - 1]


def date_problem(text: str) -> str | None:
    """Return "invalid date" if `text` is not in a FHIR date format, "impossible date" if it names
    a day or time that cannot exist, else None."""
    match = _DATE.fullmatch(text)
    if match is None:
        return "invalid date"
    year = int(match["year"])
    if year == 0:
        return "impossible date"
    if match["month"] is not None:
        month = int(match["month"])
        if not 1 <= month <= 12:
            return "impossible date"
        if match["day"] is not None:
            day = int(match["day"])
            if not 1 <= day <= _days_in_month(year, month):
                return "impossible date"
            if match["hour"] is not None:
                # FHIR allows a leap second (:60); 24:00 is not allowed.
                if int(match["hour"]) > 23 or int(match["minute"]) > 59 or int(match["second"] or 0) > 60:
                    return "impossible date"
                if match["zone_hour"] is not None:
                    zone_hour, zone_minute = int(match["zone_hour"]), int(match["zone_minute"])
                    if zone_minute > 59 or zone_hour > 14 or (zone_hour == 14 and zone_minute):
                        return "impossible date"
    return None


def _walk(node: dict, depth: int = 1) -> _Problem | None:
    """Find the first bad value anywhere under `node`, which is `depth` objects and lists deep.

    Called on every element of every resource imported, so the common cases (a string under a key
    that is not a date, a nested object) are handled inline with one cached lookup per key.
    """
    if depth > MAX_DEPTH:
        return _Problem(_TOO_DEEP, node)
    for key, value in node.items():
        flags = _key_flag_cache.get(key)
        if flags is None:
            flags = _key_flags(key)
        if flags & _TYPED_FLAG and not _TYPED_VALUES[key](value):
            return _Problem("invalid value", value, [_segment(key)])
        if flags & _BAD_TEXT_FLAG:
            return _Problem(_BAD_TEXT, key, [_segment(key)])
        kind = type(value)
        if kind is str:
            if _bad_text(value):
                return _Problem(_BAD_TEXT, value, [_segment(key)])
            if flags & _DATE_FLAG:
                problem = date_problem(value)
                if problem is not None:
                    return _Problem(problem, value, [_segment(key)])
            if not flags & _CODING_FLAG or key != "coding":
                continue
        if flags & (_CODING_FLAG | _TEXT_FLAG):
            problem = _coded_problem(key, flags, value)
            if problem is not None:
                problem.path.append(_segment(key))
                return problem
        if kind is dict:
            problem = _quantity_problem(value) if flags & _QUANTITY_FLAG else None
            if problem is None:
                problem = _walk(value, depth + 1)
        elif kind is list:
            problem = _list_problem(key, flags, value, depth + 1)
        else:
            problem = _scalar_problem(key, value)
        if problem is not None:
            problem.path.append(_segment(key))
            return problem
    return None


def _list_problem(key: object, flags: int, items: list, depth: int) -> _Problem | None:
    """Check each item of a list found under `key` (`depth` deep); the path returned excludes `key`."""
    if depth > MAX_DEPTH:
        return _Problem(_TOO_DEEP, items)
    for index, item in enumerate(items):
        kind = type(item)
        if kind is dict:
            problem = _quantity_problem(item) if flags & _QUANTITY_FLAG else None
            if problem is None:
                problem = _walk(item, depth + 1)
        elif kind is str:
            problem = date_problem(item) if flags & _DATE_FLAG else None
            problem = None if problem is None else _Problem(problem, item)
            if _bad_text(item):
                problem = _Problem(_BAD_TEXT, item)
        elif kind is list:
            problem = _list_problem(key, flags, item, depth + 1)
        else:
            problem = _scalar_problem(key, item)
        if problem is not None:
            problem.path.append(f"[{index}]")
            return problem
    return None


def _coded_problem(key: str, flags: int, value: object) -> _Problem | None:
    """A Coding (or list of them) whose text elements are not text, a CodeableConcept.coding that
    is not a list of objects, or a system or display that is not text (fhir_read reads these as
    FHIR defines them); the path returned excludes `key`."""
    if flags & _TEXT_FLAG:
        return None if type(value) is str else _Problem("invalid value", value)
    if key == "coding" and (type(value) is not list or any(type(item) is not dict for item in value)):
        return _Problem("invalid coding (not a list of objects)", value)
    for index, item in enumerate(value if type(value) is list else [value]):
        element = coding_problem(item)
        if element is not None:
            return _Problem("invalid value", item[element], [element] + ([f"[{index}]"] if type(value) is list else []))
    return None


def _quantity_problem(quantity: dict) -> _Problem | None:
    if "value" in quantity and not _is_number(quantity["value"]):
        return _Problem("invalid value", quantity["value"], ["value"])
    return None


def _scalar_problem(key: object, value: object) -> _Problem | None:
    """Check a number, boolean or null found under `key`; the path returned excludes `key`."""
    if type(value) is float and not math.isfinite(value):
        return _Problem("invalid value", value)
    if key == "reference":
        return _Problem("invalid reference", value)
    return None


def _header_problem(resource: dict) -> str | None:
    """Checks on a resource's own top level: resourceType, id and status."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        return "missing resourceType"
    if "id" in resource:
        resource_id = resource["id"]
        if not isinstance(resource_id, str) or _ID.fullmatch(resource_id) is None:
            return f"invalid id '{_shown(resource_id)}'"
    if "status" in resource and resource_type not in _STATUS_NOT_CODE:
        if not isinstance(resource["status"], str):
            return f"invalid value '{_shown(resource['status'])}' at status"
    return None


def check(resource: object) -> str | None:
    """Return the plain-words reason `resource` cannot be imported, or None if it can."""
    if not isinstance(resource, dict):
        return "not a JSON object"
    problem = _header_problem(resource)
    if problem is not None:
        return problem
    contained = resource.get("contained")
    if isinstance(contained, list):
        for index, inner in enumerate(contained):
            problem = _header_problem(inner) if isinstance(inner, dict) else "not a JSON object"
            if problem is not None:
                return f"contained[{index}]: {problem}"
    try:
        found = _walk(resource)
    except RecursionError:  # (MAX_DEPTH stops it first; kept for a deeper stack in use)
        return "structure nested too deeply"
    if found is not None:
        return found.reason()
    return subject_problem(resource["resourceType"], resource)
