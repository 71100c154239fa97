"""Outside attack on issue 20 (branch atk20): CSV files of home readings in the shapes devices and
their apps export. Each test marked xfail(strict=True) failed on main when written and says what
should happen; unmarked tests pin what held. Nothing here fixes the code.

Every file is written here by hand; the comment on each says which real export's shape it copies
(column names, separators, date and number formats as those apps write them). Today is frozen at
25 November 2026 (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ltc_dashboard.cli.main import main
from ltc_dashboard.intake.reading_csv import CsvUnusable, read
from test_durability import DEMO

TODAY = dt.date(2026, 11, 25)


def csv_of(text: str | bytes, **options):
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return read(data, "p1", TODAY, "patient", **options)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(db_path, capsys) -> Path:
    """A store holding the demo diabetes record (data/demo/diabetes.json)."""
    assert run(capsys, "import", DEMO, "--db", db_path)[0] == 0
    return db_path


def listed(capsys, db) -> list[list[str]]:
    code, out, _ = run(capsys, "reading", "list", "--patient", "dm-patient", "--db", db)
    assert code == 0
    return [line.split("\t") for line in out.splitlines()]


# -- breaks ---------------------------------------------------------------------------------------
def test_an_unclosed_quote_in_a_note_never_makes_later_rows_vanish():
    """Shape: an Omron Connect style export (Date, Time, SYS, DIA, Pulse, Notes) where the person's
    note begins with a quote and never closes it ("felt dizzy). The csv module then reads the rest of
    the file as that one cell. Every row of the file must be either kept or named as rejected."""
    found = csv_of('Date,Time,SYS (mmHg),DIA (mmHg),Pulse (bpm),Notes\n'
                   '12/11/2026,07:30,138,86,70,"felt dizzy\n'
                   '13/11/2026,07:30,139,87,70,\n'
                   '14/11/2026,07:30,140,88,70,\n')
    assert len(found.good) + len(found.rejected) == 3


def test_a_very_long_cell_is_a_plain_error_not_a_crash():
    """Shape: a 200 KB notes cell (a pasted diary) in an otherwise ordinary export, well under the
    5 MB limit. The csv module refuses fields over 131072 characters; the person should get a
    sentence (CsvUnusable), not a traceback."""
    with pytest.raises(CsvUnusable):
        csv_of('Date,Time,SYS,DIA,Notes\n12/11/2026,07:30,138,86,"' + "x" * 200_000 + '"\n')


def test_a_utf16_export_is_read():
    """Shape: Excel's "Unicode Text" save (UTF-16 LE with a byte order mark, tab separated), the
    usual way a person re-saves a device's file before uploading it. It is text; its readings
    should be read (or the message should say the encoding, not that it is "not text")."""
    found = csv_of("Date\tTime\tSYS\tDIA\n12/11/2026\t07:30\t138\t86\n".encode("utf-16"))
    assert [r.value_text for r in found.readings] == ["138/86 mmHg"]


def test_an_excel_separator_line_is_skipped():
    """Shape: a semicolon CSV as Excel writes it in European locales, starting with the line
    `sep=;` that tells Excel the separator, with decimal commas (Withings/iHealth re-saved)."""
    found = csv_of("sep=;\nDate;Time;Weight (kg)\n12/11/2026;07:30;82,5\n")
    assert [r.value for r in found.readings] == [82.5]


def test_a_month_first_file_never_misdates_its_ambiguous_rows():
    """Shape: a US export (iHealth/Omron US: MM/DD/YYYY). 11/13 and 11/14 can only be month first,
    so the file is month first; 11/05/2026 is 5 November, not 11 May. Either the whole file is read
    month first, or the ambiguous row is refused: never kept on the wrong day."""
    found = csv_of("Date,Time,SYS,DIA\n11/13/2026,07:30,138,86\n11/14/2026,07:30,138,86\n11/05/2026,07:30,150,95\n")
    days = [r.day for r in found.readings]
    assert dt.date(2026, 5, 11) not in days


def test_twelve_hour_times_are_read():
    """Shape: Omron Connect and iHealth exports in English locales write times as "7:30 PM". A file
    of them imports nothing today; 7:30 PM is 19:30 UK time."""
    found = csv_of("Date,Time,SYS,DIA\n12/11/2026,7:30 PM,138,86\n12/11/2026,12:05 AM,130,80\n")
    assert [r.taken_at.strftime("%H:%M") for r in found.readings] == ["19:30", "00:05"]


def test_a_unit_column_in_mg_per_dl_is_converted_or_refused():
    """Shape: glucose meter software (OneTouch Reveal, Contour Diabetes app) writes the value and a
    separate Unit column ("mg/dL") instead of a unit in the header. 112 mg/dL is 6.2 mmol/L; kept as
    112 mmol/L it is a reading no meter can show (they read "HI" above 33.3 mmol/L)."""
    found = csv_of("Date,Time,Glucose,Unit\n12/11/2026,07:30,112,mg/dL\n")
    assert all(r.value < 34 for r in found.readings)


def test_a_title_line_above_the_header_does_not_hide_the_header():
    """Shape: LibreView's glucose export: line 1 "Glucose Data,Generated on,<date>,Generated by,<name>",
    the real header on line 2 (Device, Serial Number, Device Timestamp, Record Type, Historic
    Glucose mmol/L, Scan Glucose mmol/L). Naming the columns (--column) should be enough to read it;
    today the header the person can choose from is the title line, so it can never be read."""
    data = ("Glucose Data,Generated on,25-11-2026 10:00 UTC,Generated by,A Person\n"
            "Device,Serial Number,Device Timestamp,Record Type,Historic Glucose mmol/L,Scan Glucose mmol/L\n"
            "FreeStyle LibreLink,ABC123,12-11-2026 07:30,0,6.2,\n")
    found = csv_of(data, chosen={"datetime": "Device Timestamp", "glucose": "Historic Glucose mmol/L"})
    assert [r.value for r in found.readings] == [6.2]


def test_a_row_repeated_in_one_file_is_saved_once(capsys, db, tmp_path):
    """Shape: a device that re-sends its memory to the app on each sync, so the app's export lists
    the same measurement twice (same time and values). docs/rules: "a reading already kept (same
    kind, moment and values) is not added again" -- the copy inside the file is the same reading."""
    path = tmp_path / "weight.csv"
    path.write_text("Date,Time,Weight (kg)\n12/11/2026,07:30,82.5\n12/11/2026,07:30,82.5\n")
    run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert len(listed(capsys, db)) == 1


