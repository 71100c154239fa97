"""`ltc reading add|list|import` (issue 20) and the CSV reader behind it: clear errors with the
exit statuses of the rest of `ltc`, nothing saved from a file with a rejected row unless
--accept-valid, each rejected row named by line with its reason. The CSV files are written here by
hand in the shape the issue describes (a header row, a date and time column or a date and a time
apart, value columns, units in brackets as device apps write them); the record is data/demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltc_dashboard.cli.main import main
from ltc_dashboard.intake.reading_csv import CsvUnusable, read
from test_durability import DEMO
from test_exports_support import today

BP_WEEK = (
    "Date,Time,SYS (mmHg),DIA (mmHg),Pulse (bpm)\n"
    "12/11/2026,07:30,138,86,70\n"
    "12/11/2026,07:31,400,86,70\n"
    "\n"
    "13/11/2026,21:00,136,84,\n"
    "31/11/2026,07:30,130,80,60\n"
)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(db_path, capsys) -> Path:
    """A store holding the demo diabetes record."""
    assert run(capsys, "import", DEMO, "--db", db_path)[0] == 0
    return db_path


def listed(capsys, db, *who) -> list[list[str]]:
    code, out, _ = run(capsys, "reading", "list", "--patient", "dm-patient", *who, "--db", db)
    assert code == 0
    return [line.split("\t") for line in out.splitlines()]


def test_add_then_list(capsys, db):
    """A reading added as 138/86 lists with its id, time with offset, kind, value and author."""
    code, out, _ = run(capsys, "reading", "add", "--patient", "dm-patient", "--kind", "bp", "--value", "138/86",
                       "--at", "2026-11-12 07:30", "--db", db)
    assert code == 0 and "138/86 mmHg" in out
    run(capsys, "reading", "add", "--patient", "dm-patient", "--kind", "glucose", "--value", "6.4",
        "--context", "before a meal", "--at", "2026-11-13T12:00+00:00", "--db", db)
    assert listed(capsys, db) == [
        ["1", "2026-11-12T07:30:00+00:00", "bp", "138/86 mmHg", "", "patient"],
        ["2", "2026-11-13T12:00:00+00:00", "glucose", "6.4 mmol/L", "before a meal", "patient"],
    ]


def test_a_bad_reading_exits_2_with_every_reason_and_saves_nothing(capsys, db):
    """Upside-down numbers and a future date: exit 2, both reasons on stderr, nothing listed."""
    code, _, err = run(capsys, "reading", "add", "--patient", "dm-patient", "--kind", "bp", "--value", "86/138",
                       "--at", "2026-12-01 07:30", "--db", db)
    assert code == 2
    assert "wrong way round" in err and "in the future" in err and "nothing was saved" in err
    assert listed(capsys, db) == []


def test_without_at_on_a_frozen_day_asks_for_it(capsys, db):
    """With today frozen (tests) the clock's now is another day, so --at is asked for, not guessed."""
    code, _, err = run(capsys, "reading", "add", "--patient", "dm-patient", "--kind", "weight", "--value", "80",
                       "--db", db)
    assert code == 2 and "--at" in err


@pytest.mark.parametrize("who", ["clinic", "proxy:RelatedPerson/nobody"])
def test_a_viewer_who_may_not_add_is_refused(capsys, db, who):
    """The shared screen and a carer without a consent to add are refused with exit 2."""
    code, _, err = run(capsys, "reading", "add", "--patient", "dm-patient", "--as", who, "--kind", "weight",
                       "--value", "80", "--at", "2026-11-12", "--db", db)
    assert code == 2 and "cannot add home readings" in err
    assert listed(capsys, db) == []


def test_unknown_patient_and_the_demo_records(capsys, db):
    """An unknown patient exits 2 naming `ltc patients`; with nothing imported (the demo records,
    no --db) readings are not kept in the demo store: exit 2 saying to import first."""
    code, _, err = run(capsys, "reading", "list", "--patient", "nobody", "--db", db)
    assert code == 2 and "ltc patients" in err
    code, _, err = run(capsys, "reading", "add", "--patient", "dm-patient", "--kind", "weight", "--value", "80",
                       "--at", "2026-11-12")
    assert code == 2 and "import the record first" in err


def test_import_with_a_rejected_row_saves_nothing_and_names_it(capsys, db, tmp_path):
    """Without --accept-valid a file with rejected rows saves nothing (exit 1); each row is named by
    its line with its reason, and the count of good rows is given."""
    path = tmp_path / "bp.csv"
    path.write_text(BP_WEEK)
    code, out, err = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 1
    assert "2 blood pressure reading(s) can be kept, 2 rejected" in out
    assert "(line 3): 400 mmHg is not a possible top number" in err
    assert "(line 6): '31/11/2026 07:30' is not a date and time" in err
    assert "nothing was saved" in err and listed(capsys, db) == []


