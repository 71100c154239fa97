"""What each kind of viewer takes away through every export path (issue 13 item 11): a carer gets
its own RelatedPerson and the permission that names it, never other carers' (people the person's
care involves who have no access, such as an attorney, stay part of the record); a proxy with no
current permission, or that is no carer of this person, gets nothing of the record beyond the
person's name the app shows them, through `Service.export`, `ltc export`, `ltc summary` and
`ltc comments`.

The record is hand-made for issue 13 item 11 in FHIR R4 shapes (RelatedPerson, Consent with
`scope` patient-privacy or adr and `provision.actor`, as clinical-reference §8.2 models proxy
access); every name in it is a unique marker word.
"""

from __future__ import annotations

import json

import pytest

from ltc_dashboard.cli import main as cli
from ltc_dashboard.exports import FORMATS
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service
from test_exports_support import pdf_text
from tests.conftest import TODAY

ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SCOPES = "http://terminology.hl7.org/CodeSystem/consentscope"
PERSON = "Xqpersonname"
OTHER_CARERS = ("Xqbobcarer", "Xqcyexpired")
# What a proxy with no current permission must not get: details and entries of the record.
RECORD_ONLY = ("Xqstreetname", "07700", "Xqresultname", "Xqalicecarer", "Xqattorney", *OTHER_CARERS)


def person(rid: str, family: str, pid: str = "p1") -> dict:
    return {"resourceType": "RelatedPerson", "id": rid, "active": True, "patient": {"reference": f"Patient/{pid}"},
            "name": [{"given": ["Carer"], "family": family}],
            "relationship": [{"text": f"Carer {family}"}]}


