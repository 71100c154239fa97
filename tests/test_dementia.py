"""Rules of the dementia view (clinical-reference §4): memory scores per instrument, the
antipsychotic review counted from the start of the course, new-medicine and score-change
questions, carer wording and the carers panel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conditions import dementia
from conditions.base import Context
from ltc_dashboard.record.mapping import map_record

TODAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UKREL = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole"
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Dorothy"], "family": "Example"}],
           "birthDate": "1939-05-20"}
DIAGNOSIS = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
             "clinicalStatus": {"coding": [{"code": "active"}]},
             "code": {"coding": [{"system": SCT, "code": "26929004"}]}, "onsetDateTime": "2023-01-01"}


def score(measure, when, value):
    codes = {"mmse": {"coding": [{"system": SCT, "code": "447316007"}]},
             "moca": {"coding": [{"system": LOINC, "code": "72172-0"}]},
             "sixcit": {"text": "6CIT score"}}
    return {"resourceType": "Observation", "id": f"{measure}-{when}", "status": "final",
            "code": codes[measure], "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": "{score}"}}


def coded(code, when):
    return {"resourceType": "Observation", "id": f"o-{code}-{when}", "status": "final",
            "code": {"coding": [{"system": SCT, "code": code}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when}


def issues(name, *dates):
    return [{"resourceType": "MedicationRequest", "id": f"m-{name[:6]}-{when}", "status": "active",
             "intent": "order", "medicationCodeableConcept": {"text": name},
             "subject": {"reference": "Patient/p1"}, "authoredOn": when} for when in dates]


def person(pid, name, codes, text=None, end=None):
    relationship = {"coding": [{"system": s, "code": c} for s, c in codes]}
    if text:
        relationship["text"] = text
    return {"resourceType": "RelatedPerson", "id": pid, "patient": {"reference": "Patient/p1"},
            "name": [{"text": name}], "relationship": [relationship],
            "period": {"start": "2024-02-01", **({"end": end} if end else {})}}


MED_REVIEW = "938551000000108"


def ctx(*resources, viewer="patient") -> Context:
    flat = []
    for item in resources:
        flat.extend(item if isinstance(item, list) else [item])
    return Context(record=map_record([PATIENT, DIAGNOSIS, *flat]), today=TODAY, viewer_kind=viewer,
                   patient_name="Dorothy Example")


def rule_ids(context: Context) -> list[str]:
    return [q.rule_id for q in dementia.SPEC.view(context).questions]


def test_score_change_never_compares_instruments():
    """An MMSE followed by a lower MoCA is not a fall: scores are compared within one test only."""
    assert dementia.ask_score_change(ctx(score("mmse", "2025-01-01", 27), score("moca", "2026-01-01", 20)), None) == []


def test_score_fall_of_three_points_prompts_and_two_does_not():
    """The §4.3 trigger is a fall of 3 points or more between the last two tests."""
    three = ctx(score("mmse", "2025-01-01", 24), score("mmse", "2026-01-01", 21))
    two = ctx(score("mmse", "2025-01-01", 24), score("mmse", "2026-01-01", 22))
    assert "from 24 on 1 January 2025 to 21 on 1 January 2026" in dementia.ask_score_change(three, None)[0].text
    assert dementia.ask_score_change(two, None) == []


def test_only_the_last_two_tests_are_compared():
    """An old fall followed by a stable pair does not prompt."""
    context = ctx(score("mmse", "2024-01-01", 28), score("mmse", "2025-01-01", 22),
                  score("mmse", "2026-01-01", 22))
    assert dementia.ask_score_change(context, None) == []


def test_sixcit_rise_is_a_worsening():
    """6CIT counts errors, so a rise of 3 prompts and a fall of 3 does not (§4.1)."""
    rise = ctx(score("sixcit", "2025-01-01", 8), score("sixcit", "2026-01-01", 11))
    fall = ctx(score("sixcit", "2025-01-01", 11), score("sixcit", "2026-01-01", 8))
    assert "higher score means more difficulty" in dementia.ask_score_change(rise, None)[0].text
    assert dementia.ask_score_change(fall, None) == []


def test_scores_are_never_a_check():
    """No memory score is ever due or overdue (§4.2 design choice)."""
    view = dementia.SPEC.view(ctx(score("mmse", "2019-01-01", 24)))
    assert {c.id for c in view.checks} == {"care_plan_review", "medication_review"}


def test_measure_carries_bands_and_source_and_is_absent_without_results():
    """MMSE shows the TA217 bands as its target text; a test never done is not listed."""
    view = dementia.SPEC.view(ctx(score("mmse", "2026-01-01", 22)))
    mmse = {m.id: m for m in view.measures}["mmse"]
    assert "MMSE 10 to 20: moderate" in mmse.target and mmse.target_source == "NICE technology appraisal TA217"
    assert mmse.target_basis == "[TA217]"
    assert [m.id for m in view.measures] == ["mmse"]


def test_no_antipsychotic_check_without_a_current_antipsychotic():
    """The antipsychotic review applies only while one is current: an issue 22 months ago, and a
    later one 20 months ago, is not (clinical-reference §11.1). A lone active order never re-issued
    is current under §11.1 (a US-style order), so the old record is two issues here."""
    assert dementia.antipsychotic_check(ctx()) is None
    assert dementia.antipsychotic_check(ctx(issues("Risperidone 500microgram tablets", "2025-01-10",
                                                   "2025-03-10"))) is None


def test_antipsychotic_review_counts_only_reviews_since_the_start():
    """A review before the antipsychotic started does not count; the first is due 6 weeks after."""
    context = ctx(coded(MED_REVIEW, "2026-10-01"), issues("Risperidone 500microgram tablets", "2026-11-01"))
    check = dementia.antipsychotic_check(context)
    assert (check.last_done, check.due, check.status) == (None, dt.date(2026, 12, 13), "ok")


def test_antipsychotic_review_overdue_after_six_weeks_prompts():
    """Current for more than 6 weeks with no review since it started: overdue, with a question."""
    context = ctx(issues("Quetiapine 25mg tablets", "2026-09-01", "2026-10-01", "2026-11-01"))
    assert dementia.antipsychotic_check(context).status == "overdue"
    assert "Quetiapine has been prescribed since 1 September 2026" in dementia.ask_antipsychotic(context, None)[0].text


def test_anticipatory_injection_is_not_counted_as_an_antipsychotic():
    """A levomepromazine injection in a just-in-case box is not a dementia antipsychotic."""
    context = ctx(issues("Levomepromazine 25mg/1ml solution for injection ampoules", "2026-09-01"))
    assert dementia.antipsychotic_check(context) is None


def test_dose_change_is_not_a_new_medicine():
    """Donepezil 10mg after years of 5mg is not "started in the last 3 months"."""
    context = ctx(issues("Donepezil 5mg tablets", "2024-01-01", "2024-03-01", "2024-05-01", "2024-07-01",
                         "2024-09-01", "2024-11-01", "2025-01-01", "2025-03-01", "2025-05-01",
                         "2025-07-01", "2025-09-01", "2025-11-01", "2026-01-01", "2026-03-01",
                         "2026-05-01", "2026-07-01", "2026-09-01"),
                  issues("Donepezil 10mg tablets", "2026-10-20"))
    assert dementia.ask_new_medicine(context, None) == []


def test_new_medicine_window_is_three_months():
    """Started on 25 August 2026 prompts on 25 November 2026; started the day before does not."""
    inside = ctx(issues("Galantamine 8mg capsules", "2026-08-25"))
    outside = ctx(issues("Galantamine 8mg capsules", "2026-08-24"))
    assert "slow pulse" in dementia.ask_new_medicine(inside, None)[0].text
    assert dementia.ask_new_medicine(outside, None) == []


def test_memantine_gets_open_wording_not_the_ache_inhibitor_list():
    """The unverified side-effect list is only for AChE inhibitors; memantine gets open wording."""
    text = dementia.ask_new_medicine(ctx(issues("Memantine 10mg tablets", "2026-11-01")), None)[0].text
    assert "slow pulse" not in text and "any changes or side effects" in text


def test_care_plan_decline_counts_as_addressed():
    """A decline in the last year turns an overdue care-plan review into ok, with no question."""
    view = dementia.SPEC.view(ctx(coded("956881000000103", "2026-05-01")))
    check = {c.id: c for c in view.checks}["care_plan_review"]
    assert check.status == "ok" and "declined" in check.addressed_by
    assert "dementia.care_plan_review" not in rule_ids(ctx(coded("956881000000103", "2026-05-01")))


def test_plan_ahead_prompt_stops_with_an_attorney():
    """No LPA or advance care plan prompts; a RelatedPerson with an attorney role stops it."""
    assert "dementia.plan_ahead" in rule_ids(ctx())
    assert "dementia.plan_ahead" not in rule_ids(ctx(person("a", "Anne", [(UKREL, "Agent")])))


def test_carer_wording_for_proxy():
    """A proxy reads "You and Dorothy could ask ..." (§1.4 rule 6)."""
    texts = [q.text for q in dementia.SPEC.view(ctx(viewer="proxy")).questions]
    assert texts and all("you and dorothy could" in t.lower() for t in texts)


def test_proxy_intro_says_what_consent_allows():
    """The carer's intro says they see what the person's consent allows; the patient's does not."""
    assert "what Dorothy's consent allows you to see" in dementia.intro(ctx(viewer="proxy"))
    assert "consent" not in dementia.intro(ctx())


