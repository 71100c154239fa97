"""The diabetes rules: which target applies to this person and the facts the checks and questions
read (clinical-reference §2.1 targets, §11 situations). The questions are in diabetes_prompts.py.

Every target and threshold comes from `data/terminology/targets.csv` by row id. The only numbers
here are the trigger deltas and windows §2.3 states for its prompts, named below. Each rule states
a fact with its dates and then offers an open question; none diagnoses or advises on medicines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from conditions.base import RECENT_MEDICINE_DAYS, Context, number, personal_target
from conditions.personal import reported
from conditions.situations import EGFR_BAND_ROWS, egfr_band, situations, target_row  # noqa: F401
from ltc_dashboard.record import citations, terminology
from ltc_dashboard.record.kept_lookups import holds_record_words
from ltc_dashboard.record.models import LabResult

CONDITION = "diabetes"
HBA1C_RISE = 5.0  # mmol/mol: "latest HbA1c - previous >= 5" (clinical-reference §2.3)
EGFR_FALL = 0.25  # "eGFR fall >= 25 % from previous" (clinical-reference §2.3)
CARE_PROCESS_AGE_DAYS = 365  # "any of the 8 care processes older than 12 months" (§2.3)
OLDER_BP_AGE = 80  # "aged 80 and over": the looser blood pressure target [NG136] (targets.csv age_80_plus)
PODIATRY_LETTER_DAYS = 183  # "no podiatry letter in 6 months" (§2.3)
PODIATRY_WORDS = ("podiatr", "chiropod", "foot protection")  # in a letter's title or author
# targets.csv rows the rules read (tests/test_diabetes.py checks each exists).
HBA1C_DEFAULT_ROW = "hba1c_type2_default"  # 48 mmol/mol [NG28]
HBA1C_ONE_MEDICINE_ROW = "hba1c_type2_one_medicine_review"  # 58 mmol/mol [NG28 1.5.8]
ACR_ACTION_ROW = "acr_diabetes_acei_arb"  # 3 mg/mmol [NG203]
# The 8 NDA care processes (§2.1) as check ids, with how a prompt names each.
CARE_PROCESSES = {
    "hba1c": "blood sugar test (HbA1c)", "bp": "blood pressure check",
    "cholesterol": "cholesterol test", "egfr": "kidney blood test (creatinine or eGFR)",
    "acr": "urine protein test (ACR)", "foot": "foot check", "bmi": "weight check (BMI)",
    "smoking": "smoking status check",
}
GLUCOSE_LOWERING = "glucose_lowering"
# Each of these classes counts as one drug for "on one glucose-lowering drug" (§2.3).
GLUCOSE_LOWERING_KINDS = ("metformin", "sulfonylurea", "insulin", "dpp4_inhibitor",
                          "sglt2_inhibitor", "glp1_agonist", "thiazolidinedione")
HYPO_ASSOCIATED = "hypo_associated"
FOOT_RISKS = (("ulcerated", "foot_risk_ulcerated"), ("high", "foot_risk_high"),
              ("increased", "foot_risk_increased"), ("low", "foot_risk_low"))
_ENDED = frozenset({"stopped", "cancelled"})  # a GP issue is "completed" once issued: not a stop


# -- targets -----------------------------------------------------------------------------------

def is_type1(ctx: Context) -> bool:
    """Type 1 diabetes is coded and type 2 is not (a record with both is read as type 2)."""
    return situations(ctx).kind == "type1"


def _type1_albuminuria(ctx: Context) -> bool:
    latest = ctx.latest("acr")
    return bool(latest and latest.comparator not in ("<", "<=")
                and target_row(ACR_ACTION_ROW).contains(latest.value) is True)


def target_order(ctx: Context, measure_id: str) -> tuple[str, ...]:
    """The targets.csv `applies_when` rows that fit this person, first match wins (§11: where two
    situations apply, the more cautious target comes first).

    HbA1c: none at the end of life [DUK-EOL]; pregnancy below 48 [NG3]; under 18 [NG18]; type 1
    [NG17]; a medicine associated with hypoglycaemia issued in the last 6 months [NG28 1.5.7]; else
    the default [NG28]. Blood pressure: none at the end of life; under 18 no adult number [NG18];
    CKD with ACR 70 or more [NG203]; type 1 with albuminuria, then type 1 [NG17]; CKD [NG203]; else
    by age under 80 or 80 and over [NG136]. Other measures get no guideline target here.
    """
    found = situations(ctx)
    if found.end_of_life or not found.full_view:
        return ()
    if measure_id == "hba1c":
        order = [when for when, yes in (("pregnancy", found.pregnant), ("under_18", found.child),
                                        ("type1", found.kind == "type1")) if yes]
        if not order and ctx.medicines(HYPO_ASSOCIATED):
            order.append("hypo_medicine")
        return (*order, "default")
    if measure_id in ("bp_systolic", "bp_diastolic"):
        if found.child:
            return ("under_18",)
        kidneys, type1 = found.kidneys, found.kind == "type1"
        order = [when for when, yes in (
            ("ckd_acr_70_plus", bool(kidneys and kidneys.acr_70)),
            ("type1_albuminuria", type1 and _type1_albuminuria(ctx)), ("type1", type1),
            ("ckd", bool(kidneys))) if yes]
        # the looser target for 80 and over only when the person is certainly 80 (a birth year
        # alone may leave them 79: the stricter target wins, §11 opening; conditions/ages.py)
        return (*order, "age_80_plus" if found.certainly_at_least(OLDER_BP_AGE) else "age_under_80")
    return ()


# Which situation chose a target, in words for the measure's note (the applies_when token).
TARGET_BECAUSE = {
    "pregnancy": ("you are pregnant", "{name} is pregnant"),
    "under_18": ("you are under 18", "{name} is under 18"),
    "type1": ("you have type 1 diabetes", "{name} has type 1 diabetes"),
    "type1_albuminuria": ("you have type 1 diabetes and protein in the urine (ACR 3 or more)",
                          "{name} has type 1 diabetes and protein in the urine (ACR 3 or more)"),
    "ckd_acr_70_plus": ("your kidney results are in the chronic kidney disease ranges, with a urine "
                        "protein (ACR) of 70 or more",
                        "{name}'s kidney results are in the chronic kidney disease ranges, with a "
                        "urine protein (ACR) of 70 or more"),
    "ckd": ("your kidney results are in the chronic kidney disease ranges",
            "{name}'s kidney results are in the chronic kidney disease ranges"),
}


def target_because(ctx: Context, measure_id: str) -> str | None:
    """ "Because you are pregnant, this target is from NICE guideline NG3.": the situation that
    chose the guideline target shown, or None for the usual adult target."""
    rows = terminology.targets(measure_id, CONDITION)
    for when in target_order(ctx, measure_id):
        row = next((r for r in rows if r.applies_when == when), None)
        if row is None:
            continue
        if when not in TARGET_BECAUSE:
            return None
        words = ctx.wording(*TARGET_BECAUSE[when])
        caveat = "" if row.verified else " This figure is from 2015 and may no longer be current."
        return f"Because {words}, this target is from {guideline(row.source)}.{caveat}"
    return None


def guideline(source: str) -> str:
    """ "[NG203] table 1 (unverified)" as plain words: "NICE guideline NG203" (ltc_dashboard/record/citations.py)."""
    return citations.plain(source)


@dataclass(frozen=True)
class Aim:
    """The upper target that applies to one measure for this person."""

    high: float
    inclusive: bool  # whether the target value itself is on target
    personal: bool
    source: str
    label: str
    verified: bool = True
    unit: str | None = None  # a whole-number unit (mmol/mol) is compared as reported, as the table is

    def above(self, value: float | None) -> bool:
        """Whether a value is above this target."""
        if value is None:
            return False
        value = reported(value, self.unit)
        return value > self.high or (value == self.high and not self.inclusive)


def aim(ctx: Context, measure_id: str) -> Aim | None:
    """The upper target the measure view shows: a personal Goal first, else the guideline row."""
    mine = personal_target(ctx, measure_id)
    unit = terminology.measures()[measure_id].unit
    if mine:
        target = mine[1]
        if target.high is None:
            return None
        return Aim(target.high, target.high_inclusive, True, "your personal target", "", unit=unit)
    rows = terminology.targets(measure_id, CONDITION)
    for when in target_order(ctx, measure_id):
        row = next((r for r in rows if r.applies_when == when and r.high is not None), None)
        if row is not None:
            return Aim(row.high, row.high_inclusive, False, row.source, row.label, row.verified, unit)
    return None


def source_words(source: str) -> str:
    """A table source in a question's words, through the one converter (ltc_dashboard/record/citations.py):
    "[NG136] (wording unverified)" reads "NICE guideline NG136, awaiting clinical review"."""
    citation = citations.cite(source)
    return citation.plain + (", awaiting clinical review" if citation.unverified else "")


# -- facts from the record ---------------------------------------------------------------------

def exact(results: list[LabResult]) -> list[LabResult]:
    """Results with an exact number (no "<" or ">" comparator), oldest first."""
    return [r for r in results if r.value is not None and not r.comparator]


def glucose_lowering_kinds(ctx: Context) -> set[str]:
    """The different glucose-lowering drugs current today (by class, else by medicine name)."""
    kinds: set[str] = set()
    for med in ctx.medicines(GLUCOSE_LOWERING):
        kinds.update(med.classes.intersection(GLUCOSE_LOWERING_KINDS) or {med.name.casefold()})
    return kinds


def therapy_changed(ctx: Context) -> bool:
    """A glucose-lowering medicine was started or stopped in the last 6 months (§2.2)."""
    since = ctx.today - dt.timedelta(days=RECENT_MEDICINE_DAYS)
    for med in ctx.record.medications:
        if GLUCOSE_LOWERING not in med.classes:
            continue
        dates = [d for d in (*med.issues, med.authored_on) if d]
        if dates and since <= min(dates) <= ctx.today:
            return True
        last = med.last_issued or med.date
        if med.status in _ENDED and last and since <= last <= ctx.today:
            return True
    return False


def hba1c_needs_closer_checks(ctx: Context) -> bool:
    """HbA1c every 3 months: treatment changed in the last 6 months, or the last value is above
    target (intervals.csv stricter_when therapy_changed_or_above_target, [NG28 1.5.1])."""
    latest, target = ctx.latest("hba1c"), aim(ctx, "hba1c")
    return therapy_changed(ctx) or bool(latest and target and target.above(latest.value))


@dataclass(frozen=True)
class Reading:
    """One blood-pressure reading: the two numbers taken together."""

    date: dt.date
    systolic: float | None
    diastolic: float | None

    def words(self) -> str:
        """ "146/88 mmHg", or one number when only one was recorded."""
        if self.systolic is not None and self.diastolic is not None:
            return f"{number(self.systolic)}/{number(self.diastolic)} mmHg"
        if self.systolic is not None:
            return f"{number(self.systolic)} mmHg (top number)"
        return f"{number(self.diastolic)} mmHg (bottom number)"


def bp_readings(ctx: Context) -> list[Reading]:
    """Readings oldest first: a panel's two parts together, else the two recorded that day."""
    pairs: dict[tuple, dict[str, float]] = {}
    for part in ("bp_systolic", "bp_diastolic"):
        for result in exact(ctx.results(part)):
            pairs.setdefault((result.date, result.source_id or ""), {})[part] = result.value
    readings = [Reading(key[0], parts.get("bp_systolic"), parts.get("bp_diastolic"))
                for key, parts in pairs.items()]
    return sorted(readings, key=lambda r: r.date)


