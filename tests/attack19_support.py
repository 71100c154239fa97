"""Helpers for the snapshot attack (tests/test_attack19_*.py): a record with a patient, two
carers, a shared medicine and clinician, results, prescriptions and letters; and the comparison
of a store whose kept snapshot was updated after writes with a copy of the same file from which
every kept snapshot and letter search row was dropped (the same resources, derived whole).

Shapes: the R4 resources of tests/test_access.py and tests/test_snapshot_update.py (the HbA1c
result, the repeat prescription, the proxy Consent), with a letter and its Binary as the UK Core
DocumentReference example attaches it (content.attachment.url "Binary/...").
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from pathlib import Path

from ltc_dashboard.gate import access
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.gate.snapshot import derive, map_visible
from ltc_dashboard.store import Store
from ltc_dashboard.summary.core import build_summary
from tests.test_access import consent, related

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SNOMED = "http://snomed.info/sct"
VIEWERS = [Viewer(kind="patient", patient_id="p1"), Viewer(kind="clinic", patient_id="p1"),
           Viewer(kind="proxy", patient_id="p1", proxy_id="rp1"),
           Viewer(kind="proxy", patient_id="p1", proxy_id="rp2")]
QUERIES = ("clinic", "memory", "retinopathy", "letter")


def labels(*codes: str) -> dict:
    return {"security": [{"system": ACT, "code": code} for code in codes]}


def result(n: int, day: int = 10, value: float = 48.0, version: int = 1, meta: dict | None = None,
           **extra) -> dict:
    """An HbA1c result (tests/test_snapshot_update.py `observation`)."""
    resource = {"resourceType": "Observation", "id": f"o{n}",
                "meta": {"versionId": str(version), "lastUpdated": f"2026-0{1 + version % 9}-01T10:00:00Z",
                         **(meta or {})},
                "status": "final",
                "code": {"coding": [{"system": SNOMED, "code": "999791000000106"}], "text": "HbA1c"},
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": (dt.date(2024, 1, 1) + dt.timedelta(days=day)).isoformat(),
                "valueQuantity": {"value": value, "unit": "mmol/mol"}}
    resource.update(extra)
    return resource


def prescription(n: int, medicine: str | None = "Medication/m1", day: int = 5, version: int = 1,
                 meta: dict | None = None, text: str = "Ramipril 5mg capsules", **extra) -> dict:
    """An issue of a repeat medicine, by the shared Medication or by its name."""
    resource = {"resourceType": "MedicationRequest", "id": f"rx{n}",
                "meta": {"versionId": str(version), **(meta or {})},
                "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"},
                "authoredOn": (dt.date(2024, 1, 1) + dt.timedelta(days=day)).isoformat(),
                "requester": {"reference": "Practitioner/gp1"},
                "dosageInstruction": [{"text": "Take 1 tablet twice a day"}]}
    if medicine:
        resource["medicationReference"] = {"reference": medicine}
    else:
        resource["medicationCodeableConcept"] = {"text": text}
    resource.update(extra)
    return resource


def letter(n: int, binary: str | None, title: str = "Diabetes clinic letter", meta: dict | None = None,
           text: str | None = None) -> dict:
    """A letter; its text in a Binary (UK Core DocumentReference example) or inline."""
    attachment = {"contentType": "text/plain", "title": title}
    if binary:
        attachment["url"] = f"Binary/{binary}"
    else:
        attachment["data"] = base64.b64encode((text or "").encode()).decode()
    return {"resourceType": "DocumentReference", "id": f"d{n}", "status": "current", "meta": meta or {},
            "subject": {"reference": "Patient/p1"}, "date": "2025-06-01T10:00:00Z",
            "type": {"text": "Clinic letter"}, "content": [{"attachment": attachment}]}


def binary(bid: str, text: str, meta: dict | None = None, patient: str = "p1") -> dict:
    return {"resourceType": "Binary", "id": bid, "contentType": "text/plain", "meta": meta or {},
            "securityContext": {"reference": f"Patient/{patient}"},
            "data": base64.b64encode(text.encode()).decode()}


def base() -> list[dict]:
    """The record every attack starts from."""
    return [
        {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Ada"], "family": "Test"}]},
        related(), related("rp2"), consent(period={"start": "2020-01-01"}),
        consent("c2", actor="RelatedPerson/rp2", period={"start": "2020-01-01"},
                denies=[{"type": "deny", "securityLabel": [{"system": ACT, "code": "PSY"}]}]),
        {"resourceType": "Medication", "id": "m1", "code": {"text": "Metformin 500mg tablets"}},
        {"resourceType": "Practitioner", "id": "gp1", "name": [{"family": "Jones", "prefix": ["Dr"]}]},
        {"resourceType": "Encounter", "id": "e0", "status": "finished", "subject": {"reference": "Patient/p1"},
         "period": {"start": "2024-03-01"}},
        result(0), prescription(0),
        binary("b1", "Retinopathy screening: no memory problems noted."), letter(1, "b1"),
    ]


def kept(store: Store, resources: list[dict] | None = None) -> Store:
    """`store` with the record written and its snapshot kept (the first open derives it whole)."""
    store.put(base() if resources is None else resources)
    open_record(store, VIEWERS[0], TODAY)
    return store


def rebuilt(store: Store, folder: Path) -> Store:
    """A copy of the store file with every kept snapshot and letter search row dropped: the same
    stored resources, derived whole at the next open."""
    path = folder / f"rebuilt-{len(list(folder.glob('rebuilt-*')))}.db"
    target = sqlite3.connect(path)
    store.db.conn.backup(target)
    target.execute("DELETE FROM derived")
    target.execute("DELETE FROM letter_text")
    target.commit()
    target.close()
    return Store(path)


def full(store: Store, patient_id: str = "p1"):
    return derive(store.resource_texts_for(patient_id), store.shared,
                  lambda types: store.resource_texts_for(patient_id, types))


def plain(snapshot) -> tuple:
    """Everything a snapshot holds, as plain values (tests/test_snapshot_update.py `plain`)."""
    import marshal

    names = sorted(marshal.loads(snapshot.entries))
    return snapshot.facts_blob(), {name: (list(snapshot.entries_of(name)[0]), snapshot.entries_of(name)[1])
                                   for name in names}


def seen(store: Store, viewers=VIEWERS) -> list:
    """What each viewer gets: the gate's keys and counts, the mapped record, the summary as JSON
    and the letters each query finds."""
    found = []
    for viewer in viewers:
        visible = open_record(store, viewer, TODAY)
        record = map_visible(visible, {})
        summary = json.loads(build_summary(open_record(store, viewer, TODAY), own_rows=[], preferences={})
                             .model_dump_json())
        search = {q: sorted(d["id"] for d in open_record(store, viewer, TODAY).search_letters(q)) for q in QUERIES}
        found.append((viewer.key, visible.keys, visible.unchecked, visible.denied_reason, record, summary, search))
    return found


def differences(store: Store, folder: Path, viewers=VIEWERS) -> list[str]:
    """The viewers whose view of `store` is not what the rebuilt copy shows them."""
    mine, theirs = seen(store, viewers), seen(rebuilt(store, folder), viewers)
    return [f"{a[0]}: {name}" for a, b in zip(mine, theirs)
            for name, x, y in zip(("keys", "unchecked", "denied", "record", "summary", "search"), a[1:], b[1:])
            if x != y]


def snapshot_of(store: Store, patient_id: str = "p1"):
    return access._snapshot(store, patient_id)[0]


def synthea(store: Store, name: str = "Renea") -> str:
    """One Synthea R4 bundle of ../shared/fhir-samples imported (third-party, unchanged), its
    snapshot kept; the patient's id."""
    from ltc_dashboard.intake.ingest import import_paths
    from tests.conftest import SAMPLES

    import_paths(store, [sorted(SAMPLES.glob(f"{name}*.json"))[0]])
    patient_id = store.patient_ids()[0]
    open_record(store, Viewer(kind="patient", patient_id=patient_id), TODAY)
    return patient_id


def stored(store: Store, patient_id: str, rtype: str) -> list[dict]:
    return [json.loads(text) for _, _, text in store.resource_texts_for(patient_id, (rtype,))]
