"""The condition-view template (conditions/template.py, issue 19): a view is its table rows plus one
module of its own rules. A demo view kept in tests/fixtures/views/demo_hypertension/ (its own
views.csv and view_checks.csv rows and rules.py, nothing else) is registered for one test and
shows its measures, checks and question in a summary built for a hand-made record."""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

import conditions
from conditions.template import ViewRules, view_row, view_spec
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.tables import TableError
from ltc_dashboard.summary import core as summary_module
from ltc_dashboard.summary.core import build_summary

FIXTURE = Path(__file__).parent / "fixtures" / "views" / "demo_hypertension"
TODAY = dt.date(2026, 11, 25)  # tests/conftest.py's frozen day
PATIENT = "demo-htn-1"


def _load_rules(folder: Path = FIXTURE):
    """The fixture view's one module, loaded from its file (tests/fixtures is not a package)."""
    spec = importlib.util.spec_from_file_location(f"demo_view_rules_{folder.name}", folder / "rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _obs(obs_id: str, day: str, code: dict, **value) -> dict:
    return {"resourceType": "Observation", "id": obs_id, "status": "final", "code": {"coding": [code], "text": code["display"]},
            "effectiveDateTime": f"{day}T09:00:00+00:00", "subject": {"reference": f"Patient/{PATIENT}"}, **value}


def _bp(day: str, systolic: float, diastolic: float) -> dict:
    def part(code: str, display: str, value: float) -> dict:
        return {"code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]},
                "valueQuantity": {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
    return _obs(f"bp-{day}", day, {"system": "http://snomed.info/sct", "code": "75367002", "display": "Blood pressure"},
                component=[part("72313002", "Systolic arterial pressure", systolic),
                           part("1091811000000102", "Diastolic arterial pressure", diastolic)])


def _egfr(day: str, value: float) -> dict:
    return _obs(f"egfr-{day}", day, {"system": "http://snomed.info/sct", "code": "1011481000000105",
                                     "display": "eGFR using creatinine CKD-EPI equation per 1.73 square metres"},
                valueQuantity={"value": value, "unit": "mL/min/1.73m2", "system": "http://unitsofmeasure.org",
                               "code": "mL/min/{1.73_m2}"})


def hand_made_record() -> dict:
    """A Bundle written for this test. Its shape is the project's condition fixtures' (tests/fixtures/
    conditions/diabetes/ckd_acr_78/input.json: the blood pressure panel with SNOMED CT components,
    the UK eGFR code), with the hypertension Condition code the Synthea samples use (38341003,
    fhir-samples/synthea-r4) and a ramipril MedicationRequest started on 10 June 2026."""
    resources = [
        {"resourceType": "Patient", "id": PATIENT, "name": [{"given": ["Alan"], "family": "Reed"}],
         "gender": "male", "birthDate": "1961-05-14"},
        {"resourceType": "Condition", "id": "htn", "subject": {"reference": f"Patient/{PATIENT}"},
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003", "display": "Hypertensive disorder"}]},
         "onsetDateTime": "2019-03-01"},
        {"resourceType": "MedicationRequest", "id": "ramipril", "status": "active", "intent": "order",
         "medicationCodeableConcept": {"text": "Ramipril 2.5mg capsules"}, "authoredOn": "2026-06-10",
         "subject": {"reference": f"Patient/{PATIENT}"}},
        _bp("2025-10-02", 146, 88), _bp("2026-09-07", 152, 90),
        _egfr("2026-03-02", 71),  # before ramipril started: it does not count for the kidney check
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def _summary(store, tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(hand_made_record()))
    assert not import_paths(store, [path]).rejected
    return build_summary(open_record(store, Viewer.parse(PATIENT, "patient"), TODAY))


def test_a_fixture_view_of_table_rows_and_one_module_shows_its_measures_checks_and_questions(
        fresh_store, tmp_path, monkeypatch):
    """Registered only here, the demo view applies by its value set and shows its measures (with
    the target for the person's age), its table check, its module's own check counted from the
    medicine's start, and its question, all through the one engine."""
    rules = _load_rules()
    monkeypatch.setattr(summary_module, "REGISTRY", conditions.REGISTRY + (rules.SPEC,))
    found = {v.id: v for v in _summary(fresh_store, tmp_path).conditions}
    view = found["demo_hypertension"]
    assert view.title == "High blood pressure (demo)"
    measures = {m.id: m for m in view.measures}
    assert list(measures) == ["bp_systolic", "bp_diastolic", "egfr"]
    assert measures["bp_systolic"].target_high == 140 and measures["bp_systolic"].target_source  # under 80 [NG136]
    assert [p.value for p in measures["bp_systolic"].series] == [146, 152]
    checks = {c.id: c for c in view.checks}
    assert list(checks) == ["kidney_on_acei_arb", "bp"]  # the module's own checks first, then the table's
    assert checks["bp"].last_done == dt.date(2026, 9, 7) and checks["bp"].status == "ok"
    kidney = checks["kidney_on_acei_arb"]
    assert (kidney.last_done, kidney.status) == (None, "never")  # the eGFR of March is before ramipril
    assert kidney.note == "Counted from 10 June 2026, when the medicine started."
    assert [q.rule_id for q in view.questions] == ["demo_hypertension.bp_above_target"]
    assert view.questions[0].text.startswith("Your blood pressure on 7 September 2026 was 152 mmHg")
    assert view.questions[0].view == "demo_hypertension" and view.questions[0].sources


def test_without_registration_the_fixture_view_is_not_shown(fresh_store, tmp_path):
    """The project's registry does not hold the demo view: adding it touched no project file."""
    assert "demo_hypertension" not in conditions.BY_ID
    assert "demo_hypertension" not in {v.id for v in _summary(fresh_store, tmp_path).conditions}


def test_a_question_rule_the_table_names_but_the_module_lacks_stops_the_view_loading(tmp_path):
    """The table and the module must agree on the question rules: none is silently off."""
    folder = tmp_path / "demo_hypertension"
    shutil.copytree(FIXTURE, folder)
    table = folder / "views.csv"
    table.write_text(table.read_text().replace("ask_bp_above_target,", "ask_bp_above_target|ask_missing,"))
    rules = _load_rules()
    with pytest.raises(TableError, match="not in the module: ask_missing"):
        view_spec("demo_hypertension", ViewRules(build_measure=rules.build_measure,
                                                 questions=(rules.ask_bp_above_target,)), folder=folder)


def test_every_registered_view_comes_from_its_table_row():
    """Each view in the registry has its views.csv row: title and measures come from the table."""
    for spec in conditions.REGISTRY:
        row = view_row(spec.id)
        assert spec.title == row["title"] and "|".join(spec.measures) == row["measures"]
        assert [r.__name__ for r in spec.question_rules] == row["question_rules"].split("|")


def _view_modules_imported(path: Path) -> set[str]:
    """The conditions.* modules a file imports (`from conditions import x` and `from conditions.x import`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "conditions":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("conditions."):
            found.add(node.module.split(".")[1])
    return found


def test_no_view_reads_a_sibling_view():
    """A view's modules (its own and its *_rules/_checks/... parts) import no other view's:
    what two views share lives in a shared module (conditions/shared.py and the like)."""
    folder = Path(conditions.__file__).parent
    views = [spec.id for spec in conditions.REGISTRY]
    offenders = []
    for path in folder.glob("*.py"):
        own = next((v for v in views if path.stem == v or path.stem.startswith(f"{v}_")), None)
        for name in _view_modules_imported(path):
            other = next((v for v in views if name == v or name.startswith(f"{v}_")), None)
            if other and other != own and path.stem != "__init__":
                offenders.append(f"{path.name} imports {name}")
    assert not offenders, offenders
