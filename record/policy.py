"""Reading access policy out of a record: security labels, the patient's access start, and what a
proxy's Consent permits. Pure functions over raw resources; `record/access.py` applies them.

Models follow clinical-reference §7 (labels) and §8 (RelatedPerson, Consent with
`provision.period`, `provision.dataPeriod`, `provision.class`, nested `deny` provisions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import fhir_read
from record import terminology
from record.dates import parse_or_none

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# STU3 and GP2GP payloads use the older system URIs; treat them as the same codes. Keys are in
# the form `_system_key` makes of a system: lower case, http, no trailing slash.
_SYSTEM_ALIASES = {
    "http://terminology.hl7.org/codesystem/v3-actcode": ACT_CODE,
    "http://terminology.hl7.org/codesystem/v3-confidentiality": CONFIDENTIALITY,
    "http://hl7.org/fhir/v3/actcode": ACT_CODE,
    "http://hl7.org/fhir/v3/confidentiality": CONFIDENTIALITY,
    "urn:oid:2.16.840.1.113883.5.4": ACT_CODE,
    "urn:oid:2.16.840.1.113883.5.25": CONFIDENTIALITY,
    "2.16.840.1.113883.5.4": ACT_CODE,
    "2.16.840.1.113883.5.25": CONFIDENTIALITY,
}
_INFO_ACCESS = {"INFA", "INFAO"}


def _system_key(system: str) -> str:
    system = system.strip().lower()
    if system.startswith("https://"):
        system = "http://" + system[len("https://"):]
    return system.rstrip("/")


def normal_label(system, code) -> tuple[str, str]:
    """A (system, code) label in one spelling: the HL7 label systems (ActCode, Confidentiality) in
    their R4 form whatever their case, http or https, trailing slash, STU3 or OID name, with their
    codes in upper case as those systems define them. A label with no system but a code one of
    those systems uses to hide entries (a bare "R", "V", "NOPAT", "PSY"...) is read as that
    system's: it cannot be shown to mean anything else, and read as nothing it would show what a
    sender meant to hide."""
    system = system.strip() if isinstance(system, str) else ""
    code = code.strip() if isinstance(code, str) else ""
    canonical = _SYSTEM_ALIASES.get(_system_key(system)) if system else None
    if canonical:
        return canonical, code.upper()
    if not system:
        found = _bare_codes().get(code.upper())
        if found:
            return found, code.upper()
    return system, code


@cache
def _bare_codes() -> dict[str, str]:
    """The code of every label that hides an entry from some viewer, with its system's R4 name."""
    found = {}
    for kind in ("patient", "proxy", "clinic"):
        for system, code in terminology.hidden_labels(kind):
            canonical = _SYSTEM_ALIASES.get(_system_key(system), system)
            found.setdefault(code.upper(), canonical)
    return found


# Stands for security labels that cannot be read (`meta.security` not a list of Codings with text
# codes): a label might be NOPAT, so such an entry is hidden from every viewer.
UNREADABLE_LABEL = ("urn:ltc:policy", "unreadable-security-label")


class _Unreadable(ValueError):
    """Labels are there but not in a shape that can be read."""


def labels_of(resource: dict) -> set[tuple[str, str]]:
    """The security labels of a resource, normalised (`normal_label`), from every place R4 puts
    them: `meta.security`, `DocumentReference.securityLabel` (the labels of the document itself),
    `Composition.confidentiality` (a Confidentiality code), and the `meta.security` of each
    contained resource (what a resource contains is part of it, so its labels are the
    container's). {UNREADABLE_LABEL} when any of them is there but not in a shape that can be
    read."""
    labels: set[tuple[str, str]] = set()
    try:
        _meta_labels(resource, labels)
        rtype = resource.get("resourceType")
        if rtype == "DocumentReference" and resource.get("securityLabel") is not None:
            for concept in _listed(resource["securityLabel"]):
                if not isinstance(concept, dict) or not isinstance(concept.get("coding", []), list):
                    raise _Unreadable
                _add_codings(concept.get("coding", []), labels)
        if rtype == "Composition" and resource.get("confidentiality") is not None:
            level = resource["confidentiality"]
            if not isinstance(level, str):
                raise _Unreadable
            labels.add(normal_label(CONFIDENTIALITY, level))
        contained = resource.get("contained")
        if contained is not None:
            for inner in _listed(contained):
                if not isinstance(inner, dict):
                    raise _Unreadable
                _meta_labels(inner, labels)
    except _Unreadable:
        return {UNREADABLE_LABEL}
    return labels


