"""Home readings beside a measure's GP results (issue 20): which measure each reading belongs to,
as points of the same shape as the GP's (`MeasureView.home_series`).

Only ever added to `home_series`: a home reading is never in `series`, so it never meets a due
check, a "last done" date, a verdict or a suggested question, which all read `series` and the
record (tests/test_readings_summary.py).
"""

from __future__ import annotations

from conditions.series import HomePoint

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
