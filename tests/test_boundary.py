"""Honest about the boundary (issue 16): a view under a date boundary (the patient's online record
start, a carer's Consent data period) says what it cannot see; a check with no result after the
boundary is "not in your online record", never "never"; a carer is told when their view starts,
when their permission ends, and that sensitive entries may be withheld (never which).

Records are hand-made for issue 16 in the shape of a UK GP record (SNOMED-coded Conditions and
results, an INFA patient-privacy Consent for prospective access and one for a carer), through the
real store, gate, summary, sheet and page words.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.consent import read_access
from ltc_dashboard.gate.consent_rules import Reader
from ltc_dashboard.summary.sheet import carer_scope_lines, summary_markdown
from pages.text import check_row, missing_words, status_label
from test_chosen_views import (
    CARER, DIABETES_2019, PATIENT, PEOPLE, TODAY, access_start, condition, hba1c, medicine, result, service_with,
)

CHOLESTEROL = "1005671000000105"
# A day within a year of both boundaries (31 October 2023, 1 January 2024): a yearly check done
# before the boundary could still count, so one not found is "not in your online record".
DAY = dt.date(2024, 9, 1)
PATIENT_NOTE = "Your online record starts on 31 October 2023, so checks done before then do not show here."
CARER_NOTE = "What you can see of Pat's record starts on 1 January 2024, so checks done before then do not show here."


def carer_consent(start: str = "2024-01-01", ends: str | None = "2027-03-31") -> dict:
    """The carer's access Consent: data from `start`, the permission in force until `ends`."""
    consent = access_start(start, "RelatedPerson/rp1", "carer")
    if ends:
        consent["provision"]["period"] = {"start": "2024-01-01", "end": ends}
    return consent


def view_of(summary, view_id: str = "diabetes"):
    return next(v for v in summary.conditions if v.id == view_id)


def test_prospective_access_checks_with_no_result_after_the_start_are_not_in_the_online_record(fresh_store):
    """Diabetes since 2019, online access from 31 October 2023, the view chosen, on 1 September 2024:
    the view says what it cannot see, yearly checks with no result since are "never" marked
    before_boundary and worded "not in your online record", and the HbA1c check with a 2024 result
    is as it would be."""
    service = service_with(fresh_store, [*DIABETES_2019, access_start("2023-10-31")])
    service.choose_view(PATIENT, "diabetes", True)
    summary = service.summary(PATIENT, DAY)
    view = view_of(summary)
    assert summary.view_starts == dt.date(2023, 10, 31) and summary.access_ends is None
    assert view.boundary_note == PATIENT_NOTE
    checks = {c.id: c for c in view.checks}
    assert (checks["hba1c"].last_done, checks["hba1c"].before_boundary) == (dt.date(2024, 6, 1), False)
    assert (checks["foot"].status, checks["foot"].before_boundary) == ("never", True)
    assert all(c.before_boundary for c in view.checks if c.status == "never")
    assert check_row(checks["foot"])["Status"] == "❔ Not in your online record"
    assert check_row(checks["foot"])["Last done"] == "not in your online record"
    question = next(q.text for q in view.questions if q.rule_id == "diabetes.care_processes")
    assert "or are not in your online record:" in question and "foot check in your online record." in question
    assert "not at all" not in question and "record you can see" not in question
    assert '"before_boundary":true' in summary.model_dump_json()


def test_without_a_boundary_a_check_with_no_result_is_worded_as_before(fresh_store):
    """Full access: no boundary note, no check marked before_boundary, "No record found"."""
    summary = service_with(fresh_store, DIABETES_2019).summary(PATIENT, DAY)
    view = view_of(summary)
    assert view.boundary_note is None and summary.view_starts is None
    foot = next(c for c in view.checks if c.id == "foot")
    assert (foot.status, foot.before_boundary) == ("never", False)
    assert check_row(foot)["Status"] == "❔ No record found"
    question = next(q.text for q in view.questions if q.rule_id == "diabetes.care_processes")
    assert "or not at all" in question and "in the record you can see" in question


