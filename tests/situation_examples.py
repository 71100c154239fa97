"""Hand-made records for the six cases issue 15 names, plus one control (a hypo prompt that must
stay at the end of life). Each is hand-made for issue 15 in the shape of a UK GP record: SNOMED CT
codes as in clinical-reference §2.1, §5.1 and §6.1, a repeat as an authorisation (`intent = plan`)
with one completed order per issue, as in tests/fixtures/conditions/*/ (for example
diabetes/proxy_carer_one_medicine and mental_health/lithium_high_level_older_adult). Today is
25 November 2026 (tests/conftest.py). Nothing here is real patient data.
"""

from __future__ import annotations

import datetime as dt

from situation_records import (
    DIABETES, EDD, EGFR, EOL_REGISTER, HBA1C, PREGNANCY, SCT, blood_pressure, condition, expected_delivery,
    flag, patient, quantity, uk_repeat,
)

D = dt.date
HBA1C_SCT = HBA1C["snomed"]
CHOLESTEROL = (SCT, "1005671000000105", "Serum cholesterol level")
LITHIUM = ("http://loinc.org", "14334-7", "Serum lithium level")
TSH = (SCT, "1022791000000101", "Serum TSH level")
CALCIUM = (SCT, "935201000000104", "Serum adjusted calcium concentration")
WEIGHT = (SCT, "27113001", "Body weight")
CREATININE = (SCT, "1000731000000107", "Serum creatinine level")
ACR = (SCT, "1023491000000104", "Urine albumin:creatinine ratio")
DMARD_BLOODS = {  # the blood set §5.2 names, codes as in tests/fixtures/conditions/inflammatory_arthritis
    "wcc": ((SCT, "1022541000000102", "Total white cell count"), 6.1, "10*9/L"),
    "neutrophils": ((SCT, "1022551000000104", "Neutrophil count"), 3.8, "10*9/L"),
    "platelets": ((SCT, "1022651000000100", "Platelet count"), 250, "10*9/L"),
    "haemoglobin": ((SCT, "1022431000000105", "Haemoglobin estimation"), 131, "g/L"),
    "alt": ((SCT, "1018251000000107", "Serum alanine aminotransferase level"), 24, "U/L"),
    "albumin": ((SCT, "1000821000000103", "Serum albumin level"), 41, "g/L"),
    "creatinine": (CREATININE, 72, "umol/L"),
    "egfr": (EGFR, 86, "mL/min/{1.73_m2}"),
}


PREGNANCY_SHOWN_BY = ("condition_and_edd", "edd_loinc_only", "edd_snomed_only")


def pregnant_on_insulin_hba1c_46(shown_by: str = "condition_and_edd") -> list[dict]:
    """A woman of 32 with type 2 diabetes on insulin, about 18 weeks pregnant, HbA1c 52 then 46,
    ACR raised twice with no ACE inhibitor. Issue 15: she "was told it was below her target and to
    ask whether her doses were right" (§2.3 hypo rule; §11.4 forbids it, and forbids an ACE
    inhibitor prompt). The pregnancy is shown (§11.4) by an active pregnancy Condition and an
    expected delivery date in April 2027, or by the expected delivery date alone (LOINC 11778-8 or
    SNOMED 161714006), as a GP record may carry only the antenatal booking entry."""
    pregnancy = []
    if shown_by == "condition_and_edd":
        pregnancy.append(condition("sit-preg", PREGNANCY[1], PREGNANCY[2], D(2026, 7, 20)))
    coding = EDD["snomed"] if shown_by == "edd_snomed_only" else EDD["loinc"]
    pregnancy.append(expected_delivery("sit-edd", coding, D(2027, 4, 26), D(2026, 9, 1)))
    return [
        patient(D(1994, 5, 12), "female", "Ruth"),
        condition("sit-dm", *DIABETES["2_insulin"], D(2021, 3, 1)),
        *pregnancy,
        *uk_repeat("sit-insulin", "Insulin glargine 100units/ml solution for injection 3ml pre-filled pens",
                   D(2024, 1, 10), [D(2026, 9, 20), D(2026, 10, 25), D(2026, 11, 15)], dose_text="18 units at night"),
        quantity("sit-hba1c-0", HBA1C_SCT, 52, "mmol/mol", D(2026, 5, 14)),
        quantity("sit-hba1c-1", HBA1C_SCT, 46, "mmol/mol", D(2026, 10, 20)),
        quantity("sit-acr-0", ACR, 4.2, "mg/mmol", D(2026, 6, 1)),
        quantity("sit-acr-1", ACR, 5.1, "mg/mmol", D(2026, 10, 20)),
        blood_pressure("sit-bp-0", D(2026, 10, 20), 118, 74),
    ]


