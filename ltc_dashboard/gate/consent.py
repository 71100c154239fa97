"""What FHIR R4 Consents let one viewer see: every `Consent.provision` element, at any depth.

A provision is a tree of rules. A rule (permit or deny) applies to what meets every criterion it
states: `actor` (who, with their `role`), `action`, `purpose`, `period` (when the rule is in force),
`securityLabel`, `class`, `code`, `dataPeriod` and `data`; a criterion it does not state holds.
A nested provision is an exception to its parent, within its parent's scope (R4
Consent.provision.provision): for one entry, the deepest rules that apply decide, and two rules
that apply and disagree make a deny.

The gate cannot always tell whether a rule applies to an entry (a code it would have to find in
the entry, a reference it cannot resolve, an actor that is a group). So for each rule and entry it
knows two things: whether the rule *surely* applies, and whether it *might*. It fails closed:

* a carer sees an entry only if some current Consent surely permits it to them: every rule on the
  way surely applies, the permit names the carer as the one given access (`actor` with a
  recipient role, data/terminology/consent_terms.csv), and no rule below might deny it;
* an entry is hidden from a viewer when any current Consent that might concern them might deny
  it: a deny in one Consent wins over a permit in another;
* a Consent that might concern the viewer but cannot be read (a part in the wrong shape, an
  element R4 does not define, a modifierExtension) shows them nothing.

How each element is read (ltc_dashboard/gate/access.py applies the verdict; terms in consent_terms.csv):
`action` absent means every action; present, a permit lets the carer see only with `access` (the
one R4 consent-action that is retrieving and reading; `use`, `disclose` and `correct` alone show
nothing: clinical-reference §8.2 names access as what the proxy may see, and a permit that does
not surely cover seeing shows nothing), and a deny applies unless all it names are other actions
(collect, correct: a deny of correcting takes that away, not seeing). Acting on the record (the
`ACTING` question, ltc_dashboard/gate/acting.py) is read the same way over the same tree, asking for
consent-action `correct` in its own system instead (consent_rules.py `_ACTIONS`). `purpose` likewise: a permit grants only for a carer's purposes (patient or family
requested, attorney, support network), a deny applies unless all its purposes are others.
`securityLabel` matches a label of the entry; a label without a system matches that code in any
system; a confidentiality level applies to entries labelled at that level or lower (R4), and an
entry with no confidentiality level might be Normal. `class` is a resource type (system
http://hl7.org/fhir/resource-types, or none); a profile URL matches the entry's `meta.profile`;
any other class can be proved for no entry. `code` and `data` need the entry's text: ltc_dashboard/gate/access.py
finds them (`Content`). `data`: `instance` is the entry named (a relative reference surely, an
absolute or versioned one possibly, one that cannot be resolved might be any entry); `related`
adds what it refers to, `dependents` what refers to it, `authoredby` what names that party (never
surely its author). What a deny hides passes its hiding on to what points at it. Dates: a permit counts a partial date's span the narrow way, a deny the
wide way; an undated entry might fall inside any `dataPeriod` and is surely inside none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from ltc_dashboard import fhir_read
from ltc_dashboard.gate.consent_rules import (
    DENY, EVERYTHING, PERMIT, SEEING, Reader, Rule, UnreadableConsent, reference_key,
)
from ltc_dashboard.record.references import normal_reference

_INFO_ACCESS = {"INFA", "INFAO"}
RESULT_TYPE = "Observation"  # a clinical result: what gives a view's boundary (Access.results_span)
_LAST_DAY = dt.date.max.toordinal()
# Every element FHIR R4 gives a Consent (https://hl7.org/fhir/R4/consent.html), and the resource's
# own. `implicitRules` is a modifier the gate cannot know; R5's `period`, `decision`, `grantee`...
# and anything else are elements the gate cannot evaluate (attack 16): such a Consent is unreadable.
_R4_CONSENT = {"resourceType", "id", "meta", "language", "text", "contained", "extension", "modifierExtension",
               "identifier", "status", "scope", "category", "patient", "dateTime", "performer", "organization",
               "sourceAttachment", "sourceReference", "policy", "policyRule", "verification", "provision"}


# -- what the code and data criteria find in entries' text ---------------------------------------
class Content:
    """Which entries the `code`, `data` and profile `class` criteria of some rules surely and
    possibly match, found once per open in the stored text (compact JSON, as the store writes it)
    of the record's entries and the shared resources they point at. Possibly: the text holds what
    a match needs (a `"code":"X"` pair, `Type/id`); surely: the decoded entry holds a coding with
    that system and code, or the reference is a relative one, held in a `reference`."""

    def __init__(self, rules: list[Rule], texts: Iterable[tuple[str, str]], decode) -> None:
        self.rules = rules
        self.sets: list[list] = [[set(), set(), set(), set(), set(), set()] for _ in rules]
        outward: dict[str, str] = {}  # data with meaning "related": the text of what it names
        related = {key for rule in rules for meaning, ref in rule.data or () if meaning == "related"
                   for key in [reference_key(ref)[0] if ref else None] if key}
        for key, text in texts:
            if key in related:
                outward[key] = text
            for rule, sets in zip(rules, self.sets):
                self._match(rule, sets, key, text, decode)
        for rule, sets in zip(rules, self.sets):
            self._data_targets(rule, sets, outward)

    @staticmethod
    def _match(rule: Rule, sets: list, key: str, text: str, decode) -> None:
        resource = None
        for system, code in rule.codes or ():
            if code is None:
                sets[1] = EVERYTHING
            elif f'"code":{json.dumps(code, ensure_ascii=False)}' in text:
                _add(sets, 1, key)
                resource = decode(text) if resource is None else resource
                if _has_coding(resource, system, code):
                    sets[0].add(key)
        for meaning, ref in rule.data or ():
            target, certain = reference_key(ref) if ref else (None, False)
            if target is None:
                sets[3] = EVERYTHING
                continue
            if key == target:
                _add(sets, 3, key)
                if certain:
                    sets[2].add(key)
            elif meaning in ("dependents", "authoredby") and target in text:
                _add(sets, 3, key)
                if meaning == "dependents" and certain and f'"reference":{json.dumps(target)}' in text:
                    sets[2].add(key)
        for url in rule.classes[1] if rule.classes else ():
            if json.dumps(url, ensure_ascii=False)[:-1] in text:
                sets[5].add(key)
                resource = decode(text) if resource is None else resource
                meta = resource.get("meta") if isinstance(resource, dict) else None
                profiles = meta.get("profile") if isinstance(meta, dict) else None
                if isinstance(profiles, list) and any(
                        isinstance(p, str) and (p == url or p.startswith(url + "|")) for p in profiles):
                    sets[4].add(key)

    @staticmethod
    def _data_targets(rule: Rule, sets: list, outward: dict[str, str]) -> None:
        """Data with meaning "related" covers what the named resource refers to, too."""
        for meaning, ref in rule.data or ():
            target, certain = reference_key(ref) if ref else (None, False)
            if meaning != "related" or target is None or sets[3] is EVERYTHING:
                continue
            text = outward.get(target)
            if text is None:
                sets[3] = EVERYTHING  # not stored: what it refers to cannot be known
                continue
            for found in re.findall(r'"reference":"((?:[^"\\]|\\.)*)"', text):
                if found.startswith("#"):
                    continue  # contained in the resource itself
                key, sure_key = reference_key(json.loads(f'"{found}"'))
                if key is None:
                    sets[3] = EVERYTHING
                    break
                sets[3].add(key)
                if certain and sure_key:
                    sets[2].add(key)

    def found(self, key: str) -> tuple:
        """Per rule, (codes surely, codes possibly, data surely, data possibly, profile surely,
        profile possibly) for one entry."""
        return tuple(tuple(s is EVERYTHING or key in s for s in sets) for sets in self.sets)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def stored_text(resource: dict) -> str:
    """A resource as the store writes it (compact JSON, non-ASCII kept): what Content searches."""
    return _ENCODER.encode(resource)


def _add(sets: list, i: int, key: str) -> None:
    if sets[i] is not EVERYTHING:
        sets[i].add(key)


def _has_coding(resource, system, code) -> bool:
    """Whether a Coding with this code (and system, when given) is anywhere in the resource."""
    return any(node.get("code") == code and (system is None or node.get("system") == system)
               for node in fhir_read.objects_in(resource))


# -- every Consent of a record, for one viewer ----------------------------------------------------
@dataclass
class Access:
    """What the record's current Consents let one viewer see: `roots`, the rules of each Consent
    that might concern them; `unreadable`, a Consent that might concern them could not be read
    (then nothing is shown to them); `content`, the rules whose criteria need the entries' text."""

    roots: tuple[Rule, ...] = ()
    unreadable: bool = False
    content_rules: tuple[Rule, ...] = ()
    _content: Content | None = None
    _seen: dict = None  # (type, labels, date band, content findings) -> verdict
    _bands: tuple = ()

    def __post_init__(self) -> None:
        self._seen = {}
        edges = set()
        for root in self.roots:
            for rule in root.walk():
                if rule.window:
                    wide_start, wide_end, narrow_start, narrow_end = rule.window
                    edges.update((wide_start, wide_end + 1, narrow_start, narrow_end + 1))
        self._bands = tuple(sorted(edges))

    def band(self, day: int | None) -> int:
        """Which span between the rules' dataPeriod edges a day falls in (-1: undated)."""
        return -1 if day is None else (bisect_right(self._bands, day) if self._bands else 0)

    def denied_bands(self, rtype: str, labels: frozenset, key: str) -> frozenset[int]:
        """The spans (`band`) of the days on which an entry like this one would be denied: a
        shared medicine or clinician, judged on the day of each entry that names it."""
        bands = self._bands
        days = [None, bands[0] - 1 if bands else 1, *bands]  # one day in each span
        return frozenset(self.band(day) for day in days if self.verdict(rtype, labels, day, key)[1])

    @property
    def grants_any(self) -> bool:
        """Whether some Consent might permit something to this viewer."""
        return not self.unreadable and any(rule.permit and rule.named for root in self.roots for rule in root.walk())

    def window(self) -> tuple[dt.date | None, dt.date | None]:
        """(first day of data, last day in force) of what the Consents surely grant this viewer
        today: the first day a plain result is shown (`results_span`; None: the whole record), and
        the latest day a permit naming them that surely holds is in force, by its `period` and its
        parents' (None: no end). ltc_dashboard/gate/consent_window.py reads the real end by the days ahead."""
        ends = []  # last days or None

        def visit(rule: Rule, until: dt.date | None) -> None:
            if rule.until is not None:
                until = rule.until if until is None else min(until, rule.until)
            if rule.permit and rule.named and rule.sure:
                ends.append(until)
            for child in rule.children:
                visit(child, until)

        shown, start, _ = self.results_span()
        if not shown:
            return None, None
        for root in self.roots:
            visit(root, None)
        return start, (None if None in ends or not ends else max(ends))

    def results_span(self) -> tuple[bool, dt.date | None, dt.date | None]:
        """(shown at all, first day, last day) of the data on which a plain clinical result (an
        Observation with no label: what the views' checks and charts show) is surely shown to this
        viewer and possibly denied by no Consent, over the spans between the rules' dataPeriod
        edges: the real boundary of the views (attack 16: a medicines-only permit or a deny over
        the first months never moves it). None: not bounded that way. A gap inside is not told."""
        if self.unreadable:
            return False, None, None
        if self.content_rules and self._content is None:
            self.use_content((), lambda text: {})
        bands = self._bands
        spans = [(None, None)] if not bands else [
            (None, bands[0] - 1), *((bands[k], bands[k + 1] - 1) for k in range(len(bands) - 1)), (bands[-1], None)]
        shown = [(first, last) for first, last in spans
                 if self.verdict(RESULT_TYPE, frozenset(), first if first is not None else last, "") == (True, False)]
        if not shown:
            return False, None, None
        first, last = shown[0][0], shown[-1][1]
        start = dt.date.fromordinal(min(first, _LAST_DAY)) if first is not None and first > 1 else None
        end = dt.date.fromordinal(max(last, 1)) if last is not None and last < _LAST_DAY else None
        return True, start, end

    def use_content(self, texts: Iterable[tuple[str, str]], decode) -> None:
        """Find the code, data and profile criteria's matches in (Type/id, stored JSON) texts."""
        self._content = Content(list(self.content_rules), texts, decode)

    def verdict_unknown(self, rtype: str, day: int | None) -> tuple[bool, bool]:
        """(granted, denied) for a new entry of this type on this day, with no label, whose codes
        and references cannot be known yet (a reading, an order, a booking the carer would make):
        a code or data criterion might hold, never surely does."""
        if self.unreadable:
            return False, True
        found = ((False, True, False, True, False, True),) * len(self.content_rules)
        results = [root.outcomes(rtype, frozenset(), day, found) for root in self.roots]
        denied = any(result & DENY for result in results)
        return not denied and PERMIT in results, denied

    def verdict(self, rtype: str, labels: frozenset, day: int | None, key: str) -> tuple[bool, bool]:
        """(shown, denied) for one entry: shown if some Consent surely permits it to the viewer,
        denied if some Consent might deny it (or one could not be read)."""
        if self.unreadable:
            return False, True
        band = self.band(day)
        found = self._content.found(key) if self._content is not None else ()
        memo = (rtype, labels, band, found) if found else (rtype, labels, band)
        verdict = self._seen.get(memo)
        if verdict is None:
            results = [root.outcomes(rtype, labels, day, found) for root in self.roots]
            denied = any(result & DENY for result in results)
            verdict = self._seen[memo] = (not denied and PERMIT in results, denied)
        return verdict


