"""The pure figure builders and the words pages use: charts carry their target band, and every
chart has a sentence and a table that say the same thing."""

from __future__ import annotations

import datetime as dt

from conditions.base import CheckView, MeasureView, SeriesPoint
from pages import charts, text


def hba1c(values, target_high=53.0, personal=False, verified=True, source="NICE NG28") -> MeasureView:
    days = [dt.date(2022, 3, 3), dt.date(2023, 1, 9), dt.date(2024, 5, 1), dt.date(2025, 2, 2), dt.date(2026, 6, 4)]
    return MeasureView(
        id="hba1c", name="Haemoglobin A1c (HbA1c)", plain_name="blood sugar (HbA1c)", unit="mmol/mol",
        display_unit="mmol/mol", target="53 mmol/mol or below", target_high=target_high,
        target_source=source, target_verified=verified, target_personal=personal,
        series=[SeriesPoint(date=d, value=v, flag="high" if v > 48 else "normal", id=f"o{n}")
                for n, (d, v) in enumerate(zip(days, values))],
    )


def test_describe_gives_count_span_latest_and_target():
    """The text alternative names how many results, over what dates, the latest and the target."""
    sentence = charts.describe(hba1c([50, 52, 49, 55, 58]))
    assert sentence.startswith("5 results from 3 March 2022 to 4 June 2026; latest 58 mmol/mol")
    assert "above your target of 53 mmol/mol (source: NICE NG28)" in sentence


def test_describe_marks_an_unverified_target_source():
    """A target the reference calls unverified says so once, in words, after the sentence (issue 15)."""
    sentence = charts.describe(hba1c([50, 52, 49, 55, 50], verified=False, source="local"), "the")
    assert sentence.endswith("within the target (53 mmol/mol or below; source: local). This aim is awaiting clinical review.")
    assert "(unverified)" not in sentence


def test_describe_without_numbers_says_so():
    """A measure with only text results still gets a plain sentence, not a chart."""
    measure = hba1c([]).model_copy(update={"series": [SeriesPoint(date=dt.date(2026, 1, 5), value=None, text="haemolysed", id="x")]})
    assert not charts.has_chart(measure)
    assert "No numeric results" in charts.describe(measure)


def test_figure_has_the_points_and_a_labelled_target_band():
    """The chart plots every numeric result, shades the target band and names it in the legend,
    with each result's hover words giving the verdict against that target (issue 18)."""
    fig = charts.measure_figure(hba1c([50, 52, 49, 55, 58]))
    assert list(fig.data[0].y) == [50, 52, 49, 55, 58]
    band = fig.layout.shapes[0]
    assert band.y1 == 53
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert "Shaded band: target 53 mmol/mol or below" in names
    hovers = [words for t in fig.data[1:] if t.text for words in t.text]
    assert "4 June 2026: 58 mmol/mol (above the target)" in hovers
    assert "3 March 2022: 50 mmol/mol (within the target)" in hovers  # the lab flagged it "high"


def test_verdicts_are_shapes_named_in_a_legend_not_only_colour():
    """Within and above the target use different marker shapes, each a legend entry in words."""
    fig = charts.measure_figure(hba1c([45, 52, 49, 55, 58]))
    markers = {t.name: t.marker.symbol for t in fig.data if t.mode == "markers" and t.x != (None,)}
    assert markers == {"Within the target": "circle", "Above the target": "triangle-up"}
    assert fig.layout.showlegend is True


def test_series_rows_are_newest_first_in_words():
    """The table alternative lists the same results, newest first, with readable dates and the
    chart's verdict in words."""
    rows = charts.series_rows(hba1c([50, 52, 49, 55, 58]))
    assert rows[0] == {"Date": "4 June 2026", "Result": "58 mmol/mol", "How it compares": "above the target"}
    assert rows[-1]["How it compares"] == "within the target"
    assert len(rows) == 5


def test_status_is_words_and_an_icon():
    """Every check status reads as words with an icon."""
    assert text.status_label("overdue") == "⚠️ Overdue"
    assert text.status_label("ok") == "✅ Up to date"
    assert text.status_label("never") == "❔ No record found"


def test_check_row_names_source_and_interval():
    """A check row carries the dates in words, how often, and its source with unverified said in words."""
    check = CheckView(id="acr", name="Urine test", last_done=dt.date(2025, 7, 14), due=dt.date(2026, 7, 14),
                      status="overdue", interval_days=365, source="NICE NG28", verified=False,
                      addressed_by="declined on 2026-03-03")
    row = text.check_row(check)
    assert row["Status"] == "⚠️ Overdue (declined on 3 March 2026)"
    assert row["Last done"] == "14 July 2025" and row["Next due"] == "14 July 2026"
    assert row["How often"] == "every year"
    assert row["Source"] == "NICE NG28. This interval is awaiting clinical review."


def test_interval_words():
    """Intervals read as people say them."""
    assert [text.interval_words(d) for d in (365, 730, 183, 91, 14, 1)] == [
        "every year", "every 2 years", "every 6 months", "every 3 months", "every 2 weeks", "every day"]


def test_target_line_names_its_source():
    """A target is never shown without where it comes from."""
    assert text.target_line(hba1c([50])) == "Target: 53 mmol/mol or below (source: NICE NG28)"
    untargeted = hba1c([50]).model_copy(update={"target": None})
    assert text.target_line(untargeted) == "No target is set for this measure."