def child_type1_with_bp() -> list[dict]:
    """A 15-year-old with type 1 diabetes on insulin, two blood pressure readings, an old
    cholesterol result and no smoking status. Issue 15: shown "below 140/90 for people aged under
    80"; §11.3: no adult wording, no cholesterol target, no smoking prompt below 16."""
    return [
        patient(D(2011, 6, 3), "male", "Leo"),
        condition("sit-dm", *DIABETES["1"], D(2019, 2, 1)),
        *uk_repeat("sit-insulin", "Insulin aspart 100units/ml solution for injection 3ml pre-filled pens",
                   D(2019, 2, 1), [D(2026, 9, 1), D(2026, 10, 13), D(2026, 11, 10)]),
        quantity("sit-hba1c-0", HBA1C_SCT, 62, "mmol/mol", D(2026, 6, 10)),
        quantity("sit-hba1c-1", HBA1C_SCT, 58, "mmol/mol", D(2026, 9, 15)),
        blood_pressure("sit-bp-0", D(2026, 3, 10), 112, 70),
        blood_pressure("sit-bp-1", D(2026, 9, 15), 118, 72),
        quantity("sit-chol-0", CHOLESTEROL, 4.2, "mmol/L", D(2025, 9, 2)),
    ]


def ckd_acr_78() -> list[dict]:
    """A man of 64 with type 2 diabetes on metformin and ramipril, eGFR 52 then 50 and ACR 72 then
    78 mg/mmol six months apart (CKD G3a A3, §11.5), BP 136/84 and 138/82. Issue 15: "held to
    140/90"; §11.5: ACR 70 or more, below 130/80."""
    return [
        patient(D(1962, 4, 18), "male", "Dev"),
        condition("sit-dm", *DIABETES["2"], D(2015, 6, 1)),
        *uk_repeat("sit-metformin", "Metformin 500mg tablets", D(2015, 6, 1), [D(2026, 9, 20), D(2026, 11, 1)]),
        *uk_repeat("sit-ramipril", "Ramipril 5mg capsules", D(2020, 2, 1), [D(2026, 9, 20), D(2026, 11, 1)]),
        quantity("sit-egfr-0", EGFR, 52, "mL/min/{1.73_m2}", D(2026, 3, 10)),
        quantity("sit-egfr-1", EGFR, 50, "mL/min/{1.73_m2}", D(2026, 9, 15)),
        quantity("sit-acr-0", ACR, 72, "mg/mmol", D(2026, 3, 10)),
        quantity("sit-acr-1", ACR, 78, "mg/mmol", D(2026, 9, 15)),
        blood_pressure("sit-bp-0", D(2026, 3, 10), 136, 84),
        blood_pressure("sit-bp-1", D(2026, 9, 15), 138, 82),
        quantity("sit-hba1c-0", HBA1C_SCT, 50, "mmol/mol", D(2026, 9, 15)),
    ]


