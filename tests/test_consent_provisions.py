"""Carer (proxy) Consent rules (issue 13 item 2): every R4 `Consent.provision` element, at any
nesting depth, is applied, or, where the gate cannot evaluate it, restricts.

Records are hand-made for issue 13 item 2 (the shapes FHIR R4 allows for Consent.provision:
https://hl7.org/fhir/R4/consent.html), through the real store, the gate and every output a carer
reaches: summary JSON, the Markdown sheet, and the FHIR and CSV exports. Each entry carries a
unique marker in its text; a hidden entry's marker must be in none of them.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SCT = "http://snomed.info/sct"
CARER = Viewer(kind="proxy", patient_id="p1", proxy_id="rp1")


def marker(rid: str) -> str:
    return f"MARK-{rid}-END"


def entry(rid: str, rtype: str = "Observation", date: str = "2025-06-01", labels=(), code=None, **extra) -> dict:
    """A clinical entry of the patient with its marker in its text (labels as (system, code))."""
    resource = {"resourceType": rtype, "id": rid, "subject": {"reference": "Patient/p1"}}
    concept = {"text": f"{rtype} {marker(rid)}"}
    if code:
        concept["coding"] = [{"system": code[0], "code": code[1], "display": f"coded {marker(rid)}"}]
    if rtype == "Observation":
        resource.update(status="final", code=concept, effectiveDateTime=date, valueString=marker(rid))
    elif rtype == "Condition":
        resource.update(code=concept, recordedDate=date, clinicalStatus={"coding": [{"code": "active"}]})
    elif rtype == "MedicationRequest":
        resource.update(status="active", intent="order", medicationCodeableConcept=concept, authoredOn=date)
    elif rtype == "Immunization":
        resource.update(status="completed", vaccineCode=concept, occurrenceDateTime=date)
        resource["patient"] = resource.pop("subject")
    if labels:
        resource["meta"] = {"security": [{"system": s, "code": c} if s else {"code": c} for s, c in labels]}
    resource.update(extra)
    return resource


def consent(provision: dict, cid: str = "c1", **extra) -> dict:
    return {"resourceType": "Consent", "id": cid, "status": "active", "dateTime": "2025-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}],
            "patient": {"reference": "Patient/p1"}, "provision": provision, **extra}


def carer(**rest) -> dict:
    """A permit for the carer rp1, as the practice records it, with more elements from `rest`."""
    return {"type": "permit", "actor": [{"role": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
        "reference": {"reference": "RelatedPerson/rp1"}}], **rest}


PEOPLE = [
    {"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat Consent"}]},
    {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": {"reference": "Patient/p1"},
     "name": [{"text": "Carer One"}]},
]


def carer_sees(store, viewer: Viewer = CARER) -> set[str]:
    """The ids of the clinical entries the gate passes to the carer."""
    return {key.split("/", 1)[1] for key in open_record(store, viewer, TODAY).keys
            if key.split("/", 1)[0] not in ("Patient", "RelatedPerson", "Consent")}


def carer_outputs(store, viewer: Viewer = CARER) -> str:
    """Everything a carer can read without the pages: summary JSON, sheet, FHIR and CSV exports."""
    service = Service(store)
    summary = service.summary(viewer, TODAY)
    texts = [summary.model_dump_json(), summary_markdown(summary)]
    texts += [service.export(viewer, TODAY, fmt).data.decode("utf-8-sig") for fmt in ("fhir", "csv")]
    return json.dumps(texts, ensure_ascii=False)


def check(store, resources: list[dict], visible: set[str], viewer: Viewer = CARER) -> None:
    """Exactly `visible` passes the gate; every other entry's marker is in no output."""
    assert carer_sees(store, viewer) == visible
    text = carer_outputs(store, viewer)
    for resource in resources:
        rid = resource["id"]
        if resource["resourceType"] in ("Patient", "RelatedPerson", "Consent"):
            continue
        if rid not in visible:
            assert marker(rid) not in text, f"{rid} leaked"


# -- the leaks reported in issue 13 item 2 ------------------------------------------------------

def test_a_top_level_code_restriction_limits_what_the_carer_sees(fresh_store):
    """A permit whose `provision.code` names one code shows the carer no entry without that code."""
    resources = [*PEOPLE, entry("bp", code=(SCT, "75367002")), entry("mood", code=(SCT, "366979004")),
                 entry("uncoded"),
                 consent(carer(code=[{"coding": [{"system": SCT, "code": "75367002"}]}]))]
    fresh_store.put(resources)
    check(fresh_store, resources, {"bp"})


