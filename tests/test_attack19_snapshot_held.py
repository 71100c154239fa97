"""Attack 19 (outside tester): what held. Each test writes to a record whose snapshot is kept,
opens it again (updated from the change log where ltc_dashboard/gate/snapshot/changes.py can, else derived
whole) and compares the snapshot with a whole derive, and every viewer's open (gate keys, the
unchecked count, the mapped record, the summary JSON, letter search) with a copy of the store
file whose kept snapshots and letter search rows were dropped (tests/attack19_support.py).

Shapes: the R4 resources of tests/test_access.py and tests/test_snapshot_update.py; a contained
Medication as R4 MedicationRequest.contained holds one; a Provenance naming its target as the R4
example does; a resuscitation Flag (SNOMED 450476008, as tests/test_access.py's prognosis codes);
an Appointment's participants as the R4 example lists them. The breaks are in
tests/test_attack19_snapshot.py.
"""

from __future__ import annotations

import pytest

from ltc_dashboard.gate import access_snapshot
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.gate.access_snapshot import RecordChanged
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from tests.attack19_support import (SNOMED, base, TODAY, VIEWERS, binary, differences, full, kept, labels, letter,
                                    plain, prescription, rebuilt, related, result, snapshot_of, stored,
                                    synthea)
from tests.test_access import consent

P2 = Viewer(kind="patient", patient_id="p2")


def _then(*steps):
    """Writes with an open (the snapshot kept or updated) between each."""
    def run(store):
        for n, step in enumerate(steps):
            if n:
                open_record(store, VIEWERS[0], TODAY)
            step(store)
    return run


def _put(*resources):
    return lambda store: store.put(list(resources))


def _delete(rtype, rid):
    return lambda store: store.delete(rtype, rid)


_MED = {"resourceType": "Medication", "id": "med", "code": {"text": "Lithium 400mg tablets"}}
_APPOINTMENT = {"resourceType": "Appointment", "id": "a1", "status": "booked", "start": "2026-12-01T10:00:00Z",
                "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"},
                                {"actor": {"reference": "Practitioner/gp1", "display": "Dr Jones"},
                                 "status": "accepted"}]}
_ENCOUNTER_PSY = {"resourceType": "Encounter", "id": "e5", "meta": labels("PSY"), "status": "finished",
                  "subject": {"reference": "Patient/p1"}, "period": {"start": "2024-03-01"}}