def lithium_dose_raised_20_october() -> list[dict]:
    """A woman of 45 with bipolar disorder on lithium since 2019 (400 mg at night; the authorisation
    ended on 20 October 2026) and a new authorisation that day for 600 mg at night (a different
    dose in doseQuantity and a different strength in the name, §11.9). Her last level, 0.5 mmol/L,
    was on 13 October, before the change; thyroid, calcium, kidney and weight were done then.
    Issue 15: it showed "up to date, next due April 2027"; §11.9: a level 1 week after every dose
    change, so on 25 November it is overdue."""
    old = "Lithium carbonate 400mg modified-release tablets"
    new = "Lithium carbonate 200mg modified-release tablets"
    day = D(2026, 10, 13)
    return [
        patient(D(1981, 8, 30), "female", "Nina"),
        condition("sit-bipolar", "13746004", "Bipolar disorder", D(2018, 11, 1)),
        *uk_repeat("sit-li-old", old, D(2019, 5, 1), [D(2026, 8, 11), D(2026, 9, 8), D(2026, 10, 6)],
                   status="stopped", dose_text="One tablet (400mg) at night", mg=400),
        *uk_repeat("sit-li-new", new, D(2026, 10, 20), [D(2026, 10, 20), D(2026, 11, 17)],
                   dose_text="Three tablets (600mg) at night", mg=600),
        quantity("sit-li-0", LITHIUM, 0.55, "mmol/L", D(2026, 4, 14)),
        quantity("sit-li-1", LITHIUM, 0.5, "mmol/L", day),
        quantity("sit-egfr-0", EGFR, 88, "mL/min/{1.73_m2}", day),
        quantity("sit-creat-0", CREATININE, 70, "umol/L", day),
        quantity("sit-tsh-0", TSH, 1.8, "m[IU]/L", day),
        quantity("sit-ca-0", CALCIUM, 2.35, "mmol/L", day),
        quantity("sit-weight-0", WEIGHT, 68.0, "kg", day, category="vital-signs"),
    ]


def methotrexate_with_leflunomide() -> list[dict]:
    """A woman of 56 with rheumatoid arthritis on methotrexate since January 2024, with leflunomide
    added on 2 March 2026; monthly blood sets until the last on 25 August 2026, three months
    before today. Issue 15: "due soon"; §5.2 and §11.9: monthly for the first 12 months of the
    combination, so overdue."""
    resources = [
        patient(D(1970, 2, 14), "female", "Joan"),
        condition("sit-ra", "69896004", "Rheumatoid arthritis", D(2023, 11, 1)),
        *uk_repeat("sit-mtx", "Methotrexate 2.5mg tablets", D(2024, 1, 15),
                   [D(2026, 9, 1), D(2026, 10, 13), D(2026, 11, 10)], dose_text="15mg once a week on Mondays", mg=15),
        *uk_repeat("sit-lef", "Leflunomide 10mg tablets", D(2026, 3, 2),
                   [D(2026, 3, 2), D(2026, 10, 13), D(2026, 11, 10)], dose_text="One tablet daily", mg=10),
    ]
    for n, day in enumerate([D(2026, 6, 25), D(2026, 7, 24), D(2026, 8, 25)]):
        for key, (coding, value, unit) in DMARD_BLOODS.items():
            resources.append(quantity(f"sit-{key}-{n}", coding, value, unit, day))
        resources.append(blood_pressure(f"sit-bp-{n}", day, 128, 78))
        resources.append(quantity(f"sit-weight-{n}", WEIGHT, 70.0, "kg", day, category="vital-signs"))
    return resources


def _eol_type2(last_hba1c: float) -> list[dict]:
    return [
        patient(D(1944, 3, 2), "male", "Arthur"),
        condition("sit-dm", *DIABETES["2"], D(2009, 5, 1)),
        flag("sit-eol", *EOL_REGISTER, D(2026, 6, 1)),
        *uk_repeat("sit-gliclazide", "Gliclazide 80mg tablets", D(2012, 1, 5), [D(2026, 9, 20), D(2026, 11, 1)]),
        quantity("sit-hba1c-0", HBA1C_SCT, 55, "mmol/mol", D(2026, 4, 8)),
        quantity("sit-hba1c-1", HBA1C_SCT, last_hba1c, "mmol/mol", D(2026, 10, 14)),
        quantity("sit-chol-0", CHOLESTEROL, 4.9, "mmol/L", D(2025, 6, 2)),
        blood_pressure("sit-bp-0", D(2026, 10, 14), 142, 80),
    ]


def palliative_register_hba1c_rise() -> list[dict]:
    """A man of 82 on the end of life register (Flag, valuesets.csv eol_register) with type 2
    diabetes on gliclazide, HbA1c 55 then 64, cholesterol last done in June 2025. Issue 15: "asked
    how to bring their HbA1c back towards 53"; §11.7: no prompts towards a target, yearly care
    processes not chased."""
    return _eol_type2(64)


def palliative_register_low_hba1c() -> list[dict]:
    """The same man with an HbA1c of 44 on gliclazide: §11.7 says hypo prompts stay."""
    return _eol_type2(44)
