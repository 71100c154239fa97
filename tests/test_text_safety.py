"""Record text is shown as text everywhere (issue 13 item 9): Markdown images, links, HTML and
shortcodes in any record field reach no page, sheet, PDF or download as markup, and bidi and
zero-width characters are neutralised. The record is tests/hostile_record.py's (hand-made).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from ltc_dashboard import textsafe
from test_leaks import TODAY  # 2026-11-25, the frozen day of tests/conftest.py
from ltc_dashboard.exports.csv_results import results_csv
from hostile_record import CARER_VIEWER, PID, TRAP, payload, resources
from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from test_app_support import APP, PATIENT_PAGES, SHARED_PAGES, TIMEOUT, go, no_errors, pages_for
from test_leaks import pdf_text

CARER_PAGES = ["overview", "condition", "results", "medications", "letters", "care_plan", "questions", "feedback"]
VIEWERS = {"patient": PATIENT_PAGES + ["feedback"], "clinic": SHARED_PAGES, CARER_VIEWER: CARER_PAGES}
# What would be markup if a record's text were read as Markdown or HTML.
MARKUP = ("![img](", "![other](", "<img", "[link](javascript", "**bold**", ":material/home:")
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]")


def unescaped(markdown: str) -> str:
    """What Markdown source shows once its backslash escapes are read: `\\*` is a literal `*`."""
    return re.sub(r"\\(.)", r"\1", markdown)


def live_markup(markdown: str) -> list[str]:
    """The markup fragments that Markdown source still holds unescaped (so would render)."""
    bare = re.sub(r"\\.", "", markdown)  # escaped characters removed: what remains is live
    return [m for m in MARKUP if m in bare]


@pytest.fixture
def hostile_db(tmp_path, monkeypatch):
    """A store holding only the hostile record, chosen through LTC_DB."""
    path = tmp_path / "hostile.db"
    store = Store(path)
    report = import_items(store, resources(TODAY))
    assert not report.rejected, report.rejected
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))
    return path


# -- the one place per medium ------------------------------------------------------------------

def test_plain_removes_bidi_zero_width_and_control_characters():
    """textsafe.plain drops every bidi control, zero-width and control character and keeps the words."""
    text = "a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl\u061cm\u200bn\u200co\u200dp\u2060q\ufeffr\x00s\x1bt"
    assert textsafe.plain(text) == "abcdefghijklmnopqrst"
    assert textsafe.plain("one\r\ntwo\rthree\u2028four") == "one\ntwo\nthree\nfour"


def test_markdown_escapes_every_construct_that_could_fetch_link_or_format():
    """textsafe.markdown and markdown_line leave no image, link, HTML, emphasis, reference or shortcode live."""
    hostile = payload("x")
    for escaped in (textsafe.markdown(hostile), textsafe.markdown_line(hostile)):
        bare = re.sub(r"\\.", "", escaped)
        for fragment in ("![", "](", "<img", "**", "&#8238;", ":material/", "\u202e", "\u200b"):
            assert fragment not in bare, (fragment, escaped)
        assert "desrever" in unescaped(escaped) and "https://evil.example/x.png" in unescaped(escaped)
    assert textsafe.markdown_line("# heading") == "\\# heading"
    assert textsafe.markdown_line("a | b") == "a \\| b"


def test_xml_csv_and_json_escape_for_their_medium():
    """reportlab text is XML-escaped, a formula-looking CSV cell gets an apostrophe, JSON keeps the data exactly."""
    assert textsafe.xml('<img src="x">&\u202e') == "&lt;img src=&quot;x&quot;&gt;&amp;"
    assert textsafe.csv_cell('=IMAGE("https://evil.example/p.png")') == "'=IMAGE(\"https://evil.example/p.png\")"
    assert textsafe.csv_cell(5) == 5
    value = {"t": "x\u202ey\u200b\U000e0041"}
    written = textsafe.json_text(value)
    assert not INVISIBLE.search(written) and "\\u202e" in written
    assert json.loads(written) == value


# -- the sheet, the PDF and the downloads --------------------------------------------------------

@pytest.mark.parametrize("viewer", ["patient", "clinic", CARER_VIEWER])
def test_sheet_pdf_and_downloads_show_record_text_as_text(hostile_db, viewer):
    """The Markdown sheet, the PDF, the results CSV and the FHIR export hold every hostile field as words, never markup or bidi controls."""
    service = Service(Store(hostile_db))
    who = Viewer.parse(PID, viewer)
    summary = service.summary(who, TODAY)
    sheet = summary_markdown(summary)
    assert not live_markup(sheet), live_markup(sheet)
    assert not INVISIBLE.search(sheet)
    assert f"![img]({TRAP}/medicine.png)" in unescaped(sheet)  # the medicine is listed, as words
    assert "desrever" in sheet
    text = pdf_text(service.export(who, TODAY, "pdf").data)
    assert not INVISIBLE.search(text)
    assert "![img](" in text and "<img src=" in text  # the words, not an image or a tag
    rows = list(csv.reader(io.StringIO(service.export(who, TODAY, "csv").data.decode("utf-8-sig"))))
    assert not INVISIBLE.search(json.dumps(rows, ensure_ascii=False))
    assert any("result-value" in cell for row in rows for cell in row)
    fhir = service.export(who, TODAY, "fhir").data.decode("utf-8")
    assert not INVISIBLE.search(fhir) and "\\u202e" in fhir
    names = [e["resource"] for e in json.loads(fhir)["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert names[0]["name"][0]["text"] == payload("name")  # exactly as stored


def test_csv_formula_cells_are_quoted():
    """A result whose words start like a spreadsheet formula is written with a leading apostrophe."""
    from ltc_dashboard.record.models import LabResult, PatientRecord

    record = PatientRecord(results=[LabResult(id="o1", name='=IMAGE("https://evil.example/p.png")',
                                              value_text='=HYPERLINK("https://evil.example")')])
    rows = list(csv.DictReader(io.StringIO(results_csv(record))))
    assert rows[0]["measure"].startswith("'=") and rows[0]["value"].startswith("'=")


def test_rectification_letter_writes_record_and_comment_text_as_text(hostile_db):
    """The letter asking the practice to correct the record holds the entry's and the comment's words escaped."""
    service = Service(Store(hostile_db))
    who = Viewer.parse(PID, "patient")
    service.flag_entry(who, TODAY, "MedicationRequest/hz-med", "looks_wrong", payload("comment"))
    letter = service.rectification_request(who, TODAY)
    assert not live_markup(letter) and not INVISIBLE.search(letter)
    assert f"![img]({TRAP}/comment.png)" in unescaped(letter)


# -- every page ----------------------------------------------------------------------------------

def markdown_sources(at: AppTest) -> list[str]:
    """Every string the last run handed Streamlit as Markdown: markdown, captions, headings, alerts,
    widget and expander labels, and table cells (st.table reads Markdown)."""
    found = []
    for node in at._tree:
        kind = getattr(node, "type", None)
        proto = getattr(node, "proto", None)
        if kind in ("table", "arrow_data_frame"):
            frame = node.value
            found += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
        elif proto is not None:
            for name in ("body", "label", "help"):
                value = getattr(proto, name, None)
                if isinstance(value, str) and value:
                    found.append(value)
    return found


def everything(at: AppTest) -> str:
    """Every proto of the last run as text, options and values included."""
    return "\n".join(str(node.proto) for node in at._tree if getattr(node, "proto", None) is not None)


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_every_page_shows_hostile_record_text_as_text(hostile_db, viewer):
    """On every page each viewer can open, record text reaches Streamlit's Markdown only escaped, and no bidi or zero-width character reaches any element."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["patient"] = PID
    at.query_params["viewer"] = viewer
    at.run()
    no_errors(at)
    shown_fields = set()
    for page in pages_for(at, VIEWERS[viewer]):
        go(at, page)
        no_errors(at)
        sources = markdown_sources(at)
        live = [(m, s[:120]) for s in sources for m in live_markup(s)]
        assert not live, (page, live)
        invisible = INVISIBLE.findall(everything(at))
        assert not invisible, (page, invisible)
        shown_fields |= {f for f in ("name", "medicine", "letter-title", "plan-title", "goal", "result-name")
                         if any(f"{f} **bold**" in unescaped(s) for s in sources)}
    # Not vacuous: the hostile fields were on the pages, as words.
    assert {"name", "medicine", "letter-title"} <= shown_fields, shown_fields


def test_letter_reader_shows_hostile_body_as_text(hostile_db):
    """The letter reader draws a plain-text letter's body escaped, its bidi controls removed."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["patient"] = PID
    at.query_params["viewer"] = "patient"
    go(at.run(), "letters")
    no_errors(at)
    bodies = [m.value for m in at.markdown if "letter-body" in unescaped(m.value)]
    assert bodies and not live_markup(bodies[0]) and not INVISIBLE.search(bodies[0])


def test_cli_prints_record_text_without_control_or_bidi_characters(hostile_db, capsys):
    """`ltc patients` and `ltc summary --format json` print the hostile name with no bidi, zero-width or escape character."""
    from ltc_dashboard.cli import main as cli

    assert cli.main(["patients", "--db", str(hostile_db)]) == 0
    assert cli.main(["summary", "--patient", PID, "--format", "json", "--db", str(hostile_db)]) == 0
    out = capsys.readouterr().out
    assert "name **bold**" in out and not INVISIBLE.search(out)
    assert "\\u202e" in out  # the JSON still says exactly what the record holds
