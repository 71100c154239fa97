"""The terminology tables and their loader (ltc_dashboard/record/terminology.py)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from ltc_dashboard.record import tables
from ltc_dashboard.record import terminology as t
from ltc_dashboard.record.units import normalise

TABLES = tables.TABLES  # data/terminology/
ARCHITECTURE = TABLES.parent.parent / "docs" / "ARCHITECTURE.md"
SYNTHEA = TABLES.parent.parent.parent / "shared" / "fhir-samples" / "synthea-r4"
CSV_FILES = sorted(p.name for p in TABLES.glob("*.csv"))


def _rows(name: str) -> list[dict[str, str]]:
    with (TABLES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _synthea_bundle() -> dict:
    files = sorted(SYNTHEA.glob("Almeda_Conn_*.json"))
    if not files:
        pytest.skip("shared Synthea samples are not present")
    return json.loads(files[0].read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CSV_FILES)
def test_every_row_has_a_source_and_a_yes_no_verified(name):
    """Every row of every table names its source and says yes or no to verified."""
    rows = _rows(name)
    assert rows, f"{name} is empty"
    for number, row in enumerate(rows, start=2):
        assert None not in row, f"{name} line {number} has extra fields"
        assert (row.get("source") or "").strip(), f"{name} line {number} has no source"
        assert row.get("verified") in ("yes", "no"), f"{name} line {number} verified={row.get('verified')!r}"


def test_all_expected_tables_exist():
    """The nine tables the README describes are all present."""
    expected = {"valuesets.csv", "measures.csv", "units.csv", "aliases.csv", "targets.csv",
                "intervals.csv", "medicines.csv", "glossary.csv", "sensitivity.csv"}
    assert expected <= set(CSV_FILES)


def test_loaders_parse_every_table():
    """Each loader reads its table into typed values without error."""
    assert t.valueset_ids() and t.measures() and t.glossary()
    assert all(isinstance(i, t.Interval) for i in t.intervals())
    assert all(isinstance(x, t.Target) for m in t.measures() for x in t.targets(m))
    assert t.medicine_classes(text="metformin") and t.hidden_labels("clinic")


def test_measure_ids_and_units_are_those_in_the_architecture_contract():
    """measures.csv holds exactly the measure ids, with the units, that docs/ARCHITECTURE.md lists."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("### Measure ids", 1)[1].split("###", 1)[0]
    contract = {}
    for ids, unit in re.findall(r"((?:`\w+`,?\s*)+)\(([^)]+)\)", section):
        for measure_id in re.findall(r"`(\w+)`", ids):
            contract[measure_id] = unit.strip()
    # measures.csv is the one list (ltc_dashboard/record/measures.py, issue 19): the docs follow it, no count is written here
    assert contract and {m.id: m.unit for m in t.measures().values()} == contract


def test_measures_are_in_menu_order_starting_with_blood_sugar():
    """measures() keeps file order, so a menu starts with HbA1c and keeps categories together."""
    order = list(t.measures())
    assert order[:2] == ["hba1c", "glucose"]
    categories = [m.category for m in t.measures().values()]
    assert all(categories.index(c) == i or categories[i - 1] == c for i, c in enumerate(categories))


def test_every_measure_value_set_exists_and_can_match_something():
    """Each measure's value set exists and has at least one code or text rule."""
    for item in t.measures().values():
        assert t.valueset(item.valueset) or t.text_rules(item.valueset), item.id


def test_no_code_belongs_to_two_measures():
    """A coding can only ever map to one measure."""
    seen: dict[tuple[str, str], str] = {}
    for item in t.measures().values():
        for pair in t.valueset(item.valueset):
            assert pair not in seen, f"{pair} is in both {seen[pair]} and {item.id}"
            seen[pair] = item.id


def test_every_interval_names_existing_value_sets_and_parts():
    """Evidence and declined value sets exist, and parts name checks of the same condition."""
    for rule in t.intervals():
        assert rule.evidence, rule.check
        for vs_id in (*rule.evidence, *rule.declined):
            t.valueset(vs_id)
        for part in rule.parts:
            t.interval(part, rule.condition)
        assert (rule.stricter_interval_days is None) or rule.stricter_when, rule.check


