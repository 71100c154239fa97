"""Which situations shape the diabetes view (conditions/situations.py, clinical-reference §11.2 to
§11.8), and the targets, checks and prompts they choose, on small hand-written records with
"today" frozen. Hand-made for issue 15 in the shape of a UK GP record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conditions import diabetes_checks
from conditions.base import Context
from conditions.diabetes import SPEC
from conditions.situations import Kidneys, situations
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.summary.core import build_summary
from ltc_dashboard.summary.sheet import summary_markdown

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
T2 = ("44054006", "Type 2 diabetes mellitus")
T1 = ("46635009", "Type 1 diabetes mellitus")
GDM = ("11687002", "Gestational diabetes mellitus")
PREGNANCY = ("77386006", "Pregnancy")
REMISSION = ("703138006", "Type 2 diabetes mellitus in remission")


def condition(code, status="active", verification="confirmed", onset="2015-01-01", rid=None) -> dict:
    return {"resourceType": "Condition", "id": rid or f"c-{code[0]}", "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"code": status}]},
            "verificationStatus": {"coding": [{"code": verification}]}, "onsetDateTime": onset,
            "code": {"coding": [{"system": SCT, "code": code[0], "display": code[1]}]}}


def result(measure: str, when: str, value: float, unit: str) -> dict:
    codes = {"hba1c": "999791000000106", "egfr": "1011481000000105", "acr": "1023491000000104"}
    return {"resourceType": "Observation", "id": f"{measure}-{when}", "status": "final",
            "code": {"coding": [{"system": SCT, "code": codes[measure]}]}, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": unit}}


def delivery_date(due: str, recorded: str = "2026-06-01T10:00:00+01:00") -> dict:
    return {"resourceType": "Observation", "id": f"edd-{due}", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "11778-8"}]},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": recorded, "valueDateTime": due}


def gliclazide() -> list[dict]:
    plan = {"resourceType": "MedicationRequest", "id": "m-glic", "status": "active", "intent": "plan",
            "medicationCodeableConcept": {"text": "Gliclazide 80mg tablets"}, "subject": {"reference": "Patient/p"},
            "authoredOn": "2020-01-01"}
    issue = {"resourceType": "MedicationRequest", "id": "m-glic-1", "status": "completed", "intent": "order",
             "medicationCodeableConcept": {"text": "Gliclazide 80mg tablets"}, "subject": {"reference": "Patient/p"},
             "authoredOn": "2026-10-05", "basedOn": [{"reference": "MedicationRequest/m-glic"}]}
    return [plan, issue]


def range_goal(low: float, high: float) -> dict:
    quantity = lambda v: {"value": v, "unit": "mmol/mol"}  # noqa: E731
    return {"resourceType": "Goal", "id": "g-range", "lifecycleStatus": "active", "startDate": "2026-01-01",
            "subject": {"reference": "Patient/p"},
            "target": [{"measure": {"coding": [{"system": SCT, "code": "999791000000106"}]},
                        "detailRange": {"low": quantity(low), "high": quantity(high)}}]}


def register_flag() -> dict:
    return {"resourceType": "Flag", "id": "f-eol", "status": "active", "subject": {"reference": "Patient/p"},
            "period": {"start": "2026-08-01"},
            "code": {"coding": [{"system": SCT, "code": "414937009",
                                 "display": "On gold standards palliative care framework"}]}}


def context(*resources, born: str = "1970-01-01", viewer: str = "patient") -> Context:
    flat = []
    for item in resources:
        flat.extend(item if isinstance(item, list) else [item])
    patient = {"resourceType": "Patient", "id": "p", "birthDate": born, "gender": "female",
               "name": [{"given": ["Ann"], "family": "Example"}]}
    return Context(record=map_record([patient, *flat]), today=TODAY, viewer_kind=viewer,
                   patient_name="Ann Example")


# -- the diagnosis and the type ----------------------------------------------------------------

@pytest.mark.parametrize(("entries", "diagnosis"), [
    ([condition(T2)], "confirmed"),
    ([condition(T2, verification="provisional")], "possible"),
    ([condition(T2, verification="differential")], "possible"),
    ([condition(T2, verification="refuted")], "none"),
    ([condition(T2, verification="entered-in-error")], "none"),
    ([condition(T2, status="resolved")], "none"),
    ([condition(T2, status="inactive")], "none"),
    ([condition(T2, status="remission")], "remission"),
    ([condition(T2, status="resolved"), condition(REMISSION)], "remission"),
    ([condition(GDM, status="resolved")], "gdm_after_birth"),
    ([condition(GDM)], "gdm_after_birth"),
])
def test_diagnosis_follows_clinical_and_verification_status(entries, diagnosis):
    """Provisional or differential is "possible", refuted and entered-in-error are ignored, resolved
    opens nothing unless remission is coded, and gestational diabetes with no pregnancy is "after
    the birth" (clinical-reference §11.4, §11.8)."""
    assert situations(context(*entries)).diagnosis == diagnosis


