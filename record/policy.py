"""Reading access policy out of a record: security labels and prognosis codes. Pure functions over
raw resources; `record/access.py` applies them, and record/consent.py reads Consents (the
patient's access start, what a carer may see).

Models follow clinical-reference §7 (labels).
"""

from __future__ import annotations

from record import terminology

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


# Stands for security labels that cannot be read (`meta.security` not a list of Codings with text
# codes): a label might be NOPAT, so such an entry is hidden from every viewer.
UNREADABLE_LABEL = ("urn:ltc:policy", "unreadable-security-label")


def labels_of(resource: dict) -> set[tuple[str, str]]:
    """The security labels on a resource (`meta.security`), normalised; {UNREADABLE_LABEL} when
    they are there but not in a shape that can be read."""
    meta = resource.get("meta")
    if meta is None:
        return set()
    if not isinstance(meta, dict):
        return {UNREADABLE_LABEL}
    security = meta.get("security")
    if security is None:
        return set()
    if not isinstance(security, list):
        return {UNREADABLE_LABEL}
    labels = set()
    for coding in security:
        if not isinstance(coding, dict) or not isinstance(coding.get("code"), str) or not isinstance(
                coding.get("system", ""), str):
            return {UNREADABLE_LABEL}
        labels.add(normal_label(coding.get("system"), coding["code"]))
    return labels


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


def is_eol_sensitive(resource: dict) -> bool:
    """Whether a resource records a prognosis or a resuscitation (CPR) decision."""
    concepts = [resource.get("code"), resource.get("valueCodeableConcept")]
    if resource.get("resourceType") == "Flag":
        category = resource.get("category")  # a lone object counts: wider is the safe side here
        concepts += [c for c in (category if isinstance(category, list) else [category]) if isinstance(c, dict)]
    concepts = [c for c in concepts if isinstance(c, dict)]
    return any(terminology.in_valueset(EOL_SENSITIVE_VALUESETS, c) for c in concepts)
