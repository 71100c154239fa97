"""The shape families of the leak property over real shapes (issue 13): each builds, from a few
drawn parameters, the files one import would read (lists of resources or Bundles), with a marker
in every text field of each entry. Hand-made for issue 13; which markers must stay hidden from
whom is decided by tests/leak_oracle.py, never here.

`Family.leak` names the issue-13 item a family still leaks through on main (its test is a strict
xfail); deleting it, once the fix is merged, also puts the family into the mixed property.
"""

from __future__ import annotations

import json
import dataclasses
from dataclasses import dataclass, field
from typing import Callable

from hypothesis import strategies as st

from leak_oracle import CLINICAL_DATES, EOL_CODES, MARKER
from leak_shapes import (ACT, CONF, TYPES, Marks, b64, bundle, carer, carer_permit, consent,
                         entry, label, shared)

STATUS_TYPES = tuple(t for t in TYPES if "status" in entry(t, "X"))
GPRONOSIS_D, NOT_FOR_CPR = "845771000000107", "450476008"
assert {GPRONOSIS_D, NOT_FOR_CPR} <= EOL_CODES


@dataclass(frozen=True)
class Family:
    """One shape: its name, the issue-13 item it pins, how it is built and drawn."""

    name: str
    item: int
    build: Callable[[Marks, dict], list]
    explicit: dict
    variants: st.SearchStrategy = field(default_factory=lambda: st.just({}))
    start: bool = False  # needs the patient's online-access start (2023-01-01)
    leak: str | None = None  # "issue 13 item N: ..." while main leaks it

    def draw(self) -> st.SearchStrategy:
        return self.variants.map(lambda v: {**self.explicit, **v})


def _labelled(marks: Marks, p: dict) -> list:
    resource = entry(p["type"], marks.new())
    resource["meta"] = {"security": [p["label"]]}
    return [[resource]]


def _label_family(name: str, labels: list[dict], item: int = 6, leak: str | None = None) -> Family:
    return Family(name, item, _labelled, {"type": "Observation", "label": labels[0]},
                  st.fixed_dictionaries({"type": st.sampled_from(TYPES), "label": st.sampled_from(labels)}), leak=leak)


def _doc_security_label(marks: Marks, p: dict) -> list:
    doc = entry("DocumentReference", marks.new())
    doc["securityLabel"] = [{"coding": [p["label"]]}]
    return [[doc]]


def _confidentiality(marks: Marks, p: dict) -> list:
    return [[{**entry("Composition", marks.new()), "confidentiality": p["code"]}]]


def _contained_label(marks: Marks, p: dict) -> list:
    mark = marks.new()
    inner = {**shared(p["inner"], mark, rid="c1"), "meta": {"security": [label("NOPAT")]}}
    outer = {**entry(p["type"], mark), "contained": [inner]}
    if p["type"] == "MedicationRequest" and p["inner"] == "Medication":
        del outer["medicationCodeableConcept"]
        outer["medicationReference"] = {"reference": "#c1"}
    else:
        outer["extension"] = [{"url": "https://example.org/about", "valueReference": {"reference": "#c1"}}]
    return [[outer]]


def _in_error(marks: Marks, p: dict) -> list:
    resource = entry(p["type"], marks.new())
    element = p["element"]
    if element == "status":
        resource["status"] = "entered-in-error"
    elif element in ("verificationStatus",):
        resource[element] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                         "code": "entered-in-error"}]}
    else:
        resource[element] = "entered-in-error"
    return [[resource]]


def _eol(marks: Marks, p: dict) -> list:
    m, code = marks.new(), {"system": "http://snomed.info/sct", "code": p["code"], "display": "prognosis"}
    place = p["place"]
    if place == "Consent":  # a DNACPR decision recorded as a Consent (R4 scope adr)
        return [[{"resourceType": "Consent", "id": f"dnacpr-{m.lower()}", "status": "active",
                  "text": {"status": "generated", "div": f"<div>{m}</div>"},
                  "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "adr"}],
                            "text": f"Decision {m}"},
                  "category": [{"coding": [code], "text": f"Resuscitation {m}"}],
                  "patient": {"reference": "Patient/p1"}, "dateTime": "2025-06-01",
                  "policyRule": {"text": f"policy {m}"}, "provision": {"type": "deny", "code": [{"coding": [code]}]}}]]
    rtype, path = place.split(".", 1)
    resource = entry(rtype, m)
    if path == "component":
        resource["component"] = [{"code": {"coding": [code], "text": f"Component {m}"}, "valueString": f"c {m}"}]
    elif path == "stage":
        resource["stage"] = [{"summary": {"coding": [code], "text": f"Stage {m}"}}]
    elif path == "activity":
        resource["activity"][0]["detail"]["code"] = {"coding": [code], "text": f"Activity {m}"}
    else:
        resource[path] = {"coding": [code], "text": f"{path} {m}"}
    return [[resource]]


