"""Issue 13, "What crashed": one odd resource never takes down a record, the patient list, the
sign-in page or another person's view. The importer refuses, naming the field, what fhir_read
cannot read; what was stored before (or fails later for any reason) is withheld from every
viewer and counted apart from what is hidden on purpose.

Every record here is hand-made for issue 13 ("What crashed" and "withheld and counted"), in the
shapes the issue reports; the stored ones go in through `Store.put`, as an older version of the
importer let them in.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP

from connectors.validate import check
from ltc_dashboard import fhir_read
from ltc_dashboard.cli.main import main
from ltc_dashboard.gate.access import Viewer, open_record, proxy_links
from ltc_dashboard.gate.snapshot import build as derived
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.core import unchecked_notice
from ltc_dashboard.summary.sheet import summary_markdown

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
NOPAT = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}
DIABETES = {"coding": [{"system": SCT, "code": "44054006"}], "text": "Type 2 diabetes"}
CARER_VIEW = "proxy:RelatedPerson/rp-{}"


def people(pid: str, classes: tuple[str, ...] = ()) -> list[dict]:
    """A patient with a diabetes diagnosis, a carer and a consent letting the carer see it."""
    provision = {"type": "permit", "actor": [{"reference": {"reference": f"RelatedPerson/rp-{pid}"}}]}
    if classes:
        provision["class"] = [{"code": c} for c in classes]
    return [
        {"resourceType": "Patient", "id": pid, "name": [{"text": f"Person {pid}"}], "birthDate": "1950-01-01"},
        {"resourceType": "RelatedPerson", "id": f"rp-{pid}", "patient": {"reference": f"Patient/{pid}"},
         "name": [{"text": f"Carer of {pid}"}]},
        {"resourceType": "Consent", "id": f"c-{pid}", "status": "active", "patient": {"reference": f"Patient/{pid}"},
         "scope": {"coding": [{"code": "patient-privacy"}]}, "category": [{"coding": [{"code": "INFA"}]}],
         "provision": provision},
        {"resourceType": "Condition", "id": f"dm-{pid}", "subject": {"reference": f"Patient/{pid}"},
         "code": DIABETES, "clinicalStatus": {"coding": [{"code": "active"}]}, "onsetDateTime": "2015-03-01"},
    ]


def deep_coding(levels: int) -> dict:
    node: dict = {"system": SCT, "code": "44054006"}
    for _ in range(levels):
        node = {"coding": [node]}
    return node


def observation(rid: str, pid: str, **changes) -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": SCT, "code": "999791000000106"}]}, "effectiveDateTime": "2026-01-05",
            "valueQuantity": {"value": 53, "unit": "mmol/mol"}} | changes


# The shapes the issue reports, each as it would sit in the store of patient "bad".
ODD = {
    "system is a list": observation("o-odd", "bad", code={"coding": [{"system": ["x"], "code": "4548-4"}]}),
    "system is an object": {"resourceType": "Condition", "id": "c-odd", "subject": {"reference": "Patient/bad"},
                            "code": {"coding": [{"system": {"a": 1}, "code": "44054006"}]}},
    "consent scope code is a list": {
        "resourceType": "Consent", "id": "c-list", "status": "active", "patient": {"reference": "Patient/bad"},
        "scope": {"coding": [{"code": ["patient-privacy"]}]}, "category": [{"coding": [{"code": "INFA"}]}]},
    "consent scope code is a number": {
        "resourceType": "Consent", "id": "c-number", "status": "active", "patient": {"reference": "Patient/bad"},
        "scope": {"coding": [{"code": 5}]}, "category": [{"coding": [{"code": ["INFA"]}]}]},
    "codings nested 600 levels deep": observation("o-deep", "bad", code=deep_coding(300)),
}


def store_with(tmp_path, *extra: dict) -> Store:
    store = Store(tmp_path / "robust.db")
    store.put([*people("good"), *people("bad"), *extra])
    return store


def outputs(service: Service, pid: str) -> dict[str, str]:
    """Everything each viewer of one record gets: summary JSON and Markdown, every export."""
    found = {}
    for kind in ("patient", "clinic", CARER_VIEW.format(pid)):
        viewer = Viewer.parse(pid, kind)
        summary = service.summary(viewer, TODAY)
        found[f"{kind} json"] = summary.model_dump_json()
        found[f"{kind} md"] = summary_markdown(summary)
        for fmt in ("pdf", "fhir", "csv"):
            data = service.export(viewer, TODAY, fmt).data
            found[f"{kind} {fmt}"] = data if fmt != "pdf" else len(data) > 0
    return found


@pytest.mark.parametrize("name", sorted(ODD))
def test_a_stored_odd_resource_is_withheld_counted_and_stops_nothing(tmp_path, capsys, name):
    """An odd resource already in the store: `ltc patients`, sign-in's carers, every viewer's
    summary and exports of its record run; it is withheld and counted; the other record is the same."""
    (tmp_path / "before").mkdir()
    before = outputs(Service(store_with(tmp_path / "before")), "good")
    store = store_with(tmp_path, ODD[name])
    service = Service(store)
    assert main(["patients", "--db", str(store.path)]) == 0
    listed = capsys.readouterr().out
    assert "Person good" in listed and "Person bad" in listed and "could not be read" not in listed
    assert {link.related_person_id for link in proxy_links(store, TODAY)} >= {"rp-good", "rp-bad"}
    outputs(service, "bad")  # none raises
    assert outputs(service, "good") == before
    visible = open_record(store, Viewer(kind="patient", patient_id="bad"), TODAY)
    key = f"{ODD[name]['resourceType']}/{ODD[name]['id']}"
    if ODD[name]["resourceType"] != "Consent":  # (a Consent is not a clinical entry: never listed)
        assert not visible.sees(key)
        summary = service.summary(Viewer(kind="patient", patient_id="bad"), TODAY)
        assert summary.unchecked == 1 and unchecked_notice(1) in summary.notices
        assert f"> {unchecked_notice(1)}" in summary_markdown(summary)
        assert not summary.denied and summary.conditions, "the rest of the record still shows"


@pytest.mark.parametrize("name", sorted(ODD))
def test_the_importer_rejects_what_fhir_read_cannot_read_naming_the_field(name):
    """A Coding whose system or code is not text, or codings nested past MAX_DEPTH, is refused
    with a one-line reason that names where it is."""
    reason = check(ODD[name])
    assert reason and "\n" not in reason and len(reason) < 200
    assert any(field in reason for field in ("coding[0].system", "coding[0].code", "nested too deeply (more than 100 levels) under code"))


@pytest.mark.parametrize("coding, field", [
    ({"code": "x", "display": 5}, "display"), ({"code": "x", "version": ["1"]}, "version"),
])
def test_the_importer_rejects_coding_text_elements_that_are_not_text(coding, field):
    """A Coding's display or version that is not text is refused at that path."""
    resource = observation("o1", "p", code={"coding": [coding]})
    assert check(resource).endswith(f"at code.coding[0].{field}")


