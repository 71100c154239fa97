"""What the server keeps in memory of a record (service.Service: opened records, mapped entries,
summaries) is keyed by the exact viewer, the store's data version and the day, and is dropped
when the person signs out or leaves by quick exit (issue 18; hazard H24 in docs/safety/).

The demo records (data/demo/README.md) give a patient, her two carers with different consents,
and the shared screen over one record; the added HbA1c result below is made for these tests from
the demo diabetes record's own HbA1c entries (data/demo/diabetes.json), with a new id and date.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import open_service
from ltc_dashboard.store import Store
from pages import state
from test_app_support import (  # noqa: F401  (fixtures)
    DEMENTIA, DIABETES, SDV_LETTER, demo_db, demo_db_template, go, no_errors, open_app,
)

TODAY = dt.date(2026, 11, 25)
VIEWERS = [
    Viewer(kind="patient", patient_id=DEMENTIA),
    Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id="dem-rp-daughter"),
    Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id="dem-rp-son"),
    Viewer(kind="clinic", patient_id=DEMENTIA),
    Viewer(kind="patient", patient_id=DIABETES),
    Viewer(kind="clinic", patient_id=DIABETES),
]
NEW_HBA1C = {  # dm-obs-hba1c-2016-05-10 of data/demo/diabetes.json, with a new id, date and value
    "resourceType": "Observation", "id": "dm-obs-hba1c-cache-test", "meta": {"versionId": "1"},
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "laboratory", "display": "Laboratory"}]}],
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "999791000000106",
                         "display": "Haemoglobin A1c level - IFCC standardised"}],
             "text": "Haemoglobin A1c level - IFCC standardised"},
    "subject": {"reference": "Patient/dm-patient"},
    "effectiveDateTime": "2026-11-20T09:40:00+00:00", "issued": "2026-11-21T14:28:00+00:00",
    "valueQuantity": {"value": 61, "unit": "mmol/mol", "system": "http://unitsofmeasure.org", "code": "mmol/mol"},
}


def hba1c_dates(summary) -> list[dt.date]:
    return [p.date for view in summary.conditions for m in view.measures if m.id == "hba1c" for p in m.series]


def test_every_viewer_gets_from_a_shared_service_what_a_fresh_one_gives_it_alone(demo_db):
    """Interleaved in one Service, each viewer's summary and letters equal what a new Service
    builds for that viewer alone: nothing kept for one viewer reaches another."""
    shared = open_service(str(demo_db))
    alone = {v.key: open_service(str(demo_db)).summary(v, TODAY).model_dump_json() for v in VIEWERS}
    assert len(set(alone.values())) == len(VIEWERS)  # the viewers do see different things
    patient, daughter = VIEWERS[0], VIEWERS[1]
    assert SDV_LETTER in alone[patient.key] and SDV_LETTER not in alone[daughter.key]
    for viewer in [*VIEWERS, *VIEWERS[::-1], *VIEWERS]:
        assert shared.summary(viewer, TODAY).model_dump_json() == alone[viewer.key], viewer.key
        letters = {letter.id for letter in shared.record(viewer, TODAY).letters}
        assert letters == {letter.id for letter in open_service(str(demo_db)).record(viewer, TODAY).letters}


def test_a_write_to_the_store_is_read_on_the_next_call_not_served_from_memory(demo_db):
    """A result stored by another connection (a sync, an import in another process) shows in the
    next summary: the kept one belonged to the old data version."""
    svc = open_service(str(demo_db))
    viewer = Viewer(kind="patient", patient_id=DIABETES)
    before = svc.summary(viewer, TODAY)
    assert dt.date(2026, 11, 20) not in hba1c_dates(before)
    other = Store(demo_db)
    assert not import_items(other, [NEW_HBA1C]).rejected
    other.close()
    after = svc.summary(viewer, TODAY)
    assert after is not before
    assert dt.date(2026, 11, 20) in hba1c_dates(after)


def test_another_day_is_built_for_that_day(demo_db):
    """The day is part of the key: tomorrow's summary is tomorrow's, not today's kept one."""
    svc = open_service(str(demo_db))
    viewer = Viewer(kind="patient", patient_id=DIABETES)
    tomorrow = TODAY + dt.timedelta(days=1)
    assert svc.summary(viewer, TODAY).today == TODAY
    assert svc.summary(viewer, tomorrow).today == tomorrow
    assert svc.summary(viewer, TODAY).today == TODAY


def test_forget_drops_that_viewer_and_nothing_another_still_uses(demo_db):
    """Forgetting the carer keeps the patient's view; forgetting the patient too leaves nothing,
    not even the record's shared mapped entries."""
    svc = open_service(str(demo_db))
    patient, daughter = VIEWERS[0], VIEWERS[1]
    svc.summary(patient, TODAY)
    svc.summary(daughter, TODAY)
    assert svc.held_viewers() == {patient.key, daughter.key}
    svc.forget(daughter)
    assert svc.held_viewers() == {patient.key}
    assert svc._mapped  # the patient's entries are still used
    svc.forget(patient)
    assert svc.held_viewers() == set() and not svc._mapped and not svc._summaries


def test_sign_out_leaves_nothing_of_the_viewer_in_the_server(demo_db):
    """After the patient signs out, the server's Service holds nothing of their view."""
    at = open_app(DIABETES, "patient")
    go(at, "condition")
    no_errors(at)
    key = Viewer(kind="patient", patient_id=DIABETES).key
    assert key in state.service().held_viewers()
    at.sidebar.button(key="sign_out").click().run()
    no_errors(at)
    assert key not in state.service().held_viewers()


def test_quick_exit_from_the_shared_screen_leaves_nothing_of_either_view(demo_db):
    """Quick exit from the shared screen drops both the clinic view and the patient's own one."""
    at = open_app(DIABETES, "patient")
    at.sidebar.toggle[0].set_value(True).run()
    no_errors(at)
    keys = {Viewer(kind=kind, patient_id=DIABETES).key for kind in ("patient", "clinic")}
    assert keys <= state.service().held_viewers()
    at.button(key="quick_exit_button").click().run()
    no_errors(at)
    assert not keys & state.service().held_viewers()
