"""connectors/bundle_rules.py through FileConnector: a Bundle's labels reach its entries, and a
fullUrl that entries share (FHIR rule bdl-7) resolves to none of them."""

from __future__ import annotations

import json

from connectors.base import Rejected
from connectors.bundle_rules import UNREADABLE_CODING
from connectors.files import FileConnector
from ltc_dashboard.gate.policy import UNREADABLE_LABEL

ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NOPAT, PSY = {"system": ACT, "code": "NOPAT"}, {"system": ACT, "code": "PSY"}
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"text": "P One"}]}


def result(rid: str, subject: str = "Patient/p1", **changes) -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final", "code": {"text": "Weight"},
            "subject": {"reference": subject}, **changes}


def read(tmp_path, bundle: dict) -> list:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    return list(FileConnector([path]).read())


def test_the_unreadable_coding_matches_the_gate():
    """The connector's stand-in for labels it cannot read is the gate's UNREADABLE_LABEL."""
    assert (UNREADABLE_CODING["system"], UNREADABLE_CODING["code"]) == UNREADABLE_LABEL


def test_a_bundles_labels_reach_every_entry_at_every_level(tmp_path):
    """Labels of a Bundle and of a Bundle within it are added, once each, to the entries under them."""
    inner = {"resourceType": "Bundle", "type": "collection", "meta": {"security": [PSY]},
             "entry": [{"resource": result("o2", meta={"security": [NOPAT]})}]}
    outer = {"resourceType": "Bundle", "type": "collection", "meta": {"security": [NOPAT]},
             "entry": [{"resource": PATIENT}, {"resource": result("o1")}, {"resource": inner}]}
    found = {r["id"]: r["meta"]["security"] for r in read(tmp_path, outer)}
    assert found == {"p1": [NOPAT], "o1": [NOPAT], "o2": [NOPAT, PSY]}


def test_a_bundles_labels_that_cannot_be_read_hide_its_entries(tmp_path):
    """A Bundle's meta.security that is not a list of Codings reaches its entries as the unreadable label."""
    for meta in ({"security": "NOPAT"}, {"security": ["NOPAT"]}, "NOPAT"):
        bundle = {"resourceType": "Bundle", "type": "collection", "meta": meta, "entry": [{"resource": result("o1")}]}
        assert [r["meta"]["security"] for r in read(tmp_path, bundle)] == [[UNREADABLE_CODING]]


def test_entries_sharing_a_fullurl_without_ids_are_refused_and_what_names_it_too(tmp_path):
    """Two entries that would both take their id from one urn:uuid are refused by rule bdl-7, and so
    is a result whose patient is that urn; a result naming it elsewhere keeps the urn unresolved."""
    shared = "urn:uuid:7a1f9a4e-0000-4000-8000-000000000001"
    nameless = {k: v for k, v in PATIENT.items() if k != "id"}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": shared, "resource": nameless}, {"fullUrl": shared, "resource": dict(nameless)},
        {"resource": result("o1", shared)}, {"resource": PATIENT},
        {"resource": result("o2", performer=[{"reference": shared}])}]}
    items = read(tmp_path, bundle)
    reasons = [(i.position, i.reason) for i in items if isinstance(i, Rejected)]
    assert [position for position, _ in reasons] == ["entry 1", "entry 2", "entry 3"]
    assert all("bdl-7" in reason for _, reason in reasons)
    assert reasons[2][1].startswith("subject cannot be resolved to a patient")
    kept = {i["id"]: i for i in items if isinstance(i, dict)}
    assert sorted(kept) == ["o2", "p1"] and kept["o2"]["performer"] == [{"reference": shared}]


def test_copies_of_one_resource_told_apart_by_version_may_share_a_fullurl(tmp_path):
    """bdl-7 allows one fullUrl for versions of one resource (and anything in a history): it resolves."""
    url = "https://gp.example.org/fhir/Patient/p1"
    for kind, versions in (("collection", ("1", "2")), ("history", ("1", "1"))):
        bundle = {"resourceType": "Bundle", "type": kind, "entry": [
            {"fullUrl": url, "resource": {**PATIENT, "meta": {"versionId": v}}} for v in versions]
            + [{"resource": result("o1", url)}]}
        items = read(tmp_path, bundle)
        assert not [i for i in items if isinstance(i, Rejected)]
        assert items[-1]["subject"] == {"reference": "Patient/p1"}