def test_the_importer_rejects_a_coding_element_that_is_not_a_list_of_objects():
    """CodeableConcept.coding must be a list of Codings (FHIR R4 JSON arrays are arrays)."""
    assert check(observation("o1", "p", code={"coding": "44054006"})).startswith("invalid coding")
    assert check(observation("o1", "p", code={"coding": [["x"]]})).startswith("invalid coding")


def test_a_bundle_whose_type_is_an_object_is_rejected_not_a_crash(tmp_path, capsys):
    """`ltc import` of a Bundle with `type` an object says why and exits 2, without a traceback."""
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": {"x": 1},
                                "entry": [{"resource": {"resourceType": "Patient", "id": "p"}}]}))
    assert main(["import", str(path), "--db", str(tmp_path / "s.db")]) == 2
    assert "Bundle type is not a code" in capsys.readouterr().err


def test_exports_survive_dates_in_year_1_and_9999_and_huge_values(tmp_path):
    """The PDF, FHIR and CSV exports are made for a record dated in years 1 and 9999 with values
    of ±1.7e308, and every viewer's summary too."""
    extreme = [
        observation("o1", "bad", effectiveDateTime="0001-01-01T00:00:00+14:00", valueQuantity={"value": 50}),
        observation("o2", "bad", effectiveDateTime="9999-12-31T23:59:59-12:00", valueQuantity={"value": 1.7e308}),
        observation("o3", "bad", effectiveDateTime="9999", valueQuantity={"value": -1.7e308, "unit": "%"}),
        {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
         "subject": {"reference": "Patient/bad"}, "medicationCodeableConcept": {"text": "Metformin"},
         "authoredOn": "9999-12-31T23:59:59-12:00", "dispenseRequest": {"quantity": {"value": 1.7e308}}},
        {"resourceType": "DocumentReference", "id": "d1", "status": "current", "subject": {"reference": "Patient/bad"},
         "date": "0001-01-01T00:00:00+14:00", "description": "Old letter",
         "content": [{"attachment": {"contentType": "text/plain", "data": "aGk="}}]},
        {"resourceType": "Appointment", "id": "a-far", "status": "booked", "start": "9999-12-31T23:59:59-12:00",
         "participant": [{"actor": {"reference": "Patient/bad"}}]},
        {"resourceType": "Goal", "id": "g1", "lifecycleStatus": "active", "subject": {"reference": "Patient/bad"},
         "description": {"text": "Walk"}, "startDate": "0001-01-01",
         "target": [{"dueDate": "9999-12-31", "detailQuantity": {"value": 1.7e308}}]},
    ]
    for resource in extreme:
        assert check(resource) is None, resource["id"]
    service = Service(store_with(tmp_path, *extreme))
    made = outputs(service, "bad")
    assert made["patient pdf"] and "Old letter" in made["patient md"]
    assert '"id": "a-far"' in made["patient fhir"].decode() and '"unchecked":0' in made["patient json"]


