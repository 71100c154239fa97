"""The six Synthea sample patients mapped (`record.mapping.map_record`): split from
tests/test_models_mapping.py to keep each test file under 400 lines. The samples are third-party,
unchanged, at ../shared/fhir-samples/synthea-r4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ltc_dashboard.record.mapping import map_record

SYNTHEA = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "synthea-r4"


# The six Synthea sample patients ------------------------------------------------------------------

SYNTHEA_FILES = sorted(SYNTHEA.glob("*.json"))


def synthea_resources(path: Path) -> list[dict]:
    """A Synthea bundle's resources, with `urn:uuid:` references left as they are."""
    return [entry["resource"] for entry in json.loads(path.read_text())["entry"]]


@pytest.mark.skipif(not SYNTHEA_FILES, reason="shared Synthea samples not present")
@pytest.mark.parametrize("path", SYNTHEA_FILES, ids=lambda p: p.name.split("_")[0])
def test_synthea_bundles_map_with_hba1c_in_mmol_per_mol(path):
    """Each Synthea patient maps fully; every HbA1c (sent in %) ends up in mmol/mol, BP never swapped."""
    resources = synthea_resources(path)
    record = map_record(resources)
    assert not [e for e in record.other if e.problem], "no entry should be unreadable"
    sent = [r for r in resources if r["resourceType"] == "Observation"
            and any(c.get("code") == "4548-4" for c in r["code"]["coding"])]
    series = record.results_for("hba1c")
    assert len(series) == len(sent) > 0
    assert {r.unit for r in series} == {"mmol/mol"}
    assert all(r.original_unit == "%" for r in series)
    # Synthea's % values are sometimes implausibly low (2.9 %); the conversion is pinned, not the
    # data, and such a value is marked and kept out of every rule (clinical-reference §11.11).
    assert all(r.value == pytest.approx((r.original_value - 2.15) * 10.929) for r in series)
    assert all((r.unit_problem is None) == (20 <= r.value <= 200) for r in series)
    assert all(r.unit_problem.startswith("Value outside the possible range") for r in series if r.unit_problem)
    systolic, diastolic = record.results_for("bp_systolic"), record.results_for("bp_diastolic")
    assert len(systolic) == len(diastolic) > 0
    pairs = {r.source_id: r.value for r in diastolic}
    assert all(r.value > pairs[r.source_id] for r in systolic)
    requests = [r for r in resources if r["resourceType"] == "MedicationRequest"]
    assert sum(len(m.ids) for m in record.medications) == len(requests)
    assert record.patient is not None and record.patient.name
