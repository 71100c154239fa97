"""Outside tester's attack on issue 16's boundary words (branch attack16): new FHIR R4 Consent
shapes the issue-16 tests did not use, each checked against what the issue and
clinical-reference §8 say a viewer must be told.

Issue 16: "A view under a date boundary says what it cannot see ...; a check whose last result
would be before the boundary is 'not in your online record', never 'never'. The carer overview
says prominently what the consent leaves out, in plain words: the date the carer's view starts,
the date permission ends, and that some sensitive entries may be withheld (never which)."
§8.2: `provision.period` is when the proxy's access is valid; `provision.dataPeriod` is which
data the access covers; nested provisions (permit or deny) are exceptions to their parent.

Records are hand-made for this attack in the shape of a UK GP record (tests/test_chosen_views.py:
type 2 diabetes since 2019, HbA1c results in 2022, 2024 and 2025; an INFA patient-privacy Consent
for the carer RelatedPerson/rp1 with the IRCP recipient role), through the real store, gate,
summary and sheet.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import carer_scope_lines, summary_markdown
from test_app_support import DEMENTIA, demo_db, demo_db_template, go, no_errors, open_app, texts  # noqa: F401
from test_boundary import CARER_NOTE, DAY, carer_consent, view_of
from test_chosen_views import CARER, DIABETES_2019, PATIENT, TODAY, access_start, hba1c, service_with

RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"


def _plain_never(summary) -> list[str]:
    """Checks a summary calls "never" (No record found) without saying they may be out of view."""
    return [f"{v.id}.{c.id}" for v in summary.conditions for c in v.checks
            if c.status == "never" and not c.before_boundary]


def test_a_medicines_only_consent_from_2020_does_not_make_the_results_view_start_in_2020(fresh_store):
    """The carer has two current Consents: everything from 1 January 2024, and (a second INFA
    Consent, `provision.class` MedicationRequest) medicines from 1 January 2020. The gate shows
    results only from 2024, yet view_starts is 2020 and the diabetes view says "What you can see
    ... starts on 1 January 2020, so checks done before then do not show here", telling the carer
    that a 2022 HbA1c or a 2023 foot check would show if it had been done. Issue 16: the boundary
    words say what the view cannot see; the start must be the view's real start for its checks."""
    meds = carer_consent("2020-01-01")
    meds["id"] = "carer-medicines"
    meds["provision"]["class"] = [{"system": RESOURCE_TYPES, "code": "MedicationRequest"}]
    service = service_with(fresh_store, [*DIABETES_2019, carer_consent(), meds])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, DAY)
    hba1c_dates = [p.date for m in view_of(summary).measures if m.id == "hba1c" for p in m.series]
    assert dt.date(2022, 5, 1) not in hba1c_dates  # the gate hides the 2022 result: results start in 2024
    assert view_of(summary).boundary_note == CARER_NOTE
    assert not any("1 January 2020" in line for line in carer_scope_lines(summary))


def test_a_medicines_only_consent_that_runs_longer_does_not_extend_the_permission(fresh_store):
    """The carer's Consent for everything runs to 31 March 2027; a second current INFA Consent lets
    them see only MedicationRequests (`provision.class`) until 31 March 2030. They are told "Your
    permission ends on 31 March 2030", though from 1 April 2027 they see no result, letter or
    diagnosis. Issue 16: the date permission ends must be the real one for what the overview shows."""
    meds = carer_consent("2024-01-01", "2030-03-31")
    meds["id"] = "carer-medicines-long"
    meds["provision"]["class"] = [{"system": RESOURCE_TYPES, "code": "MedicationRequest"}]
    service = service_with(fresh_store, [*DIABETES_2019, carer_consent(), meds])
    summary = service.summary(CARER, DAY)
    assert "Your permission ends on 31 March 2030." not in carer_scope_lines(summary)


def test_a_nested_deny_from_a_later_date_ends_the_permission_then(fresh_store):
    """The carer's permit runs to 31 March 2027 but has a nested `deny` whose `provision.period`
    starts on 1 January 2025 (the practice scheduled the end of the carer's access): from that day
    the gate shows the carer nothing. On 1 September 2024 the carer is told "Your permission ends on
    31 March 2027", and on 1 February 2025, seeing nothing, still the same. Issue 16 / §8.2 (DAPB3051
    asks systems to tell people before access ends): the end date must be the real one, 31 December
    2024."""
    consent = carer_consent()
    consent["provision"]["provision"] = [{"type": "deny", "period": {"start": "2025-01-01"}}]
    service = service_with(fresh_store, [*DIABETES_2019, consent])
    service.choose_view(CARER, "diabetes", True)
    after = service.summary(CARER, dt.date(2025, 2, 1))
    assert [m.series for v in after.conditions for m in v.measures if m.series] == []  # nothing is shown
    assert "Your permission ends on 31 March 2027." not in carer_scope_lines(after)
    assert service.summary(CARER, DAY).access_ends == dt.date(2024, 12, 31)


