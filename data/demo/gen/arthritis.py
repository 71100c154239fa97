"""Demo patient 4: rheumatoid arthritis on methotrexate, folic acid and hydroxychloroquine, with
DMARD monitoring bloods every ~12 weeks (the last set now overdue)."""

from __future__ import annotations

from . import documents as docs
from .fhir import add_days, concept, day, quantity, weekday
from .medicines import repeat
from .practice import external, patient
from .record import Record

PATIENT_ID = "ra-patient"

DAS28 = [("2017-04-03", 5.6), ("2017-10-10", 4.1), ("2018-04-17", 3.3), ("2018-10-16", 2.9),
         ("2019-04-09", 2.5), ("2019-10-15", 2.4), ("2020-10-13", 2.6), ("2021-04-13", 2.3),
         ("2021-10-12", 2.5), ("2022-04-12", 2.2), ("2022-10-11", 2.4), ("2023-04-18", 2.6),
         ("2023-10-17", 2.3), ("2024-04-16", 2.5), ("2024-10-15", 2.7), ("2025-05-13", 2.9),
         ("2025-11-11", 3.0), ("2026-06-10", 3.9)]
REVIEWS = [("2018-03-13", 124, 78, 71.2), ("2019-03-12", 126, 80, 72.0),
           ("2020-03-10", 122, 76, 72.8), ("2021-03-16", 128, 80, 73.5),
           ("2022-03-15", 126, 78, 74.1), ("2023-03-14", 130, 82, 74.9),
           ("2024-03-12", 128, 80, 75.3), ("2025-03-11", 132, 82, 76.0)]
LAST_SET = "2026-07-29"
LOW_NEUTROPHILS = "2024-03"          # the set in this month has neutrophils 1.4
CRP_LAST = [5, 12, 21]               # CRP on the last three sets: rising on the last two


def monitoring_dates() -> list[str]:
    """Fortnightly, then monthly after starting methotrexate, then roughly every 12 weeks."""
    dates = ["2017-05-16", "2017-05-30", "2017-06-13", "2017-06-27", "2017-07-25",
             "2017-08-22", "2017-09-19"]
    when = day("2017-12-12")
    step = [84, 82, 87, 85, 84, 89, 81, 86]
    i = 0
    while when < day("2026-04-01"):
        dates.append(weekday(when).isoformat())
        when = add_days(when, step[i % len(step)])
        i += 1
    return dates + ["2026-04-29", LAST_SET]


def build(nhs_number: str) -> list[dict]:
    """Every resource of the rheumatoid arthritis demo record."""
    rec = Record("ra", PATIENT_ID, 5)
    rec.re_line = docs.heading("Fiona Demo", "1972-03-08", nhs_number,
                               "58 Demo Crescent, Testington TE9 1ST")
    rec.add(patient(PATIENT_ID, nhs_number, "Fiona", "Demo", "female", "1972-03-08",
                    "58 Demo Crescent", "TE9 1ST", "07700 900105"))
    rec.add(external("demo-acute-trust"))
    rec.condition("rheumatoid_arthritis", "2017-01", "2017-04-03",
                  note="Seropositive (anti-CCP positive). Diagnosed in rheumatology clinic.")
    _bloods(rec)
    _reviews(rec)
    _medicines(rec)
    _plans(rec)
    _letters(rec)
    return rec.resources


