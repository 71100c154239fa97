"""Home readings kept with the person's own content (issue 20): no import touches them, a kill -9
while saving loses no acknowledged reading, a file of readings is saved whole or not at all, and
who may add and who sees them follows the rule for flags. Inputs: the demo records in data/demo
(through test_exports_support's store copy) and readings written here by hand."""

from __future__ import annotations

import signal
import sqlite3

import pytest

from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.readings import check
from ltc_dashboard.service.readings import ReadingRefused
from ltc_dashboard.store import InvalidWrite, NotInStore, Store
from test_durability import DEMO, child, integrity
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections


def row(kind="weight", value="80", when="2026-11-12 07:30", author="patient", **fields) -> dict:
    return check("dm-patient", kind, value, when, today(), author, **fields).row()


def test_import_never_touches_readings(fresh_store):
    """Importing a record (twice) leaves the stored readings exactly as they were."""
    ids = fresh_store.add_readings("dm-patient", [row(), row("bp", "138/86", pulse="70")])
    before = fresh_store.readings("dm-patient")
    assert not import_paths(fresh_store, [DEMO]).rejected
    assert not import_paths(fresh_store, [DEMO]).rejected
    assert fresh_store.readings("dm-patient") == before and [r["id"] for r in before] == ids


def test_a_batch_with_one_bad_row_saves_nothing(fresh_store):
    """add_readings is all or none: a row of an unknown kind refuses the whole batch."""
    fresh_store.add_reading("dm-patient", row())
    with pytest.raises(InvalidWrite):
        fresh_store.add_readings("dm-patient", [row(value="81"), {**row(), "kind": "cholesterol"}])
    assert [r["value"] for r in fresh_store.readings("dm-patient")] == [80.0]


def test_update_and_delete_are_scoped_to_the_patient(fresh_store):
    """Another patient's id cannot change or remove a reading; the patient's own can."""
    rid = fresh_store.add_reading("dm-patient", row())
    with pytest.raises(NotInStore):
        fresh_store.update_reading("other", rid, row(value="90"))
    with pytest.raises(NotInStore):
        fresh_store.delete_reading("other", rid)
    fresh_store.update_reading("dm-patient", rid, row(value="79.5"))
    assert [r["value"] for r in fresh_store.readings("dm-patient")] == [79.5]
    fresh_store.delete_reading("dm-patient", rid)
    assert fresh_store.readings("dm-patient") == []


def test_a_store_made_before_readings_gains_the_table(db_path):
    """Opening a store that has no home_readings table (made before issue 20) adds it."""
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE home_readings")
    conn.commit()
    conn.close()
    store = Store(db_path)
    assert store.add_reading("dm-patient", row()) == 1
    store.close()


SAVER = """
import sys
from ltc_dashboard.store import Store
store = Store(sys.argv[1])
for n in range(1_000_000):
    row = {"kind": "weight", "value": 50 + n % 100, "unit": "kg", "taken_at": f"2026-11-12T07:{n % 60:02d}+00:00",
           "author": "patient"}
    print(store.add_reading("dm-patient", row), 50 + n % 100, flush=True)
"""


def test_kill_while_saving_readings_keeps_every_acknowledged_one(tmp_path):
    """kill -9 while a loop saves readings: every save acknowledged (printed after it returned) is
    stored with its value, and the store passes integrity_check."""
    db = tmp_path / "ltc.db"
    Store(db).close()
    proc = child(SAVER, str(db))
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(line.decode().split())
        if len(acknowledged) == 200:
            proc.send_signal(signal.SIGKILL)
            break
    acknowledged += [line.split() for line in proc.stdout.read().decode().splitlines()]
    assert proc.wait() == -signal.SIGKILL and len(acknowledged) >= 200
    assert integrity(db) == "ok"
    store = Store(db)
    saved = {r["id"]: r["value"] for r in store.readings("dm-patient")}
    store.close()
    for rid, value in acknowledged:
        assert saved.get(int(rid)) == float(value), f"acknowledged reading {rid} was lost"


# -- who may add, who sees ----------------------------------------------------------------------
def test_patient_adds_and_sees_their_readings(service):
    """The patient may add; the reading comes back with its id, author and UK unit."""
    me = viewer("dm-patient")
    assert service.may_add_readings(me, today())
    added = service.add_reading(me, today(), "bp", "138/86", "2026-11-20 08:00")
    assert [r.id for r in service.readings(me, today())] == [added.id]
    assert added.author == "patient" and added.unit == "mmHg"