def _codes(concept) -> set[str]:
    """The codes of a CodeableConcept or a list of them (whatever is not text is skipped)."""
    found = set()
    for item in concept if isinstance(concept, list) else [concept]:
        codings = item.get("coding") if isinstance(item, dict) else None
        for coding in codings if isinstance(codings, list) else [codings]:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                found.add(coding["code"])
    return found


def _in_force(consent: dict, patient_id: str) -> tuple[bool, bool]:
    """(might restrict, may grant): whether a Consent in the record is an active privacy Consent
    that might restrict what its viewers see, and whether it is one that may grant access (about
    this patient, patient-privacy, information access). A Consent whose status, patient or scope
    cannot be read might restrict."""
    status, patient, scope = consent.get("status"), consent.get("patient"), consent.get("scope")
    if isinstance(status, str) and status != "active":
        return False, False
    reference = patient.get("reference") if isinstance(patient, dict) else None
    ours = _names(reference, f"Patient/{patient_id}")  # relative, versioned or absolute
    if isinstance(reference, str) and not ours and reference_key(reference)[0] not in (None, f"Patient/{patient_id}"):
        return False, False  # about someone else
    scopes = _codes(scope)
    if scopes and "patient-privacy" not in scopes:
        return False, False  # research, treatment or advance-directive consents: not about access
    grants = (status == "active" and ours and "patient-privacy" in scopes
              and bool(_codes(consent.get("category")) & _INFO_ACCESS))
    return True, grants