def _before_start(marks: Marks, p: dict) -> list:
    resource = entry(p["type"], marks.new(), day=p["day"], date_path=p["path"])
    resource["meta"] = {"lastUpdated": "2025-01-01T09:00:00Z"}  # filed after the start
    return [[resource]]


def _undated(marks: Marks, p: dict) -> list:
    return [[{**entry(p["type"], marks.new(), day=None), "meta": {"lastUpdated": "2025-01-01T09:00:00Z"}}]]


def _date_family(rtype: str) -> Family:
    paths, days = list(CLINICAL_DATES[rtype]), ["2020-05-01", "2020", "2022-12", "2022-12-31T23:30:00Z",
                                                  "2022-12-31T22:30:00-01:00", "2021-03-04T10:00:00.123+05:30"]
    return Family(f"date-{rtype}", 3, _before_start, {"type": rtype, "path": paths[0], "day": "2020-05-01"},
                  st.fixed_dictionaries({"path": st.sampled_from(paths), "day": st.sampled_from(days)}), start=True)


def _versions(marks: Marks, p: dict) -> list:
    """Two copies of one entry, one labelled; imported as separate files in the drawn order."""
    a, b = (entry(p["type"], marks.new(), rid=f"versioned-{p['type'].lower()}") for _ in range(2))
    a["meta"], b["meta"] = dict(p["labelled"]), dict(p["plain"])
    a["meta"]["security"] = [label("NOPAT")]
    return [[a], [b]] if p["labelled_first"] else [[b], [a]]


def _version_family(name: str, labelled: dict, plain: dict, leak: str | None = None) -> Family:
    return Family(name, 4, _versions, {"type": "Observation", "labelled": labelled, "plain": plain, "labelled_first": True},
                  st.fixed_dictionaries({"type": st.sampled_from(TYPES), "labelled_first": st.booleans()}), leak=leak)


def _pointer(marks: Marks, p: dict) -> list:
    """A hidden target (label, error or prognosis code) and an entry pointing at it in the drawn form."""
    target = entry(p["target_type"], marks.new(), rid="target1")
    if p["why"] == "label":
        target["meta"] = {"security": [label("NOPAT")]}
    elif p["why"] == "error":
        target = entry("Observation", marks.new(), rid="target1")
        target["status"] = "entered-in-error"
    else:
        target = entry("Condition", marks.new(), rid="target1")
        target["code"]["coding"] = [{"system": "http://snomed.info/sct", "code": GPRONOSIS_D}]
    key = f"{target['resourceType']}/target1"
    pointer = entry(p["pointer_type"], marks.new())
    form = p["form"]
    ref = {"plain": key, "history": f"{key}/_history/2", "absolute": f"https://fhir.example.org/R4/{key}",
           "absolute-history": f"https://fhir.example.org/R4/{key}/_history/1", "urn": "urn:uuid:2f0c5f41-0f3b-4c1e-9d55-6a1b1e7c0a11",
           "contained": "#c1"}[form]
    if form == "contained":
        pointer["contained"] = [{"resourceType": "Observation", "id": "c1", "status": "final", "code": {"text": "part"},
                                 "derivedFrom": [{"reference": key}]}]
    pointer["extension"] = [{"url": "https://example.org/derived-from", "valueReference": {"reference": ref}}]
    if form == "urn":
        uuid = ref[len("urn:uuid:"):]
        target["id"] = uuid
        return [bundle([target], {0: ref}), [pointer]]  # the target came in an earlier file
    return [[target, pointer]]


