"""Device files of home readings read as their apps write them (issue 20, after the attack on branch
atk20): which way round a file writes its dates, 12-hour times, units in a Unit column or after the
number, a title line above the header, Excel's `sep=` line, and "already kept" across the person and
their carer (a count only). Every file is written here by hand in the shape of a real export named
in its test's docstring; today is frozen at 25 November 2026 (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.cli.main import main
from ltc_dashboard.intake.reading_csv import header_of, read
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

TODAY = dt.date(2026, 11, 25)


def csv_of(text: str, **options):
    return read(text.encode("utf-8"), "p1", TODAY, "patient", **options)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- which way round the dates are ------------------------------------------------------------------
def test_a_day_over_12_in_the_second_place_reads_the_whole_file_month_first():
    """Shape: an iHealth (US) export, MM/DD/YYYY: 11/13 shows month first, so 11/05 is 5 November."""
    found = csv_of("Date,Time,SYS,DIA\n11/13/2026,07:30,138,86\n11/05/2026,07:30,150,95\n")
    assert [r.day for r in found.readings] == [dt.date(2026, 11, 13), dt.date(2026, 11, 5)]
    assert found.dates.order == "month-first" and "line 2" in found.dates.why and not found.rejected


def test_a_day_over_12_in_the_first_place_reads_the_whole_file_day_first():
    """Shape: an Omron Connect (UK) export, DD/MM/YYYY: 13/11 shows day first, so 05/11 is 5 November."""
    found = csv_of("Date,Time,SYS,DIA\n05/11/2026,07:30,150,95\n13/11/2026,07:30,138,86\n")
    assert [r.day for r in found.readings] == [dt.date(2026, 11, 5), dt.date(2026, 11, 13)]


def test_a_file_ambiguous_throughout_refuses_those_rows_naming_both_dates_until_the_person_says():
    """Shape: a week of readings from 3 to 9 November written 03/11/2026 ... (either way round, both
    days in the past): no row is kept on a guessed day; each is named with the two days it could be;
    the person's word (--dates, or the page's choice) reads them."""
    text = "Date,Time,Weight (kg)\n" + "".join(f"0{d}/11/2026,07:30,82.{d}\n" for d in range(3, 10))
    found = csv_of(text)
    assert found.good == [] and len(found.rejected) == 7 == len(found.both_ways)
    assert found.rejected[0] == (2, "'03/11/2026 07:30' could be 3 November 2026 (day first) or 11 March 2026 "
                                    "(month first), and no row of this file shows which way round it writes "
                                    "dates. Say which way round the file writes dates, then import it again.")
    assert csv_of(text, date_order="day-first").readings[0].day == dt.date(2026, 11, 3)
    assert csv_of(text, date_order="month-first").readings[0].day == dt.date(2026, 3, 11)


def test_a_row_whose_other_reading_is_after_today_shows_the_way():
    """12/11/2026 on 25 November 2026 cannot be 11 December: the file is day first, so 05/11 is 5 November."""
    found = csv_of("Date,Weight\n05/11/2026,82\n12/11/2026,81\n")
    assert [r.day for r in found.readings] == [dt.date(2026, 11, 5), dt.date(2026, 11, 12)]
    assert "after today" in found.dates.why


def test_rows_showing_both_ways_refuse_the_rows_that_could_be_either():
    """A file with 13/11 (day first) and 11/14 (month first) is not one device's: 05/11 is refused."""
    found = csv_of("Date,Weight\n13/11/2026,82\n11/14/2026,81\n05/11/2026,80\n")
    assert [line for line, _ in found.rejected] == [4] and "both ways" in found.rejected[0][1]
    assert [r.day for r in found.readings] == [dt.date(2026, 11, 13), dt.date(2026, 11, 14)]


def test_a_month_first_file_with_a_day_that_does_not_exist_says_so():
    """02/30/2026 in a month-first file is refused with the way round the file was read."""
    found = csv_of("Date,Weight\n11/13/2026,82\n02/30/2026,81\n")
    assert found.rejected[0][0] == 3 and "month first" in found.rejected[0][1] and found.both_ways == []