def test_a_separate_deny_consent_from_a_later_date_ends_the_permission_then(fresh_store):
    """As above with the withdrawal recorded as its own active INFA Consent: a top-level `deny` for
    RelatedPerson/rp1 whose `provision.period` starts on 1 January 2025, beside the permit to 31
    March 2027. access_ends stays 31 March 2027 although from 1 January 2025 every entry is denied."""
    withdrawal = carer_consent()
    withdrawal["id"] = "carer-withdrawn"
    withdrawal["provision"] = {"type": "deny", "actor": withdrawal["provision"]["actor"],
                               "period": {"start": "2025-01-01"}}
    service = service_with(fresh_store, [*DIABETES_2019, carer_consent(), withdrawal])
    assert service.summary(CARER, DAY).access_ends == dt.date(2024, 12, 31)


def test_a_deny_over_the_first_months_of_the_data_period_is_not_before_the_view_start(fresh_store):
    """The carer's permit covers data from 1 January 2024 with a nested `deny` whose `dataPeriod`
    is 1 January to 31 July 2024 (everything in it, no label: a plain date range). The carer sees
    nothing dated before 1 August 2024 (the June 2024 HbA1c is hidden), yet is told "What you can
    see ... starts on 1 January 2024, so checks done before then do not show here", which says a
    check done in March 2024 would show. Issue 16: the date the carer's view starts must be real."""
    consent = carer_consent("2024-01-01")
    consent["provision"]["provision"] = [{"type": "deny", "dataPeriod": {"start": "2024-01-01", "end": "2024-07-31"}}]
    service = service_with(fresh_store, [*DIABETES_2019, hba1c("a1c-aug", "2024-08-15"), consent])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, DAY)
    assert [p.date for m in view_of(summary).measures if m.id == "hba1c" for p in m.series][0] == dt.date(2024, 8, 15)
    assert summary.view_starts == dt.date(2024, 8, 1)


def test_a_data_period_with_only_an_end_is_a_boundary_too(fresh_store):
    """The carer's Consent has `dataPeriod: {"end": "2024-12-31"}` (data up to the end of 2024, a
    permission still in force): the 2025 HbA1c is hidden. The view has no boundary note, the HbA1c
    check says it was last done on 1 June 2024, eight checks are "never" (No record found), the
    question says "or not at all ... in the record you can see", and the carer overview says nothing
    of the end of their data. Issue 16: a view under a date boundary says what it cannot see, and a
    check with no visible result is never "never"; the carer is told what the consent leaves out."""
    consent = access_start("2024-01-01", "RelatedPerson/rp1", "carer")
    consent["provision"]["dataPeriod"] = {"end": "2024-12-31"}
    service = service_with(fresh_store, [*DIABETES_2019, consent])
    summary = service.summary(CARER, TODAY)
    view = view_of(summary)
    assert [p.date for m in view.measures if m.id == "hba1c" for p in m.series][-1] == dt.date(2024, 6, 1)
    assert _plain_never(summary) == []
    assert view.boundary_note and "31 December 2024" in view.boundary_note
    assert any("31 December 2024" in line for line in carer_scope_lines(summary))
    assert not any("not at all" in q.text for q in view.questions)


def test_an_unreadable_access_setting_never_says_no_record_found(fresh_store):
    """The patient's own prospective-access Consent written as a permit with a nested deny of
    everything before 31 October 2023 (`dataPeriod: {"end": "2023-10-30"}`): the gate cannot read it
    and shows no dated entry at all ("The settings ... could not be read"). The diabetes view the
    patient chose then has no boundary note and every check "never", worded "No record found" and
    "not recorded" on the sheet, though every result is withheld. Issue 16: a check with no visible
    result under a boundary is "not in your online record", never "never"."""
    own = access_start("2023-10-31")
    own["provision"].pop("dataPeriod")
    own["provision"]["provision"] = [{"type": "deny", "dataPeriod": {"end": "2023-10-30"}}]
    service = service_with(fresh_store, [*DIABETES_2019, own])
    service.choose_view(PATIENT, "diabetes", True)
    summary = service.summary(PATIENT, TODAY)
    assert summary.denied and summary.conditions  # nothing dated is shown; the chosen view still is
    assert _plain_never(summary) == []
    assert "| never |" not in summary_markdown(summary)


def test_a_carer_whose_permission_ended_is_not_told_no_record_found(fresh_store):
    """The carer chose the diabetes view while their Consent was in force (to 31 March 2026); on
    25 November 2026 it has ended and the gate shows them nothing. The summary still carries the
    chosen view, so the overview (which stops only when there is no view) lists nine checks as
    "No record found" under "Needs attention now" and the sheet says "never". Issue 16: never
    "never" for a check the viewer cannot see; a carer with no permission sees nothing of the record."""
    service = service_with(fresh_store, [*DIABETES_2019, carer_consent(ends="2026-03-31")])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, TODAY)
    assert summary.denied
    assert _plain_never(summary) == []
    assert "| never |" not in summary_markdown(summary)


