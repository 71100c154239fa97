"""Values a rule cannot trust never feed a chart, check, count or question (issue 14,
clinical-reference §11.11): HbA1c in % in every spelling is converted; a unit that is missing,
unknown or does not fit its code, and a value outside what the measure can be, are listed with the
reason and kept out. Records are hand-made for issue 14 on the test builders of test_diabetes.py;
the report that started it was an HbA1c of 7.9 % read as 7.9 mmol/mol and turned into a question
about doses."""

from __future__ import annotations

from pathlib import Path

import pytest

from conditions.diabetes import SPEC
from test_diabetes import SCT, asked, condition, context, medicine

LOINC = "http://loinc.org"
IFCC = (SCT, "999791000000106")
DCCT = (SCT, "1019431000000105")
LOINC_PCT = (LOINC, "4548-4")


def hba1c(value: float, unit: str | None, code=IFCC, when: str = "2026-10-01", rid: str = "a1c") -> dict:
    quantity = {"value": value} | ({"unit": unit} if unit is not None else {})
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "code": {"coding": [{"system": code[0], "code": code[1]}]},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": when, "valueQuantity": quantity}


GLICLAZIDE = medicine("Gliclazide 80mg tablets", "2026-05-01", "2026-08-01", "2026-11-01")


@pytest.mark.parametrize("unit", ["%", "%{Hb}", "% of total Hb", "% Hb", "%{HbA1c}", "% DCCT", "percent"])
@pytest.mark.parametrize("code", [DCCT, LOINC_PCT], ids=["snomed-dcct", "loinc-4548-4"])
def test_every_percent_spelling_is_converted_to_mmol_per_mol(unit, code):
    """7.9 % in each spelling, on either DCCT-aligned code, is charted as 62.8 mmol/mol."""
    ctx = context(condition(), hba1c(7.9, unit, code))
    (result,) = ctx.record.results_for("hba1c", countable_only=True)
    assert result.unit == "mmol/mol" and result.unit_problem is None
    assert result.value == pytest.approx((7.9 - 2.15) * 10.929)


@pytest.mark.parametrize("value, unit, code, words", [
    (7.9, "%", IFCC, "Unit not recognised"),              # a % on an IFCC code: mislabelled
    (7.9, "%{Hb}", IFCC, "Unit not recognised"),
    (62, "mmol/mol", DCCT, "Unit not recognised"),        # mmol/mol on a DCCT (%) code
    (7.9, None, IFCC, "Unit not recognised"),             # no unit at all
    (7.9, "mg", IFCC, "Unit not recognised"),             # a unit that is not a unit of HbA1c
    (7.9, "mmol/mol", IFCC, "Value outside the possible range"),   # 7.9 mmol/mol cannot be
    (250, "mmol/mol", IFCC, "Value outside the possible range"),
    (2.9, "%", LOINC_PCT, "Value outside the possible range"),     # 8 mmol/mol once converted
])
def test_an_untrusted_hba1c_is_listed_with_why_and_used_nowhere(value, unit, code, words):
    """The value stays in the record's results with its reason, and is in no series, check,
    latest value or question, even where it would have given the low-HbA1c-on-gliclazide question."""
    ctx = context(condition(), hba1c(value, unit, code), *GLICLAZIDE)
    (listed,) = ctx.record.results_for("hba1c")
    assert listed.unit_problem.startswith(words)
    assert "not used in charts, checks or questions" in listed.unit_problem
    assert ctx.record.results_for("hba1c", countable_only=True) == []
    assert ctx.latest("hba1c") is None
    questions = asked(ctx)
    assert "diabetes.hba1c_low_hypo_medicine" not in questions
    assert not any(f"{value:g} mmol/mol" in text for text in questions.values())
    view = SPEC.view(ctx)
    assert [p for m in view.measures if m.id == "hba1c" for p in m.series] == []
    assert next(c for c in view.checks if c.id == "hba1c").last_done is None


def test_a_trusted_low_hba1c_on_gliclazide_still_asks():
    """The control: the same record with the HbA1c in mmol/mol on its own code asks the question."""
    ctx = context(condition(), hba1c(44, "mmol/mol"), *GLICLAZIDE)
    assert "diabetes.hba1c_low_hypo_medicine" in asked(ctx)


def test_an_untrusted_value_beside_trusted_ones_does_not_become_the_latest():
    """A newer untrusted HbA1c leaves the older trusted one as the latest and the only point."""
    ctx = context(condition(), hba1c(58, "mmol/mol", when="2026-06-01", rid="old"),
                  hba1c(7.9, "%", IFCC, when="2026-10-01", rid="new"))
    assert ctx.latest("hba1c").id == "old"
    assert [r.id for r in ctx.record.results_for("hba1c")] == ["old", "new"]  # both still listed


