"""Outside attack on issue 15 (situations; monitoring after starts and dose changes): each test is a
finding, a hand-made FHIR R4 record in a shape the issue-15 tests did not use, checked against
clinical-reference §11 (and §5.2 for DMARDs). Records are hand-made for issue 15 in the shape of a
UK GP record (SNOMED CT codes; a repeat as an authorisation `intent = plan` with issues; dose in
`dosageInstruction` text or `doseQuantity`) as in tests/fixtures/conditions/*. Nothing here is real
patient data. "Today" is frozen at 2026-11-25 in a non-UK time zone by tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions.base import Context
from conditions.diabetes import SPEC as DIABETES
from conditions.dose_changes import dose_events
from conditions.inflammatory_arthritis_rules import blood_set
from conditions.mental_health_rules import lithium_checks
from conditions.situations import situations
from ltc_dashboard.record.mapping import map_record

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
T1 = ("46635009", "Type 1 diabetes mellitus")
T2 = ("44054006", "Type 2 diabetes mellitus")
REMISSION = ("703138006", "Type 2 diabetes mellitus in remission")
RA = ("69896004", "Rheumatoid arthritis")
LITHIUM = "Lithium carbonate 400mg modified-release tablets"
METHOTREXATE = "Methotrexate 2.5mg tablets"
LEFLUNOMIDE = "Leflunomide 20mg tablets"


# -- record builders -------------------------------------------------------------------------------

def condition(code, status="active", verification="confirmed", onset="2015-01-01") -> dict:
    return {"resourceType": "Condition", "id": f"c-{code[0]}", "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"code": status}]},
            "verificationStatus": {"coding": [{"code": verification}]}, "onsetDateTime": onset,
            "code": {"coding": [{"system": SCT, "code": code[0], "display": code[1]}]}}


def result(measure: str, when: str, value: float, unit: str) -> dict:
    codes = {"hba1c": (SCT, "999791000000106"), "lithium": (LOINC, "14334-7")}
    system, code = codes[measure]
    return {"resourceType": "Observation", "id": f"{measure}-{when}", "status": "final",
            "code": {"coding": [{"system": system, "code": code}]}, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": unit}}


def delivery_date(rid: str, recorded: str, due: str) -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "11778-8", "display": "Delivery date Estimated"}]},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": recorded, "valueDateTime": due}


def hba1c_goal(low: dict, high: dict) -> dict:
    return {"resourceType": "Goal", "id": "g-range", "lifecycleStatus": "active", "startDate": "2026-01-01",
            "description": {"text": "HbA1c range agreed at review"}, "subject": {"reference": "Patient/p"},
            "target": [{"measure": {"coding": [{"system": SCT, "code": "999791000000106"}]},
                        "detailRange": {"low": low, "high": high}}]}


def gliclazide() -> list[dict]:
    return [prescription("glic", "2020-01-01", "Gliclazide 80mg tablets", "ONE tablet twice a day"),
            issue("glic-1", "2026-10-05", "glic", "Gliclazide 80mg tablets", "ONE tablet twice a day")]


def prescription(rid, when, name, text=None, mg=None, status="active") -> dict:
    """A UK repeat authorisation (intent plan) with its dose as text and/or doseQuantity."""
    dosage: dict = {}
    if text:
        dosage["text"] = text
    if mg is not None:
        dosage["doseAndRate"] = [{"doseQuantity": {"value": mg, "unit": "mg",
                                                   "system": "http://unitsofmeasure.org", "code": "mg"}}]
    found = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "plan",
             "medicationCodeableConcept": {"text": name}, "subject": {"reference": "Patient/p"},
             "authoredOn": when}
    if dosage:
        found["dosageInstruction"] = [dosage]
    return found


def issue(rid, when, based_on, name, text=None, mg=None) -> dict:
    """One issue (a completed order) of a repeat authorisation."""
    found = prescription(rid, when, name, text, mg, status="completed")
    found.update(intent="order", basedOn=[{"reference": f"MedicationRequest/{based_on}"}])
    return found


def context(*resources, born: str = "1970-01-01") -> Context:
    flat: list[dict] = []
    for item in resources:
        flat.extend(item if isinstance(item, list) else [item])
    patient = {"resourceType": "Patient", "id": "p", "birthDate": born, "gender": "female",
               "name": [{"given": ["Ann"], "family": "Example"}]}
    return Context(record=map_record([patient, *flat]), today=TODAY, viewer_kind="patient",
                   patient_name="Ann Example")


def lithium_level_check(ctx: Context):
    return next(c for c in lithium_checks(ctx) if c.id == "lithium")


def lithium_400_since_2022() -> list[dict]:
    """Lithium 400mg at night since 2022, issued monthly, levels in range (stable)."""
    found = [prescription("li", "2022-01-10", LITHIUM, "400mg at night", mg=400)]
    found += [issue(f"li-{i}", day, "li", LITHIUM, "400mg at night", mg=400)
              for i, day in enumerate(("2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"))]
    return found + [result("lithium", "2026-03-01", 0.6, "mmol/L"), result("lithium", "2026-09-01", 0.6, "mmol/L")]


# -- situations: pregnancy (§11.4) -----------------------------------------------------------------

def test_expected_delivery_date_in_a_component_shows_pregnancy():
    """An expected delivery date in the future carried as a component of an antenatal panel
    Observation (LOINC 11778-8) shows pregnancy, as one in the value does (§11.4)."""
    panel = {"resourceType": "Observation", "id": "antenatal", "status": "final",
             "code": {"text": "Antenatal booking"}, "subject": {"reference": "Patient/p"},
             "effectiveDateTime": "2026-07-01T10:00:00+01:00",
             "component": [{"code": {"coding": [{"system": LOINC, "code": "11778-8",
                                                  "display": "Delivery date Estimated"}]},
                            "valueDateTime": "2027-02-15"}]}
    assert situations(context(condition(T2), panel)).pregnant


def test_expected_delivery_month_in_the_future_shows_pregnancy():
    """An expected delivery date given to the month only ("2027-02", a valid FHIR dateTime) is in
    the future whichever day it is, so it shows pregnancy (§11.4; the more cautious prompt wins)."""
    assert situations(context(condition(T2), delivery_date("edd", "2026-07-01", "2027-02"))).pregnant


def test_a_future_delivery_date_is_not_hidden_by_a_later_entry_about_an_old_birth():
    """A delivery date in the future (recorded in June) still shows pregnancy when an entry made
    later records the delivery date of an earlier pregnancy (§11.4: "an expected delivery date in
    the future"; §11 opening: the more cautious prompt wins)."""
    ctx = context(condition(T2), delivery_date("edd-now", "2026-06-01", "2027-03-01"),
                  delivery_date("edd-before", "2026-10-01", "2025-01-10"))
    assert situations(ctx).pregnant


# -- situations: age from a partial birth date (§11.3, fail closed) --------------------------------

@pytest.mark.parametrize("born", ["2008", "2008-11"])
def test_a_partial_birth_date_that_may_be_under_18_is_not_read_as_an_adult(born):
    """Born in 2008 (or November 2008) may be 17 today: the view must not state the adult type 1
    situation or an adult blood pressure number as known (§11.3; §11 the more cautious wins; brief:
    a rule that cannot trust a date must not feed a chart, count or question as known)."""
    ctx = context(condition(T1), born=born)
    systolic = next(m for m in DIABETES.view(ctx).measures if m.id == "bp_systolic")
    assert "type1" not in situations(ctx).ids()
    assert systolic.target_high is None


def test_a_birth_year_that_may_be_79_does_not_get_the_looser_over_80_target():
    """Born in 1946 may be 79 today: the blood pressure target is not the looser one for people
    aged 80 and over (§11 opening: where it is unclear, the stricter target wins)."""
    ctx = context(condition(T2), born="1946")
    systolic = next(m for m in DIABETES.view(ctx).measures if m.id == "bp_systolic")
    assert "80 and over" not in (systolic.target or "")


# -- situations: remission recorded as possible (§11.8) --------------------------------------------

def test_a_provisional_remission_code_is_results_only():
    """The remission code (703138006) with verificationStatus provisional is "recorded as possible",
    results only, like a provisional diabetes code (§11.8), not a full remission view."""
    found = situations(context(condition(REMISSION, verification="provisional")))
    assert found.diagnosis == "possible"


# -- situations: a personal range that cannot be trusted (§11.6, §11.11) ---------------------------

def test_a_personal_range_with_low_above_high_is_not_used():
    """A Goal whose low (70) is above its high (58) is not a range: it must not be said as "your
    personal range is 70 to 58" nor drive a "below your personal range ... doses" question (§11.6,
    fail closed)."""
    mmol = lambda v: {"value": v, "unit": "mmol/mol"}  # noqa: E731
    ctx = context(condition(T2), hba1c_goal(mmol(70), mmol(58)), gliclazide(),
                  result("hba1c", "2026-04-01", 60, "mmol/mol"), result("hba1c", "2026-10-01", 62, "mmol/mol"))
    view = DIABETES.view(ctx)
    assert situations(ctx).personal_range is None
    assert not any("70 to 58" in q.text for q in view.questions)


def test_a_personal_range_without_a_unit_and_implausible_in_mmol_per_mol_is_not_used():
    """A Goal range 7 to 8 with no unit (DCCT % written without its unit) is not a range in mmol/mol
    (below 20 mmol/mol is implausible): it must not replace the target as "7 to 8 mmol/mol"
    (§11.11: a unit missing or not fitting is kept out; §11.6)."""
    bare = lambda v: {"value": v}  # noqa: E731
    ctx = context(condition(T2), hba1c_goal(bare(7), bare(8)), gliclazide(),
                  result("hba1c", "2026-10-01", 62, "mmol/mol"))
    hba1c = next(m for m in DIABETES.view(ctx).measures if m.id == "hba1c")
    assert situations(ctx).personal_range is None
    assert "7 to 8 mmol/mol" not in (hba1c.target or "")


def test_a_personal_range_in_percent_is_said_in_whole_numbers():
    """A personal range agreed in % (7.5 to 8.5 %) is said in rounded mmol/mol as the target is,
    never as "58.4702 to 69.3992" (§11.6 "your personal range is 58 to 70"; STYLE plain words)."""
    pct = lambda v: {"value": v, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}  # noqa: E731
    ctx = context(condition(T2), hba1c_goal(pct(7.5), pct(8.5)), result("hba1c", "2026-10-01", 62, "mmol/mol"))
    words = " ".join(s.words for s in situations(ctx).shown)
    assert "personal range" in words
    assert "58.4702" not in words and "69.3992" not in words


# -- monitoring: lithium dose changes in dose text (§11.9) -----------------------------------------

def test_lithium_extra_morning_dose_in_the_text_is_a_dose_change():
    """A new authorisation "400mg at night and 200mg in the morning" after "400mg at night" is a
    dose increase (400 to 600mg a day), so a level is due a week after it (§11.9)."""
    ctx = context(lithium_400_since_2022(),
                  prescription("li-2", "2026-11-10", LITHIUM, "400mg at night and 200mg in the morning"))
    assert [e.kind for e in dose_events(ctx, "lithium")][-1:] == ["increase"]
    assert lithium_level_check(ctx).interval_days == 7


def test_lithium_two_tablets_with_the_strength_in_the_text_is_a_dose_change():
    """A new authorisation whose text repeats the strength ("Lithium carbonate 400mg MR: take two
    tablets at night") is 800mg a day, an increase from 400mg (§11.9)."""
    ctx = context(lithium_400_since_2022(),
                  prescription("li-2", "2026-11-10", LITHIUM, "Lithium carbonate 400mg MR: take two tablets at night"))
    assert [e.kind for e in dose_events(ctx, "lithium")][-1:] == ["increase"]
    assert lithium_level_check(ctx).interval_days == 7


# -- monitoring: a restart after a gap (§11.9, §5.2) -----------------------------------------------

def test_lithium_restarted_after_a_gap_gets_a_level_a_week_after_the_restart():
    """Lithium stopped in 2023 and started again on 10 November 2026 at the same dose is a start:
    a level is due a week after it, weekly until stable (§11.9), not "every 6 months"."""
    ctx = context(prescription("li", "2022-01-10", LITHIUM, "400mg at night", mg=400, status="stopped"),
                  issue("li-0", "2023-12-01", "li", LITHIUM, "400mg at night", mg=400),
                  prescription("li-new", "2026-11-10", LITHIUM, "400mg at night", mg=400),
                  issue("li-new-0", "2026-11-10", "li-new", LITHIUM, "400mg at night", mg=400))
    check = lithium_level_check(ctx)
    assert check.interval_days == 7 and check.due == dt.date(2026, 11, 17)


def ra_and_bloods(when: str) -> list[dict]:
    return [condition(RA, onset="2018-01-01")] + [
        {"resourceType": "Observation", "id": f"{code}-{when}", "status": "final",
         "code": {"coding": [{"system": SCT, "code": code}]}, "subject": {"reference": "Patient/p"},
         "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": unit}}
        for code, value, unit in (("1018251000000107", 20, "U/L"), ("1011481000000105", 80, "mL/min/1.73m2"))]