def test_interval_check_ids_cover_the_brief():
    """The due rules include every check the condition modules were promised."""
    checks = {rule.check for rule in t.intervals()}
    promised = {"hba1c", "bp", "cholesterol", "egfr", "acr", "bmi", "smoking", "foot", "retinal",
                "care_plan_review", "medication_review", "antipsychotic_review", "lithium",
                "lithium_renal", "lithium_thyroid", "lithium_calcium", "dmard_bloods",
                "hcq_eye_screening", "ra_annual_review", "smi_physical_check", "eol_cpr_review"}
    assert promised <= checks


def test_targets_use_their_measure_unit():
    """Every target is stated in the UK unit of the measure it belongs to."""
    for row in _rows("targets.csv"):
        assert row["unit"] == t.measure(row["measure"]).unit, row["id"]


def _verified(name: str, **match: str) -> list[str]:
    rows = [r for r in _rows(name) if all(r[k] == v for k, v in match.items())]
    assert rows, f"no row in {name} matches {match}"
    return [r["verified"] for r in rows]


UNVERIFIED = [
    ("targets.csv", {"id": "hba1c_qof_not_frail"}),  # QOF DM020 58
    ("targets.csv", {"id": "hba1c_qof_frail"}),  # QOF DM021 75
    ("intervals.csv", {"check": "depression_review"}),  # DEP003
    ("targets.csv", {"id": "bp_systolic_under_80"}),  # NG136 <140/90 wording
    ("targets.csv", {"id": "bp_diastolic_under_80"}),
    ("targets.csv", {"id": "bp_systolic_type1"}),  # NG17 BP currency
    ("targets.csv", {"id": "bp_systolic_type1_albuminuria"}),
    ("targets.csv", {"id": "non_hdl_primary_prevention"}),  # >40 % reduction
    ("valuesets.csv", {"valueset": "non_hdl", "code": "70204-3"}),  # non-HDL code
    ("intervals.csv", {"check": "foot"}),  # foot-risk intervals
    ("intervals.csv", {"check": "foot_high_risk"}),
    ("valuesets.csv", {"valueset": "foot_check"}),  # foot codes
    ("valuesets.csv", {"valueset": "foot_risk_high"}),
    ("units.csv", {"measure": "triglycerides"}),  # triglyceride factor
    ("valuesets.csv", {"code": "72106-8"}),
    ("valuesets.csv", {"code": "32294-1"}),
    ("valuesets.csv", {"code": "44260-8"}),
    ("valuesets.csv", {"code": "6690-2"}),  # "several lab LOINCs"
    ("valuesets.csv", {"code": "751-8"}),
    ("valuesets.csv", {"code": "1742-6"}),
    ("valuesets.csv", {"code": "4537-7"}),
    ("valuesets.csv", {"valueset": "sixcit"}),
    ("valuesets.csv", {"valueset": "das28"}),
    ("valuesets.csv", {"valueset": "esr", "system": t.SNOMED}),
    ("valuesets.csv", {"code": "999651000000107"}),  # UK CRP code
    ("valuesets.csv", {"valueset": "lithium", "system": "text"}),
    ("valuesets.csv", {"valueset": "lpa"}),
    ("valuesets.csv", {"valueset": "adrt"}),
    ("valuesets.csv", {"valueset": "preferred_place_home"}),
    ("valuesets.csv", {"valueset": "preferred_place_hospice"}),
    ("valuesets.csv", {"valueset": "preferred_place_hospital"}),
    ("intervals.csv", {"check": "antipsychotic_review"}),  # NG97 6 weeks
    ("intervals.csv", {"check": "eol_register_review"}),  # GSF monthly
    ("targets.csv", {"id": "lithium_usual_range"}),  # BNF 0.4-1.0
    ("valuesets.csv", {"valueset": "ndh", "code": "700449008"}),
    ("measures.csv", {"id": "egfr"}),  # exact UCUM string
]


@pytest.mark.parametrize(("name", "match"), UNVERIFIED)
def test_items_clinical_reference_calls_unverified_are_marked_no(name, match):
    """Items listed as unverified in clinical-reference §9 carry verified=no."""
    assert set(_verified(name, **match)) == {"no"}


