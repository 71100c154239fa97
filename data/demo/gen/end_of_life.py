"""Demo patient 2: end of life care for metastatic lung cancer, with years of earlier results."""

from __future__ import annotations

from . import documents as docs
from .fhir import ROLE_CODE, UK_RELATIONSHIP, coding, concept
from .medicines import acute, repeat
from .practice import external, patient
from .record import Record, finding_concept

PATIENT_ID = "eol-patient"

# (date, systolic, diastolic, creatinine, egfr, haemoglobin, albumin, weight)
ANNUAL = [
    ("2018-03-12", 142, 84, 68, 78, 132, 42, 68.2), ("2019-03-11", 138, 82, 70, 76, 130, 41, 67.9),
    ("2020-03-09", 136, 80, 71, 75, 131, 42, 68.5), ("2021-03-15", 134, 80, 72, 74, 129, 41, 67.0),
    ("2022-03-14", 138, 82, 74, 71, 128, 40, 66.8), ("2023-03-13", 136, 78, 73, 72, 127, 41, 67.4),
    ("2024-03-11", 132, 78, 75, 70, 126, 40, 66.1), ("2025-03-10", 130, 76, 76, 68, 124, 39, 65.8),
    ("2025-09-15", 124, 74, 78, 66, 118, 35, 61.2), ("2026-03-10", 112, 68, 84, 60, 109, 31, 56.4),
    ("2026-09-14", 104, 62, 92, 53, 101, 28, 51.9),
]
KARNOFSKY = [("2025-09-15", 70), ("2026-03-10", 60), ("2026-09-14", 50), ("2026-10-14", 40)]

ANTICIPATORY = [
    ("morphine-injection", "Morphine sulfate 10mg/1ml solution for injection ampoules",
     "2.5mg to 5mg by subcutaneous injection every 2 to 4 hours when required for pain or "
     "breathlessness"),
    ("midazolam-injection", "Midazolam 10mg/2ml solution for injection ampoules",
     "2.5mg to 5mg by subcutaneous injection every 2 to 4 hours when required for agitation or "
     "distress"),
    ("levomepromazine-injection", "Levomepromazine 25mg/1ml solution for injection ampoules",
     "2.5mg to 6.25mg by subcutaneous injection every 4 to 6 hours when required for nausea or "
     "vomiting"),
    ("glycopyrronium-injection",
     "Glycopyrronium bromide 200micrograms/1ml solution for injection ampoules",
     "200 micrograms by subcutaneous injection every 4 hours when required for noisy breathing "
     "(respiratory secretions)"),
    ("water-for-injections", "Water for injections 10ml ampoules",
     "For diluting injections as directed by the community nurse"),
]


def build(nhs_number: str) -> list[dict]:
    """Every resource of the end of life demo record."""
    rec = Record("eol", PATIENT_ID, 2)
    rec.re_line = docs.heading("Eileen Sample", "1948-02-02", nhs_number,
                               "7 Sample Close, Testington TE6 7LM")
    rec.add(patient(PATIENT_ID, nhs_number, "Eileen", "Sample", "female", "1948-02-02",
                    "7 Sample Close", "TE6 7LM", "07700 900102"))
    rec.add(external("demo-acute-trust"))
    rec.add(external("demo-hospice"))
    rec.condition("hypertension", "2012-03", "2012-03-14")
    rec.condition("lung_cancer", "2025-08-18", "2025-08-26",
                  note="Adenocarcinoma of the right lung with bone metastases (CT 18 August 2025).")
    _results(rec)
    _register_and_wishes(rec)
    _medicines(rec)
    _letters(rec)
    return rec.resources


def _results(rec: Record) -> None:
    rec.measure("height", "2018-03-12", 1.62)
    for when, sys_bp, dia_bp, creat, egfr, hb, alb, weight in ANNUAL:
        rec.blood_pressure(when, sys_bp, dia_bp)
        rec.measure("creatinine_f", when, creat)
        rec.measure("egfr", when, egfr)
        rec.measure("haemoglobin", when, hb)
        rec.measure("albumin", when, alb)
        rec.measure("weight", when, weight)
        rec.measure("bmi", when, round(weight / 1.62 ** 2, 1))
    for when in ("2018-03-12", "2022-03-14", "2025-09-15"):
        rec.finding("smoking_ex", when, "social-history", note="Stopped smoking in 2010.")
    for when, score in KARNOFSKY:
        rec.measure("karnofsky", when, score)
    rec.finding("gsf_b", "2025-10-01", "exam")
    rec.finding("gsf_c", "2026-10-14", "exam")


def _register_and_wishes(rec: Record) -> None:
    rec.flag("eol-register", finding_concept("eol_register"), "2025-10-01")
    rec.flag("dnacpr", finding_concept("cpr_not_for"), "2026-03-10", end="2026-09-10")
    rec.flag("lpa", concept("Lasting power of attorney for health and welfare registered "
                            "(Michael Sample, son)"), "2025-11-20", category="admin")
    docs.related_person(
        rec, "attorney", "Michael", "Sample",
        [concept("Attorney for health and welfare",
                 coding(UK_RELATIONSHIP, "Agent", "Agent"),
                 coding(ROLE_CODE, "HPOWATT", "healthcare power of attorney")),
         concept("Son", coding(ROLE_CODE, "SON", "natural son"))],
        "2025-11-20", "07700 900202")
    rec.finding("place_of_care", "2026-03-10", "survey", value_code=("264362003", "Home"),
                text="Preferred place of care", note="Wishes to be cared for at home.")
    rec.finding("place_of_death", "2026-03-10", "survey", value_code=("264362003", "Home"),
                text="Preferred place of death",
                note="Home; St Example's Hospice if care at home becomes too hard for the family.")
    cancer = rec.rid("cond", "lung-cancer")
    rec.goal("home", "To be cared for at home, with her family, for as long as possible",
             "2026-03-10", addresses=[cancer])
    rec.care_plan(
        "end-of-life", "End of life care plan", finding_concept("eol_care_plan"), "2026-03-10",
        description="Plan agreed with Eileen and her son Michael at a home visit.",
        activities=[("in-progress", "Monthly review at the practice palliative care meeting"),
                    ("in-progress", "Community palliative care nurse visits every two weeks"),
                    ("completed", "ReSPECT form completed and copy kept at home"),
                    ("completed", "Just in case medicines prescribed (14 October 2026)")],
        goals=(rec.rid("goal", "home"),), addresses=(cancer,))