def test_type1_and_type2_both_coded_reads_as_type2():
    """Type 1 alone is type 1; with type 2 also coded it reads as type 2, as before (§11.2)."""
    assert situations(context(condition(T1))).kind == "type1"
    assert situations(context(condition(T1), condition(T2))).kind == "type2"


def test_a_possible_type2_does_not_turn_confirmed_type1_into_type2():
    """Only a confirmed type 2 entry makes a confirmed type 1 record read as type 2."""
    found = situations(context(condition(T1), condition(T2, verification="provisional")))
    assert (found.diagnosis, found.kind) == ("confirmed", "type1")


def test_situations_are_worked_out_once_per_context():
    """The same object comes back for the same Context: every view part reads one answer."""
    ctx = context(condition(T2))
    assert situations(ctx) is situations(ctx)


# -- age ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("born", "checks"), [
    ("2016-01-01", ["hba1c", "thyroid"]),  # 10: HbA1c and thyroid only
    ("2014-11-25", ["hba1c", "thyroid", "retinal", "acr", "bp"]),  # 12 today: eye, ACR, BP start
    ("2011-01-01", ["hba1c", "thyroid", "retinal", "acr", "bp"]),  # 15: no smoking check
    ("2010-11-25", ["hba1c", "thyroid", "retinal", "acr", "bp", "smoking"]),  # 16 today
])
def test_children_with_type1_get_the_ng18_checks_by_age(born, checks):
    """Under 18 with type 1: HbA1c and thyroid; from 12 eye, ACR and BP; smoking from 16 (§11.3)."""
    assert [c.id for c in diabetes_checks.checks(context(condition(T1), born=born))] == checks


def test_eighteen_is_an_adult():
    """On the 18th birthday the adult checks and targets apply."""
    ctx = context(condition(T1), born="2008-11-25")
    assert not situations(ctx).child and "child" not in situations(ctx).ids()
    assert "cholesterol" in [c.id for c in diabetes_checks.checks(ctx)]


def test_children_get_no_adult_blood_pressure_number_or_bp_question():
    """A 15-year-old's BP target is words about age charts with no number, and raised readings
    give no adult BP question (§11.3)."""
    bp = [result("hba1c", "2026-10-01", 50, "mmol/mol")]
    for when, top in (("2026-06-01", 150), ("2026-10-01", 152)):
        bp += [{"resourceType": "Observation", "id": f"s-{when}", "status": "final",
                "code": {"coding": [{"system": SCT, "code": "163030003"}]}, "subject": {"reference": "Patient/p"},
                "effectiveDateTime": when, "valueQuantity": {"value": top, "unit": "mm[Hg]"}}]
    view = SPEC.view(context(condition(T1), *bp, born="2011-01-01"))
    systolic = next(m for m in view.measures if m.id == "bp_systolic")
    assert systolic.target_high is None and "no adult number" in systolic.target
    assert not any("under 80" in (m.target or "") for m in view.measures)
    assert not [q for q in view.questions if q.rule_id == "diabetes.bp_above_target"]


# -- pregnancy ---------------------------------------------------------------------------------

def test_pregnancy_from_a_future_delivery_date_dates_its_start():
    """An expected delivery date in the future means pregnant, the start 40 weeks before it."""
    found = situations(context(condition(T2), delivery_date("2027-02-15")))
    assert found.pregnant and found.pregnancy_start == dt.date(2026, 5, 11)


def test_a_past_delivery_date_or_an_old_pregnancy_entry_is_not_a_pregnancy():
    """A delivery date already past, or a pregnancy Condition older than 43 weeks left open by
    mistake, or one resolved, does not make someone pregnant today."""
    assert not situations(context(condition(T2), delivery_date("2026-10-01", "2026-03-01"))).pregnant
    assert not situations(context(condition(T2), condition(PREGNANCY, onset="2025-09-01"))).pregnant
    assert not situations(context(condition(T2), condition(PREGNANCY, status="resolved",
                                                           onset="2026-09-01"))).pregnant
    assert situations(context(condition(T2), condition(PREGNANCY, onset="2026-09-01"))).pregnant


def test_gestational_diabetes_in_pregnancy_opens_the_pregnancy_view_without_adult_checks():
    """Gestational diabetes while pregnant is the NG3 view (aim below 48) with no yearly adult
    checks; after the birth it is a yearly HbA1c only (§11.4)."""
    ctx = context(condition(GDM, onset="2026-10-01"), delivery_date("2026-12-30"))
    found = situations(ctx)
    assert found.diagnosis == "confirmed" and found.gestational and found.pregnant
    assert diabetes_checks.checks(ctx) == []
    after = diabetes_checks.checks(context(condition(GDM, status="resolved")))
    assert [(c.id, c.interval_days, c.source) for c in after] == [("hba1c", 365, "[NG3]")]


