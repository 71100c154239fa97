"""Who must not see what: a small, deliberately conservative reading of issue 13 and FHIR R4,
written for the leak property over real shapes (tests/test_leak_shapes.py) without calling the
gate's code. It reads the FHIR that was imported (Bundles included) and answers, for each viewer
(patient, clinic, each carer), which resource copies must stay hidden.

Fail closed throughout: where R4 leaves a reading open, the entry counts as "must hide", and the
comment says so. The test asserts only that must-hide markers never show; it never asserts that
an entry the oracle lets through does show (except for the fixed controls), so a conservative
oracle cannot make a sound gate fail, only a leaky one.
"""

from __future__ import annotations

import base64
import csv
import json
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from leak_dates import CLINICAL_DATES, clinical_days, days_of  # noqa: F401  (split out: R4's dates)

ROOT = Path(__file__).resolve().parent.parent
PATIENT = "p1"
TODAY = dt.date(2026, 11, 25)

# Security-label codes (v3 Confidentiality R, V; ActCode NOPAT) that hide from everyone, and the
# sensitivity categories hidden on the shared screen (clinical-reference §7; sensitivity.csv).
# Compared by code in upper case under ANY system or none: a label written with https, a trailing
# slash, another letter case or no system may mean the same thing, so it must hide (fail closed).
HIDE_ALL_CODES = {"NOPAT", "R", "V"}
HIDE_CLINIC_CODES = {"PSY", "ETH", "SDV", "SEX", "HIV", "STD", "SOC"}
# Types that are not entries of the record but are read through entries that point at them.
SHARED_TYPES = {"Binary", "Medication", "Practitioner", "PractitionerRole", "Organization", "Location"}
# Types with no clinical date: people, places, permissions (not hidden by a date boundary).
UNDATED = SHARED_TYPES | {"Patient", "RelatedPerson", "Consent", "Device", "Group", "HealthcareService"}
# HL7 v3 PurposeOfUse codes that can never be a carer reading the record (marketing, research).
_NOT_VIEWING = {"HMARKT", "HRESCH"}
MARKER = re.compile(r"HIDQX7[0-9]{4}Z")  # what every text field of a generated entry carries


def _eol_codes() -> set[str]:
    """Prognosis and resuscitation codes, straight from the value-set table (clinical-reference §3.4)."""
    wanted = ("gsf_prognosis_", "eol_last_", "cpr_")
    with open(ROOT / "data" / "terminology" / "valuesets.csv", newline="") as file:
        return {row["code"] for row in csv.DictReader(file)
                if row["valueset"].startswith(wanted) and row["system"] != "valueset"}


EOL_CODES = _eol_codes()


@dataclass
class Copy:
    """One imported copy of a resource: its key, the resource, and the marker it carries (if any)."""

    key: str
    resource: dict
    markers: set[str]


