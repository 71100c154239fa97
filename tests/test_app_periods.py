"""Long records on the pages: charts open on the last 5 years with a choice of the last year or
all results, say which period they show, and long tables list 25 rows at a time, newest first,
with the count of all rows and a way to reach older ones.

The demo diabetes patient has HbA1c results from 2016 to 2026 (21 results, 10 in the last 5
years); the benchmark's 2,500-resource record (bench/scale.py) has 20 years of results and letters,
more than a table lists at once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json

import pytest

from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.store import Store
from pages import charts
from test_app_support import DIABETES, demo_db, demo_db_template, go, no_errors, open_app  # noqa: F401
from tests.conftest import ROOT, TODAY

FIVE_YEARS_AGO = dt.date(2021, 11, 25)
ALL = charts.PERIODS[-1]


def figures(at) -> list[dict]:
    """The plotly figures the last run drew, as their JSON specs."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def lines(at) -> list[str]:
    """Markdown and captions the last run drew, without Markdown escapes."""
    return [e.value.replace("\\", "") for e in (*at.markdown, *at.caption)]


def open_hba1c_table(at) -> None:
    """Open the HbA1c table's expander, as a click does: its rows are made only while it is open
    (pages/ui.open_expander)."""
    at.session_state["open-rows-diabetes-hba1c"] = True
    at.run()
    no_errors(at)


def hba1c_table(at):
    """The table inside the HbA1c expander (opened first), as a DataFrame."""
    box = next(e for e in at.expander if e.label == "Table of blood sugar (HbA1c) results")
    if not box.table:
        open_hba1c_table(at)
        box = next(e for e in at.expander if e.label == "Table of blood sugar (HbA1c) results")
    return box.table[0].value


@pytest.fixture(scope="module")
def long_db(tmp_path_factory):
    """A store holding bench/scale.py's 2,500-resource record (20 years, one patient)."""
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    path = tmp_path_factory.mktemp("long") / "long.db"
    store = Store(path)
    assert not import_items(store, scale.resources(2_500)).rejected
    store.close()
    return path, scale.PATIENT_ID


@pytest.fixture
def long_app(long_db, monkeypatch):
    """The app opened on the long record as its patient."""
    path, patient = long_db
    monkeypatch.setenv("LTC_DB", str(path))
    return open_app(patient, "patient")


def test_charts_open_on_the_last_five_years_and_say_so(demo_db):
    """By default each chart shows the last 5 years, names them in its title and under it, says how
    many older results it leaves out, and still shades the target band."""
    at = go(open_app(DIABETES, "patient"), "condition")
    no_errors(at)
    assert at.radio(key="period-diabetes").value == charts.DEFAULT_PERIOD
    assert [o for o in at.radio(key="period-diabetes").options] == ["Last year", "Last 5 years", "All results"]
    hba1c = figures(at)[0]
    assert hba1c["layout"]["title"]["text"] == "Last 5 years: 25 November 2021 to 25 November 2026"
    assert len(hba1c["data"][0]["y"]) == 10
    assert min(dt.date.fromisoformat(x[:10]) for x in hba1c["data"][0]["x"]) >= FIVE_YEARS_AGO
    assert hba1c["layout"]["shapes"] and any(t.get("name", "").startswith("Shaded band: target") for t in hba1c["data"])
    assert ("Showing the last 5 years (25 November 2021 to 25 November 2026): 10 of 21 results. "
            "Choose “All results” to see the 11 older ones.") in lines(at)
    table = hba1c_table(at)
    assert len(table) == 10 and table.iloc[0]["Date"] == "12 October 2026"
    assert "Showing all 10 results from the last 5 years, newest first." in lines(at)


def test_choosing_all_results_charts_every_point(demo_db):
    """"All results" charts and lists every HbA1c result, and the title gives the whole span."""
    at = go(open_app(DIABETES, "patient"), "condition")
    at.radio(key="period-diabetes").set_value(ALL).run()
    no_errors(at)
    hba1c = figures(at)[0]
    assert hba1c["layout"]["title"]["text"] == "All results: 10 May 2016 to 12 October 2026"
    assert len(hba1c["data"][0]["y"]) == 21
    assert "Showing all 21 results." in lines(at)
    assert any(l.startswith("21 results from 10 May 2016 to 12 October 2026; latest 61 mmol/mol, above your "
                            "personal target of 53 mmol/mol") for l in lines(at))
    assert len(hba1c_table(at)) == 21