def test_retinal_interval_is_yearly_not_the_unverified_two_years():
    """The retinal check uses the verified 12-month interval, not the unverified 24-month one."""
    assert t.interval("retinal", "diabetes").interval_days == 365


def test_codings_of_accepts_concepts_codings_lists_and_none():
    """codings_of reads a CodeableConcept, a Coding, a list of either, and None."""
    coding = {"system": t.SNOMED, "code": 44054006}
    concept = {"coding": [coding, {"system": t.LOINC, "code": "4548-4"}], "text": "x"}
    assert t.codings_of(None) == []
    assert t.codings_of(coding) == [(t.SNOMED, "44054006")]
    assert t.codings_of(concept) == [(t.SNOMED, "44054006"), (t.LOINC, "4548-4")]
    assert t.codings_of([concept, coding]) == t.codings_of(concept) + [(t.SNOMED, "44054006")]
    assert t.codings_of({"text": "no codes"}) == []


@pytest.mark.parametrize("system", ["http://snomed.info/sct/83821000000107/version/20240101",
                                    "urn:oid:2.16.840.1.113883.6.96", " http://snomed.info/sct "])
def test_snomed_edition_uris_and_oid_count_as_snomed(system):
    """SNOMED edition URIs and the SNOMED OID match value sets written with the plain URI."""
    assert t.in_valueset("diabetes_type2", {"system": system, "code": "44054006"})


def test_unknown_value_set_raises_a_key_error_that_names_it():
    """Asking for a value set that does not exist raises KeyError with a plain message."""
    with pytest.raises(KeyError) as caught:
        t.valueset("no_such_set")
    assert "no_such_set" in str(caught.value) and "valuesets.csv" in str(caught.value)


def test_value_set_includes_expand():
    """A value set that includes others holds their codes (diabetes holds type 1 and type 2)."""
    assert t.valueset("diabetes_type1") | t.valueset("diabetes_type2") <= t.valueset("diabetes")


def test_text_rules_match_displays_but_not_declined_entries():
    """A display-text rule matches its phrase but not the same phrase with 'declined'."""
    assert t.in_valueset("retinal_screening", {"text": "Diabetic retinal screening"})
    assert not t.in_valueset("retinal_screening", {"text": "Retinal screening declined"})
    assert t.in_valueset("declined_retinal_screening", {"text": "Retinal screening declined"})
    assert t.in_valueset("foot_risk_high", {"coding": [{"display": "Diabetic foot - high risk"}]})
    assert not t.in_valueset("foot_risk_high", {"text": "High risk drinker"})


def test_synthea_hba1c_results_map_to_hba1c_in_mmol_per_mol():
    """Every HbA1c in a Synthea record maps to the hba1c measure and converts to 20-200 mmol/mol."""
    found = 0
    for entry in _synthea_bundle()["entry"]:
        resource = entry["resource"]
        codes = {c["code"] for c in resource.get("code", {}).get("coding", [])}
        if resource["resourceType"] != "Observation" or "4548-4" not in codes:
            continue
        assert t.measure_for(resource["code"]).id == "hba1c"
        quantity = resource["valueQuantity"]
        value, unit = normalise("hba1c", quantity["value"], quantity.get("code"))
        assert unit == "mmol/mol" and 20 <= value <= 200
        found += 1
    assert found >= 5


@pytest.mark.parametrize(("system", "code", "measure_id"), [
    (t.LOINC, "4548-4", "hba1c"), (t.LOINC, "33914-3", "egfr"), (t.LOINC, "2093-3", "cholesterol"),
    (t.LOINC, "2085-9", "hdl"), (t.LOINC, "18262-6", "ldl"), (t.LOINC, "2571-8", "triglycerides"),
    (t.LOINC, "14959-1", "acr"), (t.LOINC, "39156-5", "bmi"), (t.LOINC, "29463-7", "weight"),
    (t.LOINC, "8302-2", "height"), (t.LOINC, "8480-6", "bp_systolic"), (t.LOINC, "8462-4", "bp_diastolic"),
    (t.LOINC, "2339-0", "glucose"), (t.LOINC, "38483-4", "creatinine"), (t.SNOMED, "999791000000106", "hba1c"),
    (t.SNOMED, "1091811000000102", "bp_diastolic"), (t.SNOMED, "720433000", "phq9"),
])
def test_known_codes_map_to_the_right_measure(system, code, measure_id):
    """Synthea's LOINC codes and the UK SNOMED codes map to the expected measure."""
    assert t.measure_for({"coding": [{"system": system, "code": code}]}).id == measure_id


