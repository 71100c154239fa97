"""Pure plotly figure builders for the pages, with the text and table alternatives each chart
needs (WCAG: a chart is never the only way to read a result).

Nothing here imports streamlit: a figure is built from a `MeasureView` and returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import plotly.graph_objects as go

from conditions import verdict as verdicts
from conditions.base import MeasureView, number
from conditions.series import HomePoint
from ltc_dashboard.record.readings import GLUCOSE_CONTEXTS as CONTEXT_WORDS
from pages.text import day, has_bounds, off_target, outside_words, review_words, source_words, value_words

NHS_BLUE = "#005EB8"
NHS_DARK = "#212B32"
NHS_GREEN = "#007F3B"
# Marker shapes carry the one verdict (conditions/verdict.py), so it never depends on colour alone;
# the legend names each shape in words. Filled shapes compare with the target shown, open ones
# with the lab's usual range (only where no target with numbers applies).
SYMBOLS = {"within": "circle", "above": "triangle-up", "below": "triangle-down",
           "lab-high": "triangle-up-open", "lab-low": "triangle-down-open", "none": "circle-open"}
# Home readings (issue 20) have a shape, colour, legend entry and words of their own, and no verdict:
# the targets shown are the practice's, for clinic readings.
HOME_SYMBOL, HOME_COLOUR = "diamond", "#425563"
HOME_LEGEND = "Home reading (taken at home; not compared with the target)"
HOME_WORDS = "Home reading: not compared with the target"
LEGEND_WORDS = {"within": "Within the target", "above": "Above the target", "below": "Below the target",
                "lab-high": "Above the lab's usual range", "lab-low": "Below the lab's usual range"}


@dataclass(frozen=True)
class Period:
    """How far back a chart reaches: the last `years` years up to today, or every result (None)."""

    label: str
    years: int | None


# A 20-year record holds hundreds of blood pressures and weights: charts open on recent years, and
# "All results" reaches every point.
PERIODS = (Period("Last year", 1), Period("Last 5 years", 5), Period("All results", None))
DEFAULT_PERIOD = PERIODS[1]


def period_start(period: Period, today: dt.date) -> dt.date | None:
    """The first day a period covers (the same date `years` years ago), or None for all results."""
    if period.years is None:
        return None
    try:
        return today.replace(year=today.year - period.years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - period.years, day=28)


def within(measure: MeasureView, period: Period, today: dt.date) -> MeasureView:
    """The measure with only the results the period covers."""
    start = period_start(period, today)
    if start is None:
        return measure
    return measure.model_copy(update={"series": [p for p in measure.series if p.date >= start],
                                      "home_series": [p for p in measure.home_series if p.date >= start]})


def _span(period: Period, today: dt.date) -> str:
    return f"{day(period_start(period, today))} to {day(today)}"


def period_title(period: Period, today: dt.date, measure: MeasureView | None = None) -> str:
    """What a chart covers, in words: "Last 5 years: 25 November 2021 to 25 November 2026", or
    "All results: 10 May 2016 to 12 October 2026" (the first and last result's dates)."""
    if period.years is not None:
        return f"{period.label}: {_span(period, today)}"
    points = _points(measure) if measure is not None else []
    if not points:
        return period.label
    return f"{period.label}: {day(points[0].date)} to {day(points[-1].date)}"


def period_note(full: MeasureView, shown: MeasureView, period: Period, today: dt.date) -> str:
    """Which results the chart and its table show, and how to see the rest, e.g. "Showing the last
    5 years (25 November 2021 to 25 November 2026): 10 of 21 results. Choose “All results” to see
    the 11 older ones." """
    total, kept = len(full.series), len(shown.series)
    if period.years is None:
        return "Showing the 1 result." if total == 1 else f"Showing all {total:,} results."
    where = f"the {period.label.lower()} ({_span(period, today)})"
    if kept == total:
        return f"Showing {where}: " + ("the 1 result." if total == 1 else f"all {total:,} results.")
    older = total - kept
    see = f"Choose “{PERIODS[-1].label}” to see " + ("the older one." if older == 1 else f"the {older:,} older ones.")
    if kept:
        return f"Showing {where}: {kept:,} of {total:,} results. {see}"
    last = full.series[-1]
    latest = value_words(last.value, full.display_unit, last.comparator, last.text)
    see = f"Choose “{PERIODS[-1].label}” to see " + ("it." if total == 1 else f"all {total:,}.")
    return f"No results in {where}. The latest was {latest} on {day(last.date)}. {see}"


def _points(measure: MeasureView):
    return [p for p in measure.series if p.value is not None]


def _home_points(measure: MeasureView):
    return [p for p in measure.home_series if p.value is not None]


def _home_trace(measure: MeasureView) -> go.Scatter | None:
    points = _home_points(measure)
    if not points:
        return None
    unit = measure.display_unit
    hover = [f"{day(p.date)}: {value_words(p.value, unit, p.comparator)} (home reading"
             + (f", {CONTEXT_WORDS[p.context]}" if p.context in CONTEXT_WORDS else "") + ")" for p in points]
    return go.Scatter(
        x=[p.date for p in points], y=[p.value for p in points], mode="markers", name=HOME_LEGEND,
        marker={"size": 9, "color": HOME_COLOUR, "symbol": HOME_SYMBOL, "line": {"width": 1, "color": HOME_COLOUR}},
        text=hover, hovertemplate="%{text}<extra></extra>", _validate=False,
    )


def measure_figure(measure: MeasureView, period: Period | None = None, today: dt.date | None = None) -> go.Figure:
    """A trend line of a measure over time, with its target band shaded and labelled. Given a
    period, the figure's title names it and its time axis spans it (up to today)."""
    points = _points(measure)
    unit = measure.display_unit
    kinds = [verdicts.verdict(measure, p) for p in points]
    hover = [
        f"{day(p.date)}: {value_words(p.value, unit, p.comparator)}"
        + (f" ({verdicts.WORDS[kind]})" if verdicts.WORDS[kind] else "")
        for p, kind in zip(points, kinds)
    ]
    layout = {
        "template": "simple_white",
        "height": 380,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        # The key in words, below the plot area (never over the data, on a phone either).
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top",
                   "font": {"size": 13}},
        "font": {"family": "Arial, Helvetica, sans-serif", "color": NHS_DARK, "size": 14},
        "yaxis": {"title": unit},
        "hoverlabel": {"bgcolor": "white"},
        "xaxis": {"tickformat": "%-d %B %Y", "title": {}},
    }
    values = [p.value for p in (*points, *_home_points(measure))] or [0.0]
    low, high = measure.target_low, measure.target_high
    band = None
    if measure.target and (low is not None or high is not None):
        span = [v for v in (*values, low, high) if v is not None]
        pad = (max(span) - min(span)) * 0.15 or abs(max(span)) * 0.1 or 1.0
        y0 = low if low is not None else min(min(span) - pad, 0.0 if min(span) >= 0 else min(span) - pad)
        y1 = high if high is not None else max(span) + pad
        layout["shapes"] = [{"type": "rect", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y0,
                             "y1": y1, "fillcolor": NHS_GREEN, "opacity": 0.12, "line": {"width": 0},
                             "layer": "below"}]
        # The target's label is a legend entry, not an annotation: on a phone a label inside the
        # plot area lay over the data line (issue 18).
        band = go.Scatter(x=[None], y=[None], mode="markers", name=f"Shaded band: target {measure.target}",
                          marker={"symbol": "square", "size": 14, "color": NHS_GREEN, "opacity": 0.35},
                          hoverinfo="skip", _validate=False)
    if period is not None and today is not None:
        layout["title"] = {"text": period_title(period, today, measure), "font": {"size": 14}}
        layout["margin"]["t"] = 50
        start = period_start(period, today)
        if start is not None:
            pad = dt.timedelta(days=max(3, (today - start).days // 60))
            layout["xaxis"]["range"] = [(start - pad).isoformat(), (today + pad).isoformat()]
    # Built in one go without plotly's per-property validation, which took three quarters of a
    # chart's time on a long series, nor its update_* calls, which parse every property path
    # (bench/README.md); tests/test_charts.py validates the same figure instead.
    # One line through every result, then one marker trace per verdict present, so the legend
    # names each marker shape in words.
    line = go.Scatter(
        x=[p.date for p in points], y=[p.value for p in points], mode="lines",
        name=measure.plain_name, line={"color": NHS_BLUE, "width": 2}, hoverinfo="skip", showlegend=False,
        _validate=False,
    )
    traces = [line]
    for kind in dict.fromkeys(kinds):
        chosen = [n for n, k in enumerate(kinds) if k == kind]
        traces.append(go.Scatter(
            x=[points[n].date for n in chosen], y=[points[n].value for n in chosen], mode="markers",
            name=_legend_name(kind, measure),
            marker={"size": 10, "color": NHS_BLUE, "symbol": SYMBOLS[kind], "line": {"width": 2, "color": NHS_BLUE}},
            text=[hover[n] for n in chosen], hovertemplate="%{text}<extra></extra>",
            _validate=False,
        ))
    home = _home_trace(measure)
    if home is not None:
        traces.append(home)
    if band is not None:
        traces.append(band)
    return go.Figure(data=traces, layout=layout, _validate=False)


def _legend_name(kind: str, measure: MeasureView) -> str:
    if kind != "none":
        return LEGEND_WORDS[kind]
    if verdicts.has_target_bounds(measure):
        return "Result (cannot be compared with the target)"
    return "Result"


def describe(measure: MeasureView, whose: str = "your") -> str:
    """One sentence for the chart: how many results, over what time, the latest and the target.

    e.g. "5 results from 3 March 2022 to 4 June 2026; latest 58 mmol/mol, above your target of 53
    mmol/mol (source: NICE NG28)."
    """
    points = _points(measure)
    if not points:
        words = [p.text for p in measure.series if p.text]
        return (f"No numeric results for {measure.plain_name}" + (f"; latest recorded as “{words[-1]}”." if words else ".")
                + home_sentence(measure))
    unit = measure.display_unit
    first, last = points[0], points[-1]
    count = "1 result" if len(points) == 1 else f"{len(points)} results"
    span = f"on {day(first.date)}" if len(points) == 1 else f"from {day(first.date)} to {day(last.date)}"
    sentence = f"{count} {span}; latest {value_words(last.value, unit, last.comparator)}"
    side = off_target(measure)
    target_owner = f"{whose} personal" if measure.target_personal else whose  # "your" only to the patient
    source = source_words(measure.target_source)
    if side in ("above", "below"):
        sentence += f", {outside_words(measure, side, target_owner)} (source: {source})"
    elif measure.target and has_bounds(measure):
        sentence += f", within {target_owner} target ({measure.target}; source: {source})"
    elif measure.target:
        sentence += f"; for reference: {measure.target} (source: {source})"
    review = review_words(measure.target_verified) if measure.target else ""
    return sentence + "." + (f" {review}" if review else "") + home_sentence(measure)


def home_sentence(measure: MeasureView) -> str:
    """" Also 7 home readings from ... to ..., drawn as grey diamonds; ..." or "" when there are none."""
    points = _home_points(measure)
    if not points:
        return ""
    count = "1 home reading" if len(points) == 1 else f"{len(points)} home readings"
    span = f"on {day(points[0].date)}" if len(points) == 1 else f"from {day(points[0].date)} to {day(points[-1].date)}"
    return (f" Also {count} {span}, drawn as grey diamonds; home readings are not compared with the target"
            " and never count as a check.")


def series_row(point, measure: MeasureView) -> dict[str, str]:
    """One result as a table row: its date and value in words, and the same verdict the chart's
    marker and legend give (conditions/verdict.py)."""
    return {
        "Date": day(point.date),
        "Result": value_words(point.value, measure.display_unit, point.comparator, point.text),
        "How it compares": verdicts.words(measure, point),
    }


def home_row(point, measure: MeasureView) -> dict[str, str]:
    """One home reading as a table row, marked "home" in its value and in how it compares."""
    when = f", {CONTEXT_WORDS[point.context]}" if point.context in CONTEXT_WORDS else ""
    return {
        "Date": day(point.date),
        "Result": f"{value_words(point.value, measure.display_unit, point.comparator)} (home{when})",
        "How it compares": HOME_WORDS,
    }


def table_points(measure: MeasureView) -> list:
    """The GP's results and the home readings together, newest first (GP first on the same day)."""
    both = [(p.date, 1, n, p) for n, p in enumerate(measure.series)]
    both += [(p.date, 0, n, p) for n, p in enumerate(measure.home_series)]
    return [p for *_, p in sorted(both, key=lambda t: t[:3], reverse=True)]


def table_row(point, measure: MeasureView) -> dict[str, str]:
    """A row of `table_points`: a home reading's, or a GP result's."""
    return home_row(point, measure) if isinstance(point, HomePoint) else series_row(point, measure)


def series_rows(measure: MeasureView) -> list[dict[str, str]]:
    """The chart's data as table rows, newest first, with dates and values in words."""
    return [table_row(point, measure) for point in table_points(measure)]


def has_chart(measure: MeasureView) -> bool:
    """Whether there is anything to draw (at least one numeric result or home reading)."""
    return bool(_points(measure) or _home_points(measure))