def _meta_labels(resource: dict, labels: set) -> None:
    meta = resource.get("meta")
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise _Unreadable
    security = meta.get("security")
    if security is None:
        return
    _add_codings(_listed(security), labels)


def _listed(value) -> list:
    """A FHIR array; anything else where labels belong cannot be read (as before: strictly)."""
    if not isinstance(value, list):
        raise _Unreadable
    return value


def _add_codings(codings: list, labels: set) -> None:
    for coding in codings:
        if not isinstance(coding, dict) or not isinstance(coding.get("code"), str) or not isinstance(
                coding.get("system", ""), str):
            raise _Unreadable
        labels.add(normal_label(coding.get("system"), coding["code"]))


def hidden_labels_for(viewer_kind: str) -> frozenset[tuple[str, str]]:
    """The labels that hide an entry from this kind of viewer (data/terminology/sensitivity.csv),
    and the stand-in for unreadable labels, which hides an entry from everyone."""
    return frozenset(normal_label(s, c) for s, c in terminology.hidden_labels(viewer_kind)) | {UNREADABLE_LABEL}


@dataclass(frozen=True)
class Deny:
    """A nested `deny` provision: it hides an entry that matches every criterion it states."""

    labels: frozenset[tuple[str, str]]
    classes: frozenset[str]
    start: dt.date | None
    end: dt.date | None

    def matches(self, rtype: str, labels: set[tuple[str, str]], when: dt.date | None) -> bool:
        if self.labels and not (labels & self.labels):
            return False
        if self.classes and rtype not in self.classes:
            return False
        if self.start or self.end:
            if when is None:
                return True  # an undated entry cannot be shown to fall outside the denied span
            if (self.start and when < self.start) or (self.end and when > self.end):
                return False
        return True


@dataclass(frozen=True)
class Grant:
    """What one active proxy Consent permits."""

    data_start: dt.date | None
    data_end: dt.date | None
    classes: frozenset[str]
    denies: tuple[Deny, ...]


def _codes(concept) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in fhir_read.codings(concept)}


class UnreadableConsent(ValueError):
    """A Consent's provision is not in a shape the gate can read, so it is not relied on."""


def _is_information_access(consent: dict, patient_id: str) -> bool:
    if consent.get("resourceType") != "Consent" or consent.get("status") != "active":
        return False
    patient = consent.get("patient")
    if not isinstance(patient, dict) or patient.get("reference") != f"Patient/{patient_id}":
        return False
    if not any(code == "patient-privacy" for _, code in _codes(consent.get("scope"))):
        return False
    return any(code in _INFO_ACCESS for _, code in _codes(consent.get("category")))


