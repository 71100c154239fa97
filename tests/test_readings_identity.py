"""Home readings after the issue 20 attack (branch fix20b): a lasting identity kept in the export,
the stated precision, the one check for every path (future, before birth, clocks skipped, a
status other than final), and the home blood pressure line whatever the condition views.

Inputs: the demo records (data/demo via tests/test_exports_support.py: dm-patient has type 2
diabetes, dem-patient dementia), readings written here by hand, the app's own export of them
(`service.export(..., "fhir")`, ltc_dashboard/exports/reading_fhir.py) edited as a person would edit the JSON.
Today is frozen at 25 November 2026 (conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from conditions.home import NO_BP_VIEW
from ltc_dashboard.exports.restore import restore
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.dates import UK
from ltc_dashboard.record.readings import ReadingInvalid, check, kept_value
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)

DM = "dm-patient"


def _export(service, tmp_path, name="export.json"):
    path = tmp_path / name
    path.write_bytes(service.export(viewer(DM), today(), "fhir").data)
    return path


def _own_observations(path) -> list[dict]:
    bundle = json.loads(path.read_text())
    return [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("own-reading-")]


# -- precision -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, typed, kept", [
    ("glucose", "6.15", 6.2), ("glucose", "6.149", 6.1), ("glucose", "6.123456789", 6.1),
    ("weight", "82.45", 82.5), ("weight", "82.449", 82.4)])
def test_values_are_kept_at_the_stated_precision_half_up(kind, typed, kept):
    """Blood sugar and weight to one decimal place, rounded half up at entry (6.15 is 6.2, not the
    binary float's 6.1)."""
    context = "before a meal" if kind == "glucose" else None
    assert check("p", kind, typed, "2026-11-12 07:30", today(), "patient", context=context).value == kept


def test_the_export_carries_the_kept_value_and_the_identity(service, tmp_path):
    """The Observation's value is the kept 6.1 and its identifier the reading's UUID as a urn:uuid."""
    reading = service.add_reading(viewer(DM), today(), "glucose", "6.123456789", "2026-11-20 07:00",
                                  context="before a meal")
    (observation,) = _own_observations(_export(service, tmp_path))
    assert observation["valueQuantity"]["value"] == 6.1 == kept_value("glucose", 6.123456789)
    assert observation["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{reading.uid}"}]


# -- identity ----------------------------------------------------------------------------------------
def test_a_change_keeps_the_identity_and_an_older_copy_is_named_not_restored(service, tmp_path):
    """Export, change a reading, import the export again: the changed reading stays, alone, and
    the import says so in the person's words."""
    me = viewer(DM)
    first = service.add_reading(me, today(), "bp", "183/86", "2026-11-20 07:00")
    service.add_reading(me, today(), "weight", "80", "2026-11-20 07:05")
    path = _export(service, tmp_path)
    changed = service.update_reading(me, today(), first.id, "bp", "138/86", "2026-11-20 07:00")
    assert changed.uid == first.uid
    report = import_paths(service._store, [path])
    assert sorted(r.value_text for r in service.readings(me, today())) == ["138/86 mmHg", "80 kg"]
    assert report.superseded["own reading"] == 1
    assert ("1 home reading already kept, 1 older copy of readings you have since changed not restored "
            "(the reading as you changed it is kept)") in report.notices


def test_an_edited_identifier_is_refused_with_its_reason(fresh_store, service, tmp_path):
    """An identifier that is not a urn:uuid (edited by hand) is refused, naming the identifier."""
    service.add_reading(viewer(DM), today(), "weight", "80", "2026-11-20 07:05")
    (observation,) = _own_observations(_export(service, tmp_path))
    observation["identifier"][0]["value"] = "urn:uuid:not-a-uuid"
    result = restore(fresh_store, [observation], today())
    assert fresh_store.readings(DM) == [] and "identifier" in result.rejected[0].reason


def test_a_store_made_before_identities_gives_each_reading_one(db_path):
    """A home_readings table without the uid column (a store made before this change) gains it
    on opening, and its readings a UUID each; opening again changes none."""
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE home_readings DROP COLUMN uid")
    conn.execute("INSERT INTO home_readings (patient_id, kind, value, unit, taken_at, author, created, updated)"
                 " VALUES ('p', 'weight', 80.0, 'kg', '2026-11-20T07:00+00:00', 'patient', 'x', 'x')")
    conn.commit()
    conn.close()
    store = Store(db_path)
    uid = store.readings("p")[0]["uid"]
    store.close()
    again = Store(db_path)
    assert len(uid) == 36 and again.readings("p")[0]["uid"] == uid
    again.close()


