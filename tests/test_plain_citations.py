"""Plain citations (issue 15, "Wording"): every table source key has a citation a person can read,
an unknown key fails when the tables are read, and no view, sheet or PDF that a patient, a carer or
the clinic screen sees holds an internal reference ("§", "clinical-reference", "[NG28 1.5.7]",
"(unverified)").

The records are every condition fixture pair (hand-made UK GP records), the demo records in
data/demo and the third-party Synthea and UK Core samples in ../shared/fhir-samples, each opened
as the patient, as every carer the record names, and on the clinic screen.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record import citations
from ltc_dashboard.record.tables import TableError, TerminologyError
from ltc_dashboard.summary.core import build_summary
from ltc_dashboard.summary.sheet import summary_markdown

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent.parent / "shared" / "clinical-reference.md"
SHARED = Path("/work/shared")
FIXTURES = ROOT / "tests" / "fixtures" / "conditions"
DEMO_TODAY = dt.date(2026, 11, 25)


def _reference() -> str:
    for folder in (REFERENCE.parent, SHARED):
        if (folder / "clinical-reference.md").exists():
            return (folder / "clinical-reference.md").read_text(encoding="utf-8")
    pytest.skip("the clinical reference is not beside the repository")


def _samples() -> Path:
    for folder in (ROOT.parent.parent / "shared" / "fhir-samples", SHARED / "fhir-samples"):
        if folder.exists():
            return folder
    pytest.skip("the FHIR samples are not beside the repository")


def internal_references(text: str) -> list[str]:
    """Every internal reference in text a person sees: the section sign, the reference's name,
    "(unverified)" in brackets, and any source key of sources.csv in square brackets."""
    found = [m.group(0) for m in re.finditer(r"§[\d.]*|clinical-reference|\(unverified\)|\[NG|\[SPS|\[QOF", text)]
    keys = "|".join(re.escape(k) for k in sorted(citations.keys(), key=len, reverse=True))
    found += [m.group(0) for m in re.finditer(rf"\[(?:{keys})[\] ]", text)]
    return found


# -- the table of sources ---------------------------------------------------------------------

def test_every_source_key_of_the_reference_has_a_plain_citation():
    """Each key §10 and §11 of the clinical reference cite ([NG28], [SPS-Li], [DUK-EOL] ...) is in sources.csv."""
    text = _reference()
    sources = text[text.index("## 10. Sources"):]
    named = {k for k in re.findall(r"\[([A-Za-z0-9][A-Za-z0-9-]*)\]", sources) if len(k) > 1} | {"KTT7"}
    assert {"NG3", "NG18", "NG203", "CG185", "DUK-EOL", "SPS-Li", "QOF-DM", "NDA", "R1"} <= named
    assert named - set(citations.keys()) == set()


def test_plain_reads_keys_and_recommendation_numbers_as_words():
    """A source's keys become citations, paragraph numbers become "recommendation(s)", notes go."""
    assert citations.plain("[NG28 1.5.7–1.5.8]") == "NICE guideline NG28, recommendations 1.5.7 to 1.5.8"
    assert citations.plain("[NG28 1.5.1]; type 1 adults [NG17]") == "NICE guideline NG28, recommendation 1.5.1; NICE guideline NG17"
    assert citations.plain("[SPS-Li]") == "Specialist Pharmacy Service: lithium monitoring"
    assert citations.plain("[QOF-DM] [NDA]") == "Quality and Outcomes Framework (diabetes); National Diabetes Audit"
    assert citations.plain("[BNF] clinical-reference §6.1 (range unverified)") == "British National Formulary (BNF)"
    assert citations.plain("[GreenBook 19] (unverified)") == "Immunisation against infectious disease (the Green Book), chapter 19"