# Consents are read strictly: a part the gate relies on that is there but not in FHIR's shape (a
# Period given as text, a date that cannot be read, a number where a list belongs) raises
# UnreadableConsent, and the Consent then grants nothing. Skipping the part instead would drop a
# deny, class or dataPeriod and show a carer more than was agreed. A lone object where FHIR wants
# a list of them means that one object, as it plainly does.
def _objects(value, what: str) -> list[dict]:
    """A FHIR array of objects (absent: empty; a lone object: a list of one); else unreadable."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    raise UnreadableConsent(what)


def _provision(consent: dict) -> dict:
    provision = consent.get("provision")
    if provision is None:
        return {}
    if not isinstance(provision, dict) or provision.get("type", "permit") not in ("permit", "deny"):
        raise UnreadableConsent("provision")
    return provision


def _actors(provision: dict) -> set[str]:
    refs = set()
    for actor in _objects(provision.get("actor"), "provision.actor"):
        reference = actor.get("reference")
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            raise UnreadableConsent("provision.actor.reference")
        refs.add(reference["reference"])
    return refs


def _codes_of(codings: list[dict], what: str) -> frozenset[str]:
    if any(not isinstance(c.get("code"), str) or not c["code"] for c in codings):
        raise UnreadableConsent(what)
    return frozenset(c["code"] for c in codings)


def _period(period) -> tuple[dt.date | None, dt.date | None]:
    if period is None:
        return None, None
    if not isinstance(period, dict):
        raise UnreadableConsent("period")
    bounds = []
    for key in ("start", "end"):
        value = period.get(key)
        found = parse_or_none(value) if isinstance(value, str) else None
        if value is not None and found is None:
            raise UnreadableConsent("period")
        bounds.append(found)
    start, end = bounds
    return (start.day if start else None, end.last_day if end else None)


def _covers(period, today: dt.date) -> bool:
    start, end = _period(period)
    return (start is None or start <= today) and (end is None or today <= end)


# access_start's answer when the patient's own access Consent cannot be read: every dated entry
# is then outside the record (record/access.py says so to the viewer).
UNREADABLE_START = dt.date.max


def access_start(resources: list[dict], patient_id: str) -> dt.date | None:
    """The date the patient's own online record starts, or None for full access.

    Modelled (clinical-reference §8.3) as an active patient-privacy/INFA Consent whose actor is the
    Patient (or that names no actor) with `provision.dataPeriod.start`. With several, the most
    recent decision (Consent.dateTime) counts.
    """
    best: tuple[str, dt.date | None] | None = None
    for consent in resources:
        if not _is_information_access(consent, patient_id):
            continue
        try:
            provision = _provision(consent)
            if provision.get("type", "permit") != "permit":
                continue
            try:
                actors = _actors(provision)
            except UnreadableConsent:  # maybe the patient's: its start cannot be ignored
                if provision.get("dataPeriod") is None:
                    continue  # it sets no start; if it lifted one, keeping the older is safer
                raise
            if actors and actors != {f"Patient/{patient_id}"}:
                continue
            start, _ = _period(provision.get("dataPeriod"))
        except UnreadableConsent:
            return UNREADABLE_START
        decided = str(consent.get("dateTime") or "")
        if best is None or decided > best[0]:
            best = (decided, start)
    return best[1] if best else None


def related_person_valid(resources: list[dict], patient_id: str, proxy_id: str | None, today: dt.date) -> bool:
    """Whether the RelatedPerson exists for this patient and is active today."""
    for person in resources:
        if person.get("resourceType") == "RelatedPerson" and person.get("id") == proxy_id:
            patient, active = person.get("patient"), person.get("active", True)
            if not isinstance(patient, dict) or patient.get("reference") != f"Patient/{patient_id}":
                return False
            try:
                return active is True and _covers(person.get("period"), today)
            except UnreadableConsent:
                return False
    return False


def _deny_of(nested: dict) -> Deny:
    codings = _objects(nested.get("securityLabel"), "provision.provision.securityLabel")
    _codes_of(codings, "provision.provision.securityLabel")
    if any(not isinstance(c.get("system", ""), str) for c in codings):
        raise UnreadableConsent("provision.provision.securityLabel")
    labels = frozenset(normal_label(c.get("system"), c["code"]) for c in codings)
    classes = _codes_of(_objects(nested.get("class"), "provision.provision.class"), "provision.provision.class")
    start, end = _period(nested.get("dataPeriod"))
    return Deny(labels, classes, start, end)


def proxy_grants(resources: list[dict], patient_id: str, proxy_id: str | None, today: dt.date) -> list[Grant]:
    """What each active Consent naming `RelatedPerson/proxy_id` permits on `today`."""
    grants = []
    wanted = f"RelatedPerson/{proxy_id}"
    for consent in resources:
        if not _is_information_access(consent, patient_id):
            continue
        try:
            grant = _grant_of(_provision(consent), wanted, today)
        except UnreadableConsent:
            continue  # grants nothing: a part it relies on cannot be read
        if grant is not None:
            grants.append(grant)
    return grants


def _grant_of(provision: dict, wanted: str, today: dt.date) -> Grant | None:
    """What one Consent's provision permits `wanted` today, or None; UnreadableConsent if unreadable."""
    if provision.get("type", "permit") != "permit" or wanted not in _actors(provision):
        return None
    if not _covers(provision.get("period"), today):
        return None
    start, end = _period(provision.get("dataPeriod"))
    classes = _codes_of(_objects(provision.get("class"), "provision.class"), "provision.class")
    nested = _objects(provision.get("provision"), "provision.provision")
    if any(n.get("type") not in ("permit", "deny") for n in nested):
        raise UnreadableConsent("provision.provision.type")
    denies = tuple(_deny_of(n) for n in nested if n.get("type") == "deny")
    return Grant(start, end, classes, denies)


