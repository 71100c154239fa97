"""Diabetes: the care-processes tracker (clinical-reference §2).

The view follows blood sugar (HbA1c), blood pressure, cholesterol, kidney tests (eGFR and urine
ACR) and weight (BMI), and checks that the 8 National Diabetes Audit care processes and eye
screening are up to date. The view's table rows are in `data/terminology/views.csv`; targets,
intervals and codes come from `data/terminology/`; the rules for which target applies and the
questions for the appointment live in `diabetes_rules.py` and `diabetes_prompts.py`, the checks
for this person's situations in `diabetes_checks.py` (conditions/template.py joins them).

It applies to a diabetes condition (type 1, type 2 or diabetes not otherwise specified); not to
non-diabetic hyperglycaemia (prediabetes) alone, whose value set is kept apart.
"""

from __future__ import annotations

from conditions import diabetes_checks, diabetes_prompts
from conditions import diabetes_rules as rules
from conditions.base import (
    CheckSpec, CheckView, ConditionView, Context, MeasureView, SituationLine, measure_view,
)
from conditions.situations import situations
from conditions.template import ViewRules, view_spec
from ltc_dashboard.record import citations

ID = "diabetes"
ALWAYS_SHOWN = ("hba1c", "bp_systolic", "bp_diastolic")  # shown with their target even before a result
RETINAL_NOTE = ("Shown as due once a year. The NHS eye screening programme may invite people at low risk "
                "every 2 years, but that longer interval is not verified here, so this view keeps 12 months.")
DECLINED_NOTE = "Recorded as declined, which counts as dealt with until the next check is due."


def build_measure(ctx: Context, measure_id: str) -> MeasureView | None:
    """A tracked measure with the target that applies to this person (clinical-reference §2.1).

    HbA1c: a personal Goal, else 48 mmol/mol [NG28], 53 on a medicine associated with
    hypoglycaemia issued in the last 6 months [NG28 1.5.7], 48 for type 1 [NG17]. Blood pressure:
    a personal Goal, else by age under 80 or 80 and over [NG136], with the table's unverified mark.
    Other measures have no guideline aim here and are shown only when there is a result.
    """
    found = situations(ctx)
    if found.diagnosis == "gdm_after_birth" and measure_id != "hba1c":
        return None
    view = measure_view(ctx, measure_id, rules.target_order(ctx, measure_id), condition=ID)
    if view is None or (not view.series and measure_id not in ALWAYS_SHOWN):
        return None
    if not found.full_view or (found.end_of_life and not view.target_personal):
        return view.model_copy(update={"target": None, "target_low": None, "target_high": None,
                                       "target_source": None, "target_verified": None})
    because = rules.target_because(ctx, measure_id)
    if because and not view.target_personal:
        view = view.model_copy(update={"note": because})
    if view.target_personal and view.target_source and ctx.viewer_kind == "proxy":
        carer = ctx.wording("", "{name}'s personal target")  # base words it for the patient
        source = view.target_source.replace("your personal target", carer, 1)
        view = view.model_copy(update={"target_source": source})
    if measure_id == "hba1c" and not view.target_personal:
        hypo = ctx.medicines(rules.HYPO_ASSOCIATED)
        if hypo and not rules.is_type1(ctx) and not because:
            names = ", ".join(sorted({m.name for m in hypo}))
            note = ctx.wording(f"This target applies because your medicines include {names}, which can "
                               "cause low blood sugar (hypos).",
                               f"This target applies because {{name}}'s medicines include {names}, which "
                               "can cause low blood sugar (hypos).")
            view = view.model_copy(update={"note": note})
    return view


def intro(ctx: Context) -> str:
    """What this view shows, in plain words."""
    return ("The yearly diabetes checks (the 8 care processes the National Diabetes Audit counts, plus "
            "eye screening) and the results they follow, with the targets from NICE guidance.")


# The checks depend on the person's situations: conditions/diabetes_checks.py. Declined and
# exception codes come from intervals.csv's `declined` column.
CHECK_NOTES = {"retinal": RETINAL_NOTE}


def _with_notes(check: CheckView, pregnant: bool) -> CheckView:
    """The check's notes: the view's own words for it (not in pregnancy, whose eye checks follow NG3,
    not the yearly programme), a decline counted as addressed, then the check's note."""
    own = None if pregnant else CHECK_NOTES.get(check.id)
    notes = [own if check.status != "not-needed" else None,
             DECLINED_NOTE if check.addressed_by else None, check.note]
    return check.model_copy(update={"note": " ".join(n for n in notes if n) or None})


def finish(ctx: Context, shown: ConditionView) -> ConditionView:
    """The checks' notes, which depend on the computed result (a decline counted as addressed gets
    its own words, which CheckSpec.note, set before the result, cannot say), and the situations
    that shaped the view."""
    found = situations(ctx)
    lines = [SituationLine(id=s.id, words=s.words, source=citations.plain(s.source), basis=s.source)
             for s in found.shown]
    update = {"checks": [_with_notes(c, found.pregnant) for c in shown.checks], "situations": lines}
    if not found.full_view:  # results only (possible diagnosis), or a yearly HbA1c after GDM
        update["questions"] = []
    return shown.model_copy(update=update)


def applies(ctx: Context) -> bool:
    """Confirmed diabetes, remission, a possible diagnosis (results only) or gestational diabetes
    (in pregnancy, or after the birth for its yearly HbA1c); never a refuted entry (§11.4, §11.8).
    Not metformin alone (also used for prediabetes), nor non-diabetic hyperglycaemia alone."""
    return situations(ctx).diagnosis != "none"


SPEC = view_spec(ID, ViewRules(
    build_measure=build_measure,
    # which checks apply depends on the person's situations: one group (conditions/diabetes_checks.py)
    checks=(CheckSpec(id="situation_checks", name="Diabetes checks", interval_check="",  # rows chosen per situation
                      compute=diabetes_checks.checks),),
    applies=applies,
    questions=diabetes_prompts.QUESTION_RULES,
    intro=intro,
    finish=finish,
))