def test_the_same_file_with_seconds_imported_twice_adds_nothing(capsys, db, tmp_path):
    """Shape: a Withings blood pressure export ("Date","Heart rate","Systolic","Diastolic") whose
    dates carry seconds ("2026-11-12 07:30:15"), as most apps write them. Issue 20 brief: "the same
    reading imported twice" must not make two readings."""
    path = tmp_path / "withings_bp.csv"
    path.write_text('"Date","Heart rate","Systolic","Diastolic","Comments"\n'
                    '"2026-11-12 07:30:15",70,138,86,""\n"2026-11-12 19:02:41",68,134,84,""\n')
    assert run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)[0] == 0
    code, out, _ = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert "2 already kept" in out and len(listed(capsys, db)) == 2


@pytest.mark.parametrize("header, cell, expected", [("Weight (lb)", "181,5", 82.3),
                                                    ("Blood glucose (mg/dL)", "99,0", 5.5)])
def test_a_decimal_comma_under_a_unit_header_is_still_converted(header, cell, expected):
    """Shape: a Withings export (English headers with the unit in brackets, ISO dates with seconds)
    re-saved by Excel in a European locale: semicolons and decimal commas. The check accepts a
    decimal comma, but the unit conversion only matches a decimal point, so the number is kept in
    the wrong unit -- more than double the weight, or a blood sugar 18 times too high."""
    found = csv_of(f"Date;{header}\n2026-11-12 07:30:00;{cell}\n")
    assert [r.value for r in found.readings] == [expected]


