"""Rule functions of the inflammatory arthritis view (clinical-reference §5), on small typed records
built here, plus the demo record through the whole pipeline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conditions import inflammatory_arthritis as ia
from conditions import inflammatory_arthritis_rules as rules
from conditions.base import Context
from ltc_dashboard.record import terminology
from ltc_dashboard.record.models import ConditionEntry, LabResult, Letter, Medication, PatientInfo, PatientRecord

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo" / "rheumatoid_arthritis.json"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def med(name: str, start: str, last: str = "2026-11-09", kind: str = "request") -> Medication:
    """A current repeat medicine with its classes from medicines.csv."""
    return Medication(id=f"med-{name.split()[0].lower()}", name=name, kind=kind, status="active",
                      authored_on=day(start), issues=sorted({day(start), day(last)}),
                      last_issued=day(last), classes=terminology.medicine_classes(text=name))


def lab(measure_id: str, when: str, value: float | None = 1.0, text: str | None = None) -> LabResult:
    return LabResult(id=f"{measure_id}-{when}-{value}", measure_id=measure_id, name=text or measure_id,
                     text=text, value=value, date=day(when), status="final")


def bloods(when: str, **values) -> list[LabResult]:
    """A DMARD monitoring set (blood count, liver, kidney), with values to override."""
    base = {"wcc": 6.0, "neutrophils": 3.5, "platelets": 250, "mcv": 92, "alt": 25, "albumin": 40,
            "creatinine": 70, "egfr": 85}
    base.update(values)
    return [lab(k, when, v) for k, v in base.items() if v is not None]


def finding(text: str, when: str) -> LabResult:
    """A text-only coded entry, as GP systems send local codes."""
    return LabResult(id=f"finding-{when}", name=text, text=text, date=day(when), status="final")


def context(results=(), meds=(), letters=(), ra=True, viewer="patient", conditions=()) -> Context:
    found = list(conditions)
    if ra:
        found.append(ConditionEntry(id="ra", codings=[(SCT, "69896004")], clinical_status="active",
                                    date=day("2015-01-01")))
    record = PatientRecord(patient=PatientInfo(id="p", name="Fiona Demo", birth_date=day("1970-01-01")),
                           results=list(results), medications=list(meds), letters=list(letters),
                           conditions=found)
    return Context(record=record, today=TODAY, viewer_kind=viewer, patient_name="Fiona Demo")


MTX = "Methotrexate 2.5mg tablets"
HCQ = "Hydroxychloroquine 200mg tablets"


# -- when the view applies (§5.1) ---------------------------------------------------------------

def test_view_applies_on_the_register_or_a_dmard_but_not_on_folic_acid():
    """Rheumatoid arthritis, or a DMARD with no diagnosis, opens the view; folic acid alone does not."""
    assert ia.SPEC.applies(context())
    assert ia.SPEC.applies(context(meds=[med("Azathioprine 50mg tablets", "2024-01-01")], ra=False))
    assert not ia.SPEC.applies(context(meds=[med("Folic acid 5mg tablets", "2024-01-01")], ra=False))


# -- the DMARD blood set (§5.2) -----------------------------------------------------------------

def test_blood_set_overdue_when_no_part_within_interval_and_grace():
    """Methotrexate bloods 12 weeks + 2 weeks grace old are overdue, each part's date in the note."""
    check = rules.dmard_bloods_check(context(bloods("2026-08-01"), [med(MTX, "2018-01-01")]))
    assert (check.id, check.status, check.interval_days) == ("dmard_bloods", "overdue", 84)
    assert check.due == day("2026-10-24")
    assert "full blood count: 1 August 2026" in check.note and "Partly due" not in check.note


def test_blood_set_inside_grace_after_due_is_due_soon_not_overdue():
    """Past the 12-week due date but within the 2-week grace, the set is due soon (§5.2 derived rule)."""
    check = rules.dmard_bloods_check(context(bloods("2026-08-25"), [med(MTX, "2018-01-01")]))
    assert check.status == "due-soon" and check.due == day("2026-11-17")


def test_blood_set_recent_is_ok():
    """A set from four weeks ago is in date."""
    assert rules.dmard_bloods_check(context(bloods("2026-10-28"), [med(MTX, "2018-01-01")])).status == "ok"


