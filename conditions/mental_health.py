"""Mental health (serious mental illness, depression and anxiety, lithium, antipsychotics):
clinical-reference §6.

The view shows lithium levels against the person's own range or the usual range (with the NICE
optimum as a note), kidney, thyroid and calcium tests, weight, and the PHQ-9 and GAD-7
questionnaire scores with their bands. Checks are in `mental_health_rules`; the question rules
(§6.3) are here. This content can distress, so the wording stays calm and factual, support
signposting is always shown (never as a prompt), and nothing prompts on PHQ-9 item 9, self-harm
or safeguarding entries (§1.4 rule 5, §6.3, §6.4): no rule here reads them.
"""

from __future__ import annotations


from conditions import verdict as verdicts
from conditions.base import (
    bands_note,
    ConditionView, Context, MeasureView, Question, measure_view, number,
)
from conditions.boundary import missing_where, not_seen
from conditions.mental_health_lithium import event_fact, in_weekly_phase
from conditions.mental_health_rules import (
    CHECKS, CONDITION, antipsychotic_start, current_antipsychotics, lithium_checks,
    medicine_word, on_lithium, smi_physical_check, smi_parts,
)
from conditions.questions import you_could
from conditions.template import ViewRules, view_spec
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human

# Weight up by 5 % or more by 12 weeks after an antipsychotic started (§6.3; design choice, unverified).
WEIGHT_GAIN_FRACTION = 0.05
# Questionnaire change worth a question, either direction (§6.3; design choice, unverified).
SCORE_CHANGE = {"phq9": 5, "gad7": 4}
# Lithium blood checks whose overdue state prompts (§6.3: "Lithium level/eGFR/TFT overdue").
PROMPTED_LITHIUM_CHECKS = {"lithium": "lithium blood test", "lithium_renal": "kidney blood test (eGFR)",
                           "lithium_thyroid": "thyroid blood test (TSH)"}
# Signposting shown with every mental health view (§6.3). The numbers are marked unverified in
# the reference; docs/rules/mental_health.md says so.
SUPPORT = ("If you need to talk to someone now, you can call NHS 111 and choose the mental health "
           "option, or call Samaritans free on 116 123, day or night. In an emergency, call 999.")
LITHIUM_SUPPORT = ("If you feel unwell while taking lithium, contact your GP practice or NHS 111 "
                   "the same day.")


# -- measures ------------------------------------------------------------------------------------

def _lithium_row(kind: str):
    return next((t for t in terminology.targets("lithium", CONDITION)
                 if t.kind == kind and t.applies_when == "on_lithium"), None)


def _where(latest, row, what: str) -> str:
    """The level against a targets.csv row by the one verdict rule (conditions/verdict.py): its
    comparator counts (">1.0" is above "0.4 to 1.0"), and a limit that cannot be placed is not "within"."""
    side = verdicts.against_target(latest.value, latest.comparator, row.low, row.high,
                                   row.low_inclusive, row.high_inclusive)
    return f"not certainly within or outside {what}" if side == "none" else f"{side} {what}"


def _latest_against(ctx: Context, usual, optimum) -> str:
    """The latest lithium level placed against the usual range and the NICE optimum, in words
    (§11.9: any lithium level, whether or not lithium is listed), or "" with no level."""
    latest = ctx.latest("lithium")
    if latest is None or usual is None:
        return ""
    return (f" The latest level, {latest.comparator or ''}{number(latest.value)} mmol/L on {human(latest.date)}, is "
            f"{_where(latest, usual, 'the usual range')} and {_where(latest, optimum, 'the NICE optimum')}.")


def build_measure(ctx: Context, measure_id: str) -> MeasureView | None:
    """One measure with its series. Lithium: the person's own range, else the usual range (marked
    unverified as targets.csv says), with the NICE optimum as a note and never the toxicity
    threshold. eGFR, PHQ-9 and GAD-7 carry their bands. None with nothing to show."""
    shown = measure_view(ctx, measure_id, applies_when=(), condition=CONDITION)
    update: dict = {}
    if measure_id == "lithium" and (on_lithium(ctx) or shown.series):
        usual, optimum = _lithium_row("range"), _lithium_row("target")
        if usual and not shown.target_personal:
            update.update(target=usual.text, target_low=usual.low, target_high=usual.high,
                          target_source=usual.source, target_verified=usual.verified,
                          target_low_inclusive=usual.low_inclusive, target_high_inclusive=usual.high_inclusive)
        if optimum:
            update["note"] = f"{optimum.text} ({optimum.source})." + _latest_against(ctx, usual, optimum)
    elif measure_id in ("egfr", "phq9", "gad7"):
        update["note"] = bands_note(measure_id, CONDITION)
    shown = shown.model_copy(update=update)
    return shown if shown.series or shown.target else None


