"""Reading access policy out of a record: security labels, the patient's access start, and what a
proxy's Consent permits. Pure functions over raw resources; `record/access.py` applies them.

Models follow clinical-reference §7 (labels) and §8 (RelatedPerson, Consent with
`provision.period`, `provision.dataPeriod`, `provision.class`, nested `deny` provisions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from record import terminology
from record.dates import parse_or_none

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# STU3 and GP2GP payloads use the older system URIs; treat them as the same codes.
_SYSTEM_ALIASES = {
    "http://hl7.org/fhir/v3/ActCode": ACT_CODE,
    "http://hl7.org/fhir/v3/Confidentiality": CONFIDENTIALITY,
    "urn:oid:2.16.840.1.113883.5.4": ACT_CODE,
    "urn:oid:2.16.840.1.113883.5.25": CONFIDENTIALITY,
}
_INFO_ACCESS = {"INFA", "INFAO"}


def normal_label(system, code) -> tuple[str, str]:
    """A (system, code) label with STU3/OID system names mapped to the R4 ones."""
    system = system if isinstance(system, str) else ""
    return (_SYSTEM_ALIASES.get(system, system), code if isinstance(code, str) else "")


def labels_of(resource: dict) -> set[tuple[str, str]]:
    """The security labels on a resource (`meta.security`), normalised."""
    meta = resource.get("meta")
    security = meta.get("security") if isinstance(meta, dict) else None
    if not isinstance(security, list):
        return set()
    return {normal_label(c.get("system"), c.get("code")) for c in security if isinstance(c, dict)}


def hidden_labels_for(viewer_kind: str) -> frozenset[tuple[str, str]]:
    """The labels that hide an entry from this kind of viewer (data/terminology/sensitivity.csv)."""
    return frozenset(normal_label(s, c) for s, c in terminology.hidden_labels(viewer_kind))


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
    concepts = concept if isinstance(concept, list) else [concept]
    found = set()
    for item in concepts:
        if isinstance(item, dict):
            for coding in item.get("coding") or []:
                if isinstance(coding, dict):
                    found.add((coding.get("system") or "", coding.get("code") or ""))
    return found


def _is_information_access(consent: dict, patient_id: str) -> bool:
    if consent.get("resourceType") != "Consent" or consent.get("status") != "active":
        return False
    if (consent.get("patient") or {}).get("reference") != f"Patient/{patient_id}":
        return False
    if not any(code == "patient-privacy" for _, code in _codes(consent.get("scope"))):
        return False
    return any(code in _INFO_ACCESS for _, code in _codes(consent.get("category")))


def _provision(consent: dict) -> dict:
    provision = consent.get("provision")
    return provision if isinstance(provision, dict) else {}


def _actors(provision: dict) -> set[str]:
    refs = set()
    for actor in provision.get("actor") or []:
        if isinstance(actor, dict) and isinstance(actor.get("reference"), dict):
            ref = actor["reference"].get("reference")
            if isinstance(ref, str):
                refs.add(ref)
    return refs


def _period(period) -> tuple[dt.date | None, dt.date | None]:
    if not isinstance(period, dict):
        return None, None
    start, end = parse_or_none(period.get("start")), parse_or_none(period.get("end"))
    return (start.day if start else None, end.last_day if end else None)


def _covers(period, today: dt.date) -> bool:
    start, end = _period(period)
    return (start is None or start <= today) and (end is None or today <= end)


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
        provision = _provision(consent)
        if provision.get("type", "permit") != "permit":
            continue
        actors = _actors(provision)
        if actors and actors != {f"Patient/{patient_id}"}:
            continue
        start, _ = _period(provision.get("dataPeriod"))
        decided = str(consent.get("dateTime") or "")
        if best is None or decided > best[0]:
            best = (decided, start)
    return best[1] if best else None


def related_person_valid(resources: list[dict], patient_id: str, proxy_id: str | None, today: dt.date) -> bool:
    """Whether the RelatedPerson exists for this patient and is active today."""
    for person in resources:
        if person.get("resourceType") == "RelatedPerson" and person.get("id") == proxy_id:
            if (person.get("patient") or {}).get("reference") != f"Patient/{patient_id}":
                return False
            return person.get("active", True) is not False and _covers(person.get("period"), today)
    return False


def _deny_of(nested: dict) -> Deny:
    labels = frozenset(
        normal_label(c.get("system"), c.get("code"))
        for c in nested.get("securityLabel") or [] if isinstance(c, dict)
    )
    classes = frozenset(
        c.get("code") for c in nested.get("class") or [] if isinstance(c, dict) and c.get("code")
    )
    start, end = _period(nested.get("dataPeriod"))
    return Deny(labels, classes, start, end)


def proxy_grants(resources: list[dict], patient_id: str, proxy_id: str | None, today: dt.date) -> list[Grant]:
    """What each active Consent naming `RelatedPerson/proxy_id` permits on `today`."""
    grants = []
    wanted = f"RelatedPerson/{proxy_id}"
    for consent in resources:
        if not _is_information_access(consent, patient_id):
            continue
        provision = _provision(consent)
        if provision.get("type", "permit") != "permit" or wanted not in _actors(provision):
            continue
        if not _covers(provision.get("period"), today):
            continue
        start, end = _period(provision.get("dataPeriod"))
        classes = frozenset(
            c.get("code") for c in provision.get("class") or [] if isinstance(c, dict) and c.get("code")
        )
        denies = tuple(
            _deny_of(n) for n in provision.get("provision") or []
            if isinstance(n, dict) and n.get("type") == "deny"
        )
        grants.append(Grant(start, end, classes, denies))
    return grants


# Prognosis codes and resuscitation decisions: the person may not have discussed them yet, so they
# stay out of view unless the person chose to see them (clinical-reference §3.4; an app policy
# decision, unverified as a national rule). Value sets from data/terminology/valuesets.csv.
EOL_SENSITIVE_VALUESETS = (
    "gsf_prognosis_a", "gsf_prognosis_b", "gsf_prognosis_c", "gsf_prognosis_d",
    "eol_last_months", "eol_last_weeks", "eol_last_days", "cpr_decision",
)


def is_eol_sensitive(resource: dict) -> bool:
    """Whether a resource records a prognosis or a resuscitation (CPR) decision."""
    concepts = [resource.get("code"), resource.get("valueCodeableConcept")]
    concepts += [c for c in resource.get("category") or [] if isinstance(c, dict)] if resource.get(
        "resourceType") == "Flag" else []
    concepts = [c for c in concepts if isinstance(c, dict)]
    return any(terminology.in_valueset(vs, c) for vs in EOL_SENSITIVE_VALUESETS for c in concepts)
