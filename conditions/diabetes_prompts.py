"""The diabetes questions for the appointment (clinical-reference §2.3 prompts, §1.4 how prompts
are written, §11 how situations change them).

Each rule states a fact with its dates and then offers an open question; none diagnoses or
advises on medicines. Situations (conditions/situations.py) decide which rules may speak: in
pregnancy no rule says a low HbA1c means doses or targets should be questioned, and none asks
about starting a treatment (§11.4); at the end of life no rule chases a target or a yearly check,
while the hypo prompt stays (§11.7); a personal range is said as a range (§11.6).
"""

from __future__ import annotations

import datetime as dt

from conditions.base import ConditionView, Context, Question, number
from conditions.boundary import missing_where, not_seen
from conditions.diabetes_rules import (
    ACR_ACTION_ROW, CARE_PROCESS_AGE_DAYS, CARE_PROCESSES, EGFR_FALL, HBA1C_DEFAULT_ROW,
    HBA1C_ONE_MEDICINE_ROW, HBA1C_RISE, HYPO_ASSOCIATED, PODIATRY_LETTER_DAYS, PODIATRY_WORDS, Aim,
    Reading, aim, bp_readings, exact, foot_risk, glucose_lowering_kinds, guideline, is_type1,
    source_words, target_order, target_row,
)
from conditions.questions import suggest
from conditions.situations import egfr_band, situations
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human


# -- question rules (§2.3) ---------------------------------------------------------------------

def _ask(ctx: Context, rule: str, rank: int, reason: str, patient: str, carer: str) -> list[Question]:
    """A §2.3 question, built as every view's are (conditions/questions.suggest)."""
    return [suggest(ctx, f"diabetes.{rule}", rank, f"{reason} (clinical-reference §2.3)", patient, carer)]


def _your(ctx: Context) -> str:
    return ctx.wording("your", "{name}'s")


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _aim_words(ctx: Context, target: Aim, unit: str) -> str:
    found = situations(ctx).personal_range
    if target.personal and found:
        return f"{_your(ctx)} personal range of {number(found[0])} to {number(found[1])} {unit}"
    if target.personal:
        return f"{_your(ctx)} personal target of {number(target.high)} {unit}"
    return (f"the target of {number(target.high)} {unit} that {source_words(target.source)} "
            "suggests for many people")


def hba1c_rise(ctx: Context, view: ConditionView) -> list[Question]:
    """HbA1c rose by 5 mmol/mol or more since the previous test and is above target."""
    values = exact(ctx.results("hba1c"))
    target = aim(ctx, "hba1c")
    if len(values) < 2 or target is None or situations(ctx).end_of_life:  # no chasing targets (§11.7)
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
    found = situations(ctx)
    if is_type1(ctx) or latest is None or latest.comparator or len(glucose_lowering_kinds(ctx)) != 1:
        return []
    if found.end_of_life or found.pregnant or found.child or found.personal_range:  # adult NG28 point (§11.3-§11.7)
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
    found = situations(ctx)
    floor = found.personal_range[0] if found.personal_range else target_row(HBA1C_DEFAULT_ROW).high
    if found.pregnant:  # never "a low HbA1c means doses or targets should be questioned" (§11.4)
        return []
    if is_type1(ctx) or latest is None or latest.comparator in (">", ">=") or floor is None:
        return []
    if not latest.value < floor or not ctx.medicines(HYPO_ASSOCIATED):
        return []
    target = aim(ctx, "hba1c")
    fact = (f"blood sugar test (HbA1c) was {number(latest.value)} mmol/mol on {human(latest.date)}, "
            f"lower than the usual target for {_your(ctx)} medicines")
    if found.personal_range:
        fact = (f"blood sugar test (HbA1c) was {number(latest.value)} mmol/mol on {human(latest.date)}, "
                f"below {_your(ctx)} personal range of {number(found.personal_range[0])} to "
                f"{number(found.personal_range[1])} mmol/mol.")
    elif target and target.personal:
        fact += f" ({_your(ctx)} personal target is {number(target.high)} mmol/mol)."
    elif target:
        fact += (f" ({source_words(target.source)} suggests {number(target.high)} mmol/mol for people "
                 "taking a medicine that can cause hypos).")
    else:
        fact += "."
    return _ask(ctx, "hba1c_low_hypo_medicine", 15,
                f"HbA1c below {number(floor)} mmol/mol while on a medicine associated with hypoglycaemia"
                + (", below the personal range" if found.personal_range else ""),
                f"Your {fact} You could ask whether your target or doses are still right for you, "
                "and about low sugar (hypo) symptoms.",
                f"{{name}}'s {fact} You and {{name}} could ask whether the target or doses are still "
                "right, and about low sugar (hypo) symptoms.")


