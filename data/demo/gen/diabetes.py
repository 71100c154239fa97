"""Demo patient 1: type 2 diabetes on metformin and gliclazide (a medicine associated with
hypoglycaemia, so NICE NG28 1.5.7 suggests an HbA1c target of 53 mmol/mol)."""

from __future__ import annotations

from . import documents as docs
from .fhir import SCT, at, coding, concept, quantity
from .medicines import repeat
from .practice import GP_ID, external, patient
from .record import Record, hba1c_goal_target

PATIENT_ID = "dm-patient"

# (date, value): every ~6 months since diagnosis; the last rise is 6 mmol/mol, 8 above target.
HBA1C = [("2016-05-10", 68), ("2016-11-14", 55), ("2017-05-15", 52), ("2017-11-20", 54),
         ("2018-05-21", 57), ("2018-11-19", 60), ("2019-05-20", 54), ("2019-11-18", 52),
         ("2020-07-06", 55), ("2021-01-11", 53), ("2021-07-12", 51), ("2022-01-17", 52),
         ("2022-07-18", 50), ("2023-01-16", 53), ("2023-07-17", 52), ("2024-01-15", 54),
         ("2024-07-15", 51), ("2025-01-13", 53), ("2025-07-14", 52), ("2026-04-13", 55),
         ("2026-10-12", 61)]

# Annual reviews: (date, systolic, diastolic, cholesterol, hdl, ldl, triglycerides,
#                  creatinine, egfr, acr or None, weight kg, foot risk)
REVIEWS = [
    ("2016-05-10", 148, 92, 6.1, 1.0, 3.9, 2.3, 82, 88, 1.2, 92.4, "Low risk"),
    ("2017-05-15", 138, 86, 4.6, 1.1, 2.6, 2.0, 80, 90, 1.4, 89.0, "Low risk"),
    ("2018-05-21", 136, 84, 4.4, 1.1, 2.4, 1.9, 84, 86, 1.3, 88.1, "Low risk"),
    ("2019-05-20", 134, 82, 4.5, 1.0, 2.5, 2.1, 85, 85, 1.8, 87.2, "Low risk"),
    ("2020-07-06", 138, 84, 4.8, 1.0, 2.7, 2.2, 86, 83, 2.1, 89.5, "Low risk"),
    ("2021-07-12", 132, 80, 4.4, 1.1, 2.3, 1.9, 88, 82, 2.0, 88.7, "Low risk"),
    ("2022-07-18", 136, 82, 4.3, 1.1, 2.2, 2.0, 90, 80, 2.6, 87.9, "Low risk"),
    ("2023-07-17", 134, 84, 4.5, 1.0, 2.4, 2.1, 91, 79, 2.9, 88.3, "Low risk"),
    ("2024-07-15", 138, 86, 4.6, 1.0, 2.5, 2.1, 93, 78, 3.6, 88.8, "Low risk"),
    ("2025-07-14", 142, 86, 4.7, 1.0, 2.6, 2.2, 94, 77, 4.2, 89.6, "Increased risk"),
    ("2026-10-12", 146, 88, 4.9, 1.0, 2.7, 2.3, 96, 76, None, 90.8, "Increased risk"),
]
HEIGHT_M = 1.72

RETINAL = ["2016-08-15", "2017-08-21", "2018-09-03", "2019-08-19", "2021-02-08", "2022-01-24",
           "2023-01-30", "2024-09-10"]


def build(nhs_number: str) -> list[dict]:
    """Every resource of the diabetes demo record."""
    rec = Record("dm", PATIENT_ID, 1)
    rec.re_line = docs.heading("Rajesh Example", "1961-07-14", nhs_number,
                               "23 Example Road, Testington TE1 4AA")
    rec.add(patient(PATIENT_ID, nhs_number, "Rajesh", "Example", "male", "1961-07-14",
                    "23 Example Road", "TE1 4AA", "07700 900101"))
    rec.add(external("demo-eye-screening"))
    rec.add(external("demo-acute-trust"))
    rec.condition("diabetes_type2", "2016-05-10", "2016-05-12",
                  note="Diagnosed on two HbA1c results (68 and 66 mmol/mol) in May 2016.")
    _results(rec)
    _medicines(rec)
    _plans(rec)
    _letters(rec)
    _appointments(rec)
    _repeat_ordering(rec)  # last: its seeded wobbles leave every entry above as it was
    return rec.resources


def _appointments(rec: Record) -> None:
    """Past and upcoming appointments (issue 21): the review before the clocks went back, one
    missed, the next one booked with the nurse, and one the practice cancelled."""
    rec.appointment("2026-09-08", "2026-09-08", "09:40", 20, "Diabetes review: bloods", status="fulfilled")
    rec.appointment("2026-10-27", "2026-10-27", "11:00", 15, "Foot check", status="noshow")
    rec.appointment("2026-12-15", "2026-12-15", "10:30", 20, "Annual diabetes review")
    rec.appointment("2027-01-12", "2027-01-12", "14:10", 10, "Blood pressure check", with_id=GP_ID,
                    status="cancelled")


