"""The benchmark's scale generator (bench/scale.py): the same bytes every time, about the size
asked for, and a record that imports whole and shows all five views. Nothing here is timed: the
figures come from `make bench`, never from the test suite."""

from __future__ import annotations

import collections
import hashlib
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TODAY

SCALE = ROOT / "bench" / "scale.py"


@pytest.fixture(scope="module")
def scale():
    """bench/scale.py as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    """The 2,500-resource record, written by the command line."""
    out = tmp_path_factory.mktemp("scale") / "scale-2500.json"
    subprocess.run([sys.executable, str(SCALE), "--size", "2500", "--out", str(out)], check=True)
    return out


def test_same_size_gives_the_same_bytes_in_any_process(small_file, tmp_path):
    """Two runs, with different hash seeds, write byte-identical files."""
    again = tmp_path / "again.json"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, str(SCALE), "--size", "2500", "--out", str(again)], check=True, env=env)
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(small_file.read_bytes()).digest()


@pytest.mark.parametrize("size", [2_500, 25_000])
def test_records_come_out_about_the_size_asked_for(scale, size):
    """The 2,500 and 25,000 records hold within 5% of that many resources, one patient each."""
    resources = scale.resources(size)
    assert abs(len(resources) - size) <= size * 0.05
    assert [r["id"] for r in resources if r["resourceType"] == "Patient"] == [scale.PATIENT_ID]
    keys = collections.Counter((r["resourceType"], r["id"]) for r in resources)
    assert max(keys.values()) == 1, "every (type, id) is unique"


def test_the_mix_of_types_holds_as_the_record_grows(scale):
    """Results, reports, prescriptions, consultations and letters keep their shares to within a
    tenth, up to the 100k record: `summary_growth` compares 25k with 100k, and a mix that drifts
    towards the dearest type (it did: medicine issues stopped growing above 25k, and Observations
    went from 57% to 67%) measures the generator, not the app."""
    def shares(size):
        counts = collections.Counter(r["resourceType"] for r in scale.resources(size))
        return {t: counts[t] / sum(counts.values()) for t in ("Observation", "DiagnosticReport",
                                                              "MedicationRequest", "Encounter",
                                                              "DocumentReference")}
    small = shares(2_500)
    for size in (25_000, 100_000):
        large = shares(size)
        for rtype, share in small.items():
            assert share > 0.02 and 0.9 < large[rtype] / share < 1.1, (size, rtype, share, large[rtype])


def test_the_record_imports_with_nothing_rejected(small_file, tmp_path):
    """Every entry of the Bundle is stored, none rejected, and letters are searchable by their text."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.store import Store

    entries = len(json.loads(small_file.read_text())["entry"])
    store = Store(tmp_path / "scale.db")
    report = import_paths(store, [small_file])
    assert report.rejected == []
    assert sum(report.counts.values()) == entries
    open_record(store, Viewer(kind="patient", patient_id="scale-patient"), TODAY)  # its first open indexes letters
    assert store.search_text("scale-patient", "methotrexate"), "letter text (inline and Binary) is indexed"
    store.close()


def test_the_record_shows_all_five_views_and_hides_what_it_should(small_file, tmp_path):
    """The patient sees diabetes, end of life, dementia, arthritis and mental health views; the
    clinic screen loses the PSY-labelled entries and the gate drops the NOPAT letters."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store

    store = Store(tmp_path / "scale.db")
    import_paths(store, [small_file])
    service = Service(store)
    patient = Viewer(kind="patient", patient_id="scale-patient")
    summary = service.summary(patient, TODAY)
    assert [c.id for c in summary.conditions] == [
        "diabetes", "end_of_life", "dementia", "inflammatory_arthritis", "mental_health"]
    assert summary.medications and summary.letters
    raw = store.resources_for("scale-patient")
    seen = {r["id"] for r in open_record(store, patient, TODAY).resources}
    clinic = {r["id"] for r in open_record(store, Viewer(kind="clinic", patient_id="scale-patient"), TODAY).resources}
    labelled = lambda code: {r["id"] for r in raw if code in json.dumps(r.get("meta", {}).get("security", []))}
    assert labelled("NOPAT") and not labelled("NOPAT") & seen
    assert labelled("PSY") - labelled("NOPAT") <= seen and not labelled("PSY") & clinic
    store.close()
