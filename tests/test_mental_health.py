"""Rule functions of the mental health view (clinical-reference §6) on small typed records built
here; what must never prompt; and the demo bipolar record's hidden entries."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conditions import mental_health as mh
from conditions import mental_health_rules as rules
from conditions.base import Context
from ltc_dashboard.record import terminology
from ltc_dashboard.record.models import (
    CarePlan, CodedEntry, ConditionEntry, LabResult, Medication, PatientInfo, PatientRecord,
)

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
FIXTURES = Path(__file__).parent / "fixtures" / "conditions" / "mental_health"
LITHIUM = "Lithium carbonate 400mg modified-release tablets"
BIPOLAR = ConditionEntry(id="bipolar", codings=[(SCT, "13746004")], clinical_status="active",
                         date=dt.date(2010, 1, 1))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def med(name: str, start: str, last: str = "2026-11-09", status: str = "active") -> Medication:
    """A repeat medicine (current unless stopped or last issued long ago) with its classes from
    medicines.csv."""
    return Medication(id=f"med-{name.split()[0].lower()}", name=name, kind="request", status=status,
                      authored_on=day(start), issues=sorted({day(start), day(last)}),
                      last_issued=day(last), classes=terminology.medicine_classes(text=name))


def lab(measure_id: str | None, when: str, value: float | None, text: str | None = None,
        codings=()) -> LabResult:
    return LabResult(id=f"{measure_id or text}-{when}-{value}", measure_id=measure_id,
                     name=text or measure_id, text=text, value=value, date=day(when),
                     status="final", codings=list(codings))


def context(results=(), meds=(), conditions=(BIPOLAR,), born="1980-01-01", viewer="patient",
            procedures=(), care_plans=()) -> Context:
    record = PatientRecord(patient=PatientInfo(id="p", name="Daniel Fictional", birth_date=day(born)),
                           results=list(results), medications=list(meds), conditions=list(conditions),
                           procedures=list(procedures), care_plans=list(care_plans))
    return Context(record=record, today=TODAY, viewer_kind=viewer, patient_name="Daniel Fictional")


def six_elements(when: str) -> list[LabResult]:
    """All six SMI physical health check elements on one day (alcohol as units a week)."""
    return [lab("bp_systolic", when, 128), lab("bmi", when, 26), lab("cholesterol", when, 4.8),
            lab("hba1c", when, 40), lab(None, when, 10, "Alcohol intake", [(SCT, "160573003")]),
            lab(None, when, None, "Never smoked tobacco", [(SCT, "266919005")])]


def questions(ctx: Context) -> list[str]:
    return [q.text for q in mh.SPEC.view(ctx).questions]


# -- lithium (§6.2, §6.3) -----------------------------------------------------------------------

def test_lithium_levels_every_six_months_when_stable():
    """Stable lithium, aged under 65, last level below 0.8: levels every 6 months."""
    ctx = context([lab("lithium", "2026-09-01", 0.7)], [med(LITHIUM, "2015-01-01")])
    assert not rules.lithium_stricter(ctx)
    assert rules.lithium_checks(ctx)[0].interval_days == 183


@pytest.mark.parametrize("results,start,born", [
    ([lab("lithium", "2026-09-01", 0.7)], "2015-01-01", "1955-01-01"),   # aged 65 or over
    ([lab("lithium", "2026-09-01", 0.8)], "2015-01-01", "1980-01-01"),   # last level 0.8
    ([lab("lithium", "2026-09-01", 0.7)], "2026-03-01", "1980-01-01"),   # first year
])
def test_lithium_levels_every_three_months_when_stricter(results, start, born):
    """Aged 65+, a last level of 0.8 or more, or the first year: levels every 3 months (§6.2 [SPS-Li])."""
    ctx = context(results, [med(LITHIUM, start)], born=born)
    assert rules.lithium_stricter(ctx) and rules.lithium_checks(ctx)[0].interval_days == 91


def test_no_lithium_checks_without_current_lithium():
    """Lithium stopped gives no lithium checks. (Before clinical-reference §11.1, lithium last
    issued over 6 months ago gave none either; §11.1 keeps those: see the next test.)"""
    assert rules.lithium_checks(context([], [med(LITHIUM, "2015-01-01", last="2026-01-01",
                                                 status="stopped")])) == []


def test_lithium_still_listed_but_not_issued_keeps_its_checks_and_says_why():
    """Lithium the record still lists, last issued over 6 months ago, keeps every lithium check,
    each saying why in words (clinical-reference §11.1: a missed check is the harm)."""
    ctx = context([], [med(LITHIUM, "2015-01-01", last="2026-01-01")])
    checks = rules.lithium_checks(ctx)
    assert [c.id for c in checks] == [c for c, _ in rules.LITHIUM_CHECKS]
    assert all(c.note.startswith("Your record lists lithium as a current medicine, last issued on "
                                 "1 January 2026.") for c in checks)


def test_a_lithium_level_in_the_last_year_is_evidence_of_lithium():
    """A lithium level in the last 12 months with no lithium on the list brings the lithium checks,
    saying why; one from over 12 months ago does not (clinical-reference §11.1)."""
    recent = context([lab("lithium", "2026-02-01", 0.5)], [], conditions=())
    assert rules.on_lithium(recent) and mh.SPEC.applies(recent)
    assert rules.lithium_checks(recent)[0].note.startswith(
        "Your record shows a lithium level on 1 February 2026, so lithium checks are shown although "
        "lithium is not on the current medicine list.")
    old = context([lab("lithium", "2025-11-24", 0.5)], [], conditions=())
    assert not rules.on_lithium(old) and rules.lithium_checks(old) == []


def test_lithium_outside_usual_range_prompts_without_toxicity_words():
    """A level of 1.1 is outside 0.4 to 1.0: a factual question with no toxicity language."""
    ctx = context([lab("lithium", "2026-10-01", 1.1)], [med(LITHIUM, "2015-01-01")])
    texts = questions(ctx)
    assert texts[0] == ("Your lithium level on 1 October 2026 was 1.1 mmol/L, outside the usual range "
                        "0.4 to 1.0 mmol/L (BNF). You could ask whether your dose or the timing of the "
                        "blood test needs checking.")
    assert not any(word in " ".join(texts).lower() for word in ("toxic", "poison", "danger", "1.5"))


def test_lithium_inside_range_or_not_on_lithium_does_not_prompt():
    """A level inside the range, or a high level from over a year ago with lithium stopped, gives no
    range question. (Lithium still listed, or a level in the last 12 months, would count as taking
    it under clinical-reference §11.1, so the stopped case is now stopped and a year old.)"""
    inside = context([lab("lithium", "2026-10-01", 0.7)], [med(LITHIUM, "2015-01-01")])
    stopped = context([lab("lithium", "2025-09-01", 1.2)],
                      [med(LITHIUM, "2015-01-01", last="2025-09-01", status="stopped")])
    for ctx in (inside, stopped):
        assert mh.q_lithium_outside_range(ctx, mh.SPEC.view(ctx)) == []


def test_lithium_overdue_names_each_late_test():
    """Overdue lithium level and thyroid test are named in one question with their dates."""
    ctx = context([lab("lithium", "2026-03-01", 0.7), lab("egfr", "2026-10-01", 90),
                   lab("tsh", "2026-01-01", 2)], [med(LITHIUM, "2015-01-01")])
    assert mh.q_lithium_overdue(ctx, mh.SPEC.view(ctx))[0].text == (
        "Your last lithium blood test was on 1 March 2026 and your last thyroid blood test (TSH) was "
        "on 1 January 2026. You could ask when the next ones are due.")


def test_egfr_fall_while_on_lithium_prompts_and_a_rise_does_not():
    """eGFR 80 to 72 on lithium prompts with both values and dates; 72 to 80 does not."""
    meds = [med(LITHIUM, "2015-01-01")]
    falling = context([lab("egfr", "2026-01-10", 80), lab("egfr", "2026-07-10", 72)], meds)
    assert mh.q_egfr_falling(falling, mh.SPEC.view(falling))[0].text == (
        "Your kidney filtration (eGFR) went from 80 on 10 January 2026 to 72 mL/min/1.73m² on "
        "10 July 2026 while taking lithium. You could ask what this means.")
    rising = context([lab("egfr", "2026-01-10", 72), lab("egfr", "2026-07-10", 80)], meds)
    assert mh.q_egfr_falling(rising, mh.SPEC.view(rising)) == []


def test_egfr_before_lithium_started_is_not_compared():
    """A higher eGFR from before lithium started does not count as a fall on lithium."""
    ctx = context([lab("egfr", "2025-01-10", 95), lab("egfr", "2026-07-10", 80)],
                  [med(LITHIUM, "2026-02-01")])
    assert mh.q_egfr_falling(ctx, mh.SPEC.view(ctx)) == []


# -- the SMI physical health check (§6.2) --------------------------------------------------------

def test_smi_check_follows_its_oldest_element_and_counts_alcohol_units():
    """All six elements, alcohol as a valued entry, status by the oldest: here cholesterol a year old."""
    results = six_elements("2026-09-01")[:2] + [lab("cholesterol", "2025-10-01", 5)] + six_elements("2026-09-01")[3:]
    check = rules.smi_physical_check(context(results))
    assert check.last_done == day("2025-10-01") and check.status == "overdue"
    assert "alcohol: 1 September 2026" in check.note and "cholesterol: 1 October 2025" in check.note


def test_smi_check_with_a_missing_element_is_never_fully_done():
    """With alcohol never recorded, the check has never been fully done."""
    results = [r for r in six_elements("2026-09-01") if r.text != "Alcohol intake"]
    check = rules.smi_physical_check(context(results))
    assert check.status == "never" and "alcohol: not recorded" in check.note


def test_smi_check_declined_after_last_done_counts_as_addressed():
    """A decline newer than the last check counts as addressed (§1.3)."""
    results = six_elements("2025-01-01") + [
        lab(None, "2026-08-01", None, "Serious mental illness physical health check declined")]
    check = rules.smi_physical_check(context(results))
    assert check.status == "ok" and check.addressed_by.startswith("declined on 1 August 2026")


def test_smi_check_only_for_the_smi_register():
    """Depression alone gives no SMI physical health check."""
    depression = ConditionEntry(id="d", codings=[(SCT, "35489007")], clinical_status="active", date=day("2020-01-01"))
    assert rules.smi_physical_check(context(six_elements("2026-01-01"), conditions=[depression])) is None


def test_smi_question_lists_what_is_missing():
    """An overdue check prompts with the date it was last fully done and the missing elements."""
    results = six_elements("2026-09-01")[:2] + [lab("cholesterol", "2025-10-01", 5)] + six_elements("2026-09-01")[3:]
    ctx = context(results)
    assert mh.q_smi_check(ctx, mh.SPEC.view(ctx))[0].text == (
        "Your yearly physical health check (blood pressure, weight, blood sugar, cholesterol, smoking, "
        "alcohol) was last fully done on 1 October 2025. Not recorded in the last 12 months: "
        "cholesterol. You could ask if it's due.")


def test_care_plan_resource_counts_for_the_care_plan_check():
    """A CarePlan named "Mental health care plan" counts for the yearly care plan check (QOF MH002)."""
    plan = CarePlan(id="cp", title="Mental health care plan", date=day("2026-05-01"))
    check = rules.care_plan_check(context(care_plans=[plan]))
    assert check.status == "ok" and check.last_done == day("2026-05-01")


# -- antipsychotics (§6.2, §6.3) ----------------------------------------------------------------

OLANZAPINE = "Olanzapine 10mg tablets"


def test_antipsychotic_monitoring_due_at_twelve_weeks_then_one_year_then_yearly():
    """Baseline only: due at 12 weeks; after the 12-week check: due at 1 year; later: a year after the last."""
    meds = [med(OLANZAPINE, "2026-08-03")]
    check = rules.antipsychotic_check(context([lab("weight", "2026-08-01", 80)], meds), "antipsychotic_weight", "w")
    assert (check.due, check.status) == (day("2026-10-26"), "overdue")
    check = rules.antipsychotic_check(context([lab("weight", "2026-10-20", 81)], meds), "antipsychotic_weight", "w")
    assert (check.due, check.status) == (day("2027-08-03"), "ok")
    meds = [med(OLANZAPINE, "2023-01-02")]
    check = rules.antipsychotic_check(context([lab("weight", "2026-02-01", 81)], meds), "antipsychotic_weight", "w")
    assert check.due == day("2027-02-01")


def test_weight_gain_of_five_percent_by_twelve_weeks_prompts():
    """80 to 84.5 kg (5.6%) within 12 weeks of starting prompts; 80 to 83 kg (3.75%) does not."""
    meds = [med(OLANZAPINE, "2026-08-03")]
    gained = context([lab("weight", "2026-08-01", 80), lab("weight", "2026-10-20", 84.5)], meds)
    assert mh.q_antipsychotic_weight(gained, mh.SPEC.view(gained))[0].text == (
        "Your weight changed from 80 kg on 1 August 2026 to 84.5 kg on 20 October 2026 since "
        "olanzapine started on 3 August 2026. You could ask about support with weight or side effects.")
    small = context([lab("weight", "2026-08-01", 80), lab("weight", "2026-10-20", 83)], meds)
    assert mh.q_antipsychotic_weight(small, mh.SPEC.view(small)) == []


def test_weight_gain_is_not_raised_after_the_first_year():
    """Weight gained in the first 12 weeks of a medicine started two years ago gives no question now."""
    ctx = context([lab("weight", "2024-08-01", 80), lab("weight", "2024-10-20", 90)],
                  [med(OLANZAPINE, "2024-08-03")])
    assert mh.q_antipsychotic_weight(ctx, mh.SPEC.view(ctx)) == []


# -- questionnaires (§6.3) ----------------------------------------------------------------------

@pytest.mark.parametrize("measure_id,before,after,prompts", [
    ("phq9", 8, 13, True), ("phq9", 13, 8, True), ("phq9", 8, 12, False),
    ("gad7", 6, 10, True), ("gad7", 10, 6, True), ("gad7", 6, 9, False),
])
def test_score_change_in_either_direction_is_worded_neutrally(measure_id, before, after, prompts):
    """PHQ-9 change of 5 or GAD-7 change of 4, up or down, prompts the same neutral question."""
    ctx = context([lab(measure_id, "2026-03-01", before), lab(measure_id, "2026-09-01", after)])
    found = mh.q_score_change(ctx, mh.SPEC.view(ctx))
    assert bool(found) is prompts
    if found:
        text = found[0].text
        assert text.endswith("You could talk about what's been helping or not.")
        assert not any(word in text.lower() for word in ("worse", "better", "improv", "severe", "deteriorat"))


# -- what never prompts (§1.4 rule 5, §6.3, §6.4) ----------------------------------------------

def test_phq9_item_nine_answer_gives_no_question(fresh_store):
    """A record with PHQ-9 item 9 = 2 yields no question mentioning it, or self-harm."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    case = FIXTURES / "lithium_high_level_older_adult" / "input.json"
    bundle = json.loads(case.read_text())
    assert any(c.get("code") == "44260-8" and e["resource"].get("valueQuantity", {}).get("value") == 2
               for e in bundle["entry"] for c in e["resource"].get("code", {}).get("coding", []))
    import_paths(fresh_store, [case])
    patient_id = next(iter(fresh_store.patient_ids()))
    summary = build_summary(open_record(fresh_store, Viewer.parse(patient_id, "patient"), TODAY))
    texts = " ".join(q.text + " " + q.reason for q in summary.questions).lower()
    assert summary.questions
    for word in ("item 9", "item nine", "44260", "self-harm", "harm", "suicid", "safeguard", "yourself"):
        assert word not in texts