def test_escape_markdown_keeps_text_plain():
    """Letter text cannot become links, HTML or formatting."""
    escaped = text.escape_markdown("[click](http://x) <b>bold</b> *a*\nnext")
    assert "\\[click\\]\\(http://x\\)" in escaped and "\\<b\\>" in escaped and "  \n" in escaped


def test_when_is_uk_local_time():
    """Access-log times are shown in UK time (BST in summer), with the date in words."""
    assert text.when("2026-07-01T13:05:00+00:00") == "1 July 2026, 14:05"
    assert text.when("2026-11-25T23:30:00+00:00") == "25 November 2026, 23:30"


def test_a_band_without_numbers_is_for_reference_not_a_target():
    """Stages such as MMSE bands are shown "for reference", never as a target met."""
    bands = hba1c([16]).model_copy(update={"target": "MMSE 10 to 20: moderate", "target_high": None, "target_low": None})
    assert text.target_line(bands).startswith("For reference: MMSE 10 to 20: moderate")
    assert "within" not in charts.describe(bands)


def test_a_source_is_shown_without_internal_references():
    """A source that reached a page unconverted loses its internal pointer and bracketed
    "(unverified)"; unverified is said by `review_words`, once (issue 15)."""
    assert text.source_words("[NG19] clinical-reference §4.2 (unverified)") == "NICE guideline NG19"
    assert text.source_words(None) == "source not recorded"
    assert text.review_words(False) == "This aim is awaiting clinical review."
    assert text.review_words(None) == text.review_words(True) == ""


def test_figure_is_valid_plotly():
    """The chart, built without plotly's validation for speed, passes plotly's validation."""
    import plotly.graph_objects as go

    for values in ([50, 52, 49, 55, 58], [61], []):
        go.Figure(charts.measure_figure(hba1c(values)).to_dict())  # raises on any invalid property


def test_periods_reach_back_from_today():
    """The last year and the last 5 years start on the same date that many years ago (28 February
    for 29 February); "All results" has no start."""
    last_year, five, every = charts.PERIODS
    assert charts.period_start(five, dt.date(2026, 11, 25)) == dt.date(2021, 11, 25)
    assert charts.period_start(last_year, dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert charts.period_start(every, dt.date(2026, 11, 25)) is None
    assert charts.DEFAULT_PERIOD == five


def test_a_period_keeps_its_results_and_says_what_it_leaves_out():
    """A chart for a period holds only that period's results, and the note says how many older
    ones "All results" shows, or the latest when none is recent."""
    today = dt.date(2027, 6, 1)
    measure = hba1c([50, 52, 49, 55, 58])
    last_year, five, every = charts.PERIODS
    recent = charts.within(measure, five, today)
    assert [p.value for p in recent.series] == [52, 49, 55, 58]
    assert charts.period_note(measure, recent, five, today) == (
        "Showing the last 5 years (1 June 2022 to 1 June 2027): 4 of 5 results. "
        "Choose “All results” to see the older one.")
    none = charts.within(measure, last_year, dt.date(2028, 1, 1))
    assert not none.series
    assert charts.period_note(measure, none, last_year, dt.date(2028, 1, 1)) == (
        "No results in the last year (1 January 2027 to 1 January 2028). The latest was 58 mmol/mol on "
        "4 June 2026. Choose “All results” to see all 5.")
    assert charts.period_note(measure, measure, every, today) == "Showing all 5 results."


def test_a_period_figure_names_the_period_and_spans_it():
    """The figure's title names the period and its dates; its time axis runs from the period's
    start to today; "All results" names the first and last result's dates."""
    import plotly.graph_objects as go

    today = dt.date(2026, 11, 25)
    five, every = charts.PERIODS[1:]
    fig = charts.measure_figure(charts.within(hba1c([50, 52, 49, 55, 58]), five, today), five, today)
    assert fig.layout.title.text == "Last 5 years: 25 November 2021 to 25 November 2026"
    start, end = fig.layout.xaxis.range
    assert start <= "2021-11-25" and end >= "2026-11-25"
    assert fig.layout.shapes[0].y1 == 53
    go.Figure(fig.to_dict())
    whole = charts.measure_figure(hba1c([50, 52, 49, 55, 58]), every, today)
    assert whole.layout.title.text == "All results: 3 March 2022 to 4 June 2026"
    assert whole.layout.xaxis.range is None


def test_the_target_label_is_a_legend_entry_below_the_plot_not_over_the_line():
    """No label is drawn inside the plot area (on a phone it lay over the data line, issue 18): the
    target is named by a legend entry, and the legend sits below the plot, outside its area."""
    for values in ([50, 52, 49, 55, 58], [61]):
        fig = charts.measure_figure(hba1c(values))
        assert not fig.layout.annotations
        assert fig.layout.legend.y < 0 and fig.layout.legend.orientation == "h"
        band = [t for t in fig.data if t.name == "Shaded band: target 53 mmol/mol or below"]
        assert len(band) == 1 and band[0].marker.color == charts.NHS_GREEN


def test_every_marker_shape_in_a_chart_has_a_legend_entry_in_words():
    """Each marker shape drawn is named once in the legend, and each name is words, not a symbol."""
    fig = charts.measure_figure(hba1c([45, 52, 49, 55, 58]))
    drawn = [t for t in fig.data if t.mode == "markers" and t.x != (None,)]
    assert len({t.marker.symbol for t in drawn}) == len(drawn) == len({t.name for t in drawn})
    assert all(t.showlegend is not False and t.name[:1].isupper() for t in drawn)
    assert sum(len(t.x) for t in drawn) == 5  # every result has its marker
