"""Repeat prescriptions (issue 21) without a server: which repeats are offered (the §11.1 rule of
conditions/medicines.py, read by conditions/repeats.py), orders prepared as a message and kept,
an issue that arrives later marking an order issued, who may order and who sees which orders,
and the table surviving an import, an older store and a killed process.

Records: data/demo (UK GP shape: an authorisation with intent plan and one issue per supply), the
Synthea sample of Truman Wiegand in ../shared/fhir-samples (US shape: active orders never
re-issued), and small MedicationRequests written here in the demo's shape where a case needs one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conditions.repeats import NOT_A_REPEAT, repeat_choices
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.service.core import Service
from ltc_dashboard.service.repeats import OrderRefused
from ltc_dashboard.store import Store
from test_exports_support import (  # noqa: F401  (fixtures)
    DEMO, demo_resource, export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

ROOT = Path(__file__).resolve().parents[1]
TRUMAN = ROOT.parent / "shared" / "fhir-samples" / "synthea-r4" / "Truman_Wiegand_299750d1-6993-41a2-a16b-0d566cbcfb30.json"
ORDERED = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)  # after metformin's last issue (19 Nov)


def issue(rid: str, day: str, plan: str = "dm-med-metformin", name: str = "Metformin 500mg modified-release tablets",
          patient: str = "dm-patient") -> dict:
    """One more issue of a demo repeat, in the demo generator's shape (data/demo/gen/medicines.py)."""
    return {"resourceType": "MedicationRequest", "id": rid, "status": "completed", "intent": "order",
            "courseOfTherapyType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
                                                "code": "continuous"}]},
            "medicationCodeableConcept": {"text": name}, "subject": {"reference": f"Patient/{patient}"},
            "authoredOn": day, "basedOn": [{"reference": f"MedicationRequest/{plan}"}]}


def offered(service, who: str = "patient", patient: str = "dm-patient") -> dict[str, bool]:
    return {c.medication.name: c.offered for c in service.repeat_choices(viewer(patient, who), today())}


# -- which repeats are offered ----------------------------------------------------------------
def test_the_demo_repeats_are_offered_with_their_last_issue(service):
    """The diabetes record's three active repeats are offered, each with its last issue date; the
    salbutamol inhaler, still authorised but last issued in January, is listed last, not offered."""
    choices = service.repeat_choices(viewer("dm-patient"), today())
    assert [(c.medication.name, c.focus_id, c.last_issued, c.offered) for c in choices] == [
        ("Atorvastatin 20mg tablets", "dm-med-atorvastatin", dt.date(2026, 10, 22), True),
        ("Gliclazide 80mg tablets", "dm-med-gliclazide", dt.date(2026, 10, 5), True),
        ("Metformin 500mg modified-release tablets", "dm-med-metformin", dt.date(2026, 11, 19), True),
        ("Salbutamol 100micrograms/dose inhaler CFC free", "dm-med-salbutamol", dt.date(2026, 1, 13), False),
    ]
    assert choices[-1].reason.startswith("Last issued on 13 January 2026, more than 6 months ago.")


def test_the_demo_order_is_restored_from_the_record_file(service):
    """The demo's own-content Task comes in as a kept order: prepared on 20 November, not issued."""
    [order] = service.repeat_orders(viewer("dm-patient"), today())
    assert (order.medication, order.how, order.author) == ("Atorvastatin 20mg tablets", "message", "patient")
    assert order.words(today()) == "Prepared as a message on 20 November; not yet issued"
    import_paths(service._store, [DEMO / "diabetes.json"])  # imported again: not kept twice
    assert len(service.repeat_orders(viewer("dm-patient"), today())) == 1


def mine(service, who, ids) -> list:
    """The orders this viewer sees among `ids` (the demo record keeps one order of its own)."""
    return [o for o in service.repeat_orders(who, today()) if o.id in ids]


def test_a_repeat_last_issued_over_6_months_ago_is_listed_with_why_and_not_offered(service):
    """§11.1's ambiguous case: the authorisation is active but the last issue is 8 months old, so
    the practice may have stopped it; it is not offered and the reason names the date."""
    plan = demo_resource("diabetes.json", "dm-med-atorvastatin")
    old = {**plan, "id": "dm-med-ramipril", "medicationCodeableConcept": {"text": "Ramipril 5mg capsules"}}
    service._store.put([old, issue("dm-med-ramipril-2026-03-20", "2026-03-20", "dm-med-ramipril", "Ramipril 5mg capsules")])
    choice = next(c for c in service.repeat_choices(viewer("dm-patient"), today()) if c.focus_id == "dm-med-ramipril")
    assert not choice.offered
    assert choice.reason.startswith("Last issued on 20 March 2026, more than 6 months ago.")
    with pytest.raises(OrderRefused, match="cannot be ordered here"):
        service.prepare_order(viewer("dm-patient"), today(), ["dm-med-ramipril"])