def test_one_missing_part_is_partly_due():
    """A recent blood count and liver test but an old kidney test is "partly due", named in the note."""
    results = bloods("2026-11-02", creatinine=None, egfr=None) + [lab("egfr", "2026-06-01", 80)]
    found = rules.blood_set(context(results, [med(MTX, "2018-01-01")]))
    assert found.check.status == "due-soon"
    assert found.missing == ("kidney test (creatinine or eGFR)",)
    assert "Partly due: kidney test (creatinine or eGFR)" in found.check.note


def test_no_bloods_at_all_is_never():
    """A current DMARD with no monitoring blood test recorded is never done."""
    assert rules.dmard_bloods_check(context([], [med(MTX, "2018-01-01")])).status == "never"


def test_no_monitored_dmard_gives_no_blood_check():
    """Hydroxychloroquine alone has no routine blood monitoring (§5.2), so no dmard_bloods check."""
    assert rules.dmard_bloods_check(context(bloods("2020-01-01"), [med(HCQ, "2018-01-01")])) is None


def test_two_dmards_take_the_stricter_interval_and_are_both_named():
    """Methotrexate (84 days) with leflunomide (91 days): one check, 84 days, both drugs named."""
    meds = [med(MTX, "2018-01-01"), med("Leflunomide 20mg tablets", "2019-01-01")]
    check = rules.dmard_bloods_check(context(bloods("2026-10-28"), meds))
    assert check.interval_days == 84
    assert check.name == "Monitoring blood tests for methotrexate and leflunomide"


def test_leflunomide_adds_blood_pressure_and_weight_as_parts():
    """Leflunomide monitoring includes blood pressure and weight (§5.2 [SPS-LEF]); missing ones make it partly due."""
    found = rules.blood_set(context(bloods("2026-11-02"), [med("Leflunomide 20mg tablets", "2019-01-01")]))
    assert found.check.interval_days == 91
    assert found.missing == ("blood pressure", "weight")


def test_sulfasalazine_after_its_first_year_has_no_routine_bloods():
    """Sulfasalazine started over 12 months ago is no longer monitored (§5.2 [SPS-SSZ])."""
    meds = [med("Sulfasalazine 500mg tablets", "2024-01-01")]
    assert rules.dmard_bloods_check(context(bloods("2025-01-01"), meds)) is None
    meds = [med("Sulfasalazine 500mg tablets", "2026-06-01")]
    assert rules.dmard_bloods_check(context(bloods("2026-11-01"), meds)).status == "ok"


def test_newly_started_dmard_uses_the_two_weekly_interval():
    """In the first 6 weeks after starting, bloods are due every 2 weeks (§5.2 stricter row)."""
    check = rules.dmard_bloods_check(context(bloods("2026-11-02"), [med(MTX, "2026-10-26")]))
    assert check.interval_days == 14 and check.status == "overdue"


# -- hydroxychloroquine eye screening (§5.2 [HCQ]) ------------------------------------------------

def test_eye_screening_not_due_before_five_years():
    """Four years of hydroxychloroquine with no risk factor: screening is not due yet."""
    check = rules.hcq_eye_check(context([], [med(HCQ, "2022-12-01")]))
    assert check.status == "ok" and check.due == day("2027-12-01")


def test_egfr_below_sixty_brings_eye_screening_forward_to_one_year():
    """An eGFR below 60 is a risk factor: screening is due 1 year after starting."""
    check = rules.hcq_eye_check(context([lab("egfr", "2026-09-01", 52)], [med(HCQ, "2025-06-01")]))
    assert check.status == "never" and check.interval_days == 365
    assert "eGFR) of 52" in check.note


def test_screening_sentence_in_a_letter_counts_even_when_another_sentence_says_not():
    """A letter sentence about hydroxychloroquine retinal screening counts; a "not" elsewhere does not cancel it."""
    letter = Letter(id="eye", title="Eye clinic", date=day("2026-05-01"),
                    text="Hydroxychloroquine retinal screening today was normal.\nThere is not any retinopathy.")
    check = rules.hcq_eye_check(context([], [med(HCQ, "2018-01-01")], [letter]))
    assert check.last_done == day("2026-05-01") and check.status == "ok"


def test_declined_screening_sentence_does_not_count():
    """"Hydroxychloroquine retinal screening declined" is not screening done."""
    letter = Letter(id="eye", title="Letter", date=day("2026-05-01"),
                    text="Hydroxychloroquine retinal screening declined by the patient.")
    assert rules.hcq_eye_check(context([], [med(HCQ, "2018-01-01")], [letter])).last_done is None


# -- annual review ------------------------------------------------------------------------------