def test_a_carer_is_told_when_their_view_starts_and_their_permission_ends(fresh_store):
    """A carer's Consent with data from 2024 and a permission until 31 March 2027: the summary, the
    chosen view's note and the checks say so in carer words; the patient's own view has no boundary."""
    service = service_with(fresh_store, [*DIABETES_2019, carer_consent()])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, DAY)
    assert (summary.record_starts, summary.view_starts, summary.access_ends) == (
        None, dt.date(2024, 1, 1), dt.date(2027, 3, 31))
    view = view_of(summary)
    assert view.boundary_note == CARER_NOTE
    foot = next(c for c in view.checks if c.id == "foot")
    assert foot.before_boundary
    words = missing_words("proxy", summary.patient.name)
    assert words == "Not in what you can see of Pat's record"
    assert check_row(foot, words)["Status"] == "❔ Not in what you can see of Pat's record"
    question = next(q.text for q in view.questions if q.rule_id == "diabetes.care_processes")
    assert "in what you can see of Pat's record" in question
    assert carer_scope_lines(summary) == [
        "Your view starts on 1 January 2024: entries from before then are not shown.",
        "Your permission ends on 31 March 2027.",
        "Some sensitive entries may be withheld from a carer's view."]
    mine = service.summary(PATIENT, DAY)
    assert mine.view_starts is None and mine.access_ends is None and view_of(mine).boundary_note is None


def test_the_earlier_of_the_consent_and_the_related_person_period_ends_the_permission(fresh_store):
    """The RelatedPerson's own period ending on 30 June 2027 before an open-ended Consent ends it."""
    people = [PEOPLE[0], {**PEOPLE[1], "period": {"start": "2024-01-01", "end": "2027-06-30"}}]
    service = service_with(fresh_store, [*people[1:], carer_consent(ends=None)])
    assert service.summary(CARER, TODAY).access_ends == dt.date(2027, 6, 30)


def test_the_window_is_read_from_nested_permits_naming_the_carer_only():
    """A Consent's top permit for the carer from 2024, a nested permit from 2025 narrowing it and
    another carer's permit from 2020: the carer's view starts in 2024; a deny changes nothing."""
    consent = carer_consent("2024-01-01", "2027-03-31")
    consent["provision"]["provision"] = [
        {"type": "deny", "dataPeriod": {"start": "2018-01-01", "end": "2018-12-31"}},
        {"type": "permit", "dataPeriod": {"start": "2025-01-01"}, "period": {"end": "2028-01-01"}}]
    other = carer_consent("2020-01-01", "2030-01-01")
    other["id"], other["provision"]["actor"][0]["reference"]["reference"] = "other", "RelatedPerson/rp2"
    access = read_access([consent, other], "p1", "RelatedPerson/rp1", TODAY)
    assert access.window() == (dt.date(2024, 1, 1), dt.date(2027, 3, 31))
    assert Reader("RelatedPerson/rp1", TODAY).rule(consent["provision"], False, True).until == dt.date(2027, 3, 31)


def test_a_hidden_result_never_changes_the_boundary_words(fresh_store):
    """A NOPAT cholesterol result after the boundary and another before it leave the patient's and
    the carer's summaries (statuses, notes, questions, the sheet) as they are without them."""
    base = [*DIABETES_2019, access_start("2023-10-31"), carer_consent()]
    service = service_with(fresh_store, base)
    for viewer in (PATIENT, CARER):
        service.choose_view(viewer, "diabetes", True)
    before = {v: service.summary(v, DAY) for v in (PATIENT, CARER)}
    hidden = [result(rid, CHOLESTEROL, date, 4.2, "mmol/L") for rid, date in
              (("chol-after", "2024-03-01"), ("chol-before", "2022-09-01"))]
    for entry in hidden:
        entry["meta"] = {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}]}
    service = service_with(fresh_store, hidden)
    for viewer, summary in before.items():
        after = service.summary(viewer, DAY)
        assert after.model_dump_json() == summary.model_dump_json()
        assert summary_markdown(after) == summary_markdown(summary)
        assert next(c for c in view_of(after).checks if c.id == "cholesterol").before_boundary