def test_clinic_screen_never_adds_and_sees_readings_unless_hidden(service):
    """The shared screen may not add; it shows readings until the person hides them there."""
    clinic = viewer("dm-patient", "clinic")
    assert not service.may_add_readings(clinic, today())
    with pytest.raises(ReadingRefused):
        service.add_reading(clinic, today(), "weight", "80", "2026-11-20 08:00")
    service.add_reading(viewer("dm-patient"), today(), "weight", "80", "2026-11-20 08:00")
    assert len(service.readings(clinic, today())) == 1
    service.set_preference(viewer("dm-patient"), "shared_screen_readings", "hide")
    assert service.readings(clinic, today()) == []


@pytest.mark.parametrize("action, allowed", [(None, False), ("access", False), ("correct", True), ("amend", False)])
def test_carer_adds_only_when_the_consent_action_allows_it(service, action, allowed):
    """The daughter may add readings only with consent action correct (as for flags; `amend` is
    no R4 consent-action code: it grants nothing);
    refused, nothing is saved."""
    carer = viewer("dem-patient", DAUGHTER)
    if action:
        allow_corrections(service, action)
    assert service.may_add_readings(carer, today()) is allowed
    if allowed:
        assert service.add_reading(carer, today(), "weight", "60", "2026-11-20 08:00").author == DAUGHTER
    else:
        with pytest.raises(ReadingRefused):
            service.add_reading(carer, today(), "weight", "60", "2026-11-20 08:00")
    assert len(service.readings(viewer("dem-patient"), today())) == (1 if allowed else 0)


def test_carer_sees_only_what_they_entered_and_cannot_change_the_patients(service):
    """A carer sees the readings they entered, not the patient's, and cannot change or delete those."""
    allow_corrections(service)
    carer, patient = viewer("dem-patient", DAUGHTER), viewer("dem-patient")
    theirs = service.add_reading(patient, today(), "weight", "61", "2026-11-19 08:00")
    mine = service.add_reading(carer, today(), "weight", "60", "2026-11-20 08:00")
    assert [r.id for r in service.readings(carer, today())] == [mine.id]
    assert {r.id for r in service.readings(patient, today())} == {theirs.id, mine.id}
    with pytest.raises(ReadingRefused):
        service.delete_reading(carer, today(), theirs.id)
    with pytest.raises(ReadingRefused):
        service.update_reading(carer, today(), theirs.id, "weight", "1", "2026-11-19 08:00")


def test_an_ended_consent_shows_a_carer_nothing(service):
    """The son's consent has ended: he may not add and sees no readings, not even the patient's."""
    service.add_reading(viewer("dem-patient"), today(), "weight", "61", "2026-11-19 08:00")
    son = viewer("dem-patient", "proxy:RelatedPerson/dem-rp-son")
    assert not service.may_add_readings(son, today())
    assert service.readings(son, today()) == []


def test_edit_keeps_the_author_and_checks_the_new_values(service):
    """Editing re-checks the values (a bad one changes nothing) and keeps who first entered it."""
    from ltc_dashboard.record.readings import ReadingInvalid

    me = viewer("dm-patient")
    added = service.add_reading(me, today(), "glucose", "6.1", "2026-11-20 08:00", context="waking")
    with pytest.raises(ReadingInvalid):
        service.update_reading(me, today(), added.id, "glucose", "600", "2026-11-20 08:00", context="waking")
    service.update_reading(me, today(), added.id, "glucose", "5.9", "2026-11-20 08:00", context="bedtime")
    (now,) = service.readings(me, today())
    assert (now.value, now.context, now.author) == (5.9, "bedtime", "patient")


def test_a_row_changed_outside_the_app_is_left_out_not_a_crash(service):
    """A stored reading whose time cannot be read is left out; the others are still listed."""
    me = viewer("dm-patient")
    good = service.add_reading(me, today(), "weight", "80", "2026-11-20 08:00")
    bad = service.add_reading(me, today(), "weight", "81", "2026-11-21 08:00")
    service._store.db.conn.execute("UPDATE home_readings SET taken_at = 'soon' WHERE id = ?", [bad.id])
    assert [r.id for r in service.readings(me, today())] == [good.id]
