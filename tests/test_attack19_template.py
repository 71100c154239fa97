"""Attack 19t: the one-template refactor of the condition views (merge "Merge branch 'template19'",
c5a0924) left the summary unchanged, checked on records nobody here wrote.

An outside tester built `service.summary` as JSON, today frozen at 2026-11-25, on the merge's first
parent (2fbbb21, the code before the template) and on the merge and on main, for every patient in
the six Synthea R4 bundles and the UK Core R4 XML examples (../shared/fhir-samples, all at once and
one file at a time), the issue-15 records (tests/situation_examples.py, and 240 drawn from
tests/situation_records.py `cases`, derandomised), and tests/hostile_record.py; as the patient, the
clinic screen and every carer named in the record; with the viewer's own views and with all five
views asked for. 1,584 summaries for 268 record/patient pairs: the JSON was byte-for-byte the same.

This test keeps a few of them. BEFORE holds the check ids, measure ids and question rule ids of
each view exactly as the before-code (2fbbb21) produced them, all views asked for; they are values
recorded from that code, not from the code under test, so a template change that drops, adds or
reorders a check, a measure or a question on these records fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import hostile_record
import situation_examples as examples
from conditions import BY_ID
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.service.core import Service
from situation_records import bundle, carer
from ltc_dashboard.store import Store

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "fhir-samples"
ALL_VIEWS = tuple(sorted(BY_ID))


def _synthea(folder: Path) -> list[Path]:
    """Third-party Synthea R4 bundle (US-coded, unchanged): Isaiah Schaden, type 2 diabetes."""
    return sorted((SAMPLES / "synthea-r4").glob("Isaiah_Schaden_*.json"))


def _ukcore(folder: Path) -> list[Path]:
    """Every HL7 UK Core R4 XML example, imported together as one practice's record set."""
    return sorted((SAMPLES / "ukcore-r4-xml").glob("*.xml"))


def _example(name: str):
    """An issue-15 hand-made record (tests/situation_examples.py) with its carer and Consent
    (tests/situation_records.py `carer`), written as one Bundle file."""
    def write(folder: Path) -> list[Path]:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(bundle([*getattr(examples, name)(), *carer()], name)))
        return [path]
    return write


def _hostile(folder: Path) -> list[Path]:
    """The hostile-text record of issue 13 (tests/hostile_record.py), its carer consented."""
    path = folder / "hostile.json"
    path.write_text(json.dumps(hostile_record.bundle(TODAY)))
    return [path]


RECORDS = {  # name -> (files to import, patient id)
    "synthea": (_synthea, "0e61c3ad-d11e-4080-a6aa-cac89cae4e37"),
    "ukcore": (_ukcore, "UKCore-Patient-RichardSmith-Example"),
    "lithium_dose_raised_20_october": (_example("lithium_dose_raised_20_october"), "sit-person"),
    "methotrexate_with_leflunomide": (_example("methotrexate_with_leflunomide"), "sit-person"),
    "palliative_register_hba1c_rise": (_example("palliative_register_hba1c_rise"), "sit-person"),
    "hostile": (_hostile, hostile_record.PID),
}