def test_an_entry_before_the_carers_start_never_changes_what_the_carer_is_told(fresh_store):
    """A cholesterol result in 2023, which the patient sees and the carer's data period leaves out,
    leaves the carer's summary word for word as it is without it."""
    base = [*DIABETES_2019, carer_consent()]
    service = service_with(fresh_store, base)
    service.choose_view(CARER, "diabetes", True)
    before = service.summary(CARER, TODAY)
    service = service_with(fresh_store, [result("chol-2023", CHOLESTEROL, "2023-06-01", 4.2, "mmol/L")])
    assert service.summary(CARER, TODAY).model_dump_json() == before.model_dump_json()
    assert next(c for c in view_of(service.summary(PATIENT, TODAY)).checks if c.id == "cholesterol").last_done == \
        dt.date(2023, 6, 1)


def test_the_sheet_says_what_the_boundary_leaves_out(fresh_store):
    """The printed sheet carries the view's boundary note, "Not in the online record" for checks with
    no result since, and for a carer the view start, the permission end and the withheld sentence."""
    service = service_with(fresh_store, [*DIABETES_2019, access_start("2023-10-31"), carer_consent()])
    service.choose_view(PATIENT, "diabetes", True)
    service.choose_view(CARER, "diabetes", True)
    mine = summary_markdown(service.summary(PATIENT, DAY))
    assert PATIENT_NOTE in mine and "| Foot check | not in the online record | - | Not in the online record |" in mine
    assert "| never |" not in mine and "Not recorded" not in mine
    theirs = summary_markdown(service.summary(CARER, DAY))
    assert "The carer's view starts on 1 January 2024" in theirs
    assert "The carer's permission ends on 31 March 2027." in theirs
    assert "Some sensitive entries may be withheld from a carer's view." in theirs
    assert "Not in what the carer can see |" in theirs


def test_any_boundary_says_not_in_the_online_record_for_a_check_with_no_result(fresh_store):
    """Methotrexate with no monitoring blood test: under a boundary 5 days ago, and under the usual
    31 October 2023 one (issue 16's example: a result before it would not show), the question says
    it is not in the online record, never that there is none; without a boundary it says none."""
    mtx = medicine("mtx", "Methotrexate 2.5mg tablets", "2026-11-21")
    recent = view_of(service_with(fresh_store, [mtx, access_start("2026-11-20")]).summary(PATIENT, TODAY),
                     "inflammatory_arthritis")
    assert recent.questions[0].text.startswith("No monitoring blood test for methotrexate is in your online record.")
    assert next(c for c in recent.checks if c.id == "dmard_bloods").before_boundary
    old = view_of(service_with(fresh_store, [access_start("2023-10-31")]).summary(PATIENT, TODAY), "inflammatory_arthritis")
    assert old.questions[0].text.startswith("No monitoring blood test for methotrexate is in your online record.")
    assert next(c for c in old.checks if c.id == "dmard_bloods").before_boundary
    assert old.boundary_note == PATIENT_NOTE


def test_status_words_say_never_only_without_a_boundary():
    """status_label keeps the old words for every status unless the check is before the boundary."""
    assert status_label("never") == "❔ No record found"
    assert status_label("never", True) == "❔ Not in your online record"
    assert status_label("overdue", True) == "⚠️ Overdue"
    assert missing_words("patient", "Pat Example") == missing_words("clinic") == "Not in your online record"
    assert missing_words("proxy", None) == "Not in what you can see of their record"
