"""Outside attack on "one verdict per result that matches the target the page shows" (issue 18):
conditions/verdict.py, conditions/personal.py, conditions/base.measure_view, pages/charts.py,
pages/text.off_target, ltc_dashboard/summary/sheet.py.

Each test builds FHIR R4 records nobody in the change wrote and asks the app's own entry points
(the diabetes view's measure builder, the chart's rows and sentence, the sheet's latest line, the
overview's off-target side) whether every place says one thing. Record shapes: Goal.target
detailQuantity/detailRange and Quantity.comparator as in the FHIR R4 Goal and Quantity pages
(R5 adds the comparator "ad"), Goal.lifecycleStatus values from the R4 value set, Observation
interpretation from v2 table 0078 and v3 ObservationInterpretation, HbA1c in DCCT % and IFCC
mmol/mol with the unit spellings of data/terminology/aliases.csv and UCUM, a lithium level on
LOINC 14334-7 (valuesets.csv) with a bipolar disorder Condition (SNOMED 13746004). The pregnancy code is
SNOMED 77386006 as in tests/situation_records.py; the end-of-life register flag is SNOMED
526631000000108 as there. Nothing here is real patient data.

Tests marked xfail(strict) are breaks found by this attack: a fix flips them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions import verdict
from conditions.base import Context
from conditions.diabetes import SPEC
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.summary import sheet
from pages import charts, text

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
HBA1C = (SCT, "999791000000106")  # IFCC, mmol/mol (code_units.csv)
HBA1C_PERCENT = ("http://loinc.org", "4548-4")  # DCCT, % (code_units.csv)
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V2 = "http://terminology.hl7.org/CodeSystem/v2-0078"


def _patient(birth: str = "1960-01-01", gender: str = "male") -> dict:
    return {"resourceType": "Patient", "id": "p", "birthDate": birth, "gender": gender,
            "name": [{"given": ["Ann"], "family": "Example"}]}


def _condition(rid: str, code: str, display: str, onset: str = "2015-01-01") -> dict:
    return {"resourceType": "Condition", "id": rid, "subject": {"reference": "Patient/p"}, "onsetDateTime": onset,
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": SCT, "code": code, "display": display}]}}


def _diabetes() -> dict:
    return _condition("c", "44054006", "Type 2 diabetes mellitus")


def _hba1c(rid: str, when: str, quantity: dict | None = None, code: tuple = HBA1C, **extra) -> dict:
    found = {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": "Patient/p"},
             "effectiveDateTime": when, "code": {"coding": [{"system": code[0], "code": code[1]}]}, **extra}
    if quantity is not None:
        found["valueQuantity"] = quantity
    return found


def _goal(gid: str = "g", status: str | None = "active", start: str = "2025-01-01", quantity: dict | None = None,
          low: dict | None = None, high: dict | None = None, measure: tuple = HBA1C) -> dict:
    target: dict = {"measure": {"coding": [{"system": measure[0], "code": measure[1]}]}}
    if quantity is not None:
        target["detailQuantity"] = quantity
    if low is not None or high is not None:
        target["detailRange"] = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    goal = {"resourceType": "Goal", "id": gid, "startDate": start, "description": {"text": "Agreed with the nurse"},
            "subject": {"reference": "Patient/p"}, "target": [target]}
    if status is not None:
        goal["lifecycleStatus"] = status
    return goal


def _measure(*resources, patient: dict | None = None):
    ctx = Context(record=map_record([patient or _patient(), _diabetes(), *resources]), today=TODAY)
    return SPEC.build_measure(ctx, "hba1c")


def _everywhere(measure) -> list[str]:
    """How the latest result is judged in each place that says it: the table, the sheet, the
    overview (off_target: "above"/"below"/None), the chart's sentence."""
    row = charts.series_rows(measure)[0]  # newest first
    return [row["How it compares"], sheet._latest(measure)[0], str(text.off_target(measure)), charts.describe(measure)]


# -- a Goal's comparator: the words shown must hold the verdict -----------------------------------

