"""FHIR R4 resources to typed models: `record.mapping.map_record` and `PatientRecord` helpers."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltc_dashboard.record.mapping import UNREADABLE_ENTRY, map_record
from ltc_dashboard.record.models import PatientRecord

FIXTURES = Path(__file__).parent / "fixtures" / "mapping"
SNOMED, LOINC = "http://snomed.info/sct", "http://loinc.org"


def load(name: str) -> list:
    """The resources of one fixture file."""
    return json.loads((FIXTURES / name).read_text())


def mapped(name: str) -> PatientRecord:
    """One fixture file mapped."""
    return map_record(load(name))


def result(record: PatientRecord, result_id: str):
    """The result with this id (fails the test when missing)."""
    found = [r for r in record.results if r.id == result_id]
    assert len(found) == 1, f"{result_id}: {[r.id for r in record.results]}"
    return found[0]


@pytest.fixture
def new_york_clock(monkeypatch):
    """Run with the process clock in New York, so a UK-day bug cannot hide behind a UTC machine."""
    before = os.environ.get("TZ")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    if before is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", before)
    time.tzset()


# Blood pressure -----------------------------------------------------------------------------------

@pytest.mark.parametrize("panel_id, systolic, diastolic", [("bp-uk", 138, 84), ("bp-loinc", 152, 91)])
def test_bp_panel_gives_two_results_named_by_code_not_position(panel_id, systolic, diastolic):
    """A BP panel with diastolic listed first still gives systolic and diastolic the right values."""
    record = mapped("bp_panels.json")
    sys_result = result(record, f"{panel_id}#bp_systolic")
    dia_result = result(record, f"{panel_id}#bp_diastolic")
    assert (sys_result.measure_id, sys_result.value) == ("bp_systolic", systolic)
    assert (dia_result.measure_id, dia_result.value) == ("bp_diastolic", diastolic)
    assert sys_result.source_id == dia_result.source_id == panel_id
    assert sys_result.date == dia_result.date
    assert not [r for r in record.results if r.id == panel_id], "the panel itself is not a result"


def test_bp_components_keep_their_own_interpretation_and_uk_date():
    """Each component carries its own flag; the parent's +01:00 time gives the UK day."""
    record = mapped("bp_panels.json")
    assert result(record, "bp-loinc#bp_diastolic").flag == "high"
    assert result(record, "bp-loinc#bp_systolic").flag == "unknown"
    assert result(record, "bp-uk#bp_systolic").date == dt.date(2024, 5, 2)
    assert result(record, "bp-uk#bp_systolic").category == ["vital-signs"]


# Values, units and flags --------------------------------------------------------------------------

def test_hba1c_percent_becomes_mmol_per_mol():
    """Synthea-style HbA1c 7.0 % becomes (7.0 − 2.15) × 10.929 ≈ 53.0 mmol/mol, keeping the original."""
    hba1c = result(mapped("results.json"), "hba1c-pct")
    assert hba1c.measure_id == "hba1c"
    assert hba1c.unit == "mmol/mol"
    assert hba1c.value == pytest.approx((7.0 - 2.15) * 10.929)
    assert round(hba1c.value, 1) == 53.0
    assert (hba1c.original_value, hba1c.original_unit) == (7.0, "%")
    assert hba1c.unit_problem is None


def test_creatinine_mg_per_dl_becomes_umol_per_litre_with_its_range():
    """Creatinine 1.5 mg/dL becomes 132.6 µmol/L and its mg/dL range is converted before flagging."""
    creatinine = result(mapped("results.json"), "creat-mgdl")
    assert creatinine.measure_id == "creatinine"
    assert creatinine.unit == "umol/L"
    assert creatinine.value == pytest.approx(1.5 * 88.42)
    assert creatinine.reference_low == pytest.approx(0.6 * 88.42)
    assert creatinine.reference_high == pytest.approx(1.2 * 88.42)
    assert creatinine.flag == "high"


def test_comparator_is_read_from_value_string():
    """eGFR sent as the string ">130" becomes value 130 with comparator ">" and is above its low."""
    egfr = result(mapped("results.json"), "egfr-string")
    assert (egfr.value, egfr.comparator, egfr.value_text) == (130.0, ">", ">130")
    assert egfr.measure_id == "egfr"
    assert egfr.flag == "normal"