def test_the_same_result_from_two_sources_counts_once():
    """One HbA1c sent by the lab (mmol/mol) and by the hospital (%, equivalent) on one day, and a
    blood pressure visit recorded twice, give one point each; the rise question is unchanged."""
    from test_diabetes import bp

    twice = [hba1c(50, "mmol/mol", when="2026-03-01", rid="lab-mar"),
             hba1c(58, "mmol/mol", when="2026-09-01", rid="lab-sep"),
             hba1c((58 / 10.929) + 2.15, "%", DCCT, when="2026-09-01", rid="hosp-sep")]
    ctx = context(condition(), *twice, *bp("2026-09-01", 150, 95), *[
        dict(r, id=r["id"] + "-again") for r in bp("2026-09-01", 150, 95)])
    assert [r.id for r in ctx.record.results_for("hba1c", countable_only=True)] == ["lab-mar", "hosp-sep"]
    assert len(ctx.record.results_for("hba1c")) == 3  # the table still lists each
    assert len(ctx.record.results_for("bp_systolic", countable_only=True)) == 1
    assert "went from 50 to 58" in asked(ctx)["diabetes.hba1c_rise"]


def test_different_values_on_one_day_are_both_kept():
    """Two HbA1c results on one day with values that differ are both real results, both kept."""
    ctx = context(condition(), hba1c(50, "mmol/mol", rid="a"), hba1c(56, "mmol/mol", rid="b"))
    assert len(ctx.record.results_for("hba1c", countable_only=True)) == 2


UKCORE = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "ukcore-r4-xml"


@pytest.mark.skipif(not (UKCORE / "UKCore-Observation-24HourBloodPressure-Example.xml").exists(),
                    reason="shared UK Core examples not present")
def test_a_24_hour_blood_pressure_is_read_with_its_values_and_kept_apart_from_clinic_readings():
    """The UK Core 24-hour panel (314463006) gives its average systolic 102 and diastolic 84 as
    their own measures; no clinic reading is made of it, so the clinic blood pressure check and
    series are untouched (issue 14). Input: the UK Core example, read in place, its subject
    rewritten to the test's patient."""
    from connectors import fhir_xml

    panel = fhir_xml.parse((UKCORE / "UKCore-Observation-24HourBloodPressure-Example.xml").read_text())
    panel["subject"] = {"reference": "Patient/p"}
    ctx = context(condition(), panel)
    assert [(r.value, r.unit) for r in ctx.record.results_for("bp_24h_systolic", countable_only=True)] == [(102, "mm[Hg]")]
    assert [r.value for r in ctx.record.results_for("bp_24h_diastolic", countable_only=True)] == [84]
    assert ctx.record.results_for("bp_systolic") == [] and ctx.record.results_for("bp_diastolic") == []
    assert next(c for c in SPEC.view(ctx).checks if c.id == "bp").last_done is None


@pytest.mark.parametrize("code, display", [("722161008", "Diabetic retinal eye exam"),
                                           ("134395001", "Diabetic retinopathy screening")])
def test_a_diabetic_eye_exam_counts_as_eye_screening(code, display):
    """A Procedure coded as a diabetic eye exam (Synthea's code, or the one FHIR guides use) is the
    eye screening check done, never "never" (issue 14). Hand-made record."""
    exam = {"resourceType": "Procedure", "id": "eye", "status": "completed", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": SCT, "code": code}]},  # no words: the code alone must count
            "performedDateTime": "2026-05-01"}
    assert display  # (what the code means, for the reader)
    check = next(c for c in SPEC.view(context(condition(), exam)).checks if c.id == "retinal")
    assert check.last_done is not None and check.last_done.isoformat() == "2026-05-01"


@pytest.mark.parametrize("code", ["65568007", "59978006", "82302008", "449868002"])
def test_every_smoking_finding_records_smoking_status(code):
    """Cigarette, cigar, pipe and daily smokers each record the yearly smoking status (issue 14)."""
    finding = {"resourceType": "Observation", "id": "smoke", "status": "final", "subject": {"reference": "Patient/p"},
               "code": {"coding": [{"system": SCT, "code": code}]}, "effectiveDateTime": "2026-06-01"}
    check = next(c for c in SPEC.view(context(condition(), finding)).checks if c.id == "smoking")
    assert check.last_done is not None and check.last_done.isoformat() == "2026-06-01"


@pytest.mark.parametrize("codes, measures", [
    (("413606001", "413605002"), ("bp_home_systolic", "bp_home_diastolic")),
    (("314446007", "314461008"), ("bp_day_systolic", "bp_day_diastolic")),
])
def test_home_and_daytime_ambulatory_averages_are_kept_apart_from_clinic_readings(codes, measures):
    """A GP-recorded home or daytime ambulatory average is read with its value as its own measure,
    never as a clinic reading, so the clinic check is untouched (issue 14). Hand-made record."""
    readings = [{"resourceType": "Observation", "id": f"r{i}", "status": "final", "subject": {"reference": "Patient/p"},
                 "code": {"coding": [{"system": SCT, "code": code}]}, "effectiveDateTime": "2026-09-01",
                 "valueQuantity": {"value": value, "unit": "mmHg"}} for i, (code, value) in enumerate(zip(codes, (138, 86)))]
    ctx = context(condition(), *readings)
    assert [r.value for m in measures for r in ctx.record.results_for(m, countable_only=True)] == [138, 86]
    assert ctx.record.results_for("bp_systolic") == [] and ctx.record.results_for("bp_diastolic") == []
    assert next(c for c in SPEC.view(ctx).checks if c.id == "bp").last_done is None
