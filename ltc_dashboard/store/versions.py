"""Which stored copy of a resource wins, and which labels it keeps (issue 13, item 4).

Two copies of one (type, id) are ordered only when that is certain: by `meta.versionId` when both
are plain ASCII numbers, and by `meta.lastUpdated` read as an instant (any zone offset, any
fraction of a second), never as text. A partial or zone-less lastUpdated stands for every instant
it could mean. When the two answers disagree, or neither applies (equal instants, both missing,
unreadable, versionIds that are not numbers), the copies cannot be ordered.

The winner is a function of the *set* of copies seen, not of the order they came in: the store
keeps every distinct copy of a resource that has had more than one (`resource_copies`), and
`resolve` picks, from the copies no other copy is certainly newer than, one by a fixed rule and
gives it every label of all of them (`meta.security`, `securityLabel`, `confidentiality`, and the
labels of their contained resources, carried to the top-level `meta.security`), so a copy that may
be the newest never loses a label that hides it. The rule fails closed: the copy chosen is the one
that lets least be seen (`restraint`: one saying entered-in-error, a carer's Consent not active, a
RelatedPerson not active or ended), and only among equals the newest-looking.

This module reads raw JSON only; it must not import `record` (tests/test_architecture.py), so the
instant reading here is its own, small, and stricter than ltc_dashboard/record/dates.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from fractions import Fraction

from ltc_dashboard import fhir_read

# A FHIR date, dateTime or instant, ASCII digits only (`\d` would also take other scripts' digits).
_INSTANT = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)
_VERSION = re.compile(r"[0-9]{1,64}")
_DAY = 86400
_ANY_ZONE = 14 * 3600  # a time without a zone could be in any zone, UTC-12 to UTC+14
# gate.policy.UNREADABLE_LABEL as a Coding: labels that cannot be read hide an entry from everyone
# (tests/test_store_versions.py checks the two stay equal).
UNREADABLE_CODING = {"system": "urn:ltc:policy", "code": "unreadable-security-label"}
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# Composition.confidentiality, least to most restrictive (v3 Confidentiality); others rank above all.
_CONFIDENTIALITY = {"U": 0, "L": 1, "M": 2, "N": 3, "R": 4, "V": 5}


def instant_span(text) -> tuple[Fraction, Fraction, bool] | None:
    """(first, last, floating): the first and last moment (seconds since 0001-01-01) a FHIR date,
    dateTime or instant can mean, and whether it has no zone (then the moments are on its own
    clock, which may be any zone's); None when it is not one. An instant with its zone is one
    moment, in UTC."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    m = _INSTANT.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        start = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    base = Fraction((start.toordinal() - 1) * _DAY)
    if hour is None:  # a year, month or day: the whole span
        if day:
            end = start.toordinal() + 1
        elif month and (start.year < 9999 or start.month < 12):
            end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1).toordinal()
        elif not month and start.year < 9999:
            end = dt.date(start.year + 1, 1, 1).toordinal()
        else:
            end = dt.date.max.toordinal() + 1
        return base, Fraction((end - 1) * _DAY), True
    h, mi, s = int(hour), int(minute), int(second or 0)
    if h > 23 or mi > 59 or s > 60:
        return None
    moment = base + h * 3600 + mi * 60 + s + (Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0)
    width = 0 if second is not None else 60
    if zone is None:
        return moment, moment + width, True
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zm > 59 or zh > 14 or (zh == 14 and zm):
            return None
        moment -= (1 if zone[0] == "+" else -1) * (zh * 3600 + zm * 60)
    return moment, moment + width, False


def _by_time(a, b) -> int | None:
    """1, -1 or 0 when span `a` is certainly after, before or the same as `b`; else None. Two
    zone-less values are read on one clock; against a zoned one, a zone-less one could be in any."""
    if a is None or b is None:
        return None
    (a_lo, a_hi, a_float), (b_lo, b_hi, b_float) = a, b
    if a_float != b_float:  # widened by every zone, and a second more (the ends are then open)
        a_lo, a_hi = (a_lo - _ANY_ZONE, a_hi + _ANY_ZONE + 1) if a_float else (a_lo, a_hi)
        b_lo, b_hi = (b_lo - _ANY_ZONE, b_hi + _ANY_ZONE + 1) if b_float else (b_lo, b_hi)
    elif (a_lo, a_hi) == (b_lo, b_hi):
        return 0
    # A span [lo, hi) ends just before hi; a moment (lo == hi) is that moment.
    if a_lo > b_hi or (a_lo == b_hi and b_lo < b_hi):
        return 1
    if a_hi < b_lo or (a_hi == b_lo and a_lo < a_hi):
        return -1
    return None