def test_a_deny_nested_two_levels_down_hides_what_it_names(fresh_store):
    """permit > permit > deny(SDV): the deny two levels down hides the SDV entry."""
    resources = [*PEOPLE, entry("plain"), entry("sdv", labels=[(ACT, "SDV")]),
                 consent(carer(provision=[{"type": "permit", "provision": [
                     {"type": "deny", "securityLabel": [{"system": ACT, "code": "SDV"}]}]}]))]
    fresh_store.put(resources)
    check(fresh_store, resources, {"plain"})


def test_a_deny_label_without_a_system_matches_that_code_in_any_system(fresh_store):
    """A deny `securityLabel` with a code and no system hides entries labelled with that code."""
    resources = [*PEOPLE, entry("plain"), entry("sdv", labels=[(ACT, "SDV")]),
                 entry("sdv-stu3", labels=[("http://hl7.org/fhir/v3/ActCode", "SDV")]),
                 entry("sdv-bare", labels=[("", "SDV")]),
                 consent(carer(provision=[{"type": "deny", "securityLabel": [{"code": "SDV"}]}]))]
    fresh_store.put(resources)
    check(fresh_store, resources, {"plain"})


# -- one case per provision element and nesting depth (tests/fixtures/consents/cases.json) --------

CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
CASES = json.loads((Path(__file__).parent / "fixtures" / "consents" / "cases.json").read_text())["cases"]
PROFILE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"
RECORD = [
    *PEOPLE,
    {"resourceType": "Practitioner", "id": "dr1", "name": [{"text": "Dr Example"}]},
    entry("plain", code=(SCT, "75367002")),
    entry("old", date="2018-03-01"),
    entry("sdv", date="2025-02-01", labels=[(ACT, "SDV")]),
    entry("psy", "Condition", date="2024-05-01", labels=[(ACT, "PSY")], code=(SCT, "35489007")),
    entry("conf-n", date="2025-01-10", labels=[(CONF, "N")]),
    entry("conf-l", date="2025-01-11", labels=[(CONF, "L")]),
    entry("med", "MedicationRequest", date="2025-05-01", code=(SCT, "324496006")),
    entry("imm", "Immunization", date="2024-10-01"),
    {**entry("undated"), "effectiveDateTime": None},
    entry("profiled", date="2025-04-04", meta={"profile": [PROFILE]}),
    entry("target", date="2025-03-03"),
    entry("derived", date="2025-03-04", derivedFrom=[{"reference": "Observation/target"}]),
    entry("by-dr", date="2025-03-05", performer=[{"reference": "Practitioner/dr1"}]),
    entry("panel", date="2025-03-06", hasMember=[{"reference": "Observation/member"}]),
    entry("member", date="2025-03-07"),
]
for _resource in RECORD:
    if _resource.get("effectiveDateTime", "") is None:
        del _resource["effectiveDateTime"]


def consents_of(case: dict) -> list[dict]:
    """The case's Consents in the common frame (each case gives only what differs)."""
    found = []
    for n, given in enumerate(case["consents"]):
        frame = consent(given["provision"], cid=given.get("id", f"c{n}"))
        found.append({**frame, **{k: v for k, v in given.items() if k != "provision"}})
    return found


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_provision_element_and_depth(fresh_store, case):
    """Each hand-made case: the carer sees exactly its visible entries, and no other marker reaches
    the summary, the sheet or the FHIR and CSV exports."""
    resources = [*RECORD, *consents_of(case)]
    fresh_store.put(resources)
    check(fresh_store, resources, set(case["visible"]))


def test_the_cases_cover_every_provision_element():
    """The fixtures use every R4 Consent.provision element, every data meaning, and six levels."""
    text = json.dumps(CASES)
    for element in ("type", "period", "actor", "role", "action", "securityLabel", "purpose", "class", "code",
                    "dataPeriod", "data", "meaning", "provision"):
        assert f'"{element}"' in text, element
    for meaning in ("instance", "related", "dependents", "authoredby"):
        assert f'"{meaning}"' in text

    def depth(provision: dict) -> int:
        return 1 + max((depth(p) for p in provision.get("provision", [])), default=0)
    assert max(depth(c["provision"]) for case in CASES for c in case["consents"]) >= 6


# -- property: random provision trees against a plain reading of R4 ------------------------------

TYPES = ("Observation", "Condition", "Immunization", "MedicationRequest")
LABELS = ("SDV", "PSY")
CODES = ("75367002", "35489007")
DAYS = ("2019-05-01", "2023-02-01", "2025-06-01")
PERIODS = ({"start": "2020-01-01"}, {"end": "2024-01-01"}, {"start": "2023-01-01", "end": "2023-12-31"})
ACTORS = (None, "RelatedPerson/rp1", "RelatedPerson/rp2")

