"""The diabetes checks for this person's situations (clinical-reference §2.2 and §11.2-§11.8).

The usual adult checks are the 8 care processes and eye screening (intervals.csv). Situations
(conditions/situations.py) change them: type 1 adults take the NG17 HbA1c row; under 18 the NG18
checks (HbA1c every 3 months, thyroid yearly, eye, ACR and blood pressure from age 12, smoking
from 16); pregnancy an eye check at booking and 28 weeks and an ACR at the first contact (NG3);
chronic kidney disease kidney tests by its category (NG203 table 1, unverified), the stricter of
that and the yearly check; remission the yearly checks it lists; gestational diabetes after the
birth a yearly HbA1c only; end of life every check "not needed now"; a possible diagnosis none.

Pregnancy from the record alone: the start is the expected delivery date less 40 weeks (else the
pregnancy entry's onset). An eye check on or after the start is the booking check. The 28-week
check is due on start + the retinal_pregnancy row's interval (28 weeks), and only when an expected
delivery date is recorded; without one the view says the 28-week check cannot be dated.
"""

from __future__ import annotations

import datetime as dt

from conditions import diabetes_rules as rules
from conditions.base import CheckView, Context, apply_declined, check_from_row, evidence_dates, status_for
from conditions.situations import CHECKS_FROM_AGE, SMOKING_FROM_AGE, Situations, situations
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human

ID = "diabetes"
NAMES = {
    "hba1c": "Blood sugar (HbA1c)", "bp": "Blood pressure", "cholesterol": "Cholesterol",
    "egfr": "Kidney blood test (creatinine or eGFR)", "acr": "Urine protein test (ACR)",
    "bmi": "Weight (BMI)", "smoking": "Smoking status", "foot": "Foot check",
    "retinal": "Eye screening", "thyroid": "Thyroid blood test",
}
ADULT = ("hba1c", "bp", "cholesterol", "egfr", "acr", "bmi", "smoking", "foot", "retinal")
REMISSION = ("hba1c", "retinal", "foot", "bp", "egfr", "acr")  # §11.8
YOUNG_TYPE2 = ("hba1c", "bp", "cholesterol", "acr", "retinal")  # §11.3 (unverified detail)


def _timed(ctx: Context, check_id: str, evidence_row: str, interval_row: str) -> CheckView:
    """A check whose evidence is one intervals.csv row's and whose interval is another's."""
    base, rule = terminology.interval(evidence_row, ID), terminology.interval(interval_row, ID)
    done = evidence_dates(ctx, base.evidence)
    last = done[-1] if done else None
    due, status = status_for(last, rule.interval_days, rule.grace_days, ctx.today)
    check = CheckView(id=check_id, name=NAMES[check_id], last_done=last, due=due, status=status,
                      interval_days=rule.interval_days, source=rule.source, verified=rule.verified,
                      note=rule.text or None)
    return apply_declined(ctx, check, base.declined)


def _usual(ctx: Context, check_id: str, found: Situations) -> CheckView:
    """A check from its own row, or (HbA1c) the row the situation names."""
    if check_id == "hba1c":
        row = ("hba1c_remission" if found.diagnosis == "remission" else
               "hba1c_under_18" if found.child and found.kind != "type2" else
               "hba1c_type1" if found.kind == "type1" else "hba1c")
        stricter = row in ("hba1c", "hba1c_type1") and rules.hba1c_needs_closer_checks(ctx)
        return check_from_row(ctx, "hba1c", NAMES["hba1c"], row, ID, stricter=stricter)
    if check_id == "thyroid":
        return check_from_row(ctx, "thyroid", NAMES["thyroid"], "thyroid_under_18", ID)
    stricter = check_id == "foot" and rules.foot_risk_raised(ctx)
    return check_from_row(ctx, check_id, NAMES[check_id], check_id, ID, stricter=stricter)


def _kidney(ctx: Context, check_id: str, found: Situations) -> CheckView:
    """eGFR or ACR at the CKD category's frequency when that is more often than yearly (§11.5)."""
    usual = _usual(ctx, check_id, found)
    if found.kidneys is None:
        return usual
    row = found.kidneys.interval_row
    if terminology.interval(row, ID).interval_days >= (usual.interval_days or 0):
        return usual
    return _timed(ctx, check_id, check_id, row)