# Prognosis codes and resuscitation decisions: the person may not have discussed them yet, so they
# stay out of view unless the person chose to see them (clinical-reference §3.4; an app policy
# decision, unverified as a national rule). Value sets from data/terminology/valuesets.csv.
EOL_SENSITIVE_VALUESETS = (
    "gsf_prognosis_a", "gsf_prognosis_b", "gsf_prognosis_c", "gsf_prognosis_d",
    "eol_last_months", "eol_last_weeks", "eol_last_days", "cpr_decision",
)


def is_eol_sensitive(resource: dict, text: str | None = None) -> bool:
    """Whether a resource records a prognosis or a resuscitation (CPR) decision: in its own code
    or value, a Flag's category, or a coding anywhere else in it (an Observation's component, a
    Condition's stage, a CarePlan's activity, a letter's type or category, a Consent's category,
    provision or policy rule, a contained resource...). A coding counts with its value set's
    system or with none. `text`, the resource's stored JSON, lets a resource that holds none of
    the value sets' codes be passed over without walking it."""
    concepts = [resource.get("code"), resource.get("valueCodeableConcept")]
    if resource.get("resourceType") == "Flag":
        category = resource.get("category")  # a lone object counts: wider is the safe side here
        concepts += [c for c in (category if isinstance(category, list) else [category]) if isinstance(c, dict)]
    concepts = [c for c in concepts if isinstance(c, dict)]
    if any(terminology.in_valueset(EOL_SENSITIVE_VALUESETS, c) for c in concepts):
        return True
    pairs, codes = _eol_codes()
    if text is not None and not any(code in text for code in codes):
        return False
    stack: list = [resource]
    while stack:  # a walk without recursion: a deeply nested resource cannot overflow it
        node = stack.pop()
        if isinstance(node, dict):
            code = node.get("code")
            if isinstance(code, str) and code.strip() in codes:
                system = terminology.normalise_system(node.get("system"))
                if not system or (system, code.strip()) in pairs:
                    return True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return False


@cache
def _eol_codes() -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    pairs = frozenset().union(*(terminology.valueset(vs) for vs in EOL_SENSITIVE_VALUESETS))
    return pairs, frozenset(code for _, code in pairs)


# Other people's access to the record concerns them, not a carer (issue 13 item 11): a proxy does
# not see the Consents about who may see the record (scope patient-privacy, or a scope that cannot
# be read) unless they name it, nor the RelatedPerson of anyone such a Consent names. Consents of
# other scopes (treatment, advance directives) and related people who are not proxies (an attorney,
# next of kin) are the person's care, and follow the usual rules.
def not_for_proxy(resources: list[dict], proxy_id: str | None) -> set[str]:
    """`Type/id` of the permissions and other proxies' RelatedPersons a proxy may not see."""
    own, hidden, proxies = f"RelatedPerson/{proxy_id}", set(), set()
    for consent in resources:
        if consent.get("resourceType") != "Consent" or not _about_access(consent):
            continue
        named = _references(consent)
        proxies |= {ref for ref in named if ref.startswith("RelatedPerson/")}
        if own not in named:
            hidden.add(f"Consent/{consent.get('id')}")
    return hidden | (proxies - {own})


def _about_access(consent: dict) -> bool:
    """Whether a Consent is (or may be, its scope unreadable) about who may see the record."""
    scope = consent.get("scope")
    codings = scope.get("coding") if isinstance(scope, dict) else None
    codes = [c.get("code") for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
    return not codes or not all(isinstance(code, str) and code != "patient-privacy" for code in codes)


def _references(resource: dict) -> set[str]:
    """Every `reference` string in a resource (walked without recursion: FHIR bounds no depth)."""
    found, stack = set(), [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                found.add(node["reference"])
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return found