def foot_risk(ctx: Context) -> tuple[str, dt.date] | None:
    """(risk class, date) of the latest examination result that records one, by code or by its
    words (the foot_risk_* value sets; their codes are unverified, clinical-reference §2.1)."""
    found = None
    for result in ctx.record.results_by_concept.where(lambda key: _result_level(*key[:4]) is not None):
        if result.date <= ctx.today and (found is None or result.date >= found[1]):
            found = (_result_level(result.codings, result.value_codings, result.text, result.value_text),
                     result.date)
    return found


def _result_level(codings, value_codings, text: str | None, value_text: str | None) -> str | None:
    """The foot risk class a result records, read from its codes, coded value and words."""
    return _foot_level((*codings, *value_codings), " | ".join(t for t in (text, value_text) if t))


@holds_record_words
@lru_cache(maxsize=1 << 14)
def _foot_level(codings: tuple[tuple[str, str], ...], text: str) -> str | None:
    """The foot risk class a result's codes or words record (kept: a long record repeats them)."""
    concept = {"coding": [{"system": s, "code": c} for s, c in codings], "text": text}
    return next((level for level, vs in FOOT_RISKS if terminology.in_valueset(vs, concept)), None)


def foot_risk_raised(ctx: Context) -> bool:
    """The latest foot risk is increased or worse (the stricter foot-check interval, §2.2)."""
    risk = foot_risk(ctx)
    return risk is not None and risk[0] != "low"