# Recorded from the before-code (2fbbb21, the first parent of the template merge) with all views
# asked for: {view id: (check ids, measure ids, question rule ids)}, in the order it gave them.
BEFORE = {
    ('synthea', 'patient'): {
        'diabetes': (
            ('hba1c', 'bp', 'cholesterol', 'egfr', 'acr', 'bmi', 'smoking', 'foot', 'retinal'),
            ('hba1c', 'bp_systolic', 'bp_diastolic', 'cholesterol', 'ldl', 'egfr', 'acr', 'bmi', 'glucose'),
            ('diabetes.egfr_fall', 'diabetes.acr_raised', 'diabetes.bp_above_target', 'diabetes.care_processes'),
        ),
        'end_of_life': (
            (),
            (),
            (),
        ),
        'dementia': (
            ('care_plan_review', 'medication_review'),
            (),
            ('dementia.care_plan_review', 'dementia.plan_ahead'),
        ),
        'inflammatory_arthritis': (
            (),
            ('das28', 'wcc', 'platelets', 'mcv', 'egfr', 'creatinine'),
            (),
        ),
        'mental_health': (
            (),
            ('egfr', 'calcium', 'weight', 'bmi'),
            (),
        ),
    },
    ('ukcore', 'clinic'): {
        'diabetes': (
            ('hba1c', 'bp', 'cholesterol', 'egfr', 'acr', 'bmi', 'smoking', 'foot', 'retinal'),
            ('hba1c', 'bp_systolic', 'bp_diastolic', 'bmi'),
            ('diabetes.care_processes',),
        ),
        'end_of_life': (
            (),
            (),
            (),
        ),
        'dementia': (
            ('care_plan_review', 'medication_review'),
            (),
            ('dementia.care_plan_review', 'dementia.plan_ahead'),
        ),
        'inflammatory_arthritis': (
            (),
            ('das28',),
            (),
        ),
        'mental_health': (
            (),
            ('weight', 'bmi'),
            (),
        ),
    },
    ('ukcore', 'proxy:RelatedPerson/UKCore-RelatedPerson-JoySmith-Example'): {
    },
    ('lithium_dose_raised_20_october', 'patient'): {
        'diabetes': (
            ('hba1c', 'bp', 'cholesterol', 'egfr', 'acr', 'bmi', 'smoking', 'foot', 'retinal'),
            ('hba1c', 'bp_systolic', 'bp_diastolic', 'egfr'),
            ('diabetes.care_processes',),
        ),
        'end_of_life': (
            (),
            (),
            (),
        ),
        'dementia': (
            ('care_plan_review', 'medication_review'),
            (),
            ('dementia.care_plan_review', 'dementia.plan_ahead'),
        ),
        'inflammatory_arthritis': (
            (),
            ('das28', 'egfr', 'creatinine'),
            (),
        ),
        'mental_health': (
            ('lithium', 'lithium_renal', 'lithium_thyroid', 'lithium_calcium', 'lithium_weight',
             'smi_physical_check', 'care_plan_review'),
            ('lithium', 'egfr', 'tsh', 'calcium', 'weight'),
            ('mental_health.lithium_bloods_overdue', 'mental_health.smi_check_missing'),
        ),
    },
    ('methotrexate_with_leflunomide', 'clinic'): {
        'diabetes': (
            ('hba1c', 'bp', 'cholesterol', 'egfr', 'acr', 'bmi', 'smoking', 'foot', 'retinal'),
            ('hba1c', 'bp_systolic', 'bp_diastolic', 'egfr'),
            ('diabetes.care_processes',),
        ),
        'end_of_life': (
            (),
            (),
            (),
        ),
        'dementia': (
            ('care_plan_review', 'medication_review'),
            (),
            ('dementia.care_plan_review', 'dementia.plan_ahead'),
        ),
        'inflammatory_arthritis': (
            ('dmard_bloods', 'ra_annual_review'),
            ('das28', 'wcc', 'neutrophils', 'platelets', 'mcv', 'alt', 'albumin', 'egfr', 'creatinine'),
            ('inflammatory_arthritis.dmard_bloods_overdue', 'inflammatory_arthritis.annual_review'),
        ),
        'mental_health': (
            (),
            ('egfr', 'weight'),
            (),
        ),
    },
    ('palliative_register_hba1c_rise', 'proxy:RelatedPerson/sit-carer'): {
        'diabetes': (
            ('hba1c', 'bp', 'cholesterol', 'egfr', 'acr', 'bmi', 'smoking', 'foot', 'retinal'),
            ('hba1c', 'bp_systolic', 'bp_diastolic', 'cholesterol'),
            (),
        ),
        'end_of_life': (
            (),
            (),
            (),
        ),
        'dementia': (
            ('care_plan_review', 'medication_review'),
            (),
            ('dementia.care_plan_review', 'dementia.plan_ahead'),
        ),
        'inflammatory_arthritis': (
            (),
            ('das28',),
            (),
        ),
        'mental_health': (
            (),
            (),
            (),
        ),
    },
    ('hostile', 'proxy:RelatedPerson/hz-carer'): {
        'diabetes': (
            ('hba1c', 'bp', 'cholesterol', 'egfr', 'acr', 'bmi', 'smoking', 'foot', 'retinal'),
            ('hba1c', 'bp_systolic', 'bp_diastolic'),
            ('diabetes.hba1c_rise', 'diabetes.care_processes'),
        ),
        'end_of_life': (
            (),
            (),
            (),
        ),
        'dementia': (
            ('care_plan_review', 'medication_review'),
            (),
            ('dementia.care_plan_review', 'dementia.plan_ahead'),
        ),
        'inflammatory_arthritis': (
            (),
            ('das28',),
            (),
        ),
        'mental_health': (
            (),
            (),
            (),
        ),
    },
}


@pytest.mark.parametrize(("name", "who"), list(BEFORE))
def test_view_ids_as_before_the_template(tmp_path, name, who):
    write, patient_id = RECORDS[name]
    files = write(tmp_path)
    assert files, f"no input files for {name} (is ../shared/fhir-samples there?)"
    store = Store(tmp_path / "store.db")
    try:
        assert sum(import_paths(store, files).counts.values())
        summary = Service(store).summary(Viewer.parse(patient_id, who), TODAY, ALL_VIEWS)
        got = {view.id: (tuple(c.id for c in view.checks), tuple(m.id for m in view.measures),
                         tuple(q.rule_id for q in view.questions)) for view in summary.conditions}
    finally:
        store.close()
    assert got == BEFORE[(name, who)]