def walk(node) -> Iterator:
    """Every dict and scalar under a node, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def label_codes(resource: dict) -> set[str] | None:
    """Upper-case codes of every security label R4 lets a resource carry (meta.security,
    DocumentReference.securityLabel, Composition.confidentiality), contained resources' too;
    None when a label is there but cannot be read (fail closed: it may be NOPAT)."""
    codes: set[str] = set()
    meta = resource.get("meta", {})
    security = meta.get("security", []) if isinstance(meta, dict) else None
    concepts = resource.get("securityLabel", []) if resource.get("resourceType") == "DocumentReference" else []
    if not isinstance(security, list) or not isinstance(concepts, list):
        return None
    codings = list(security) + [c for concept in concepts if isinstance(concept, dict)
                                for c in concept.get("coding", [])]
    for coding in codings:
        if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
            return None
        codes.add(coding["code"].strip().upper())
    if resource.get("resourceType") == "Composition" and "confidentiality" in resource:
        if not isinstance(resource["confidentiality"], str):
            return None
        codes.add(resource["confidentiality"].upper())
    for inner in resource.get("contained", []):
        inner_codes = label_codes(inner) if isinstance(inner, dict) else None
        if inner_codes is None:
            return None
        codes |= inner_codes
    return codes


def entered_in_error(resource: dict) -> bool:
    """Any status-like element (status, lifecycleStatus, docStatus, verificationStatus,
    clinicalStatus, statusHistory ...) holding entered-in-error, as a code or in a CodeableConcept."""
    return any("status" in key.lower() and "entered-in-error" in [v for v in walk(value) if isinstance(v, str)]
               for key, value in resource.items())


def eol_sensitive(resource: dict) -> bool:
    """A prognosis or CPR code anywhere in the resource (component, stage, activity, type, a
    Consent's provision ...): hidden until the person chooses to see them."""
    return any(isinstance(node, dict) and isinstance(node.get("code"), str) and node["code"] in EOL_CODES for node in walk(resource))


def references(resource: dict) -> set[str]:
    """What a resource points at, in every R4 form, reduced to Type/id: `Type/id`,
    `Type/id/_history/n`, absolute URLs, and attachment URLs (a letter's Binary). Contained
    resources' references count as the container's."""
    found = set()
    for node in walk(resource):
        if not isinstance(node, dict):
            continue
        for key in ("reference", "url"):
            text = node.get(key)
            if isinstance(text, str):
                found.add(_key_of(text))
    return {k for k in found if k}


def _key_of(text: str) -> str | None:
    text = re.sub(r"/_history/[^/]*$", "", text)
    if text.startswith("urn:uuid:"):
        return "urn:" + text[len("urn:uuid:"):]
    found = re.search(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$", text)
    return f"{found[1]}/{found[2]}" if found else None


# -- versions -----------------------------------------------------------------------------------
def _instant(copy: Copy) -> dt.datetime | None:
    value = (copy.resource.get("meta") or {}).get("lastUpdated")
    if not isinstance(value, str) or not re.search(r"(Z|[+-]\d{2}:\d{2})$", value):
        return None  # no zone: not an instant that can be ordered for certain
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _numeric_version(copy: Copy) -> int | None:
    value = (copy.resource.get("meta") or {}).get("versionId")
    return int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]+", value) else None


def surely_newer(a: Copy, b: Copy) -> bool:
    """Whether copy a is certainly newer than copy b: both lastUpdated instants (with zones) say
    so, or both versionIds are plain ASCII numbers and say so; never when the two disagree."""
    votes = set()
    ia, ib = _instant(a), _instant(b)
    if ia is not None and ib is not None and ia != ib:
        votes.add(ia > ib)
    va, vb = _numeric_version(a), _numeric_version(b)
    if va is not None and vb is not None and va != vb:
        votes.add(va > vb)
    return votes == {True}


# -- the oracle ---------------------------------------------------------------------------------
def resources_in(files: list) -> tuple[list[dict], dict[str, str]]:
    """Every resource in the imported files, and each urn:uuid fullUrl's Type/id."""
    found, uuids = [], {}
    for item in files:
        if isinstance(item, dict) and item.get("resourceType") == "Bundle":
            for entry in item["entry"]:
                resource, full = entry["resource"], entry.get("fullUrl", "")
                if full.startswith("urn:uuid:"):
                    uuid = full[len("urn:uuid:"):]
                    uuids["urn:" + uuid] = f"{resource['resourceType']}/{resource.get('id', uuid)}"
                found.append(resource)
        else:
            found.extend(item if isinstance(item, list) else [item])
    return found, uuids


def viewers_of(files: list) -> list[str]:
    """patient, clinic and one proxy viewer for every RelatedPerson of the patient."""
    people = sorted({r["id"] for r in resources_in(files)[0] if r["resourceType"] == "RelatedPerson"})
    return ["patient", "clinic", *(f"proxy:RelatedPerson/{rp}" for rp in people)]


def markers_in(resource: dict) -> set[str]:
    """The markers a resource copy carries, in its text or in base64 `data`."""
    texts = [json.dumps(resource)]
    for node in walk(resource):
        if isinstance(node, dict) and isinstance(node.get("data"), str):
            texts.append(base64.b64decode(node["data"]).decode("utf-8", "replace"))
    return set(MARKER.findall("\n".join(texts)))


def must_hide(files: list, viewer: str, start: dt.date | None) -> set[str]:
    """The markers `viewer` must never see; `start` is the patient's online-access start (None:
    full access)."""
    resources, uuids = resources_in(files)
    groups: dict[str, list[Copy]] = {}
    for resource in resources:
        key = f"{resource['resourceType']}/{resource.get('id')}"
        groups.setdefault(key, []).append(Copy(key, resource, markers_in(resource)))
    carer = viewer.split("/", 1)[1] if viewer.startswith("proxy:") else None
    content, scope = set(), set()  # hidden for what it says / outside what this viewer may see
    winners: dict[str, Copy | None] = {}
    for key, copies in groups.items():
        winners[key] = next((c for c in copies if all(surely_newer(c, o) for o in copies if o is not c)), None)
        hides = [_content_hidden(c.resource, viewer, carer, groups) for c in copies]
        if (winners[key] is None and any(hides)) or (winners[key] and hides[copies.index(winners[key])]):
            content.add(key)
        winner = winners[key] or copies[-1]
        if _out_of_scope(winner.resource, carer, start, groups):
            scope.add(key)
    changed = True
    while changed:  # pointing at an entry hidden for its content hides the pointer, repeatedly
        changed = False
        for key, copies in groups.items():
            if key in content or key == f"Patient/{PATIENT}":
                continue
            pointed = {uuids.get(k, k) for c in copies for k in references(c.resource)}
            if pointed & content:
                content.add(key)
                changed = True
    hidden = content | scope
    # a shared resource shows only through a visible entry that points at it
    for key in [k for k in groups if k.split("/")[0] in SHARED_TYPES]:
        pointers = [k for k, copies in groups.items() if k.split("/")[0] not in SHARED_TYPES
                    and key in {uuids.get(r, r) for c in copies for r in references(c.resource)}]
        if all(p in hidden for p in pointers):
            hidden.add(key)
    out = set()
    for key, copies in groups.items():
        group_hides = key in content or any(_content_hidden(c.resource, viewer, carer, groups) for c in copies)
        for copy in copies:
            if key in hidden or (copy is not winners[key] and group_hides):
                out |= copy.markers
    return out


def _content_hidden(resource: dict, viewer: str, carer: str | None, groups: dict) -> bool:
    """Hidden for what it says: labels, entered-in-error, prognosis/CPR, a carer's deny."""
    if resource["resourceType"] == "Patient":
        return False
    codes = label_codes(resource)
    if codes is None or codes & HIDE_ALL_CODES or entered_in_error(resource) or eol_sensitive(resource):
        return True
    if viewer == "clinic" and codes & HIDE_CLINIC_CODES:
        return True
    return carer is not None and _denied(resource, codes, carer, groups)


def _out_of_scope(resource: dict, carer: str | None, start: dt.date | None, groups: dict) -> bool:
    rtype = resource["resourceType"]
    if rtype in ("Patient",):
        return False
    if carer and rtype in ("RelatedPerson", "Consent"):  # another carer's (issue 13 item 11)
        own = {f"RelatedPerson/{carer}"}
        return not (resource.get("id") == carer or own & references(resource))
    if start is not None and rtype not in UNDATED:
        days = clinical_days(resource)
        if not days or min(days) < start:
            return True
    return carer is not None and rtype not in UNDATED and not _permitted(resource, carer, groups)


def _consents_for(carer: str, groups: dict) -> list[dict]:
    found = []
    for copies in groups.values():
        consent = copies[-1].resource
        if consent["resourceType"] == "Consent" and consent.get("status") == "active":
            top = consent.get("provision") or {}
            actors = {_key_of(a.get("reference", {}).get("reference", "")) for a in top.get("actor", [])}
            if f"RelatedPerson/{carer}" in actors:
                found.append(top)
    return found


def _covers_today(period) -> bool:
    if not period:
        return True
    start, end = days_of(period.get("start")), days_of(period.get("end"))
    return bool((not period.get("start") or max(start) <= TODAY) and (not period.get("end") or min(end) >= TODAY))


def _codes(concepts) -> set[str]:
    return {n["code"] for n in walk(concepts) if isinstance(n, dict) and isinstance(n.get("code"), str)}


def _in_period(resource: dict, period: dict) -> bool:
    days = clinical_days(resource)
    if not days:
        return False
    low, high = days_of(period.get("start")), days_of(period.get("end"))
    return (not low or min(days) >= max(low)) and (not high or max(days) <= min(high))


def _permitted(resource: dict, carer: str, groups: dict) -> bool:
    """Whether some carer Consent's top-level permit surely covers this entry (R4
    Consent.provision: every stated criterion narrows what the rule applies to)."""
    key = f"{resource['resourceType']}/{resource.get('id')}"
    for top in _consents_for(carer, groups):
        if top.get("type") != "permit" or not _covers_today(top.get("period")):
            continue
        if top.get("purpose"):
            continue  # permitted for a purpose of use the app cannot know it serves: fail closed
        if top.get("action") and "access" not in _codes(top["action"]):
            continue  # a permit of something other than access
        if top.get("class") and resource["resourceType"] not in _codes(top["class"]):
            continue
        if top.get("code") and not _codes(top["code"]) & _codes({k: v for k, v in resource.items() if k != "meta"}):
            continue
        if top.get("securityLabel") and not {c.upper() for c in _codes(top["securityLabel"])} & (label_codes(resource) or set()):
            continue
        if top.get("dataPeriod") and not _in_period(resource, top["dataPeriod"]):
            continue
        if top.get("data") and key not in {_key_of(d.get("reference", {}).get("reference", "")) for d in top["data"]}:
            continue
        return True
    return False


def _denied(resource: dict, codes: set[str], carer: str, groups: dict) -> bool:
    """Whether a provision nested at any depth under a carer's Consent could deny this entry.
    Nested permits are ignored (they could only narrow a deny), so every deny counts wherever
    it sits, and each criterion it states that cannot be checked counts as matching."""
    key = f"{resource['resourceType']}/{resource.get('id')}"
    for top in _consents_for(carer, groups):
        for rule in _nested(top):
            if rule.get("type") == "permit":
                continue
            if rule.get("actor") and f"RelatedPerson/{carer}" not in {
                    _key_of(a.get("reference", {}).get("reference", "")) for a in rule["actor"]}:
                continue
            if rule.get("period") and not _covers_today(rule["period"]):
                continue
            if rule.get("class") and resource["resourceType"] not in _codes(rule["class"]):
                continue
            if rule.get("securityLabel") and not {c.upper() for c in _codes(rule["securityLabel"])} & codes:
                continue
            if rule.get("code") and not _codes(rule["code"]) & _codes({k: v for k, v in resource.items() if k != "meta"}):
                continue
            if rule.get("dataPeriod") and clinical_days(resource) and not _in_period(resource, rule["dataPeriod"]):
                continue
            if rule.get("data") and key not in {_key_of(d.get("reference", {}).get("reference", "")) for d in rule["data"]}:
                continue
            purposes = _codes(rule["purpose"]) if rule.get("purpose") else set()
            if purposes and purposes <= _NOT_VIEWING:
                continue  # denied only for marketing or research: a carer reading the record is neither
            return True  # action and other purposes: any stated one may be viewing, so the deny applies
    return False


def _nested(provision: dict) -> Iterator[dict]:
    for inner in provision.get("provision", []):
        yield inner
        yield from _nested(inner)
