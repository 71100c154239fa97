"""Fix for attack 16 beyond the attacker's own tests (tests/test_attack16.py): the other top-level
elements R4 Consent does not have, the patient's actor forms that stay unresolved, a carer who sees
no results, and the words for a data period with a start and an end.

Records are hand-made for issue 16's attack in the shape of a UK GP record (tests/test_chosen_views.py:
type 2 diabetes since 2019, HbA1c results in 2022, 2024 and 2025; INFA patient-privacy Consents with
the IRCP recipient role), through the real store, gate, summary, sheet and pages.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.gate.consent import read_access
from ltc_dashboard.gate.consent_start import UNREADABLE_START, access_start as start_of
from ltc_dashboard.summary.sheet import carer_scope_lines, summary_markdown
from test_app_support import DEMENTIA, SON, demo_db, demo_db_template, open_app, texts  # noqa: F401
from test_attack16 import RESOURCE_TYPES, _plain_never
from test_boundary import DAY, carer_consent, view_of
from test_chosen_views import CARER, DIABETES_2019, PATIENT, TODAY, access_start, service_with
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store

R5_AND_UNKNOWN = [
    ("period", {"start": "2024-01-01", "end": "2030-12-31"}),  # R5: when the Consent is in force
    ("decision", "permit"),  # R5: the top rule's type
    ("grantee", [{"reference": "RelatedPerson/rp1"}]),  # R5: who is given access
    ("subject", {"reference": "Patient/p1"}),  # R5's patient
    ("date", "2024-01-01"),  # R5's dateTime
    ("regulatoryBasis", [{"text": "Data Protection Act 2018"}]),  # R5
    ("implicitRules", "https://gp.example.nhs.uk/rules"),  # R4, but a modifier the gate cannot know
    ("madeUpElement", {"text": "anything"}),  # no FHIR version's
]


@pytest.mark.parametrize("element, value", R5_AND_UNKNOWN, ids=[e for e, _ in R5_AND_UNKNOWN])
def test_a_carer_consent_with_an_element_r4_consent_does_not_have_grants_nothing(fresh_store, element, value):
    """Each top-level element R4 Consent lacks (or implicitRules) makes the carer's Consent
    unreadable: the carer sees no result, is told the permission cannot be read, and gets no view."""
    consent = carer_consent(ends=None)
    consent[element] = value
    service = service_with(fresh_store, [*DIABETES_2019, consent])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, TODAY)
    assert summary.denied and "could not be read" in summary.notices[0]
    assert summary.conditions == [] and summary.access_ends is None


def test_r4_elements_and_primitive_extensions_keep_a_carer_consent_readable(fresh_store):
    """Elements R4 Consent has (identifier, policyRule, verification, a `_status` extension) are no
    reason to fail: the carer still sees the 2024 and 2025 HbA1c results."""
    consent = carer_consent()
    consent.update({"identifier": [{"value": "c-1"}], "_status": {"extension": [{"url": "https://example.org/x",
                    "valueString": "x"}]}, "policyRule": {"text": "NHS England proxy access"},
                    "verification": [{"verified": True}]})
    service = service_with(fresh_store, [*DIABETES_2019, consent])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, DAY)
    assert not summary.denied
    assert [p.date for m in view_of(summary).measures if m.id == "hba1c" for p in m.series] == [
        dt.date(2024, 6, 1), dt.date(2025, 6, 1)]


def test_the_patients_own_start_consent_with_an_r5_period_fails_closed():
    """The patient's own access Consent carrying R5's `period` gives UNREADABLE_START (nothing dated shown)."""
    own = access_start("2023-10-31")
    own["period"] = {"start": "2023-10-31"}
    assert start_of([own], "p1", TODAY) == UNREADABLE_START
    assert start_of([access_start("2023-10-31")], "p1", TODAY) == dt.date(2023, 10, 31)


def test_the_patients_unreadable_settings_view_says_the_record_cannot_be_shown(fresh_store):
    """With the patient's start Consent unreadable, the chosen view says the record cannot be shown
    and every check reads "Not in the online record", never "never" (sheet and JSON alike)."""
    own = access_start("2023-10-31")
    own["period"] = {"start": "2023-10-31"}
    service = service_with(fresh_store, [*DIABETES_2019, own])
    service.choose_view(PATIENT, "diabetes", True)
    summary = service.summary(PATIENT, TODAY)
    assert summary.denied and _plain_never(summary) == []
    assert view_of(summary).boundary_note == (
        "Your online record cannot be shown here now, so checks and results do not show here.")
    sheet = summary_markdown(summary)
    assert "| never |" not in sheet and "Not in the online record" in sheet


def test_an_identifier_only_actor_on_the_patients_consent_stays_unresolved():
    """An actor named only by an NHS number identifier cannot be shown to be the patient: the
    start Consent stays unreadable (fail closed), as before the absolute-reference fix."""
    own = access_start("2023-10-31")
    own["provision"]["actor"][0]["reference"] = {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number",
                                                                "value": "9000000009"}}
    assert start_of([own], "p1", TODAY) == UNREADABLE_START


@pytest.mark.parametrize("reference", ["https://other.example.org/fhir/Patient/p1/_history/3",
                                       "http://gp.example.nhs.uk/Patient/p1"])
def test_the_patients_absolute_or_versioned_actor_reference_is_them(reference):
    """Any reference ltc_dashboard/record/references.py resolves to Patient/p1 (absolute on any base, versioned)
    names the patient on their own access Consent."""
    own = access_start("2023-10-31")
    own["provision"]["actor"][0]["reference"]["reference"] = reference
    assert start_of([own], "p1", TODAY) == dt.date(2023, 10, 31)


def test_a_carer_actor_by_absolute_reference_still_grants_nothing():
    """The absolute-reference reading is for the patient's own Consent only: a carer's permit whose
    actor is an absolute RelatedPerson reference is still not surely theirs (fail closed)."""
    consent = carer_consent()
    consent["provision"]["actor"][0]["reference"]["reference"] = "https://gp.example.nhs.uk/fhir/RelatedPerson/rp1"
    assert not read_access([consent], "p1", "RelatedPerson/rp1", DAY).grants_any


def test_a_carer_who_sees_no_results_is_told_so_and_never_never(fresh_store):
    """A carer whose only Consent shows MedicationRequests sees no result: no start or end is told
    for results they never see, the chosen view says results are not in what they can see, and no
    check is a plain "never"."""
    meds = carer_consent()
    meds["provision"]["class"] = [{"system": RESOURCE_TYPES, "code": "MedicationRequest"}]
    service = service_with(fresh_store, [*DIABETES_2019, meds])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, DAY)
    assert not summary.denied and (summary.view_starts, summary.access_ends) == (None, None)
    assert view_of(summary).boundary_note == "Pat's results are not in what you can see now, so checks do not show here."
    assert _plain_never(summary) == []


def test_a_data_period_with_a_start_and_an_end_says_both(fresh_store):
    """Data from 1 January 2024 to 31 December 2024: the note and the carer's overview say both."""
    consent = access_start("2024-01-01", "RelatedPerson/rp1", "carer")
    consent["provision"]["dataPeriod"]["end"] = "2024-12-31"
    service = service_with(fresh_store, [*DIABETES_2019, consent])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, TODAY)
    assert view_of(summary).boundary_note == (
        "What you can see of Pat's record starts on 1 January 2024 and ends on 31 December 2024, "
        "so checks done before or after then do not show here.")
    assert carer_scope_lines(summary)[:2] == [
        "Your view starts on 1 January 2024: entries from before then are not shown.",
        "Your view ends on 31 December 2024: entries from after then are not shown."]
    assert _plain_never(summary) == []