def test_a_place_in_a_source_reads_as_words():
    """An edition year reads "(2015)", a place in lowercase words stays as written, a QOF code gets
    "indicator", and a place in a source without numbered places is refused."""
    assert citations.plain("[NG17 2015]") == "NICE guideline NG17 (2015)"
    assert citations.plain("[NG203 table 1]") == "NICE guideline NG203, table 1"
    assert citations.plain("[QOF-MH MH002]") == "Quality and Outcomes Framework (mental health), indicator MH002"
    with pytest.raises(TableError):
        citations.plain("[NDA 4]")


def test_unverified_is_a_separate_flag():
    """Whether a source marks something unverified is answered apart from its words."""
    assert citations.cite("[NG136] (wording unverified)") == ("NICE guideline NG136", True, "[NG136] (wording unverified)")
    assert citations.cite("[NG136 1.4.21]").unverified is False


def test_an_unknown_key_or_no_key_is_a_terminology_error():
    """A source naming a key sources.csv lacks, or no key at all, raises a TerminologyError."""
    with pytest.raises(TerminologyError, match=r"\[NG999\]"):
        citations.cite("[NG999 1.2]", "targets.csv x")
    with pytest.raises(TerminologyError, match="names no source key"):
        citations.cite("clinical-reference §4.2 (unverified)", "intervals.csv y")
    with pytest.raises(TerminologyError, match="gives a place"):
        citations.cite("[NDA 3.1]", "intervals.csv z")


def test_every_targets_and_intervals_row_cites_known_sources():
    """Every row of targets.csv and intervals.csv reads as plain citations with no internal reference."""
    from ltc_dashboard.record import due_rules

    rows = [*due_rules._targets(), *due_rules._intervals()]
    assert len(rows) > 50
    for row in rows:
        words = citations.plain(row.source)
        assert words and not internal_references(words), row.source


@pytest.mark.parametrize("table", ["targets.csv", "intervals.csv"])
def test_a_new_row_with_an_unknown_key_fails_when_the_table_is_read(table, tmp_path, monkeypatch):
    """A row added to targets.csv or intervals.csv with a key sources.csv lacks stops the table loading."""
    from ltc_dashboard.record import due_rules, tables

    for name in ("targets.csv", "intervals.csv", "sources.csv", "measures.csv"):
        shutil.copy(tables.TABLES / name, tmp_path / name)
    with (tmp_path / table).open("a", encoding="utf-8") as handle:
        handle.write(("hba1c_new,hba1c,diabetes,new,,48,mmol/mol,Aim,[XYZ-9],yes,target,48,yes,yes\n"
                      if table == "targets.csv" else
                      "new_check,diabetes,hba1c,365,30,,,[XYZ-9 1.1],yes,,,Every year\n"))
    monkeypatch.setattr(tables, "TABLES", tmp_path)
    loader = due_rules._targets if table == "targets.csv" else due_rules._intervals
    loader.cache_clear()
    citations.cite.cache_clear()
    try:
        with pytest.raises(TableError, match=r"\[XYZ-9\] is not in sources.csv"):
            loader()
    finally:
        monkeypatch.undo()
        loader.cache_clear()
        citations.cite.cache_clear()
    assert loader()  # the real table still loads


def test_plain_words_tidies_a_modules_own_text():
    """Free text keeps its words: pointers and bracketed "(unverified)" go, known keys become citations."""
    assert citations.plain_words("A lasting power of attorney is recorded (clinical-reference §3.3)") == (
        "A lasting power of attorney is recorded")
    assert citations.plain_words("No review in 12 months (clinical-reference §5.2, §5.3).") == "No review in 12 months."
    assert citations.plain_words("Often monthly (unverified)") == "Often monthly"
    assert citations.plain_words("Aim 0.6 to 0.8 ([SPS-Li]).") == "Aim 0.6 to 0.8 (Specialist Pharmacy Service: lithium monitoring)."
    assert citations.plain_words("Blood pressure in mm[Hg]") == "Blood pressure in mm[Hg]"


# -- every view of every record -----------------------------------------------------------------

