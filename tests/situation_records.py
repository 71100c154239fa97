"""FHIR R4 records of one UK patient in the situations of issue 15 (clinical-reference §11), for
tests/test_situation_wording.py: resource builders, a hypothesis strategy over varied record
shapes, and the hand-made records for the cases the issue names.

Written for issue 15 from the issue text and clinical-reference §2, §3, §5.2, §6.2 and §11 alone
(not from the implementation). Nothing here is real patient data. Shapes follow a UK GP record
(SNOMED CT codes, a repeat as an authorisation `intent = plan` with one issue per supply, as in
tests/fixtures/conditions/*) or a US-style record (one active order, never re-issued, as in the
Synthea samples in /work/shared/fhir-samples/). Codes the reference names for pregnancy
(SNOMED 77386006 pregnancy, LOINC 11778-8 and SNOMED 161714006 expected delivery date) are used
as the reference gives them, whether or not the app's value sets hold them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import strategies as st

TODAY = dt.date(2026, 11, 25)  # tests/conftest.py freezes the same day
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PID = "sit-person"
CARER = "sit-carer"

# -- codes (clinical-reference §2.1, §3.1, §5.1, §6.1, §11.4) ---------------------------------------
DIABETES = {"1": ("46635009", "Type 1 diabetes mellitus"), "2": ("44054006", "Type 2 diabetes mellitus"),
            "2_insulin": ("24471000000103", "Type 2 diabetes mellitus on insulin"),
            "unspecified": ("73211009", "Diabetes mellitus")}
PREGNANCY = (SCT, "77386006", "Pregnancy")  # §11.4, the code the brief names
EDD = {"loinc": (LOINC, "11778-8", "Delivery date Estimated"),
       "snomed": (SCT, "161714006", "Estimated date of delivery")}
EOL_REGISTER = ("526631000000108", "On end of life care register")  # valuesets.csv eol_register
PALLIATIVE_CARE = ("103735009", "Palliative care")  # valuesets.csv eol_register
PROGNOSIS_MONTHS = {"gsf_b": ("845721000000108", "GSF prognostic indicator stage B (green - months prognosis)"),
                    "last_months": ("968211000000101", "Last months of life")}
HBA1C = {"snomed": (SCT, "999791000000106", "Haemoglobin A1c level - IFCC standardised"),
         "loinc": (LOINC, "59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol")}
EGFR = (SCT, "1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres")
ACR = (SCT, "1023491000000104", "Urine albumin:creatinine ratio")
MEDICINES = {
    "insulin": "Insulin glargine 100units/ml solution for injection 3ml pre-filled pens",
    "gliclazide": "Gliclazide 80mg tablets",
    "metformin": "Metformin 500mg tablets",
    "ramipril": "Ramipril 5mg capsules",
    "atorvastatin": "Atorvastatin 20mg tablets",
}


# -- resource builders -------------------------------------------------------------------------------

def _cc(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _when(day: dt.date, shape: str = "datetime") -> str:
    """A FHIR date, a dateTime with a UK offset (BST in summer), or a dateTime in UTC."""
    if shape == "date":
        return day.isoformat()
    if shape == "utc":
        return f"{day.isoformat()}T09:30:00Z"
    offset = "+01:00" if 4 <= day.month <= 9 else "+00:00"
    return f"{day.isoformat()}T09:30:00{offset}"


def patient(birth: dt.date, gender: str, given: str = "Alex") -> dict:
    return {"resourceType": "Patient", "id": PID,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990001234"}],
            "name": [{"use": "official", "given": [given], "family": "Situation"}],
            "gender": gender, "birthDate": birth.isoformat()}


def carer() -> list[dict]:
    """A carer with proxy access to the whole record (RelatedPerson + INFA Consent, §8.1-8.2),
    shaped as tests/fixtures/conditions/diabetes/proxy_carer_one_medicine."""
    return [
        {"resourceType": "RelatedPerson", "id": CARER, "active": True, "patient": {"reference": f"Patient/{PID}"},
         "relationship": [{"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole",
                                       "code": "Carer"}]}],
         "name": [{"given": ["Sam"], "family": "Situation"}], "period": {"start": "2020-01-01"}},
        {"resourceType": "Consent", "id": "sit-consent", "status": "active",
         "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "INFA"}]}],
         "patient": {"reference": f"Patient/{PID}"}, "dateTime": "2020-01-01",
         "performer": [{"reference": f"Patient/{PID}"}],
         "provision": {"type": "permit", "period": {"start": "2020-01-01", "end": "2030-12-31"},
                       "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                                       "code": "IRCP"}]},
                                  "reference": {"reference": f"RelatedPerson/{CARER}"}}],
                       "dataPeriod": {"start": "2000-01-01"}}},
    ]


def condition(rid: str, code: str, display: str, onset: dt.date, clinical: str | None = "active",
              verification: str | None = "confirmed") -> dict:
    res = {"resourceType": "Condition", "id": rid,
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                     "code": "problem-list-item"}]}],
           "code": _cc(SCT, code, display), "subject": {"reference": f"Patient/{PID}"},
           "onsetDateTime": onset.isoformat(), "recordedDate": onset.isoformat()}
    if clinical:
        res["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
    if verification:
        res["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": verification}]}
    return res


def flag(rid: str, code: str, display: str, start: dt.date) -> dict:
    return {"resourceType": "Flag", "id": rid, "status": "active", "code": _cc(SCT, code, display),
            "subject": {"reference": f"Patient/{PID}"}, "period": {"start": start.isoformat()}}


def quantity(rid: str, coding: tuple, value: float, unit: str, day: dt.date, category: str = "laboratory",
             shape: str = "datetime") -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": category}]}],
            "code": _cc(*coding), "subject": {"reference": f"Patient/{PID}"},
            "effectiveDateTime": _when(day, shape),
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}


def blood_pressure(rid: str, day: dt.date, systolic: int, diastolic: int, shape: str = "datetime") -> dict:
    def part(code: str, display: str, value: int) -> dict:
        return {"code": _cc(SCT, code, display),
                "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": "vital-signs"}]}],
            "code": _cc(SCT, "75367002", "Blood pressure"), "subject": {"reference": f"Patient/{PID}"},
            "effectiveDateTime": _when(day, shape),
            "component": [part("72313002", "Systolic arterial pressure", systolic),
                          part("1091811000000102", "Diastolic arterial pressure", diastolic)]}


def expected_delivery(rid: str, coding: tuple, due: dt.date, recorded: dt.date) -> dict:
    return {"resourceType": "Observation", "id": rid, "status": "final", "code": _cc(*coding),
            "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": _when(recorded),
            "valueDateTime": due.isoformat()}


def _dosage(text: str, mg: float | None) -> list[dict]:
    dose = {"text": text}
    if mg is not None:
        dose["doseAndRate"] = [{"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}]
    return [dose]


def uk_repeat(rid: str, name: str, authorised: dt.date, issues: list[dt.date], *, status: str = "active",
              dose_text: str = "As directed", mg: float | None = None, by_reference: bool = False) -> list[dict]:
    """A UK repeat: the authorisation (intent plan) and one completed order per issue."""
    out: list[dict] = []
    medicine: dict = {"medicationCodeableConcept": {"text": name}}
    if by_reference:
        out.append({"resourceType": "Medication", "id": f"{rid}-med", "code": {"text": name}})
        medicine = {"medicationReference": {"reference": f"Medication/{rid}-med"}}
    out.append({"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "plan", **medicine,
                "subject": {"reference": f"Patient/{PID}"}, "authoredOn": authorised.isoformat(),
                "dosageInstruction": _dosage(dose_text, mg)})
    for i, day in enumerate(issues):
        out.append({"resourceType": "MedicationRequest", "id": f"{rid}-issue-{i}", "status": "completed",
                    "intent": "order", **medicine, "subject": {"reference": f"Patient/{PID}"},
                    "authoredOn": day.isoformat(), "basedOn": [{"reference": f"MedicationRequest/{rid}"}],
                    "dosageInstruction": _dosage(dose_text, mg)})
    return out


def us_order(rid: str, name: str, authored: dt.date) -> list[dict]:
    """A US-style active order, never re-issued (the Synthea shape)."""
    return [{"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
             "medicationCodeableConcept": {"text": name}, "subject": {"reference": f"Patient/{PID}"},
             "authoredOn": _when(authored, "utc"), "dosageInstruction": _dosage("Take as directed", None)}]


def statement(rid: str, name: str, start: dt.date) -> list[dict]:
    return [{"resourceType": "MedicationStatement", "id": rid, "status": "active",
             "medicationCodeableConcept": {"text": name}, "subject": {"reference": f"Patient/{PID}"},
             "effectivePeriod": {"start": start.isoformat()}}]


def hba1c_goal(rid: str, low: float | None, high: float) -> dict:
    """A personal HbA1c goal (§2.1 Goal example); with `low`, a personal range (§11.6)."""
    detail = ({"detailRange": {"low": {"value": low, "unit": "mmol/mol", "system": UCUM, "code": "mmol/mol"},
                               "high": {"value": high, "unit": "mmol/mol", "system": UCUM, "code": "mmol/mol"}}}
              if low is not None else
              {"detailQuantity": {"value": high, "unit": "mmol/mol", "system": UCUM, "code": "mmol/mol"}})
    return {"resourceType": "Goal", "id": rid, "lifecycleStatus": "active",
            "description": {"text": "HbA1c target agreed at annual review"},
            "subject": {"reference": f"Patient/{PID}"},
            "target": [{"measure": {"coding": [{"system": SCT, "code": "999791000000106"}]}, **detail}]}


def bundle(resources: list[dict], name: str) -> dict:
    return {"resourceType": "Bundle", "id": name, "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{name}-{i}", "resource": r} for i, r in enumerate(resources)]}


def birth_for_age(age: int, days_after_birthday: int) -> dt.date:
    """A birth date giving `age` on TODAY, `days_after_birthday` (0-360) past the last birthday."""
    last = TODAY - dt.timedelta(days=days_after_birthday)
    try:
        return last.replace(year=last.year - age)
    except ValueError:  # 29 February
        return last.replace(year=last.year - age, day=28)


# -- generated records ---------------------------------------------------------------------------------

@dataclass
class Case:
    """One generated record and what the test knows about it (the oracle reads this, never the app)."""

    resources: list[dict]
    viewer: str  # "patient", "clinic" or "proxy"
    age: int
    pregnant_ids: set[str] = field(default_factory=set)  # resources that show an ongoing pregnancy
    eol_ids: set[str] = field(default_factory=set)  # register entries or a prognosis of months or less
    prognosis: bool = False  # a prognosis code is present (shown only when the person chose to see it)
    diabetes: tuple = ()  # (kind, clinicalStatus, verificationStatus) of the diabetes Condition, if any
    glucose_lowering: bool = False  # insulin, gliclazide or metformin is in the record


_days = st.integers(0, 3 * 365).map(lambda n: TODAY - dt.timedelta(days=n + 1))
_shape = st.sampled_from(["date", "datetime", "utc"])


@st.composite
def cases(draw, situation: str | None = None) -> Case:
    """One patient: child or adult, diabetes of a type and status, maybe pregnant, maybe at the end
    of life, with HbA1c, BP, eGFR and ACR series, medicines in UK or US shapes, and a goal.
    `situation` makes one situation certain, other things still vary: "pregnant", "child", "eol",
    "type1_adult" (confirmed active type 1, aged 18 or over) or "uncertain" (a provisional,
    unconfirmed, differential, refuted, entered-in-error, resolved or inactive diabetes Condition and
    no glucose-lowering medicine)."""
    child = situation == "child" or (situation in (None, "uncertain") and draw(st.booleans()))
    if situation == "pregnant":
        age = draw(st.integers(16, 45))
    else:
        age = draw(st.integers(5, 17)) if child else draw(st.integers(18, 95))
    may_be_pregnant = 16 <= age <= 45
    kinds = (["condition", "edd_loinc", "edd_snomed"] if situation == "pregnant"
             else ["none", "condition", "edd_loinc", "edd_snomed", "edd_past", "resolved"])
    pregnancy = draw(st.sampled_from(kinds) if may_be_pregnant else st.just("none"))
    gender = "female" if pregnancy != "none" else draw(st.sampled_from(["female", "male"]))
    resources = [patient(birth_for_age(age, draw(st.integers(0, 360))), gender)]
    case = Case(resources, draw(st.sampled_from(["patient", "proxy", "proxy", "clinic"])), age)
    if case.viewer == "proxy":
        resources += carer()

    kind = draw(st.sampled_from(["1", "2", "2", "2_insulin", "unspecified"] + ([] if situation else ["none"])))
    if situation == "type1_adult":
        kind = "1"
    if kind != "none":
        clinical = draw(st.sampled_from(["active"] * 6 + ["recurrence", None, "resolved", "inactive"]))
        verification = draw(st.sampled_from(["confirmed"] * 6 + [None, "provisional", "unconfirmed",
                                                                    "differential", "refuted"]))
        if situation == "type1_adult":
            clinical, verification = "active", "confirmed"
        elif situation == "uncertain":
            clinical, verification = draw(st.sampled_from(
                [("active", v) for v in ("provisional", "unconfirmed", "differential", "refuted", "entered-in-error")]
                + [(c, "confirmed") for c in ("resolved", "inactive")]))
        case.diabetes = (kind, clinical, verification)
        code, display = DIABETES[kind]
        resources.append(condition("sit-dm", code, display, draw(_days) - dt.timedelta(days=365), clinical, verification))

    if pregnancy in ("condition", "resolved"):
        start = TODAY - dt.timedelta(weeks=draw(st.integers(4, 36)))
        status = "active" if pregnancy == "condition" else "resolved"
        resources.append(condition("sit-preg", PREGNANCY[1], PREGNANCY[2], start, status, "confirmed"))
        if status == "active":
            case.pregnant_ids.add("sit-preg")
    elif pregnancy.startswith("edd"):
        weeks = draw(st.integers(-20, -1)) if pregnancy == "edd_past" else draw(st.integers(1, 38))
        coding = EDD["snomed" if pregnancy == "edd_snomed" else "loinc"]
        due = TODAY + dt.timedelta(weeks=weeks)
        resources.append(expected_delivery("sit-edd", coding, due, due - dt.timedelta(weeks=28)))
        if weeks > 0:
            case.pregnant_ids.add("sit-edd")

    eol = draw(st.sampled_from((["none"] * 4 if situation != "eol" else [])
                               + ["register_flag", "register_condition", "prognosis"]))
    start = TODAY - dt.timedelta(days=draw(st.integers(10, 400)))
    if eol == "register_flag":
        resources.append(flag("sit-eol", *EOL_REGISTER, start))
    elif eol == "register_condition":
        resources.append(condition("sit-eol", *PALLIATIVE_CARE, start))
    elif eol == "prognosis":
        code, display = PROGNOSIS_MONTHS[draw(st.sampled_from(sorted(PROGNOSIS_MONTHS)))]
        resources.append(condition("sit-eol", code, display, start, "active", "confirmed"))
        case.prognosis = True
    if eol != "none":
        case.eol_ids.add("sit-eol")

    hba1c_code = HBA1C[draw(st.sampled_from(["snomed", "snomed", "loinc"]))]
    for i, (day, value) in enumerate(draw(st.lists(st.tuples(_days, st.integers(30, 110)), max_size=5))):
        resources.append(quantity(f"sit-hba1c-{i}", hba1c_code, value, "mmol/mol", day, shape=draw(_shape)))
    for i, (day, sys, dia) in enumerate(draw(st.lists(st.tuples(_days, st.integers(95, 185), st.integers(55, 110)),
                                                      max_size=3))):
        resources.append(blood_pressure(f"sit-bp-{i}", day, sys, dia, draw(_shape)))
    for i, (day, value) in enumerate(draw(st.lists(st.tuples(_days, st.integers(8, 115)), max_size=3))):
        resources.append(quantity(f"sit-egfr-{i}", EGFR, value, "mL/min/{1.73_m2}", day))
    for i, (day, value) in enumerate(draw(st.lists(st.tuples(_days, st.sampled_from([0.8, 2.5, 4, 12, 35, 72, 110])),
                                                   max_size=3))):
        resources.append(quantity(f"sit-acr-{i}", ACR, value, "mg/mmol", day))

    choices = sorted(MEDICINES) if situation != "uncertain" else ["atorvastatin", "ramipril"]
    for key in draw(st.sets(st.sampled_from(choices), max_size=4)):
        case.glucose_lowering |= key in ("insulin", "gliclazide", "metformin")
        style = draw(st.sampled_from(["uk", "uk", "uk_ref", "us", "statement"]))
        started = draw(_days) - dt.timedelta(days=200)
        if style.startswith("uk"):
            issues = [TODAY - dt.timedelta(days=d) for d in draw(st.lists(st.integers(5, 300), min_size=1, max_size=3))]
            resources += uk_repeat(f"sit-{key}", MEDICINES[key], started, issues, by_reference=style == "uk_ref")
        elif style == "us":
            resources += us_order(f"sit-{key}", MEDICINES[key], started)
        else:
            resources += statement(f"sit-{key}", MEDICINES[key], started)

    goal = draw(st.sampled_from(["none", "none", "single", "range"]))
    if goal == "single":
        resources.append(hba1c_goal("sit-goal", None, draw(st.integers(48, 75))))
    elif goal == "range":
        low = draw(st.integers(48, 60))
        resources.append(hba1c_goal("sit-goal", low, low + draw(st.integers(5, 15))))
    return case
