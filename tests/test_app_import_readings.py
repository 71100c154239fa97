"""The Import a file page and home readings (attack 20, branch fix20b): an older copy of a reading
the person has since changed is not restored, and the page says so in words; the table counts a
reading already kept as "Already here", not "New".

Inputs: the demo store (tests/test_app_support.py `demo_db`), one home reading written here by
hand into it, and the app's own export of an older copy of that reading (ltc_dashboard/exports/reading_fhir.py
`reading_resource`, same identity, other values) uploaded as NDJSON.
"""

from __future__ import annotations

import datetime as dt
import json

from ltc_dashboard.exports.reading_fhir import reading_resource
from ltc_dashboard.record.readings import Reading
from ltc_dashboard.store import Store
from test_app_import import table_rows, upload
from test_app_support import (  # noqa: F401  (fixtures)
    DIABETES, demo_db, demo_db_template, go, no_errors, open_app,
)

UID = "0b7c1f5e-3a52-4d8e-9a61-2f0c7e1d9b44"


def _reading(systolic: int) -> Reading:
    return Reading(patient_id=DIABETES, kind="bp", systolic=systolic, diastolic=86, unit="mmHg", author="patient",
                   taken_at=dt.datetime(2026, 11, 20, 7, tzinfo=dt.timezone.utc), uid=UID)


def test_an_older_copy_of_a_changed_reading_is_named_and_not_restored(demo_db):
    """Kept: 138/86. Uploaded: the same reading (same identity) as 183/86, and the kept 138/86
    itself: the note names one already kept and one older copy not restored; 138/86 stays alone."""
    store = Store(demo_db)
    store.add_reading(DIABETES, _reading(138).row())
    older, same = reading_resource(_reading(183), DIABETES), reading_resource(_reading(138), DIABETES)
    same["id"] = "own-reading-2"
    at = go(open_app(DIABETES), "import_file")
    upload(at, "backup.ndjson", (json.dumps(older) + "\n" + json.dumps(same) + "\n").encode())
    at.button(key="import_go").click().run()
    no_errors(at)
    assert any("1 home reading already kept, 1 older copy of readings you have since changed not restored"
               in i.value for i in at.info)
    assert [r["systolic"] for r in Store(demo_db).readings(DIABETES)] == [138]
    rows = {row["Kind of entry"]: row for row in table_rows(at, 0)}
    assert rows["own reading"]["New"] == 0 and rows["own reading"]["Already here"] == 1
