"""The Home readings page with device files it cannot read alone (issue 20, after the attack on
branch atk20): a file with two kinds of reading asks which to import; a file whose dates could be
read either way round asks how it writes them. Inputs: the demo store (tests/test_app_support.py)
and CSV files written here by hand in the shapes of Withings Health Mate's combined export (Date,
Weight (kg), Systolic, Diastolic, Heart rate) and a UK weighing scale's app (Date, Time, Weight).
"""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    DIABETES, demo_db, demo_db_template, go, no_errors, open_app,
)

BOTH = (b"Date,Weight (kg),Systolic,Diastolic,Heart rate\n"
        b"2026-11-12 07:30:00,82.5,138,86,70\n2026-11-13 07:30:00,82.3,136,84,68\n")
EITHER_WAY = b"Date,Time,Weight (kg)\n03/11/2026,07:30,82.5\n04/11/2026,07:30,82.4\n"


def upload(data: bytes):
    at = go(open_app(DIABETES), "home_readings")
    no_errors(at)
    at.file_uploader[0].set_value(("readings.csv", data, "text/csv"))
    return at.run()


def home_lines(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Home**")]


def test_two_kinds_in_one_file_ask_which_and_save_only_that_kind(demo_db):
    """Nothing is read until the person chooses; choosing weight previews and saves the 2 weights only."""
    at = upload(BOTH)
    assert not at.exception and not at.error
    assert not [b for b in at.button if b.key == "hr-file-save"]
    at.selectbox(key="hr-file-kind-0").select("Weight").run()
    no_errors(at)
    assert "**2** weight readings can be kept, **0** cannot." in [m.value for m in at.markdown]
    at.button(key="hr-file-save").click().run()
    assert [line.split(": ")[1].split(". ")[0] for line in home_lines(at)] == ["82.3 kg", "82.5 kg"]


def test_dates_either_way_round_are_asked_and_never_guessed(demo_db):
    """03/11 and 04/11 (both days past either way): both rows are refused with the two dates until the
    person says the file is day first; then they are 3 and 4 November."""
    at = upload(EITHER_WAY)
    assert not at.exception
    assert "**0** weight readings can be kept, **2** cannot." in [m.value for m in at.markdown]
    assert "3 November 2026 (day first) or 11 March 2026 (month first)" in at.warning[1].value.replace("\\", "")
    options = at.radio(key="hr-file-dates-0").options
    assert options == ["Day first: 03/11/2026 is 3 November 2026", "Month first: 03/11/2026 is 11 March 2026"]
    at.radio(key="hr-file-dates-0").set_value(options[0]).run()
    no_errors(at)
    at.button(key="hr-file-save").click().run()
    assert [line.split(". ")[1].split(" at ")[0] for line in home_lines(at)] == ["4 November 2026", "3 November 2026"]