def _shared_hidden(marks: Marks, p: dict) -> list:
    """A shared resource labelled NOPAT, and an entry that names it."""
    thing = {**shared(p["shared"], marks.new(), rid="shared1"), "meta": {"security": [label("NOPAT")]}}
    ref = {"reference": f"{p['shared']}/shared1", "display": f"Named {MARKER.search(json.dumps(thing))[0]}"}
    pointer = entry({"Medication": "MedicationRequest", "Practitioner": "DocumentReference",
                     "Organization": "Encounter", "Location": "Encounter", "PractitionerRole": "Observation"}[p["shared"]],
                    marks.new())
    if p["shared"] == "Medication":
        del pointer["medicationCodeableConcept"]
        pointer["medicationReference"] = ref
    elif p["shared"] == "Practitioner":
        pointer["author"] = [ref]
    elif p["shared"] == "Organization":
        pointer["serviceProvider"] = ref
    elif p["shared"] == "Location":
        pointer["location"] = [{"location": ref}]
    else:
        pointer["performer"] = [ref]
    return [[thing, pointer]]


def _unshared_lookup(marks: Marks, p: dict) -> list:
    """A shared resource named only by a hidden entry carries that entry's words: never shown."""
    hidden = entry("MedicationRequest", marks.new())
    hidden["meta"] = {"security": [label("NOPAT")]}
    med = shared("Medication", marks.new(), rid="only-hidden-med")
    del hidden["medicationCodeableConcept"]
    hidden["medicationReference"] = {"reference": "Medication/only-hidden-med"}
    return [[med, hidden]]


def _letter_binary(marks: Marks, p: dict) -> list:
    """A letter whose (first or second) attachment is a Binary labelled NOPAT."""
    words = marks.new()
    binary = {"resourceType": "Binary", "id": "bin1", "contentType": "text/plain", "meta": {"security": [label("NOPAT")]},
              "securityContext": {"reference": "Patient/p1"}, "data": b64(f"Binary words {words} here")}
    doc = entry("DocumentReference", marks.new())
    url = {"attachment": {"contentType": "text/plain", "url": "Binary/bin1", "title": "Second part"}}
    doc["content"] = doc["content"] + [url] if p["second"] else [url]
    return [[binary, doc]]


def _letter_versions(marks: Marks, p: dict) -> list:
    """An older unlabelled version of a letter, then a newer one labelled for the drawn viewer."""
    old, new = (entry("DocumentReference", marks.new(), rid="letter-versions") for _ in range(2))
    old["meta"] = {"versionId": "1", "lastUpdated": "2025-06-01T09:00:00Z"}
    new["meta"] = {"versionId": "2", "lastUpdated": "2025-06-02T09:00:00Z", "security": [p["label"]]}
    return [[old], [new]]