# name -> the writes after the first kept snapshot
CASES = {
    "a label added by a new version otherwise identical": _put(result(0, meta=labels("PSY"))),
    "meta.security on a contained Medication": _put(prescription(5, medicine="#med", contained=[
        {**_MED, "meta": labels("NOPAT")}])),
    "a contained Medication labelled by a later version": _then(
        _put(prescription(5, medicine="#med", contained=[_MED])),
        _put(prescription(5, medicine="#med", version=2, contained=[{**_MED, "meta": labels("PSY")}]))),
    "a NOPAT Provenance targeting an existing result": _put(
        {"resourceType": "Provenance", "id": "pv1", "target": [{"reference": "Observation/o0"}], "meta": labels("NOPAT"),
         "recorded": "2025-01-01T00:00:00Z", "agent": [{"who": {"reference": "Practitioner/gp1"}}]}),
    "a resuscitation Flag arriving later": _put(
        {"resourceType": "Flag", "id": "f1", "status": "active", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": SNOMED, "code": "450476008"}], "text": "Not for resuscitation"}}),
    "a Flag arriving later that points at a labelled result": _then(
        _put(result(2, meta=labels("PSY"))),
        _put({"resourceType": "Flag", "id": "f2", "status": "active", "code": {"text": "Check"},
              "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e0"},
              "extension": [{"url": "http://example.org/x", "valueReference": {"reference": "Observation/o2"}}]})),
    "a Consent alone in a sync": _put(consent(period={"start": "2020-01-01"}, denies=[
        {"type": "deny", "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Observation"}]}])),
    "a RelatedPerson alone in a sync": _put(related(active=False)),
    "a Binary relinked to another letter": _put(binary("b2", "Memory clinic referral"), letter(1, "b2"),
                                                letter(2, "b1", meta=labels("NOPAT"))),
    "a letter's text replaced": _put(binary("b1", "Diabetes review only.")),
    "a letter labelled": _put(letter(1, "b1", meta=labels("PSY"))),
    "a letter's Binary labelled": _put(binary("b1", "Retinopathy screening: no memory problems noted.",
                                              meta=labels("NOPAT"))),
    "a shared Medication now sensitive": _put(
        {"resourceType": "Medication", "id": "m1", "meta": labels("PSY"), "code": {"text": "Lithium 400mg tablets"}}),
    "a shared Practitioner now redacted": _put(
        {"resourceType": "Practitioner", "id": "gp1", "meta": labels("NOPAT"), "name": [{"family": "Jones"}]}),
    "an Appointment's participants changed": _then(_put(_APPOINTMENT), _put({**_APPOINTMENT, "participant": [
        _APPOINTMENT["participant"][0], {"actor": {"reference": "RelatedPerson/rp2", "display": "Carer"}},
        {"actor": {"reference": "Location/l9", "display": "Memory clinic"}}]})),
    "v3 then a labelled v2": _then(_put(result(0, version=3, value=60.0)),
                                   _put(result(0, version=2, value=70.0, meta=labels("NOPAT")))),
    "the same versionId with another lastUpdated": _put(
        {**result(0, value=61.0), "meta": {"versionId": "1", "lastUpdated": "2026-05-01T10:00:00Z"}}),
    "no meta at all": _put({k: v for k, v in result(0, value=62.0).items() if k != "meta"}),
    "entered-in-error on": _put({**result(0, version=2), "status": "entered-in-error"}),
    "entered-in-error off again": _then(_put({**result(0, version=2), "status": "entered-in-error"}),
                                        _put(result(0, version=3))),
    "deleted then added again labelled": _then(_delete("Observation", "o0"),
                                               _put(result(0, version=5, meta=labels("NOPAT")))),
    "a referenced result deleted": _then(_put(result(3, hasMember=[{"reference": "Observation/o0"}])),
                                         _delete("Observation", "o0")),
    "a new result pointing at a labelled one": _then(_put(result(3, meta=labels("PSY"))),
                                                     _put(result(4, hasMember=[{"reference": "Observation/o3"}]))),
    "a labelled target arriving after its pointer": _then(_put(result(4, hasMember=[{"reference": "Observation/o3"}])),
                                                          _put(result(3, meta=labels("PSY")))),
    "a target labelled by a later version": _then(_put(result(4, hasMember=[{"reference": "Observation/o3"}])),
                                                  _put(result(3)), _put(result(3, version=2, meta=labels("PSY")))),
    "a result moved to a labelled encounter": _then(_put(_ENCOUNTER_PSY),
                                                    _put(result(0, version=2, encounter={"reference": "Encounter/e5"}))),
    "an absolute URL with _history naming a labelled result": _then(_put(result(3, meta=labels("PSY"))), _put(
        result(4, derivedFrom=[{"reference": "https://fhir.example.nhs.uk/fhir/Observation/o3/_history/1"}]))),
    "a urn:uuid naming a labelled result": _then(_put(result(3, meta=labels("PSY"))),
                                                 _put(result(4, derivedFrom=[{"reference": "urn:uuid:o3"}]))),
    "a statement based on a labelled request": _then(_put(prescription(7, meta=labels("PSY"))), _put(
        {"resourceType": "MedicationStatement", "id": "ms1", "status": "active", "subject": {"reference": "Patient/p1"},
         "medicationReference": {"reference": "Medication/m1"}, "effectiveDateTime": "2025-01-01",
         "basedOn": [{"reference": "MedicationRequest/rx7"}]})),
    "a prescription naming the clinician": _put(prescription(8, requester={"reference": "Practitioner/gp1",
                                                                            "display": "Dr Jones"})),
    "a prescription recorded by a carer": _put(prescription(8, recorder={"reference": "RelatedPerson/rp2"})),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_updated_record_is_the_record_derived_whole(fresh_store, tmp_path, case):
    store = kept(fresh_store)
    CASES[case](store)
    assert plain(snapshot_of(store)) == plain(full(store))
    assert differences(store, tmp_path) == []


