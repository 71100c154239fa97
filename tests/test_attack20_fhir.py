"""Outside attack on issue 20 (branch atk20): home readings through the FHIR export, `ltc import`
and the sync. Each test marked xfail(strict=True) failed on main when written and says what should
happen; unmarked tests pin what held.

Inputs: the demo records (data/demo, through tests/test_exports_support.py), Observations made by
the app's own exporter (ltc_dashboard/exports/reading_fhir.py `reading_resource`) then edited the way a person or
another system would edit a JSON file, and a loopback FHIR server on 127.0.0.1 (`Paged`,
tests/test_attack17.py) answering with a searchset (FHIR R4 bundle.html).
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from ltc_dashboard.exports.reading_fhir import reading_resource
from ltc_dashboard.exports.restore import restore
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.readings import Reading
from ltc_dashboard.store import Store
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from tests.servers.loopback import Reply
from tests.test_attack17 import PATIENT, Paged, bundle, run_sync

DM = "dm-patient"
UK_GMT = dt.timezone.utc


def _reading(patient: str, **fields) -> Reading:
    """A home blood pressure reading as the app keeps it (hand-written values)."""
    base = dict(id=1, patient_id=patient, kind="bp", systolic=138, diastolic=86, unit="mmHg",
                taken_at=dt.datetime(2026, 11, 20, 7, 0, tzinfo=UK_GMT), author="patient")
    base.update(fields)
    return Reading(**base)


def _observation(patient: str, **fields) -> dict:
    """The app's own export of one reading (ltc_dashboard/exports/reading_fhir.py), as a Bundle would hold it."""
    return reading_resource(_reading(patient, **fields), patient)


# -- breaks ---------------------------------------------------------------------------------------
def test_a_sync_never_writes_into_home_readings(tmp_path):
    """Input shape: a FHIR server's Observation searchset whose one entry carries the app's
    own-content tag (meta.tag is free for any server to set; a GP system that stored a patient's
    upload of an `ltc export` would send it back). Issue 20: "readings live with the person's own
    content (no import or sync touches them)". The sync must store it as a server resource or
    reject it, never make it the person's own home reading entered by "patient"; and the sync must
    finish (on main it stops with an unhandled "cannot start a transaction within a transaction")."""
    db = tmp_path / "ltc.db"
    planted = _observation(PATIENT, systolic=118, diastolic=72)
    with Paged() as server:
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [planted], 1))
        run_sync(server, db)
    store = Store(db)
    try:
        assert store.readings(PATIENT) == []
    finally:
        store.close()


def test_a_future_dated_reading_in_an_imported_file_is_refused(service, tmp_path):
    """Input shape: the app's export with one reading's effectiveDateTime edited to next year (a
    typo in a hand-edited export, or a device whose clock was wrong). The form and the CSV refuse a
    date in the future; the import should too. Here it is kept, and the home week moves to 2027,
    so the real week of readings loses its NICE average."""
    me = viewer(DM)
    for day in range(12, 19):
        for time in ("07:00", "19:00"):
            service.add_reading(me, today(), "bp", "150/95", f"2026-11-{day} {time}")
    future = _observation(DM, systolic=120, diastolic=70, taken_at=dt.datetime(2027, 11, 20, 7, tzinfo=UK_GMT))
    path = tmp_path / "edited.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": future}]}))
    report = import_paths(service._store, [path])
    assert report.rejected, "the reading dated 2027 should be named as rejected"
    measure = next(m for v in service.summary(me, today()).conditions for m in v.measures if m.id == "bp_systolic")
    assert measure.home_average is not None and measure.home_average.to == dt.date(2026, 11, 18)


def test_a_reading_marked_entered_in_error_is_not_restored(fresh_store):
    """Input shape: FHIR R4 Observation.status "entered-in-error" (observation.html: the
    observation "was never valid"), as any FHIR editor marks a mistaken reading instead of deleting
    it. The app only ever exports `final`; one that says it was an error must not become a reading."""
    wrong = _observation("p1")
    wrong["status"] = "entered-in-error"
    result = restore(fresh_store, [wrong])
    assert fresh_store.readings("p1") == [] and result.rejected


