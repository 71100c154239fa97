"""The diabetes rules: which target applies to this person, and the questions for the appointment
(clinical-reference §2.1 targets, §2.3 question prompts, §1.4 how prompts are written).

Every target and threshold comes from `data/terminology/targets.csv` by row id. The only numbers
here are the trigger deltas and windows §2.3 states for its prompts, named below. Each rule states
a fact with its dates and then offers an open question; none diagnoses or advises on medicines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from conditions.base import (
    RECENT_MEDICINE_DAYS, ConditionView, Context, Question, number, personal_target,
)
from conditions.boundary import missing_where, not_seen
from record import citations, terminology
from record.dates import human
from record.models import LabResult

CONDITION = "diabetes"
HBA1C_RISE = 5.0  # mmol/mol: "latest HbA1c - previous >= 5" (clinical-reference §2.3)
EGFR_FALL = 0.25  # "eGFR fall >= 25 % from previous" (clinical-reference §2.3)
CARE_PROCESS_AGE_DAYS = 365  # "any of the 8 care processes older than 12 months" (§2.3)
PODIATRY_LETTER_DAYS = 183  # "no podiatry letter in 6 months" (§2.3)
PODIATRY_WORDS = ("podiatr", "chiropod", "foot protection")  # in a letter's title or author
# targets.csv rows the rules read (tests/test_diabetes.py checks each exists).
HBA1C_DEFAULT_ROW = "hba1c_type2_default"  # 48 mmol/mol [NG28]
HBA1C_ONE_MEDICINE_ROW = "hba1c_type2_one_medicine_review"  # 58 mmol/mol [NG28 1.5.8]
ACR_ACTION_ROW = "acr_diabetes_acei_arb"  # 3 mg/mmol [NG203]
EGFR_BAND_ROWS = ("egfr_g1", "egfr_g2", "egfr_g3a", "egfr_g3b", "egfr_g4", "egfr_g5")
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

def target_row(row_id: str) -> terminology.Target:
    """One row of targets.csv by its id; TerminologyError when it is missing."""
    for measure_id in terminology.measures():
        for row in terminology.targets(measure_id):
            if row.id == row_id:
                return row
    raise terminology.TerminologyError(f"targets.csv has no row {row_id!r}")


def is_type1(ctx: Context) -> bool:
    """Type 1 diabetes is coded and type 2 is not (a record with both is read as type 2)."""
    return ctx.has_coded("diabetes_type1") and not ctx.has_coded("diabetes_type2")


def target_order(ctx: Context, measure_id: str) -> tuple[str, ...]:
    """The targets.csv `applies_when` rows that fit this person, first match wins.

    HbA1c: type 1 [NG17]; a medicine associated with hypoglycaemia issued in the last 6 months
    [NG28 1.5.7]; else the default [NG28]. Blood pressure: aged under 80 or 80 and over [NG136].
    Other measures get no guideline target: their rows are bands or audit measures, not aims.
    """
    if measure_id == "hba1c":
        if is_type1(ctx):
            return ("type1",)
        return ("hypo_medicine", "default") if ctx.medicines(HYPO_ASSOCIATED) else ("default",)
    if measure_id in ("bp_systolic", "bp_diastolic"):
        return ("age_80_plus",) if (ctx.age or 0) >= 80 else ("age_under_80",)
    return ()


@dataclass(frozen=True)
class Aim:
    """The upper target that applies to one measure for this person."""

    high: float
    inclusive: bool  # whether the target value itself is on target
    personal: bool
    source: str
    label: str

    def above(self, value: float | None) -> bool:
        """Whether a value is above this target."""
        if value is None:
            return False
        return value > self.high or (value == self.high and not self.inclusive)


def aim(ctx: Context, measure_id: str) -> Aim | None:
    """The upper target the measure view shows: a personal Goal first, else the guideline row."""
    mine = personal_target(ctx, measure_id)
    if mine:
        target = mine[1]
        high = target.high if target.high is not None else target.value
        if high is None or target.comparator in (">", ">="):
            return None
        return Aim(high, target.comparator != "<", True, "your personal target", "")
    rows = terminology.targets(measure_id, CONDITION)
    for when in target_order(ctx, measure_id):
        row = next((r for r in rows if r.applies_when == when and r.high is not None), None)
        if row is not None:
            return Aim(row.high, row.high_inclusive, False, row.source, row.label)
    return None


def source_words(source: str) -> str:
    """A table source in a question's words, through the one converter (record/citations.py):
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


