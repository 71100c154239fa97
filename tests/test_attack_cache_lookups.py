"""Outside attack on the mapped entries the Service shares between one record's viewers
(service.Service._mapped, gate.snapshot.map_visible; issue 18, hazard H24): an entry whose
mapping reads another resource (a letter's Binary, a request's Medication) that one viewer may see
and another may not. The promise: the shared models are used only where the viewer resolves the
same references, so the shared screen never shows what the patient's view read through a hidden
lookup, whichever of them opened the record first.

Records: the demo rheumatoid arthritis letter whose text is in a Binary
(ra-doc-rheumatology-2026-06-10, data/demo/rheumatoid_arthritis.json) with the Binary given a PSY
label as a new version; the demo lithium request (mh-med-lithium, data/demo/bipolar_lithium.json)
copied to a new id and a recent date, pointing at a new Medication resource, labelled PSY, through each reference
form FHIR R4 allows for medicationReference (relative, absolute, versioned).
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import open_service
from ltc_dashboard.store import Store
from test_app_support import BIPOLAR, demo_db, demo_db_template  # noqa: F401

TODAY = dt.date(2026, 11, 25)
RA = "ra-patient"
PSY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY", "display": "psychiatry information sensitivity"}
MED_NAME = "Quetiapine 25mg tablets (cache attack)"


def put(db, *resources: dict) -> None:
    store = Store(db)
    try:
        store.put(list(resources))
    finally:
        store.close()


def raw(db, patient: str, rid: str) -> dict:
    store = Store(db)
    try:
        found = {r["id"]: r for r in store.resources_for(patient)}
        if rid not in found:
            found = {r["id"]: r for r in store.of_type("Binary")}
        return copy.deepcopy(found[rid])
    finally:
        store.close()


def letters(svc, viewer: Viewer) -> list[str]:
    return sorted(repr(letter) for letter in svc.record(viewer, TODAY).letters)


def medicines(svc, viewer: Viewer) -> list[str]:
    return sorted(repr(m) for m in svc.record(viewer, TODAY).medications)


@pytest.mark.parametrize("first", ["patient", "clinic"])
def test_a_psy_labelled_binary_is_read_for_the_patient_only_whoever_opens_first(demo_db, first):
    """The RA letter's Binary is labelled PSY (a new version): the patient and the shared screen
    open the record in either order on one Service; each gets the letters a fresh Service gives
    it, and the Binary's words never reach the shared screen."""
    binary = raw(demo_db, RA, "ra-binary-rheumatology-2026-06-10")
    binary["meta"] = {"versionId": "2", "security": [PSY]}
    put(demo_db, binary)
    patient, clinic = Viewer(kind="patient", patient_id=RA), Viewer(kind="clinic", patient_id=RA)
    order = [patient, clinic] if first == "patient" else [clinic, patient]
    svc = open_service(str(demo_db))
    for viewer in order + order:
        assert letters(svc, viewer) == letters(open_service(str(demo_db)), viewer), viewer.kind
        assert svc.summary(viewer, TODAY).model_dump_json() == open_service(str(demo_db)).summary(viewer, TODAY).model_dump_json()
    words = "She meets the criteria for biologic treatment"  # only in the Binary
    assert words in " ".join(letters(svc, patient))
    assert words not in " ".join(letters(svc, clinic))
    assert words not in svc.summary(clinic, TODAY).model_dump_json()


@pytest.mark.parametrize("reference", [
    "Medication/mh-med-cache-attack",
    "https://gp.example.org/fhir/Medication/mh-med-cache-attack",
    "Medication/mh-med-cache-attack/_history/1",
])
@pytest.mark.parametrize("first", ["patient", "clinic"])
def test_a_psy_labelled_medication_is_named_for_the_patient_only(demo_db, reference, first):
    """A request for a Medication labelled PSY, pointed at by each reference form: the shared
    screen's medicines equal a fresh Service's and never carry the medicine's name, in whichever
    order the two views are opened on one Service."""
    medication = {"resourceType": "Medication", "id": "mh-med-cache-attack", "meta": {"versionId": "1", "security": [PSY]},
                  "code": {"text": MED_NAME}}
    request = raw(demo_db, BIPOLAR, "mh-med-lithium")
    request.update(id="mh-med-request-cache-attack", medicationReference={"reference": reference},
                   authoredOn="2026-10-01")  # after the record's online access start (31 October 2023)
    request["dispenseRequest"]["validityPeriod"] = {"start": "2026-10-01"}
    request.pop("medicationCodeableConcept")
    request.pop("reasonReference", None)
    put(demo_db, medication, request)
    patient, clinic = Viewer(kind="patient", patient_id=BIPOLAR), Viewer(kind="clinic", patient_id=BIPOLAR)
    order = [patient, clinic] if first == "patient" else [clinic, patient]
    svc = open_service(str(demo_db))
    for viewer in order + order:
        assert medicines(svc, viewer) == medicines(open_service(str(demo_db)), viewer), viewer.kind
    assert MED_NAME in " ".join(medicines(svc, patient))
    assert MED_NAME not in " ".join(medicines(svc, clinic))
    assert MED_NAME not in svc.summary(clinic, TODAY).model_dump_json()


def test_a_medicine_group_partly_hidden_from_the_shared_screen_is_merged_per_viewer(demo_db):
    """The newest lithium issue (mh-med-lithium-2026-11-24) is given a PSY label as a new version:
    the shared screen's lithium is merged from the other requests only, the patient's from all, in
    any order on one Service; the shared merged model is never changed by a partial merge."""
    issue = raw(demo_db, BIPOLAR, "mh-med-lithium-2026-11-24")
    issue["meta"] = {"versionId": "2", "security": [PSY]}
    put(demo_db, issue)
    patient, clinic = Viewer(kind="patient", patient_id=BIPOLAR), Viewer(kind="clinic", patient_id=BIPOLAR)
    svc = open_service(str(demo_db))
    for viewer in (clinic, patient, clinic, patient):
        assert medicines(svc, viewer) == medicines(open_service(str(demo_db)), viewer), viewer.kind
    assert "mh-med-lithium-2026-11-24" in " ".join(medicines(svc, patient))
    assert "mh-med-lithium-2026-11-24" not in " ".join(medicines(svc, clinic))
    lithium = {viewer.kind: next(m for m in svc.record(viewer, TODAY).medications if "Lithium" in m.name)
               for viewer in (patient, clinic)}
    assert dt.date(2026, 11, 24) in lithium["patient"].issues
    assert dt.date(2026, 11, 24) not in lithium["clinic"].issues and lithium["clinic"].last_issued < dt.date(2026, 11, 24)