def test_reimporting_the_export_never_duplicates_a_precise_glucose(service, tmp_path):
    """Input: a blood sugar typed as 6.123456789 (the form takes any number of decimals; a
    spreadsheet pasted into it gives such numbers). Issue 20: the export "re-imports without loss";
    docs/rules: "adds a reading only once". Importing the person's own export back into the same
    store must add nothing. (fix20b: a blood sugar is kept at one decimal place, rounded at entry,
    so the one reading is 6.1, the value shown and exported.)"""
    me = viewer(DM)
    service.add_reading(me, today(), "glucose", "6.123456789", "2026-11-20 07:00", context="before a meal")
    path = tmp_path / "export.json"
    path.write_bytes(service.export(me, today(), "fhir").data)
    import_paths(service._store, [path])
    values = [r["value"] for r in service._store.readings(DM)]
    assert values == [6.1]


def test_reimporting_an_older_export_does_not_undo_a_correction(service, tmp_path):
    """Input: the person exports (a backup), then corrects a mistyped reading 183/86 to 138/86, then
    imports the backup again (moving to a new computer, or a second `ltc import`). ltc_dashboard/exports/restore.py:
    "what is already stored is never changed (the person's later edits win over an older export)".
    The exported Observation carries the reading's id; the wrong 183/86 should not come back."""
    me = viewer(DM)
    kept = service.add_reading(me, today(), "bp", "183/86", "2026-11-20 07:00")
    path = tmp_path / "backup.json"
    path.write_bytes(service.export(me, today(), "fhir").data)
    service.update_reading(me, today(), kept.id, "bp", "138/86", "2026-11-20 07:00")
    import_paths(service._store, [path])
    assert [r.value_text for r in service.readings(me, today())] == ["138/86 mmHg"]


# -- held -----------------------------------------------------------------------------------------
def test_a_bundle_tagging_someone_elses_reading_is_refused_in_an_upload(service):
    """Input: patient dm-patient uploads a Bundle with an own-content Observation whose subject is
    dem-patient (someone else's "own content" pretending to be a reading). The upload's scope check
    refuses it: dem-patient gains no reading (the person's own reading in the same file is kept)."""
    planted = _observation("dem-patient", systolic=99, diastolic=60)
    mine = _observation(DM, systolic=131, diastolic=81)  # so the file is about the person uploading
    mine["id"] = "own-reading-2"
    data = json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": mine}, {"resource": planted}]}).encode()
    outcome = service.import_upload("mine.json", data, viewer=viewer(DM))
    assert service._store.readings("dem-patient") == []
    assert outcome.report.rejected and [r["systolic"] for r in service._store.readings(DM)] == [131]


def test_a_carer_export_reimported_twice_keeps_one_copy_with_its_author(fresh_store):
    """Input: the app's export of a reading a carer entered, restored twice: one reading, author kept."""
    resource = _observation("p1", author="proxy:RelatedPerson/rp-1")
    restore(fresh_store, [copy.deepcopy(resource)])
    again = restore(fresh_store, [copy.deepcopy(resource)])
    rows = fresh_store.readings("p1")
    assert len(rows) == 1 and rows[0]["author"] == "proxy:RelatedPerson/rp-1"
    assert again.unchanged["own reading"] == 1


def test_a_forged_author_is_refused(fresh_store):
    """Input: the export edited so the author is not patient, clinic or a carer (a formula, as a
    spreadsheet would show it): refused, nothing kept."""
    resource = _observation("p1", author="patient")
    resource["extension"][0]["extension"] = [{"url": "author", "valueString": "=cmd|' /C calc'!A0"}]
    result = restore(fresh_store, [resource])
    assert fresh_store.readings("p1") == [] and result.rejected