entry_spec = st.fixed_dictionaries({
    "type": st.sampled_from(TYPES), "labels": st.sets(st.sampled_from(LABELS), max_size=2),
    "date": st.sampled_from(DAYS), "code": st.none() | st.sampled_from(CODES)})


@st.composite
def provision_tree(draw, depth: int = 0, count: int = 4, root: bool = False) -> dict:
    """A provision using any of the criteria the plain reading below evaluates exactly."""
    node = {"type": draw(st.sampled_from(["permit", "deny"]))}
    who = draw(st.sampled_from(ACTORS[1:] if root else ACTORS))
    if who:
        node["actor"] = [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                              "code": "IRCP"}]}, "reference": {"reference": who}}]
    if draw(st.booleans()):
        node["class"] = [{"system": "http://hl7.org/fhir/resource-types", "code": draw(st.sampled_from(TYPES))}]
    if draw(st.booleans()):
        bare = draw(st.booleans())
        code = draw(st.sampled_from(LABELS))
        node["securityLabel"] = [{"code": code} if bare else {"system": ACT, "code": code}]
    if draw(st.booleans()):
        node["code"] = [{"coding": [{"system": SCT, "code": draw(st.sampled_from(CODES))}]}]
    if draw(st.booleans()):
        node["dataPeriod"] = draw(st.sampled_from(PERIODS))
    if draw(st.integers(0, 3)) == 0:
        node["action"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction",
                                       "code": draw(st.sampled_from(["access", "collect"]))}]}]
    if draw(st.integers(0, 3)) == 0:
        node["data"] = [{"meaning": "instance", "reference": {"reference": f"Observation/e{draw(st.integers(0, count - 1))}"}}]
    if depth < 4:
        children = draw(st.lists(provision_tree(depth + 1, count), max_size=2 if depth < 2 else 1))
        if children:
            node["provision"] = children
    return node


def plain_outcome(node: dict, spec: dict, key: str, named: bool) -> str | None:
    """R4 read plainly for a fully known entry: None if the rule does not apply, else the deepest
    applying rules' decision ("permit" for the carer, "other" permit, "deny"; disagreeing: deny)."""
    actors = [a["reference"]["reference"] for a in node.get("actor", [])]
    applies = (
        (not actors or "RelatedPerson/rp1" in actors)
        and all(a["coding"][0]["code"] == "access" for a in node.get("action", []))
        and all(c["code"] == spec["type"] for c in node.get("class", []))
        and (not node.get("securityLabel") or node["securityLabel"][0]["code"] in spec["labels"])
        and (not node.get("code") or node["code"][0]["coding"][0]["code"] == spec["code"])
        and (not node.get("data") or node["data"][0]["reference"]["reference"] == key)
        and (not node.get("dataPeriod") or (node["dataPeriod"].get("start", "0") <= spec["date"]
                                            <= node["dataPeriod"].get("end", "9")))
    )
    if not applies:
        return None
    named = "RelatedPerson/rp1" in actors or (not actors and named)
    found = {plain_outcome(child, spec, key, named) for child in node.get("provision", [])} - {None}
    if not found:
        return ("permit" if named else "other") if node["type"] == "permit" else "deny"
    return "deny" if "deny" in found else ("permit" if found == {"permit"} else "other")


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=st.lists(entry_spec, min_size=1, max_size=5),
       trees=st.lists(provision_tree(root=True), min_size=1, max_size=2))
def test_random_provision_trees_show_exactly_what_r4_permits(specs, trees):
    """For random provision trees up to five levels deep over fully known entries, the carer sees
    exactly the entries some Consent permits them and none that an applicable deny matches; no
    hidden entry's marker reaches the summary or the FHIR export."""
    trees = [json.loads(json.dumps(tree)) for tree in trees]  # hypothesis may share nodes
    for tree in trees:
        for node in _walk(tree):  # instance references name entries that exist
            for item in node.get("data", []):
                n = int(item["reference"]["reference"].rsplit("e", 1)[1]) % len(specs)
                item["reference"]["reference"] = f"{_type_of(specs[n])}/e{n}"
    resources = [*PEOPLE, *(_entry_of(n, spec) for n, spec in enumerate(specs)),
                 *(consent(tree, cid=f"c{n}") for n, tree in enumerate(trees))]
    outcomes = [[plain_outcome(tree, spec, f"{_type_of(spec)}/e{n}", False) for tree in trees]
                for n, spec in enumerate(specs)]
    expected = {f"e{n}" for n, found in enumerate(outcomes) if "permit" in found and "deny" not in found}
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "p.db")
        store.put(resources)
        assert carer_sees(store) == expected
        service = Service(store)
        text = service.summary(CARER, TODAY).model_dump_json() + service.export(CARER, TODAY, "fhir").data.decode()
        store.close()
    for n in range(len(specs)):
        if f"e{n}" not in expected:
            assert marker(f"e{n}") not in text


