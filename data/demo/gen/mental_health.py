"""Demo patient 5: bipolar disorder on lithium, with online record access from 31 October 2023,
a psychiatric letter withheld from him (NOPAT) and a risk assessment labelled PSY."""

from __future__ import annotations

from . import documents as docs
from .fhir import SCT, add_days, coding, concept, day, quantity, weekday
from .medicines import acute, repeat
from .practice import external, patient
from .record import Record, finding_concept

PATIENT_ID = "mh-patient"
ACCESS_START = "2023-10-31"
HIGH_LITHIUM = "2025-08-11"

# (date, PHQ-9, GAD-7)
MOOD = [("2019-03-11", 11, 9), ("2020-02-10", 8, 7), ("2021-03-15", 6, 6), ("2022-04-11", 5, 5),
        ("2023-05-15", 7, 6), ("2024-03-18", 6, 5), ("2024-09-16", 4, 4), ("2025-06-16", 8, 6),
        ("2026-06-18", 14, 11)]
# Six-monthly renal, thyroid and calcium: (date, creatinine, egfr, tsh, calcium)
SIX_MONTHLY = [
    ("2018-01-15", 84, 104, 1.8, 2.41), ("2018-07-16", 85, 102, 1.9, 2.38),
    ("2019-01-14", 86, 101, 2.0, 2.44), ("2019-07-15", 86, 100, 2.1, 2.40),
    ("2020-01-13", 88, 98, 2.0, 2.43), ("2020-07-13", 89, 97, 2.3, 2.39),
    ("2021-01-11", 90, 95, 2.4, 2.45), ("2021-07-12", 91, 94, 2.6, 2.42),
    ("2022-01-17", 92, 93, 2.5, 2.47), ("2022-07-18", 93, 93, 2.8, 2.44),
    ("2023-01-16", 95, 92, 2.9, 2.46), ("2023-07-17", 97, 90, 3.1, 2.48),
    ("2024-01-15", 101, 86, 3.0, 2.45), ("2024-07-15", 104, 84, 3.3, 2.50),
    ("2025-01-13", 108, 80, 3.5, 2.49), ("2025-07-14", 113, 76, 3.6, 2.52),
    ("2026-01-12", 118, 72, 3.9, 2.51), ("2026-07-13", 124, 68, 4.6, 2.55),
]
# Annual physical health checks: (date, systolic, diastolic, pulse, weight, hba1c,
#                                 lipids (chol, hdl) or None, alcohol units or None)
CHECKS = [
    ("2018-06-11", 128, 80, 74, 88.0, 36, (5.1, 1.1), 14), ("2019-06-10", 130, 82, 76, 89.6, 37,
                                                            (5.3, 1.0), 12),
    ("2020-06-15", 132, 84, 78, 91.2, 38, (5.4, 1.0), 16), ("2021-06-14", 130, 80, 74, 92.5, 38,
                                                            (5.6, 1.0), 14),
    ("2022-06-13", 134, 84, 80, 93.8, 39, (5.5, 0.9), 12), ("2023-06-12", 132, 82, 76, 94.4, 40,
                                                            (5.7, 0.9), 10),
    ("2024-06-17", 136, 86, 78, 95.9, 41, (5.8, 0.9), 12), ("2025-06-16", 134, 84, 80, 96.8, 41,
                                                            None, None),
    ("2026-06-18", 138, 86, 82, 98.1, 42, None, None),
]
HEIGHT_M = 1.80


def lithium_levels(rec: Record) -> list[tuple[str, float]]:
    """Trough levels about every 3 months, one high (1.1) after a course of ibuprofen."""
    out = []
    when = day("2018-01-15")
    while when <= day("2026-10-20"):
        out.append((weekday(when).isoformat(), round(0.6 + rec.rng.random() * 0.2, 2)))
        when = add_days(when, 91 + rec.jitter(-6, 6))
    out.append((HIGH_LITHIUM, 1.1))
    out.append(("2025-08-18", 0.82))
    return sorted(out)


def build(nhs_number: str) -> list[dict]:
    """Every resource of the bipolar disorder (lithium) demo record."""
    rec = Record("mh", PATIENT_ID, 6)
    rec.re_line = docs.heading("Daniel Fictional", "1983-09-30", nhs_number,
                               "12 Fictional Street, Testington TE10 2UV")
    rec.add(patient(PATIENT_ID, nhs_number, "Daniel", "Fictional", "male", "1983-09-30",
                    "12 Fictional Street", "TE10 2UV", "07700 900106"))
    rec.add(external("demo-mh-trust"))
    rec.condition("bipolar", "2009", "2009-03",
                  note="Diagnosed after an admission in early 2009; exact date not recorded.")
    docs.access_start_consent(rec, "online-access", ACCESS_START)
    _results(rec)
    _medicines(rec)
    _plans(rec)
    _letters(rec)
    return rec.resources