def test_blood_pressure_panel_code_is_not_a_measure():
    """The BP panel code maps to no measure: its components carry the values."""
    assert t.measure_for({"coding": [{"system": t.LOINC, "code": "55284-4"}]}) is None
    assert t.in_valueset("bp_panel", {"coding": [{"system": t.LOINC, "code": "55284-4"}]})


def test_synthea_conditions_are_in_the_diabetes_value_sets():
    """Synthea's diabetes and prediabetes codes fall into the type 2 and NDH value sets."""
    assert t.in_valueset("diabetes_type2", {"coding": [{"system": t.SNOMED, "code": "44054006"}]})
    assert t.in_valueset("ndh", {"coding": [{"system": t.SNOMED, "code": "15777000"}]})
    assert t.in_valueset("ckd", {"coding": [{"system": t.SNOMED, "code": "431855005"}]})


@pytest.mark.parametrize(("text", "expected"), [
    ("Gliclazide 80mg tablets", {"hypo_associated", "glucose_lowering", "sulfonylurea"}),
    ("Lithium carbonate 400mg modified-release tablets", {"lithium"}),
    ("Methotrexate 2.5mg tablets", {"dmard", "methotrexate"}),
    ("Metformin 500mg tablets", {"glucose_lowering", "metformin"}),
    ("Ramipril 5mg capsules", {"acei_arb", "acei"}),
    ("Atorvastatin 20mg tablets", {"statin"}),
    ("Donepezil 5mg tablets", {"anti_dementia"}),
    ("Haloperidol 5mg/1ml solution for injection ampoules", {"antipsychotic", "anticipatory"}),
    ("Haloperidol 500microgram tablets", {"antipsychotic"}),
    ("Sertraline 50mg tablets", {"antidepressant"}),
    ("BD Viva insulin pen needles 4mm", set()),
    ("Paracetamol 500mg tablets", set()),
])
def test_medicine_classes_from_dmd_names(text, expected):
    """dm+d-style medicine names fall into the expected classes, and only those."""
    assert t.medicine_classes(text=text) == expected


def test_synthea_insulin_is_hypoglycaemia_associated():
    """Synthea's RxNorm insulin is found by its text and by its code."""
    concept = {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "106892",
                           "display": "insulin human, isophane 70 UNT/ML / Regular Insulin, Human 30 UNT/ML"
                                      " Injectable Suspension [Humulin]"}]}
    assert "hypo_associated" in t.medicine_classes(concept)
    assert "hypo_associated" in t.medicine_classes({"coding": [{**concept["coding"][0], "display": ""}]})


def test_targets_filter_by_condition_and_bounds_behave():
    """targets() filters by condition (plus 'any'), and contains() honours open and closed bounds."""
    diabetes = {x.id for x in t.targets("hba1c", "diabetes")}
    assert {"hba1c_type2_default", "hba1c_type2_hypo_medicine", "hba1c_type1"} <= diabetes
    assert not t.targets("hba1c", "dementia")
    bands = {x.label: x for x in t.targets("egfr") if x.kind == "band"}
    assert bands["G3a"].contains(59.5) and not bands["G3a"].contains(60)
    das = {x.label: x for x in t.targets("das28") if x.kind == "band"}
    assert das["low"].contains(3.2) and not das["moderate"].contains(3.2)
    with pytest.raises(KeyError):
        t.targets("no_such_measure")


def test_default_rows_are_targets_never_bands_or_thresholds():
    """A lookup of the 'default' target can only ever return a target row."""
    rows = [x for m in t.measures() for x in t.targets(m) if x.applies_when == "default"]
    assert rows and all(x.kind == "target" for x in rows)
    assert all(x.kind in ("target", "band", "action", "audit", "range") for m in t.measures() for x in t.targets(m))