def test_checking_what_is_already_kept_grows_with_the_rows_not_their_square(capsys, db, tmp_path, monkeypatch):
    """Shape: a LibreView-like glucose file (a reading every 15 minutes, ISO timestamps), one year
    per file: 35,000 rows, under the 50,000-row limit. The second year's file shares no reading
    with the first. Counted here with 1,000 kept and 1,000 new rows (no clock, so no flakiness):
    a lookup by moment needs about one comparison a row; today it makes one per pair."""
    import datetime as dt

    from ltc_dashboard.intake import reading_csv
    from ltc_dashboard.store import Store

    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    stamps = [(start + dt.timedelta(minutes=15 * n)).isoformat() for n in range(2000)]
    store = Store(db)
    store.add_readings("dm-patient", [{"kind": "glucose", "value": 6.0, "unit": "mmol/L", "taken_at": t,
                                       "context": "other", "author": "patient"} for t in stamps[:1000]])
    store.close()
    path = tmp_path / "sensor.csv"
    path.write_text("timestamp,glucose\n" + "".join(f"{t},6.1\n" for t in stamps[1000:]))
    calls = []
    real = reading_csv.same  # the comparison lives beside the reader; the service asks it (not_kept)
    monkeypatch.setattr(reading_csv, "same", lambda a, b: calls.append(1) or real(a, b))
    assert run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)[0] == 0
    assert len(calls) <= 10 * 2000, f"{len(calls):,} comparisons for 1,000 rows against 1,000 kept"


def test_meal_tags_that_name_the_meal_are_read():
    """Shape: glucose meter apps (Accu-Chek/mySugr-like "Meal" column) tag readings by the meal:
    "Before breakfast", "After lunch", "Before dinner". Those are before and after a meal, which
    the app has words for."""
    found = csv_of("Date,Time,Blood Glucose (mmol/L),Meal\n12/11/2026,07:30,5.8,Before breakfast\n"
                   "12/11/2026,14:00,8.1,After lunch\n12/11/2026,18:00,6.0,Before dinner\n")
    assert [r.context for r in found.readings] == ["before_meal", "after_meal", "before_meal"]


# -- held -----------------------------------------------------------------------------------------
def test_bom_quoted_headers_and_crlf_are_read():
    """Shape: Omron Connect (UTF-8 with BOM, every cell quoted, CRLF line ends, units in brackets)."""
    found = csv_of(b'\xef\xbb\xbf"Date","Time","Systolic (mmHg)","Diastolic (mmHg)","Pulse (bpm)"\r\n'
                   b'"12/11/2026","07:30","138","86","70"\r\n')
    assert [r.value_text for r in found.readings] == ["138/86 mmHg, pulse 70"]


def test_mg_per_dl_in_the_header_is_converted():
    """Shape: mySugr-like export with the unit in the header ("Blood Glucose (mg/dL)") and a meal tag."""
    found = csv_of("Date,Time,Blood Glucose (mg/dL),Meal\n12/11/2026,07:30,112,Before meal\n")
    assert [(r.value, r.context) for r in found.readings] == [(6.2, "before_meal")]


def test_withings_weight_in_pounds_and_semicolons_with_decimal_commas():
    """Shapes: Withings weight export in lb ("Weight (lb)", ISO date with seconds), and a semicolon
    file with decimal commas (European Excel)."""
    assert [r.value for r in csv_of('Date,Weight (lb),Fat mass (lb)\n"2026-11-12 07:30:00",181.5,40\n').readings] == [82.3]
    assert [r.value for r in csv_of("Date;Time;Weight (kg)\n12/11/2026;07:30;82,5\n").readings] == [82.5]


def test_ragged_rows_blank_lines_and_trailing_columns_are_not_a_crash():
    """Shape: hand-edited files: a blank line, a trailing comma, a short row."""
    found = csv_of("Date,Time,SYS,DIA\n\n12/11/2026,07:30,138,86,,,\n13/11/2026,07:30\n")
    assert [r.value_text for r in found.readings] == ["138/86 mmHg"] and [line for line, _ in found.rejected] == [4]


def test_formulas_in_a_file_are_rejected_not_kept():
    """Shape: CSV injection (`=HYPERLINK(...)`, `=cmd|...`) in the value and the meal-tag cells: the
    rows are rejected; nothing of the formula is kept as a reading."""
    found = csv_of('Date,Time,Glucose,Context\n12/11/2026,07:30,6.2,"=HYPERLINK(""http://x"")"\n'
                   "12/11/2026,08:30,=cmd|' /C calc'!A0,other\n")
    assert found.good == [] and [line for line, _ in found.rejected] == [2, 3]


def test_a_file_over_the_size_limit_is_refused_whole():
    """A 6 MB file (a year of per-minute CGM data, 5 MB limit) is refused with a sentence."""
    row = "12/11/2026,07:30,6.2\n"
    with pytest.raises(CsvUnusable, match="larger than"):
        csv_of("Date,Time,Glucose\n" + row * (6_000_000 // len(row)))