def test_a_stopped_repeat_is_neither_listed_nor_ordered(service):
    """A stopped authorisation (a newer version of it) takes the medicine off the list; ordering by
    any of its ids is refused and nothing is kept."""
    plan = demo_resource("diabetes.json", "dm-med-gliclazide")
    service._store.put([{**plan, "meta": {"versionId": "2"}, "status": "stopped"}])
    assert "Gliclazide 80mg tablets" not in offered(service)
    with pytest.raises(OrderRefused, match="not a current repeat"):
        service.prepare_order(viewer("dm-patient"), today(), ["dm-med-gliclazide-2026-10-05"])
    assert len(service.repeat_orders(viewer("dm-patient"), today())) == 1  # the demo's own


def test_synthea_orders_are_current_but_not_repeats_so_none_is_offered(tmp_path):
    """Truman's Synthea record holds US-style active orders (intent order, no course of therapy, no
    repeats allowed): the active ones are listed as not repeats, the stopped ones not at all."""
    store = Store(tmp_path / "t.db")
    import_paths(store, [TRUMAN])
    bundle = json.loads(TRUMAN.read_text())
    requests = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    active = {r["medicationCodeableConcept"]["text"] for r in requests if r["status"] == "active"}
    stopped = {r["medicationCodeableConcept"]["text"] for r in requests if r["status"] == "stopped"} - active
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    choices = Service(store).repeat_choices(viewer(patient), today())
    assert {c.medication.name for c in choices} == active and active
    assert all(not c.offered and c.reason == NOT_A_REPEAT for c in choices)
    assert not stopped & {c.medication.name for c in choices}
    store.close()


def test_the_rule_lists_nothing_for_no_medicines():
    """No medicines, no repeats (the rule needs no record)."""
    assert repeat_choices([], today()) == []


# -- ordering as a message, kept and shown --------------------------------------------------------
def test_a_prepared_order_is_kept_and_shown_not_yet_issued(service):
    """Prepared as a message: the text names the person, the medicine, its dose and last issue;
    the order is kept and shown "Prepared as a message on 20 November; not yet issued"; the
    summary JSON carries it."""
    me = viewer("dm-patient")
    ids, text = service.prepare_order(me, today(), ["dm-med-metformin"], now=ORDERED)
    assert "Patient: Rajesh Example, born 14 July 1961" in text
    assert "- Metformin 500mg modified-release tablets (" in text and "last issued on 19 November 2026" in text
    [order] = mine(service, me, ids)
    assert order.words(today()) == "Prepared as a message on 20 November; not yet issued"
    data = json.loads(service.summary(me, today()).model_dump_json())
    assert data["repeat_orders"][0] == {"id": ids[0], "medication": "Metformin 500mg modified-release tablets",
                                      "ordered": "2026-11-20T12:00:00Z", "status": "prepared"}


def test_an_issue_after_the_order_marks_it_issued_and_an_older_one_does_not(service):
    """Derived on reading: an issue dated before the order changes nothing; the next issue after
    it marks the order "Issued on 23 November"; the order row itself is not edited."""
    me = viewer("dm-patient")
    ids, _ = service.prepare_order(me, today(), ["dm-med-metformin"], now=ORDERED)
    service._store.put([issue("dm-med-metformin-extra-old", "2026-11-18")])
    assert mine(service, me, ids)[0].status == "prepared"
    before = service._store.repeat_orders("dm-patient")
    service._store.put([issue("dm-med-metformin-2026-11-23", "2026-11-23")])
    [order] = mine(service, me, ids)
    assert order.issued_on == dt.date(2026, 11, 23) and order.status == "issued"
    assert order.words(today()) == "Issued on 23 November (ordered on 20 November)"
    assert [o.status for o in service.summary(me, today()).repeat_orders if o.id in ids] == ["issued"]
    assert service._store.repeat_orders("dm-patient") == before


def test_an_import_of_the_record_again_keeps_every_order(service):
    """Orders are the person's own content: importing the record again leaves them as they were."""
    service.prepare_order(viewer("dm-patient"), today(), ["dm-med-metformin", "dm-med-gliclazide"], now=ORDERED)
    before = service._store.repeat_orders("dm-patient")
    import_paths(service._store, [DEMO / "diabetes.json"])
    assert service._store.repeat_orders("dm-patient") == before and len(before) == 3  # with the demo's


# -- who may order, who sees ------------------------------------------------------------------
def test_the_clinic_screen_neither_orders_nor_sees_orders(service):
    """The shared screen is offered no repeats, cannot order, and sees none of the person's orders."""
    service.prepare_order(viewer("dm-patient"), today(), ["dm-med-metformin"], now=ORDERED)
    clinic = viewer("dm-patient", "clinic")
    assert not service.may_order(clinic, today()) and service.repeat_choices(clinic, today()) == []
    assert service.repeat_orders(clinic, today()) == [] and service.summary(clinic, today()).repeat_orders == []
    with pytest.raises(OrderRefused):
        service.prepare_order(clinic, today(), ["dm-med-metformin"])