def test_carers_panel_lists_carers_only():
    """Carer and caregiver relationships are listed with name and relationship; an attorney-only
    person and a carer whose role ended are not."""
    panel = dementia.carers(ctx(person("d", "Susan Example", [(UKREL, "Carer")], text="Carer"),
                                person("n", "Neil Example", [(SCT, "133932002")], text="Caregiver"),
                                person("a", "Anne Example", [(UKREL, "Agent")], text="Attorney"),
                                person("x", "Old Carer", [(UKREL, "Carer")], end="2025-01-01")))
    assert panel.id == "carer_details"
    assert [(name, relation) for name, relation, _ in panel.items] == [
        ("Susan Example", "Carer"), ("Neil Example", "Caregiver")]


def test_demo_dementia_record_gives_a_carer_view(fresh_store):
    """The UK-coded demo record opens a non-empty dementia view for the daughter's proxy access."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer, open_record
    from ltc_dashboard.summary.core import build_summary

    import_paths(fresh_store, [DEMO / "dementia.json"])
    patient_id = next(iter(fresh_store.patient_ids()))
    viewer = Viewer.parse(patient_id, "proxy:RelatedPerson/dem-rp-daughter")
    views = {v.id: v for v in build_summary(open_record(fresh_store, viewer, TODAY)).conditions}
    view = views["dementia"]
    assert view.measures and view.checks and view.questions
    assert all("you and dorothy could" in q.text.lower() for q in view.questions)