# -- questions (§6.3) ----------------------------------------------------------------------------

def q_lithium_outside_range(ctx: Context, view: ConditionView) -> list[Question]:
    """The latest lithium level outside the person's own range, else the usual range (§6.3)."""
    measure = next((m for m in view.measures if m.id == "lithium"), None)
    latest = ctx.latest("lithium")
    if not on_lithium(ctx) or measure is None or latest is None or not measure.target:
        return []
    if verdicts.latest_side(measure) is None:  # the table's and overview's verdict (comparator and all)
        return []
    usual = f"the {measure.target[0].lower()}{measure.target[1:]}"
    against = f"your personal range of {measure.target}" if measure.target_personal else usual
    against_carer = f"{{name}}'s personal range of {measure.target}" if measure.target_personal else usual
    fact = (f"lithium level on {human(latest.date)} was {latest.comparator or ''}{number(latest.value)} "
            f"{measure.display_unit}, outside")
    return [you_could(ctx, f"Your {fact} {against}.", f"{{name}}'s {fact} {against_carer}.",
                 ctx.wording("ask whether your dose or the timing of the blood test needs checking.",
                             "ask whether the dose or the timing of the blood test needs checking."),
                 "mental_health.lithium_outside_range",
                 "Latest lithium level outside the personal range, or else the usual range "
                 "(clinical-reference §6.1, §6.3)", 10)]


def q_lithium_overdue(ctx: Context, view: ConditionView) -> list[Question]:
    """Lithium level, kidney or thyroid test overdue or never recorded while on lithium (§6.3)."""
    late = [(PROMPTED_LITHIUM_CHECKS[c.id], c) for c in lithium_checks(ctx)
            if c.id in PROMPTED_LITHIUM_CHECKS and c.status in ("overdue", "never")]
    if not late:
        return []
    said = " and ".join(f"your last {label} was on {human(c.last_done, c.last_done_precision or 'day')}" if c.last_done
                        else f"no {label} is {missing_where(ctx)}" if not_seen(ctx, c)
                        else f"your record shows no {label}" for label, c in late)
    said_carer = " and ".join(f"{{name}}'s last {label} was on {human(c.last_done, c.last_done_precision or 'day')}" if c.last_done
                              else f"no {label} is {missing_where(ctx)}" if not_seen(ctx, c)
                              else f"{{name}}'s record shows no {label}" for label, c in late)
    event = next((e for e in (in_weekly_phase(ctx, c) for _, c in late) if e), None)
    if event is not None:  # the level follows a start or dose change (§11.9): say so first
        first, first_carer = event_fact(ctx, event)
        said, said_carer = f"{first} and {said}", f"{first_carer} and {said_carer}"
    ask = "ask when the next one is due." if len(late) == 1 else "ask when the next ones are due."
    return [you_could(ctx, said[0].upper() + said[1:] + ".", said_carer[0].upper() + said_carer[1:] + ".", ask,
                 "mental_health.lithium_bloods_overdue",
                 "Lithium monitoring blood tests overdue for their interval (clinical-reference "
                 "§6.2, §6.3)", 15)]


def q_egfr_falling(ctx: Context, view: ConditionView) -> list[Question]:
    """eGFR lower at the latest test than at the one before, both while on lithium (§6.3)."""
    start = ctx.first_issued("lithium")
    series = [r for r in ctx.valued("egfr") if start and r.date >= start]
    if not on_lithium(ctx) or len(series) < 2 or not series[-1].value < series[-2].value:
        return []
    before, last = series[-2], series[-1]
    egfr = terminology.measure("egfr")
    fact = (f"{egfr.plain_name} went from {number(before.value)} on {human(before.date)} to "
            f"{number(last.value)} {egfr.display_unit} on {human(last.date)} while taking lithium.")
    return [you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}", "ask what this means.",
                 "mental_health.egfr_falling_on_lithium",
                 "eGFR fell between the last two tests while on lithium (clinical-reference §6.3)", 20)]