def care_processes_overdue(ctx: Context, view: ConditionView) -> list[Question]:
    """One question listing the yearly care processes last done over 12 months ago, or never."""
    late, hidden = [], False  # hidden: one may have been done before the online record starts (issue 16)
    if situations(ctx).end_of_life:  # yearly checks are not chased at the end of life (§11.7)
        return []
    for check in view.checks:
        if check.id not in CARE_PROCESSES or check.addressed_by or check.status == "not-needed":
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
    pregnant = situations(ctx).pregnant
    fact = (f"urine protein test (ACR) was raised on {human(before.date)} ({number(before.value)} mg/mmol) "
            f"and {human(latest.date)} ({number(latest.value)} mg/mmol); {source_words(raised.source)} "
            f"counts {number(raised.low)} mg/mmol or more as raised in diabetes.")
    if pregnant:  # never a prompt to start an ACE inhibitor or ARB in pregnancy (§11.4)
        return _ask(ctx, "acr_raised_pregnancy", 25,
                    f"ACR {number(raised.low)} mg/mmol or more on the last 2 tests, in pregnancy",
                    f"Your {fact} You could ask what this means for your kidneys during pregnancy.",
                    f"{{name}}'s {fact} You and {{name}} could ask what this means for {{name}}'s "
                    "kidneys during pregnancy.")
    return _ask(ctx, "acr_raised", 25,
                f"ACR {number(raised.low)} mg/mmol or more on the last 2 tests and no ACE inhibitor or ARB",
                f"Your {fact} You could ask what this means for your kidneys and whether any "
                "treatment is suggested.",
                f"{{name}}'s {fact} You and {{name}} could ask what this means for {{name}}'s kidneys "
                "and whether any treatment is suggested.")


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
    when = next((w for w in target_order(ctx, "bp_systolic") if w in BP_SITUATION_WORDS), None)
    if chosen.personal:
        target = f"{_your(ctx)} personal target of {shown} mmHg"
    elif when:
        words = f"below {shown} mmHg" if not chosen.inclusive else f"{shown} mmHg or below"
        caveat = "" if chosen.verified else ", a 2015 figure that may no longer be current"
        target = (f"the target of {words} that {guideline(chosen.source)} gives for "
                  f"{BP_SITUATION_WORDS[when]}{caveat}")
    else:
        words = f"below {shown} mmHg" if not chosen.inclusive else f"{shown} mmHg or below"
        age = ctx.wording("your age", "{name}'s age")
        target = f"the target of {words} often used for people of {age} ({source_words(chosen.source)})"
    fact = (f"last blood pressure readings were {before.words()} on {human(before.date)} and "
            f"{latest.words()} on {human(latest.date)}, above {target}.")
    return _ask(ctx, "bp_above_target", 40, "The last two blood pressure readings were above target",
                f"Your {fact} You could ask about home blood pressure checks.",
                f"{{name}}'s {fact} You and {{name}} could ask about home blood pressure checks.")


BP_SITUATION_WORDS = {  # which situation chose the blood pressure target (§11.2, §11.5)
    "ckd_acr_70_plus": "chronic kidney disease with a urine protein (ACR) of 70 mg/mmol or more",
    "type1_albuminuria": "adults with type 1 diabetes and protein in the urine",
    "type1": "adults with type 1 diabetes",
    "ckd": "chronic kidney disease",
}


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
