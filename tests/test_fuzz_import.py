"""Fuzzing the importer and the mapping with over 10,000 generated malformed or unusual items.

Hypothesis draws, per example, 60 small item specs (a kind, a seed, a short text); `make` expands
each into a resource, a Bundle entry or a raw NDJSON line: wrong types, missing fields, huge
strings, deep nesting, unknown types and extensions, invalid UTF-8, lone surrogates, duplicate
ids, circular references, future and ancient dates. Each kind says what must happen to it: kept,
rejected with a reason at its own position, or either. The items go into a Bundle file and an
NDJSON file, are imported, and then read through the gate, the mapping, the summary and the sheet
for every patient and two viewers. Nothing may raise.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connectors.base import Rejected
from connectors.files import FileConnector
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.store import Store
from ltc_dashboard.summary.core import build_summary
from ltc_dashboard.summary.sheet import summary_markdown

TODAY = dt.date(2026, 11, 25)
EXAMPLES, ITEMS = 170, 60
SCT = "http://snomed.info/sct"
CODES = [(SCT, "999791000000106"), (SCT, "1011481000000105"), (SCT, "75367002"), (SCT, "44054006"),
         ("http://loinc.org", "4548-4"), ("urn:fuzz", "x1"), (SCT, "")]
UNITS = ["mmol/mol", "%", "mmol/L", "mL/min/{1.73_m2}", "furlongs", "", "µmol/L", "mm[Hg]"]
# Dates the validator accepts and the mapping must read to a day (the last two test the limits).
DATES = ["2024-06-30T23:59:60Z", "2025-03-30T01:30:00", "2019", "2019-07", "2024-02-29",
         "2023-10-29T01:30:00+01:00", "1900-01-01", "2999-12-31", "1066-10-14T09:00:00+14:00",
         "2026-11-25T23:59:59-12:00"]
EXTREME_DATES = ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-05:00", "0001-01-01", "9999"]
BAD_DATES = ["2023-02-30", "2023-13-01", "yesterday", "2023-1-1", "2023-01-01T24:00:00Z",
             "2023-01-01T10:00:00+15:00", "", "0000-01-01"]
LABELS = [("http://terminology.hl7.org/CodeSystem/v3-ActCode", "NOPAT"),
          ("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R"),
          ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PSY"), ("urn:odd", 5)]
MAPPED_TYPES = ["Observation", "Condition", "MedicationRequest", "MedicationStatement", "DocumentReference",
                "Patient", "Goal", "CarePlan", "Flag", "Appointment", "Consent", "RelatedPerson",
                "AllergyIntolerance", "Immunization", "Procedure", "Encounter"]
FIELDS = ["code", "status", "valueQuantity", "valueString", "valueCodeableConcept", "component",
          "referenceRange", "interpretation", "category", "content", "description", "name", "identifier",
          "medicationCodeableConcept", "medicationReference", "dosageInstruction", "dispenseRequest",
          "target", "activity", "period", "provision", "scope", "verificationStatus", "clinicalStatus",
          "reaction", "participant", "relationship", "type", "meta", "extension", "note", "context",
          "effectivePeriod", "performer", "author", "active", "gender", "lifecycleStatus", "hasMember"]
# kind -> (what must happen, which file it may go in)
KINDS = {
    "obs": ("kept", "any"), "condition": ("kept", "any"), "medication": ("kept", "any"),
    "document": ("kept", "any"), "unknown_type": ("kept", "any"), "extensions": ("kept", "any"),
    "circular": ("kept", "any"), "dup": ("kept", "any"), "labelled": ("kept", "any"),
    "huge_text": ("kept", "any"), "urn_id": ("kept", "bundle"), "extreme_date": ("kept", "any"),
    "no_type": ("rejected", "any"), "bad_id": ("rejected", "any"), "no_id": ("rejected", "any"),
    "bad_date": ("rejected", "any"), "bad_quantity": ("rejected", "any"), "bad_typed": ("rejected", "any"),
    "no_subject": ("rejected", "any"), "bad_reference": ("rejected", "any"), "outcome": ("rejected", "any"),
    "not_object": ("rejected", "any"), "contained_bad": ("rejected", "any"),
    "lone_surrogate": ("rejected", "any"), "bad_utf8": ("rejected", "ndjson"),
    "bad_json": ("rejected", "ndjson"), "too_deep": ("rejected", "ndjson"), "nan": ("rejected", "ndjson"),
    "huge_number": ("rejected", "ndjson"), "wrong_types": ("either", "any"), "deep": ("either", "ndjson"),
    "odd_consent": ("either", "any"), "odd_letter": ("kept", "any"), "overflow": ("kept", "any"),
}


@dataclass
class Item:
    """One generated case: its payload, what must happen to it, and how to recognise it."""

    kind: str
    expected: str
    payload: object  # a dict, or raw bytes for an NDJSON line
    key: tuple[str, str] | None = None
    marker: str = ""
    date: str | None = None  # an effectiveDateTime the mapping must read to a day
    where: str = ""
    position: str = ""
    children: list = field(default_factory=list)


def json_value(rng: random.Random, text: str, depth: int = 0):
    """A random JSON value of any type, small, with the drawn text among the strings."""
    roll = rng.randrange(9 if depth < 3 else 6)
    if roll == 6:
        return [json_value(rng, text, depth + 1) for _ in range(rng.randrange(3))]
    if roll == 7:
        keys = FIELDS + ["value", "reference", "coding", "start", "end"]
        return {rng.choice(keys): json_value(rng, text, depth + 1) for _ in range(rng.randrange(3))}
    if roll == 8:
        return {"coding": [{"system": SCT, "code": rng.choice(CODES)[1]}], "text": text}
    return [None, True, rng.randint(-10**6, 10**6), rng.uniform(-1e9, 1e9), text, "2024-01-01"][roll]


def base(rtype: str, rid: str, rng: random.Random, marker: str) -> dict:
    resource = {"resourceType": rtype, "id": rid, "text": {"status": "generated", "div": f"<div>{marker}</div>"}}
    if rtype not in ("Patient", "Binary", "Basic", "MadeUpThing"):
        resource["subject" if rtype not in ("Consent", "RelatedPerson") else "patient"] = {
            "reference": f"Patient/p{rng.randrange(3)}"}
    return resource


def observation(rid: str, rng: random.Random, marker: str, text: str, when: str | None) -> dict:
    obs = base("Observation", rid, rng, marker)
    system, code = rng.choice(CODES)
    value = rng.choice([rng.uniform(-5, 200), rng.randint(0, 300), 0, 1.7e308, 10**30, 10**400, -0.0])
    obs.update(status=rng.choice(["final", "amended", "preliminary", "cancelled", "odd-status"]),
               code={"coding": [{"system": system, "code": code}], "text": text},
               valueQuantity={"value": value, "unit": rng.choice(UNITS)})
    if when is not None:
        obs["effectiveDateTime"] = when
    return obs


def make(kind: str, i: int, rng: random.Random, text: str, known: list[tuple[str, str]], tag: str) -> Item:
    """Expand one drawn spec into its item."""
    expected, _ = KINDS[kind]
    rid, marker = f"{tag}-{i}", f"fz{tag}x{i}m"
    item = Item(kind, expected, None, marker=marker)
    if kind in ("obs", "labelled", "extreme_date"):
        item.date = rng.choice(DATES)
        obs = observation(rid, rng, marker, text, item.date if kind != "extreme_date" else rng.choice(EXTREME_DATES))
        if kind == "extreme_date":
            item.date = None
        if kind == "labelled":
            obs["meta"] = {"security": [{"system": s, "code": c} for s, c in rng.sample(LABELS, 2)]}
        item.payload = obs
    elif kind == "condition":
        item.payload = base("Condition", rid, rng, marker) | {
            "code": {"text": text}, "onsetDateTime": rng.choice(DATES + EXTREME_DATES),
            "clinicalStatus": {"coding": [{"code": rng.choice(["active", "resolved", "entered-in-error"])}]}}
    elif kind == "medication":
        item.payload = base("MedicationRequest", rid, rng, marker) | {
            "status": "active", "intent": "order", "medicationCodeableConcept": {"text": text or "x"},
            "authoredOn": rng.choice(DATES), "dosageInstruction": [{"text": text * rng.randrange(1, 4)}]}
    elif kind == "document":
        body = rng.choice([b"<p onclick=x()>Hi<script>alert(1)</script></p>", text.encode(), b"%PDF-1.4 broken",
                           bytes(rng.randrange(256) for _ in range(200)), b"<svg onload=alert(1)>"])
        attachment = {"contentType": rng.choice(["text/plain", "text/html", "application/pdf", "image/png",
                                                 "text/html; charset=latin-1", None]),
                      "data": rng.choice([base64.b64encode(body).decode(), "!!not base64!!", ""])}
        if rng.random() < 0.2:
            attachment = {"contentType": "text/plain", "url": f"Binary/{tag}-missing"}
        item.payload = base("DocumentReference", rid, rng, marker) | {
            "status": "current", "description": text, "date": rng.choice(DATES), "content": [{"attachment": attachment}]}
    elif kind == "overflow":  # in range as given, out of range once converted to the UK unit
        item.payload = observation(rid, rng, marker, text, rng.choice(DATES)) | {
            "code": {"coding": [{"system": SCT, "code": "999791000000106"}]},
            "valueQuantity": {"value": rng.choice([1.7e308, -1.7e308]), "unit": "%"}}
    elif kind == "odd_letter":  # content in shapes FHIR does not allow, which the validator passes
        content = rng.choice([5, "x", [5], [{"attachment": "x"}], {"attachment": {"url": "Binary/b", "data": 5}},
                              [{"attachment": {"url": 5, "contentType": 5, "data": ["x"]}}], [None]])
        item.payload = base("DocumentReference", rid, rng, marker) | {"content": content, "description": text}
    elif kind == "unknown_type":
        item.payload = base(rng.choice(["Basic", "MadeUpThing", "Observation2"]), rid, rng, marker) | {
            "whatever": json_value(rng, text)}
    elif kind == "extensions":
        node: dict = {"url": "https://fuzz.example/leaf", "valueString": text}
        for level in range(rng.randrange(2, 40)):
            node = {"url": f"https://fuzz.example/x{level}", "extension": [node], "valueCode": text}
        item.payload = observation(rid, rng, marker, text, None) | {"extension": [node]}
    elif kind == "deep":  # written by hand: json.dumps itself would refuse the deepest
        depth = rng.choice([100, 200, 300, 400, 2000])
        head = json.dumps(observation(rid, rng, marker, text, None))[:-1]
        nested = '{"url":"u","extension":[' * depth + '{"url":"leaf"}' + "]}" * depth
        item.payload, item.key = f'{head}, "extension": [{nested}]}}'.encode(), ("Observation", rid)
    elif kind == "circular":
        other = known[rng.randrange(len(known))] if known and rng.random() < 0.7 else ("Observation", rid)
        item.payload = observation(rid, rng, marker, text, rng.choice(DATES)) | {
            "hasMember": [{"reference": f"{other[0]}/{other[1]}"}], "derivedFrom": [{"reference": f"Observation/{rid}"}]}
    elif kind == "dup":
        if known:
            rtype, rid = known[rng.randrange(len(known))]
        item.payload = observation(rid, rng, marker, text, None) if not known or rtype == "Observation" else \
            base(rtype, rid, rng, marker) | {"code": {"text": text}, "status": "active", "intent": "order"}
    elif kind == "huge_text":
        item.payload = observation(rid, rng, marker, (text or "x") * rng.choice([10_000, 50_000, 100_000]), None)
    elif kind == "urn_id":
        item.payload = observation(rid, rng, marker, text, None)
        del item.payload["id"]
        item.key = ("Observation", f"{rng.getrandbits(64):016x}-{i}")
    elif kind == "no_type":
        item.payload = {k: v for k, v in observation(rid, rng, marker, text, None).items() if k != "resourceType"}
        if rng.random() < 0.5:
            item.payload["resourceType"] = rng.choice([5, None, ["Observation"], ""])
    elif kind == "bad_id":
        item.payload = observation(rid, rng, marker, text, None) | {"id": rng.choice([123, "", "has space", "x" * 65, "ünï", ["a"]])}
    elif kind == "no_id":
        item.payload = observation(rid, rng, marker, text, None)
        del item.payload["id"]
    elif kind == "bad_date":
        item.payload = observation(rid, rng, marker, text, rng.choice(BAD_DATES))
    elif kind == "bad_quantity":
        item.payload = observation(rid, rng, marker, text, None)
        item.payload["valueQuantity"]["value"] = rng.choice(["12", True, None, [], {}])
    elif kind == "bad_typed":
        key, value = rng.choice([("valueInteger", 1.5), ("valueInteger", "3"), ("valueBoolean", "yes"),
                                 ("valueDecimal", "1.0"), ("valueInteger", True)])
        item.payload = {k: v for k, v in observation(rid, rng, marker, text, None).items() if k != "valueQuantity"} | {key: value}
    elif kind == "no_subject":
        item.payload = observation(rid, rng, marker, text, None)
        item.payload["subject"] = rng.choice([{}, {"reference": ""}, {"display": text}])
    elif kind == "bad_reference":
        item.payload = observation(rid, rng, marker, text, None)
        item.payload["subject"] = {"reference": rng.choice([5, None, 1.5])}
    elif kind == "outcome":
        item.payload = {"resourceType": "OperationOutcome", "id": rid, "issue": [{"diagnostics": text * 50}]}
    elif kind == "not_object":
        item.payload = rng.choice([[1, 2], "Observation", 5, None, True])
    elif kind == "contained_bad":
        item.payload = observation(rid, rng, marker, text, None) | {"contained": [{"resourceType": "Medication", "id": "bad id"}]}
    elif kind == "lone_surrogate":
        item.payload = observation(rid, rng, marker, text + rng.choice(["\ud800", "\udfff", "\udc00x"]), None)
    elif kind == "wrong_types":
        item.payload = base(rng.choice(MAPPED_TYPES), rid, rng, marker)
        for _ in range(rng.randrange(1, 5)):
            item.payload[rng.choice(FIELDS)] = json_value(rng, text)
    elif kind == "odd_consent":
        provision = {"type": rng.choice(["permit", "deny", 5]), "actor": [{"reference": {"reference": "RelatedPerson/rp0"}}]}
        for key in rng.sample(["actor", "period", "dataPeriod", "class", "provision", "securityLabel"], 3):
            provision[key] = json_value(rng, text)
        item.payload = {"resourceType": "Consent", "id": rid, "status": "active", "patient": {"reference": "Patient/p0"},
                        "scope": {"coding": [{"code": "patient-privacy"}]},
                        "category": [{"coding": [{"code": "INFA"}]}], "dateTime": "2024-01-01", "provision": provision,
                        "text": {"div": marker}}
    else:  # raw NDJSON lines
        good = json.dumps(observation(rid, rng, marker, text, None))
        item.payload = {
            "bad_utf8": lambda: good.replace(marker, marker + "\udcff").encode("utf-8", "surrogateescape"),
            "bad_json": lambda: good[: rng.randrange(1, len(good) - 1)].encode(),
            "too_deep": lambda: ('{"resourceType":"Observation","id":"d","x":' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
            "nan": lambda: good.replace('"status"', '"valueDecimal": NaN, "status"').encode(),
            "huge_number": lambda: good.replace('"status"', '"n": ' + "9" * 5000 + ', "status"').encode(),
        }[kind]()
    if isinstance(item.payload, dict) and item.key is None and isinstance(item.payload.get("id"), str):
        item.key = (item.payload.get("resourceType"), item.payload["id"])
    return item


def draw_items(specs: list[tuple[str, int, str]], tag: str) -> list[Item]:
    """Every drawn spec as an item; duplicates and references point at earlier kept items."""
    items: list[Item] = []
    known: list[tuple[str, str]] = []
    for i, (kind, seed, text) in enumerate(specs):
        item = make(kind, i, random.Random(seed), text, known, tag)
        allowed = KINDS[kind][1]
        item.where = allowed if allowed != "any" else ("bundle" if seed % 2 else "ndjson")
        if item.expected == "kept" and item.key and kind != "urn_id":
            known.append(item.key)
        items.append(item)
    return items


def scaffold() -> list[dict]:
    """Three patients, a carer of the first and a consent that lets the carer see the record."""
    people = [{"resourceType": "Patient", "id": f"p{n}", "name": [{"text": f"Fuzz Person {n}"}]} for n in range(3)]
    carer = {"resourceType": "RelatedPerson", "id": "rp0", "patient": {"reference": "Patient/p0"}}
    consent = {"resourceType": "Consent", "id": "consent-rp0", "status": "active",
               "patient": {"reference": "Patient/p0"}, "scope": {"coding": [{"code": "patient-privacy"}]},
               "category": [{"coding": [{"code": "INFA"}]}],
               "provision": {"type": "permit", "actor": [{"reference": {"reference": "RelatedPerson/rp0"}}]}}
    return [*people, carer, consent]


def write_files(folder: Path, items: list[Item], bundle_type: str) -> list[Path]:
    """The scaffold as NDJSON, then a Bundle file, then an NDJSON file; positions noted on each item."""
    first = folder / "a-people.ndjson"
    first.write_text("\n".join(json.dumps(r) for r in scaffold()))
    entries, lines = [], []
    for item in items:
        if item.where == "bundle":
            item.position = f"entry {len(entries) + 1}"
            entry = item.payload if item.kind == "not_object" else {"resource": item.payload}
            if item.kind == "urn_id":
                entry["fullUrl"] = f"urn:uuid:{item.key[1]}"
            entries.append(entry)
        else:
            item.position = f"line {len(lines) + 1}"
            raw = item.payload if isinstance(item.payload, bytes) else json.dumps(item.payload).encode()
            lines.append(raw)
    bundle, ndjson = folder / "b-bundle.json", folder / "c-items.ndjson"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": bundle_type, "entry": entries}))
    ndjson.write_bytes(b"\n".join(lines) + b"\n")
    for item in items:
        item.where = str(bundle if item.where == "bundle" else ndjson)
    return [first, bundle, ndjson]


def read_everything(store: Store) -> int:
    """Every patient's record through the gate, the mapping, the summary and the sheet, for the
    patient, the clinic screen and the carer; returns how many results were mapped."""
    mapped = 0
    for patient_id in store.patient_ids():
        for kind in ("patient", "clinic", "proxy:RelatedPerson/rp0"):
            visible = open_record(store, Viewer.parse(patient_id, kind), TODAY)
            record = map_record(list(visible.resources))
            summary = build_summary(visible)
            assert summary_markdown(summary) and summary.model_dump_json()
            for result in record.results:
                assert result.value is None or math.isfinite(result.value), "a result that is not a number"
            mapped += len(record.results)
    return mapped


def check_example(items: list[Item], report, store: Store, files: list[Path]) -> None:
    """Each item met its fate: kept in the store, or rejected with a plain reason at its position."""
    rejected: dict[tuple[str, str], list[Rejected]] = {}
    for item in report.rejected:
        assert item.reason.strip() and item.position.strip() and "\n" not in item.reason, item
        assert len(item.reason) <= 600 and "Traceback" not in item.reason, item
        rejected.setdefault((item.source, item.position), []).append(item)
    assert not [r for r in report.rejected if r.source == str(files[0])], "the scaffold was rejected"
    stored = {(t, i): j for t, i, j in store.db.conn.execute("SELECT type, id, json FROM resources")}
    winner: dict[tuple[str, str], Item] = {}
    for item in sorted(items, key=lambda i: files.index(Path(i.where))):  # in the order read
        hits = rejected.pop((item.where, item.position), [])
        assert len(hits) <= 1, f"{item.kind} rejected twice: {hits}"
        kept = not hits and item.key in stored
        assert kept or hits, f"{item.kind} at {item.position} was neither kept nor rejected"
        if item.expected != "either":
            assert kept == (item.expected == "kept"), f"{item.kind} at {item.position}: {hits or 'kept'}"
        if kept:
            winner[item.key] = item
    holding = {item.where for item in items}
    for key in [key for key, hits in rejected.items()  # a generated file with no items is named
                if key[0] not in holding and [h.reason for h in hits] == ["an empty Bundle: nothing to import"]]:
        del rejected[key]
    assert not rejected, f"rejections for no generated item: {rejected}"
    for key, item in winner.items():
        assert item.marker in stored[key], f"{key}: the last copy read did not win"


def check_dates(items: list[Item], store: Store) -> None:
    """A date the validator accepted on a kept result is read by the mapping to a day."""
    stored = {(t, i): json.loads(j) for t, i, j in store.db.conn.execute(
        "SELECT type, id, json FROM resources WHERE type = 'Observation'")}
    dated = [stored[i.key] for i in items if i.date and i.key in stored and i.marker in json.dumps(stored[i.key])]
    for result in map_record(dated).results:
        assert result.date is not None, f"a valid date was lost on {result.id}"


COUNTS = {"cases": 0, "rejected": 0, "kept": 0, "examples": 0}
spec = st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 2**32), st.text(max_size=12))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(specs=st.lists(spec, min_size=ITEMS, max_size=ITEMS),
       bundle_type=st.sampled_from(["collection", "transaction", "batch", "searchset", "document"]))
def run_one_example(specs, bundle_type):
    """One batch of 60 items through import, gate, mapping, summary and sheet."""
    tag = f"e{COUNTS['examples']}"
    COUNTS["examples"] += 1
    items = draw_items(specs, tag)
    for item in items:  # the mapping alone, on everything generated, valid or not
        if isinstance(item.payload, dict):
            map_record([item.payload])
    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder), items, bundle_type)
        store = Store(Path(folder) / "fuzz.db")
        try:
            report = import_items(store, FileConnector(files).read())
            check_example(items, report, store, files)
            check_dates(items, store)
            read_everything(store)
        finally:
            store.close()
    COUNTS["cases"] += len(items)
    COUNTS["rejected"] += len(report.rejected)
    COUNTS["kept"] += sum(1 for i in items if not any(r.position == i.position and r.source == i.where
                                                          for r in report.rejected))


def test_fuzzed_imports_never_crash_and_account_for_every_item():
    """Over 10,000 generated items: no crash; each is kept, or rejected with a reason at its own position."""
    started = time.monotonic()
    run_one_example()
    seconds = time.monotonic() - started
    line = (f"fuzz: {COUNTS['cases']} cases, {COUNTS['rejected']} rejected with reasons, {COUNTS['kept']} kept"
            f" ({COUNTS['examples']} bundles, {seconds:.0f} s)")
    print(line)
    assert COUNTS["cases"] >= 10_000, line