@lru_cache(maxsize=1 << 14)
def _foot_level(codings: tuple[tuple[str, str], ...], text: str) -> str | None:
    """The foot risk class a result's codes or words record (kept: a long record repeats them)."""
    concept = {"coding": [{"system": s, "code": c} for s, c in codings], "text": text}
    return next((level for level, vs in FOOT_RISKS if terminology.in_valueset(vs, concept)), None)


def foot_risk_raised(ctx: Context) -> bool:
    """The latest foot risk is increased or worse (the stricter foot-check interval, §2.2)."""
    risk = foot_risk(ctx)
    return risk is not None and risk[0] != "low"


# -- question rules (§2.3) ---------------------------------------------------------------------

def _ask(ctx: Context, rule: str, rank: int, reason: str, patient: str, carer: str) -> list[Question]:
    return [Question(text=ctx.wording(patient, carer), source="suggested", rule_id=f"diabetes.{rule}",
                     rank=rank, reason=f"{reason} (clinical-reference §2.3)")]


def _your(ctx: Context) -> str:
    return ctx.wording("your", "{name}'s")


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _aim_words(ctx: Context, target: Aim, unit: str) -> str:
    if target.personal:
        return f"{_your(ctx)} personal target of {number(target.high)} {unit}"
    return (f"the target of {number(target.high)} {unit} that {source_words(target.source)} "
            "suggests for many people")


def hba1c_rise(ctx: Context, view: ConditionView) -> list[Question]:
    """HbA1c rose by 5 mmol/mol or more since the previous test and is above target."""
    values = exact(ctx.results("hba1c"))
    target = aim(ctx, "hba1c")
    if len(values) < 2 or target is None:
        return []
    before, latest = values[-2], values[-1]
    if latest.value - before.value < HBA1C_RISE or not target.above(latest.value):
        return []
    fact = (f"blood sugar test (HbA1c) went from {number(before.value)} to {number(latest.value)} mmol/mol "
            f"between {human(before.date)} and {human(latest.date)}.")
    ask = ("could ask what might have changed, and what could help bring it back towards "
           f"{_aim_words(ctx, target, 'mmol/mol')}.")
    return _ask(ctx, "hba1c_rise", 30, "HbA1c rose by 5 mmol/mol or more and is above target",
                f"Your {fact} You {ask}", f"{{name}}'s {fact} You and {{name}} {ask}")


def hba1c_high_on_one_medicine(ctx: Context, view: ConditionView) -> list[Question]:
    """HbA1c at or above the NICE review point while on one glucose-lowering drug (type 2)."""
    latest = ctx.latest("hba1c")
    review = target_row(HBA1C_ONE_MEDICINE_ROW)
    if is_type1(ctx) or latest is None or latest.comparator or len(glucose_lowering_kinds(ctx)) != 1:
        return []
    if review.contains(latest.value) is not True:
        return []
    fact = (f"blood sugar test (HbA1c) was {number(latest.value)} mmol/mol on {human(latest.date)}, "
            f"while taking one medicine to lower blood sugar; {source_words(review.source)} uses "
            f"{number(review.low)} mmol/mol or more as the point to review treatment.")
    ask = "could ask whether the treatment plan needs reviewing."
    return _ask(ctx, "hba1c_high_one_medicine", 35,
                f"HbA1c {number(review.low)} mmol/mol or more on one glucose-lowering medicine",
                f"Your {fact} You {ask}", f"{{name}}'s {fact} You and {{name}} {ask}")