def access(cid: str, rid: str, status: str = "active") -> dict:
    return {"resourceType": "Consent", "id": cid, "status": status, "dateTime": "2025-01-01",
            "scope": {"coding": [{"system": SCOPES, "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}], "patient": {"reference": "Patient/p1"},
            "provision": {"type": "permit", "actor": [{"reference": {"reference": f"RelatedPerson/{rid}"}}]}}


def record() -> list[dict]:
    """Ann, her carers Alice (rp1, permitted), Bob (rp2, permitted) and Cy (rp3, whose permission
    ended), her attorney (rp4, no access of his own), an advance directive (a Consent about her
    care, not about access) and one result."""
    directive = {"resourceType": "Consent", "id": "c-adr", "status": "active", "dateTime": "2025-02-01",
                 "scope": {"coding": [{"system": SCOPES, "code": "adr"}]},
                 "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                 "patient": {"reference": "Patient/p1"}, "provision": {"type": "deny"}}
    return [
        {"resourceType": "Patient", "id": "p1", "birthDate": "1950-03-04", "gender": "female",
         "name": [{"given": ["Ann"], "family": PERSON}], "address": [{"line": ["12 Xqstreetname Road"]}],
         "telecom": [{"system": "phone", "value": "07700 900123"}]},
        person("rp1", "Xqalicecarer"), person("rp2", "Xqbobcarer"), person("rp3", "Xqcyexpired"),
        person("rp4", "Xqattorney"),
        person("rp9", "Xqelsewhere", pid="p2"),
        access("c1", "rp1"), access("c2", "rp2"), access("c3", "rp3", status="inactive"), directive,
        {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p1"},
         "effectiveDateTime": "2026-01-05", "code": {"text": "Xqresultname"},
         "valueQuantity": {"value": 5.1, "unit": "mmol/L"}},
    ]


@pytest.fixture
def store_path(fresh_store, db_path):
    import_items(fresh_store, record())
    return db_path


def proxy(rid: str) -> Viewer:
    return Viewer(kind="proxy", patient_id="p1", proxy_id=rid)


def bundle_keys(service: Service, viewer: Viewer) -> set[str]:
    bundle = json.loads(service.export(viewer, TODAY, "fhir").data)
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}


def test_a_carer_exports_its_own_details_and_permission_only(fresh_store, store_path, tmp_path):
    """Alice's FHIR export holds her RelatedPerson and the Consent that names her, the attorney,
    the advance directive and the result; no export, summary or sheet of hers names another carer."""
    service = Service(fresh_store)
    keys = bundle_keys(service, proxy("rp1"))
    assert {"RelatedPerson/rp1", "RelatedPerson/rp4", "Consent/c1", "Consent/c-adr", "Observation/o1",
            "Patient/p1"} <= keys
    assert not keys & {"RelatedPerson/rp2", "RelatedPerson/rp3", "Consent/c2", "Consent/c3"}
    summary = service.summary(proxy("rp1"), TODAY)
    texts = [service.export(proxy("rp1"), TODAY, "fhir").data.decode(),
             service.export(proxy("rp1"), TODAY, "csv").data.decode("utf-8-sig"),
             pdf_text(service.export(proxy("rp1"), TODAY, "pdf").data, tmp_path),
             summary.model_dump_json(), json.dumps([p.id for p in service.record(proxy("rp1"), TODAY).related_people])]
    for text in texts:
        assert not [name for name in OTHER_CARERS if name in text]
    assert "Xqresultname" in texts[0] and "Xqalicecarer" in texts[0], "the carer's own export is not empty"


@pytest.mark.parametrize("viewer", [Viewer(kind="patient", patient_id="p1"), Viewer(kind="clinic", patient_id="p1")])
def test_the_person_and_the_shared_screen_export_every_carer(fresh_store, store_path, viewer):
    """The patient's (and the shared screen's) FHIR export holds every carer and permission."""
    keys = bundle_keys(Service(fresh_store), viewer)
    assert {"RelatedPerson/rp1", "RelatedPerson/rp2", "RelatedPerson/rp3", "RelatedPerson/rp4",
            "Consent/c1", "Consent/c2", "Consent/c3", "Consent/c-adr"} <= keys


@pytest.mark.parametrize("rid", ["nobody", "rp9", "rp3"])
def test_a_proxy_with_no_permission_gets_nothing_of_the_record(fresh_store, store_path, tmp_path, rid):
    """A RelatedPerson that does not exist, is another person's carer, or whose permission ended
    gets a FHIR Bundle with no resource of the record (the Patient resource included), a CSV with
    no row, and a sheet and summary that say why and hold no detail or entry of the record."""
    service = Service(fresh_store)
    bundle = json.loads(service.export(proxy(rid), TODAY, "fhir").data)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == []
    assert service.export(proxy(rid), TODAY, "csv").data.decode("utf-8-sig").strip().count("\n") == 0
    sheet = " ".join(pdf_text(service.export(proxy(rid), TODAY, "pdf").data, tmp_path).split())
    summary = service.summary(proxy(rid), TODAY).model_dump_json()
    for text in (sheet, summary, json.dumps(bundle)):
        assert not [w for w in RECORD_ONLY if w in text], text[:200]
    assert "no current permission" in sheet and "no current permission" in summary


@pytest.mark.parametrize("as_viewer", ["proxy:RelatedPerson/unknown", "proxy:RelatedPerson/rp9",
                                       "proxy:RelatedPerson/rp3"])
def test_ltc_for_a_proxy_with_no_permission_prints_nothing_of_the_record(store_path, tmp_path, capsys, as_viewer):
    """`ltc export --as` a proxy with no current permission writes every format with nothing of the
    record and says why on stderr; `ltc summary` and `ltc comments` print nothing of it either."""
    for fmt in FORMATS:
        out = tmp_path / f"export.{fmt}"
        code = cli.main(["export", "--patient", "p1", "--as", as_viewer, "--format", fmt, "--out", str(out),
                         "--db", str(store_path)])
        assert code == 0 and "no current permission" in capsys.readouterr().err
        written = pdf_text(out.read_bytes(), tmp_path) if fmt == "pdf" else out.read_text("utf-8-sig")
        assert not [w for w in (*RECORD_ONLY, "Patient/p1\"", '"birthDate"') if w in written], fmt
    for command in (["summary", "--format", "json"], ["summary", "--format", "md"], ["comments"],
                    ["comments", "--format", "letter"]):
        assert cli.main([*command, "--patient", "p1", "--as", as_viewer, "--db", str(store_path)]) == 0
        printed = capsys.readouterr().out
        assert not [w for w in RECORD_ONLY if w in printed], command


def test_every_export_format_is_checked_here():
    """The formats these tests go through are all the formats there are."""
    assert set(FORMATS) == {"pdf", "fhir", "csv"}