def q_antipsychotic_weight(ctx: Context, view: ConditionView) -> list[Question]:
    """Weight up by 5 % or more within 12 weeks of starting an antipsychotic, in its first year
    (§6.3; the 12 weeks and the year are the antipsychotic_weight row's intervals)."""
    start, med = antipsychotic_start(ctx)
    if start is None:
        return []
    rule = terminology.interval("antipsychotic_weight", CONDITION)
    if (ctx.today - start).days > rule.interval_days or not rule.stricter_interval_days:
        return []
    weights = ctx.valued("weight")
    before = [r for r in weights if r.date <= start]
    after = [r for r in weights if 0 < (r.date - start).days <= rule.stricter_interval_days]
    if not before or not after or before[-1].value <= 0:
        return []
    base, later = before[-1], after[-1]
    if (later.value - base.value) / base.value < WEIGHT_GAIN_FRACTION:
        return []
    drug, unit = medicine_word(med), terminology.measure("weight").display_unit
    fact = (f"weight changed from {number(base.value)} {unit} on {human(base.date)} to "
            f"{number(later.value)} {unit} on {human(later.date)} since {drug} started on "
            f"{human(start)}.")
    return [you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}",
                 "ask about support with weight or side effects.",
                 "mental_health.antipsychotic_weight_gain",
                 "Weight up by 5% or more within 12 weeks of starting an antipsychotic "
                 "(clinical-reference §6.3; threshold unverified, a design choice)", 25)]


def q_smi_check(ctx: Context, view: ConditionView) -> list[Question]:
    """An element of the yearly physical health check missing for over 12 months (§6.3)."""
    check = smi_physical_check(ctx)
    if check is None or check.status not in ("overdue", "never"):
        return []
    interval = check.interval_days or 0
    missing = [label for label, d in smi_parts(ctx) if d is None or (ctx.today - d).days > interval]
    what = "yearly physical health check (blood pressure, weight, blood sugar, cholesterol, smoking, alcohol)"
    gap = f" Not recorded in the last 12 months: {', '.join(missing)}." if missing else ""
    if check.last_done:
        patient = f"Your {what} was last fully done on {human(check.last_done, check.last_done_precision or 'day')}.{gap}"
        carer = f"{{name}}'s {what} was last fully done on {human(check.last_done, check.last_done_precision or 'day')}.{gap}"
    elif not_seen(ctx, check):  # issue 16: it may have been done before the online record starts
        patient = carer = f"No complete {what} is {missing_where(ctx)}.{gap}"
    else:
        patient = f"Your record does not show a complete {what}.{gap}"
        carer = f"{{name}}'s record does not show a complete {what}.{gap}"
    return [you_could(ctx, patient, carer, "ask if it's due.", "mental_health.smi_check_missing",
                 "An element of the yearly physical health check is missing for over 12 months "
                 "(clinical-reference §6.2, §6.3)", 30)]


def q_score_change(ctx: Context, view: ConditionView) -> list[Question]:
    """PHQ-9 changed by 5 or more, or GAD-7 by 4 or more, between the last two scores, in either
    direction, worded neutrally (§6.3)."""
    found = []
    for measure_id, change in SCORE_CHANGE.items():
        series = ctx.valued(measure_id)
        if len(series) < 2 or abs(series[-1].value - series[-2].value) < change:
            continue
        before, last = series[-2], series[-1]
        name = terminology.measure(measure_id).plain_name
        fact = (f"{name} score changed from {number(before.value)} on {human(before.date)} to "
                f"{number(last.value)} on {human(last.date)}.")
        found.append(you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}",
                          "talk about what's been helping or not.",
                          f"mental_health.{measure_id}_change",
                          f"{name} changed by {change} points or more between the last two scores "
                          "(clinical-reference §6.3; change threshold unverified, a design choice)", 40))
    return found


# -- the view ------------------------------------------------------------------------------------

def intro(ctx: Context) -> str:
    """A calm opening in plain words."""
    return ctx.wording(
        "This page brings together your mental health tests and checks, and some questions you "
        "may want to ask. Take it at your own pace; your care team can talk any of it through "
        "with you.",
        "This page brings together {name}'s mental health tests and checks, and some questions "
        "you may want to ask together. Take it at your own pace; the care team can talk any of "
        "it through with you.")


def support(ctx: Context) -> str:
    """Signposting, always shown and never as a prompt (§6.3)."""
    return f"{SUPPORT} {LITHIUM_SUPPORT}" if on_lithium(ctx) else SUPPORT


def applies(ctx: Context) -> bool:
    """SMI, depression or anxiety coded; lithium current; or an antipsychotic current that is not
    an end-of-life injectable, in a record without dementia (the dementia view covers an
    antipsychotic there, §4)."""
    if ctx.has_coded("smi", "depression", "anxiety") or on_lithium(ctx):
        return True
    return bool(current_antipsychotics(ctx)) and not ctx.has_coded("dementia")


SPEC = view_spec(CONDITION, ViewRules(  # its table row: data/terminology/views.csv
    applies=applies,
    checks=CHECKS,
    build_measure=build_measure,
    questions=(q_lithium_outside_range, q_lithium_overdue, q_egfr_falling,
               q_antipsychotic_weight, q_smi_check, q_score_change),
    intro=intro,
    support=support,
))