@dataclass(frozen=True)
class Stamp:
    """What a copy says about its version: versionId (as text, if any) and lastUpdated's span."""

    version: str | None
    updated: tuple[Fraction, Fraction, bool] | None

    @property
    def number(self) -> int | None:
        """The versionId as a number, when it is one (ASCII digits only: "²" is not)."""
        return int(self.version) if self.version is not None and _VERSION.fullmatch(self.version) else None


def stamp_of(version, updated) -> Stamp:
    """A Stamp from meta.versionId and meta.lastUpdated as they came (any JSON type)."""
    if isinstance(version, bool) or not isinstance(version, (str, int)):
        version = None if version is None else json.dumps(version, sort_keys=True)
    return Stamp(None if version is None else str(version), instant_span(updated))


def stamp(resource: dict) -> Stamp:
    """The Stamp of a resource."""
    meta = resource.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    return stamp_of(meta.get("versionId"), meta.get("lastUpdated"))


def _compare(a, b) -> int | None:
    return None if a is None or b is None else (a > b) - (a < b)


def order(a: Stamp, b: Stamp) -> int | None:
    """1 when copy `a` is certainly newer than `b`, -1 when certainly older, 0 when both say the
    same version, None when they cannot be ordered for certain."""
    by_number = _compare(a.number, b.number)
    if by_number is None and a.version is not None and a.version == b.version:
        by_number = 0  # the same non-numeric versionId
    by_time = _by_time(a.updated, b.updated)
    if by_number and by_time and by_number != by_time:
        return None  # versionId and lastUpdated disagree
    if by_number or by_time:
        return by_number or by_time
    return 0 if 0 in (by_number, by_time) else None


def is_newer(incoming: tuple, existing: tuple) -> bool | None:
    """Whether an incoming (versionId, lastUpdated) may be taken in over the stored one.

    True: it is certainly newer, or the two cannot be ordered (the store then keeps the labels of
    both: `resolve`). False: it is certainly older. None: both say the same version."""
    found = order(stamp_of(*incoming), stamp_of(*existing))
    return {1: True, -1: False, 0: None}.get(found, True)


# -- labels ------------------------------------------------------------------------------------
def canonical(value) -> str:
    """JSON text with sorted keys: equal for equal values, whatever order their keys came in."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def label_items(resource: dict) -> frozenset[str]:
    """Every label a copy carries, each as canonical text: its `meta.security` codings, its
    `securityLabel` concepts and its `confidentiality` (a shape that cannot be read counts as the
    unreadable label, which hides from everyone)."""
    items = set()
    meta = resource.get("meta")
    security = meta.get("security") if isinstance(meta, dict) else None
    if meta is not None and not isinstance(meta, dict):
        items.add("security:" + canonical(UNREADABLE_CODING))
    elif isinstance(security, list):
        items.update("security:" + canonical(c) for c in security)
    elif security is not None:
        items.add("security:" + canonical(UNREADABLE_CODING))
    labels = resource.get("securityLabel")
    for concept in labels if isinstance(labels, list) else [] if labels is None else [labels]:
        items.add("securityLabel:" + canonical(concept))
    if "confidentiality" in resource:
        items.add("confidentiality:" + canonical(resource["confidentiality"]))
    return frozenset(items)


def _rank(code) -> tuple[int, str]:
    return (_CONFIDENTIALITY.get(code, 9) if isinstance(code, str) else 10, canonical(code))


def with_labels(resource: dict, items: frozenset[str]) -> dict:
    """A copy of `resource` carrying every label in `items` as well as its own (the most
    restrictive confidentiality of all), labels in a fixed order."""
    items = items | label_items(resource)
    out = dict(resource)
    security = sorted(i.split(":", 1)[1] for i in items if i.startswith("security:"))
    if security:
        meta = out.get("meta")
        out["meta"] = {**(meta if isinstance(meta, dict) else {}), "security": [json.loads(t) for t in security]}
    concepts = sorted(i.split(":", 1)[1] for i in items if i.startswith("securityLabel:"))
    if concepts:
        out["securityLabel"] = [json.loads(t) for t in concepts]
    levels = [json.loads(i.split(":", 1)[1]) for i in items if i.startswith("confidentiality:")]
    if levels:
        out["confidentiality"] = max(levels, key=_rank)
    return out


def _without_labels(resource: dict) -> str:
    """A copy's text with its labels left out (ties between copies are broken on it)."""
    out = {k: v for k, v in resource.items() if k not in ("securityLabel", "confidentiality")}
    if isinstance(out.get("meta"), dict):
        out["meta"] = {k: v for k, v in out["meta"].items() if k != "security"}
    return canonical(out)