@pytest.mark.parametrize(("comparator", "bound", "result"), [("<", 53, 53), (">", 40, 40)])
def test_a_goal_with_a_strict_comparator_is_shown_as_it_is_judged(comparator, bound, result):
    """A Goal 'detailQuantity {comparator: "<", value: 53}' (R4 Quantity.comparator) and an HbA1c
    of exactly 53: the page must not show the target "53 mmol/mol or below" and then call 53
    "above the target" (the chart's sentence would read "latest 53, above your personal target of
    53"). Either 53 is within what the page shows, or the page shows "below 53"."""
    measure = _measure(_goal(quantity={"value": bound, "comparator": comparator, "unit": "mmol/mol"}),
                       _hba1c("o1", "2026-10-12", {"value": result, "unit": "mmol/mol"}))
    said = verdict.words(measure, measure.series[-1])
    shown_inclusive = ("or below" in measure.target) or ("or above" in measure.target)
    assert not (shown_inclusive and said != "within the target"), (measure.target, _everywhere(measure))


@pytest.mark.parametrize(("comparator", "result", "said"), [("<=", 53, "within the target"), (None, 53, "within the target"),
                                                             (None, 54, "above the target")])
def test_an_inclusive_goal_holds_its_bound(comparator, result, said):
    """A Goal "<=53" or a bare 53 holds 53 and not 54 in the table, the sheet and the overview."""
    quantity = {"value": 53, "unit": "mmol/mol", **({"comparator": comparator} if comparator else {})}
    measure = _measure(_goal(quantity=quantity), _hba1c("o1", "2026-10-12", {"value": result, "unit": "mmol/mol"}))
    table, sheet_line, side, _ = _everywhere(measure)
    assert measure.target == "53 mmol/mol or below"
    assert table == said and sheet_line.endswith(f"({said})")
    assert side == ("above" if said == "above the target" else "None")


# -- a Goal in DCCT % against a result in DCCT % ------------------------------------------------

@pytest.mark.parametrize("percent", [6.0, 7.0, 7.5, 8.5, 6.5, 8.0, 9.0])
def test_a_result_equal_to_a_percent_goal_is_within_it(percent):
    """A Goal "HbA1c {percent} %" (DCCT, as many older records hold it) and a result of exactly
    {percent} % on LOINC 4548-4: the person met the target they agreed, so every place says
    "within the target", never "above" (the table shows both as the same whole mmol/mol)."""
    measure = _measure(_goal(quantity={"value": percent, "unit": "%"}),
                       _hba1c("o1", "2026-10-12", {"value": percent, "unit": "%"}, code=HBA1C_PERCENT))
    table, sheet_line, side, _ = _everywhere(measure)
    assert (table, side) == ("within the target", "None"), (measure.target, sheet_line)


# -- comparators and unit spellings on the bound ----------------------------------------------------

def test_an_r5_comparator_the_rule_does_not_know_gets_no_verdict():
    """An R5-shaped valueQuantity {"comparator": "ad", "value": 60}: verdict.against_target says a
    comparator it does not know ("ad", "ap") gets no verdict; the mapped point must not lose it
    and be called "above the target" as if it were exactly 60."""
    measure = _measure(_hba1c("o1", "2026-10-12", {"value": 60, "unit": "mmol/mol", "comparator": "ad"}))
    (point,) = measure.series
    assert verdict.verdict(measure, point) == "none"


@pytest.mark.parametrize(("quantity", "said"), [
    ({"value": 48, "unit": "mmol/mol", "comparator": "<="}, "within the target"),
    ({"value": 48, "unit": "mmol/mol", "comparator": "<"}, "within the target"),
    ({"value": 48, "unit": "mmol/mol", "comparator": ">="}, ""),  # 48 or more: either side of "48 or below"
    ({"value": 48, "unit": "mmol/mol", "comparator": ">"}, "above the target"),
    ({"value": 30, "unit": "mmol/mol", "comparator": "<"}, "within the target"),
])
def test_a_comparator_on_the_guideline_bound_is_placed_only_when_certain(quantity, said):
    """End to end from valueQuantity.comparator against type 2's default "48 or below" (inclusive
    in targets.csv): "<=48" and "<48" are within, ">48" above, ">=48" cannot be placed."""
    measure = _measure(_hba1c("o1", "2026-10-12", quantity))
    assert measure.target_high == 48 and measure.target_high_inclusive
    assert charts.series_rows(measure)[0]["How it compares"] == said


