"""Unit normalisation to UK units (ltc_dashboard/record/units.py)."""

from __future__ import annotations

import pytest

from ltc_dashboard.record import units as u

# clinical-reference §1.2 reference values: mmol/mol -> % DCCT.
HBA1C_TABLE = [(42, 6.0), (48, 6.5), (53, 7.0), (58, 7.5), (64, 8.0), (75, 9.0), (86, 10.0)]


@pytest.mark.parametrize(("ifcc", "pct"), HBA1C_TABLE)
def test_hba1c_ifcc_to_pct_matches_the_reference_table(ifcc, pct):
    """mmol/mol converts to the DCCT % the reference lists, to 1 decimal place."""
    assert round(u.hba1c_ifcc_to_pct(ifcc), 1) == pct


@pytest.mark.parametrize(("ifcc", "pct"), HBA1C_TABLE)
def test_hba1c_pct_to_ifcc_matches_the_reference_table(ifcc, pct):
    """DCCT % converts back to within 1 mmol/mol of the reference value."""
    assert abs(u.hba1c_pct_to_ifcc(pct) - ifcc) < 1


def test_hba1c_formula_is_the_master_equation():
    """IFCC = (DCCT - 2.15) x 10.929, and the two helpers invert each other."""
    assert u.hba1c_pct_to_ifcc(7.0) == pytest.approx((7.0 - 2.15) * 10.929)
    assert u.hba1c_ifcc_to_pct(u.hba1c_pct_to_ifcc(8.3)) == pytest.approx(8.3)


@pytest.mark.parametrize(("measure", "value", "unit", "expected"), [
    ("hba1c", 6.5, "%", (6.5 - 2.15) * 10.929),
    ("glucose", 100, "mg/dL", 100 / 18.016),
    ("creatinine", 1.0, "mg/dL", 88.42),
    ("cholesterol", 193.35, "mg/dL", 193.35 / 38.67),
    ("hdl", 50, "mg/dL", 50 / 38.67),
    ("ldl", 77.34, "mg/dL", 2.0),
    ("non_hdl", 100, "mg/dL", 100 / 38.67),
    ("triglycerides", 150, "mg/dL", 150 / 88.57),
    ("acr", 26.52, "mg/g", 3.0),
    ("haemoglobin", 13.5, "g/dL", 135),
    ("albumin", 4.2, "g/dL", 42),
    ("crp", 0.8, "mg/dL", 8),
    ("lithium", 0.7, "meq/L", 0.7),
    ("lithium", 0.7, "mEq/L", 0.7),
    ("wcc", 6.1, "10*3/uL", 6.1),
    ("height", 172, "cm", 1.72),
    ("egfr", 75, "mL/min", 75),
])
def test_each_conversion_gives_the_uk_unit_value(measure, value, unit, expected):
    """Each conversion in units.csv turns a non-UK value into the UK unit."""
    converted, uk_unit = u.normalise(measure, value, unit)
    assert converted == pytest.approx(expected)
    assert uk_unit == u.measure(measure).unit


@pytest.mark.parametrize(("measure", "unit"), [
    ("creatinine", "umol/L"), ("creatinine", "µmol/L"), ("creatinine", "μmol/L"),
    ("creatinine", "micromol/L"), ("egfr", "mL/min/{1.73_m2}"), ("egfr", "mL/min/1.73m2"),
    ("egfr", "mL/min/1.73 m²"), ("bmi", "kg/m2"), ("bmi", "kg/m²"), ("bp_systolic", "mmHg"),
    ("bp_systolic", "mm[Hg]"), ("phq9", "{score}"), ("phq9", "score"), ("hba1c", "mmol/mol"),
    ("glucose", "mmol/l"), ("tsh", "mU/L"), ("alt", "IU/L"), ("pulse", "beats/min"),
])
def test_unit_spellings_are_recognised_without_changing_the_value(measure, unit):
    """Aliases of the UK unit leave the value exactly as it was."""
    assert u.normalise(measure, 12.5, unit) == (12.5, u.measure(measure).unit)


def test_unknown_unit_raises_naming_the_measure_and_unit_but_not_the_value():
    """An unconvertible unit raises UnitError naming measure and unit, never the patient's value."""
    with pytest.raises(u.UnitError) as caught:
        u.normalise("hba1c", 123.456, "furlongs")
    message = str(caught.value)
    assert "hba1c" in message and "furlongs" in message and "123.456" not in message


def test_a_unit_for_another_measure_is_not_borrowed():
    """A conversion belongs to one measure: % means nothing for cholesterol."""
    with pytest.raises(u.UnitError):
        u.normalise("cholesterol", 5.0, "%")


def test_missing_unit_is_accepted_only_for_scores():
    """A blank unit is fine for a questionnaire score and an error for a lab value."""
    assert u.normalise("mmse", 24, None) == (24.0, "{score}")
    assert u.normalise("gad7", 9, "") == (9.0, "{score}")
    with pytest.raises(u.UnitError):
        u.normalise("hba1c", 48, None)


def test_unknown_measure_raises_unit_error():
    """Normalising for a measure id that does not exist raises UnitError."""
    with pytest.raises(u.UnitError):
        u.normalise("blood_type", 1, "mmol/L")


def test_values_are_not_rounded():
    """normalise keeps full precision; rounding is for display only."""
    value, _ = u.normalise("glucose", 99, "mg/dL")
    assert value == 99 / 18.016 and round(value, 1) != value


def test_canonical_unit_of_unknown_spelling_is_returned_unchanged():
    """canonical_unit maps aliases and leaves units it does not know as they came."""
    assert u.canonical_unit("µmol/L") == "umol/L"
    assert u.canonical_unit(" parsecs ") == "parsecs"
    assert u.canonical_unit("  ") is None
