"""The whole-pipeline fuzz of issue 13: wrong JSON types at every field of every resource type the
store keeps go through import, `ltc patients`, sign-in's carer list, every viewer's summary (JSON
and Markdown), every export format, letter search and (for a sample) the pages; nothing raises,
and another person's outputs stay byte for byte what they were.

Where the cases come from: one template per resource type, taken from the demo records in
data/demo/ (made by data/demo/make_demo.py) and the Synthea bundles in
../shared/fhir-samples/synthea-r4 (third-party, unchanged), plus hand-made ones (for issue 13) for
types neither holds. Every path in a template (each key and list item, at every depth) is
replaced by each wrong value in WRONG (a list, an object, numbers huge and tiny, NaN and infinity,
odd and long text, null, booleans, nesting past and below the limit, dates in years 1 and 9999);
a fixed seed picks CASES of those, deterministically. They are imported BATCH at a time, as one
NDJSON file and one Bundle whose own fields are given wrong values too, into a copy of a store
that holds the bystander (the dementia demo record, with two carers). A batch's cases belong to
a patient of their own, with a carer allowed to see everything (its fuzzed Consents and
RelatedPersons to a second one).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import random
import shutil
import time
from pathlib import Path

import pytest

from ltc_dashboard.cli.main import main
from ltc_dashboard.gate.access import Viewer, proxy_links
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from test_app_support import open_app, go

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "fhir-samples" / "synthea-r4"
TODAY = dt.date(2026, 11, 25)
CASES, BATCH, SEED = 10_240, 1024, 13
BYSTANDER = "dem-patient"
BYSTANDER_VIEWS = ("patient", "clinic", "proxy:RelatedPerson/dem-rp-daughter", "proxy:RelatedPerson/dem-rp-son")
PAGES_EVERY = 5  # batches whose pages are opened in AppTest (slow: a sample)

DEEP = 150  # past fhir_read.MAX_DEPTH


def _nested(levels: int):
    node: object = "leaf"
    for level in range(levels):
        node = [node] if level % 2 else {"coding": node}
    return node


WRONG = {
    "list": [1, "x", None], "empty list": [], "object": {"x": {"y": [1]}}, "empty object": {},
    "coding-like object": {"coding": {"system": ["s"], "code": 5}}, "int": 7, "zero": 0,
    "huge": 1.7e308, "minus huge": -1.7e308, "tiny": 5e-324, "big int": 10**20, "nan": float("nan"),
    "infinity": float("inf"), "empty text": "", "odd text": "\u202eevil ![p](https://tracker.example/p.png) <b>x</b>\u200b",
    "long text": "word " * 4000, "nan text": "NaN", "null": None, "true": True, "false": False,
    "too deep": _nested(DEEP), "deep": _nested(40), "year 1": "0001-01-01T00:00:00+14:00",
    "year 9999": "9999-12-31T23:59:59-12:00", "year only": "9999",
}

HAND_MADE = [  # types neither the demo nor the samples hold (hand-made for issue 13)
    {"resourceType": "Flag", "id": "t", "status": "active", "subject": {"reference": "Patient/x"},
     "code": {"coding": [{"system": "http://snomed.info/sct", "code": "13790001"}], "text": "Falls risk"},
     "period": {"start": "2024-01-01"}},
    {"resourceType": "Appointment", "id": "t", "status": "booked", "start": "2027-01-05T09:00:00Z",
     "end": "2027-01-05T09:15:00Z", "serviceType": [{"text": "Diabetes review"}],
     "participant": [{"actor": {"reference": "Patient/x"}, "status": "accepted"}]},
    {"resourceType": "AllergyIntolerance", "id": "t", "patient": {"reference": "Patient/x"},
     "clinicalStatus": {"coding": [{"code": "active"}]}, "code": {"text": "Penicillin"},
     "reaction": [{"manifestation": [{"text": "Rash"}]}], "recordedDate": "2010-05-01"},
    {"resourceType": "MedicationStatement", "id": "t", "status": "active", "subject": {"reference": "Patient/x"},
     "medicationCodeableConcept": {"text": "Aspirin 75mg"}, "effectivePeriod": {"start": "2020-01-01"},
     "dosage": [{"text": "One a day"}]},
    {"resourceType": "MedicationDispense", "id": "t", "status": "completed", "subject": {"reference": "Patient/x"},
     "medicationCodeableConcept": {"text": "Metformin"}, "whenHandedOver": "2025-02-01",
     "quantity": {"value": 56, "unit": "tablet"}},
    {"resourceType": "FamilyMemberHistory", "id": "t", "status": "completed", "patient": {"reference": "Patient/x"},
     "relationship": {"coding": [{"code": "MTH"}]}, "condition": [{"code": {"text": "Diabetes"}}], "date": "2019-03-01"},
    {"resourceType": "RiskAssessment", "id": "t", "status": "final", "subject": {"reference": "Patient/x"},
     "occurrenceDateTime": "2024-06-01", "prediction": [{"outcome": {"text": "Heart attack"}, "probabilityDecimal": 0.12}]},
    {"resourceType": "Composition", "id": "t", "status": "final", "subject": {"reference": "Patient/x"},
     "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]}, "date": "2024-06-01", "title": "Letter",
     "confidentiality": "N", "author": [{"display": "Dr A"}], "section": [{"title": "Plan", "text": {"div": "<div>x</div>"}}]},
    {"resourceType": "QuestionnaireResponse", "id": "t", "status": "completed", "subject": {"reference": "Patient/x"},
     "authored": "2024-01-01", "item": [{"linkId": "1", "answer": [{"valueInteger": 9}]}]},
    {"resourceType": "ClinicalImpression", "id": "t", "status": "completed", "subject": {"reference": "Patient/x"},
     "effectiveDateTime": "2024-01-01", "summary": "Stable"},
    {"resourceType": "Binary", "id": "t", "contentType": "text/plain", "data": "SGVsbG8="},
    {"resourceType": "Location", "id": "t", "name": "Surgery", "address": {"city": "Leeds"}},
    {"resourceType": "ServiceRequest", "id": "t", "status": "active", "intent": "order", "subject": {"reference": "Patient/x"},
     "code": {"text": "Retinal screening"}, "authoredOn": "2025-01-01"},
    {"resourceType": "Communication", "id": "t", "status": "completed", "subject": {"reference": "Patient/x"},
     "sent": "2025-01-01", "payload": [{"contentString": "Please book"}]},
    {"resourceType": "PractitionerRole", "id": "t", "code": [{"text": "GP"}], "practitioner": {"reference": "Practitioner/x"}},
]


def templates() -> list[dict]:
    """One resource of each type: the demo records first, then the Synthea samples, then HAND_MADE."""
    found: dict[str, dict] = {}
    sources = sorted((ROOT / "data" / "demo").glob("*.json")) + sorted(SAMPLES.glob("*.json"))
    for path in sources:
        for entry in json.loads(path.read_text()).get("entry", []):
            resource = entry.get("resource", {})
            found.setdefault(resource.get("resourceType"), resource)
    for resource in HAND_MADE:
        found.setdefault(resource["resourceType"], resource)
    return [found[t] for t in sorted(found)]


def paths(node, prefix=()) -> list[tuple]:
    """Every key and list item under a resource, at every depth (not resourceType or id)."""
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if prefix == () and key in ("resourceType", "id"):
            continue
        found.append((*prefix, key))
        if isinstance(value, (dict, list)) and len(prefix) < 8:
            found.extend(paths(value, (*prefix, key)))
    return found


def all_cases() -> list[tuple[int, tuple, str]]:
    """(template number, path, wrong value's name) for CASES cases, picked with a fixed seed."""
    everything = [(n, path, wrong) for n, template in enumerate(TEMPLATES)
                  for path in paths(template) for wrong in WRONG]
    rng = random.Random(SEED)
    rng.shuffle(everything)
    by_type: dict[int, list] = {}
    for case in everything:  # every type gets its share before any type gets more
        by_type.setdefault(case[0], []).append(case)
    picked, rounds = [], max(len(v) for v in by_type.values())
    for r in range(rounds):
        picked.extend(cases[r] for cases in by_type.values() if r < len(cases))
    return picked[:CASES]


TEMPLATES = templates()
# Fuzzed permissions go into a second patient of the batch: an unreadable Consent rightly shows
# nothing of its record to anyone, which would leave the other cases' entries unread.
PERMISSIONS = ("Consent", "RelatedPerson")


def _point_at(node, patient: str) -> None:
    """Every reference to a Patient (or an unresolved urn:uuid) now points at `patient`."""
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and (ref.startswith("Patient/") or ref.startswith("urn:uuid:")):
            node["reference"] = f"Patient/{patient}"
        for value in node.values():
            _point_at(value, patient)
    elif isinstance(node, list):
        for item in node:
            _point_at(item, patient)


def make_case(number: int, case: tuple, patient: str) -> dict:
    n, path, wrong = case
    resource = copy.deepcopy(TEMPLATES[n])
    if resource["resourceType"] in PERMISSIONS:
        patient = f"{patient}c"  # (a record of their own: see PERMISSIONS)
    _point_at(resource, patient)
    resource["id"] = f"fz{number}"
    if resource["resourceType"] == "Patient":
        resource["id"] = f"{patient}-pt{number}"  # a person of its own, listed by `ltc patients`
    node = resource
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(WRONG[wrong])
    return resource


def people(patient: str) -> list[dict]:
    """The batch's own patient, a carer of theirs and a consent letting the carer see everything."""
    return [
        {"resourceType": "Patient", "id": patient, "name": [{"text": f"Fuzz {patient}"}], "birthDate": "1960-02-03"},
        {"resourceType": "RelatedPerson", "id": f"{patient}-rp", "patient": {"reference": f"Patient/{patient}"},
         "name": [{"text": f"Carer {patient}"}]},
        {"resourceType": "Consent", "id": f"{patient}-consent", "status": "active",
         "patient": {"reference": f"Patient/{patient}"}, "scope": {"coding": [{"code": "patient-privacy"}]},
         "category": [{"coding": [{"code": "INFA"}]}],
         "provision": {"type": "permit", "actor": [{"reference": {"reference": f"RelatedPerson/{patient}-rp"}}]}},
        {"resourceType": "Condition", "id": f"{patient}-dm", "subject": {"reference": f"Patient/{patient}"},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
         "clinicalStatus": {"coding": [{"code": "active"}]}, "onsetDateTime": "2012-01-01"},
    ]


def odd_bundle(batch: int, patient: str) -> dict:
    """A Bundle whose own fields hold wrong values (its type, an entry, a fullUrl, a request)."""
    names = sorted(WRONG)
    wrong = lambda k: copy.deepcopy(WRONG[names[(batch * 4 + k) % len(names)]])  # noqa: E731
    resource = {"resourceType": "Observation", "id": f"b{batch}", "status": "final",
                "subject": {"reference": f"Patient/{patient}"}, "code": {"text": "x"}}
    return {"resourceType": "Bundle", "type": wrong(0) if batch % 2 else "transaction",
            "entry": [wrong(1), {"fullUrl": wrong(2), "resource": resource},
                      {"request": wrong(3), "resource": dict(resource, id=f"b{batch}r")}]}


def viewer_outputs(service: Service, patient: str, views) -> dict[str, object]:
    """Each viewer's summary (JSON, Markdown), every export and a letter search."""
    found: dict[str, object] = {}
    for view in views:
        viewer = Viewer.parse(patient, view)
        summary = service.summary(viewer, TODAY)
        found[f"{view} json"] = summary.model_dump_json()
        found[f"{view} md"] = summary_markdown(summary)
        for fmt in ("pdf", "fhir", "csv"):
            found[f"{view} {fmt}"] = service.export(viewer, TODAY, fmt).data
        for query in ("letter", "evil", "NaN"):  # (a NUL in the query is issue 13 item 11, fixed elsewhere)
            found[f"{view} search {query!r}"] = [l.id for l in service.search_letters(viewer, TODAY, query)]
    return found


def run_cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> tuple[Path, dict]:
    """A store holding the bystander's record, and what each of its viewers gets from it."""
    folder = tmp_path_factory.mktemp("fuzz-base")
    store = Store(folder / "base.db")
    report = import_paths(store, [ROOT / "data" / "demo" / "dementia.json"])
    assert not report.rejected
    before = viewer_outputs(Service(store), BYSTANDER, BYSTANDER_VIEWS)
    store.close()
    return folder / "base.db", before


def test_wrong_types_at_every_field_never_crash_and_never_touch_another_record(base_store, tmp_path, monkeypatch):
    """Over 10,000 cases with wrong JSON types at every field of every stored type: import,
    `ltc patients`, carers at sign-in, every viewer's summary, export and letter search (and the
    pages, for a sample) run without a traceback, and the bystander's outputs are unchanged."""
    base, before = base_store
    cases = all_cases()
    assert len(cases) >= 10_000 and len({TEMPLATES[n]["resourceType"] for n, _, _ in cases}) >= 30
    started, counts = time.monotonic(), {"rejected": 0, "withheld": 0, "pages": 0}
    for batch, first in enumerate(range(0, len(cases), BATCH)):
        patient = f"v{batch}"
        path = tmp_path / f"b{batch}.db"
        shutil.copy(base, path)
        lines = [json.dumps(r) for r in people(patient) + people(f"{patient}c")]
        lines += [json.dumps(make_case(first + k, case, patient)) for k, case in enumerate(cases[first:first + BATCH])]
        ndjson, bundle = tmp_path / f"b{batch}.ndjson", tmp_path / f"b{batch}-bundle.json"
        ndjson.write_text("\n".join(lines) + "\n")
        bundle.write_text(json.dumps(odd_bundle(batch, patient)))
        code, said = run_cli("import", str(ndjson), str(bundle), "--db", str(path))
        assert code in (0, 1) and "Traceback" not in said, said[-2000:]
        counts["rejected"] += sum(line.startswith("rejected: ") for line in said.splitlines())
        code, said = run_cli("patients", "--db", str(path))
        assert code == 0 and f"{patient}\tFuzz {patient}" in said and "could not be read" not in said, said[-2000:]
        store = Store(path)
        try:
            assert {f"{patient}-rp", "dem-rp-daughter"} <= {l.related_person_id for l in proxy_links(store, TODAY)}
            service = Service(store)
            for fuzzed in (patient, f"{patient}c"):
                viewer_outputs(service, fuzzed, ("patient", "clinic", f"proxy:RelatedPerson/{fuzzed}-rp"))
                counts["withheld"] += service.summary(Viewer(kind="patient", patient_id=fuzzed), TODAY).unchecked
            for other in [p.id for p in service.patients(TODAY) if p.id.startswith(f"{patient}-pt")]:
                summary_markdown(service.summary(Viewer(kind="patient", patient_id=other), TODAY))
            after = viewer_outputs(service, BYSTANDER, BYSTANDER_VIEWS)
            changed = [k for k in before if before[k] != after[k]]
            assert not changed, f"batch {batch} changed the bystander's {changed}"
        finally:
            store.close()
        if batch % PAGES_EVERY == 0:
            counts["pages"] += open_pages(path, patient, monkeypatch)
    print(f"pipeline fuzz: {len(cases)} cases in {batch + 1} batches, {counts} ({time.monotonic() - started:.0f} s)")


def open_pages(path: Path, patient: str, monkeypatch) -> int:
    """The record pages of the patient's view, and the overview (and results, when offered) of
    the carer's and the shared screen's, in AppTest: no exception."""
    monkeypatch.setenv("LTC_DB", str(path))
    store = Store(path)
    try:  # a fuzzed Consent may leave a viewer with nothing to see: then only the overview is offered
        denied = {view: Service(store).summary(Viewer.parse(patient, view), TODAY).denied
                  for view in ("patient", f"proxy:RelatedPerson/{patient}-rp", "clinic")}
    finally:
        store.close()
    opened = 0
    for view, pages in (("patient", ("results", "medications", "letters", "care_plan", "questions")),
                        (f"proxy:RelatedPerson/{patient}-rp", ("results",)), ("clinic", ("results",))):
        at = open_app(patient, view)
        assert not at.exception, (view, at.exception)
        for page in pages if not denied[view] else ():
            at = go(at, page)
            assert not at.exception, (view, page, at.exception)
            opened += 1
        opened += 1
    return opened