# -- the one check on every path ---------------------------------------------------------------------
def test_an_imported_reading_before_birth_or_in_the_future_is_refused(service, tmp_path, fresh_store):
    """The export edited to 1926 (before dm-patient's birth) and to next year: both refused by the
    import, with the same reasons as the form; the untouched reading is kept."""
    me = viewer(DM)
    for when in ("2026-11-18 07:00", "2026-11-19 07:00", "2026-11-20 07:00"):
        service.add_reading(me, today(), "weight", "80", when)
    path = _export(service, tmp_path)
    bundle = json.loads(path.read_text())
    own = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("own-reading-")]
    own[0]["effectiveDateTime"] = "1926-11-18T07:00:00+00:00"
    own[1]["effectiveDateTime"] = "2027-11-19T07:00:00+00:00"
    for resource in own:
        resource.pop("identifier")  # so the edited copies are not taken as the kept readings
    service._store.delete_reading(DM, service.readings(me, today())[0].id)
    service._store.delete_reading(DM, service.readings(me, today())[0].id)
    path.write_text(json.dumps(bundle))
    report = import_paths(service._store, [path])
    reasons = " ".join(r.reason for r in report.rejected)
    assert "before the person was born" in reasons and "in the future" in reasons
    assert [r.day for r in service.readings(me, today())] == [dt.date(2026, 11, 20)]


@pytest.mark.parametrize("typed", ["2026-03-29 01:30", "2026-03-29T01:59", "29/03/2026 01:00"])
def test_times_the_clocks_skipped_are_refused_in_every_spelling(typed):
    """01:00 to 01:59 on 29 March 2026 never happened on UK clocks, however written."""
    with pytest.raises(ReadingInvalid) as caught:
        check("p", "weight", "80", typed, today(), "patient")
    assert "did not happen in the UK" in caught.value.problems["taken_at"]


def test_a_time_with_its_offset_and_the_hour_after_the_change_are_kept():
    """02:00 UK that night, and 01:30 given with its +00:00 offset (a real instant), are kept."""
    assert check("p", "weight", "80", "29/03/2026 02:00", today(), "patient").taken_at.utcoffset() == dt.timedelta(hours=1)
    kept = check("p", "weight", "80", "2026-03-29T01:30+00:00", today(), "patient")
    assert kept.taken_at.astimezone(UK).hour == 2


# -- the home blood pressure line whatever the views -----------------------------------------------
def _week(service, who):
    me = viewer(who)
    for day in range(12, 19):
        for time in ("07:00", "19:00"):
            service.add_reading(me, today(), "bp", "150/95", f"2026-11-{day} {time}")
    return service.summary(me, today())


def test_without_a_blood_pressure_view_the_average_is_given_without_a_target(service):
    """dem-patient (dementia, no blood pressure view): the summary carries the week's average,
    no target compared and why; the sheet says both."""
    summary = _week(service, "dem-patient")
    found = summary.home_average
    assert (found.systolic, found.diastolic, found.count, found.target) == (150, 95, 12, None)
    assert found.target_note == NO_BP_VIEW and NO_BP_VIEW in summary_markdown(summary)


def test_with_a_blood_pressure_view_the_summary_line_is_the_views(service):
    """dm-patient: the summary's home average is the diabetes view's, with that view's reason for
    its target (dm-patient's personal clinic target: no home target compared, hazard H28)."""
    summary = _week(service, DM)
    measure = next(m for v in summary.conditions for m in v.measures if m.id == "bp_systolic")
    assert summary.home_average == measure.home_average
    assert "personal target" in summary.home_average.target_note and summary.home_average.target_note != NO_BP_VIEW


def test_a_viewer_who_sees_no_readings_gets_no_line(service):
    """The clinic screen once the person hid their readings there: no home line at all."""
    _week(service, "dem-patient")
    service.set_preference(viewer("dem-patient"), "shared_screen_readings", "hide")
    summary = service.summary(viewer("dem-patient", "clinic"), today())
    assert summary.home_average is None and "Home blood pressure" not in summary_markdown(summary)
