"""Reading access policy out of a record: security labels and prognosis codes. Pure functions over
raw resources; `ltc_dashboard/gate/access.py` applies them, and ltc_dashboard/gate/consent.py reads Consents (the
patient's access start, what a carer may see).

Models follow clinical-reference §7 (labels).
"""

from __future__ import annotations

import unicodedata
from functools import cache

from ltc_dashboard import fhir_read

from ltc_dashboard.record import terminology
from ltc_dashboard.record.references import ANY_TYPE, normal_reference

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
    system = _plain(system) if isinstance(system, str) else ""
    code = _plain(code) if isinstance(code, str) else ""
    canonical = _SYSTEM_ALIASES.get(_system_key(system)) if system else None
    if canonical:
        return canonical, code.upper()
    if not system:
        found = _bare_codes().get(code.upper())
        if found:
            return found, code.upper()
    return system, code


def _plain(text: str) -> str:
    """A label's text as it reads: compatibility forms folded (fullwidth "ＮＯＰＡＴ" is NOPAT) and
    invisible format characters (zero-width spaces) and spaces removed, so a label cannot hide
    from the gate by its spelling (found by the second outside review)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")


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
    `Composition.confidentiality` (a Confidentiality code), a `meta.tag` that is one of the label
    systems' codes (a sender who meant to redact it), and the same places in each contained
    resource (what a resource contains is part of it, so its labels are the container's).
    {UNREADABLE_LABEL} when any of them is there but not in a shape that can be read."""
    labels: set[tuple[str, str]] = set()
    try:
        _own_labels(resource, labels)
        contained = resource.get("contained")
        if contained is not None:
            for inner in _listed(contained):
                if not isinstance(inner, dict):
                    raise _Unreadable
                _own_labels(inner, labels)
                if inner.get("contained") is not None:  # not allowed by R4: not read
                    raise _Unreadable
    except _Unreadable:
        return {UNREADABLE_LABEL}
    return labels


def _own_labels(resource: dict, labels: set) -> None:
    """The labels a resource states itself, apart from those of what it contains."""
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


_LABEL_SYSTEMS = frozenset({ACT_CODE, CONFIDENTIALITY})


def _meta_labels(resource: dict, labels: set) -> None:
    meta = resource.get("meta")
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise _Unreadable
    security = meta.get("security")
    if security is not None:
        _add_codings(_listed(security), labels)
    tags = meta.get("tag")
    if tags is not None:  # a tag in a label system, or a bare hiding code, is read as a label
        for tag in _listed(tags):
            if not isinstance(tag, dict) or not isinstance(tag.get("system", ""), str):
                raise _Unreadable
            code = tag.get("code")
            if code is None and normal_label(tag.get("system"), "")[0] not in _LABEL_SYSTEMS:
                continue  # a tag of another system with no code: not a label
            _add_codings([tag], found := set())
            labels.update(label for label in found if label[0] in _LABEL_SYSTEMS)


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
    for node in fhir_read.objects_in(resource):
        code = node.get("code")
        if isinstance(code, str) and code.strip() in codes:
            system = terminology.normalise_system(node.get("system"))
            if not system or (system, code.strip()) in pairs:
                return True
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
        raw = _references(consent)
        named = {normal_reference(ref) for ref in raw} - {None}  # in every form R4 allows
        proxies |= {ref for ref in named if ref.startswith("RelatedPerson/")}
        # an id of any type (urn:uuid:, urn:oid:) might be a RelatedPerson's
        proxies |= {"RelatedPerson/" + ref[len(ANY_TYPE):] for ref in named if ref.startswith(ANY_TYPE)}
        if not any("://" not in ref and normal_reference(ref) == own for ref in raw):
            # shown only to the carer it surely names (a relative reference, versioned or not)
            hidden.add(f"Consent/{consent.get('id')}")
    return hidden | (proxies - {own})


def _about_access(consent: dict) -> bool:
    """Whether a Consent is (or may be, its scope unreadable) about who may see the record."""
    scope = consent.get("scope")
    codings = scope.get("coding") if isinstance(scope, dict) else None
    codes = [c.get("code") for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
    return not codes or not all(isinstance(code, str) and code != "patient-privacy" for code in codes)


def _references(resource: dict) -> set[str]:
    """Every `reference` string in a resource."""
    return {node["reference"] for node in fhir_read.objects_in(resource) if isinstance(node.get("reference"), str)}