def test_below_reporting_limit_is_normal_when_range_starts_at_zero():
    """CRP "<0.5" against a 0–5 mg/L range is normal: the true value lies inside the range."""
    crp = result(mapped("results.json"), "crp-below")
    assert (crp.value, crp.comparator, crp.flag) == (0.5, "<", "normal")


@pytest.mark.parametrize("result_id, flag", [
    ("chol-low-flag", "low"),  # the lab's L wins over a range that says nothing about low values
    ("chol-abnormal", "high"),  # A (abnormal) says no direction, so the range decides
    ("chol-normal-range", "normal"),  # no interpretation: range 2–5 (unit assumed the value's)
    ("chol-no-range", "unknown"),
    ("hba1c-uk", "high"),  # 61 against 20–41 mmol/mol
    ("unknown-measure", "normal"),  # unknown measure: range in the same unit still counts
])
def test_flag_from_interpretation_then_range(result_id, flag):
    """The flag comes from interpretation codes first, then from the reference range, else unknown."""
    assert result(mapped("results.json"), result_id).flag == flag


def test_unconvertible_unit_keeps_the_value_as_recorded_and_says_why():
    """A unit that cannot be converted is never silently mis-scaled: value kept, problem explained."""
    odd = result(mapped("results.json"), "hba1c-bad-unit")
    assert (odd.value, odd.unit) == (48.0, "furlongs")
    assert odd.unit_problem and "furlongs" in odd.unit_problem


def test_quantity_without_value_and_unknown_measure():
    """A quantity with no value maps to None; an unknown code keeps its own unit and lab name."""
    record = mapped("results.json")
    assert result(record, "hba1c-no-value").value is None
    b12 = result(record, "unknown-measure")
    assert (b12.measure_id, b12.unit, b12.value, b12.name) == (None, "ng/L", 310.0, "Serum vitamin B12 level")


def test_coded_value_is_kept_as_words_and_codes():
    """A coded answer (smoking status) keeps its words and its SNOMED code."""
    smoking = result(mapped("results.json"), "smoking")
    assert smoking.value is None
    assert smoking.value_text == "Never smoker"
    assert (SNOMED, "266919005") in smoking.value_codings


def test_dates_are_uk_calendar_days_with_precision(new_york_clock):
    """23:30Z on the BST switch day is 1 April in the UK; 23:30 at -05:00 is the next UK day."""
    record = mapped("results.json")
    assert result(record, "bst-edge").date == dt.date(2024, 4, 1)
    assert result(record, "offset-edge").date == dt.date(2024, 1, 11)
    partial = result(record, "partial-date")
    assert (partial.date, partial.date_precision) == (dt.date(2019, 3, 1), "month")
    assert os.environ["TZ"] == "America/New_York"


def test_results_for_sorts_by_date_and_can_keep_only_countable():
    """results_for gives one measure oldest first; countable_only drops a preliminary result."""
    record = mapped("results.json")
    series = record.results_for("hba1c")
    dated = [r.date for r in series if r.date]
    assert dated == sorted(dated)
    assert "preliminary-hba1c" in [r.id for r in series]
    assert "preliminary-hba1c" not in [r.id for r in record.results_for("hba1c", countable_only=True)]


# Other resource types -----------------------------------------------------------------------------

def test_patient_conditions_and_entered_in_error_dropped():
    """Patient name is the official one without title; entered-in-error entries never appear."""
    record = mapped("clinical_entries.json")
    assert record.patient is not None
    assert (record.patient.name, record.patient.nhs_number) == ("Margaret Jones", "9990001234")
    assert (record.patient.birth_date, record.patient.gender) == (dt.date(1948, 7, 12), "female")
    ids = {c.id for c in record.conditions}
    assert ids == {"t2dm", "ra-refuted"}
    assert "obs-error" not in [r.id for r in record.results]
    t2dm = next(c for c in record.conditions if c.id == "t2dm")
    assert (t2dm.onset, t2dm.onset_precision) == (dt.date(2019, 3, 1), "month")
    assert (t2dm.clinical_status, t2dm.verification_status) == ("active", "confirmed")
    assert t2dm.recorded == dt.date(2019, 4, 2)
    assert t2dm.category == ["problem-list-item"]
    assert t2dm.text == "Type 2 diabetes mellitus"