def _names(reference, key: str) -> bool:
    """Whether a Reference.reference names `key` (`Type/id`) in any form R4 allows
    (record.references.normal_reference: relative, versioned, absolute)."""
    return isinstance(reference, str) and normal_reference(reference) == key


def read_access(permissions: Iterable[dict], patient_id: str, viewer: str, today: dt.date,
                question: str = SEEING) -> Access:
    """What the record's Consents let `viewer` (`RelatedPerson/ID`) see on `today` (or, asked
    ACTING, act on: consent_rules.py)."""
    roots, content, unreadable = [], [], False
    for consent in permissions:
        if not isinstance(consent, dict) or consent.get("resourceType") != "Consent":
            continue
        restricts, grants = _in_force(consent, patient_id)
        if not restricts:
            continue
        reader = Reader(viewer, today, content, question=question)
        try:
            if _has_modifier(consent):  # anywhere in it: an unknown modifier changes what it means
                raise UnreadableConsent("modifierExtension")
            if unknown_elements(consent):  # e.g. R5's Consent.period: when it is in force, unread
                raise UnreadableConsent("Consent")
            root = reader.rule(consent.get("provision", {}), False, True)
        except UnreadableConsent:
            unreadable = unreadable or _might_concern(consent, viewer)
            continue
        if root is None:
            continue
        if not grants:  # it may restrict what this viewer sees but grants them nothing
            for rule in root.walk():
                rule.named = False
        roots.append(root)
    return Access(tuple(roots), unreadable, tuple(content))


def _might_concern(consent: dict, viewer: str) -> bool:
    """Whether an unreadable Consent might be about this viewer: its top rule's actors cannot be
    read, or name no one, or might be the viewer."""
    provision = consent.get("provision")
    try:
        return Reader(viewer, dt.date.min)._actors(provision.get("actor"))[2] if isinstance(provision, dict) else True
    except UnreadableConsent:
        return True


def unknown_elements(consent: dict) -> set[str]:
    """The top-level elements of a Consent that R4 does not give it (or that the gate cannot read:
    implicitRules), a primitive's `_element` extension counted as its element."""
    return {key for key in consent if not isinstance(key, str) or key.removeprefix("_") not in _R4_CONSENT
            or key in ("_resourceType",)}


def _has_modifier(node) -> bool:
    """Whether a `modifierExtension` sits anywhere in a Consent (its provisions, their actors and
    data...): R4 says a reader that does not know one must not ignore it, so the Consent cannot be
    relied on (found by the second outside review)."""
    return any("modifierExtension" in item for item in fhir_read.objects_in(node))
