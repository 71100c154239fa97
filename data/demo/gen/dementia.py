"""Demo patient 3: Alzheimer's disease on donepezil then memantine, cared for by her daughter
(proxy access) and son (proxy access expired), with one safeguarding letter labelled SDV."""

from __future__ import annotations

from . import documents as docs
from .fhir import ROLE_CODE, UK_RELATIONSHIP, coding, concept
from .medicines import repeat
from .practice import external, patient
from .record import Record, finding_concept

PATIENT_ID = "dem-patient"
DAUGHTER = "daughter"
SON = "son"

MMSE = [("2021-02-15", 24), ("2022-03-21", 23), ("2023-03-27", 22), ("2024-04-15", 21),
        ("2025-05-19", 17), ("2026-06-08", 16)]
# (date, systolic, diastolic, pulse, weight, creatinine, egfr)
ANNUAL = [
    ("2019-10-14", 146, 80, 76, 61.0, 74, 64), ("2020-11-12", 142, 78, 74, 60.4, 78, 60),
    ("2021-04-06", 140, 76, 68, 59.8, 77, 61), ("2022-04-11", 138, 74, 64, 58.9, 79, 59),
    ("2023-05-09", 136, 76, 62, 57.5, 80, 58), ("2024-06-10", 134, 72, 60, 56.2, 82, 56),
    ("2025-08-14", 130, 70, 56, 54.8, 84, 54), ("2026-06-08", 128, 70, 58, 54.0, 85, 53),
]
REVIEWS = ["2022-04-11", "2023-05-09", "2024-06-10", "2025-08-14"]


def build(nhs_number: str) -> list[dict]:
    """Every resource of the dementia demo record."""
    rec = Record("dem", PATIENT_ID, 3)
    rec.re_line = docs.heading("Dorothy Specimen", "1939-05-20", nhs_number,
                               "3 Specimen Gardens, Testington TE7 8NP")
    rec.add(patient(PATIENT_ID, nhs_number, "Dorothy", "Specimen", "female", "1939-05-20",
                    "3 Specimen Gardens", "TE7 8NP", "07700 900103"))
    for org in ("demo-memory-clinic", "demo-adult-social-care"):
        rec.add(external(org))
    rec.condition("alzheimers", "2020-11", "2021-02-17",
                  note="Diagnosed at the memory assessment service on 15 February 2021.")
    _results(rec)
    _reviews_and_plan(rec)
    _medicines(rec)
    _carers(rec)
    _letters(rec)
    return rec.resources


def _results(rec: Record) -> None:
    rec.measure("sixcit", "2020-11-12", 14)
    for when, score in MMSE:
        rec.measure("mmse", when, score)
    rec.measure("height", "2019-10-14", 1.58)
    for when, sys_bp, dia_bp, pulse, weight, creat, egfr in ANNUAL:
        rec.blood_pressure(when, sys_bp, dia_bp)
        rec.measure("pulse", when, pulse)
        rec.measure("weight", when, weight)
        rec.measure("bmi", when, round(weight / 1.58 ** 2, 1))
        rec.measure("creatinine_f", when, creat)
        rec.measure("egfr", when, egfr)
    baseline = "2020-11-20"
    for key, value in (("haemoglobin", 124), ("wcc", 6.2), ("platelets", 245),
                       ("calcium", 2.38), ("hba1c", 39), ("alt", 18), ("tsh", 2.1)):
        rec.measure(key, baseline, value)
    rec.finding("smoking_never", "2019-10-14", "social-history")


def _reviews_and_plan(rec: Record) -> None:
    rec.finding("dementia_care_plan_agreed", "2021-04-06", "exam",
                note="Care plan agreed with Dorothy and her daughter Susan.")
    for when in REVIEWS:
        rec.finding("dementia_care_plan_review", when, "exam", note="Face-to-face review.")
        rec.finding("dementia_medication_review", when, "exam")
    rec.finding("structured_medication_review", "2024-06-10", "exam")
    cond = rec.rid("cond", "alzheimers")
    rec.goal("lunch-club", "Keep going to the lunch club twice a week", "2021-04-06",
             addresses=[cond])
    rec.goal("home", "Stay living in her own home with support", "2021-04-06", addresses=[cond])
    rec.care_plan(
        "dementia", "Dementia care plan", finding_concept("dementia_care_plan"), "2021-04-06",
        description="Plan agreed with Dorothy and her daughter Susan; last reviewed face to "
                    "face on 14 August 2025.",
        activities=[("in-progress", "Daily visits from Susan; shopping help from Peter at "
                                    "weekends"),
                    ("in-progress", "Lunch club at the community centre on Tuesdays and Fridays"),
                    ("in-progress", "Dosette box filled weekly by the pharmacy"),
                    ("scheduled", "Annual dementia review at the practice")],
        goals=(rec.rid("goal", "lunch-club"), rec.rid("goal", "home")), addresses=(cond,))


