"""Demo patient 3b: Alzheimer's disease diagnosed in 2026, donepezil started within the last
three months of the reference date (25 November 2026)."""

from __future__ import annotations

from . import documents as docs
from .fhir import concept
from .medicines import repeat
from .practice import external, patient
from .record import Record, finding_concept

PATIENT_ID = "dem2-patient"

# (date, systolic, diastolic, pulse, cholesterol, creatinine, egfr, weight)
ANNUAL = [
    ("2019-06-17", 148, 86, 72, 5.4, 92, 72, 82.3), ("2020-06-22", 144, 84, 74, 5.2, 94, 70, 81.8),
    ("2021-06-14", 142, 82, 70, 5.3, 95, 69, 82.6), ("2022-06-13", 138, 82, 72, 5.1, 97, 67, 81.2),
    ("2023-06-19", 140, 80, 70, 5.0, 99, 65, 80.4), ("2024-06-17", 136, 80, 68, 5.2, 100, 64, 79.9),
    ("2025-06-16", 138, 78, 70, 5.1, 101, 63, 79.1),
    ("2026-05-18", 134, 78, 68, 5.0, 103, 61, 77.6),
]


def build(nhs_number: str) -> list[dict]:
    """Every resource of the recent-start dementia demo record."""
    rec = Record("dem2", PATIENT_ID, 4)
    rec.re_line = docs.heading("George Testcase", "1945-01-30", nhs_number,
                               "41 Testcase Avenue, Testington TE8 9QR")
    rec.add(patient(PATIENT_ID, nhs_number, "George", "Testcase", "male", "1945-01-30",
                    "41 Testcase Avenue", "TE8 9QR", "07700 900104", gp_id="demo-gp-tom-example"))
    rec.add(external("demo-memory-clinic"))
    rec.condition("hypertension", "2014-06", "2014-06-10")
    rec.condition("alzheimers", "2026-08-20", "2026-08-24")
    rec.measure("height", "2019-06-17", 1.76)
    for when, sys_bp, dia_bp, pulse, chol, creat, egfr, weight in ANNUAL:
        rec.blood_pressure(when, sys_bp, dia_bp)
        rec.measure("pulse", when, pulse)
        rec.measure("cholesterol", when, chol)
        rec.measure("creatinine", when, creat)
        rec.measure("egfr", when, egfr)
        rec.measure("weight", when, weight)
        rec.measure("bmi", when, round(weight / 1.76 ** 2, 1))
    for key, value in (("haemoglobin_m", 138), ("wcc", 7.1), ("platelets", 260),
                       ("calcium", 2.41), ("hba1c", 40), ("alt", 22), ("tsh", 1.8)):
        rec.measure(key, "2026-05-18", value)
    rec.measure("sixcit", "2026-05-11", 12)
    rec.measure("mmse", "2026-08-20", 23)
    rec.measure("pulse", "2026-10-29", 62, suffix="-review")
    rec.finding("smoking_never", "2019-06-17", "social-history")
    rec.finding("dementia_care_plan_agreed", "2026-09-17", "exam",
                note="Care plan agreed with George and his wife.")
    cond = rec.rid("cond", "alzheimers")
    rec.care_plan("dementia", "Dementia care plan", finding_concept("dementia_care_plan"),
                  "2026-09-17", description="First dementia care plan, agreed with George and "
                                            "his wife after the diagnosis.",
                  activities=[("in-progress", "Donepezil started; pulse check at six weeks"),
                              ("scheduled", "Dementia adviser home visit")],
                  addresses=(cond,))
    repeat(rec, "amlodipine", "Amlodipine 5mg tablets", None, dose="Take one tablet once a day",
           amount=56, unit="tablet", start="2014-06-16", reason=rec.rid("cond", "hypertension"))
    repeat(rec, "donepezil-5mg", "Donepezil 5mg tablets", "42035611000001109",
           dose="Take one tablet at night", amount=28, unit="tablet", start="2026-09-03",
           stop="2026-09-30", interval=28, reason=cond, stop_reason="Dose increased to 10mg")
    repeat(rec, "donepezil-10mg", "Donepezil 10mg tablets", "42035511000001105",
           dose="Take one tablet at night", amount=28, unit="tablet", start="2026-10-01",
           interval=28, reason=cond)
    docs.letter(rec, "memory-clinic-2026-08-20", "2026-08-20",
                title="Memory assessment service: diagnosis", doc_type=concept("Clinic letter"),
                org_id="demo-memory-clinic",
                author="Dr Ruth Example, Consultant Old Age Psychiatrist (demo)", paragraphs=[
                    "Diagnosis: Alzheimer's disease, mild. MMSE 23/30; MRI shows hippocampal "
                    "atrophy with minor small vessel change.",
                    "George came with his wife, who describes a year of word-finding problems "
                    "and getting lost on familiar drives. He still manages his own finances "
                    "with some help.",
                    "We recommend donepezil 5mg at night for four weeks, then 10mg. His pulse "
                    "today was 68 and his ECG is normal. Common early side effects are nausea, "
                    "vivid dreams and loose stools, which usually settle.",
                    "Our dementia adviser will be in touch within a month."])
    return rec.resources
