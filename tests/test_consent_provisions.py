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
from pathlib import Path

import pytest

from record.access import Viewer, open_record
from service import Service
from sheet import summary_markdown

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