def test_allergy_immunisation_procedure_flag_appointment():
    """Allergies, immunisations, procedures, flags and appointments keep their key fields."""
    record = mapped("clinical_entries.json")
    (allergy,) = record.allergies
    assert (allergy.criticality, allergy.category, allergy.reactions) == ("high", ["medication"],
                                                                           ["Rash", "Anaphylaxis"])
    (flu,) = record.immunisations
    assert (flu.text, flu.date, flu.status) == ("Influenza vaccine", dt.date(2023, 10, 4), "completed")
    assert {p.id: p.status for p in record.procedures} == {"retinal": "completed",
                                                          "foot-not-done": "not-done"}
    (flag,) = record.flags
    assert (flag.code, flag.period_start, flag.period_end) == ("450476008", dt.date(2025, 2, 1),
                                                               dt.date(2025, 8, 1))
    (appointment,) = record.appointments
    assert appointment.start == dt.date(2025, 6, 3)
    assert appointment.start_at is not None and appointment.start_at.hour == 10  # 09:20Z is 10:20 BST
    assert (appointment.service_type, appointment.status) == ("Practice nurse", "booked")


def test_consent_and_related_person():
    """A proxy Consent keeps its periods and actor; the RelatedPerson its name and relationship."""
    record = mapped("clinical_entries.json")
    (consent,) = record.consents
    assert (consent.scope, consent.category, consent.provision_type) == ("patient-privacy", ["INFA"],
                                                                         "permit")
    assert (consent.period_start, consent.period_end) == (dt.date(2025, 3, 4), dt.date(2026, 3, 4))
    assert consent.data_period_start == dt.date(2025, 3, 4)
    assert consent.actor_references == ["RelatedPerson/daughter-1"]
    (person,) = record.related_people
    assert (person.name, person.relationship, person.active) == ("Sarah Jones", "natural daughter", True)
    assert person.relationship_codings == [("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "DAU")]


def test_unknown_types_are_kept_in_other():
    """Types with no model (FamilyMemberHistory, Encounter) are kept in `other` with words and a date."""
    other = {entry.id: entry for entry in mapped("clinical_entries.json").other}
    assert set(other) == {"fmh-1", "enc-1"}
    assert other["fmh-1"].type == "FamilyMemberHistory"
    assert other["enc-1"].text == "Encounter for check up"
    assert other["enc-1"].date == dt.date(2024, 2, 12)
    assert all(entry.problem is None for entry in other.values())


def test_coded_entries_skip_what_did_not_happen():
    """Evidence holds conditions, done procedures, flags and valueless final observations only."""
    evidence = {e.id: e for e in map_record(load("clinical_entries.json") + load("results.json"))
                .coded_entries()}
    assert {"t2dm", "retinal", "dnacpr", "foot-check", "smoking"} <= set(evidence)
    assert not {"ra-refuted", "foot-not-done", "hba1c-uk"} & set(evidence)
    assert (SNOMED, "266919005") in evidence["smoking"].codings  # coded value counts as evidence
    assert all(e.date is not None for e in evidence.values())


def test_medication_requests_are_grouped_by_name():
    """Three metformin issues and their plan become one repeat medicine with sorted issue dates."""
    medicines = {m.name.casefold(): m for m in mapped("medications.json").medications}
    metformin = medicines["metformin 500mg modified-release tablets"]
    assert sorted(metformin.ids) == ["met-issue-1", "met-issue-2", "met-issue-3", "met-plan"]
    assert metformin.issues == [dt.date(2024, 1, 5), dt.date(2024, 3, 5), dt.date(2024, 5, 6)]
    assert metformin.last_issued == dt.date(2024, 5, 6)
    assert (metformin.status, metformin.repeat, metformin.kind) == ("active", True, "request")
    assert metformin.dosage_text == "One tablet twice a day with meals"
    assert (SNOMED, "44054006") in metformin.reason_codings


def test_medication_names_from_references_and_statement_last_issue():
    """Names come from contained or referenced Medications; a statement reads LastIssueDate."""
    medicines = {m.id: m for m in mapped("medications.json").medications}
    assert medicines["gliclazide"].name == "Gliclazide 80mg tablets"
    assert medicines["gliclazide"].repeat is True
    assert medicines["atorva"].name == "Atorvastatin 20mg tablets"
    assert medicines["atorva"].codings == [(SNOMED, "320000009")]
    assert medicines["amox"].name == "Amoxicillin 500mg capsules"
    insulin = medicines["ms-insulin"]
    assert (insulin.kind, insulin.last_issued, insulin.dosage_text) == (
        "statement", dt.date(2024, 6, 1), "14 units at night")


def test_goals_and_care_plans():
    """Goal targets keep measure, comparator and due date; % ranges become mmol/mol; plans link goals."""
    record = mapped("plans_goals.json")
    goals = {g.id: g for g in record.goals}
    (target,) = goals["hba1c-target"].targets
    assert (target.measure_id, target.value, target.comparator, target.unit) == ("hba1c", 53.0, "<=",
                                                                                 "mmol/mol")
    assert target.due == dt.date(2025, 2, 12)
    assert "NG28" in goals["hba1c-target"].notes
    percent, words = goals["hba1c-range-pct"].targets
    assert percent.low == pytest.approx((6.5 - 2.15) * 10.929)
    assert percent.high == pytest.approx((7.5 - 2.15) * 10.929)
    assert words.text == "Walk for 30 minutes most days"
    (plan,) = record.care_plans
    assert plan.goal_ids == ["hba1c-target", "hba1c-range-pct"]
    assert [(a.text, a.status) for a in plan.activities] == [("Diabetic diet", "in-progress"),
                                                             ("Book eye screening", "not-started")]
    assert (plan.title, plan.period_end) == ("Diabetes self-management plan", dt.date(2025, 2, 12))


# Robustness ---------------------------------------------------------------------------------------

def test_odd_shapes_never_crash_and_are_read_not_discarded():
    """Broken shapes map without an exception, and are read as far as they go rather than dropped."""
    record = mapped("odd_shapes.json")
    unreadable = [e.id for e in record.other if e.problem == UNREADABLE_ENTRY]
    assert unreadable == [], unreadable
    assert result(record, "no-code").measure_id is None
    assert result(record, "code-as-list").value is None
    assert result(record, "weird-values").date is None
    assert result(record, "bool-value").value is None
    assert result(record, "nan-ish").value is None
    assert {m.id for m in record.medications} == {"med-odd", "ms-odd"}
    assert {d.id: d.unavailable_reason is not None for d in record.letters} == {"doc-odd": True,
                                                                              "doc-empty": True}
    assert record.patient is not None and record.patient.birth_date is None
    assert "no-type" in [e.id for e in record.other]


def test_empty_and_junk_input():
    """No resources, or only junk, gives an empty record rather than an error."""
    assert map_record([]) == PatientRecord()
    assert map_record([None, "x", 5, []]) == PatientRecord()


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=2),
    st.dictionaries(st.sampled_from(["coding", "code", "system", "value", "reference", "text", "start"]),
                    st.one_of(st.integers(), st.text(max_size=5), st.lists(st.none(), max_size=2)),
                    max_size=3),
)
FIXTURE_RESOURCES = [r for name in sorted(p.name for p in FIXTURES.glob("*.json"))
                     for r in load(name) if isinstance(r, dict)]