def _medicines(rec: Record) -> None:
    repeat(rec, "amlodipine", "Amlodipine 5mg tablets", None, dose="Take one tablet once a day",
           amount=56, unit="tablet", start="2012-03-20", stop="2026-03-10",
           reason=rec.rid("cond", "hypertension"),
           stop_reason="Stopped: blood pressure low, not needed")
    repeat(rec, "oramorph", "Morphine sulfate 10mg/5ml oral solution", None,
           dose="2.5ml to 5ml every 4 hours when required for pain or breathlessness",
           amount=300, unit="ml", start="2026-04-02", interval=28)
    repeat(rec, "macrogol", "Macrogol compound oral powder sachets NPF sugar free", None,
           dose="One or two sachets a day in water", amount=30, unit="sachet",
           start="2026-04-02", interval=28)
    for key, name, dose in ANTICIPATORY:
        acute(rec, key, name, None, dose=dose, amount=10, unit="ampoule", when="2026-10-14",
              note="Anticipatory (just in case) medicine")
    rec.procedure("anticipatory-2026-10-14", finding_concept("anticipatory_prescribed"),
                  "2026-10-14", note="Just in case box issued and kept at home; community "
                                     "nurse administration chart completed.")


def _letters(rec: Record) -> None:
    docs.letter(rec, "oncology-2025-09-08", "2025-09-08", title="Lung cancer clinic letter",
                doc_type=concept("Clinic letter"), org_id="demo-acute-trust",
                author="Dr Anna Specimen, Consultant Medical Oncologist (demo)", paragraphs=[
                    "Diagnosis: adenocarcinoma of the right lung, stage IV, with metastases in "
                    "the spine and pelvis (CT 18 August 2025, biopsy 26 August 2025).",
                    "I met Mrs Sample and her son Michael today to discuss the results. I "
                    "explained that the cancer has spread to the bones and cannot be cured, and "
                    "that treatment would aim to control it and ease symptoms.",
                    "We discussed palliative chemotherapy and its likely benefits and side "
                    "effects. Mrs Sample has decided not to have chemotherapy and would prefer "
                    "to concentrate on being comfortable at home. She understood the likely "
                    "course of her illness and asked good questions.",
                    "I have referred her to the community palliative care team at St Example's "
                    "Hospice and arranged a single dose of radiotherapy to the painful area in "
                    "her lower back. I would be grateful if you would consider her for your "
                    "practice palliative care register."])
    docs.letter(rec, "respect-2026-03-10", "2026-03-10", title="ReSPECT form",
                doc_type=finding_concept("respect_document"),
                category=finding_concept("care_plan_category"), org_id="practice",
                author="Dr Priya Sample, GP (demo)", to="Copy kept at home with Mrs Sample",
                paragraphs=[
                    "Section 1 - This plan belongs to Eileen Sample. It was completed at a home "
                    "visit with Eileen and her son Michael, who holds lasting power of attorney "
                    "for health and welfare.",
                    "Section 3 - What matters to Eileen: being at home with her family and her "
                    "cat, staying comfortable, and not going back into hospital unless her "
                    "symptoms cannot be managed at home. What she fears most is being "
                    "breathless and alone.",
                    "Section 4 - Clinical recommendations: prioritise comfort. Treat reversible "
                    "problems at home where possible (for example infection with oral "
                    "antibiotics). Hospital admission only if symptoms cannot be controlled at "
                    "home. Cardiopulmonary resuscitation is not recommended; this was discussed "
                    "with Eileen, who agrees.",
                    "Section 5 - Capacity: Eileen has capacity for these decisions and took part "
                    "in making this plan. Review when her condition or wishes change, and at "
                    "least every six months (next review by 10 September 2026)."])
    docs.letter(rec, "hospice-2026-10-20", "2026-10-20",
                title="Community palliative care visit", doc_type=concept("Clinic letter"),
                org_id="demo-hospice", kind="html",
                author="Chris Example, Clinical Nurse Specialist, Palliative Care (demo)",
                paragraphs=[
                    "I visited Eileen at home today with the district nurse. Michael was "
                    "present for part of the visit.",
                    "Eileen is now spending most of the day in bed and is eating very little. "
                    "Her pain is well controlled with oral morphine, using about three doses a "
                    "day. Breathlessness is worse on exertion; a hand-held fan helps.",
                    "The just in case medicines prescribed on 14 October are in the house with "
                    "the administration chart. We talked about what they are for and who to call "
                    "out of hours (the hospice advice line is on the front of her folder).",
                    "Eileen's wishes are unchanged: she wants to stay at home, with the hospice "
                    "as a second choice. Her ReSPECT form review date has passed; I would be "
                    "grateful if you could review it with her at your next visit.",
                    "I will visit again in one week, or sooner if the family call."])
