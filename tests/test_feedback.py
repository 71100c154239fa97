"""Flagging an entry: who may, what is kept (entry id and version), status changes, and the
rectification request letter and FHIR Communication sent to the practice."""

from __future__ import annotations

import json

import pytest

from test_exports_support import (  # noqa: F401  (fixtures)
    demo_resource, export_store_template, service, today, viewer,
)

DAUGHTER = "proxy:RelatedPerson/dem-rp-daughter"


ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"


def allow_corrections(service, action: str = "correct") -> None:
    """Give the daughter's Consent (dementia.json) `provision.action` access plus `action` (a newer
    version of it): seeing needs `access` (clinical-reference §8.2; a permit of `correct` alone
    shows her nothing, attack 21b), acting needs consent-action `correct` besides."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    consent["meta"] = {"versionId": "2"}
    consent["provision"]["action"] = [{"coding": [{"system": ACTION, "code": code}]}
                                      for code in dict.fromkeys(("access", action))]
    service._store.put([consent])


def test_patient_may_flag_and_clinic_never(service):
    """The patient may flag their record; the shared screen may not, and saving from it is refused."""
    from ltc_dashboard.exports.feedback import FlagRefused

    assert service.may_flag(viewer("dm-patient"), today())
    clinic = viewer("dm-patient", "clinic")
    assert not service.may_flag(clinic, today())
    with pytest.raises(FlagRefused):
        service.flag_entry(clinic, today(), "Observation/dm-obs-hba1c-2026-10-12", "comment", "no")


@pytest.mark.parametrize("action, allowed", [(None, False), ("access", False), ("correct", True), ("amend", False)])
def test_carer_may_flag_only_when_the_consent_action_includes_correct(service, action, allowed):
    """The daughter's consent lets her flag only with consent-action correct (`amend` is no R4
    consent-action code, so its meaning is unknown: it grants nothing); the son's has ended."""
    if action:
        allow_corrections(service, action)
    assert service.may_flag(viewer("dem-patient", DAUGHTER), today()) is allowed
    assert not service.may_flag(viewer("dem-patient", "proxy:RelatedPerson/dem-rp-son"), today())


def test_a_nested_deny_of_correct_takes_the_permission_away(service):
    """A deny provision with action correct (no system: a deny applies unless surely about other
    actions) overrides the permit's action, and she still sees the record."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    consent["meta"] = {"versionId": "2"}
    consent["provision"]["action"] = [{"coding": [{"system": ACTION, "code": c}]} for c in ("access", "correct")]
    service._store.put([consent])
    daughter = viewer("dem-patient", DAUGHTER)
    assert service.may_flag(daughter, today())
    consent["meta"] = {"versionId": "3"}
    consent["provision"]["provision"].append({"type": "deny", "action": [{"coding": [{"code": "correct"}]}]})
    service._store.put([consent])
    assert not service.may_flag(daughter, today())
    assert service.summary(daughter, today()).medications


def test_flag_keeps_the_entry_id_and_its_version(service):
    """A flag on the amended cholesterol keeps version 2; a blood-pressure reading points at its panel."""
    who = viewer("dm-patient")
    service.flag_entry(who, today(), "Observation/dm-obs-cholesterol-2024-07-15", "looks_wrong", "Was 7.4 then?")
    bp = next(r for r in service.record(who, today()).results if r.measure_id == "bp_systolic")
    from ltc_dashboard.exports.feedback import entry_reference

    service.flag_entry(who, today(), entry_reference(bp), "comment", "Taken after a run")
    rows = {r["resource_id"]: r for r in service.comments("dm-patient")}
    assert rows["dm-obs-cholesterol-2024-07-15"]["resource_version"] == "2"
    assert rows[bp.source_id]["resource_type"] == "Observation" and rows[bp.source_id]["status"] == "draft"


@pytest.mark.parametrize("who, reference", [
    ("patient", "Observation/dm-obs-hba1c-2023-03-20"),  # entered in error: hidden from everyone
    ("patient", "Observation/no-such-entry"),
    ("patient", "Organization/demo-gp-practice"),  # not an entry of the record
])
def test_only_entries_the_viewer_can_see_may_be_flagged(service, who, reference):
    """An entry outside the viewer's visible record cannot be flagged."""
    from ltc_dashboard.exports.feedback import FlagRefused

    with pytest.raises(FlagRefused):
        service.flag_entry(viewer("dm-patient", who), today(), reference, "comment", "text")