def hba1c_low_on_hypo_medicine(ctx: Context, view: ConditionView) -> list[Question]:
    """HbA1c below 48 mmol/mol while on a medicine associated with hypoglycaemia (type 2)."""
    latest = ctx.latest("hba1c")
    floor = target_row(HBA1C_DEFAULT_ROW).high
    if is_type1(ctx) or latest is None or latest.comparator in (">", ">=") or floor is None:
        return []
    if not latest.value < floor or not ctx.medicines(HYPO_ASSOCIATED):
        return []
    target = aim(ctx, "hba1c")
    fact = (f"blood sugar test (HbA1c) was {number(latest.value)} mmol/mol on {human(latest.date)}, "
            f"lower than the usual target for {_your(ctx)} medicines")
    if target and target.personal:
        fact += f" ({_your(ctx)} personal target is {number(target.high)} mmol/mol)."
    elif target:
        fact += (f" ({source_words(target.source)} suggests {number(target.high)} mmol/mol for people "
                 "taking a medicine that can cause hypos).")
    else:
        fact += "."
    return _ask(ctx, "hba1c_low_hypo_medicine", 15,
                f"HbA1c below {number(floor)} mmol/mol while on a medicine associated with hypoglycaemia",
                f"Your {fact} You could ask whether your target or doses are still right for you, "
                "and about low sugar (hypo) symptoms.",
                f"{{name}}'s {fact} You and {{name}} could ask whether the target or doses are still "
                "right, and about low sugar (hypo) symptoms.")


def care_processes_overdue(ctx: Context, view: ConditionView) -> list[Question]:
    """One question listing the yearly care processes last done over 12 months ago, or never."""
    late, hidden = [], False  # hidden: one may have been done before the online record starts (issue 16)
    for check in view.checks:
        if check.id not in CARE_PROCESSES or check.addressed_by:
            continue
        if check.last_done is None:
            late.append((CARE_PROCESSES[check.id], None))
            hidden = hidden or not_seen(ctx, check)
        elif (ctx.today - check.last_done).days > CARE_PROCESS_AGE_DAYS:
            late.append((CARE_PROCESSES[check.id], check.last_done))
    if not late:
        return []
    reason = "A yearly diabetes care process was last recorded over 12 months ago, or " + (
        "is not in the online record" if hidden else "never")  # issue 16: never "never" under a boundary
    if len(late) == 1:
        name, when = late[0]
        fact = (f"{_capital(_your(ctx))} last {name} was on {human(when)} (over a year ago)." if when
                else f"There is no {name} {missing_where(ctx) if hidden else 'in the record you can see'}.")
        return _ask(ctx, "care_processes", 45, reason,
                    f"{fact} You could ask whether it's due at this appointment.",
                    f"{fact} You and {{name}} could ask whether it's due at this appointment.")
    listed = _listing(late, missing_where(ctx)) if hidden else _listing(late)
    gone = f" or are not {missing_where(ctx)}" if hidden else ", or not at all"
    when = "over a year ago" + (gone if any(w is None for _, w in late) else "")
    fact = f"Some of {_your(ctx)} yearly diabetes checks were last recorded {when}: {listed}."
    return _ask(ctx, "care_processes", 45, reason,
                f"{fact} You could ask whether they are due at this appointment.",
                f"{fact} You and {{name}} could ask whether they are due at this appointment.")


def _listing(late: list[tuple[str, dt.date | None]], where: str = "in the record you can see") -> str:
    """ "cholesterol test and foot check on 3 March 2025; no BMI check in the record you can see":
    grouped by date, oldest first, the never-recorded last."""
    def joined(names: list[str]) -> str:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    dates = sorted({when for _, when in late if when})
    parts = [f"{joined([n for n, w in late if w == when])} on {human(when)}" for when in dates]
    missing = [name for name, when in late if when is None]
    if missing:
        parts.append(f"no {joined(missing)} {where}")
    return "; ".join(parts)


def acr_raised_without_acei_arb(ctx: Context, view: ConditionView) -> list[Question]:
    """ACR at or above 3 mg/mmol on the last 2 tests and no current ACE inhibitor or ARB."""
    tests = ctx.valued("acr")[-2:]
    raised = target_row(ACR_ACTION_ROW)
    if len(tests) < 2 or ctx.medicines("acei_arb"):
        return []
    if any(t.comparator in ("<", "<=") or not raised.contains(t.value) for t in tests):
        return []
    before, latest = tests
    fact = (f"urine protein test (ACR) was raised on {human(before.date)} ({number(before.value)} mg/mmol) "
            f"and {human(latest.date)} ({number(latest.value)} mg/mmol); {source_words(raised.source)} "
            f"counts {number(raised.low)} mg/mmol or more as raised in diabetes.")
    return _ask(ctx, "acr_raised", 25,
                f"ACR {number(raised.low)} mg/mmol or more on the last 2 tests and no ACE inhibitor or ARB",
                f"Your {fact} You could ask what this means for your kidneys and whether any "
                "treatment is suggested.",
                f"{{name}}'s {fact} You and {{name}} could ask what this means for {{name}}'s kidneys "
                "and whether any treatment is suggested.")