@pytest.mark.parametrize("gone", [(509,), (510,), (511, 512), (510, 511, 512, 513), (1, 1030)])
def test_deletions_at_a_chunk_boundary_are_applied_alone_and_right(fresh_store, tmp_path, monkeypatch, gone):
    """1,100 results: the results list has three chunks of entries (layout.py CHUNK = 512)."""
    store = kept(fresh_store, [*base(), *(result(n, day=n % 300) for n in range(1, 1100))])
    calls = []
    monkeypatch.setattr(access_snapshot, "derive", lambda *a, **k: calls.append(1))
    with store.atomic():
        for n in gone:
            store.delete("Observation", f"o{n}")
    store.put([result(2000, day=3)])
    assert plain(snapshot_of(store)) == plain(full(store))
    store.put([result(5, day=299, version=2), result(700, version=2, day=1)])
    assert plain(snapshot_of(store)) == plain(full(store))
    assert calls == []
    monkeypatch.undo()
    assert differences(store, tmp_path, VIEWERS[:2]) == []


def test_crossing_the_keep_threshold_keeps_a_right_snapshot(fresh_store, tmp_path):
    """260 new results over two syncs (ltc_dashboard/gate/access_snapshot.py keeps the update past 200)."""
    store = kept(fresh_store)
    store.put([result(n, day=n) for n in range(1, 150)])
    open_record(store, VIEWERS[0], TODAY)
    store.put([result(n, day=n) for n in range(150, 260)] + [result(3, version=2, value=77.0)])
    open_record(store, VIEWERS[0], TODAY)
    assert store.has_snapshot("p1", access_snapshot.VERSION, store.data_version())
    store.delete("Observation", "o7")
    assert plain(snapshot_of(store)) == plain(full(store))
    assert differences(store, tmp_path) == []


def test_a_carer_opening_between_two_syncs_then_the_patient(fresh_store, tmp_path):
    store = kept(fresh_store)
    service = Service(store)
    store.put([result(1, day=30)])
    service.record(VIEWERS[2], TODAY)
    store.put([result(2, day=40), result(1, version=2, day=30, meta=labels("PSY"))])
    store.delete("Observation", "o0")
    fresh = Service(rebuilt(store, tmp_path))
    for viewer in [VIEWERS[0], *VIEWERS]:
        mine, theirs = service.record(viewer, TODAY), fresh.record(viewer, TODAY)
        assert ([r.id for r in mine.results], [m.name for m in mine.medications]) == (
            [r.id for r in theirs.results], [m.name for m in theirs.medications]), viewer


def test_a_sync_rolled_back_changes_nothing(fresh_store, tmp_path):
    store = kept(fresh_store)
    with pytest.raises(RuntimeError), store.atomic():
        store.put([result(0, version=2, meta=labels("NOPAT"))])
        store.delete("MedicationRequest", "rx0")
        raise RuntimeError("the sync failed")
    store.put([result(4)])
    assert plain(snapshot_of(store)) == plain(full(store))
    assert differences(store, tmp_path) == []


def test_a_log_marker_ahead_of_the_kept_snapshot_derives_whole(fresh_store):
    store = kept(fresh_store)
    store.put([result(0, version=2, meta=labels("NOPAT"))])
    store.db.conn.execute("UPDATE meta SET value = '999' WHERE key = 'changes_from'")
    assert "Observation/o0" not in open_record(store, VIEWERS[2], TODAY).keys