ALL_NOPAT = [label("NOPAT"), label("R", CONF), label("V", CONF), label("NOPAT", "http://hl7.org/fhir/v3/ActCode")]
FAMILIES: list[Family] = [
    _label_family("label-meta-standard", ALL_NOPAT),
    _label_family("label-meta-no-system", [label("NOPAT", None), label("R", None), label("V", None)]),
    _label_family("label-meta-https", [label("NOPAT", ACT.replace("http:", "https:")), label("R", CONF.replace("http:", "https:"))]),
    _label_family("label-meta-trailing-slash", [label("NOPAT", ACT + "/"), label("V", CONF + "/")]),
    _label_family("label-meta-letter-case", [label("nopat"), label("NOPAT", ACT.upper()), label("r", CONF)]),
    _label_family("label-clinic-variants", [label("PSY", None), label("psy"), label("SDV", ACT + "/"),
                                            label("HIV", ACT.replace("http:", "https:"))]),
    Family("label-docref-securityLabel", 6, _doc_security_label, {"label": label("NOPAT")},
           st.fixed_dictionaries({"label": st.sampled_from(ALL_NOPAT)})),
    Family("label-composition-confidentiality", 6, _confidentiality, {"code": "R"},
           st.fixed_dictionaries({"code": st.sampled_from(["R", "V"])})),
    Family("label-contained", 6, _contained_label, {"type": "MedicationRequest", "inner": "Medication"},
           st.fixed_dictionaries({"type": st.sampled_from(TYPES), "inner": st.sampled_from(
               ["Medication", "Practitioner", "Organization", "Location"])})),
    Family("error-status", 6, _in_error, {"type": "Observation", "element": "status"},
           st.fixed_dictionaries({"type": st.sampled_from(STATUS_TYPES), "element": st.just("status")})),
    Family("error-goal-lifecycleStatus", 6, _in_error, {"type": "Goal", "element": "lifecycleStatus"}),
    Family("error-docStatus", 6, _in_error, {"type": "DocumentReference", "element": "docStatus"}),
    Family("error-verificationStatus", 6, _in_error, {"type": "Condition", "element": "verificationStatus"},
           st.fixed_dictionaries({"type": st.sampled_from(["Condition", "AllergyIntolerance"])})),
    *(Family(f"eol-{place}", 7, _eol, {"place": place, "code": GPRONOSIS_D},
             st.fixed_dictionaries({"code": st.sampled_from(sorted(EOL_CODES))}))
      for place in ("Observation.code", "Observation.valueCodeableConcept", "Condition.code", "Flag.code",
                    "Observation.component", "Condition.stage", "CarePlan.activity", "DocumentReference.type",
                    "Consent")),
    *(_date_family(rtype) for rtype in TYPES),
    Family("date-missing", 3, _undated, {"type": "MedicationDispense"},
           st.fixed_dictionaries({"type": st.sampled_from(TYPES)}), start=True),
    _version_family("version-numeric", {"versionId": "2"}, {"versionId": "1"}),
    _version_family("version-time-zone", {"lastUpdated": "2025-03-01T10:00:00+00:00"},
                    {"lastUpdated": "2025-03-01T11:00:00+05:00"}),
    _version_family("version-fraction", {"lastUpdated": "2025-03-01T10:00:00.5Z"}, {"lastUpdated": "2025-03-01T10:00:00Z"}),
    _version_family("version-only-lastUpdated", {"versionId": "3"}, {"lastUpdated": "2025-03-01T10:00:00Z"}),
    _version_family("version-non-numeric", {"versionId": "b7"}, {"versionId": "a2"}),
    _version_family("version-superscript", {"versionId": "1"}, {"versionId": "\u00b2"}),
    *(Family(f"ref-{form}", 5, _pointer, {"form": form, "why": "label", "target_type": "Observation",
                                          "pointer_type": "Observation"},
             st.fixed_dictionaries({"why": st.sampled_from(["label", "error", "eol"]),
                                    "target_type": st.sampled_from(TYPES), "pointer_type": st.sampled_from(TYPES)}))
      for form in ("plain", "history", "absolute", "absolute-history", "urn", "contained")),
    *(Family(f"shared-{kind}", 5, _shared_hidden, {"shared": kind})
      for kind in ("Medication", "Practitioner", "Organization", "Location", "PractitionerRole")),
    Family("shared-only-named-by-hidden", 5, _unshared_lookup, {}),
    Family("search-withheld-binary", 1, _letter_binary, {"second": False}),
    Family("search-second-attachment", 1, _letter_binary, {"second": True}),
    Family("search-older-letter-version", 1, _letter_versions, {"label": label("NOPAT")},
           st.fixed_dictionaries({"label": st.sampled_from([label("NOPAT"), label("PSY"), label("V", CONF)])})),
]


# -- a carer's Consent, with every provision element (issue 13 item 2) --------------------------
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
CODE_OBS = {"coding": [{"system": "http://snomed.info/sct", "code": "1000001"}]}  # entry()'s Observation code


def _carer_case(marks: Marks, p: dict) -> list:
    """Carer rpcN whose only Consent has the drawn provision, and entries it must or may hide."""
    rid = marks.carer_id()
    entries = [entry(p["type"], marks.new()), entry("Observation", marks.new()), entry("Condition", marks.new())]
    for resource in entries:
        if p.get("entry_label"):
            resource["meta"] = {"security": [p["entry_label"]]}
    rule = dict(p["rule"])
    if rule.pop("actor_self", False):
        rule["actor"] = [{"reference": {"reference": f"RelatedPerson/{rid}"}}]
    if "data" in rule:
        rule["data"] = [{"meaning": "instance", "reference": {"reference": f"Observation/{entries[1]['id']}"}}]
    if p["where"] == "top":
        provision = carer_permit(rid, **rule)
    elif p["where"] == "top-deny":
        provision = {**carer_permit(rid), **rule, "type": "deny"}
    else:
        provision = {"type": "deny", **rule}
        for _ in range(p.get("depth", 1) - 1):
            provision = {"type": "permit", "provision": [provision]}
        provision = carer_permit(rid, provision=[provision])
    return [[carer(rid), consent(f"consent-{rid}", provision), *entries]]


