"""Leak properties across every output reachable without the UI: summary (JSON and the Markdown
sheet), suggested questions, letter search, counts and exports (FHIR, CSV, PDF).

Records come from tests/test_access_properties.py's generator (random security labels, Consents,
access-start dates and viewers), extended here with HbA1c results and a diabetes diagnosis, so
that suggested questions and measure series are built from them too, and with malformed Consents:
a list given as a lone object (read as that one object) and a Period given as text (unreadable:
the Consent grants nothing, and an unreadable access start hides every dated entry).

The main check is differential: for one viewer, every output of a store holding the whole
record must equal the output of a store holding only the entries the rules let that viewer see.
A hidden entry that changed any output (a value, a date, a count, a question, a letter hit, a
line of an export) would make the two differ.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from test_access_properties import LABELS, build, consent_resources, entry, expected_visible, marker

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
HBA1C = {"system": SCT, "code": "999791000000106", "display": "Haemoglobin A1c level - IFCC standardised"}
DIABETES = {"system": SCT, "code": "44054006", "display": "Type 2 diabetes mellitus"}

hba1c = st.tuples(entry, st.integers(40, 130)).map(
    lambda pair: {**pair[0], "type": "Observation", "hba1c": pair[1]})
diagnosis = entry.map(lambda spec: {**spec, "type": "Condition", "diabetes": True, "points_to": None})
# Appointments (issue 21): past ones on the base generator's dates, upcoming ones after today (so
# the "next appointment" sentence reaches the summary, the sheet and the PDF).
appointment = st.tuples(entry, st.none() | st.dates(dt.date(2026, 11, 26), dt.date(2027, 6, 30))).map(
    lambda pair: {**pair[0], "type": "Appointment", "points_to": None,
                  **({"date": ("day", pair[1])} if pair[1] else {})})
case_strategy = st.fixed_dictionaries({
    "entries": st.lists(entry, min_size=1, max_size=8),
    "appointments": st.lists(appointment, min_size=0, max_size=3),
    "coded": st.lists(hba1c, min_size=0, max_size=5),
    "diagnosis": st.lists(diagnosis, min_size=0, max_size=1),
    "access_start": st.none() | st.dates(dt.date(2016, 1, 1), dt.date(2026, 1, 1)),
    "start_shape": st.sampled_from(["good", "good", "good", "text_period"]),
    "proxy": st.none() | st.fixed_dictionaries({
        "expired": st.booleans(), "data_start": st.none() | st.dates(dt.date(2016, 1, 1), dt.date(2026, 1, 1)),
        "deny_sdv": st.booleans(), "only_meds": st.booleans(),
        "shape": st.sampled_from(["good", "good", "good", "lone_object", "text_period"])}),
    "viewer": st.sampled_from(["patient", "clinic", "proxy"]),
})


def specs_of(case: dict) -> list[dict]:
    """All generated entries in one list (base entries first), links made real as the base test does."""
    specs = [*case["entries"], *case["coded"], *case["diagnosis"], *case.get("appointments", [])]
    for spec in specs:
        target = spec["points_to"]
        if target is not None and target < len(specs):
            specs[target]["type"] = "Observation"
            specs[target].pop("diabetes", None)
    return specs


def resource_of(i: int, spec: dict) -> dict:
    """The base generator's resource, coded as an HbA1c result or a diabetes diagnosis when asked."""
    if spec["type"] == "Appointment":
        return appointment_of(i, spec)
    resource = build(i, spec)
    if spec["type"] == "Observation" and "hba1c" in spec:
        resource.pop("valueString", None)
        resource["code"] = {"coding": [HBA1C], "text": f"HbA1c {marker(i)}"}
        resource["valueQuantity"] = {"value": spec["hba1c"], "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                                     "code": "mmol/mol"}
    elif spec["type"] == "Condition" and spec.get("diabetes"):
        resource["code"] = {"coding": [DIABETES], "text": f"Type 2 diabetes {marker(i)}"}
        resource["clinicalStatus"] = {"coding": [{"code": "active"}]}
    return resource


def appointment_of(i: int, spec: dict) -> dict:
    """An R4 Appointment carrying the entry's marker in what it is for and in who it is with (a
    participant named by display text alone, which the Appointments lines show), with the base
    generator's labels, error status and date (a day at 09:30 UTC, or a bare year)."""
    mark, date = marker(i), spec["date"]
    resource: dict = {"resourceType": "Appointment", "id": f"r{i}",
                      "status": "entered-in-error" if spec["error"] else "booked",
                      "description": f"Appointment {mark}",
                      "participant": [{"actor": {"reference": "Patient/p1"}}, {"actor": {"display": f"Nurse {mark}"}}]}
    if date is not None:
        resource["start"] = str(date[1].year) if date[0] == "year" else f"{date[1].isoformat()}T09:30:00Z"
    if spec["labels"]:
        resource["meta"] = {"security": [{"system": LABELS[k][0], "code": LABELS[k][1]} for k in sorted(spec["labels"])]}
    return resource


def consents(case: dict) -> list[dict]:
    """The base generator's Consents, malformed as the case asks."""
    found = consent_resources(case)
    for consent in found:
        provision = consent.get("provision", {})
        if consent["id"] == "start" and case["start_shape"] == "text_period":
            provision["dataPeriod"] = provision["dataPeriod"]["start"]
        if consent["id"] == "proxy" and case["proxy"]["shape"] == "text_period":
            provision["period"] = provision["period"]["start"]
        if consent["id"] == "proxy" and case["proxy"]["shape"] == "lone_object":
            key = next(k for k in ("provision", "class", "actor") if k in provision)
            provision[key] = provision[key][0]
    return found


def expected(case: dict, specs: list[dict]) -> set[int]:
    """The base test's reading of the rules, plus: a lone object where a list belongs means that
    one object; a Consent the gate cannot read grants nothing; and an access start it cannot read
    hides every dated entry."""
    if case["access_start"] and case["start_shape"] != "good":
        return set()
    if case["viewer"] == "proxy" and case["proxy"] and case["proxy"]["shape"] == "text_period":
        return set()
    return expected_visible({**case, "entries": specs})


def outputs(service: Service, viewer: Viewer, specs: list[dict], pdf: bool) -> dict[str, object]:
    """Every output one viewer can reach, as comparable values."""
    summary = service.summary(viewer, TODAY)
    record = service.record(viewer, TODAY)
    found: dict[str, object] = {
        "summary": summary.model_dump_json(),
        "sheet": summary_markdown(summary),
        "questions": [q.text for q in summary.questions]
        + [q.text for view in summary.conditions for q in view.questions],
        "letters": len(summary.letters),
        "results": len(record.results),
        "search": {i: [l.id for l in service.search_letters(viewer, TODAY, marker(i))] for i in range(len(specs))},
        "search_all": [l.id for l in service.search_letters(viewer, TODAY, "Letter body")],
    }
    for fmt in ("fhir", "csv") + (("pdf",) if pdf else ()):
        data = service.export(viewer, TODAY, fmt).data
        found[fmt] = pdf_text(data) if fmt == "pdf" else data.decode("utf-8-sig")
    return found


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        return subprocess.run(["pdftotext", "-layout", file.name, "-"], check=True, capture_output=True,
                              text=True).stdout


def store_with(folder: Path, name: str, resources: list[dict]) -> Store:
    store = Store(folder / name)
    assert not import_items(store, resources).rejected
    return store


def check_case(case: dict, pdf: bool) -> None:
    """The differential and marker checks for one generated case."""
    specs = specs_of(case)
    allowed = expected(case, specs)
    every = [resource_of(i, spec) for i, spec in enumerate(specs)]
    common = [{"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat Leakcheck"}]}, *consents(case)]
    who = Viewer.parse("p1", "proxy:RelatedPerson/rp1" if case["viewer"] == "proxy" else case["viewer"])
    folder = Path(tempfile.mkdtemp(prefix="leaks-"))
    try:
        whole = store_with(folder, "whole.db", common + every)
        only = store_with(folder, "only.db", common + [every[i] for i in sorted(allowed)])
        seen, reference = outputs(Service(whole), who, specs, pdf), outputs(Service(only), who, specs, pdf)
        whole.close(), only.close()
    finally:
        shutil.rmtree(folder)
    for name, value in reference.items():
        assert seen[name] == value, f"hidden entries changed the {name} output"
    text = json.dumps(seen, ensure_ascii=False)
    for i, spec in enumerate(specs):
        if i not in allowed:
            assert marker(i) not in text, f"hidden entry {i} leaked"
            assert not seen["search"][i], f"letter search found hidden entry {i}"
    docs = sum(1 for i in allowed if specs[i]["type"] == "DocumentReference")
    assert seen["letters"] == docs and len(seen["search_all"]) == docs, "letter count is not the visible count"
    assert seen["results"] == sum(1 for i in allowed if specs[i]["type"] == "Observation")


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=case_strategy)
def test_hidden_entries_change_no_summary_search_count_or_data_export(case):
    """No hidden entry changes the summary, sheet, questions, letter search, counts, or FHIR and CSV export."""
    check_case(case, pdf=False)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (scripts/setup-test-tools.sh)")
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=case_strategy)
def test_hidden_entries_change_no_pdf_sheet(case):
    """No hidden entry changes the printable PDF sheet (its text as pdftotext reads it), nor any other output."""
    check_case(case, pdf=True)