def pregnancy_eye(ctx: Context, found: Situations) -> CheckView:
    """Eye checks at booking and at 28 weeks (§11.4), dated from the record as the module says."""
    rule = terminology.interval("retinal_pregnancy", ID)
    start = found.pregnancy_start
    done = [d for d in evidence_dates(ctx, rule.evidence) if start is None or d >= start]
    last = done[-1] if done else None
    week28 = start + dt.timedelta(days=rule.interval_days) if start and found.delivery_date else None
    due, status, extra = None, "ok", ""
    if last is None:
        status = "never"
        extra = f" None is recorded since this pregnancy began (about {human(start)})." if start else ""
    elif week28 is None:
        extra = (" The 28-week check cannot be dated: the record you can see has no expected "
                 "delivery date.")
    elif last < week28 - dt.timedelta(days=rule.grace_days):
        due = week28
        status = ("overdue" if ctx.today > week28 + dt.timedelta(days=rule.grace_days) else
                  "due-soon" if ctx.today >= week28 - dt.timedelta(days=rule.grace_days) else "ok")
    check = CheckView(id="retinal", name=NAMES["retinal"], last_done=last, due=due, status=status,
                      interval_days=None, source=rule.source, verified=rule.verified,
                      note=(rule.text + "." + extra).replace("..", "."))
    return apply_declined(ctx, check, rule.declined)


def pregnancy_acr(ctx: Context, found: Situations) -> CheckView:
    """A urine ACR at the first contact in pregnancy if none in the 3 months before (§11.4)."""
    rule = terminology.interval("acr_pregnancy", ID)
    done = evidence_dates(ctx, rule.evidence)
    last = done[-1] if done else None
    start = found.pregnancy_start or ctx.today
    if last and last >= start - dt.timedelta(days=rule.interval_days):
        status, due = "ok", None
    else:
        status, due = ("overdue" if last else "never"), start
    return CheckView(id="acr", name=NAMES["acr"], last_done=last, due=due, status=status,
                     interval_days=None, source=rule.source, verified=rule.verified, note=rule.text)


def not_needed(ctx: Context, check: CheckView) -> CheckView:
    """A yearly check at the end of life: shown, never chased (§11.7)."""
    return check.model_copy(update={
        "status": "not-needed", "due": None, "addressed_by": None,
        "note": ctx.wording("Not needed now unless your care team suggests it.",
                            "Not needed now unless {name}'s care team suggests it.")})


def wanted(found: Situations) -> tuple[str, ...]:
    """Which checks this person's situations call for, by id."""
    if found.diagnosis == "remission":
        return REMISSION
    if found.gestational:  # the antenatal team's glucose monitoring, not the yearly checks (§11.4)
        return ()
    if found.child:
        if found.kind == "type2":
            ids = YOUNG_TYPE2
        else:
            # a partial birth date: the checks from 12 when the child may be 12 (closer monitoring
            # wins); no smoking prompt while the child may be under 16 (§11.3, conditions/ages.py)
            ids = ("hba1c", "thyroid") + (("retinal", "acr", "bp") if found.may_be_at_least(CHECKS_FROM_AGE) else ())
        return ids + (("smoking",) if found.certainly_at_least(SMOKING_FROM_AGE) else ())
    return ADULT


def checks(ctx: Context) -> list[CheckView]:
    """The checks the view shows for this person today."""
    found = situations(ctx)
    if found.diagnosis == "gdm_after_birth":
        return [check_from_row(ctx, "hba1c", NAMES["hba1c"], "hba1c_after_gdm", ID)]
    if not found.full_view:
        return []
    shown = []
    for check_id in wanted(found):
        if found.pregnant and check_id == "retinal":
            check = pregnancy_eye(ctx, found)
        elif found.pregnant and check_id == "acr":
            check = pregnancy_acr(ctx, found)
        elif check_id in ("egfr", "acr"):
            check = _kidney(ctx, check_id, found)
        else:
            check = _usual(ctx, check_id, found)
        shown.append(not_needed(ctx, check) if found.end_of_life else check)
    return shown