def test_the_cli_says_how_it_read_the_dates_and_takes_dates(capsys, service, tmp_path):
    """`ltc reading import` prints the way round it read the dates and why; --dates decides an ambiguous file."""
    path = tmp_path / "ihealth.csv"
    path.write_text("Date,Time,SYS,DIA\n11/13/2026,07:30,138,86\n")
    db = str(service._store.path)
    code, out, _ = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 0 and "dates: read month first (line 2, '11/13/2026 07:30', can only be month first)" in out
    path.write_text("Date,Time,SYS,DIA\n03/11/2026,07:30,138,86\n")
    code, _, err = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 1 and "--dates day-first or --dates month-first" in err
    code, out, _ = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--dates", "day-first",
                       "--db", db)
    assert code == 0 and "as you said" in out
    assert [r["taken_at"][:10] for r in service._store.readings("dm-patient")] == ["2026-11-03", "2026-11-13"]


# -- times, units, tags ------------------------------------------------------------------------------
@pytest.mark.parametrize("cell, expected", [("7:30 PM", "19:30"), ("12:00 PM", "12:00"), ("12:05 am", "00:05"),
                                            ("7:30p.m.", "19:30"), ("07:30:59", "07:30")])
def test_twelve_hour_times_and_seconds(cell, expected):
    """Shape: Omron Connect (English locale) writes 7:30 PM; others write seconds."""
    found = csv_of(f"Date,Time,SYS,DIA\n13/11/2026,{cell},138,86\n")
    assert [f"{r.taken_at:%H:%M}" for r in found.readings] == [expected]


@pytest.mark.parametrize("cell", ["13:30 PM", "0:30 AM", "7:75"])
def test_a_time_that_is_no_time_is_refused_by_line(cell):
    found = csv_of(f"Date,Time,SYS,DIA\n13/11/2026,{cell},138,86\n")
    assert found.good == [] and found.rejected[0][0] == 2 and "is not a date and time" in found.rejected[0][1]


@pytest.mark.parametrize("unit, value, expected", [("mg/dL", "112", 6.2), ("mmol/L", "6.2", 6.2),
                                                   ("MG/DL", '"99,0"', 5.5), ("", "6.2", 6.2)])
def test_a_unit_column_is_read_per_row(unit, value, expected):
    """Shape: OneTouch Reveal (a Unit column beside the value): mg/dL by the factor 18.016
    (clinical-reference §1.2, units.csv)."""
    found = csv_of(f"Date,Time,Glucose,Unit\n13/11/2026,07:30,{value},{unit}\n")
    assert [r.value for r in found.readings] == [expected]


@pytest.mark.parametrize("header, cell, words", [
    ("Glucose,Unit", "6.2,mmol/mol", "The unit 'mmol/mol' is not one this app reads for blood sugar"),
    ("Weight,Unit", "82,g", "is not one this app reads for weight"),
    ("Glucose (mmol/L),Unit", "112,mg/dL", "given two ways"),
    ("SYS,DIA,Unit", "18,11,kPa", "is not one this app reads for blood pressure"),
    ("SYS (kPa),DIA (kPa)", "18,11", "is not one this app reads for blood pressure"),
])
def test_a_unit_that_is_unknown_or_contradicted_refuses_the_row(header, cell, words):
    """A unit the app cannot convert is refused by line: the number is never kept as if in the UK unit."""
    found = csv_of(f"Date,{header}\n13/11/2026,{cell}\n")
    assert found.good == [] and words in found.rejected[0][1]


def test_units_written_after_the_number_and_blood_pressure_with_mmhg():
    """Cells as some apps write them: "112 mg/dL", "181,5 lb", "138/86 mmHg"."""
    assert [r.value for r in csv_of("Date,Glucose\n13/11/2026,112 mg/dL\n").readings] == [6.2]
    assert [r.value for r in csv_of('Date,Weight\n13/11/2026,"181,5 lb"\n').readings] == [82.3]
    assert [r.value_text for r in csv_of("Date,Blood pressure\n13/11/2026,138/86 mmHg\n").readings] == ["138/86 mmHg"]


@pytest.mark.parametrize("tag, code", [("Before breakfast", "before_meal"), ("After lunch", "after_meal"),
                                       ("pre-dinner", "before_meal"), ("Post supper", "after_meal"),
                                       ("Fasting", "waking"), ("Bedtime", "bedtime")])