@pytest.mark.parametrize("quantity", [
    {"value": 48, "unit": "mmol/mol"}, {"value": 48, "unit": "mmol/mol Hb"},
    {"value": 48, "system": UCUM, "code": "mmol/mol"}, {"value": 48, "unit": "mmol/mol ", "system": UCUM, "code": "mmol/mol"},
])
def test_every_unit_spelling_on_the_bound_is_within(quantity):
    """48 in every spelling the app accepts (display unit, "mmol/mol Hb", a UCUM code with no
    display) is within "48 or below", in the table, the sheet and the overview."""
    measure = _measure(_hba1c("o1", "2026-10-12", quantity))
    table, sheet_line, side, _ = _everywhere(measure)
    assert (table, side) == ("within the target", "None") and sheet_line.startswith("48 mmol/mol")


def test_a_ucum_annotation_the_app_does_not_read_is_never_judged():
    """"mmol/mol{Hb}" (a UCUM annotation; not in aliases.csv): fail closed, the result is not
    charted, so no verdict and no off-target line."""
    measure = _measure(_hba1c("o1", "2026-10-12", {"value": 90, "unit": "mmol/mol{Hb}", "system": UCUM, "code": "mmol/mol{Hb}"}))
    assert measure.series == [] and text.off_target(measure) is None


# -- which Goal sets the target ---------------------------------------------------------------------

@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "rejected", "completed", "proposed", "on-hold"])
def test_a_goal_not_in_force_never_sets_the_target(status):
    """A Goal of 58 with lifecycleStatus entered-in-error/cancelled/rejected/completed/proposed/
    on-hold: the guideline "48" stays, and 55 is "above the target" everywhere."""
    measure = _measure(_goal(status=status, quantity={"value": 58, "unit": "mmol/mol"}),
                       _hba1c("o1", "2026-10-12", {"value": 55, "unit": "mmol/mol"}))
    assert not measure.target_personal and measure.target_high == 48
    assert _everywhere(measure)[:3] == ["above the target", "55 mmol/mol (above the target)", "above"]


def test_a_goal_that_starts_in_the_future_does_not_set_todays_target():
    """An agreed Goal of 53 since 2025 and an active Goal of 58 whose startDate is 1 June 2027:
    today (25 November 2026) the target in force is 53, so 55 is above it."""
    measure = _measure(_goal(quantity={"value": 53, "unit": "mmol/mol"}),
                       _goal("g2", start="2027-06-01", quantity={"value": 58, "unit": "mmol/mol"}),
                       _hba1c("o1", "2026-10-12", {"value": 55, "unit": "mmol/mol"}))
    assert measure.target_high == 53


@pytest.mark.parametrize(("low", "high", "target", "results", "said"), [
    ({"value": 40, "unit": "mmol/mol"}, None, "40 mmol/mol or above", (39, 40), ["below the target", "within the target"]),
    (None, {"value": 50, "unit": "mmol/mol"}, "50 mmol/mol or below", (50, 51), ["within the target", "above the target"]),
])
def test_a_goal_range_with_one_end_is_judged_on_that_end(low, high, target, results, said):
    """A Goal detailRange with only low, or only high: the page shows that one end and judges by it."""
    measure = _measure(_goal(low=low, high=high), *[_hba1c(f"o{v}", f"2026-10-{10 + i}", {"value": v, "unit": "mmol/mol"})
                                                   for i, v in enumerate(results)])
    assert measure.target == target
    assert [r["How it compares"] for r in reversed(charts.series_rows(measure))] == said  # oldest first