def test_pregnancy_never_gives_the_low_hba1c_dose_question_or_a_treatment_question():
    """Pregnant on gliclazide with HbA1c 40 and ACR raised twice: no "target or doses" question, and
    the ACR question asks what it means in pregnancy, never about a treatment (§11.4)."""
    ctx = context(condition(T2), delivery_date("2027-02-15"), gliclazide(),
                  result("hba1c", "2026-10-20", 40, "mmol/mol"),
                  result("acr", "2026-03-02", 4, "mg/mmol"), result("acr", "2026-09-14", 5, "mg/mmol"))
    texts = [q.text for q in SPEC.view(ctx).questions]
    assert not any("doses" in t for t in texts)
    assert not any("treatment" in t for t in texts)
    assert any("during pregnancy" in t for t in texts)


# -- kidneys -----------------------------------------------------------------------------------

def test_ckd_needs_two_results_at_least_three_months_apart():
    """eGFR below 60 twice 3 months apart is CKD G3a; twice a month apart is not yet (§11.5)."""
    apart = context(condition(T2), result("egfr", "2026-03-01", 55, "mL/min"), result("egfr", "2026-06-01", 50, "mL/min"))
    close = context(condition(T2), result("egfr", "2026-05-01", 55, "mL/min"), result("egfr", "2026-06-01", 50, "mL/min"))
    assert situations(apart).kidneys == Kidneys("G3a", "A1", False)
    assert situations(close).kidneys is None


def test_ckd_from_acr_alone_and_the_acr_70_flag():
    """ACR 3 or more twice 3 months apart is A2 (eGFR normal); ACR 70 or more sets the lower BP
    target row (§11.5)."""
    a2 = context(condition(T2), result("acr", "2026-01-05", 4, "mg/mmol"), result("acr", "2026-06-01", 5, "mg/mmol"))
    a3 = context(condition(T2), result("acr", "2026-01-05", 72, "mg/mmol"), result("acr", "2026-06-01", 78, "mg/mmol"))
    assert situations(a2).kidneys == Kidneys("G1", "A2", False)
    assert situations(a3).kidneys == Kidneys("G1", "A3", True)


@pytest.mark.parametrize(("g", "a", "row"), [
    ("G2", "A2", "ckd_g1g2_a2"), ("G3a", "A3", "ckd_g3a_a3"), ("G3b", "A1", "ckd_g3b_a1"),
    ("G4", "A3", "ckd_g4_a3"), ("G5", "A1", "ckd_g5"), ("G5", "A3", "ckd_g5"),
])
def test_ckd_category_names_its_interval_row(g, a, row):
    """Each category reads its NG203 table 1 row in intervals.csv (§11.5)."""
    assert Kidneys(g, a, False).interval_row == row


def test_ckd_g3b_tests_kidneys_every_six_months():
    """G3b A2: eGFR and ACR every 6 months (the lower bound of "2 a year"), from the unverified
    NG203 row (§11.5)."""
    ctx = context(condition(T2), result("egfr", "2026-02-01", 40, "mL/min"), result("egfr", "2026-08-01", 42, "mL/min"),
                  result("acr", "2026-02-01", 5, "mg/mmol"), result("acr", "2026-08-01", 6, "mg/mmol"))
    checks = {c.id: c for c in diabetes_checks.checks(ctx)}
    assert (checks["egfr"].interval_days, checks["acr"].interval_days) == (183, 183)
    assert checks["egfr"].verified is False and checks["egfr"].due == dt.date(2027, 1, 31)


# -- personal range, frailty, end of life ------------------------------------------------------

def test_a_goal_with_low_and_high_is_a_personal_range():
    """A Goal with both a low and a high HbA1c is the personal range, said in words (§11.6)."""
    found = situations(context(condition(T2), range_goal(58, 70)))
    assert found.personal_range == (58, 70)
    assert "your personal range is 58 to 70 mmol/mol" in next(s.words for s in found.shown if s.id == "personal_range")


def test_below_the_personal_range_on_a_hypo_medicine_gives_the_hypo_question():
    """HbA1c 55 on gliclazide with a range of 58 to 70 (above the usual 48) asks about hypos (§11.6)."""
    ctx = context(condition(T2), range_goal(58, 70), gliclazide(), result("hba1c", "2026-11-02", 55, "mmol/mol"))
    texts = [q.text for q in SPEC.view(ctx).questions if q.rule_id == "diabetes.hba1c_low_hypo_medicine"]
    assert texts and "below your personal range of 58 to 70 mmol/mol" in texts[0]