def _results(rec: Record) -> None:
    for when, value in HBA1C:
        rec.measure("hba1c", when, value)
    rec.measure("hba1c", "2023-03-20", 420, status="entered-in-error",
                note="Entered in error: result typed against the wrong test (glucose meter "
                     "reading copied in). Correct HbA1c for 2023 is the result of 16 January.")
    for (when, sys_bp, dia_bp, chol, hdl, ldl, trig, creat, egfr, acr, weight,
         foot) in REVIEWS:
        rec.blood_pressure(when, sys_bp, dia_bp)
        if when == "2024-07-15":
            _amended_cholesterol(rec, when)
        else:
            rec.measure("cholesterol", when, chol)
        rec.measure("hdl", when, hdl)
        rec.measure("ldl", when, ldl)
        rec.measure("triglycerides", when, trig)
        rec.measure("creatinine", when, creat)
        rec.measure("egfr", when, egfr)
        if acr is not None:
            rec.measure("acr", when, acr)
        rec.measure("weight", when, weight)
        rec.measure("bmi", when, round(weight / HEIGHT_M ** 2, 1))
        rec.finding("smoking_ex", when, "social-history", note="Stopped smoking in 2004.")
        rec.finding("foot_check", when, "exam", value_text=f"{foot} (diabetic foot risk)",
                    note=("Monofilament sensation reduced at two sites on the left foot; "
                          "pulses present.") if foot != "Low risk" else
                    "Sensation and pulses normal in both feet.")
    rec.blood_pressure("2026-04-13", 144, 88)
    rec.measure("height", "2016-05-10", HEIGHT_M)
    for when in RETINAL:
        rec.finding("retinal_screening", when, "exam",
                    value_text="No diabetic retinopathy (R0 M0) in either eye",
                    author="demo-gp-tom-example")
    rec.finding("structured_education", "2016-09-20", "exam",
                note="Completed a group structured education course for type 2 diabetes.")


def _amended_cholesterol(rec: Record, when: str) -> None:
    """The 2024 cholesterol: version 1 as first reported, version 2 amended by the laboratory."""
    rec.measure("cholesterol", when, 7.4, version=1, last_updated=at("2024-07-16", "14:20"),
                clock="09:15", issued=at("2024-07-16", "14:20"))
    rec.measure("cholesterol", when, 4.6, status="amended", version=2,
                last_updated=at("2024-07-23", "11:05"), clock="09:15",
                issued=at("2024-07-23", "11:05"),
                note="Amended by the laboratory on 23 July 2024: the first report (7.4 mmol/L) "
                     "was a transcription error. Corrected value 4.6 mmol/L.")


def _medicines(rec: Record) -> None:
    cond = rec.rid("cond", "diabetes-type2")
    repeat(rec, "metformin", "Metformin 500mg modified-release tablets", None,
           dose="Take two tablets twice a day with meals", amount=224, unit="tablet",
           start="2016-05-17", reason=cond)
    repeat(rec, "gliclazide", "Gliclazide 80mg tablets", None,
           dose="Take one tablet twice a day with breakfast and the evening meal", amount=112,
           unit="tablet", start="2019-01-14", reason=cond)
    repeat(rec, "atorvastatin", "Atorvastatin 20mg tablets", None, dose="Take one tablet at night",
           amount=56, unit="tablet", start="2016-06-20")


def _plans(rec: Record) -> None:
    cond = rec.rid("cond", "diabetes-type2")
    rec.goal("hba1c", "HbA1c target agreed at annual review", "2025-07-14",
             targets=[hba1c_goal_target(53)], addresses=[cond],
             note="Source: NICE NG28 1.5.7 (on a medicine associated with hypoglycaemia: "
                  "gliclazide)")
    bp_targets = [
        {"measure": {"coding": [coding(SCT, "72313002", "Systolic arterial pressure")]},
         "detailRange": {"high": quantity(140, "mmHg", "mm[Hg]")}},
        {"measure": {"coding": [coding(SCT, "1091811000000102", "Diastolic arterial pressure")]},
         "detailRange": {"high": quantity(90, "mmHg", "mm[Hg]")}}]
    rec.goal("bp", "Clinic blood pressure below 140/90 mmHg", "2025-07-14", targets=bp_targets,
             addresses=[cond], note="Source: NICE NG136 (clinic target for people under 80)")
    rec.goal("walking", "Walk for 30 minutes on five days a week", "2025-07-14",
             addresses=[cond])
    rec.care_plan(
        "diabetes", "Diabetes care plan", concept("Diabetes care plan"), "2025-07-14",
        description="Plan agreed with Rajesh at his annual diabetes review.",
        activities=[("completed", "Annual review blood tests, blood pressure, weight and foot "
                                  "check (done 12 October 2026)"),
                    ("scheduled", "Urine albumin test (ACR): sample pot given, not yet returned"),
                    ("scheduled", "Diabetic eye screening: contact the screening programme to "
                                  "rebook the missed appointment"),
                    ("in-progress", "Walking 30 minutes on five days a week")],
        goals=(rec.rid("goal", "hba1c"), rec.rid("goal", "bp"), rec.rid("goal", "walking")),
        addresses=(cond,), author="demo-nurse-jo-demo")


