"""Reading one Consent's provision tree into Rules for one viewer and one day, and deciding which
outcomes a rule and its exceptions might give one entry. ltc_dashboard/gate/consent.py says how each R4
element is read and puts the rules of every Consent together; this module reads them strictly:
a part that is there in a shape FHIR R4 does not give it raises UnreadableConsent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ltc_dashboard.gate.policy import UNREADABLE_LABEL, normal_label
from ltc_dashboard.record.dates import UNDATED_TYPES, parse_or_none
from ltc_dashboard.record.references import normal_reference
from ltc_dashboard.record.tables import read_table

RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
_ELEMENTS = {"id", "extension", "type", "period", "actor", "action", "securityLabel", "purpose", "class",
             "code", "dataPeriod", "data", "provision"}
_MEANINGS = {"instance", "related", "dependents", "authoredby"}
# Outcomes of one Consent for one entry, as bits: it might permit (naming the viewer), permit
# someone not shown to be the viewer, deny, or not apply at all.
PERMIT, OTHER, DENY, NONE = 1, 2, 4, 8
EVERYTHING = None  # in Content: a criterion that might match any entry
MAX_DEPTH = 32  # provisions nested deeper are not read (fail closed), and never exhaust the stack
# What a rule is read for: the carer seeing an entry, or acting on the record (adding a flag, a
# reading, an appointment, a request, a repeat order: R4 consent-action `correct`). For each, and a
# permit or a deny, the readings of an action (consent_terms.csv) that surely cover it, and those
# that surely do not: a permit must surely cover it to grant it; a deny applies unless all it
# names surely do not (fail closed). An action with no reading (another system's code) is neither.
SEEING, ACTING = "seeing", "acting"
_ACTIONS = {
    (SEEING, "permit"): (("viewing",), ("other", "correcting")),
    (SEEING, "deny"): (("viewing",), ("other", "correcting")),
    (ACTING, "permit"): (("correcting",), ("viewing", "possibly-viewing", "other")),
    (ACTING, "deny"): (("correcting",), ("other",)),
}


class UnreadableConsent(ValueError):
    """A Consent is not in a shape the gate can read, so nothing in it is relied on."""


@lru_cache(maxsize=None)
def _terms(element: str) -> dict[tuple[str, str], str]:
    return {(row["system"], row["code"]): row["reading"]
            for row in read_table("consent_terms.csv", ("element", "system", "code", "reading"))
            if row["element"] == element}


def _reading(element: str, system, code, strict: bool = False) -> str | None:
    """consent_terms.csv's reading of a coding; a coding without a system is read by its code,
    unless `strict` (then it has no reading: whose code it is cannot be known)."""
    terms = _terms(element)
    if system:
        return terms.get((system, code))
    if strict:
        return None
    return next((reading for (_, known), reading in terms.items() if known == code), None)


# -- reading the JSON strictly: a part that is there in the wrong shape is unreadable -------------
def objects(value, what: str) -> list[dict]:
    """A FHIR array of objects (absent: empty; a lone object: a list of one); else unreadable."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    raise UnreadableConsent(what)