def test_hba1c_targets_carry_the_nice_sources():
    """The HbA1c 48 and 53 targets come from NICE NG28 and the type 1 target from NG17."""
    by_id = {x.id: x for x in t.targets("hba1c")}
    assert by_id["hba1c_type2_default"].high == 48 and "NG28" in by_id["hba1c_type2_default"].source
    assert by_id["hba1c_type2_hypo_medicine"].high == 53 and "NG28 1.5.7" in by_id["hba1c_type2_hypo_medicine"].source
    assert by_id["hba1c_type1"].high == 48 and "NG17" in by_id["hba1c_type1"].source


def test_interval_lookup_and_window():
    """interval() finds a check by condition, its window caps grace, and unknown checks raise."""
    rule = t.interval("hba1c", "diabetes")
    assert rule.window() == (183, 30) and rule.window(stricter=True) == (91, 22)
    assert t.interval("cholesterol", "mental_health").interval_days == 730
    assert t.interval("eol_cpr_review").once_only
    with pytest.raises(KeyError):
        t.interval("hba1c", "dementia")


def test_hidden_labels_depend_on_viewer():
    """NOPAT is hidden from everyone; PSY only from the clinic screen; unknown viewers raise."""
    nopat = ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "NOPAT")
    psy = ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PSY")
    assert nopat in t.hidden_labels("patient") and nopat in t.hidden_labels("proxy")
    assert psy not in t.hidden_labels("patient") and psy in t.hidden_labels("clinic")
    assert ("http://hl7.org/fhir/v3/ActCode", "NOPAT") in t.hidden_labels("patient")
    with pytest.raises(ValueError):
        t.hidden_labels("stranger")


def test_glossary_explains_common_letter_abbreviations():
    """The glossary has about 60 or more entries, including the usual dosing and team terms."""
    words = t.glossary()
    assert len(words) >= 60
    assert words["BD"] == "twice a day" and "resuscitation" in words["DNACPR"] and "CMHT" in words


def test_a_row_without_a_source_is_rejected(tmp_path, monkeypatch):
    """read_table refuses a row with no source, naming the file and line."""
    (tmp_path / "glossary.csv").write_text("abbreviation,meaning,source,verified\nBD,twice,,no\n",
                                           encoding="utf-8")
    from ltc_dashboard.record import tables

    monkeypatch.setattr(tables, "TABLES", tmp_path)
    with pytest.raises(t.TableError, match="glossary.csv line 2"):
        t.read_table("glossary.csv", ("abbreviation", "meaning"))


def test_one_medicine_class_answers_as_all_of_them_do():
    """in_medicine_class(name, text) is `name in medicine_classes(text=text)` for every class and
    for each phrase of medicines.csv and words around them (it tests one class's rule alone)."""
    texts = ["", "insulin pen needles", "Humira 40mg injection", "adalimumab", "metformin", "lithium"]
    with open(Path(__file__).resolve().parent.parent / "data" / "terminology" / "medicines.csv") as f:
        texts += [row["match"] for row in csv.DictReader(f) if row["kind"] != "code"]
    classes = {row for row in t._medicine_rules()}
    assert "biologic" in classes
    for text in texts:
        every = t.medicine_classes(None, text=text)
        assert {name for name in classes if t.in_medicine_class(name, text)} == set(every), text
    assert t.in_medicine_class("no such class", "adalimumab") is False


def test_preload_reads_every_table_and_pattern():
    """preload() leaves nothing for a first page to read: every value set is expanded and each
    text-rule phrase compiled."""
    t.preload()
    assert t._expanded.cache_info().currsize >= len(t.valueset_ids())
    assert t._medicine_rules.cache_info().currsize == 1
    phrases = {p.strip() for vs in t.valueset_ids() for rule in t.text_rules(vs) for p in rule.split("+") if p.strip()}
    before = t._phrase.cache_info().misses
    for phrase in phrases:
        t._phrase(phrase)
    assert t._phrase.cache_info().misses == before