def test_a_consent_whose_own_period_has_ended_grants_nothing(fresh_store):
    """A carer's INFA Consent carrying `Consent.period` (the R5 element for when the consent is in
    force; R4 has no such element) that ended on 30 June 2024, with a provision that states no
    period. The gate reads provisions strictly ("an element R4 does not define: not understood")
    but ignores the Consent-level element, so on 25 November 2026 the carer still sees the record
    and is told nothing ends. §8.2 / the gate's own rule: a Consent in a shape it cannot read
    fully shows the viewer nothing."""
    consent = carer_consent(ends=None)
    consent["period"] = {"start": "2024-01-01", "end": "2024-06-30"}
    service = service_with(fresh_store, [*DIABETES_2019, consent])
    service.choose_view(CARER, "diabetes", True)
    summary = service.summary(CARER, TODAY)
    assert not [p for v in summary.conditions for m in v.measures for p in m.series]
    assert summary.denied


def test_the_carer_preview_never_lists_a_related_person_hidden_from_the_patient(demo_db):
    """A RelatedPerson labelled NOPAT (a safeguarding contact the practice keeps out of the online
    record) is not in the patient's own gated summary, yet the patient's "What my carer can see"
    page lists it by name and relationship ("Zed Hiddenname (safeguarding contact): no current
    permission"): the page reads every RelatedPerson from the store (proxy_links), not through the
    gate. §7: a NOPAT entry is not disclosed to the patient; issue 16 asks this page to say what the
    carer sees, never to reveal a hidden entry."""
    store = Store(demo_db)
    store.put([{"resourceType": "RelatedPerson", "id": "dem-rp-hidden", "active": True,
                "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}]},
                "patient": {"reference": f"Patient/{DEMENTIA}"}, "name": [{"text": "Zed Hiddenname"}],
                "relationship": [{"text": "Safeguarding contact"}]}])
    store.close()
    own = Service(Store(demo_db)).summary(Viewer(kind="patient", patient_id=DEMENTIA), TODAY)
    assert "Hiddenname" not in own.model_dump_json()  # the gate hides it from the patient
    at = go(open_app(DEMENTIA, "patient"), "carer_preview")
    no_errors(at)
    names = [getattr(o, "proxy_name", str(o)) for o in at.selectbox(key="preview_person").options]
    assert not any("Hiddenname" in name for name in names)


def test_the_preview_of_an_expired_carer_who_had_chosen_a_view_says_they_see_nothing(demo_db):
    """The demo son's Consent has ended; he had chosen the dementia view while it was in force.
    The patient's preview of his view then shows "Conditions: Dementia" with its checks instead of
    "Peter Specimen sees none of your record" (the page stops only when there is no view), and the
    checks are "never". Issue 16: the preview says what the carer sees: here, nothing."""
    Service(Store(demo_db)).choose_view(Viewer(kind="proxy", patient_id=DEMENTIA, proxy_id="dem-rp-son"),
                                        "dementia", True)
    at = go(open_app(DEMENTIA, "patient"), "carer_preview")
    options = at.selectbox(key="preview_person").options
    at.selectbox(key="preview_person").select_index([o.startswith("Peter") for o in options].index(True)).run()
    no_errors(at)
    assert any("Peter Specimen sees none of your record" in m.value for m in at.markdown)
    assert "**Dementia**" not in [m.value for m in at.markdown]


def test_the_patients_access_consent_with_an_absolute_actor_reference_sets_the_start(fresh_store):
    """The patient's own prospective-access Consent names the patient as actor by an absolute
    reference (`https://gp.example.nhs.uk/fhir/Patient/p1`, a form R4 allows and record.references
    reads as Patient/p1). access_start finds it is about the patient, but the rule reader counts an
    absolute actor only as "possibly" the patient, so the Consent is unreadable: no dated entry is
    shown, the notice says the settings could not be read, and there is no boundary note. §8.3: the
    record starts on the Consent's dataPeriod.start (31 October 2023), as with a relative reference."""
    own = access_start("2023-10-31")
    own["provision"]["actor"][0]["reference"]["reference"] = "https://gp.example.nhs.uk/fhir/Patient/p1"
    service = service_with(fresh_store, [*DIABETES_2019, own])
    service.choose_view(PATIENT, "diabetes", True)
    summary = service.summary(PATIENT, TODAY)
    assert not summary.denied
    assert summary.record_starts == dt.date(2023, 10, 31)
    assert view_of(summary).boundary_note == "Your online record starts on 31 October 2023, so checks done before then do not show here."