def test_the_generated_records_do_reach_questions_series_and_letters():
    """A fixed case shows the outputs compared above are not empty: a redacted HbA1c rise changes
    the suggested questions once its label is removed."""
    def case(labels: set) -> dict:
        spec = {"error": False, "points_to": None, "type": "Observation"}
        return {"entries": [{**spec, "type": "DocumentReference", "labels": set(), "date": ("day", dt.date(2025, 2, 1))}],
                "coded": [{**spec, "labels": set(), "date": ("day", dt.date(2025, 1, 10)), "hba1c": 50},
                          {**spec, "labels": labels, "date": ("day", dt.date(2026, 6, 10)), "hba1c": 71}],
                "diagnosis": [{**spec, "type": "Condition", "diabetes": True, "labels": set(),
                               "date": ("day", dt.date(2015, 5, 1))}],
                "access_start": None, "start_shape": "good", "proxy": None, "viewer": "patient"}

    def questions(labels: set) -> list[str]:
        specs = specs_of(case(labels))
        with tempfile.TemporaryDirectory() as folder:
            store = store_with(Path(folder), "q.db", [{"resourceType": "Patient", "id": "p1"},
                                                      *(resource_of(i, s) for i, s in enumerate(specs))])
            found = outputs(Service(store), Viewer.parse("p1", "patient"), specs, pdf=False)
            store.close()
        assert found["letters"] == 1 and found["results"] == (2 if not labels else 1)
        return found["questions"]

    shown, redacted = questions(set()), questions({"nopat"})
    assert any("71" in q for q in shown), shown
    assert not any("71" in q for q in redacted) and shown != redacted
    check_case(case({"nopat"}), pdf=False)