def test_carer_cannot_flag_the_sdv_letter_or_change_the_patients_flags(service):
    """Even with correction rights the daughter can neither flag the SDV letter nor touch the patient's flags."""
    from ltc_dashboard.exports.feedback import FlagRefused

    allow_corrections(service)
    carer = viewer("dem-patient", DAUGHTER)
    with pytest.raises(FlagRefused):
        service.flag_entry(carer, today(), "DocumentReference/dem-doc-safeguarding-2024-02-12", "comment", "x")
    mine = service.flag_entry(viewer("dem-patient"), today(), "Patient/dem-patient", "comment", "Address is old")
    assert service.flags(carer, today()) == []
    with pytest.raises(FlagRefused):
        service.set_flag_status(carer, today(), mine, "sent")


def test_status_moves_between_draft_sent_and_answered(service):
    """The patient marks a flag sent, then answered; an unknown status is refused by the store."""
    from ltc_dashboard.store import StoreError

    who = viewer("dm-patient")
    flag = service.flag_entry(who, today(), "Observation/dm-obs-hba1c-2026-10-12", "looks_wrong", "Too high")
    for status in ("sent", "answered", "draft"):
        service.set_flag_status(who, today(), flag, status)
        assert service.flags(who, today())[0].status == status
    with pytest.raises(StoreError):
        service.set_flag_status(who, today(), flag, "lost")


def test_rectification_request_lists_each_entry_with_date_words_and_comment(service):
    """The letter is addressed to the practice and lists each flagged entry's date, what it says and the comment."""
    who = viewer("dm-patient")
    service.flag_entry(who, today(), "Observation/dm-obs-hba1c-2026-10-12", "looks_wrong", "I was ill that week")
    med = next(m for m in service.record(who, today()).medications if "Gliclazide" in m.name)
    service.flag_entry(who, today(), f"{med.resource_type}/{med.id}", "comment", "I stopped this in May")
    letter = service.rectification_request(who, today())
    assert letter.startswith("# Request to correct a health record")
    assert "To: The Example Surgery (demo)" in letter and "NHS number: 999 000 0018" in letter
    assert "Date: 25 November 2026" in letter and "Article 16" in letter
    assert "- Date of the entry: 12 October 2026" in letter
    assert "- What the record says: blood sugar (HbA1c): 61 mmol/mol (high)" in letter
    assert "- My comment: I was ill that week" in letter and "I stopped this in May" in letter
    assert letter.index("I was ill") < letter.index("I stopped")  # oldest first
    assert "Reference: Observation/dm-obs-hba1c-2026-10-12/_history/1" in letter


def test_carer_letter_says_who_writes_and_for_whom(service):
    """A carer's request names the carer and says they act with proxy access for the patient."""
    allow_corrections(service)
    carer = viewer("dem-patient", DAUGHTER)
    letter = next(l for l in service.record(carer, today()).letters)
    service.flag_entry(carer, today(), f"DocumentReference/{letter.id}", "comment", "Wrong date")
    text = service.rectification_request(carer, today())
    assert "I am Susan Specimen, and I have proxy access to the online GP record of Dorothy Specimen." in text
    assert text.rstrip().endswith("Susan Specimen")


def test_communication_references_the_entry_version_and_reads_back(service):
    """The downloadable Communication is R4-shaped, points at Type/id/_history/version and reads back as the comment."""
    from ltc_dashboard.exports.own_content import from_fhir, is_own_content

    who = viewer("dm-patient")
    flag = service.flag_entry(who, today(), "Observation/dm-obs-hba1c-2026-10-12", "looks_wrong", "Too high")
    resource = service.flag_communication(who, today(), flag)
    json.dumps(resource)
    assert resource["resourceType"] == "Communication" and resource["status"] == "completed"
    assert resource["about"] == [{"reference": "Observation/dm-obs-hba1c-2026-10-12/_history/1"}]
    assert resource["subject"] == {"reference": "Patient/dm-patient"}
    assert resource["recipient"] == [{"reference": "Organization/demo-gp-practice"}]
    assert resource["sent"] == "2026-11-25" and resource["payload"] == [{"contentString": "Too high"}]
    assert resource["category"][0]["coding"][0]["code"] == "looks-wrong"
    assert is_own_content(resource)
    item = from_fhir(resource)
    assert (item.kind, item.fields["resource_id"], item.fields["resource_version"], item.fields["kind"]) == (
        "comment", "dm-obs-hba1c-2026-10-12", "1", "looks_wrong")
