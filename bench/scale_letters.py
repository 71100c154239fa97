"""The clinic letters of the scale record (bench/scale.py): plain text as UK letters read, with
the latest values of the person's series, from the services that write about each condition.

Each function takes the day and the running series and returns (title, type, organisation id,
author, paragraphs, security labels) for `gen.documents.letter`.
"""

from __future__ import annotations

from gen import documents as docs
from gen.fhir import concept


def diabetes(when: str, v: dict) -> tuple:
    return ("Diabetes annual review summary", concept("Clinic letter"), "practice",
            "Dr Priya Sample, GP (demo)", [
                f"Thank you for coming to your diabetes review on {docs.long_date(when)}.",
                f"Your HbA1c (average blood sugar over about three months) was "
                f"{v['hba1c'].value:.0f} mmol/mol. We agreed a personal target of 53 mmol/mol "
                f"because you take medicines that can cause low blood sugar.",
                f"Your blood pressure was {v['sys'].value:.0f}/{v['dia'].value:.0f} and your "
                f"cholesterol {v['chol'].value:.1f} mmol/L. Your kidney test (eGFR) was "
                f"{v['egfr'].value:.0f}.",
                "Please check your feet every day and tell us about any cuts, blisters or "
                "colour changes."], ())


def rheumatology(when: str, v: dict) -> tuple:
    return ("Rheumatology clinic letter", concept("Clinic letter"), "demo-acute-trust",
            "Dr Sam Example, Consultant Rheumatologist (demo)", [
                "Diagnosis: seropositive rheumatoid arthritis, on methotrexate 15mg weekly "
                "with folic acid.",
                f"I reviewed Margaret on {docs.long_date(when)}. Her disease activity score "
                f"(DAS28) today was {v['das28'].value:.1f}; CRP {v['crp'].value:.0f} mg/L.",
                "Her monitoring bloods have been stable. Please continue full blood count, "
                "liver and kidney tests every 12 weeks in line with the shared care protocol.",
                "We will see her again in six months, sooner if she has a flare."], ())


def psychiatry(when: str, v: dict) -> tuple:
    return ("Psychiatry outpatient letter", concept("Clinic letter"), "demo-mh-trust",
            "Dr Kim Sample, Consultant Psychiatrist (demo)", [
                "Diagnosis: bipolar affective disorder, currently euthymic.",
                f"Margaret's lithium level was {v['lithium'].value:.2f} mmol/L and her PHQ-9 "
                f"today {v['phq9'].value:.0f}. She sleeps well and keeps to her routine.",
                "Please continue 3-monthly lithium levels and 6-monthly kidney, thyroid and "
                "calcium tests. Avoid anti-inflammatory painkillers where possible."], ("PSY",))


def eye_screening(when: str, v: dict) -> tuple:
    return ("Diabetic eye screening result", concept("Screening result letter"),
            "demo-eye-screening", "Screening Programme Manager (demo)", [
                f"Margaret attended for diabetic eye screening on {docs.long_date(when)}.",
                "Result: no diabetic retinopathy in either eye (R0 M0). No referral to the "
                "hospital eye service is needed.",
                "She will be invited again in about a year."], ())


def memory_clinic(when: str, v: dict) -> tuple:
    return ("Memory assessment service: review", concept("Clinic letter"), "demo-memory-clinic",
            "Dr Ruth Example, Consultant Old Age Psychiatrist (demo)", [
                f"I reviewed Margaret with her daughter Helen. Her MMSE today was "
                f"{v['mmse'].value:.0f}/30.",
                "She is tolerating donepezil 10mg at night. Helen fills in a medicines chart.",
                "We discussed future planning and lasting power of attorney."], ())


def hospice(when: str, v: dict) -> tuple:
    return ("Community palliative care visit", concept("Clinic letter"), "demo-hospice",
            "Chris Example, Clinical Nurse Specialist, Palliative Care (demo)", [
                "I visited Margaret at home today with the district nurse.",
                "Her pain is controlled with oral morphine; breathlessness is worse on exertion.",
                "Her wishes are unchanged: she wants to stay at home."], ())
