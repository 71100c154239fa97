"""Home readings in the FHIR export (issue 20 step 6): Observations with the patient as performer
and the own-content tag; `ltc import` of the export into a fresh store gives the same readings,
importing it again adds none, and an exported reading that fails the check is rejected with its
reason. Inputs: the demo records (data/demo) and readings written here by hand."""

from __future__ import annotations

import json

from ltc_dashboard.exports.own_content import OWN_SYSTEM
from ltc_dashboard.exports.reading_fhir import from_observation, reading_resource
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.store import Store
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

DM = "dm-patient"


def add_three(service) -> None:
    me = viewer(DM)
    service.add_reading(me, today(), "bp", "138/86", "2026-11-20 07:00", pulse="70")
    service.add_reading(me, today(), "glucose", "6.4", "2026-07-01T12:00+01:00", context="after a meal")
    service.add_reading(me, today(), "weight", "12 st 4 lb", "2026-11-21 08:00")


def exported(service, who=DM, kind="patient") -> dict:
    return json.loads(service.export(viewer(who, kind), today(), "fhir").data)


def readings_in(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
            and any(t.get("system") == OWN_SYSTEM for t in e["resource"].get("meta", {}).get("tag", []))]


def test_each_reading_is_an_observation_performed_by_the_patient_with_the_tag(service):
    """Three readings export as three tagged Observations, performer and subject the patient,
    blood pressure as components with its pulse, glucose with its context, UCUM units."""
    add_three(service)
    found = readings_in(exported(service))
    assert len(found) == 3
    assert all(r["performer"] == [{"reference": f"Patient/{DM}"}] == [r["subject"]] for r in found)
    bp = next(r for r in found if "component" in r)
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", 138), ("8462-4", 86), ("8867-4", 70)]
    glucose = next(r for r in found if r["code"]["text"] == "Home blood glucose")
    assert glucose["effectiveDateTime"] == "2026-07-01T12:00:00+01:00"
    assert {"url": "context", "valueCode": "after_meal"} in glucose["extension"][0]["extension"]
    weight = next(r for r in found if r["code"]["text"] == "Home weight")
    assert weight["valueQuantity"] == {"value": 78.0, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}


def test_export_and_reimport_give_the_same_readings_once(service, tmp_path):
    """Importing the export into a fresh store gives equal readings; a second import adds none."""
    add_three(service)
    before = [r.model_copy(update={"id": None}) for r in service.readings(viewer(DM), today())]
    path = tmp_path / "export.json"
    path.write_bytes(service.export(viewer(DM), today(), "fhir").data)
    fresh = Store(tmp_path / "fresh.db")
    report = import_paths(fresh, [path])
    assert not report.rejected and report.own["own reading"] == 3
    from ltc_dashboard.record.readings import Reading

    after = [Reading.from_row(r).model_copy(update={"id": None}) for r in fresh.readings(DM)]
    assert after == before
    again = import_paths(fresh, [path])
    assert again.own["own reading"] == 3 and len(fresh.readings(DM)) == 3  # all "already there"
    fresh.close()


def test_the_export_carries_only_the_readings_the_viewer_may_see(service):
    """A carer's export holds their reading only; the shared screen's none once hidden; no reading
    of the patient in an ended carer's export."""
    allow_corrections(service)
    service.add_reading(viewer("dem-patient"), today(), "weight", "61.7", "2026-11-19 08:00")
    service.add_reading(viewer("dem-patient", DAUGHTER), today(), "weight", "60.2", "2026-11-20 08:00")
    carer = readings_in(exported(service, "dem-patient", DAUGHTER))
    assert [r["valueQuantity"]["value"] for r in carer] == [60.2]
    assert readings_in(exported(service, "dem-patient", "proxy:RelatedPerson/dem-rp-son")) == []
    service.set_preference(viewer("dem-patient"), "shared_screen_readings", "hide")
    assert readings_in(exported(service, "dem-patient", "clinic")) == []


def test_an_exported_reading_that_fails_the_check_is_rejected_with_its_reason(service, tmp_path):
    """An edited export with an impossible weight and one with no time are rejected by name; the
    good reading is kept."""
    add_three(service)
    bundle = exported(service)
    found = readings_in(bundle)
    weight = next(r for r in found if r["code"]["text"] == "Home weight")
    weight["valueQuantity"]["value"] = 4000
    bp = next(r for r in found if "component" in r)
    del bp["effectiveDateTime"]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(bundle))
    fresh = Store(tmp_path / "fresh.db")
    report = import_paths(fresh, [path])
    reasons = {item.position: item.reason for item in report.rejected}
    assert "not a possible weight" in reasons[f"Observation/{weight['id']}"]
    assert "date and time" in reasons[f"Observation/{bp['id']}"]
    assert [r["kind"] for r in fresh.readings(DM)] == ["glucose"]
    fresh.close()


def test_the_observation_reads_back_to_the_same_reading(service):
    """reading_resource then from_observation is the same reading, author, id and identity (uid) included."""
    allow_corrections(service)
    reading = service.add_reading(viewer("dem-patient", DAUGHTER), today(), "bp", "128/79", "2026-11-20 07:00")
    assert reading.uid and from_observation(reading_resource(reading, "dem-patient"), "dem-patient", today()) == reading