@pytest.mark.parametrize(("order", "result"), [((0, 1), 45), ((1, 0), 60)])
def test_a_goal_with_two_targets_for_one_measure_must_meet_both(order, result):
    """R4 Goal.target is 0..*, and "when multiple targets are present for a single goal instance,
    all targets must be met": a Goal with targets ">=48 mmol/mol" and "<=58 mmol/mol" (in either
    order) is a range of 48 to 58, so 45 and 60 are outside it, never "within the target"."""
    goal = _goal(quantity={"value": 48, "comparator": ">=", "unit": "mmol/mol"})
    goal["target"].append({"measure": {"coding": [{"system": HBA1C[0], "code": HBA1C[1]}]},
                           "detailQuantity": {"value": 58, "comparator": "<=", "unit": "mmol/mol"}})
    goal["target"] = [goal["target"][i] for i in order]
    measure = _measure(goal, _hba1c("o1", "2026-10-12", {"value": result, "unit": "mmol/mol"}))
    assert charts.series_rows(measure)[0]["How it compares"] != "within the target", measure.target


def test_a_goal_for_another_measure_leaves_hba1c_alone():
    """A Goal on systolic blood pressure (LOINC 8480-6) of 140: the HbA1c keeps the guideline target."""
    measure = _measure(_goal(measure=("http://loinc.org", "8480-6"), quantity={"value": 140, "unit": "mm[Hg]"}),
                       _hba1c("o1", "2026-10-12", {"value": 50, "unit": "mmol/mol"}))
    assert not measure.target_personal and measure.target_high == 48


# -- the lab's flag beside the target ---------------------------------------------------------------

@pytest.mark.parametrize(("system", "code", "lab"), [(V2, "H", "above the lab's usual range"), (V2, "HH", "above the lab's usual range"),
                                                     (V3, "A", ""), (V3, "N", ""), (V3, "L", "below the lab's usual range")])
def test_an_interpretation_with_no_range_never_overrides_the_target(system, code, lab):
    """An HbA1c of 50 with only an interpretation (v2 0078 or v3 codes, no referenceRange): with the
    target "48 or below" every place says "above the target" whatever the lab code says; with no
    target shown the lab's words are the lab's ("A", abnormal, gives no side)."""
    measure = _measure(_hba1c("o1", "2026-10-12", {"value": 50, "unit": "mmol/mol"},
                              interpretation=[{"coding": [{"system": system, "code": code}]}]))
    assert _everywhere(measure)[:3] == ["above the target", "50 mmol/mol (above the target)", "above"]
    bare = measure.model_copy(update={"target": None, "target_low": None, "target_high": None})
    assert verdict.words(bare, bare.series[0]) == lab and text.off_target(bare) is None


# -- situations where the target differs ------------------------------------------------------------

def test_in_pregnancy_48_is_above_below_48_and_the_words_say_below():
    """A woman of 36 with type 2 diabetes and an active pregnancy (SNOMED 77386006): the target is
    "below 48 mmol/mol" [NG3]; 48 is above it everywhere, 47 within."""
    measure = _measure(_condition("preg", "77386006", "Pregnancy", "2026-07-01"),
                       _hba1c("o1", "2026-09-12", {"value": 47, "unit": "mmol/mol"}),
                       _hba1c("o2", "2026-10-12", {"value": 48, "unit": "mmol/mol"}), patient=_patient("1990-03-01", "female"))
    assert measure.target.startswith("below 48") or "below 48" in measure.target
    assert [r["How it compares"] for r in charts.series_rows(measure)] == ["above the target", "within the target"]  # newest first
    assert text.off_target(measure) == "above"


def test_at_the_end_of_life_no_target_is_shown_and_nothing_is_off_target():
    """On the end-of-life register (Flag, SNOMED 526631000000108) with no personal Goal: no target
    is shown, so an HbA1c of 80 the lab flags high reads only as the lab's, and the overview lists
    nothing as outside a target."""
    eol = {"resourceType": "Flag", "id": "f", "status": "active", "subject": {"reference": "Patient/p"},
           "period": {"start": "2026-06-01"}, "code": {"coding": [{"system": SCT, "code": "526631000000108"}]}}
    measure = _measure(eol, _hba1c("o1", "2026-10-12", {"value": 80, "unit": "mmol/mol"},
                                   interpretation=[{"coding": [{"system": V3, "code": "H"}]}]))
    assert measure.target is None
    assert _everywhere(measure)[:3] == ["above the lab's usual range", "80 mmol/mol (above the lab's usual range)", "None"]