def test_entries_hidden_on_purpose_are_never_counted(tmp_path, monkeypatch):
    """A labelled (NOPAT) entry whose mapping fails is withheld but not counted; an unchecked
    entry outside a carer's permitted classes is counted for the patient only."""
    labelled = observation("o-nopat", "bad", meta={"security": [NOPAT]})
    plain = observation("o-plain", "bad")
    store = Store(tmp_path / "s.db")
    store.put([*people("bad", classes=("Condition",)), labelled, plain])
    real = derived.RecordMapping.map_alone

    def failing(self, resource):
        if resource.get("id") in ("o-nopat", "o-plain"):
            raise RuntimeError("a mapping bug")
        return real(self, resource)

    monkeypatch.setattr(derived.RecordMapping, "map_alone", failing)
    patient = open_record(store, Viewer(kind="patient", patient_id="bad"), TODAY)
    carer = open_record(store, Viewer.parse("bad", CARER_VIEW.format("bad")), TODAY)
    assert patient.unchecked == 1 and not patient.sees("Observation/o-plain")
    assert carer.unchecked == 0 and carer.sees("Condition/dm-bad"), "outside the carer's classes: not theirs to count"
    assert not patient.sees("Observation/o-nopat") and not carer.sees("Observation/o-nopat")


def test_one_record_that_cannot_be_opened_never_stops_the_patient_list(tmp_path, capsys, monkeypatch):
    """`ltc patients` lists every other person when one record fails to open, and says so."""
    store = store_with(tmp_path)
    real = Service.record

    def record(self, viewer, today):
        if viewer.patient_id == "bad":
            raise RecursionError("too deep")
        return real(self, viewer, today)

    monkeypatch.setattr(Service, "record", record)
    assert main(["patients", "--db", str(store.path)]) == 1
    out, err = capsys.readouterr()
    assert "good\tPerson good\t1950-01-01\tType 2 diabetes" in out
    assert "bad\tPerson bad\t1950-01-01\t(this record could not be read)" in out
    assert "1 record(s) could not be read" in err


def test_a_carer_whose_permissions_cannot_be_read_is_listed_without_access(tmp_path, monkeypatch):
    """proxy_links lists every carer when one patient's permissions raise, that one as not active."""
    store = store_with(tmp_path)
    from ltc_dashboard.gate import carer_access  # where the gate lists carers (split from ltc_dashboard/gate/access.py)

    real = carer_access.related_person_valid

    def valid(resources, patient_id, proxy_id, today):
        if patient_id == "bad":
            raise TypeError("odd consent")
        return real(resources, patient_id, proxy_id, today)

    monkeypatch.setattr(carer_access, "related_person_valid", valid)
    links = {link.related_person_id: link.active_now for link in proxy_links(store, TODAY)}
    assert links == {"rp-good": True, "rp-bad": False}


def test_sign_in_and_a_carer_deep_link_work_beside_odd_stored_resources(tmp_path, monkeypatch):
    """The sign-in page lists both people and both carers, and a carer's deep link to the other
    record opens it, with every odd resource of issue 13 stored in one record."""
    store = store_with(tmp_path, *ODD.values())
    store.close()
    monkeypatch.setenv("LTC_DB", str(tmp_path / "robust.db"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert {"Person good (born 1 January 1950)", "Person bad (born 1 January 1950)"} <= set(
        at.selectbox(key="sign_in_patient").options)
    at.radio(key="sign_in_kind").set_value("A carer").run()
    assert not at.exception and {"Carer of good", "Carer of bad"} <= set(at.selectbox(key="sign_in_carer").options)
    for pid in ("good", "bad"):
        deep = AppTest.from_file(APP, default_timeout=60)
        deep.query_params["patient"] = pid
        deep.query_params["viewer"] = CARER_VIEW.format(pid)
        deep.run()
        assert not deep.exception and not deep.error, pid
        assert any("Overview" in h.value for h in deep.title)


def test_fhir_read_answers_in_fhir_types_and_never_raises():
    """The typed accessors return text, objects and Codings only, whatever the JSON holds."""
    odd = [None, 5, 1.7e308, "x", ["x"], {"a": 1}, [None, 5, {"coding": {"code": ["x"]}}], True]
    for value in odd:
        assert all(isinstance(o, dict) for o in fhir_read.objects(value))
        assert all(isinstance(part, str) for c in fhir_read.codings(value) for part in c)
        assert fhir_read.reference(value) is None or isinstance(fhir_read.reference(value), str)
        assert fhir_read.text(value) in (None, "x")
    concept = {"coding": [{"system": ["x"], "code": 44054006, "display": {"a": 1}}, {"coding": [{"code": "x"}]}]}
    assert fhir_read.codings(concept) == [("", "44054006", ""), ("", "", "")]