def test_annual_review_only_for_rheumatoid_arthritis():
    """The annual review check (QOF RA002) applies to rheumatoid arthritis, not psoriatic arthritis."""
    psa = ConditionEntry(id="psa", codings=[(SCT, "33339001")], clinical_status="active", date=day("2020-01-01"))
    assert rules.annual_review_check(context([], [], ra=False, conditions=[psa])) is None
    assert rules.annual_review_check(context()).status == "never"


def test_text_coded_annual_review_counts_and_a_newer_decline_is_addressed():
    """A review coded only by its words counts; a decline after an old review counts as addressed."""
    check = rules.annual_review_check(context([finding("Rheumatoid arthritis annual review", "2026-03-01")]))
    assert check.status == "ok" and check.last_done == day("2026-03-01")
    check = rules.annual_review_check(context([
        finding("Rheumatoid arthritis annual review", "2024-03-01"),
        LabResult(id="d", name="x", text="Rheumatoid arthritis annual review declined",
                  date=day("2026-02-01"), status="final")]))
    assert check.status == "ok" and check.addressed_by.startswith("declined on 1 February 2026")


# -- questions (§5.3) ---------------------------------------------------------------------------

def view_of(ctx: Context):
    return ia.SPEC.view(ctx)


def test_latest_result_beyond_action_threshold_prompts_with_drug_and_limit():
    """Neutrophils 1.4 on methotrexate prompts with the drug and the SPS limit (below 1.6)."""
    ctx = context(bloods("2026-11-02", neutrophils=1.4), [med(MTX, "2018-01-01")])
    texts = [q.text for q in ia.q_action_threshold(ctx, view_of(ctx))]
    assert texts == ["Your neutrophils (infection-fighting white cells) result on 2 November 2026 was "
                     "1.4 ×10⁹/L (the usual safety threshold for methotrexate monitoring is below 1.6 "
                     "×10⁹/L). You could ask whether anything needs to change."]


def test_earlier_low_result_followed_by_a_normal_one_does_not_prompt():
    """Only the latest result is compared with the threshold."""
    ctx = context(bloods("2026-08-01", neutrophils=1.2) + bloods("2026-11-02"), [med(MTX, "2018-01-01")])
    assert ia.q_action_threshold(ctx, view_of(ctx)) == []


def test_threshold_needs_a_dmard_with_blood_monitoring():
    """Without a current blood-monitored DMARD a low count gives no DMARD threshold question."""
    ctx = context(bloods("2026-11-02", neutrophils=1.2), [med(HCQ, "2018-01-01")])
    assert ia.q_action_threshold(ctx, view_of(ctx)) == []


def test_creatinine_rise_over_thirty_percent_in_a_year_prompts():
    """Creatinine 70 to 95 within 12 months (over 30%) on methotrexate prompts; 70 to 90 does not."""
    meds = [med(MTX, "2018-01-01")]
    ctx = context([lab("creatinine", "2026-01-05", 70), lab("creatinine", "2026-10-05", 95)], meds)
    assert [q.rule_id for q in ia.q_action_threshold(ctx, view_of(ctx))] == ["inflammatory_arthritis.creatinine_rise"]
    ctx = context([lab("creatinine", "2026-01-05", 70), lab("creatinine", "2026-10-05", 90)], meds)
    assert ia.q_action_threshold(ctx, view_of(ctx)) == []


def test_overdue_bloods_prompt_with_the_last_date():
    """Overdue bloods prompt with the drug and the date of the last set."""
    ctx = context(bloods("2026-07-01"), [med(MTX, "2018-01-01")])
    assert [q.text for q in ia.q_bloods_overdue(ctx, view_of(ctx))] == [
        "Your last monitoring blood test for methotrexate was on 1 July 2026. You could ask when the next one is due."]
    ctx = context(bloods("2026-11-01"), [med(MTX, "2018-01-01")])
    assert ia.q_bloods_overdue(ctx, view_of(ctx)) == []


def test_crp_rising_needs_two_results_and_a_rise():
    """CRP prompts on a rise between the last two results, never on one result or a fall."""
    rising = context([lab("crp", "2026-06-01", 4), lab("crp", "2026-10-01", 11)])
    assert len(ia.q_crp_rising(rising, view_of(rising))) == 1
    for results in ([lab("crp", "2026-10-01", 11)], [lab("crp", "2026-06-01", 11), lab("crp", "2026-10-01", 4)]):
        ctx = context(results)
        assert ia.q_crp_rising(ctx, view_of(ctx)) == []