def test_end_of_life_shows_checks_as_not_needed_and_no_target():
    """On the palliative care register no check is overdue or due, no HbA1c target is shown, and
    no question chases a target or a yearly check (§11.7)."""
    ctx = context(condition(T2), register_flag(), gliclazide(),
                  result("hba1c", "2026-04-06", 62, "mmol/mol"), result("hba1c", "2026-10-05", 70, "mmol/mol"))
    view = SPEC.view(ctx)
    assert view.checks and {c.status for c in view.checks} == {"not-needed"}
    assert all(c.due is None for c in view.checks)
    assert next(m for m in view.measures if m.id == "hba1c").target is None
    assert view.questions == []


def test_a_year_plus_prognosis_is_not_end_of_life():
    """GSF stage A (a year or more) does not count as months or less (§11.7)."""
    stage_a = condition(("845701000000104", "GSF prognostic indicator stage A"), rid="c-gsf")
    assert not situations(context(condition(T2), stage_a)).end_of_life


# -- words -------------------------------------------------------------------------------------

def test_situation_words_are_plain_and_name_their_source():
    """Every situation says "Because ..." (or "recorded as possible") in plain words with no
    internal reference, and carries a table source key."""
    records = [
        (condition(T1), delivery_date("2027-02-15"), range_goal(58, 70)),
        (condition(T2), register_flag(), result("acr", "2026-01-05", 72, "mg/mmol"),
         result("acr", "2026-06-01", 78, "mg/mmol")),
        (condition(T2, verification="provisional"),),
        (condition(GDM, status="resolved"),),
        (condition(T2, status="remission"),),
    ]
    seen = set()
    for entries in records:
        for situation in situations(context(*entries)).shown:
            seen.add(situation.id)
            assert situation.source
            assert situation.words.startswith("Because") or "recorded as possible" in situation.words
            assert not any(mark in situation.words for mark in ("§", "[", "unverified", "clinical-reference"))
    assert seen >= {"pregnancy", "type1", "personal_range", "end_of_life", "ckd", "possible",
                    "gdm_after_birth", "remission"}


def test_a_carer_reads_the_situation_about_the_person():
    """A carer reads "Because Ann is pregnant", not "Because you are pregnant"."""
    words = [s.words for s in situations(context(condition(T2), delivery_date("2027-02-15"), viewer="proxy")).shown]
    assert words and words[0].startswith("Because Ann is pregnant")


def test_the_view_carries_its_situations():
    """ConditionView.situations lists the situations in words with their sources."""
    view = SPEC.view(context(condition(T1), delivery_date("2027-02-15")))
    assert [(s.id, s.source, s.basis) for s in view.situations] == [
        ("pregnancy", "NICE guideline NG3", "[NG3]"), ("type1", "NICE guideline NG17", "[NG17]")]


# -- shown on the sheet, and not for someone who has died ------------------------------------

FIXTURE = Path(__file__).parent / "fixtures" / "conditions" / "diabetes" / "pregnancy_type2_insulin_hba1c_46"


def _summary_of(bundle: dict, store, tmp_path):
    source = tmp_path / "bundle.json"
    source.write_text(json.dumps(bundle))
    import_paths(store, [source])
    patient_id = next(iter(store.patient_ids()))
    return build_summary(open_record(store, Viewer(kind="patient", patient_id=patient_id), TODAY))


def test_the_sheet_says_which_situation_shaped_the_view(fresh_store, tmp_path):
    """The printable sheet carries the "Because you are pregnant, ..." line of the diabetes view."""
    summary = _summary_of(json.loads((FIXTURE / "input.json").read_text()), fresh_store, tmp_path)
    assert "Because you are pregnant" in summary_markdown(summary)


def test_someone_who_has_died_gets_no_situation_lines(fresh_store, tmp_path):
    """The record of someone who has died shows no situations, targets or checks (§11.10)."""
    bundle = json.loads((FIXTURE / "input.json").read_text())
    bundle["entry"][0]["resource"]["deceasedDateTime"] = "2026-11-01"
    summary = _summary_of(bundle, fresh_store, tmp_path)
    view = next(v for v in summary.conditions if v.id == "diabetes")
    assert summary.death_notice and view.situations == [] and view.checks == []
    assert "Because you are pregnant" not in summary_markdown(summary)


def test_an_inactive_diabetes_flag_opens_no_view_and_an_active_one_does():
    """A diabetes register flag counts only while active, as for every other view."""
    flag = {"resourceType": "Flag", "id": "f-dm", "status": "inactive", "subject": {"reference": "Patient/p"},
            "period": {"start": "2020-01-01"}, "code": {"coding": [{"system": SCT, "code": T2[0], "display": T2[1]}]}}
    assert situations(context(flag)).diagnosis == "none"
    assert situations(context(dict(flag, status="active"))).diagnosis == "confirmed"