def test_self_harm_or_safeguarding_codes_never_prompt():
    """Safeguarding and PHQ-9 item 9 entries add no question to an otherwise quiet record."""
    safeguarding = CodedEntry(id="s", codings=[(SCT, "514331000000104")], text="Safeguarding referral",
                              date=day("2026-10-01"), status="completed")
    item9 = lab(None, "2026-10-01", 3, "PHQ-9 item 9", [("http://loinc.org", "44260-8")])
    ctx = context([item9], [med(LITHIUM, "2015-01-01")], procedures=[safeguarding])
    quiet = context([], [med(LITHIUM, "2015-01-01")])
    assert questions(ctx) == questions(quiet)


def test_support_signposting_is_always_shown_and_never_a_question():
    """Every viewer sees the support text with NHS 111 and Samaritans; it is never a suggested question."""
    for viewer in ("patient", "proxy", "clinic"):
        view = mh.SPEC.view(context([lab("phq9", "2026-03-01", 4)], viewer=viewer))
        assert "NHS 111" in view.support and "116 123" in view.support
        assert all("116 123" not in q.text for q in view.questions)


def test_intro_is_calm_and_worded_for_a_carer():
    """The intro has no alarming words and speaks to a carer about the person by first name."""
    view = mh.SPEC.view(context(viewer="proxy"))
    assert "Daniel's" in view.intro
    assert not any(word in view.intro.lower() for word in ("risk", "crisis", "danger", "urgent"))


# -- when the view applies ----------------------------------------------------------------------

def test_view_applies_on_register_lithium_or_antipsychotic_but_not_end_of_life_haloperidol():
    """SMI, lithium or an antipsychotic open the view; an end-of-life injection or dementia does not."""
    assert mh.SPEC.applies(context())
    assert mh.SPEC.applies(context(meds=[med(LITHIUM, "2015-01-01")], conditions=()))
    assert mh.SPEC.applies(context(meds=[med(OLANZAPINE, "2026-01-01")], conditions=()))
    haloperidol = med("Haloperidol 5mg/1ml solution for injection ampoules", "2026-11-01")
    assert not mh.SPEC.applies(context(meds=[haloperidol], conditions=()))
    dementia = ConditionEntry(id="dem", codings=[(SCT, "26929004")], clinical_status="active", date=day("2024-01-01"))
    assert not mh.SPEC.applies(context(meds=[med("Risperidone 500microgram tablets", "2026-06-01")],
                                       conditions=(dementia,)))


