"""Trend charts for the PDF sheet, drawn with reportlab.graphics: one line chart per measure with
its target band shaded (and edged with dashed lines, so colour is not the only signal) and a dated
axis. No browser, no image export. Each chart comes with a sentence that says what it shows.
"""

from __future__ import annotations

import datetime as dt
import math

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm

from conditions.base import MeasureView, number
from ltc_dashboard.record.citations import review_words, source_words
from ltc_dashboard.record.dates import human

WIDTH, HEIGHT = 170 * mm, 50 * mm
LINE = colors.HexColor("#005EB8")  # NHS blue
BAND = colors.HexColor("#C8E6C9")
BAND_EDGE = colors.HexColor("#2E7D32")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def points(measure: MeasureView) -> list[tuple[dt.date, float]]:
    """The measure's dated numeric values, oldest first."""
    return sorted((p.date, p.value) for p in measure.series if p.value is not None)


# Past this size a value's distance from another, or from a target, is no longer a finite number
# (1.7e308 minus -1.7e308), so no axis can be drawn for it; the values are still listed.
_CHARTABLE = 1e100


def has_chart(measure: MeasureView) -> bool:
    found = points(measure)
    return bool(found) and all(abs(v) <= _CHARTABLE for _, v in found) and all(
        abs(b) <= _CHARTABLE for b in (measure.target_low, measure.target_high) if b is not None)


def _ticks(start: dt.date, end: dt.date) -> tuple[list[int], bool]:
    """Tick positions (ordinals) on the first of a year, or of every few months for short spans."""
    span_years = (end - start).days / 365.25
    if span_years > 2:
        step = max(1, math.ceil(span_years / 7))
        years = range(start.year + 1, end.year + 1, step)
        return [dt.date(y, 1, 1).toordinal() for y in years], True
    step = 1 if span_years < 0.6 else 3 if span_years <= 1.5 else 6
    ticks, month = [], dt.date(start.year, start.month, 1)
    while month <= end:
        if month > start and (month.month - 1) % step == 0:
            ticks.append(month.toordinal())
        if (month.year, month.month) == (dt.MAXYEAR, 12):
            break  # the calendar ends here
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks, False


def _range(values: list[float], low: float | None, high: float | None) -> tuple[float, float]:
    lo = min(values + [v for v in (low, high) if v is not None])
    hi = max(values + [v for v in (low, high) if v is not None])
    pad = (hi - lo) * 0.12 or max(abs(hi) * 0.1, 1.0)
    return (max(0.0, lo - pad) if lo >= 0 else lo - pad), hi + pad


def measure_chart(measure: MeasureView, font: str, text=str) -> Drawing:
    """A line chart of one measure's values with the target band and a dated axis (`text` makes
    a label safe for the font)."""
    data = points(measure)
    first, last = data[0][0], data[-1][0]
    margin = max(30, (last - first).days // 30)
    x_min = max(1, first.toordinal() - margin)  # (not before 1 January of year 1, nor after 9999)
    x_max = min(dt.date.max.toordinal(), last.toordinal() + margin)
    y_min, y_max = _range([v for _, v in data], measure.target_low, measure.target_high)

    drawing = Drawing(WIDTH, HEIGHT)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 14 * mm, 10 * mm, WIDTH - 18 * mm, HEIGHT - 16 * mm
    plot.data = [[(d.toordinal(), v) for d, v in data]]
    plot.lines[0].strokeColor, plot.lines[0].strokeWidth = LINE, 1.5
    plot.lines[0].symbol = makeMarker("FilledCircle", size=4, fillColor=LINE, strokeColor=LINE)
    x_axis, y_axis = plot.xValueAxis, plot.yValueAxis
    x_axis.valueMin, x_axis.valueMax = x_min, x_max
    ticks, yearly = _ticks(dt.date.fromordinal(x_min), dt.date.fromordinal(x_max))
    x_axis.valueSteps = ticks or [first.toordinal()]
    x_axis.labelTextFormat = (lambda o: str(dt.date.fromordinal(int(o)).year)) if yearly else (
        lambda o: f"{_MONTHS[dt.date.fromordinal(int(o)).month - 1]} {dt.date.fromordinal(int(o)).year}")
    y_axis.valueMin, y_axis.valueMax = y_min, y_max
    y_axis.labelTextFormat = lambda v: number(v)
    for axis in (x_axis, y_axis):
        axis.labels.fontName, axis.labels.fontSize = font, 7

    def y_of(value: float) -> float:
        return plot.y + (value - y_min) / (y_max - y_min) * plot.height

    if measure.target_low is not None or measure.target_high is not None:
        bottom = y_of(measure.target_low) if measure.target_low is not None else plot.y
        top = y_of(measure.target_high) if measure.target_high is not None else plot.y + plot.height
        drawing.add(Rect(plot.x, bottom, plot.width, top - bottom, fillColor=BAND, strokeColor=None))
        for bound in (measure.target_low, measure.target_high):
            if bound is not None:
                y = y_of(bound)
                drawing.add(Line(plot.x, y, plot.x + plot.width, y, strokeColor=BAND_EDGE,
                                 strokeDashArray=[3, 2], strokeWidth=0.8))
    drawing.add(plot)
    drawing.add(String(plot.x, HEIGHT - 4 * mm, text(measure.display_unit), fontName=font, fontSize=7))
    return drawing


def describe(measure: MeasureView) -> str:
    """One sentence saying what the chart shows (its text alternative)."""
    data = points(measure)
    (first, _), (last, value) = data[0], data[-1]
    count = f"{len(data)} result{'s' if len(data) != 1 else ''}"
    span = f"on {human(first)}" if first == last else f"from {human(first)} to {human(last)}"
    latest = f"{number(value)} {measure.display_unit}".strip()
    words = f"Chart of {measure.plain_name}: {count} {span}; latest {latest} on {human(last)}."
    if measure.target and (measure.target_low is not None or measure.target_high is not None):
        words += (f" The shaded band between dashed lines is the target: {measure.target}"
                  f" ({source_words(measure.target_source)}).")
        review = review_words(measure.target_verified)
        words += f" {review}" if review else ""
    return words