def field_paths(node, prefix: tuple = ()):
    """Every key path inside a JSON value (not the root itself)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from field_paths(value, prefix + (key,))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_field_replaced_with_junk_still_maps(data):
    """Replacing up to three fields of a fixture resource with junk never raises or loses the entry."""
    resource = copy.deepcopy(data.draw(st.sampled_from(FIXTURE_RESOURCES)))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(field_paths(resource))
        if not paths:
            break
        *parents, last = data.draw(st.sampled_from(paths))
        node = resource
        for key in parents:
            node = node[key]
        node[last] = data.draw(JUNK)
    record = map_record([resource])
    assert not [e.resource_type for e in record.other if e.problem]


def test_entries_are_slotted_so_a_large_record_stays_small():
    """A 100k record maps to some 60,000 results; a per-instance dict and fields-set made each
    four times its size (bench/README.md). Entries and chart points are slotted dataclasses that
    still validate like models: a wrong type or an unknown field is refused."""
    import dataclasses

    import pydantic

    from conditions.series import SeriesPoint
    from ltc_dashboard.record.models import LabResult, OtherEntry

    result = LabResult(id="o1", name="HbA1c", value=48, codings=[["http://loinc.org", "4548-4"]])
    point = SeriesPoint(date="2026-01-05", value=48, id="o1")
    for value in (result, point, OtherEntry(id="x", resource_type="Encounter")):
        assert not hasattr(value, "__dict__")
    assert result.value == 48.0 and isinstance(result.value, float)
    assert result.codings == [("http://loinc.org", "4548-4")]
    with pytest.raises(pydantic.ValidationError):
        LabResult(id="o1", name="HbA1c", colour="blue")
    with pytest.raises(pydantic.ValidationError):
        SeriesPoint(date="not a date", value=1, id="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 50