def contained_label_items(resource: dict) -> frozenset[str]:
    """The labels of a copy's contained resources (`meta.security`, `securityLabel`,
    `confidentiality`) as top-level `meta.security` items: what a resource contains is part of it,
    so when copies are merged, a label on a contained resource of any copy hides the kept one."""
    items, todo = set(), [resource]
    while todo:
        node = todo.pop()
        contained = node.get("contained")
        if contained is None:
            continue
        for inner in contained if isinstance(contained, list) else [contained]:
            if not isinstance(inner, dict):
                items.add("security:" + canonical(UNREADABLE_CODING))
                continue
            todo.append(inner)
            for item in label_items(inner):
                kind, text = item.split(":", 1)
                items.update("security:" + canonical(c) for c in _as_codings(kind, json.loads(text)))
    return frozenset(items)


def _as_codings(kind: str, value) -> list:
    """A label of one of the three kinds as meta.security Codings (unreadable if it is no label)."""
    if kind == "security":
        return [value]
    if kind == "confidentiality":
        return [{"system": CONFIDENTIALITY, "code": value}] if isinstance(value, str) else [UNREADABLE_CODING]
    codings = value.get("coding") if isinstance(value, dict) else None
    if not isinstance(codings, list) or not all(isinstance(c, dict) for c in codings):
        return [UNREADABLE_CODING]
    return codings


# -- which of the copies that cannot be ordered grants least -------------------------------------
def _carer_permit(consent: dict) -> bool:
    """Whether a Consent only permits, and names a RelatedPerson (a carer) in its provision."""
    found = list(fhir_read.objects_in(consent.get("provision")))
    return not any(d.get("type") == "deny" for d in found) and any(
        isinstance(d.get("reference"), str) and "RelatedPerson/" in d["reference"] for d in found)


def restraint(resource: dict) -> tuple:
    """How little a copy lets anyone see, to choose among copies that cannot be ordered (fail
    closed: the higher wins): a copy saying entered-in-error above all (the gate withholds it),
    except of a Consent that restricts; of a Consent that only permits a carer, one in error or
    not active; of any other Consent (the patient's own access start, a deny), the one the gate
    reads as in force: active (or a status it cannot read) and not in error, since the gate sets
    aside a Consent that is not (helper-66: a deny's in-error copy lifted the deny); of a
    RelatedPerson, one not active, then one whose period has ended (the earliest end first)."""
    kind, status = resource.get("resourceType"), resource.get("status")
    in_error = fhir_read.entered_in_error(resource)
    if kind == "Consent":
        if _carer_permit(resource):
            return (in_error, status != "active", (False, 0))
        in_force = not in_error and not (isinstance(status, str) and status != "active")
        return (in_force, False, (False, 0))
    if kind == "RelatedPerson":
        period = resource.get("period")
        ended = isinstance(period, dict) and period.get("end") is not None
        end = instant_span(period.get("end")) if ended else None
        return (in_error, resource.get("active", True) is not True, (ended, -end[1] if end else 0))
    return (in_error, False, (False, 0))


# -- the winner --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolved:
    """What `resolve` chose: the copy to store (labels merged), and whether it was certain."""

    resource: dict
    certain: bool  # one copy is newer than every other (no labels merged from other copies)


def resolve(copies: list[dict], latest: dict | None = None) -> Resolved:
    """The copy to keep of the distinct copies of one resource, whatever order they came in.

    Copy a beats b when a is certainly newer than b, directly or through other copies (a chain).
    The candidates are the copies nothing beats without being beaten back; one candidate is kept
    as it is; several (they cannot be ordered) give one, chosen by a fixed rule, every label of
    all of them. Only when no copy says anything of its version (no versionId, no lastUpdated) is
    `latest`, the copy read last, the one chosen: a re-export of a record without versions
    replaces the one before it, as it always did, though it keeps every label of them all."""
    unique = {canonical(c): c for c in copies}
    texts = sorted(unique)
    stamps = [stamp(unique[t]) for t in texts]
    n = len(texts)
    if latest is not None and n > 1 and all(s.version is None and s.updated is None for s in stamps):
        items = frozenset().union(*(label_items(c) | contained_label_items(c) for c in unique.values()))
        return Resolved(with_labels(latest, items), False)
    beats = [{j for j in range(n) if j != i and order(stamps[i], stamps[j]) == 1} for i in range(n)]
    reach = []
    for i in range(n):  # everything each copy beats through a chain
        seen, todo = set(), list(beats[i])
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo.extend(beats[j])
        reach.append(seen)
    top = [i for i in range(n) if not any(i in reach[j] and j not in reach[i] for j in range(n))]
    if len(top) == 1:
        return Resolved(unique[texts[top[0]]], True)

    def rank(i):
        s = stamps[i]
        return (s.updated is not None, s.updated[1] if s.updated else 0, s.number is not None,
                s.number or 0, _without_labels(unique[texts[i]]), texts[i])

    chosen = unique[texts[max(top, key=lambda i: (restraint(unique[texts[i]]), rank(i)))]]
    items = frozenset().union(*(label_items(unique[texts[i]]) | contained_label_items(unique[texts[i]])
                                for i in top))
    return Resolved(with_labels(chosen, items), False)