@pytest.mark.parametrize("viewer, labels, shown", [("patient", set(), True), ("patient", {"nopat"}, False),
                                                   ("clinic", {"psy"}, False), ("proxy", set(), False)])
def test_generated_appointments_reach_the_outputs_only_when_allowed(viewer, labels, shown):
    """A control for the appointments in the cases above: an upcoming one reaches the summary, the
    sheet's "next appointment" and the FHIR export when the viewer may see it, and nowhere when
    not (a label, or a carer with no Consent); the differential check holds for each."""
    spec = {"error": False, "points_to": None, "type": "Appointment", "labels": labels,
            "date": ("day", dt.date(2026, 12, 15))}
    case = {"entries": [], "coded": [], "diagnosis": [], "appointments": [spec], "access_start": None,
            "start_shape": "good", "proxy": None, "viewer": viewer}
    specs = specs_of(case)
    with tempfile.TemporaryDirectory() as folder:
        store = store_with(Path(folder), "a.db", [{"resourceType": "Patient", "id": "p1"}, *consents(case),
                                                  *(resource_of(i, s) for i, s in enumerate(specs))])
        who = Viewer.parse("p1", "proxy:RelatedPerson/rp1" if viewer == "proxy" else viewer)
        found = outputs(Service(store), who, specs, pdf=False)
        store.close()
    assert (marker(0) in found["summary"]) is shown
    assert ("next appointment: Tuesday 15 December 2026 at 09:30, with Nurse " + marker(0) in found["sheet"]) is shown
    check_case(case, pdf=False)


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory):
    """A Service over the demo store (six records, two carers and an attorney)."""
    from ltc_dashboard.intake import stores

    store = stores.demo_store(tmp_path_factory.mktemp("leaks-demo"))
    yield Service(store)
    store.close()