# -- lithium: the note and the question beside the chart ---------------------------------------------

def _lithium_view(quantity: dict):
    """A person with bipolar disorder (SNOMED 13746004) and one lithium level (LOINC 14334-7,
    valuesets.csv lithium) on 1 October 2026, no personal range: the target shown is the usual
    range 0.4 to 1.0 mmol/L (targets.csv lithium_usual_range, inclusive both ends)."""
    from conditions import mental_health

    bipolar = _condition("bp", "13746004", "Bipolar disorder", "2010-01-01")
    level = {"resourceType": "Observation", "id": "li", "status": "final", "subject": {"reference": "Patient/p"},
             "effectiveDateTime": "2026-10-01", "code": {"coding": [{"system": "http://loinc.org", "code": "14334-7"}]},
             "valueQuantity": quantity}
    view = mental_health.SPEC.view(Context(record=map_record([_patient(), bipolar, level]), today=TODAY))
    return view, next(m for m in view.measures if m.id == "lithium")


@pytest.mark.parametrize(("comparator", "value", "side"), [(">", 1.0, "above"), ("<", 0.4, "below")])
def test_a_lithium_level_beyond_a_bound_is_outside_the_range_in_every_place(comparator, value, side):
    """A lithium level reported as ">1.0" (or "<0.4") mmol/L: the table says "{side} the target"
    and the overview lists it as {side}; the note under the chart must not say the same level is
    "within the usual range", and the question about a level outside the range is asked as it is
    for 1.1."""
    view, measure = _lithium_view({"value": value, "unit": "mmol/L", "comparator": comparator})
    assert charts.series_rows(measure)[0]["How it compares"] == f"{side} the target" and text.off_target(measure) == side
    assert "within the usual range" not in (measure.note or "")
    assert "mental_health.lithium_outside_range" in {q.rule_id for q in view.questions}


def test_a_lithium_level_on_the_usual_range_bound_is_within_everywhere():
    """1.0 mmol/L exactly (no comparator): within the inclusive usual range in the table, the
    overview, the note, and no outside-the-range question."""
    view, measure = _lithium_view({"value": 1.0, "unit": "mmol/L"})
    assert charts.series_rows(measure)[0]["How it compares"] == "within the target" and text.off_target(measure) is None
    assert "within the usual range" in measure.note
    assert "mental_health.lithium_outside_range" not in {q.rule_id for q in view.questions}


# -- the sheet's latest line ---------------------------------------------------------------------------

def test_the_sheet_never_puts_a_unit_after_words():
    """The latest HbA1c is valueString "sample haemolysed" (no number; an earlier 60 is above the
    target): the sheet's latest line shows the words as the lab wrote them, with no unit after them."""
    words = _hba1c("o2", "2026-11-01")
    words["valueString"] = "sample haemolysed"
    measure = _measure(_hba1c("o1", "2026-10-12", {"value": 60, "unit": "mmol/mol"}), words)
    assert "haemolysed mmol/mol" not in sheet._latest(measure)[0]


def test_a_result_on_an_excluded_bound_is_not_worded_as_above_itself():
    """In pregnancy the target is "below 48 mmol/mol" [NG3]; an HbA1c of exactly 48 is outside it.
    The chart's sentence must say so in words that hold ("not below 48", "at or above 48"), never
    that 48 is "above" a target "of 48"."""
    measure = _measure(_condition("preg", "77386006", "Pregnancy", "2026-07-01"),
                       _hba1c("o1", "2026-10-12", {"value": 48, "unit": "mmol/mol"}), patient=_patient("1990-03-01", "female"))
    sentence = charts.describe(measure)
    assert "latest 48 mmol/mol" in sentence
    assert "above your target of 48 mmol/mol" not in sentence