def test_a_result_moved_to_another_patient_and_labelled(fresh_store, tmp_path):
    store = kept(fresh_store, [*base(), {"resourceType": "Patient", "id": "p2"},
                               {**result(9), "subject": {"reference": "Patient/p2"}}])
    open_record(store, P2, TODAY)
    store.put([{**result(0, version=2), "subject": {"reference": "Patient/p2"}}])
    assert plain(snapshot_of(store, "p2")) == plain(full(store, "p2"))
    assert differences(store, tmp_path, [*VIEWERS, P2]) == []
    store.put([{**result(0, version=3), "meta": labels("NOPAT")}])
    assert differences(store, tmp_path, [*VIEWERS, P2]) == []


def test_letter_search_after_updates(fresh_store, tmp_path):
    """A letter's text replaced, a PSY letter added then deleted, each followed by an update
    applied alone: search finds what a rebuilt store finds, for each viewer."""
    store = kept(fresh_store)
    store.put([result(5)])
    open_record(store, VIEWERS[0], TODAY)
    for change in (lambda: store.put([binary("b1", "Diabetes review only.")]),
                   lambda: store.put([letter(3, None, text="Memory clinic: seen today", meta=labels("PSY"))]),
                   lambda: store.delete("DocumentReference", "d3")):
        change()
        store.put([result(6 + len(list(tmp_path.glob("rebuilt-*"))))])
        assert differences(store, tmp_path) == []


def test_a_write_from_another_store_during_the_update_stops_the_open(fresh_store):
    """Another Store on the same file writes a label between the log read and the rows read:
    the open refuses (RecordChanged) rather than pass a snapshot of the older version."""
    store = kept(fresh_store)
    store.put([result(4)])
    other, real = Store(store.path), store.resource_rows

    def meanwhile(*args):
        other.put([result(0, version=2, meta=labels("NOPAT"))])
        return real(*args)

    store.resource_rows = meanwhile
    with pytest.raises(RecordChanged):
        open_record(store, VIEWERS[2], TODAY)
    store.resource_rows = real
    assert "Observation/o0" not in open_record(store, VIEWERS[2], TODAY).keys


def test_a_synthea_record_synced_with_a_carer_label_and_deletions(fresh_store, tmp_path):
    """Coleman Ortiz's Synthea bundle with a carer and their Consent added (tests/test_access.py
    shapes): a sync labels a result PSY (derived whole), the next deletes two results and a
    prescription and adds a result (applied alone); every viewer as on a rebuilt store."""
    patient_id = synthea(fresh_store, "Coleman")
    fresh_store.put([related(pid=patient_id), consent(period={"start": "2000-01-01"}, pid=patient_id)])
    viewers = [Viewer(kind="patient", patient_id=patient_id), Viewer(kind="clinic", patient_id=patient_id),
               Viewer(kind="proxy", patient_id=patient_id, proxy_id="rp1")]
    open_record(fresh_store, viewers[0], TODAY)
    results = stored(fresh_store, patient_id, "Observation")
    fresh_store.put([{**results[3], "meta": labels("PSY")}])
    open_record(fresh_store, viewers[0], TODAY)
    with fresh_store.atomic():
        fresh_store.delete("Observation", results[10]["id"])
        fresh_store.delete("Observation", results[-1]["id"])
        fresh_store.delete("MedicationRequest", stored(fresh_store, patient_id, "MedicationRequest")[0]["id"])
        fresh_store.put([{**results[5], "id": "attack19-result", "effectiveDateTime": "2026-09-01T09:00:00+00:00"}])
    assert plain(snapshot_of(fresh_store, patient_id)) == plain(full(fresh_store, patient_id))
    assert differences(fresh_store, tmp_path, viewers) == []