def _bloods(rec: Record) -> None:
    rec.measure("crp", "2017-04-03", 38)
    rec.measure("esr", "2017-04-03", 42)
    dates = monitoring_dates()
    for n, when in enumerate(dates):
        low = when.startswith(LOW_NEUTROPHILS)
        rec.measure("wcc", when, 3.6 if low else round(5.2 + rec.rng.random() * 2.4, 1))
        rec.measure("neutrophils", when, 1.4 if low else round(3.0 + rec.rng.random() * 1.8, 1))
        rec.measure("platelets", when, 220 + rec.jitter(0, 100))
        rec.measure("mcv", when, 92 + rec.jitter(0, 6))
        rec.measure("haemoglobin", when, 120 + rec.jitter(0, 15))
        rec.measure("alt", when, 18 + rec.jitter(0, 17))
        rec.measure("albumin", when, 38 + rec.jitter(0, 6))
        rec.measure("creatinine_f", when, 62 + rec.jitter(0, 12))
        rec.measure("egfr", when, 92 - n // 6)
        back = len(dates) - n
        crp = CRP_LAST[-back] if back <= len(CRP_LAST) else 2 + rec.jitter(0, 5)
        rec.measure("crp", when, crp)
        rec.measure("esr", when, 8 + crp // 2 + rec.jitter(0, 6))
        if low:
            repeat_day = add_days(when, 14).isoformat()
            rec.measure("wcc", repeat_day, 4.8)
            rec.measure("neutrophils", repeat_day, 2.1,
                        note="Repeat after low neutrophils two weeks earlier; back in range.")
    for when, score in DAS28:
        rec.measure("das28", when, score)


def _reviews(rec: Record) -> None:
    rec.measure("height", "2018-03-13", 1.66)
    for when, sys_bp, dia_bp, weight in REVIEWS:
        rec.finding("ra_annual_review", when, "exam",
                    note="Joints, heart health (QRISK3), bones, mood and work discussed.")
        rec.blood_pressure(when, sys_bp, dia_bp)
        rec.measure("weight", when, weight)
        rec.measure("bmi", when, round(weight / 1.66 ** 2, 1))
    rec.finding("smoking_never", "2018-03-13", "social-history")


def _medicines(rec: Record) -> None:
    cond = rec.rid("cond", "rheumatoid-arthritis")
    repeat(rec, "methotrexate-15mg", "Methotrexate 2.5mg tablets", "326874007",
           dose="Take SIX tablets (15mg) ONCE a WEEK on Monday", amount=48, unit="tablet",
           start="2017-05-02", stop="2018-06-11", reason=cond, stop_reason="Dose increased")
    repeat(rec, "methotrexate", "Methotrexate 2.5mg tablets", "326874007",
           dose="Take EIGHT tablets (20mg) ONCE a WEEK on Monday", amount=64, unit="tablet",
           start="2018-06-12", reason=cond)
    repeat(rec, "folic-acid", "Folic acid 5mg tablets", None,
           dose="Take one tablet once a week on Wednesday (not on the methotrexate day)",
           amount=8, unit="tablet", start="2017-05-02")
    repeat(rec, "hydroxychloroquine", "Hydroxychloroquine 200mg tablets", "330037008",
           dose="Take one tablet twice a day", amount=112, unit="tablet", start="2018-09-10",
           reason=cond)


def _plans(rec: Record) -> None:
    cond = rec.rid("cond", "rheumatoid-arthritis")
    rec.goal("das28", "Keep arthritis activity low (DAS28 at or below 3.2)", "2018-04-17",
             targets=[{"measure": concept("DAS28 (disease activity score, 28 joints)"),
                       "detailRange": {"high": quantity(3.2, "{score}")}}],
             addresses=[cond], note="Source: NICE NG100 (treat to target: remission, or low "
                                    "disease activity if remission is not achievable)")
    rec.care_plan(
        "arthritis", "Rheumatoid arthritis care plan", concept("Rheumatoid arthritis care plan"),
        "2018-04-17", description="Shared care of DMARDs between rheumatology and the practice.",
        activities=[("in-progress", "Blood monitoring for methotrexate at least every 12 weeks "
                                    "at the practice"),
                    ("in-progress", "Rheumatology clinic review every 6 months"),
                    ("scheduled", "Annual arthritis review at the practice")],
        goals=(rec.rid("goal", "das28"),), addresses=(cond,))


def _letters(rec: Record) -> None:
    docs.letter(rec, "rheumatology-2017-04-03", "2017-04-03", title="Rheumatology clinic letter",
                doc_type=concept("Clinic letter"), org_id="demo-acute-trust",
                author="Dr Sanjay Example, Consultant Rheumatologist (demo)", paragraphs=[
                    "Diagnosis: seropositive rheumatoid arthritis (anti-CCP strongly positive). "
                    "DAS28 today 5.6 with synovitis of both wrists and several finger joints.",
                    "Ms Demo has had three months of morning stiffness lasting two hours. CRP 38 "
                    "mg/L, ESR 42 mm/h. Hand X-rays show no erosions yet.",
                    "We have started methotrexate 15mg once a week with folic acid 5mg once a "
                    "week on a different day, and given a depot steroid injection today. Please "
                    "take over prescribing under our shared care agreement, with blood tests "
                    "every two weeks until the dose has been stable for six weeks, then monthly "
                    "for three months, then at least every 12 weeks.",
                    "We will see her again in six months."])
    docs.letter(rec, "rheumatology-2026-06-10", "2026-06-10", title="Rheumatology clinic letter",
                doc_type=concept("Clinic letter"), org_id="demo-acute-trust", kind="binary",
                author="Dr Sanjay Example, Consultant Rheumatologist (demo)", paragraphs=[
                    "Fiona's arthritis has flared over the last six months despite methotrexate "
                    "20mg weekly and hydroxychloroquine. DAS28 today 3.9 (moderate activity), "
                    "with swelling of the right wrist and two knuckles. CRP 12 mg/L in April.",
                    "She meets the criteria for biologic treatment. After discussing the "
                    "options, we have agreed to start adalimumab 40mg by injection under the "
                    "skin every two weeks. It will be delivered to her home by our homecare "
                    "provider, and the first dose will be given with our specialist nurse.",
                    "Please continue to prescribe methotrexate, folic acid and "
                    "hydroxychloroquine. Adalimumab is prescribed and supplied by the hospital, "
                    "so it will not be on the practice prescribing system; please record it as "
                    "a hospital-only medicine.",
                    "She should continue blood monitoring every 12 weeks at the practice. We "
                    "will review her in clinic in three months."])