def _text(value, what: str, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise UnreadableConsent(what)
    return value


def _codings(concepts, what: str) -> list[tuple[str | None, str | None]]:
    """(system, code) of each coding of CodeableConcepts; a concept with none gives (None, None)."""
    found = []
    for concept in objects(concepts, what):
        codings = objects(concept.get("coding"), what)
        found += [(_text(c.get("system"), what), _text(c.get("code"), what)) for c in codings] or [(None, None)]
    return found


def bounds(period, what: str) -> tuple[dt.date | None, dt.date | None, dt.date | None, dt.date | None]:
    """A Period as (wide start, wide end, narrow start, narrow end): a partial date ("2024") is
    any day of its span, so the wide reading takes its first or last day and the narrow the other.
    The gate compares whole days, so the narrow reading takes only the days wholly inside: a start
    with a time later than the start of its UK day counts from the next day, and an end with a
    time ends the day before (fail closed: a permit or an access start never covers part of a day)."""
    if period is None:
        return None, None, None, None
    if not isinstance(period, dict):
        raise UnreadableConsent(what)
    found = []
    for key in ("start", "end"):
        value = period.get(key)
        parsed = parse_or_none(value) if isinstance(value, str) else None
        if value is not None and parsed is None:
            raise UnreadableConsent(what)
        found.append(parsed)
    start, end = found
    return (start.day if start else None, end.last_day if end else None,
            _narrow_start(start) if start else None, _narrow_end(end) if end else None)


def _narrow_start(start) -> dt.date:
    if start.precision == "time" and not start.midnight and start.day < dt.date.max:
        return start.day + dt.timedelta(days=1)
    return start.last_day


def _narrow_end(end) -> dt.date:
    if end.precision == "time" and end.day > dt.date.min:
        return end.day - dt.timedelta(days=1)
    return end.day


def within(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


_KEY = re.compile(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")
_RELATIVE = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


def reference_key(reference: str) -> tuple[str | None, bool]:
    """The `Type/id` a reference names and whether it surely names that one (a relative
    reference); (None, False) for one that cannot be resolved here (urn:uuid, #contained...)."""
    found = _KEY.search(reference)
    if not found:
        return None, False
    return found.group(1), bool(_RELATIVE.match(reference))


# -- one rule ------------------------------------------------------------------------------------
@dataclass(eq=False)
class Rule:
    """One provision read for one viewer on one day. `sure`/`maybe`: whether the criteria that do
    not depend on the entry (actor, action, purpose, period) surely or possibly hold; `named`:
    whether it or an ancestor names the viewer as the one given access."""

    permit: bool
    sure: bool
    maybe: bool
    named: bool
    labels: tuple | None = None  # ((system or "", code, confidentiality rank or None), ...)
    classes: tuple | None = None  # (resource types, profile URLs, whether any other class)
    window: tuple | None = None  # dataPeriod as day numbers: wide start, wide end, narrow start, narrow end
    codes: tuple | None = None  # ((system or None, code or None), ...)
    data: tuple | None = None  # ((meaning, reference or None), ...)
    content: int = -1  # its place in the entry's content findings (code, data, profiles)
    children: tuple = ()
    decides: bool = True  # False: a permit of other actions only, the scope of its exceptions (SEEING vs ACTING)
    until: dt.date | None = None  # the last day its `period` surely holds (narrow end), if it ends

    def applies(self, rtype: str, labels: frozenset, day: int | None, found: tuple) -> tuple[bool, bool]:
        """(surely, possibly): whether this rule's criteria hold for an entry."""
        sure, maybe = self.sure, self.maybe
        codes_sure = codes_maybe = data_sure = data_maybe = profile_sure = profile_maybe = False
        if self.content >= 0:
            codes_sure, codes_maybe, data_sure, data_maybe, profile_sure, profile_maybe = found[self.content]
        if self.labels is not None:
            sure_here, maybe_here = _label_match(self.labels, labels)
            sure, maybe = sure and sure_here, maybe and maybe_here
        if self.classes is not None:
            types, profiles, other = self.classes
            sure = sure and (rtype in types or (bool(profiles) and profile_sure))
            maybe = maybe and (rtype in types or (bool(profiles) and profile_maybe) or other)
        if self.window is not None and (day is not None or rtype not in UNDATED_TYPES):
            # a type without a clinical date is inside every period, unless given one (a shared
            # medicine takes the date of the entry that names it)
            wide_start, wide_end, narrow_start, narrow_end = self.window
            if day is None:
                sure = False  # it might fall inside; it cannot be shown to
            else:
                sure = sure and narrow_start <= day <= narrow_end
                maybe = maybe and wide_start <= day <= wide_end
        if self.codes is not None:
            sure, maybe = sure and codes_sure, maybe and codes_maybe
        if self.data is not None:
            sure, maybe = sure and data_sure, maybe and data_maybe
        return sure and maybe, maybe

    def outcomes(self, rtype: str, labels: frozenset, day: int | None, found: tuple) -> int:
        """The outcomes (bits) this rule and its exceptions might give an entry in its parent's scope."""
        sure, maybe = self.applies(rtype, labels, day, found)
        if not maybe:
            return NONE
        result, none_possible = 0, True
        for child in self.children:
            child_result = child.outcomes(rtype, labels, day, found)
            result |= child_result & ~NONE
            none_possible = none_possible and bool(child_result & NONE)
        if none_possible and self.decides:  # no exception surely applies: this rule's own type might decide
            result |= (PERMIT if self.named else OTHER) if self.permit else DENY
        elif none_possible:  # a rule that only scopes its exceptions decides nothing itself
            result |= NONE
        return result if sure else result | NONE

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _label_match(wanted: tuple, labels: frozenset) -> tuple[bool, bool]:
    """(surely, possibly) one of the entry's labels is one the rule names."""
    sure = maybe = UNREADABLE_LABEL in labels
    levels = [_rank(code) for system, code in labels if system == CONFIDENTIALITY]
    for system, code, rank in wanted:
        if any(code == label_code and (not system or system == label_system) for label_system, label_code in labels):
            sure = maybe = True
        if rank is not None:  # a confidentiality level applies to data at that level or lower
            lower = any(level is not None and level <= rank for level in levels)
            sure = sure or (lower and system == CONFIDENTIALITY)  # a bare code might be another system's
            maybe = maybe or lower or (not levels and rank >= _rank("N"))  # unlabelled might be Normal
    return sure, maybe


def _rank(code) -> int | None:
    reading = _terms("confidentiality").get((CONFIDENTIALITY, code))
    return int(reading) if reading is not None else None


_DAY_MIN, _DAY_MAX = dt.date.min.toordinal(), dt.date.max.toordinal()


class Reader:
    """Reads provisions into Rules for one viewer (`Type/id`) on one day."""

    def __init__(self, viewer: str, today: dt.date, content: list | None = None, resolve_absolute: bool = False,
                 question: str = SEEING) -> None:
        self.viewer, self.today, self.question = viewer, today, question
        # The patient's own access Consent (ltc_dashboard/gate/consent_start.py): an actor reference resolving
        # to them as ltc_dashboard/record/references.py resolves any other (absolute, versioned) is them (attack 16).
        self.resolve_absolute = resolve_absolute
        self.content: list[Rule] = [] if content is None else content  # rules needing the text, all Consents'

    def rule(self, provision, parent_named: bool, root: bool, depth: int = 0) -> Rule | None:
        """The rule, or None when it cannot apply to this viewer today (its exceptions then
        cannot either); UnreadableConsent when a part of it cannot be read."""
        if depth > MAX_DEPTH:
            raise UnreadableConsent("provision depth")
        if not isinstance(provision, dict) or set(provision) - _ELEMENTS:
            raise UnreadableConsent("provision")  # an element R4 does not define: not understood
        kind = provision.get("type", "permit" if root else None)
        if kind not in ("permit", "deny"):
            raise UnreadableConsent("provision.type")
        named_here, actor_sure, actor_maybe = self._actors(provision.get("actor"))
        actions = _codings(provision.get("action"), "action")
        covering, others = _ACTIONS[self.question, kind]
        action_sure, action_maybe = self._codes_read("action", actions, covering, others,
                                                     strict=self.question == ACTING and kind == "permit")
        decides = True
        if self.question == ACTING and kind == "permit" and (not action_maybe or not actions):
            # a permit of seeing only, or naming no action: it grants no acting (a carer acts only
            # where a Consent names `correct`), but its exceptions (a nested permit to correct
            # MedicationRequests, clinical-reference §8.2's repeat ordering) act in its scope
            action_sure = action_maybe = decides = False
        purposes = [(_text(c.get("system"), "purpose"), _text(c.get("code"), "purpose", False))
                    for c in objects(provision.get("purpose"), "purpose")]
        purpose_sure, purpose_maybe = self._codes_read("purpose", purposes, ("carer",), ("other",))
        wide_start, wide_end, narrow_start, narrow_end = bounds(provision.get("period"), "period")
        today = self.today
        period_sure, period_maybe = within(today, narrow_start, narrow_end), within(today, wide_start, wide_end)
        maybe = actor_maybe and (action_maybe or not decides) and purpose_maybe and period_maybe
        if not maybe:
            return None
        named = named_here or (provision.get("actor") in (None, []) and parent_named)
        rule = Rule(permit=kind == "permit",
                    sure=actor_sure and (action_sure or not decides) and purpose_sure and period_sure,
                    maybe=True, named=named, until=narrow_end, decides=decides)
        self._content_criteria(rule, provision)
        nested = objects(provision.get("provision"), "provision.provision")
        rule.children = tuple(r for r in (self.rule(n, named, False, depth + 1) for n in nested) if r is not None)
        return rule

    def _actors(self, value) -> tuple[bool, bool, bool]:
        """(names the viewer as who is given access, surely concerns them, might concern them)."""
        actors = objects(value, "actor")
        if not actors:
            return False, True, True
        named = possibly = False
        for actor in actors:
            reference = actor.get("reference")
            if not isinstance(reference, dict):
                raise UnreadableConsent("actor.reference")
            text = _text(reference.get("reference"), "actor.reference")
            roles = _codings(actor.get("role"), "actor.role") if actor.get("role") is not None else None
            recipient = roles is None or any(_reading("role", s, c) == "recipient" for s, c in roles if c)
            key, certain = reference_key(text) if text else (None, False)
            if key == self.viewer and not certain and self.resolve_absolute:
                certain = normal_reference(text) == self.viewer
            if key is None or key.split("/", 1)[0] in ("Group", "CareTeam") or not recipient:
                possibly = True  # might be the viewer; or says whose data, not who looks at it
            elif key == self.viewer:
                possibly = True
                named = named or certain
        return named, named, possibly

    @staticmethod
    def _codes_read(element: str, codings: list, covering: tuple, others: tuple,
                    strict: bool = False) -> tuple[bool, bool]:
        """(surely, possibly) the coded actions or purposes cover what is asked (the app showing
        the record, or the carer acting on it): one of them reads as `covering`; not all of them
        read as `others`. None stated: all are. `strict`: a code without a system has no reading."""
        if not codings:
            return True, True
        readings = [_reading(element, s, c, strict) if c else None for s, c in codings]
        return any(r in covering for r in readings), any(r not in others for r in readings)

    def _content_criteria(self, rule: Rule, provision: dict) -> None:
        labels = []
        for coding in objects(provision.get("securityLabel"), "securityLabel"):
            system = _text(coding.get("system"), "securityLabel")
            code = _text(coding.get("code"), "securityLabel", False)
            system, code = normal_label(system, code) if system else ("", normal_label("", code)[1])
            labels.append((system, code, _rank(code) if system in ("", CONFIDENTIALITY) else None))
        rule.labels = tuple(labels) or None
        classes = objects(provision.get("class"), "class")
        if classes:
            types, profiles, other = set(), [], False
            for coding in classes:
                system = _text(coding.get("system"), "class")
                code = _text(coding.get("code"), "class", False)
                if system in (None, RESOURCE_TYPES) and re.fullmatch(r"[A-Z][A-Za-z]+", code):
                    types.add(code)
                elif "://" in code or code.startswith("urn:"):
                    profiles.append(code)
                else:
                    other = True  # a CDA document type or other class: provable for no entry
            rule.classes = (frozenset(types), tuple(profiles), other)
        if provision.get("dataPeriod") is not None:
            wide_start, wide_end, narrow_start, narrow_end = bounds(provision["dataPeriod"], "dataPeriod")
            rule.window = (wide_start.toordinal() if wide_start else _DAY_MIN,
                           wide_end.toordinal() if wide_end else _DAY_MAX,
                           narrow_start.toordinal() if narrow_start else _DAY_MIN,
                           narrow_end.toordinal() if narrow_end else _DAY_MAX)
        codes = _codings(provision.get("code"), "code")
        rule.codes = tuple(codes) or None
        data = []
        for item in objects(provision.get("data"), "data"):
            meaning = item.get("meaning")
            reference = item.get("reference")
            if meaning not in _MEANINGS or not isinstance(reference, dict):
                raise UnreadableConsent("data")
            data.append((meaning, _text(reference.get("reference"), "data.reference")))
        rule.data = tuple(data) or None
        if rule.codes or rule.data or (rule.classes and rule.classes[1]):
            rule.content = len(self.content)
            self.content.append(rule)
