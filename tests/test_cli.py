"""The `ltc` command line: import reports and exit statuses, the patient list, and the summary's
documented JSON contract. Inputs: the Synthea samples, the demo data and the hand-written file
fixtures in tests/fixtures/files (see its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ltc_dashboard.cli.main import main

FILES = Path(__file__).parent / "fixtures" / "files"
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_of_the_synthea_samples_rejects_nothing(capsys, db_path, sample_files):
    """All six Synthea bundles import with nothing rejected: exit 0 and counts per type."""
    code, out, err = run(capsys, "import", *sample_files, "--db", db_path)
    assert code == 0, err
    assert "rejected" not in err
    assert "Patient" in out and "Observation" in out


def test_import_reports_each_rejection_and_keeps_the_rest(capsys, db_path):
    """A file with bad entries exits 1, names file, position and reason for each, and imports the
    valid entries."""
    code, out, err = run(capsys, "import", FILES / "bundle_bad_entries.json", "--db", db_path)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("rejected:")]
    assert len(lines) >= 4
    assert all("bundle_bad_entries.json (entry " in line for line in lines)
    assert any("impossible date" in line for line in lines)
    assert any("missing subject" in line for line in lines)
    assert "Observation" in out  # the good siblings were imported


def test_import_with_nothing_importable_exits_2(capsys, db_path):
    """Invalid JSON and a non-FHIR file give exit 2 with a plain reason each."""
    code, _, err = run(capsys, "import", FILES / "invalid.json", FILES / "not_fhir.json", "--db", db_path)
    assert code == 2
    assert "invalid JSON at line" in err and "not a FHIR resource" in err


def test_missing_path_is_named(capsys, db_path):
    """A path that does not exist is named in the error and nothing else fails."""
    code, _, err = run(capsys, "import", "/no/such/file.json", FILES / "single_observation.json", "--db", db_path)
    assert code == 1
    assert "/no/such/file.json: no such file or folder" in err


def test_reimport_changes_nothing(capsys, db_path):
    """Importing the same file twice adds and replaces nothing, and the counts say so."""
    run(capsys, "import", DEMO / "diabetes.json", "--db", db_path)
    code, out, _ = run(capsys, "import", DEMO / "diabetes.json", "--db", db_path)
    assert code == 0
    rows = [line.split() for line in out.splitlines()[2:] if line.startswith("  ") and line.split()[1].isdigit()]
    assert rows and all(new == "0" and newer == "0" for _, _, new, newer, *_ in rows)
    observation = next(r for r in rows if r[0] == "Observation")
    # the amended cholesterol's version 1 is in the file too: it is older than what is stored
    assert observation[4:] == [str(int(observation[1]) - 1), "1"]


def test_patients_lists_id_name_birth_date_and_conditions(capsys, db_path):
    """`ltc patients` prints one tab-separated line per patient: id, name, birth date, conditions."""
    run(capsys, "import", DEMO / "diabetes.json", DEMO / "rheumatoid_arthritis.json", "--db", db_path)
    code, out, _ = run(capsys, "patients", "--db", db_path)
    assert code == 0
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert [r[0] for r in rows] == ["dm-patient", "ra-patient"]
    assert rows[0][1:3] == ["Rajesh Example", "1961-07-14"]
    assert "Type 2 diabetes mellitus" in rows[0][3] and "Rheumatoid arthritis" in rows[1][3]


def test_summary_json_follows_the_documented_contract(capsys, db_path):
    """`ltc summary --format json` holds every field the README documents, dates in ISO form."""
    run(capsys, "import", DEMO / "diabetes.json", "--db", db_path)
    code, out, _ = run(capsys, "summary", "--patient", "dm-patient", "--today", "2026-11-25",
                       "--format", "json", "--db", db_path)
    assert code == 0
    data = json.loads(out)
    assert {"patient", "viewer", "today", "record_starts", "conditions", "medications", "letters",
            "questions"} <= set(data)
    assert data["patient"] == {"id": "dm-patient", "name": "Rajesh Example", "birth_date": "1961-07-14"}
    assert data["viewer"] == {"kind": "patient", "id": None} and data["today"] == "2026-11-25"
    view = next(c for c in data["conditions"] if c["id"] == "diabetes")
    hba1c = next(m for m in view["measures"] if m["id"] == "hba1c")
    assert {"id", "name", "unit", "target", "target_source", "series"} <= set(hba1c)
    assert hba1c["unit"] == "mmol/mol" and hba1c["target_source"]
    assert {"date", "value", "flag"} <= set(hba1c["series"][0])
    assert {c["id"] for c in view["checks"]} >= {"hba1c", "bp", "cholesterol", "egfr", "acr", "bmi",
                                                 "smoking", "foot", "retinal"}
    assert all(c["status"] in ("ok", "due-soon", "overdue", "never") for c in view["checks"])
    assert {"name", "status", "last_issued"} <= set(data["medications"][0])
    assert {"date", "title"} <= set(data["letters"][0])
    assert all(q["source"] in ("suggested", "own") and q["reason"] for q in data["questions"])


def test_summary_as_a_proxy_and_as_markdown(capsys, db_path):
    """`--as proxy:RelatedPerson/ID` gives the carer's view; the Markdown sheet has its sections."""
    run(capsys, "import", DEMO / "dementia.json", "--db", db_path)
    code, out, _ = run(capsys, "summary", "--patient", "dem-patient", "--as", "proxy:RelatedPerson/dem-rp-daughter",
                       "--format", "json", "--db", db_path)
    assert code == 0
    data = json.loads(out)
    assert data["viewer"] == {"kind": "proxy", "id": "dem-rp-daughter"}
    assert "dem-doc-safeguarding-2024-02-12" not in out  # denied by the Consent (SDV)
    code, out, _ = run(capsys, "summary", "--patient", "dem-patient", "--format", "md", "--db", db_path)
    assert code == 0 and "## Questions to ask" in out and "## Dementia" in out


@pytest.mark.parametrize("argv, message", [
    (["--as", "doctor"], "Use patient, clinic or proxy:RelatedPerson/ID"),
    (["--today", "2026-02-30"], "--today must be a date"),
])
def test_summary_bad_options_get_a_clear_error(capsys, db_path, argv, message):
    """A bad viewer or day exits 2 with a message saying what is accepted."""
    run(capsys, "import", DEMO / "diabetes.json", "--db", db_path)
    code, _, err = run(capsys, "summary", "--patient", "dm-patient", *argv, "--db", db_path)
    assert code == 2 and message in err


def test_summary_of_an_unknown_patient_is_refused(capsys, db_path):
    """An id that is not in the store is refused with a pointer to `ltc patients`."""
    run(capsys, "import", DEMO / "diabetes.json", "--db", db_path)
    code, _, err = run(capsys, "summary", "--patient", "nobody", "--db", db_path)
    assert code == 2 and "ltc patients" in err