def test_import_with_accept_valid_saves_the_good_rows_once(capsys, db, tmp_path):
    """--accept-valid saves the good rows (exit 1: some rejected); importing again adds nothing."""
    path = tmp_path / "bp.csv"
    path.write_text(BP_WEEK)
    assert run(capsys, "reading", "import", path, "--patient", "dm-patient", "--accept-valid", "--db", db)[0] == 1
    rows = listed(capsys, db)
    assert [r[1:4] for r in rows] == [["2026-11-12T07:30:00+00:00", "bp", "138/86 mmHg, pulse 70"],
                                      ["2026-11-13T21:00:00+00:00", "bp", "136/84 mmHg"]]
    code, out, _ = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--accept-valid", "--db", db)
    assert "2 already kept" in out and "Saved 0 reading(s)" in out and len(listed(capsys, db)) == 2


def test_a_clean_file_imports_with_exit_0(capsys, db, tmp_path):
    """A file with only good rows (semicolons, one date-time column, glucose in mg/dL) exits 0."""
    path = tmp_path / "glucose.csv"
    path.write_text("Timestamp;Blood glucose (mg/dL);Meal\n2026-11-20 07:00;108;fasting\n2026-11-20 13:00;144;after meal\n")
    code, out, _ = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 0 and "Saved 2 reading(s)" in out
    assert [r[3:5] for r in listed(capsys, db)] == [["6 mmol/L", "on waking"], ["8 mmol/L", "after a meal"]]


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("Value,Note\n80,x\n", "No date column"),
    ("Date,Note\n12/11/2026,x\n", "No column of readings"),
    ("Date,SYS\n12/11/2026,138\n", "no diastolic"),
    ("Date,Weight,Glucose\n12/11/2026,80,6\n", "say which to import"),
])
def test_a_file_that_is_not_readings_exits_2(capsys, db, tmp_path, text, words):
    """A file with no header, date or value column, or two kinds without --kind: exit 2, nothing saved."""
    path = tmp_path / "x.csv"
    path.write_text(text)
    code, _, err = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 2 and words in err and "Nothing was saved" in err
    assert listed(capsys, db) == []


def test_binary_and_missing_files_are_refused(capsys, db, tmp_path):
    """A file that is not text, and one that does not exist, exit 2 with a plain reason."""
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02Date")
    assert "not text" in run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)[2]
    code, _, err = run(capsys, "reading", "import", tmp_path / "none.csv", "--patient", "dm-patient", "--db", db)
    assert code == 2 and "cannot read" in err


def test_kind_picks_one_of_several_and_weight_units_in_the_header_convert():
    """--kind weight takes the weight column; a header in lb gives kg."""
    data = b"Date,Weight (lb),Glucose\n12/11/2026,180,6\n"
    found = read(data, "p", today(), "patient", kind="weight")
    assert [r.value for r in found.readings] == [81.6] and not found.rejected
    with pytest.raises(CsvUnusable):
        read(data, "p", today(), "patient", kind="bp")


def test_a_row_without_a_date_is_rejected_not_dated_now():
    """A row whose date cell is empty is rejected with a reason; it is never given today's date."""
    found = read(b"Date,Weight\n,80\n12/11/2026,81\n", "p", today(), "patient")
    assert found.rejected == [(2, "Say when the reading was taken.")] and len(found.good) == 1


def test_the_person_names_the_columns_the_header_does_not_say(capsys, db, tmp_path):
    """Headers the reader does not know are taken by --column ROLE=HEADER; an unknown header or
    role named there exits 2 with the file's columns, nothing saved."""
    path = tmp_path / "device.csv"
    path.write_text("Measured,Reading 1,Reading 2\n2026-11-20 07:00,141,88\n")
    base = ("reading", "import", path, "--patient", "dm-patient", "--db", db)
    code, _, err = run(capsys, *base)
    assert code == 2 and "'Measured', 'Reading 1', 'Reading 2'" in err
    code, _, err = run(capsys, *base, "--column", "datetime=Measured", "--column", "systolic=Reading 1",
                       "--column", "diastolic=Reading 3")
    assert code == 2 and "no column 'Reading 3'" in err
    code, _, err = run(capsys, *base, "--column", "colour=Reading 1")
    assert code == 2 and "not a column role" in err
    assert listed(capsys, db) == []
    code, out, _ = run(capsys, *base, "--column", "datetime=Measured", "--column", "systolic=reading 1",
                       "--column", "diastolic=Reading 2")
    assert code == 0 and [r[3] for r in listed(capsys, db)] == ["141/88 mmHg"]


def test_file_text_quoted_in_a_reason_cannot_drive_the_terminal(capsys, db, tmp_path):
    """A rejected cell and a header holding escape sequences and bidi overrides are quoted without them."""
    path = tmp_path / "x.csv"
    path.write_bytes("Date,Weight\n\x1b[2J\u202e12/11/2026,80\n".encode())
    code, _, err = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 1 and "(line 2):" in err
    assert "\x1b" not in err and "\u202e" not in err
    path.write_bytes("\x1b[31mWhen\u202e,Foo\n1,2\n".encode())
    code, _, err = run(capsys, "reading", "import", path, "--patient", "dm-patient", "--db", db)
    assert code == 2 and "No date column" in err and "\x1b" not in err and "\u202e" not in err