@pytest.mark.parametrize("action, allowed", [(None, False), ("access", False), ("correct", True)])
def test_a_carer_orders_only_when_the_consent_action_allows(service, action, allowed):
    """The daughter may order only with consent action correct (the flags rule); refused,
    nothing is kept. She sees her own orders, never the person's; the son (consent ended) neither."""
    carer, me = viewer("dem-patient", DAUGHTER), viewer("dem-patient")
    if action:
        allow_corrections(service, action)
    service.prepare_order(me, today(), ["dem-med-memantine"], now=ORDERED)
    assert service.may_order(carer, today()) is allowed
    if allowed:
        _, text = service.prepare_order(carer, today(), ["dem-med-donepezil-10mg"], now=ORDERED)
        assert "Made by a carer on the patient's behalf." in text
        assert [o.medication for o in service.repeat_orders(carer, today())] == ["Donepezil 10mg tablets"]
    else:
        with pytest.raises(OrderRefused, match="consent"):
            service.prepare_order(carer, today(), ["dem-med-donepezil-10mg"])
        assert service.repeat_orders(carer, today()) == []
    assert len(service.repeat_orders(me, today())) == (2 if allowed else 1)
    son = viewer("dem-patient", "proxy:RelatedPerson/dem-rp-son")
    assert service.repeat_orders(son, today()) == [] and not service.may_order(son, today())


# -- the table: an older store, a killed process ----------------------------------------------
def test_a_store_made_before_orders_gains_the_table_and_keeps_its_content(db_path):
    """A store without the repeat_orders table opens with it added and its questions kept."""
    store = Store(db_path)
    store.add_question("dm-patient", "Is my dose right?", "patient")
    store.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TABLE repeat_orders")
    store = Store(db_path)
    assert store.repeat_orders("dm-patient") == [] and len(store.questions("dm-patient")) == 1
    store.close()


KILLED = """
import sys, os, signal
from ltc_dashboard.store import Store
store = Store(sys.argv[1])
row = {"medication_id": "m1", "medication": "Metformin", "entry_ids": ["m1"], "last_issued": None,
       "ordered_at": "2026-11-20T12:00:00+00:00", "how": "server", "server": "http://127.0.0.1:9/fhir",
       "identifier": "urn:uuid:1", "status": "sending", "author": "patient"}
print(store.add_repeat_order("p1", row), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_order_acknowledged_before_a_kill_is_kept_and_never_shown_sent(db_path):
    """kill -9 right after the order is kept (before the server answered): the row survives, still
    "sending", which reads as "could not confirm", never as sent."""
    done = subprocess.run([sys.executable, "-c", KILLED, str(db_path)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == -signal.SIGKILL
    store = Store(db_path)
    [row] = store.repeat_orders("p1")
    assert row["id"] == int(done.stdout) and row["status"] == "sending"
    store.close()


# -- the connector's two pure questions ----------------------------------------------------------
@pytest.mark.parametrize("scope, allowed", [
    ("launch/patient patient/*.read", False), ("patient/*.rs", False), ("patient/Task.read", False),
    ("patient/Task.c", True), ("patient/Task.cruds", True), ("patient/*.cu", True), ("patient/Task.write", True),
    ("patient/*.*", True), ("user/Task.c", True), ("system/Task.c", False), ("patient/Observation.c", False),
    ("patient/Task.rc", False), ("", False),
])
def test_which_granted_scopes_let_the_app_create_a_task(scope, allowed):
    """SMART v1 (`.write`, `.*`) and v2 (a "cruds" string with c, in order) for Task or every type,
    in the patient's or user's context; anything else is read-only for ordering."""
    from connectors.orders import scope_allows_create

    assert scope_allows_create(scope, "Task") is allowed


def test_the_new_tasks_id_comes_from_the_body_or_the_location():
    """A 201 with the Task, or with only a Location header, gives the id; with neither, NoIdGiven
    (the service keeps the order as sent with no id: the server did say it took it)."""
    import requests

    from connectors.orders import NoIdGiven, _created_id

    def reply(body: bytes, location: str | None = None) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = 201, body
        if location:
            response.headers["Location"] = location
        return response

    assert _created_id(reply(b'{"resourceType": "Task", "id": "t9"}'), "Task") == "t9"
    assert _created_id(reply(b"", "http://127.0.0.1/fhir/Task/t8/_history/1"), "Task") == "t8"
    with pytest.raises(NoIdGiven):
        _created_id(reply(b"{}"), "Task")