def test_meal_tags(tag, code):
    """Shape: Accu-Chek/mySugr-like meal tags."""
    found = csv_of(f"Date,Time,Glucose,Meal\n13/11/2026,07:30,5.8,{tag}\n")
    assert [r.context for r in found.readings] == [code]


# -- the file's shape ---------------------------------------------------------------------------------
def test_a_title_line_and_excel_separator_line_are_skipped_and_lines_keep_their_numbers():
    """Shape: a semicolon file Excel saved (`sep=;` first), then a title line with its date, then the header."""
    found = csv_of("sep=;\nExport 25-11-2026;A Person\nDate;Time;Weight (kg)\n13/11/2026;07:30;82,5\n"
                   "14/11/2026;07:30;heavy\n")
    assert [r.value for r in found.readings] == [82.5] and [line for line, _ in found.rejected] == [5]


def test_the_columns_offered_to_choose_from_are_the_header_below_a_title_line():
    """Shape: LibreView's glucose export (a title line with its date, then the real header): the page's
    column chooser offers the header's names, not the title's."""
    data = (b"Glucose Data,Generated on,25-11-2026 10:00 UTC,Generated by,A Person\n"
            b"Device,Serial Number,Device Timestamp,Record Type,Historic Glucose mmol/L\n"
            b"FreeStyle LibreLink,ABC123,12-11-2026 07:30,0,6.2\n")
    assert header_of(data)[:3] == ["Device", "Serial Number", "Device Timestamp"]
    assert header_of(b"") == [] and header_of(b"\n\n") == []


def test_a_recognised_header_below_a_title_line_is_found_without_naming_columns():
    """Shape: a title line above an ordinary header ("Blood pressure log" then Date,SYS,DIA)."""
    found = csv_of("Blood pressure log for,A Person\nDate,SYS,DIA\n13/11/2026 07:30,138,86\n")
    assert [r.value_text for r in found.readings] == ["138/86 mmHg"]


def test_every_row_after_an_unclosed_quote_is_kept_or_named():
    """A note's quote left open never swallows the rows after it; the lines keep their numbers."""
    found = csv_of('Date,Weight,Note\n13/11/2026,82,"felt\n14/11/2026,81,\n15/11/2026,x,\n')
    assert [line for line, _ in found.good] == [2, 3] and [line for line, _ in found.rejected] == [4]


# -- already kept: the person and their carer ---------------------------------------------------------
OMRON = "Date,Time,SYS (mmHg),DIA (mmHg)\n13/11/2026,07:30,142,88\n13/11/2026,19:30,140,86\n13/11/2026,19:30,140,86\n"


def test_a_carer_importing_the_persons_file_adds_nothing_and_learns_only_a_count(service, tmp_path, capsys):
    """Shape: an Omron Connect export (with a row its app repeated) imported by the person, then by
    their daughter (consent action `correct`): the daughter is told "2 already kept", nothing is
    added, and she is shown nothing of the person's other readings."""
    allow_corrections(service)
    path = tmp_path / "omron.csv"
    path.write_text(OMRON)
    db = str(service._store.path)
    code, out, _ = run(capsys, "reading", "import", path, "--patient", "dem-patient", "--db", db)
    assert code == 0 and "line 4 repeats line 3: kept once" in out and "Saved 2 reading(s)" in out
    run(capsys, "reading", "add", "--patient", "dem-patient", "--kind", "weight", "--value", "61.4",
        "--at", "2026-11-14 08:00", "--db", db)
    code, out, err = run(capsys, "reading", "import", path, "--patient", "dem-patient", "--as", DAUGHTER, "--db", db)
    assert code == 0 and "2 already kept" in out and "Saved 0 reading(s)" in out
    assert "61.4" not in out + err and "142/88" not in out + err
    assert len(service._store.readings("dem-patient")) == 3
    code, out, _ = run(capsys, "reading", "list", "--patient", "dem-patient", "--as", DAUGHTER, "--db", db)
    assert code == 0 and out == ""


def test_a_carer_who_may_not_add_cannot_ask_what_is_kept(service):
    """The count is for a viewer who may add: one who may not is refused before anything is compared."""
    from ltc_dashboard.service.readings import ReadingRefused

    found = csv_of(OMRON)
    with pytest.raises(ReadingRefused):
        service.not_yet_kept(viewer("dem-patient", DAUGHTER), TODAY, found.readings)
