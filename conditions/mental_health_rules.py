"""Mental health: the medicine helpers and the due checks of clinical-reference §6.2 (lithium,
the yearly physical health check for serious mental illness, the care plan and antipsychotic
monitoring), written as functions because the generic engine cannot express them.

Pure functions of a `Context`; intervals come from `data/terminology/intervals.csv`. The constants
are the "stricter when" predicates §6.2 states in words, each citing the section.
"""

from __future__ import annotations

import datetime as dt

from conditions.base import CheckSpec, CheckView, Context, apply_declined, check_from_row, evidence_dates, status_for
from conditions.medicines import listed_reason, medicine_word, monitoring_reason  # noqa: F401  (medicine_word: the views' API)
from conditions.mental_health_lithium import lithium_level_check, lithium_stricter  # noqa: F401  (lithium_stricter: the views' API)
from conditions.shared import started
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.models import LabResult

CONDITION = "mental_health"

# The six elements of the SMI physical health check (§6.2, QOF MH021): the `parts` of the
# smi_physical_check row name rows of intervals.csv; these are their plain labels.
SMI_PART_LABELS = {
    "bp": "blood pressure and pulse", "bmi": "weight (BMI)", "cholesterol": "cholesterol",
    "hba1c": "blood sugar", "alcohol": "alcohol", "smoking": "smoking",
}
# Lithium blood checks (§6.2), as (check id and intervals.csv row, plain name).
LITHIUM_CHECKS = (
    ("lithium", "Lithium level"),
    ("lithium_renal", "Kidney tests (eGFR, urea and electrolytes)"),
    ("lithium_thyroid", "Thyroid test (TSH)"),
    ("lithium_calcium", "Calcium"),
    ("lithium_weight", "Weight or BMI"),
)
# Antipsychotic monitoring (§6.2, CG178), as (check id and intervals.csv row, plain name).
ANTIPSYCHOTIC_CHECKS = (
    ("antipsychotic_weight", "Weight (on an antipsychotic)"),
    ("antipsychotic_bp_pulse", "Blood pressure and pulse (on an antipsychotic)"),
    ("antipsychotic_glucose", "Blood sugar (on an antipsychotic)"),
    ("antipsychotic_lipids", "Cholesterol (on an antipsychotic)"),
    ("antipsychotic_waist", "Waist measurement (on an antipsychotic)"),
)


# -- medicines -----------------------------------------------------------------------------------

def lithium_level_evidence(ctx: Context) -> LabResult | None:
    """The latest lithium level within the `lithium_evidence` window (12 months), which counts as
    evidence of taking lithium (clinical-reference §11.1), or None."""
    window = terminology.interval("lithium_evidence", CONDITION).interval_days
    latest = next((r for r in reversed(ctx.results("lithium")) if r.date <= ctx.today), None)
    return latest if latest is not None and (ctx.today - latest.date).days <= window else None


def on_lithium(ctx: Context) -> bool:
    """Whether lithium monitoring applies (clinical-reference §11.1): lithium current, or still
    listed though last issued over 6 months ago, or a lithium level in the last 12 months."""
    return bool(ctx.monitored("lithium")) or lithium_level_evidence(ctx) is not None


def lithium_reason(ctx: Context) -> str | None:
    """Why the lithium checks show when lithium is not plainly current, in words (§11.1)."""
    listed = ctx.monitored("lithium")
    if listed:
        return monitoring_reason(ctx, listed)
    level = lithium_level_evidence(ctx)
    if level is None:
        return None
    fact = (f"shows a lithium level on {human(level.date)}, so lithium checks are shown although "
            "lithium is not on the current medicine list.")
    return ctx.wording(f"Your record {fact}", f"{{name}}'s record {fact}")


def current_antipsychotics(ctx: Context) -> list:
    """Antipsychotics that are current or still listed (§11.1), leaving out end-of-life injectable
    ones (class `anticipatory`)."""
    return [m for m in ctx.monitored("antipsychotic") if "anticipatory" not in m.classes]


def antipsychotic_start(ctx: Context):
    """The current antipsychotic started most recently, with its start date, or (None, None)."""
    dated = [(started(m), m) for m in current_antipsychotics(ctx) if started(m)]
    if not dated:
        return None, None
    return max(dated, key=lambda item: item[0])


# -- checks --------------------------------------------------------------------------------------

def lithium_checks(ctx: Context) -> list[CheckView]:
    """Lithium level, kidney, thyroid, calcium and weight checks while lithium is current."""
    if not on_lithium(ctx):
        return []
    reason = lithium_reason(ctx)
    found = [lithium_level_check(ctx) if check_id == "lithium"
             else check_from_row(ctx, check_id, name, check_id, condition=CONDITION)
             for check_id, name in LITHIUM_CHECKS]
    if reason:
        found = [c.model_copy(update={"note": f"{reason} {c.note or ''}".strip()}) for c in found]
    return found


def smi_parts(ctx: Context) -> list[tuple[str, dt.date | None]]:
    """Each element of the SMI physical health check with the date it was last recorded."""
    row = terminology.interval("smi_physical_check", CONDITION)
    found = []
    for part in row.parts:
        dates = evidence_dates(ctx, terminology.interval(part, CONDITION).evidence)
        found.append((SMI_PART_LABELS.get(part, part), dates[-1] if dates else None))
    return found