def _consent_family(name: str, where: str, rule: dict, leak: str | None = None, **extra) -> Family:
    depth = extra.pop("depths", None)
    variants = {"type": st.sampled_from(TYPES)}
    if depth:
        variants["depth"] = st.sampled_from(depth)
    return Family(f"consent-{name}", 2, _carer_case, {"type": "MedicationRequest", "where": where, "rule": rule,
                                                     "depth": (depth or [1])[0], **extra},
                  st.fixed_dictionaries(variants), leak=leak)


PSY = label("PSY")
FAMILIES += [
    _consent_family("permit-class", "top", {"class": [{"system": RESOURCE_TYPES, "code": "MedicationRequest"}]}),
    _consent_family("permit-dataPeriod", "top", {"dataPeriod": {"start": "2025-07-01"}}),
    _consent_family("permit-code", "top", {"code": [CODE_OBS]}),
    _consent_family("permit-data", "top", {"data": True}),
    _consent_family("permit-securityLabel", "top", {"securityLabel": [label("N", CONF)]}),
    _consent_family("permit-purpose", "top", {"purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                                           "code": "TREAT"}]}),
    _consent_family("top-deny", "top-deny", {}),
    _consent_family("deny-label", "nested", {"securityLabel": [PSY]}, entry_label=PSY),
    _consent_family("deny-label-deep", "nested", {"securityLabel": [PSY]}, entry_label=PSY, depths=[2, 3, 4]),
    _consent_family("deny-label-no-system", "nested", {"securityLabel": [label("PSY", None)]}, entry_label=PSY),
    _consent_family("deny-class", "nested", {"class": [{"system": RESOURCE_TYPES, "code": "Observation"}]}),
    _consent_family("deny-code", "nested", {"code": [CODE_OBS]}),
    _consent_family("deny-data", "nested", {"data": True}),
    _consent_family("deny-dataPeriod", "nested", {"dataPeriod": {"start": "2025-01-01", "end": "2025-12-31"}}),
    _consent_family("deny-period", "nested", {"period": {"start": "2026-01-01", "end": "2027-01-01"}}),
    _consent_family("deny-actor", "nested", {"actor_self": True}),
    _consent_family("deny-action", "nested", {"action": [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"}]}]}),
    _consent_family("deny-purpose", "nested", {"purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                                            "code": "HMARKT"}]}),
    _consent_family("deny-purpose-care", "nested", {"purpose": [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]}),
]


def _other_carer(marks: Marks, p: dict) -> list:
    """A second carer, their RelatedPerson and Consent carrying markers (issue 13 item 11)."""
    rid, m = marks.carer_id(), marks.new()
    person = {**carer(rid), "text": {"status": "generated", "div": f"<div>{m}</div>"},
              "relationship": [{"text": f"Neighbour {m}"}], "telecom": [{"system": "phone", "value": f"0 {m}"}]}
    agreement = {**consent(f"consent-{rid}", carer_permit(rid)), "text": {"status": "generated", "div": f"<div>{m}</div>"},
                 "policyRule": {"text": f"policy {m}"}}
    return [[person, agreement]]


FAMILIES.append(Family("other-carers-record", 11, _other_carer, {}))

# Shapes that leak on main (6b86493), each with the smallest record that shows it (the family's
# explicit example). When a fix is merged its test XPASSes strictly: delete its line here, which
# also adds the family to the mixed property.
LEAKS = {
}
FAMILIES = [dataclasses.replace(f, leak=LEAKS.get(f.name)) for f in FAMILIES]
BY_NAME = {f.name: f for f in FAMILIES}
assert len(BY_NAME) == len(FAMILIES) and set(LEAKS) <= set(BY_NAME)