def _medicines(rec: Record) -> None:
    cond = rec.rid("cond", "alzheimers")
    repeat(rec, "donepezil-5mg", "Donepezil 5mg tablets", "42035611000001109",
           dose="Take one tablet at night", amount=28, unit="tablet", start="2021-02-22",
           stop="2021-03-21", interval=28, reason=cond, stop_reason="Dose increased to 10mg")
    repeat(rec, "donepezil-10mg", "Donepezil 10mg tablets", "42035511000001105",
           dose="Take one tablet at night", amount=56, unit="tablet", start="2021-03-22",
           reason=cond)
    repeat(rec, "memantine", "Memantine 10mg tablets", None,
           dose="Take two tablets once a day", amount=112, unit="tablet", start="2025-06-02",
           reason=cond)


def _carers(rec: Record) -> None:
    carer = coding(UK_RELATIONSHIP, "Carer", "Carer")
    docs.related_person(rec, DAUGHTER, "Susan", "Specimen",
                        [concept("Carer", carer),
                         concept("Daughter", coding(ROLE_CODE, "DAU", "natural daughter"))],
                        "2021-04-06", "07700 900203")
    docs.related_person(rec, SON, "Peter", "Specimen",
                        [concept("Carer", carer),
                         concept("Son", coding(ROLE_CODE, "SON", "natural son"))],
                        "2021-05-04", "07700 900204")
    docs.proxy_consent(rec, "proxy-daughter", DAUGHTER, decided="2022-06-01", start="2022-06-01",
                       end="2027-05-31", data_start="2019-01-01")
    docs.proxy_consent(rec, "proxy-son", SON, decided="2021-05-04", start="2021-05-04",
                       end="2024-04-30", data_start="2021-05-04")


def _letters(rec: Record) -> None:
    docs.letter(rec, "memory-clinic-2021-02-15", "2021-02-15",
                title="Memory assessment service: diagnosis", doc_type=concept("Clinic letter"),
                org_id="demo-memory-clinic",
                author="Dr Ruth Example, Consultant Old Age Psychiatrist (demo)", paragraphs=[
                    "Diagnosis: Alzheimer's disease, mild. MMSE 24/30 today; CT head shows "
                    "generalised atrophy, more marked in the medial temporal lobes, and no "
                    "vascular change.",
                    "Mrs Specimen came with her daughter Susan, who has noticed two years of "
                    "gradually worsening memory: repeating questions, missing appointments and "
                    "twice leaving the gas on. Dorothy herself feels her memory is 'not what it "
                    "was' but manages her own washing and dressing.",
                    "We discussed the diagnosis openly and Dorothy was relieved to have an "
                    "explanation. We recommend donepezil 5mg at night for four weeks, then 10mg "
                    "if tolerated. Please check her pulse before starting, as it can slow the "
                    "heart rate.",
                    "Our dementia adviser will contact Susan about carer support, lasting power "
                    "of attorney and local groups. We will see Dorothy again in a year."])
    docs.letter(rec, "memory-clinic-2025-05-19", "2025-05-19",
                title="Memory assessment service: review", doc_type=concept("Clinic letter"),
                org_id="demo-memory-clinic",
                author="Dr Ruth Example, Consultant Old Age Psychiatrist (demo)", paragraphs=[
                    "I reviewed Dorothy with Susan today. Her MMSE is 17/30, down from 21/30 "
                    "in April 2024, and she now needs prompting with meals and medicines.",
                    "Her pulse was 58 and regular; she has had no falls or blackouts. She is "
                    "tolerating donepezil 10mg.",
                    "Given the progression to moderate Alzheimer's disease, we recommend adding "
                    "memantine, increasing by 5mg each week to 20mg once a day, alongside "
                    "donepezil. Susan will fill in a medicines chart to help.",
                    "We have discussed future planning; Susan is applying for lasting power of "
                    "attorney for health and welfare."])
    docs.letter(rec, "safeguarding-2024-02-12", "2024-02-12",
                title="Adult safeguarding enquiry outcome", doc_type=concept("Safeguarding letter"),
                org_id="demo-adult-social-care", labels=("SDV",),
                author="Jordan Sample, Safeguarding Adults Practitioner (demo)", paragraphs=[
                    "On 2 February 2024 the district nurse raised a safeguarding concern after "
                    "Dorothy said that a neighbour had been taking money from her purse and "
                    "shouting at her when she forgot things. She had a bruise on her forearm "
                    "that she could not explain.",
                    "We carried out a Section 42 enquiry under the Care Act 2014. Dorothy was "
                    "supported by an advocate. The neighbour no longer has a key; the key safe "
                    "code has been changed and the bank has added protections to her account.",
                    "Dorothy said she wants to stay at home and feels safe now. The enquiry is "
                    "closed with a protection plan in place, and the police have been informed.",
                    "Please keep this letter confidential: it contains information about other "
                    "people and should not be shared with family members or shown online."])