def test_a_data_end_after_today_is_not_a_boundary(fresh_store):
    """A data period ending in 2030 ends nothing the carer could see today: no end is told."""
    consent = access_start("2024-01-01", "RelatedPerson/rp1", "carer")
    consent["provision"]["dataPeriod"]["end"] = "2030-12-31"
    summary = service_with(fresh_store, [*DIABETES_2019, consent]).summary(CARER, TODAY)
    assert summary.view_ends is None and summary.view_starts == dt.date(2024, 1, 1)


def test_a_later_deny_of_one_label_does_not_end_the_permission(fresh_store):
    """A nested deny of mental-health entries (PSY) from 1 January 2025 withholds those only: the
    permission still ends on 31 March 2027, as the Consent says."""
    consent = carer_consent()
    consent["provision"]["provision"] = [{"type": "deny", "period": {"start": "2025-01-01"},
                                          "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                                             "code": "PSY"}]}]
    assert service_with(fresh_store, [*DIABETES_2019, consent]).summary(CARER, DAY).access_ends == dt.date(2027, 3, 31)


def test_the_overview_of_a_carer_whose_permission_ended_shows_no_chosen_view(demo_db):
    """The demo son (permission ended) had chosen the dementia view: his overview says there is no
    current permission and shows no view, no check and no "No record found"."""
    Service(Store(demo_db)).choose_view(Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id="dem-rp-son"),
                                        "dementia", True)
    at = open_app(DEMENTIA, SON)
    words = texts(at)
    assert "no current permission" in words
    assert "No record found" not in words and "Dementia" not in words