def demo_viewers(service: Service) -> list[Viewer]:
    from ltc_dashboard.gate.access import proxy_links

    patients = [p.id for p in service.patients(TODAY)]
    viewers = [Viewer(kind=kind, patient_id=pid) for pid in patients for kind in ("patient", "clinic")]
    return viewers + [Viewer(kind="proxy", patient_id=link.patient_id, proxy_id=link.related_person_id)
                      for link in service.carers(TODAY)]


ADVICE = re.compile(r"\b(you should|you must|stop taking|start taking|(increase|reduce|lower|raise|double|halve)"
                    r" (your|the) dose|take (more|less|fewer|an extra)|do not take|don't take|you need to take)\b", re.I)


def test_suggested_questions_offer_a_question_and_never_advise_on_treatment(demo_service):
    """Every suggested question for every demo viewer states a fact and offers to ask, mention or
    talk (clinical-reference §1.4), and none tells the person what to do about a medicine."""
    seen = 0
    for viewer in demo_viewers(demo_service):
        for question in demo_service.summary(viewer, TODAY).questions:
            if question.source != "suggested":
                continue
            seen += 1
            assert re.search(r"\bcould (ask|mention|talk|discuss)\b", question.text, re.I), question.text
            assert not ADVICE.search(question.text), question.text
    assert seen >= 20


def test_one_patients_entries_never_reach_another_patients_outputs(demo_service):
    """No id of another patient's entry appears in any viewer's summary, sheet, letter search or
    export: a result is never shown against the wrong person."""
    owners, files = {}, {}
    for path in sorted((Path(__file__).resolve().parent.parent / "data" / "demo").glob("*.json")):
        for item in json.loads(path.read_text())["entry"]:
            resource = item["resource"]
            if resource["resourceType"] == "Patient":
                files[resource["id"]] = path.name
            elif resource["resourceType"] not in ("Organization", "Practitioner", "PractitionerRole", "Medication", "Location"):
                owners[resource["id"]] = path.name
    for viewer in demo_viewers(demo_service):
        mine = files[viewer.patient_id]
        summary = demo_service.summary(viewer, TODAY)
        texts = [summary.model_dump_json(), summary_markdown(summary),
                 *(demo_service.export(viewer, TODAY, fmt).data.decode("utf-8-sig") for fmt in ("fhir", "csv")),
                 json.dumps([l.id for l in demo_service.search_letters(viewer, TODAY, "letter")])]
        text = "\n".join(texts)
        strangers = [rid for rid, name in owners.items() if name != mine and f'"{rid}"' in text]
        assert not strangers, f"{viewer}: entries of another patient: {strangers[:5]}"
        assert viewer.kind == "proxy" or any(f'"{rid}"' in text for rid, name in owners.items() if name == mine)
