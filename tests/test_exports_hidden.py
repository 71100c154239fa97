"""No export (PDF, FHIR, CSV) and no feedback output (request letter, Communication) holds an
entry its viewer cannot see, nor the person's words about one."""

from __future__ import annotations

import pytest

from test_exports_support import (  # noqa: F401  (fixtures)
    demo_resource, every_export, export_store_template, hidden_strings, service, today, viewer,
)

SDV_LETTER = demo_resource("dementia.json", "dem-doc-safeguarding-2024-02-12")
NOPAT_LETTER = demo_resource("bipolar_lithium.json", "mh-doc-psychiatry-2026-07-08")
PSY_ENTRY = demo_resource("bipolar_lithium.json", "mh-obs-mh-risk-assessment-2025-06-16")
SDV_WORDS = hidden_strings(SDV_LETTER, ("Section 42 enquiry", "taking money from her purse"))
NOPAT_WORDS = hidden_strings(NOPAT_LETTER, ("Collateral history", "feels a burden"))
PSY_WORDS = hidden_strings(PSY_ENTRY)


def leaks(texts: dict[str, str], words: list[str]) -> dict[str, list[str]]:
    """Which outputs contain which of the words (case-insensitive)."""
    found = {name: [w for w in words if w.lower() in text.lower()] for name, text in texts.items()}
    return {name: hits for name, hits in found.items() if hits}


def test_carer_exports_leave_out_the_sdv_letter_and_the_patients_comment_on_it(service, tmp_path):
    """The daughter's consent denies SDV: her exports hold neither the letter nor what the patient wrote about it."""
    patient = viewer("dem-patient")
    service.flag_entry(patient, today(), "DocumentReference/dem-doc-safeguarding-2024-02-12", "comment",
                       "Patient note: the neighbour story is wrong")
    service.add_question(patient, "Patient question: about the neighbour and my purse")
    texts = every_export(service, viewer("dem-patient", "proxy:RelatedPerson/dem-rp-daughter"), tmp_path)
    assert set(texts) == {"pdf", "fhir", "csv"}  # her consent does not include corrections
    assert "Dorothy Specimen" in texts["pdf"] and "Patient/dem-patient" in texts["fhir"]
    assert not leaks(texts, [*SDV_WORDS, "Patient note", "Patient question"])


def test_carer_with_correction_rights_sends_nothing_about_the_sdv_letter(service, tmp_path):
    """A carer allowed to ask for corrections gets a letter and Communications without the SDV letter."""
    consent = demo_resource("dementia.json", "dem-consent-proxy-daughter")
    consent["meta"] = {"versionId": "2"}
    consent["provision"]["action"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction",
                                                   "code": code}]} for code in ("access", "correct")]  # see, act
    service._store.put([consent])
    carer = viewer("dem-patient", "proxy:RelatedPerson/dem-rp-daughter")
    letter = next(l for l in service.record(carer, today()).letters)
    service.flag_entry(carer, today(), f"DocumentReference/{letter.id}", "looks_wrong", "Carer: date looks wrong")
    service.flag_entry(viewer("dem-patient"), today(), "DocumentReference/dem-doc-safeguarding-2024-02-12",
                       "comment", "Patient note: the neighbour story is wrong")
    texts = every_export(service, carer, tmp_path)
    assert {"letter", "communications"} <= set(texts)
    assert "Carer: date looks wrong" in texts["letter"] and "Carer: date looks wrong" in texts["communications"]
    assert not leaks(texts, [*SDV_WORDS, "Patient note"])


def test_clinic_exports_leave_out_the_psy_assessment_and_the_nopat_letter(service, tmp_path):
    """On the shared screen the PSY-labelled risk assessment and the NOPAT letter are in no export."""
    patient = viewer("mh-patient")
    service.flag_entry(patient, today(), "Observation/mh-obs-mh-risk-assessment-2025-06-16", "comment",
                       "Patient note: I disagree with this assessment")
    texts = every_export(service, viewer("mh-patient", "clinic"), tmp_path)
    assert "Daniel Fictional" in texts["pdf"] and "lithium" in texts["csv"]
    assert not leaks(texts, [*PSY_WORDS, *NOPAT_WORDS, "Patient note"])


@pytest.mark.parametrize("who", ["patient", "clinic"])
def test_nopat_letter_is_never_exported(service, tmp_path, who):
    """The NOPAT psychiatry letter is in no export for any viewer, the patient included."""
    texts = every_export(service, viewer("mh-patient", who), tmp_path)
    assert not leaks(texts, NOPAT_WORDS)


def test_the_search_finds_what_the_patient_may_see(service, tmp_path):
    """The patient's own exports hold the PSY assessment and the SDV letter: the searches above are not vacuous."""
    found = leaks(every_export(service, viewer("mh-patient"), tmp_path), PSY_WORDS)
    assert set(found["fhir"]) == set(PSY_WORDS)
    found = leaks(every_export(service, viewer("dem-patient"), tmp_path), SDV_WORDS)
    assert {SDV_LETTER["id"], SDV_LETTER["description"]} <= set(found["fhir"])
    assert SDV_LETTER["description"] in found["pdf"]