def _letters(rec: Record) -> None:
    docs.letter(rec, "eye-screening-2024-09-10", "2024-09-10",
                title="Diabetic eye screening result", doc_type=concept("Screening result letter"),
                org_id="demo-eye-screening", author="Screening Programme Manager (demo)",
                paragraphs=[
                    "Rajesh attended for diabetic eye screening on 10 September 2024. Digital "
                    "photographs of the back of both eyes were taken after dilating drops.",
                    "Result: no diabetic retinopathy in either eye (R0 M0). No referral to the "
                    "hospital eye service is needed.",
                    "Because his last two screens were also clear, he will be invited again in "
                    "about two years, in line with the programme's extended interval for people "
                    "at low risk. If his eyesight changes before then, he should see an "
                    "optometrist or contact the practice without waiting for the invitation."])
    docs.letter(rec, "review-2025-07-14", "2025-07-14", title="Diabetes annual review summary",
                doc_type=concept("Clinic letter"), org_id="practice",
                author="Dr Priya Sample, GP (demo)", to="Mr Rajesh Example", paragraphs=[
                    "Thank you for coming to your diabetes review with Nurse Demo and me on "
                    "14 July 2025. This letter sums up what we found and what we agreed.",
                    "Your HbA1c (average blood sugar over about three months) was 52 mmol/mol. "
                    "Because gliclazide can cause low blood sugar (hypos), we agreed a personal "
                    "target of 53 mmol/mol rather than 48. Your blood pressure was 142/86 and "
                    "your cholesterol 4.7 mmol/L.",
                    "Your urine albumin test (ACR) was 4.2 mg/mmol, a little raised for the "
                    "second year running. We talked about what this may mean for your kidneys "
                    "and agreed to look at it again with your next blood pressure readings.",
                    "Your foot check showed reduced feeling in two places on the left foot, so "
                    "your foot risk is now 'increased'. Please check your feet every day and "
                    "tell us about any cuts, blisters or colour changes."])
    docs.letter(rec, "dsn-2026-11-02", "2026-11-02",
                title="Community diabetes specialist nurse clinic letter",
                doc_type=concept("Clinic letter"), org_id="demo-acute-trust",
                author="Sam Testwell, Diabetes Specialist Nurse (demo)", paragraphs=[
                    "I saw Rajesh in the community diabetes clinic today at your request after "
                    "his HbA1c rose from 55 to 61 mmol/mol between April and October 2026.",
                    "He tells me his work pattern changed in the summer to night shifts, and "
                    "meals have become irregular. He has had two episodes of feeling shaky and "
                    "sweaty before breakfast, which settled with a sugary drink; he has not "
                    "checked his blood glucose at those times.",
                    "We talked about meal timing around shifts, how gliclazide works and how to "
                    "recognise and treat a hypo. I have given him a blood glucose meter and "
                    "shown him how to use it, and asked him to keep a two-week record.",
                    "I will review the readings with him by phone in three weeks and write "
                    "again with any suggestions for his treatment plan. His blood pressure in "
                    "clinic was 146/88; I understand the practice is following this up."])


def _repeat_ordering(rec: Record) -> None:
    """Issue 21: a salbutamol inhaler still authorised but last issued in January 2026 (not offered
    for ordering: the practice may have stopped it), and one order the person prepared as a
    message on 20 November 2026 for atorvastatin, kept as own content (a tagged Task, the form
    exports/repeat_order.py `own_task` writes and exports/restore.py reads back)."""
    repeat(rec, "salbutamol", "Salbutamol 100micrograms/dose inhaler CFC free", None,
           dose="Inhale two doses when needed for breathlessness", amount=1, unit="inhaler",
           start="2018-02-05", interval=91, last_issue="2026-03-20")
    plan = rec.rid("med", "atorvastatin")
    rec.add({"resourceType": "Task", "id": rec.rid("own", "order", "1"),
             "meta": {"tag": [{"system": "https://ltc-dashboard.example/CodeSystem/own-content",
                               "code": "own-content", "display": "Written by the person in the dashboard"}]},
             "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:5d0c3c55-0b7e-4d7f-9d0a-2f1e6c1b9a01"}],
             "status": "requested", "intent": "order",
             "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill",
                                  "display": "Fulfill the focal request"}], "text": "Repeat prescription request"},
             "description": "Please issue my repeat prescription: Atorvastatin 20mg tablets",
             "focus": {"reference": f"MedicationRequest/{plan}", "display": "Atorvastatin 20mg tablets"},
             "for": rec.subject(), "authoredOn": "2026-11-20T09:15:00+00:00",
             "requester": rec.subject(),
             "extension": [{"url": "https://ltc-dashboard.example/StructureDefinition/repeat-order",
                            "extension": [{"url": "how", "valueCode": "message"},
                                          {"url": "status", "valueCode": "prepared"},
                                          {"url": "author", "valueString": "patient"},
                                          {"url": "lastIssued", "valueDate": "2026-10-22"}]}]})