def test_last_year_shows_only_the_last_year(demo_db):
    """"Last year" charts only results since the same date a year ago, and says so."""
    at = go(open_app(DIABETES, "patient"), "condition")
    at.radio(key="period-diabetes").set_value(charts.PERIODS[0]).run()
    no_errors(at)
    hba1c = figures(at)[0]
    assert hba1c["layout"]["title"]["text"] == "Last year: 25 November 2025 to 25 November 2026"
    assert all(dt.date.fromisoformat(x[:10]) >= dt.date(2025, 11, 25) for x in hba1c["data"][0]["x"])
    assert any(l.startswith("Showing the last year (25 November 2025 to 25 November 2026): ") for l in lines(at))


def test_results_page_lists_entries_in_pages_of_25_newest_first(long_app):
    """Every HbA1c entry of a 20-year record is reachable 25 at a time, newest first, with the
    count of all entries; the result to comment on is one of those listed."""
    at = go(long_app, "results")
    no_errors(at)
    at.text_input(key="results_search").input("HbA1c").run()
    every = at.selectbox(key="results_every_hba1c")
    total = int(next(l for l in lines(at) if l.startswith("Showing 1 to 25 of ")).split(" of ")[1].split()[0])
    assert total > 25
    assert f"Showing 1 to 25 of {total} entries, newest first." in lines(at)
    first = next(t.value for t in at.main.table if "Status" in t.value.columns)
    assert len(first) == 25
    assert every.options[0] == "1 to 25 (newest)" and every.options[-1].endswith("(oldest)")
    every.select_index(len(every.options) - 1).run()
    no_errors(at)
    last = next(t.value for t in at.main.table if "Status" in t.value.columns)
    assert len(last) == total - 25 * (len(every.options) - 1)
    assert f"Showing {total - len(last) + 1} to {total} of {total} entries, newest first." in lines(at)
    oldest, newest = (dt.datetime.strptime(d, "%d %B %Y").date() for d in (last.iloc[-1]["Date"], first.iloc[0]["Date"]))
    assert oldest < newest
    assert len(at.selectbox(key="results_flag_hba1c").options) == len(last)


def test_letters_list_25_at_a_time_with_the_count(long_app):
    """The letters of a long record are listed 25 at a time, newest first, saying how many there
    are; the oldest are a choice away, and the letter to read is one of those listed."""
    at = go(long_app, "letters")
    no_errors(at)
    rows = at.selectbox(key="letters_rows")
    caption = next(l for l in lines(at) if l.startswith("Showing 1 to 25 of "))
    total = int(caption.split(" of ")[1].split()[0])
    assert total > 25 and caption == f"Showing 1 to 25 of {total} letters, newest first."
    assert len(at.main.table[0].value) == 25
    assert len(at.selectbox(key="letters_open").options) == 25
    rows.select_index(len(rows.options) - 1).run()
    no_errors(at)
    assert len(at.main.table[0].value) == total - 25 * (len(rows.options) - 1)
    assert len(at.selectbox(key="letters_open").options) == len(at.main.table[0].value)


def test_a_long_chart_table_lists_25_rows_and_reaches_the_oldest(long_app):
    """With "All results" on a 20-year record, the table under a chart says how many results it
    holds and lists the oldest on its last page."""
    at = go(long_app, "condition")
    at.radio(key="period-diabetes").set_value(ALL).run()
    no_errors(at)
    hba1c = figures(at)[0]
    dates = sorted(dt.date.fromisoformat(x[:10]) for x in hba1c["data"][0]["x"])
    count = len(dates)
    assert count > 25 and dates[-1] <= TODAY
    open_hba1c_table(at)
    assert f"Showing 1 to 25 of {count} results, newest first." in lines(at)
    rows = at.selectbox(key="rows-diabetes-hba1c")
    rows.select_index(len(rows.options) - 1).run()
    no_errors(at)
    oldest = hba1c_table(at).iloc[-1]["Date"]
    assert dt.datetime.strptime(oldest, "%d %B %Y").date() == dates[0]


def test_a_measure_table_is_made_only_when_its_expander_is_opened(demo_db):
    """A chart's table is not made while its expander is closed (issue 18: closed expanders were
    made, sent and drawn on every run), and opening it draws the rows the chart shows."""
    at = go(open_app(DIABETES, "patient"), "condition")
    no_errors(at)
    box = next(e for e in at.expander if e.label == "Table of blood sugar (HbA1c) results")
    assert not box.proto.expanded and len(box.children) == 0
    closed = len(at.main.table)  # the checks table
    assert len(hba1c_table(at)) == 10
    box = next(e for e in at.expander if e.label == "Table of blood sugar (HbA1c) results")
    assert box.proto.expanded and len(at.main.table) == closed + 1