def test_methotrexate_restarted_after_a_gap_gets_fortnightly_bloods():
    """Methotrexate stopped in 2023 and started again on 1 November 2026 at the same dose restarts
    the schedule: bloods every 2 weeks (§11.9, §5.2 "every 2 weeks from a start")."""
    weekly = "Take FOUR tablets ONCE a week"
    ctx = context(ra_and_bloods("2026-10-25"),
                  prescription("mtx", "2019-01-01", METHOTREXATE, weekly, status="stopped"),
                  issue("mtx-0", "2023-01-10", "mtx", METHOTREXATE, weekly),
                  prescription("mtx-new", "2026-11-01", METHOTREXATE, weekly),
                  issue("mtx-new-0", "2026-11-01", "mtx-new", METHOTREXATE, weekly))
    assert blood_set(ctx).check.interval_days == 14


def test_leflunomide_restarted_alongside_long_term_methotrexate_is_monitored_as_new():
    """Leflunomide taken in 2019, stopped, and started again on 1 September 2026 beside methotrexate
    taken since 2018: the combination is new, so bloods are at least monthly (§11.9: methotrexate
    with leflunomide monthly for the first 12 months of the combination; §5.2 from a start)."""
    daily = "ONE tablet daily"
    weekly = "Take FOUR tablets ONCE a week"
    ctx = context(ra_and_bloods("2026-10-01"),
                  prescription("mtx", "2018-01-01", METHOTREXATE, weekly),
                  issue("mtx-0", "2026-10-20", "mtx", METHOTREXATE, weekly),
                  prescription("lef-old", "2019-01-01", LEFLUNOMIDE, daily, status="stopped"),
                  issue("lef-old-0", "2019-06-01", "lef-old", LEFLUNOMIDE, daily),
                  prescription("lef", "2026-09-01", LEFLUNOMIDE, daily),
                  issue("lef-0", "2026-10-20", "lef", LEFLUNOMIDE, daily))
    assert blood_set(ctx).check.interval_days <= 31