def smi_physical_check(ctx: Context) -> CheckView | None:
    """The yearly SMI physical health check (§6.2, QOF MH021), for people on the SMI register.

    Status follows the oldest element: the check was "last fully done" when its oldest element
    was last recorded, and counts as never done while any element has no record. Each element's
    last date is in the note; a recent decline counts as addressed (§1.3)."""
    if not ctx.has_coded("smi"):
        return None
    row = terminology.interval("smi_physical_check", CONDITION)
    interval_days, grace_days = row.window()
    parts = smi_parts(ctx)
    dates = [d for _, d in parts]
    oldest = None if None in dates or not dates else min(dates)
    due, status = status_for(oldest, interval_days, grace_days, ctx.today)
    note = "Last recorded: " + "; ".join(
        f"{label}: {human(d) if d else 'not recorded'}" for label, d in parts) + "."
    check = CheckView(id="smi_physical_check", name="Yearly physical health check", last_done=oldest,
                      due=due, status=status, interval_days=interval_days, source=row.source,
                      verified=row.verified, note=note)
    return apply_declined(ctx, check, ("declined_smi_physical_check", *row.declined))


def care_plan_check(ctx: Context) -> CheckView | None:
    """The mental health care plan, agreed or reviewed once a year (§6.2, QOF MH002), for people on
    the SMI register; a CarePlan resource named as one counts as well as a coded entry."""
    if not ctx.has_coded("smi"):
        return None
    shown = check_from_row(ctx, "care_plan_review", "Mental health care plan", "care_plan_review",
                           condition=CONDITION)
    rule = terminology.interval("care_plan_review", CONDITION)
    plans = [p.date for p in ctx.record.care_plans if p.date and p.date <= ctx.today and any(
        terminology.in_valueset(vs, {"text": f"{p.title} | {p.text or ''}"}) for vs in rule.evidence)]
    last = max([d for d in (shown.last_done, *plans) if d], default=None)
    if last == shown.last_done:
        return shown
    interval_days, grace_days = rule.window()
    due, status = status_for(last, interval_days, grace_days, ctx.today)
    return shown.model_copy(update={"last_done": last, "due": due, "status": status})


def antipsychotic_check(ctx: Context, check_id: str, name: str) -> CheckView | None:
    """One antipsychotic monitoring check (§6.2, CG178): at 12 weeks and at 1 year after starting,
    then yearly. The row's stricter interval is the 12-week point and its interval the year; a
    measurement from a grace period before a point counts for it. None with no antipsychotic."""
    start, med = antipsychotic_start(ctx)
    if start is None:
        return None
    rule = terminology.interval(check_id, CONDITION)
    if not rule.stricter_interval_days:
        return check_from_row(ctx, check_id, name, check_id, condition=CONDITION)
    dates = evidence_dates(ctx, rule.evidence)
    last = dates[-1] if dates else None
    due = grace_days = None
    for offset, stricter in ((rule.stricter_interval_days, True), (rule.interval_days, False)):
        point = start + dt.timedelta(days=offset)
        _, grace_days = rule.window(stricter=stricter)
        if not any(d >= point - dt.timedelta(days=grace_days) for d in dates):
            due = point
            break
    if due is None:
        _, grace_days = rule.window()
        due = last + dt.timedelta(days=rule.interval_days)
    if last is None:
        status = "never"
    elif ctx.today > due:
        status = "overdue"
    elif ctx.today > due - dt.timedelta(days=grace_days):
        status = "due-soon"
    else:
        status = "ok"
    reason = listed_reason(ctx, med)
    return CheckView(id=check_id, name=name, last_done=last, due=due, status=status,
                     interval_days=rule.interval_days, source=rule.source, verified=rule.verified,
                     note=f"Counted from {medicine_word(med)}, started {human(start)}."
                     + (f" {reason}" if reason else ""))


def antipsychotic_checks(ctx: Context) -> list[CheckView]:
    """The antipsychotic monitoring checks while an antipsychotic is current."""
    found = [antipsychotic_check(ctx, check_id, name) for check_id, name in ANTIPSYCHOTIC_CHECKS]
    return [c for c in found if c]


# Every check the mental health view shows, in the order it lists them: each is dated from a
# medicine's start or needs the SMI register, which a table row cannot say (the module's own rule,
# run by the one engine). The lithium and antipsychotic checks are groups: which apply depends on
# the record.
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(id="lithium", name="Lithium monitoring", interval_check="lithium", condition=CONDITION,
              compute=lithium_checks),
    CheckSpec(id="smi_physical_check", name="Yearly physical health check", interval_check="smi_physical_check",
              condition=CONDITION, compute=smi_physical_check),
    CheckSpec(id="care_plan_review", name="Mental health care plan", interval_check="care_plan_review",
              condition=CONDITION, compute=care_plan_check),
    CheckSpec(id="antipsychotic", name="Antipsychotic monitoring", interval_check="antipsychotic_weight",
              condition=CONDITION, compute=antipsychotic_checks),
)
