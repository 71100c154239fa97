"""Pure plotly figure builders for the pages, with the text and table alternatives each chart
needs (WCAG: a chart is never the only way to read a result).

Nothing here imports streamlit: a figure is built from a `MeasureView` and returned.
"""

from __future__ import annotations

import plotly.graph_objects as go

from conditions.base import MeasureView, number
from pages.text import day, has_bounds, off_target, source_words, value_words

NHS_BLUE = "#005EB8"
NHS_DARK = "#212B32"
NHS_GREEN = "#007F3B"
# Marker shapes carry the flag, so it never depends on colour alone.
SYMBOLS = {"high": "triangle-up", "low": "triangle-down", "normal": "circle", "unknown": "circle"}
FLAG_WORDS = {"high": "high", "low": "low", "normal": "normal", "unknown": ""}


def _points(measure: MeasureView):
    return [p for p in measure.series if p.value is not None]


def measure_figure(measure: MeasureView) -> go.Figure:
    """A trend line of a measure over time, with its target band shaded and labelled."""
    points = _points(measure)
    unit = measure.display_unit
    hover = [
        f"{day(p.date)}: {value_words(p.value, unit, p.comparator)}"
        + (f" ({FLAG_WORDS[p.flag]})" if FLAG_WORDS.get(p.flag) else "")
        for p in points
    ]
    # Built without plotly's per-property validation, which took three quarters of a chart's time
    # on a long series (bench/README.md); tests/test_charts.py validates the same figure instead.
    fig = go.Figure(go.Scatter(
        x=[p.date for p in points],
        y=[p.value for p in points],
        mode="lines+markers",
        name=measure.plain_name,
        line={"color": NHS_BLUE, "width": 2},
        marker={"size": 10, "color": NHS_BLUE, "symbol": [SYMBOLS.get(p.flag, "circle") for p in points]},
        text=hover,
        hovertemplate="%{text}<extra></extra>",
        _validate=False,
    ), _validate=False)
    values = [p.value for p in points] or [0.0]
    low, high = measure.target_low, measure.target_high
    if measure.target and (low is not None or high is not None):
        span = [v for v in (*values, low, high) if v is not None]
        pad = (max(span) - min(span)) * 0.15 or abs(max(span)) * 0.1 or 1.0
        y0 = low if low is not None else min(min(span) - pad, 0.0 if min(span) >= 0 else min(span) - pad)
        y1 = high if high is not None else max(span) + pad
        fig.add_hrect(
            y0=y0, y1=y1, fillcolor=NHS_GREEN, opacity=0.12, line_width=0, layer="below",
            annotation_text=f"Target: {measure.target}", annotation_position="top left",
            annotation_font={"color": NHS_DARK, "size": 13},
        )
    fig.update_layout(
        template="simple_white",
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        showlegend=False,
        font={"family": "Arial, Helvetica, sans-serif", "color": NHS_DARK, "size": 14},
        yaxis_title=unit,
        hoverlabel={"bgcolor": "white"},
    )
    fig.update_xaxes(tickformat="%-d %B %Y", title=None)
    return fig


def describe(measure: MeasureView, whose: str = "your") -> str:
    """One sentence for the chart: how many results, over what time, the latest and the target.

    e.g. "5 results from 3 March 2022 to 4 June 2026; latest 58 mmol/mol, above your target of 53
    mmol/mol (source: NICE NG28)."
    """
    points = _points(measure)
    if not points:
        words = [p.text for p in measure.series if p.text]
        return f"No numeric results for {measure.plain_name}" + (f"; latest recorded as “{words[-1]}”." if words else ".")
    unit = measure.display_unit
    first, last = points[0], points[-1]
    count = "1 result" if len(points) == 1 else f"{len(points)} results"
    span = f"on {day(first.date)}" if len(points) == 1 else f"from {day(first.date)} to {day(last.date)}"
    sentence = f"{count} {span}; latest {value_words(last.value, unit, last.comparator)}"
    side = off_target(measure)
    target_owner = "your personal" if measure.target_personal else whose
    source = source_words(measure.target_source, measure.target_verified)
    if side == "above":
        sentence += f", above {target_owner} target of {number(measure.target_high)} {unit} (source: {source})"
    elif side == "below":
        sentence += f", below {target_owner} target of {number(measure.target_low)} {unit} (source: {source})"
    elif measure.target and has_bounds(measure):
        sentence += f", within {target_owner} target ({measure.target}; source: {source})"
    elif measure.target:
        sentence += f"; for reference: {measure.target} (source: {source})"
    return sentence + "."


def series_rows(measure: MeasureView) -> list[dict[str, str]]:
    """The chart's data as table rows, newest first, with dates and values in words."""
    rows = []
    for point in reversed(measure.series):
        rows.append({
            "Date": day(point.date),
            "Result": value_words(point.value, measure.display_unit, point.comparator, point.text),
            "Flag": FLAG_WORDS.get(point.flag, ""),
        })
    return rows


def has_chart(measure: MeasureView) -> bool:
    """Whether there is anything to draw (at least one numeric result)."""
    return bool(_points(measure))
