"""The pages for issue 20's second part: the overview says the home blood pressure average in
words, the diabetes view shows the home blood sugar panel, and the Home readings page lets the
person choose a file's columns once, keeps the choice for the next file and keeps the preview,
count and rejected-row flow. Inputs: the demo store (tests/test_app_support.py), readings and CSV
files written here by hand."""

from __future__ import annotations

from test_app_support import (  # noqa: F401  (fixtures)
    DIABETES, demo_db, demo_db_template, go, no_errors, open_app, open_expanders, texts,
)


def _service(demo_db):
    from ltc_dashboard.service.core import open_service

    return open_service(str(demo_db))


def _me():
    from ltc_dashboard.gate.access import Viewer

    return Viewer(kind="patient", patient_id=DIABETES)


def test_the_overview_says_the_home_average_in_words(demo_db):
    """A hand-written week (12 to 18 November, 4 readings a day) shows on the overview as the line."""
    from ltc_dashboard import settings

    svc = _service(demo_db)
    for day in range(12, 19):
        for time in ("07:00", "07:01", "19:00", "19:01"):
            svc.add_reading(_me(), settings.today(), "bp", "138/86", f"2026-11-{day} {time}")
    at = go(open_app(DIABETES), "overview")
    no_errors(at)
    shown = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert "Home blood pressure: average 138/86 mmHg from 24 readings, 12 to 18 November 2026" in shown


def test_the_diabetes_view_shows_home_blood_sugar_against_the_usual_ranges(demo_db):
    """Two readings before a meal (type 2 diabetes in the demo): the panel is shown and says in words
    why no usual range is given for type 2 (NG28 gives none), judging neither reading."""
    from ltc_dashboard import settings

    svc = _service(demo_db)
    svc.add_reading(_me(), settings.today(), "glucose", "6.1", "2026-11-20 07:30", context="before a meal")
    svc.add_reading(_me(), settings.today(), "glucose", "9.4", "2026-11-21 07:30", context="before a meal")
    at = open_expanders(go(open_app(DIABETES), "condition"))
    no_errors(at)
    shown = texts(at).replace("\\", "")
    assert "Home blood sugar readings against the usual ranges" in shown
    from conditions.home_glucose import NO_RANGE

    assert NO_RANGE["type2"] in shown
    assert "usual range of" not in shown


# Hand-written: a monitor app's export whose header names none of the roles this app knows.
ODD_FILE = b"When,Top,Bottom\n12/11/2026 07:30,138,86\n12/11/2026 07:31,400,86\n13/11/2026 21:00,136,84\n"


def upload(at, data: bytes):
    at.file_uploader[0].set_value(("readings.csv", data, "text/csv"))
    return at.run()


def select(at, label: str):
    return next(s for s in at.selectbox if s.label == label)


def test_the_person_chooses_the_columns_once_and_the_choice_is_kept(demo_db):
    """A file whose header says nothing: refused in words with the column selects open; once the
    person chooses When, Top and Bottom the count, the rejected line and the preview show; the
    choice is in the preferences and the next file with that header is read straight away."""
    at = go(open_app(DIABETES), "home_readings")
    at = upload(at, ODD_FILE)
    assert "No date column" in at.error[0].value.replace("\\", "")
    assert not [b for b in at.button if b.key == "hr-file-save"]
    select(at, "Date and time").set_value("When")
    select(at, "Top number (systolic)").set_value("Top")
    select(at, "Bottom number (diastolic)").set_value("Bottom")
    at.button(key="hr-col-save").click().run()
    no_errors(at)
    shown = texts(at)
    assert "**2** blood pressure readings can be kept, **1** cannot" in shown
    assert "Line 3 cannot be kept" in at.warning[0].value.replace("\\", "")
    import json

    from ltc_dashboard.exports.own_content import CSV_COLUMNS_PREFERENCE

    kept = json.loads(_service(demo_db).preferences(DIABETES)[CSV_COLUMNS_PREFERENCE])
    assert kept == {"datetime": "When", "diastolic": "Bottom", "systolic": "Top"}
    again = upload(go(open_app(DIABETES), "home_readings"), ODD_FILE)  # a new session: from the preferences
    no_errors(again)
    assert "**2** blood pressure readings can be kept, **1** cannot" in texts(again)
    again.button(key="hr-file-save").click().run()
    assert "Saved 2 readings." in [s.value for s in again.success]


def test_one_column_for_two_roles_is_refused_and_nothing_is_kept(demo_db):
    """Top chosen for both numbers: a plain error, no preference kept, no save offered."""
    at = upload(go(open_app(DIABETES), "home_readings"), ODD_FILE)
    select(at, "Date and time").set_value("When")
    select(at, "Top number (systolic)").set_value("Top")
    select(at, "Bottom number (diastolic)").set_value("Top")
    at.button(key="hr-col-save").click().run()
    assert any("chosen for two things" in e.value for e in at.error)
    from ltc_dashboard.exports.own_content import CSV_COLUMNS_PREFERENCE

    assert CSV_COLUMNS_PREFERENCE not in _service(demo_db).preferences(DIABETES)
    assert not [b for b in at.button if b.key == "hr-file-save"]


def test_the_pages_with_home_readings_speak_plainly_to_the_person_and_the_shared_screen(demo_db):
    """With a home week and blood sugars, the overview, the diabetes view, the sheet page and the
    Home readings page hold no internal reference, no "unverified" and no brackets in brackets."""
    from ltc_dashboard import settings

    from test_app_words import wording_problems

    svc = _service(demo_db)
    for day in range(12, 19):
        svc.add_reading(_me(), settings.today(), "bp", "141/88", f"2026-11-{day} 07:00")
    svc.add_reading(_me(), settings.today(), "glucose", "9.4", "2026-11-21 10:30", context="after a meal")
    for kind in ("patient", "clinic"):
        for name in ("overview", "condition", "home_readings"):
            at = open_expanders(go(open_app(DIABETES, kind), name))
            no_errors(at)
            assert not wording_problems(at), (kind, name, wording_problems(at))
            if name == "overview":
                assert "Home blood pressure: average 141/88 mmHg" in texts(at).replace("\\", "")
