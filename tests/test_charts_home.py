"""Home readings on the charts and in the results tables (issue 20): a marker shape and colour of
their own, a legend entry in words, words in the hover, the sentence and the table ("home"), never
a verdict against the target; the GP's markers are the same with or without them. The measures are
built here by hand."""

from __future__ import annotations

import datetime as dt

from conditions.base import MeasureView, SeriesPoint
from conditions.series import HomePoint
from pages import charts


def systolic(home: list[tuple[dt.date, float]] = ()) -> MeasureView:
    return MeasureView(
        id="bp_systolic", name="Systolic blood pressure", plain_name="blood pressure (top number)", unit="mm[Hg]",
        display_unit="mmHg", target="below 140 mmHg", target_high=140, target_high_inclusive=False,
        target_source="NICE NG136", target_verified=True,
        series=[SeriesPoint(date=dt.date(2026, 3, 1), value=150, id="g1"),
                SeriesPoint(date=dt.date(2026, 9, 1), value=132, id="g2")],
        home_series=[HomePoint(date=d, value=v, id=f"home/{n}", text=f"{v:g}/80 mmHg")
                     for n, (d, v) in enumerate(home, start=1)],
    )


WEEK = [(dt.date(2026, 11, 18 + n), 150 + n) for n in range(3)]


def traces_by_name(figure) -> dict:
    """The traces with a legend entry, by its words."""
    return {trace.name: trace for trace in figure.data if trace.name and trace.showlegend is not False}


def test_home_readings_have_their_own_marker_colour_and_legend_words():
    """One trace named in words, diamond shaped and grey; the GP's traces are unchanged."""
    without, with_home = charts.measure_figure(systolic()), charts.measure_figure(systolic(WEEK))
    home = traces_by_name(with_home)[charts.HOME_LEGEND]
    assert home.marker.symbol == "diamond" and home.marker.color != charts.NHS_BLUE
    assert [float(v) for v in home.y] == [150, 151, 152]
    assert all("(home reading)" in words for words in home.text)
    gp = {n: list(t.y) for n, t in traces_by_name(without).items()}
    assert {n: list(t.y) for n, t in traces_by_name(with_home).items() if n != charts.HOME_LEGEND} == gp
    assert charts.HOME_LEGEND not in traces_by_name(without)


def test_home_readings_above_the_target_get_no_verdict():
    """Home readings above the clinic target are not called "Above the target" anywhere."""
    figure = charts.measure_figure(systolic(WEEK).model_copy(update={"series": []}))
    assert set(traces_by_name(figure)) == {charts.HOME_LEGEND, "Shaded band: target below 140 mmHg"}
    rows = charts.series_rows(systolic(WEEK))
    assert [r["How it compares"] for r in rows if "(home" in r["Result"]] == [charts.HOME_WORDS] * 3


def test_the_table_marks_home_rows_and_keeps_newest_first():
    """The table interleaves GP results and home readings newest first; home rows say "home"."""
    rows = charts.series_rows(systolic(WEEK))
    assert [r["Date"] for r in rows] == ["20 November 2026", "19 November 2026", "18 November 2026",
                                         "1 September 2026", "1 March 2026"]
    assert rows[0]["Result"] == "152 mmHg (home)" and rows[3]["How it compares"] == "within the target"


def test_the_sentence_says_how_many_home_readings_and_how_they_are_drawn():
    """The chart's text alternative adds the home readings in words, and that they are not compared."""
    sentence = charts.describe(systolic(WEEK))
    assert sentence.endswith("Also 3 home readings from 18 November 2026 to 20 November 2026, drawn as grey "
                             "diamonds; home readings are not compared with the target and never count as a check.")
    assert "home" not in charts.describe(systolic())


def test_only_home_readings_still_draw_a_chart_and_the_period_keeps_them_in_range():
    """A measure with only home readings has a chart; a period leaves out older home readings too."""
    only = systolic([(dt.date(2020, 1, 1), 140), *WEEK]).model_copy(update={"series": []})
    assert charts.has_chart(only)
    shown = charts.within(only, charts.PERIODS[0], dt.date(2026, 11, 25))
    assert [p.value for p in shown.home_series] == [150, 151, 152]