def _results(rec: Record) -> None:
    for when, level in lithium_levels(rec):
        note = None
        if when == HIGH_LITHIUM:
            note = "Sample taken 12 hours after the evening dose. Ibuprofen taken for 10 days."
        rec.measure("lithium", when, level, note=note)
    for when, creat, egfr, tsh, calcium in SIX_MONTHLY:
        rec.measure("creatinine", when, creat)
        rec.measure("egfr", when, egfr)
        rec.measure("tsh", when, tsh)
        rec.measure("calcium", when, calcium)
    rec.measure("height", "2018-06-11", HEIGHT_M)
    for when, sys_bp, dia_bp, pulse, weight, hba1c, lipids, alcohol in CHECKS:
        rec.blood_pressure(when, sys_bp, dia_bp)
        rec.measure("pulse", when, pulse)
        rec.measure("weight", when, weight)
        rec.measure("bmi", when, round(weight / HEIGHT_M ** 2, 1))
        rec.measure("hba1c", when, hba1c)
        if lipids:
            rec.measure("cholesterol", when, lipids[0])
            rec.measure("hdl", when, lipids[1])
        if alcohol is not None:
            rec.measure("alcohol", when, alcohol)
        rec.finding("smoking_current", when, "social-history", note="About 10 cigarettes a day.")
    rec.finding("smi_health_check", "2026-06-18", "exam",
                note="Partly completed: blood pressure, pulse, weight, HbA1c and smoking done. "
                     "Cholesterol blood test and alcohol questions not done (ran out of time).")
    for when, phq9, gad7 in MOOD:
        rec.measure("phq9", when, phq9)
        rec.measure("gad7", when, gad7)
    rec.finding("mh_risk_assessment", "2025-06-16", "exam", labels=("PSY",),
                value_text="Low risk of harm to self or others at present",
                note="Talked through early warning signs and who to contact in a crisis.")


def _medicines(rec: Record) -> None:
    repeat(rec, "lithium", "Lithium carbonate 400mg modified-release tablets", None,
           dose="Take two tablets (800mg) at night. Keep to the same brand.", amount=112,
           unit="tablet", start="2010-02-08", reason=rec.rid("cond", "bipolar"))
    acute(rec, "ibuprofen", "Ibuprofen 400mg tablets", None,
          dose="Take one tablet three times a day with food for up to 10 days", amount=30,
          unit="tablet", when="2025-07-28", status="completed",
          note="Prescribed by a walk-in centre for a sprained ankle.")


def _plans(rec: Record) -> None:
    cond = rec.rid("cond", "bipolar")
    rec.goal("lithium-range", "Lithium level between 0.6 and 0.8 mmol/L", "2026-06-18",
             targets=[{"measure": {"coding": [coding(SCT, "1006681000000100",
                                                     "Serum lithium level")]},
                       "detailRange": {"low": quantity(0.6, "mmol/L"),
                                       "high": quantity(0.8, "mmol/L")}}],
             addresses=[cond], note="Source: NICE QS95 (optimum 0.6-0.8 mmol/L), as agreed "
                                    "in the care plan")
    rec.goal("sleep", "Keep to a regular sleep routine, including on days off", "2026-06-18",
             addresses=[cond])
    rec.care_plan(
        "mental-health", "Mental health care plan", concept("Mental health care plan"),
        "2026-06-18", description="Care plan agreed with Daniel at his annual review.",
        activities=[("in-progress", "Lithium blood test every 3 months; kidney, thyroid and "
                                    "calcium tests every 6 months"),
                    ("in-progress", "Early warning signs: sleeping less than 5 hours, spending "
                                    "more, talking faster; contact the community team"),
                    ("scheduled", "Finish the yearly physical health check (cholesterol test "
                                  "and alcohol questions)")],
        goals=(rec.rid("goal", "lithium-range"), rec.rid("goal", "sleep")), addresses=(cond,))


def _letters(rec: Record) -> None:
    docs.letter(rec, "psychiatry-2021-03-15", "2021-03-15", title="Psychiatry outpatient letter",
                doc_type=concept("Clinic letter"), org_id="demo-mh-trust",
                author="Dr Kim Sample, Consultant Psychiatrist (demo)", paragraphs=[
                    "Diagnosis: bipolar affective disorder, currently euthymic.",
                    "Daniel has been well for three years on lithium 800mg at night. He works "
                    "full time and his sleep is regular. PHQ-9 today 6.",
                    "His lithium levels have stayed between 0.6 and 0.8 mmol/L. Please continue "
                    "3-monthly levels and 6-monthly kidney, thyroid and calcium tests.",
                    "I have discharged him to your care with an open door to the community "
                    "team should his early warning signs return."])
    docs.letter(rec, "crisis-plan-2024-05-20", "2024-05-20", title="Mental health crisis plan",
                doc_type=finding_concept("mh_crisis_plan"),
                category=finding_concept("care_plan_category"), org_id="demo-mh-trust",
                author="Lee Example, Community Mental Health Nurse (demo)",
                to="Daniel Fictional (copy to GP)", paragraphs=[
                    "My early warning signs: sleeping less than five hours, starting lots of new "
                    "projects, spending money I do not have, friends saying I talk too fast.",
                    "What helps: keeping to my sleep routine, cutting out caffeine after midday, "
                    "talking to my partner and calling the community team early.",
                    "Who to contact: the community mental health team on weekdays 9am to 5pm; "
                    "out of hours, NHS 111 and choose the mental health option."])
    docs.letter(rec, "psychiatry-2026-07-08", "2026-07-08", title="Psychiatry review letter",
                doc_type=concept("Clinic letter"), org_id="demo-mh-trust", labels=("NOPAT",),
                author="Dr Kim Sample, Consultant Psychiatrist (demo)", paragraphs=[
                    "I saw Daniel urgently after his PHQ-9 rose to 14 in June 2026. He describes "
                    "low mood for six weeks, poor sleep and loss of interest in work.",
                    "Collateral history: his partner, Alex, telephoned before the appointment "
                    "and asked that Daniel is not told she called. She reports that he has been "
                    "drinking more in the evenings, has stopped seeing friends and has twice "
                    "said he feels a burden. She is worried about money problems she has not "
                    "discussed with him.",
                    "Risk assessment: Daniel denied current thoughts of suicide when asked "
                    "directly. Taking into account the information from his partner, I judge "
                    "his risk as moderate and have arranged weekly contact with the community "
                    "team.",
                    "This letter contains third-party information given in confidence and "
                    "should not be disclosed to Daniel through online record access."])