# -- monitoring: a weekly methotrexate dose written on a named day (§11.9) -------------------------

def test_weekly_methotrexate_on_a_named_day_then_once_a_week_at_a_higher_dose_is_an_increase():
    """"FOUR tablets on Fridays" (10mg a week) then "SIX tablets ONCE a week" (15mg a week) is a
    dose increase and restarts fortnightly bloods (§11.9); it must not be read as a decrease."""
    ctx = context(ra_and_bloods("2026-10-01"),
                  prescription("mtx", "2020-01-01", METHOTREXATE, "Take FOUR tablets on Fridays"),
                  issue("mtx-0", "2026-10-20", "mtx", METHOTREXATE, "Take FOUR tablets on Fridays"),
                  prescription("mtx-2", "2026-11-10", METHOTREXATE, "Take SIX tablets ONCE a week"))
    assert [e.kind for e in dose_events(ctx, "methotrexate")][-1:] == ["increase"]
    assert blood_set(ctx).check.interval_days == 14


# -- monitoring: lithium as a liquid, and a cancelled authorisation (§11.9, §11.1) ----------------

LITHIUM_LIQUID = "Lithium citrate 520mg/5ml oral solution sugar free"


def _in_ml(entry: dict, ml: float) -> dict:
    entry["dosageInstruction"] = [{"text": f"{ml:g}ml twice a day",
                                   "doseAndRate": [{"doseQuantity": {"value": ml, "unit": "ml",
                                                                     "system": "http://unitsofmeasure.org", "code": "mL"}}],
                                   "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}]
    return entry


@pytest.mark.parametrize("shape", ["text", "doseQuantity"])
def test_lithium_liquid_dose_raised_in_ml_is_a_dose_change(shape):
    """Lithium citrate 520mg/5ml raised from 10ml to 15ml twice a day (a new authorisation, the dose
    in the text or in doseQuantity in mL) is a dose increase: a level is due a week after it (§11.9)."""
    levels = [result("lithium", "2026-03-01", 0.6, "mmol/L"), result("lithium", "2026-09-01", 0.6, "mmol/L")]
    if shape == "text":
        entries = [prescription("liq", "2022-01-10", LITHIUM_LIQUID, "10ml twice a day"),
                   issue("liq-0", "2026-10-01", "liq", LITHIUM_LIQUID, "10ml twice a day"),
                   prescription("liq-2", "2026-11-10", LITHIUM_LIQUID, "15ml twice a day")]
    else:
        entries = [_in_ml(prescription("liq", "2022-01-10", LITHIUM_LIQUID), 10),
                   _in_ml(issue("liq-0", "2026-10-01", "liq", LITHIUM_LIQUID), 10),
                   _in_ml(prescription("liq-2", "2026-11-10", LITHIUM_LIQUID), 15)]
    ctx = context(*entries, *levels)
    assert [e.kind for e in dose_events(ctx, "lithium")][-1:] == ["increase"]
    assert lithium_level_check(ctx).interval_days == 7


def test_a_cancelled_authorisation_at_another_dose_is_not_a_dose_change():
    """A new lithium authorisation at 600mg that was cancelled (never in force) is not a dose
    change (§11.1: cancelled ends it); the view must not state "your lithium dose changed on ...",
    and the stable 400mg schedule stands (§11.9)."""
    ctx = context(lithium_400_since_2022(),
                  prescription("li-2", "2026-11-10", LITHIUM, "600mg at night", mg=600, status="cancelled"))
    assert [e.kind for e in dose_events(ctx, "lithium")] == ["start"]
    assert lithium_level_check(ctx).interval_days != 7