def egfr_band(value: float, comparator: str | None) -> int | None:
    """The position of an eGFR value among the G1-G5 bands (0 is G1), from targets.csv."""
    value += {">": 0.5, ">=": 0.5, "<": -0.5, "<=": -0.5}.get(comparator or "", 0.0)
    for position, row_id in enumerate(EGFR_BAND_ROWS):
        if target_row(row_id).contains(value):
            return position
    return None


def egfr_fall(ctx: Context, view: ConditionView) -> list[Question]:
    """eGFR fell by 25% or more from the previous result, or moved down a G category."""
    values = ctx.valued("egfr")
    if len(values) < 2:
        return []
    before, latest = values[-2], values[-1]
    if latest.comparator in (">", ">="):
        return []
    fell = bool(before.value) and (before.value - latest.value) / before.value >= EGFR_FALL
    was, now = egfr_band(before.value, before.comparator), egfr_band(latest.value, latest.comparator)
    if not (fell or (was is not None and now is not None and now > was)):
        return []
    unit = terminology.measure("egfr").display_unit
    fact = (f"kidney filtration result (eGFR) changed from {number(before.value)} on {human(before.date)} "
            f"to {number(latest.value)} {unit} on {human(latest.date)}.")
    return _ask(ctx, "egfr_fall", 20, "eGFR fell by 25% or more, or moved down a kidney function category",
                f"Your {fact} You could ask what this means.",
                f"{{name}}'s {fact} You and {{name}} could ask what this means.")


def bp_above_target(ctx: Context, view: ConditionView) -> list[Question]:
    """The last two blood-pressure readings were both above target."""
    readings = bp_readings(ctx)
    top, bottom = aim(ctx, "bp_systolic"), aim(ctx, "bp_diastolic")
    if len(readings) < 2 or not (top or bottom):
        return []

    def above(reading: Reading) -> bool:
        return bool((top and top.above(reading.systolic)) or (bottom and bottom.above(reading.diastolic)))

    before, latest = readings[-2], readings[-1]
    if not (above(before) and above(latest)):
        return []
    shown = "/".join(number(t.high) if t else "-" for t in (top, bottom))
    chosen = top or bottom
    if chosen.personal:
        target = f"{_your(ctx)} personal target of {shown} mmHg"
    else:
        words = f"below {shown} mmHg" if not chosen.inclusive else f"{shown} mmHg or below"
        age = ctx.wording("your age", "{name}'s age")
        target = f"the target of {words} often used for people of {age} ({source_words(chosen.source)})"
    fact = (f"last blood pressure readings were {before.words()} on {human(before.date)} and "
            f"{latest.words()} on {human(latest.date)}, above {target}.")
    return _ask(ctx, "bp_above_target", 40, "The last two blood pressure readings were above target",
                f"Your {fact} You could ask about home blood pressure checks.",
                f"{{name}}'s {fact} You and {{name}} could ask about home blood pressure checks.")


def foot_risk_follow_up(ctx: Context, view: ConditionView) -> list[Question]:
    """Foot risk high or ulcerated and no podiatry letter in the last 6 months."""
    risk = foot_risk(ctx)
    if risk is None or risk[0] not in ("high", "ulcerated"):
        return []
    since = ctx.today - dt.timedelta(days=PODIATRY_LETTER_DAYS)
    for letter in ctx.record.letters:
        words = f"{letter.title} {letter.author or ''}".casefold()
        if letter.date and since <= letter.date <= ctx.today and any(w in words for w in PODIATRY_WORDS):
            return []
    shown = "high risk" if risk[0] == "high" else "ulcerated (a foot ulcer)"
    fact = f"foot check on {human(risk[1])} was recorded as {shown}."
    return _ask(ctx, "foot_risk", 10, "Foot risk high or ulcerated and no podiatry letter in 6 months",
                f"Your {fact} You could ask about foot-protection follow-up.",
                f"{{name}}'s {fact} You and {{name}} could ask about foot-protection follow-up.")


QUESTION_RULES = (foot_risk_follow_up, hba1c_low_on_hypo_medicine, egfr_fall, acr_raised_without_acei_arb,
                  hba1c_rise, hba1c_high_on_one_medicine, bp_above_target, care_processes_overdue)
