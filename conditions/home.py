"""Home readings beside a measure's GP results (issue 20): which measure each reading belongs to,
as points of the same shape as the GP's (`MeasureView.home_series`).

Only ever added to `home_series`: a home reading is never in `series`, so it never meets a due
check, a "last done" date, a verdict or a suggested question, which all read `series` and the
record (tests/test_readings_summary.py).
"""

from __future__ import annotations

from conditions.home_average import NO_VIEW_TARGET, HomeAverage, home_average, other_target_note, why_none, words
from conditions.home_glucose import glucose_panel
from conditions.series import HomePoint
from conditions.situations import situations

# measure id -> (reading kind, the reading's field that is that measure)
HOME_MEASURES = {
    "bp_systolic": ("bp", "systolic"),
    "bp_diastolic": ("bp", "diastolic"),
    "glucose": ("glucose", "value"),
    "weight": ("weight", "value"),
}


def home_points(measure_id: str, readings) -> list[HomePoint]:
    """The readings that are this measure, oldest first, as points."""
    kind, field = HOME_MEASURES.get(measure_id, (None, None))
    ordered = sorted((r for r in readings if r.kind == kind and getattr(r, field) is not None),
                     key=lambda r: (r.taken_at, r.id or 0))
    return [HomePoint(date=r.day, value=float(getattr(r, field)), text=r.value_text, id=f"home/{r.id}",
                      context=r.context) for r in ordered]


def with_home_series(view, readings):
    """A condition view whose measures carry the home readings that are theirs (nothing else changes)."""
    if not readings:
        return view
    measures = [m.model_copy(update={"home_series": home_points(m.id, readings)}) if m.id in HOME_MEASURES else m
                for m in view.measures]
    return view.model_copy(update={"measures": measures})


BP_MEASURES = ("bp_systolic", "bp_diastolic")


def not_compared(view) -> str | None:
    """Why the NG136 home target is not compared in this view, or None when it is: the view's
    blood pressure target must be NG136's by age (or NG18's age charts, which the average's own
    rule words); a personal, kidney or type 1 target, or none shown (results only, end of life),
    is never set beside a looser home number (hazard H28)."""
    systolic = next(m for m in view.measures if m.id in BP_MEASURES)
    basis = systolic.target_basis or ""
    if systolic.target_personal or (systolic.target and not ("NG136" in basis or "NG18" in basis)):
        return other_target_note(systolic.target_source or "a target that is not the general NICE one")
    if not systolic.target:
        return NO_VIEW_TARGET
    return None


def with_home_average(view, readings, patient):
    """Blood pressure measures carrying the NICE home average of the latest home week (both
    numbers the same object), or the plain sentence why there is none."""
    if not any(m.id in BP_MEASURES for m in view.measures) or not any(r.kind == "bp" for r in readings):
        return view
    update = {"home_average": home_average(readings, patient, not_compared(view)),
              "home_average_note": why_none(readings)}
    measures = [m.model_copy(update=update) if m.id in BP_MEASURES else m for m in view.measures]
    return view.model_copy(update={"measures": measures})


def with_home_glucose(view, readings, ctx):
    """The diabetes view with the panel of home blood sugar readings against the usual ranges."""
    if view.id != "diabetes" or not any(r.kind == "glucose" for r in readings):
        return view
    found = situations(ctx)
    whose = "your" if ctx.viewer_kind == "patient" else "the"
    panel = glucose_panel(readings, found.kind, found.child, found.pregnant, whose)
    return view.model_copy(update={"panels": [*view.panels, panel]}) if panel else view


def with_home(view, readings, ctx):
    """A view with everything home readings add to it (issue 20): the home series, the blood
    pressure home average and the blood sugar panel. Called after the view is built, so no check,
    verdict or question reads them."""
    if not readings:
        return view
    view = with_home_series(view, readings)
    view = with_home_average(view, readings, ctx.record.patient)
    return with_home_glucose(view, readings, ctx)


NO_BP_VIEW = ("No home target is compared: none of the views shown has a blood pressure target, so the "
              "target that applies to this person is not known here.")


def home_blood_pressure(views, readings, patient) -> tuple[HomeAverage | None, str | None]:
    """The summary's home blood pressure week, whatever the condition views (attack 20): the first
    view with blood pressure gives it with that view's target; with none (dementia, end of life...)
    the average is made here with no target compared (`NO_BP_VIEW`: the person's own target may be
    stricter than NG136's, hazard H28). (None, None) without home blood pressure readings."""
    for view in views:
        for measure in view.measures:
            if measure.id == "bp_systolic" and (measure.home_average or measure.home_average_note):
                return measure.home_average, measure.home_average_note
    if not any(r.kind == "bp" for r in readings):
        return None, None
    return home_average(readings, patient, NO_BP_VIEW), why_none(readings)


def home_average_lines(summary) -> list[str]:
    """The home blood pressure line for the sheet, the PDF and the overview, said once whatever
    the views: the average in words, or why there is none."""
    if summary.home_average is not None:
        return [words(summary.home_average)]
    return [summary.home_average_note] if summary.home_average_note else []
