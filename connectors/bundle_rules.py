"""Two rules of a Bundle as a whole that its entries must not lose when they are stored apart from it.

* A Bundle's own security labels (`Bundle.meta.security`) are a high-water mark: some entry in it
  carries them, and which one is not said. Stored apart, no entry would, so each entry is given
  them (`with_labels`), at every level of Bundles within Bundles (`labels_of`). Labels that cannot
  be read are carried as the unreadable label, which hides an entry from everyone.
* FHIR rule bdl-7: a fullUrl names one entry of a Bundle (history Bundles, and copies of one
  resource told apart by versionId, excepted). A reference to a fullUrl that entries share cannot
  say which of them it means (`shared_full_urls`): it is not resolved, and an entry whose patient
  it is cannot be filed in either record (`names_a_shared_patient`). The entries that share it are
  kept when each has an id of its own (that id says which resource each is), and refused when one
  would take its id from the shared fullUrl (connectors/files.py).

Connectors never import ltc_dashboard/store/ or ltc_dashboard/record/, so the unreadable label is spelt out here
(tests/test_bundle_rules.py keeps it equal to gate.policy.UNREADABLE_LABEL).
"""

from __future__ import annotations

import json

from ltc_dashboard.fhir_read import PATIENT_KEYS

UNREADABLE_CODING = {"system": "urn:ltc:policy", "code": "unreadable-security-label"}
BDL_7 = "FHIR rule bdl-7: each entry of a Bundle has a fullUrl of its own"


def _text(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def labels_of(bundle: dict, carried: tuple = ()) -> tuple:
    """The labels a Bundle's entries are to carry: those carried into it and its own."""
    meta = bundle.get("meta")
    if meta is None:
        return carried
    security = meta.get("security") if isinstance(meta, dict) else [UNREADABLE_CODING]
    if security is None:
        return carried
    if not isinstance(security, list):
        security = [UNREADABLE_CODING]
    found = list(carried)
    seen = {_text(c) for c in found}
    for coding in security:
        coding = coding if isinstance(coding, dict) else UNREADABLE_CODING
        if _text(coding) not in seen:
            seen.add(_text(coding))
            found.append(coding)
    return tuple(found)


def with_labels(resource: dict, labels: tuple) -> None:
    """Give `resource` (in place) every label in `labels` it does not carry already. A `meta` or
    `meta.security` that cannot be read is left as it is: the gate already hides such an entry
    from everyone."""
    if not labels:
        return
    meta = resource.setdefault("meta", {})
    if not isinstance(meta, dict):
        return
    security = meta.setdefault("security", [])
    if not isinstance(security, list):
        return
    seen = {_text(c) for c in security}
    security.extend(dict(c) for c in labels if _text(c) not in seen)


def shared_full_urls(claims: dict[str, list[dict]], bundle_type: object) -> set[str]:
    """The fullUrls (of `claims`: fullUrl -> the resources of the entries that give it) that more
    than one entry gives against rule bdl-7, or that name more than one resource."""
    shared = set()
    for url, resources in claims.items():
        if len(resources) < 2:
            continue
        names = {(r.get("resourceType"), _text(r.get("id"))) for r in resources}
        versions = [_text(_version(r)) for r in resources]
        if len(names) > 1 or (bundle_type != "history" and len(set(versions)) < len(versions)):
            shared.add(url)
    return shared


def _version(resource: dict):
    meta = resource.get("meta")
    return meta.get("versionId", "") if isinstance(meta, dict) else ""


def names_a_shared_patient(resource: dict, shared: set[str]) -> str | None:
    """The reason an entry is refused when its patient is a fullUrl that several entries share."""
    for key in PATIENT_KEYS:
        value = resource.get(key)
        reference = value.get("reference") if isinstance(value, dict) else None
        if isinstance(reference, str) and reference in shared:
            return f"subject cannot be resolved to a patient ({key} is a fullUrl that several entries share; {BDL_7})"
    return None