def test_annual_review_question_when_over_a_year():
    """A review over 12 months ago prompts with its date; one this year does not."""
    old = context([finding("Rheumatoid arthritis annual review", "2025-06-01")])
    assert "Your last arthritis review was on 1 June 2025." in ia.q_annual_review(old, view_of(old))[0].text
    recent = context([finding("Rheumatoid arthritis annual review", "2026-06-01")])
    assert ia.q_annual_review(recent, view_of(recent)) == []


def test_hcq_question_after_five_years_without_screening():
    """Hydroxychloroquine since 2019 with no screening prompts; since 2023 it does not."""
    ctx = context([], [med(HCQ, "2019-04-01")])
    assert ia.q_hcq_eye_screening(ctx, view_of(ctx))[0].text == (
        "You've taken hydroxychloroquine since 1 April 2019. You could ask about eye screening.")
    ctx = context([], [med(HCQ, "2023-04-01")])
    assert ia.q_hcq_eye_screening(ctx, view_of(ctx)) == []


def test_biologic_in_a_recent_letter_but_not_on_the_gp_list_prompts():
    """A letter naming adalimumab prompts when the GP list lacks it, worded for a carer too."""
    letter = Letter(id="l", title="Rheumatology letter", date=day("2026-09-01"),
                    text="We have started adalimumab 40mg every two weeks.")
    ctx = context([], [med(MTX, "2018-01-01")], [letter], viewer="proxy")
    assert [q.text for q in ia.q_biologic_in_letter(ctx, view_of(ctx))] == [
        "A letter dated 1 September 2026 (Rheumatology letter) mentions adalimumab. It isn't on "
        "Fiona's GP medication list. You and Fiona could ask whether the records are up to date."]


def test_biologic_already_listed_or_in_an_old_letter_does_not_prompt():
    """No question when the biologic is on the list, or when the letter is over a year old."""
    letter = Letter(id="l", title="Letter", date=day("2026-09-01"), text="Continue etanercept.")
    listed = context([], [med("Etanercept 50mg injection", "2025-01-01", kind="statement")], [letter])
    assert ia.q_biologic_in_letter(listed, view_of(listed)) == []
    old = Letter(id="o", title="Letter", date=day("2024-09-01"), text="Continue etanercept.")
    ctx = context([], [], [old])
    assert ia.q_biologic_in_letter(ctx, view_of(ctx)) == []


def test_biologic_names_are_in_the_medicines_table():
    """Every biologic the brief lists is class `biologic` in medicines.csv."""
    names = ("adalimumab etanercept infliximab certolizumab golimumab tocilizumab rituximab "
             "abatacept sarilumab baricitinib tofacitinib upadacitinib filgotinib").split()
    assert all("biologic" in terminology.medicine_classes(text=n) for n in names)


# -- measures -----------------------------------------------------------------------------------

def test_monitoring_blood_shows_action_threshold_as_text_not_as_a_target_range():
    """On a DMARD, white cells show the SPS threshold text with its source, but no target bounds."""
    shown = ia.build_measure(context(bloods("2026-11-02"), [med(MTX, "2018-01-01")]), "wcc")
    assert shown.target == "DMARD monitoring action threshold: white cell count below 3.5"
    assert shown.target_source == "[SPS]" and shown.target_low is None and shown.target_high is None
    assert ia.build_measure(context(bloods("2026-11-02")), "wcc").target is None


def test_das28_has_treat_to_target_aim_and_bands():
    """DAS28 shows the NG100 treat-to-target aim and its bands, all from targets.csv."""
    shown = ia.build_measure(context([lab("das28", "2026-06-01", 3.0)]), "das28")
    assert shown.target_source == "[NG100]" and shown.target_high == 2.6
    assert "DAS28 above 5.1: high activity" in shown.note


# -- the demo record ----------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", ["patient", "clinic"])
def test_demo_rheumatoid_arthritis_gives_a_full_view(fresh_store, viewer):
    """The demo RA patient gets a non-empty arthritis view through the whole pipeline."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    import_paths(fresh_store, [DEMO])
    patient_id = next(iter(fresh_store.patient_ids()))
    summary = build_summary(open_record(fresh_store, Viewer.parse(patient_id, viewer), TODAY))
    view = next(v for v in summary.conditions if v.id == "inflammatory_arthritis")
    assert view.measures and view.checks and view.questions
    assert {c.id for c in view.checks} >= {"dmard_bloods", "hcq_eye_screening"}
