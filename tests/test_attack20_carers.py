"""Outside attack on issue 20 (branch atk20): a carer and the person importing the same device file,
and readings dated where the person cannot have taken them. Each test marked xfail(strict=True)
failed on main when written and says what should happen.

Inputs: the demo records (data/demo via tests/test_exports_support.py; dem-patient's daughter is a
carer whose Consent is given the `correct` action as tests/test_feedback.py does) and a CSV file
written here by hand in the shape of an Omron Connect export (Date, Time, SYS (mmHg), DIA (mmHg),
Pulse (bpm)).
"""

from __future__ import annotations

import pytest

from ltc_dashboard.cli.main import main
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

OMRON_WEEK = "Date,Time,SYS (mmHg),DIA (mmHg),Pulse (bpm)\n" + "".join(
    f"{day}/11/2026,{time},{142 + day % 3},{88 + day % 2},70\n" for day in range(12, 19) for time in ("07:30", "19:30"))


def test_the_same_file_imported_by_the_person_and_their_carer_is_kept_once(service, tmp_path, capsys):
    """Shape: one blood pressure monitor at home, its app's export imported by the person and, not
    knowing, by the daughter who helps her (she may add: consent action `correct`). docs/rules:
    "a reading already kept (same kind, moment and values) is not added again", and
    ltc_dashboard/intake/reading_csv.py `same` says "whoever entered it". The week must not count 28 readings."""
    allow_corrections(service)
    path = tmp_path / "omron.csv"
    path.write_text(OMRON_WEEK)
    db = str(service._store.path)
    for who in ("patient", DAUGHTER):
        assert main(["reading", "import", str(path), "--patient", "dem-patient", "--as", who, "--db", db]) == 0
    capsys.readouterr()
    assert len(service._store.readings("dem-patient")) == 14


def test_a_reading_dated_before_the_person_was_born_is_refused(service):
    """Input: a typo in the year ("12/11/1926" for 2026) in the form, a file or `--at`. dm-patient
    was born long after 1926; a reading then is not one the person took, and it stretches every
    chart's "All" period back a century. The check refuses dates before 1900 already; the
    person's birth date is the real limit."""
    from ltc_dashboard.record.readings import ReadingInvalid

    me = viewer("dm-patient")
    born = service.summary(me, today()).patient.birth_date
    assert born is not None and born.year > 1926
    with pytest.raises(ReadingInvalid):
        service.add_reading(me, today(), "weight", "80", "12/11/1926 07:30")