def _strings(value, path=""):
    """Every string in a summary's JSON, with where it is; the `basis` fields (never shown) left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if "basis" not in key:
                yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def _viewers(store, patient_id: str) -> list[str]:
    carers = [r["id"] for r in store.of_type("RelatedPerson")
              if (r.get("patient") or {}).get("reference") == f"Patient/{patient_id}"]
    return ["patient", "clinic", *(f"proxy:RelatedPerson/{c}" for c in carers)]


def _leaks(store, today: dt.date, preferences: dict | None = None,
           chosen: tuple[str, ...] = ()) -> tuple[list[str], int, int]:
    """Internal references in every viewer's summary and sheet, and how many views and carers were seen."""
    leaks, views, carers = [], 0, 0
    for patient_id in store.patient_ids():
        for kind in _viewers(store, patient_id):
            visible = open_record(store, Viewer.parse(patient_id, kind), today)
            summary = build_summary(visible, preferences=preferences, chosen=chosen)
            views += len(summary.conditions)
            carers += kind.startswith("proxy") and bool(summary.conditions)
            for where, text in _strings(summary.model_dump(mode="json")):
                leaks += [f"{patient_id} {kind} {where}: {hit} in {text[:120]!r}" for hit in internal_references(text)]
            sheet = summary_markdown(summary)
            leaks += [f"{patient_id} {kind} sheet: {hit}" for hit in internal_references(sheet)]
    return leaks, views, carers


FIXTURE_CASES = sorted(p.parent for p in FIXTURES.glob("*/*/expected.json"))


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[f"{c.parent.name}/{c.name}" for c in FIXTURE_CASES])
def test_no_internal_reference_in_any_view_of_a_fixture(case, fresh_store):
    """The fixture's record, for the patient, its carers and the clinic screen, shows no internal reference."""
    expected = json.loads((case / "expected.json").read_text())
    assert not import_paths(fresh_store, [case / "input.json"]).rejected
    leaks, views, _ = _leaks(fresh_store, dt.date.fromisoformat(expected["today"]), expected.get("preferences"),
                             tuple(expected.get("chosen", ())))
    assert views >= (1 if expected.get("applies", True) else 0)
    assert leaks == []


def test_no_internal_reference_in_any_view_of_the_demo_records(export_store_template, tmp_path):
    """Every demo patient, each carer named in the demo and the clinic screen see no internal reference
    in the summary or the sheet, and carers do see condition views (the scan is not empty)."""
    from ltc_dashboard.store import Store

    path = tmp_path / "demo.db"
    shutil.copy(export_store_template, path)
    store = Store(path)
    try:
        leaks, views, carers = _leaks(store, DEMO_TODAY, {"eol_prompts": "yes"})
    finally:
        store.close()
    assert views >= 10 and carers >= 1
    assert leaks == []


@pytest.mark.parametrize("folder", ["synthea-r4", "ukcore-r4-xml"])
def test_no_internal_reference_in_any_view_of_the_shared_samples(folder, fresh_store):
    """The Synthea and UK Core sample records show no internal reference to any viewer."""
    report = import_paths(fresh_store, [_samples() / folder])
    assert fresh_store.patient_ids(), report
    leaks, views, _ = _leaks(fresh_store, DEMO_TODAY)
    assert views >= (6 if folder == "synthea-r4" else 0)
    assert leaks == []


def test_no_internal_reference_in_the_pdf_sheets(service, tmp_path):
    """The PDF sheet of every demo patient, as patient and clinic screen, holds no internal reference."""
    from test_exports_support import pdf_text, today, viewer

    for patient in ("dm-patient", "eol-patient", "dem-patient", "ra-patient", "mh-patient"):
        for kind in ("patient", "clinic"):
            text = " ".join(pdf_text(service.export(viewer(patient, kind), today(), "pdf").data, tmp_path).split())
            assert "Appointment preparation" in text
            assert internal_references(text) == [], (patient, kind)


from test_exports_support import export_store_template, service  # noqa: E402,F401  (fixtures)
