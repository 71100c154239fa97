"""The codes, units and laboratory reference ranges the demo records use, each with its source.

Sources are the keys of ../shared/clinical-reference.md (section and [key]). Where that document
gives no verified code, the source says where the code came from instead, or the concept is text
only (code None), as a GP system would send a local code the dashboard cannot know.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """A numeric observation: its code, unit, lab range and where the code came from."""

    code: str | None
    display: str
    unit: str
    ucum: str
    category: str
    low: float | None = None
    high: float | None = None
    range_text: str | None = None
    source: str = ""
    loinc: tuple[str, str] | None = None  # an alternate LOINC coding, where labs send one


MEASURES = {
    "hba1c": Measure("999791000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol",
                     "mmol/mol", "laboratory", 20, 41, "Non-diabetic range 20-41 mmol/mol",
                     "§2.1 [R2]"),
    "cholesterol": Measure("1005671000000105", "Serum cholesterol level", "mmol/L", "mmol/L",
                           "laboratory", None, 5.0, "Ideal below 5.0 mmol/L", "§2.1 [R3]"),
    "hdl": Measure("1005681000000107", "Serum HDL cholesterol level", "mmol/L", "mmol/L",
                   "laboratory", 1.0, None, "Ideal 1.0 mmol/L or above", "§2.1 [R3]"),
    "ldl": Measure("1022191000000100", "Serum LDL cholesterol level", "mmol/L", "mmol/L",
                   "laboratory", None, 3.0, "Ideal below 3.0 mmol/L", "§2.1 [R3]"),
    "triglycerides": Measure("1005691000000109", "Serum triglycerides level", "mmol/L", "mmol/L",
                             "laboratory", None, 1.7, "Ideal below 1.7 mmol/L (fasting)",
                             "§2.1 [R3]"),
    "creatinine": Measure("1000731000000107", "Serum creatinine level", "umol/L", "umol/L",
                          "laboratory", 59, 104, "59-104 umol/L", "§2.1 [R2]"),
    "creatinine_f": Measure("1000731000000107", "Serum creatinine level", "umol/L", "umol/L",
                            "laboratory", 45, 84, "45-84 umol/L", "§2.1 [R2]"),
    "egfr": Measure("1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres",
                    "mL/min/{1.73_m2}", "mL/min/{1.73_m2}", "laboratory", 60, None,
                    "60 or above (below 60 may mean reduced kidney function)", "§2.1 [R3]"),
    "acr": Measure("1023491000000104", "Urine albumin:creatinine ratio", "mg/mmol", "mg/mmol",
                   "laboratory", None, 3.0, "Normal below 3 mg/mmol", "§2.1 [R3]"),
    "bmi": Measure("60621009", "Body mass index", "kg/m2", "kg/m2", "vital-signs", 18.5, 24.9,
                   "Healthy range 18.5-24.9 kg/m2", "§2.1 [R1]"),
    "weight": Measure("27113001", "Body weight", "kg", "kg", "vital-signs", source="§2.1 [R1]"),
    "height": Measure("50373000", "Body height", "m", "m", "vital-signs", source="§2.1 [R1]"),
    "pulse": Measure("364075005", "Heart rate", "/min", "/min", "vital-signs", 60, 100,
                     "60-100 beats a minute at rest", "§1.2, §6.1 [R1]"),
    "wcc": Measure("1022541000000102", "Total white cell count", "10*9/L", "10*9/L", "laboratory",
                   4.0, 11.0, "4.0-11.0 x10^9/L", "§5.1 [R3]"),
    "neutrophils": Measure("1022551000000104", "Neutrophil count", "10*9/L", "10*9/L", "laboratory",
                           2.0, 7.5, "2.0-7.5 x10^9/L",
                           "§5.1 lists it unverified; code as in several public EMIS term "
                           "lists [code]"),
    "platelets": Measure("1022651000000100", "Platelet count", "10*9/L", "10*9/L", "laboratory",
                         150, 400, "150-400 x10^9/L", "§5.1 [R3]"),
    "mcv": Measure("1022491000000106", "MCV - Mean corpuscular volume", "fL", "fL", "laboratory",
                   80, 100, "80-100 fL", "§5.1 [R3]"),
    "haemoglobin": Measure("1022431000000105", "Haemoglobin estimation", "g/L", "g/L", "laboratory",
                           115, 160, "115-160 g/L (women)", "§5.1 [R3]"),
    "haemoglobin_m": Measure("1022431000000105", "Haemoglobin estimation", "g/L", "g/L",
                             "laboratory", 130, 170, "130-170 g/L (men)", "§5.1 [R3]"),
    "alt": Measure("1018251000000107", "Serum alanine aminotransferase level", "U/L", "U/L",
                   "laboratory", None, 40, "Up to 40 U/L",
                   "§5.1 lists it unverified; code from the gm-sde alanine-aminotransferase "
                   "set [R3]"),
    "albumin": Measure("1000821000000103", "Serum albumin level", "g/L", "g/L", "laboratory",
                       35, 50, "35-50 g/L",
                       "§5.1 lists it unverified; code from the gm-sde albumin set [R3]"),
    "crp": Measure("999651000000107", "Plasma C reactive protein", "mg/L", "mg/L", "laboratory",
                   None, 5, "Below 5 mg/L", "§5.1 (unverified there) [code]"),
    "esr": Measure("1022511000000103", "Erythrocyte sedimentation rate", "mm/h", "mm/h",
                   "laboratory", None, 20, "Up to 20 mm/h",
                   "§5.1 lists it unverified; code as in a public EMIS term list [code]"),
    "lithium": Measure("1006681000000100", "Serum lithium level", "mmol/L", "mmol/L", "laboratory",
                       0.4, 1.0, "Therapeutic range 0.4-1.0 mmol/L (12 hours after the dose)",
                       "§6.1 lists it unverified; code from a public PINCER-style query [code]",
                       loinc=("14334-7", "Lithium [Moles/volume] in Serum or Plasma")),
    "tsh": Measure("1022791000000101", "Serum TSH (thyroid stimulating hormone) level", "m[IU]/L",
                   "m[IU]/L", "laboratory", 0.27, 4.2, "0.27-4.20 mU/L", "§6.1 [R3]"),
    "calcium": Measure("998341000000105", "Calcium adjusted level", "mmol/L", "mmol/L",
                       "laboratory",
                       2.2, 2.6, "2.20-2.60 mmol/L", "§6.1 [R3]"),
    "mmse": Measure("447316007", "Mini-mental state examination score", "{score}", "{score}",
                    "survey", source="§4.1 [R18]"),
    "sixcit": Measure(None, "6CIT (six item cognitive impairment test) score", "{score}",
                      "{score}", "survey", source="§4.1: no verified code, so text only"),
    "das28": Measure(None, "DAS28 (disease activity score, 28 joints)", "{score}", "{score}",
                     "survey", source="§5.1: no verified code, so text only"),
    "phq9": Measure("720433000", "Patient Health Questionnaire Nine Item score", "{score}",
                    "{score}", "survey", source="§6.1 [R20]"),
    "gad7": Measure("445455005", "Generalized Anxiety Disorder 7 item score", "{score}", "{score}",
                    "survey", source="§6.1 [R20]"),
    "karnofsky": Measure("761869008", "Karnofsky Performance Status score", "{score}", "{score}",
                         "survey", source="§3.1 [R6]"),
    "alcohol": Measure("160573003", "Alcohol intake", "units/week", "/wk", "social-history",
                       source="§6.1 [R3]"),
}

# Coded entries that are not measures: (code or None, display). Source keys in README.md.
FINDINGS = {
    "diabetes_type2": ("44054006", "Type 2 diabetes mellitus"),
    "smoking_ex": ("8517006", "Ex-smoker"),
    "smoking_current": ("77176002", "Smoker"),
    "smoking_never": ("266919005", "Never smoked tobacco"),
    "foot_check": ("401191002", "Diabetic foot examination"),
    "retinal_screening": ("390852004", "Digital retinal screening"),
    "structured_education": (None, "Attended diabetes structured education programme"),
    "eol_register": ("526631000000108", "On end of life care register"),
    "cpr_not_for": ("450476008", "Not for attempted cardiopulmonary resuscitation"),
    "anticipatory_prescribed": ("871021000000106",
                                "Prescription of palliative care anticipatory medication"),
    "gsf_b": ("845721000000108", "Gold Standards Framework prognostic indicator stage B"),
    "gsf_c": ("845751000000103", "Gold Standards Framework prognostic indicator stage C"),
    "lung_cancer": ("424993006", "Adenocarcinoma of lung, stage IV"),
    "hypertension": ("38341003", "Hypertensive disorder"),
    "alzheimers": ("26929004", "Alzheimer's disease"),
    "dementia_care_plan_agreed": ("956841000000106", "Dementia care plan agreed"),
    "dementia_care_plan_review": ("956861000000107", "Review of dementia advance care plan"),
    "dementia_medication_review": ("938551000000108", "Dementia medication review"),
    "structured_medication_review": ("1239511000000100", "Structured medication review"),
    "rheumatoid_arthritis": ("69896004", "Rheumatoid arthritis"),
    "ra_annual_review": (None, "Rheumatoid arthritis annual review"),
    "bipolar": ("13746004", "Bipolar disorder"),
    "smi_health_check": (None, "Serious mental illness annual physical health check"),
    "mh_risk_assessment": (None, "Mental health risk assessment"),
    "respect_document": ("1382601000000107", "ReSPECT (Recommended Summary Plan for Emergency "
                         "Care and Treatment) form"),
    "care_plan_category": ("734163000", "Care plan"),
    "eol_care_plan": ("736373009", "End of life care plan"),
    "dementia_care_plan": ("736371006", "Dementia care plan"),
    "mh_crisis_plan": ("736253002", "Mental health crisis plan"),
    "place_of_care": (None, "Preferred place of care"),
    "place_of_death": (None, "Preferred place of death"),
    "place_home": ("264362003", "Home"),
    "place_hospice": ("284546000", "Hospice"),
}
