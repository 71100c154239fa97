"""Inflammatory arthritis (rheumatoid, psoriatic, ankylosing spondylitis): clinical-reference §5.

The view shows inflammation markers (CRP, ESR) and disease activity (DAS28) against the
treat-to-target aim with its bands, and the blood tests that keep DMARDs (disease-modifying
medicines) safe, each with the Specialist Pharmacy Service action threshold as its reference text.
The checks are in `inflammatory_arthritis_rules`; the question rules (§5.3) are here. Every target,
band and threshold comes from `data/terminology/targets.csv` with its source; the constants below
are trigger deltas the reference states in words, each citing its section.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from conditions.base import (
    bands_note,
    ConditionView, Context, MeasureView, Question, measure_view, number,
)
from conditions.boundary import hides, missing_where, not_seen
from conditions.inflammatory_arthritis_rules import (
    CHECKS, CONDITION, annual_review_check, blood_set, current_dmard_names,
    hcq_eye_check, hcq_risk_factor, restart_of_first,
)
from conditions.questions import you_could
from conditions.shared import started
from conditions.template import ViewRules, view_spec
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human

# Creatinine "rise >30 % over 12 months" is an SPS action threshold (§5.1 [SPS-SSZ]).
CREATININE_RISE_FRACTION = 0.30
CREATININE_RISE_WINDOW_DAYS = 365
# Hydroxychloroquine has "no routine blood monitoring" (§5.2), so its name is left out of the
# blood-threshold question.
NO_BLOOD_MONITORING = ("hydroxychloroquine",)

# The DMARD monitoring bloods shown with their SPS action threshold (§5.1).
MONITORING_MEASURES = ("wcc", "neutrophils", "platelets", "mcv", "alt", "albumin", "egfr", "creatinine")


def action_row(measure_id: str):
    """The SPS action threshold for a monitoring blood test while on a DMARD, if targets.csv has one."""
    return next((t for t in terminology.targets(measure_id, CONDITION)
                 if t.kind == "action" and t.applies_when == "on_dmard"), None)


def build_measure(ctx: Context, measure_id: str) -> MeasureView | None:
    """One measure with its series; DAS28 with the treat-to-target aim (or the person's own) and its
    bands; monitoring bloods, while a DMARD is current, with the SPS action threshold as text (not
    as a target range). None when there is neither a result nor anything to show against."""
    shown = measure_view(ctx, measure_id, applies_when=(), condition=CONDITION)
    update: dict = {}
    if measure_id == "das28":
        update["note"] = bands_note("das28", CONDITION)
        aim = next((t for t in terminology.targets("das28", CONDITION)
                    if t.kind == "target" and t.applies_when == "default"), None)
        if aim and not shown.target_personal:
            update.update(target=aim.text, target_low=aim.low, target_high=aim.high,
                          target_source=aim.source, target_verified=aim.verified,
                          target_low_inclusive=aim.low_inclusive, target_high_inclusive=aim.high_inclusive)
    elif measure_id in MONITORING_MEASURES and ctx.medicines("dmard") and not shown.target_personal:
        row = action_row(measure_id)
        if row:
            update.update(target=row.text, target_source=row.source, target_verified=row.verified,
                          note="A safety threshold for DMARD blood monitoring, not a target.")
    shown = shown.model_copy(update=update)
    return shown if shown.series or shown.target else None


# -- questions (§5.3) ----------------------------------------------------------------------------

def q_bloods_overdue(ctx: Context, view: ConditionView) -> list[Question]:
    """DMARD active and the last full blood set older than its interval (§5.3 row 1)."""
    found = blood_set(ctx)
    if found is None or not found.missing:
        return []
    check, drugs = found.check, found.drugs
    reason = (f"Monitoring blood tests for {drugs} are not all recorded within the interval "
              "(clinical-reference §5.2, §5.3)")
    if check.status == "never":
        none = f"No monitoring blood test for {drugs} is {missing_where(ctx)}." if not_seen(ctx, check) else None
        return [you_could(ctx, none or f"Your record shows no monitoring blood test for {drugs}.",
                     none or f"{{name}}'s record shows no monitoring blood test for {drugs}.",
                     "ask when the next one is due.", "inflammatory_arthritis.dmard_bloods_overdue",
                     reason, 15)]
    if check.status == "overdue":
        when = human(check.last_done, check.last_done_precision or "day")
        return [you_could(ctx, f"Your last monitoring blood test for {drugs} was on {when}.",
                     f"{{name}}'s last monitoring blood test for {drugs} was on {when}.",
                     "ask when the next one is due.", "inflammatory_arthritis.dmard_bloods_overdue",
                     reason, 15)]
    last = dict(found.parts)
    said = "; ".join(f"the last {label} was on {human(last[label])}" if last[label]
                     else f"no {label} is " + (missing_where(ctx) if hides(ctx, check.interval_days) else "recorded")
                     for label in found.missing)
    return [you_could(ctx, f"For your {drugs} monitoring, {said}.",
                 f"For {{name}}'s {drugs} monitoring, {said}.",
                 "ask when the next one is due.", "inflammatory_arthritis.dmard_bloods_partly_due",
                 reason, 16)]


def q_action_threshold(ctx: Context, view: ConditionView) -> list[Question]:
    """A latest result beyond an SPS action threshold while on a DMARD (§5.3 row 2)."""
    drugs = [d for d in current_dmard_names(ctx) if d not in NO_BLOOD_MONITORING]
    starts = [started(m) for m in ctx.medicines("dmard")
              if not m.classes.intersection(NO_BLOOD_MONITORING) and started(m)]
    if not drugs or not starts:
        return []
    since, drug = min(starts), " and ".join(drugs)
    found = []
    for measure in terminology.measures().values():
        latest = ctx.latest(measure.id)
        if latest is None or latest.date < since:
            continue
        row = next((t for t in terminology.targets(measure.id, CONDITION)
                    if t.kind == "action" and t.applies_when == "on_dmard"
                    and t.contains(latest.value)), None)
        if row is None:
            continue
        unit = measure.display_unit
        fact = (f"{measure.plain_name} result on {human(latest.date)} was {number(latest.value)} {unit} "
                f"(the usual safety threshold for {drug} monitoring is {row.label} {unit}).")
        found.append(you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}",
                          "ask whether anything needs to change.",
                          f"inflammatory_arthritis.action_threshold.{measure.id}",
                          f"{measure.name} beyond the DMARD monitoring action threshold "
                          f"({row.source}; clinical-reference §5.1, §5.3)", 10))
    found.extend(_creatinine_rise(ctx, since, drug))
    return found


def _creatinine_rise(ctx: Context, since: dt.date, drug: str) -> list[Question]:
    """Creatinine risen by more than 30 % within 12 months while on a DMARD (§5.1 [SPS-SSZ])."""
    series = [r for r in ctx.valued("creatinine") if r.date >= since]
    if len(series) < 2:
        return []
    latest = series[-1]
    window = [r for r in series[:-1] if (latest.date - r.date).days <= CREATININE_RISE_WINDOW_DAYS]
    if not window:
        return []
    lowest = min(window, key=lambda r: r.value)
    if lowest.value <= 0 or latest.value <= lowest.value * (1 + CREATININE_RISE_FRACTION):
        return []
    measure = terminology.measure("creatinine")
    unit = measure.display_unit
    fact = (f"{measure.plain_name} went from {number(lowest.value)} {unit} on "
            f"{human(lowest.date)} to {number(latest.value)} {unit} on {human(latest.date)}, a rise "
            f"of more than {CREATININE_RISE_FRACTION:.0%} (a usual safety threshold for {drug} monitoring).")
    return [you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}", "ask whether anything needs to change.",
                 "inflammatory_arthritis.creatinine_rise",
                 "Creatinine rose by more than 30% within 12 months while on a DMARD "
                 "(clinical-reference §5.1, §5.3)", 11)]


def q_crp_rising(ctx: Context, view: ConditionView) -> list[Question]:
    """CRP higher at the latest test than at the one before (two data points, §1.4, §5.3)."""
    series = ctx.valued("crp")
    if len(series) < 2 or not series[-2].value < series[-1].value:
        return []
    before, last = series[-2], series[-1]
    crp = terminology.measure("crp")
    fact = (f"{crp.plain_name} went from {number(before.value)} {crp.display_unit} on "
            f"{human(before.date)} to {number(last.value)} {crp.display_unit} on {human(last.date)}.")
    return [you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}",
                 ctx.wording("mention how your joints have been.", "mention how the joints have been."),
                 "inflammatory_arthritis.crp_rising",
                 "CRP rose between the last two tests (clinical-reference §5.3)", 30)]


def q_annual_review(ctx: Context, view: ConditionView) -> list[Question]:
    """No arthritis annual review in the last 12 months (§5.3)."""
    check = annual_review_check(ctx)
    if check is None or check.status not in ("overdue", "never"):
        return []
    ask = "ask about an annual review (joints, heart health, bones, mood, work)."
    reason = "No arthritis annual review in the last 12 months (clinical-reference §5.2, §5.3)"
    if check.last_done is None:
        none = f"No arthritis annual review is {missing_where(ctx)}." if not_seen(ctx, check) else None
        return [you_could(ctx, none or "Your record does not show an arthritis annual review.",
                     none or "{name}'s record does not show an arthritis annual review.", ask,
                     "inflammatory_arthritis.annual_review", reason, 40)]
    when = human(check.last_done, check.last_done_precision or "day")
    return [you_could(ctx, f"Your last arthritis review was on {when}.",
                 f"{{name}}'s last arthritis review was on {when}.", ask,
                 "inflammatory_arthritis.annual_review", reason, 40)]


def q_hcq_eye_screening(ctx: Context, view: ConditionView) -> list[Question]:
    """Hydroxychloroquine past 5 years (1 with a risk factor) and no eye screening seen (§5.3)."""
    check = hcq_eye_check(ctx)
    start = ctx.first_issued("hydroxychloroquine")
    if check is None or check.status != "never" or start is None:
        return []
    risk = hcq_risk_factor(ctx)
    extra = f" Your record also shows {risk}." if risk else ""
    extra_carer = f" {{name}}'s record also shows {risk}." if risk else ""
    return [you_could(ctx, f"You've taken hydroxychloroquine since {human(start)}.{extra}",
                 f"{{name}} has taken hydroxychloroquine since {human(start)}.{extra_carer}",
                 "ask about eye screening.", "inflammatory_arthritis.hcq_eye_screening",
                 "Hydroxychloroquine for over 5 years (or 1 year with a risk factor) and no eye "
                 "screening recorded (clinical-reference §5.2, §5.3)", 20)]


@cache
def _is_biologic(word: str) -> bool:
    return terminology.in_medicine_class("biologic", word)


def biologics_in(text: str) -> list[str]:
    """Biologic medicine names (medicines.csv class `biologic`) that a text mentions, in order."""
    words = dict.fromkeys(w.casefold() for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text or ""))
    return [w for w in words if _is_biologic(w)]


def q_biologic_in_letter(ctx: Context, view: ConditionView) -> list[Question]:
    """A letter from the last year mentions a biologic that the GP medication list lacks (§5.3)."""
    lookback = terminology.interval("ra_annual_review", CONDITION).interval_days  # one review cycle
    listed = " | ".join(f"{m.name} {m.text or ''}" for m in ctx.record.medications).casefold()
    letters = sorted((l for l in ctx.record.letters
                      if l.date and 0 <= (ctx.today - l.date).days <= lookback),
                     key=lambda l: l.date, reverse=True)
    found, seen = [], set()
    for letter in letters:
        for drug in biologics_in(letter.text or letter.pdf_text or ""):
            if drug in seen or re.search(rf"(?<![a-z]){re.escape(drug)}(?![a-z])", listed):
                continue
            seen.add(drug)
            fact = f"A letter dated {human(letter.date)} ({letter.title}) mentions {drug}."
            found.append(you_could(
                ctx, f"{fact} It isn't on your GP medication list.",
                f"{fact} It isn't on {{name}}'s GP medication list.",
                "ask whether your records are up to date." if ctx.viewer_kind != "proxy"
                else "ask whether the records are up to date.",
                "inflammatory_arthritis.biologic_not_listed",
                "A biologic named in a letter is not on the GP medication list (clinical-reference "
                "§5.1, §5.3)", 35))
    return found


def q_leflunomide_bp(ctx: Context, view: ConditionView) -> list[Question]:
    """The latest blood pressure above 140/90 while leflunomide is current or listed (§11.9,
    [SPS-LEF]): the fact and an open question, never advice on the medicine."""
    if not ctx.monitored("leflunomide"):
        return []
    start = restart_of_first(ctx, "leflunomide")  # the authorisation's date included
    systolic, diastolic = ctx.latest("bp_systolic"), ctx.latest("bp_diastolic")
    if systolic is None or diastolic is None or systolic.date != diastolic.date:
        return []
    if start is not None and systolic.date < start:
        return []
    rows = {m: next((t for t in terminology.targets(m, CONDITION)
                     if t.kind == "action" and t.applies_when == "on_leflunomide"), None)
            for m in ("bp_systolic", "bp_diastolic")}
    if not any(row and row.contains(r.value) for row, r in ((rows["bp_systolic"], systolic),
                                                            (rows["bp_diastolic"], diastolic))):
        return []
    unit = terminology.measure("bp_systolic").display_unit
    limit = "/".join(number(rows[m].low) if rows[m] else "?" for m in ("bp_systolic", "bp_diastolic"))
    fact = (f"blood pressure on {human(systolic.date)} was {number(systolic.value)}/"
            f"{number(diastolic.value)} {unit}, above {limit}, while taking leflunomide (blood "
            "pressure is checked as part of leflunomide monitoring).")
    return [you_could(ctx, f"Your {fact}", f"{{name}}'s {fact}", "ask what this means.",
                      "inflammatory_arthritis.leflunomide_bp",
                      f"Blood pressure above {limit} while taking leflunomide (Specialist Pharmacy "
                      "Service leflunomide monitoring)", 12)]


QUESTION_RULES = (q_action_threshold, q_leflunomide_bp, q_bloods_overdue, q_hcq_eye_screening, q_crp_rising,
                  q_biologic_in_letter, q_annual_review)


def intro(ctx: Context) -> str:
    """A plain opening line for the view."""
    return ctx.wording(
        "This page brings together your arthritis blood tests, activity scores and reviews, with "
        "the safety thresholds and aims that apply and where they come from.",
        "This page brings together {name}'s arthritis blood tests, activity scores and reviews, "
        "with the safety thresholds and aims that apply and where they come from.")


SPEC = view_spec(CONDITION, ViewRules(  # its table row: data/terminology/views.csv
    checks=CHECKS,
    build_measure=build_measure,
    questions=QUESTION_RULES,
    intro=intro,
))