def _walk(node: dict):
    yield node
    for child in node.get("provision", []):
        yield from _walk(child)


def _type_of(spec: dict) -> str:
    return spec["type"]


def _entry_of(n: int, spec: dict) -> dict:
    return entry(f"e{n}", spec["type"], date=spec["date"], labels=[(ACT, label) for label in sorted(spec["labels"])],
                 code=(SCT, spec["code"]) if spec["code"] else None)


# -- what the carer's entries point at --------------------------------------------------------------

def test_a_denied_medicine_hides_the_prescriptions_that_name_it(fresh_store):
    """A deny of the Medication class (a shared resource) hides it and the requests that name it,
    and one labelled SDV under a deny of SDV does too; an unlabelled one stays."""
    meds = [{"resourceType": "Medication", "id": "m-sdv", "code": {"text": f"Medication {marker('m-sdv')}"},
             "meta": {"security": [{"system": ACT, "code": "SDV"}]}},
            {"resourceType": "Medication", "id": "m-ok", "code": {"text": "Plain medicine"}}]
    def request(rid: str, med: str) -> dict:
        found = entry(rid, "MedicationRequest", date="2025-05-01")
        del found["medicationCodeableConcept"]
        return {**found, "medicationReference": {"reference": f"Medication/{med}"}}
    resources = [*PEOPLE, *meds, request("rx-sdv", "m-sdv"), request("rx-ok", "m-ok"),
                 consent(carer(provision=[{"type": "deny", "securityLabel": [{"code": "SDV"}]}]))]
    fresh_store.put(resources)
    check(fresh_store, resources, {"rx-ok"})
    assert marker("m-sdv") not in carer_outputs(fresh_store)
    fresh_store.put([consent(carer(provision=[{"type": "deny", "class": [{"code": "Medication"}]}]), cid="c1",
                             meta={"versionId": "2"})])
    check(fresh_store, resources, set())


def test_sign_in_lists_a_carer_as_active_only_when_a_consent_may_grant_them_something():
    """proxy_links: a carer with a permit naming them is active; one whose only Consent names no
    one, or cannot be read, is not."""
    from ltc_dashboard.gate.access import proxy_links

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "links.db")
        store.put([*PEOPLE, {**PEOPLE[1], "id": "rp2"}, {**PEOPLE[1], "id": "rp3"},
                   consent(carer(), cid="a"),
                   consent({"type": "permit", "actor": [{"reference": {"reference": "RelatedPerson/rp2"}}],
                            "period": "2025"}, cid="b")])
        active = {link.related_person_id: link.active_now for link in proxy_links(store, TODAY)}
        store.close()
    assert active == {"rp1": True, "rp2": False, "rp3": False}


def test_a_dated_deny_hides_a_medicine_only_with_the_prescriptions_of_that_time(fresh_store):
    """A deny of 2020 data takes a shared Medication as part of each prescription, on its date:
    the 2020 prescription is hidden, the 2025 one naming the same medicine is not."""
    medicine = {"resourceType": "Medication", "id": "m1", "code": {"text": "Shared medicine"}}
    def request(rid: str, date: str) -> dict:
        found = entry(rid, "MedicationRequest", date=date)
        del found["medicationCodeableConcept"]
        return {**found, "medicationReference": {"reference": "Medication/m1"}}
    resources = [*PEOPLE, medicine, request("rx-2020", "2020-03-01"), request("rx-2025", "2025-03-01"),
                 consent(carer(provision=[{"type": "deny", "dataPeriod": {"start": "2020-01-01", "end": "2020-12-31"}}]))]
    fresh_store.put(resources)
    check(fresh_store, resources, {"rx-2025"})


def test_a_provision_nested_beyond_reason_is_unreadable_not_a_crash(fresh_store):
    """Provisions nested 150 deep (a shape R4 allows) make the Consent unreadable: the carer sees
    nothing and is told, and nothing raises."""
    deep = {"type": "deny", "securityLabel": [{"code": "SDV"}]}
    for _ in range(150):
        deep = {"type": "permit", "provision": [deep]}
    resources = [*PEOPLE, entry("plain"), consent(carer(provision=[deep]))]
    fresh_store.put(resources)
    check(fresh_store, resources, set())
    assert "could not be read" in open_record(fresh_store, CARER, TODAY).denied_reason
