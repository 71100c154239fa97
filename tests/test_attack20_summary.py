"""Outside attack on issue 20 (branch atk20): typed readings at and past their boundaries, the NICE
NG136 home week, the glucose ranges by type of diabetes, what home readings reach on the sheet and
in the checks, who may add them (carers, the shared screen) and who sees them. Each test marked
xfail(strict=True) failed on main when written and says what should happen; unmarked tests pin
what held.

Inputs: the demo records (data/demo, through tests/test_exports_support.py: dm-patient has type 2
diabetes; dem-patient dementia, with carers dem-rp-daughter and dem-rp-son), readings written here
by hand, and PatientInfo values written here. Today is frozen at 25 November 2026 (conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from conditions.home_average import home_average, why_none
from conditions.home_glucose import NO_RANGE, glucose_panel
from ltc_dashboard.cli.main import main
from ltc_dashboard.record.dates import UK
from ltc_dashboard.record.models import PatientInfo
from ltc_dashboard.record.readings import Reading, ReadingInvalid, check
from ltc_dashboard.service.readings import ReadingRefused
from ltc_dashboard.summary.sheet import summary_markdown
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_feedback import DAUGHTER, allow_corrections

TODAY = dt.date(2026, 11, 25)


def bp(day: dt.date, hour: int, top: int = 140, bottom: int = 88, rid: int = 0) -> Reading:
    return Reading(id=rid, patient_id="p", kind="bp", systolic=top, diastolic=bottom, unit="mmHg",
                   taken_at=dt.datetime(day.year, day.month, day.day, hour, tzinfo=UK), author="patient")


def days_of(first: dt.date, count: int, hours=(7, 19), **values) -> list[Reading]:
    """Hand-written home weeks: readings at the given UK hours on `count` days from `first`."""
    return [bp(first + dt.timedelta(days=n), hour, **values) for n in range(count) for hour in hours]


# -- breaks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("patient", ["dem-patient", "eol-patient"])
def test_a_home_blood_pressure_week_is_on_the_sheet_whatever_the_views(service, patient):
    """Input: 7 days of 150/95 morning and evening for a person whose views (dementia; end of life)
    show no blood pressure. Issue 20: "Take them to the appointment: the sheet, the PDF and the
    overview say 'Home blood pressure: average ...'". High blood pressure is common beside these
    conditions and home monitoring is how NG136 confirms it; the sheet says nothing of the week."""
    me = viewer(patient)
    for day in range(12, 19):
        for time in ("07:00", "19:00"):
            service.add_reading(me, today(), "bp", "150/95", f"2026-11-{day} {time}")
    assert "Home blood pressure" in summary_markdown(service.summary(me, today()))


def test_blood_pressure_typed_with_its_unit_is_accepted():
    """Input: the app's own words for a reading (`ltc reading list` prints "138/86 mmHg"), copied
    back into `ltc reading add --value` or the page. Weight and blood sugar take their unit."""
    reading = check("p", "bp", "138/86 mmHg", "2026-11-12 07:30", TODAY, "patient")
    assert (reading.systolic, reading.diastolic) == (138, 86)


def test_a_time_skipped_by_the_clock_change_is_refused():
    """Input: "29/03/2026 01:30" typed in the form or a device's local-time file: in the UK the
    clocks went from 01:00 to 02:00 that night. It is kept as 01:30 GMT and listed back as 02:30, a
    time the person never typed; the check should say the time did not exist (as it does for 31/11)."""
    with pytest.raises(ReadingInvalid) as caught:
        check("p", "bp", "138/86", "29/03/2026 01:30", TODAY, "patient")
    assert "taken_at" in caught.value.problems


# -- held: typed values -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind, typed, field", [
    ("bp", "120/130", "value"), ("bp", "120/120", "value"), ("bp", "-80/60", "systolic"),
    ("bp", "nan/60", "systolic"), ("bp", "1e3/60", "systolic"), ("bp", "301/80", "systolic"),
    ("weight", "11 st 14", "value"), ("weight", "-80", "value"), ("weight", "inf", "value"),
    ("weight", "1e3", "value"), ("glucose", "nan", "value"), ("glucose", "0.4", "value"),
])
def test_impossible_typed_values_are_refused_by_field(kind, typed, field):
    """Inputs at and past each boundary (bottom above top, equal numbers, negative, NaN, exponent,
    infinity, 14 lb after stones, above the plausible limits): refused, naming the field."""
    context = "before a meal" if kind == "glucose" else None
    with pytest.raises(ReadingInvalid) as caught:
        check("p", kind, typed, "2026-11-12 07:30", TODAY, "patient", context=context)
    assert field in caught.value.problems


@pytest.mark.parametrize("typed, kg", [("11 st 13", 75.7), ("١٢٠", 120.0), ("11st 13.9", 76.2)])
def test_stones_and_other_digits_become_kg(typed, kg):
    """Inputs: stones with 13 lb, Arabic-Indic digits (a phone keyboard), a decimal of a pound."""
    assert check("p", "weight", typed, "2026-11-12 07:30", TODAY, "patient").value == kg


def test_the_future_is_the_uk_day():
    """23:59 today UK time is kept; 00:30 tomorrow UK time is refused; 20:00 in New York on the
    25th is the 26th in the UK, refused."""
    assert check("p", "weight", "80", "2026-11-25 23:59", TODAY, "patient").day == TODAY
    for when in ("2026-11-26 00:30", "2026-11-25T20:00-05:00"):
        with pytest.raises(ReadingInvalid):
            check("p", "weight", "80", when, TODAY, "patient")


# -- held: the NG136 home week --------------------------------------------------------------------------
ADULT = PatientInfo(id="p", birth_date=dt.date(1960, 3, 1))


def test_one_day_or_readings_8_days_apart_give_no_average_and_a_sentence():
    """Readings on one day; and 4 days spread so that only one falls in the last 7 days."""
    one = days_of(dt.date(2026, 11, 18), 1, hours=(7, 8, 19, 20))
    apart = [bp(dt.date(2026, 11, 2) + dt.timedelta(days=8 * n), 7) for n in range(3)]
    for readings in (one, apart):
        assert home_average(readings, ADULT) is None and "No average is shown" in why_none(readings)


def test_four_days_with_the_first_the_only_morning_average_the_rest():
    """Day 1 a morning only (left out), days 2-4 evenings: 3 readings averaged, from day 1 to day 4."""
    readings = [bp(dt.date(2026, 11, 15), 7, 190, 110)] + days_of(dt.date(2026, 11, 16), 3, hours=(19,))
    found = home_average(readings, ADULT)
    assert (found.count, found.systolic, found.from_, found.to) == (3, 140, dt.date(2026, 11, 15), dt.date(2026, 11, 18))


def test_turning_80_on_the_last_day_and_birth_dates_missing_or_partial():
    """Born 18 Nov 1946: 80 on the week's last day (145/85); born 19 Nov 1946: 79 (135/85); no birth
    date: no target, said; a birth year only (1946): not certainly 80, so 135/85."""
    week = days_of(dt.date(2026, 11, 12), 7)
    born = lambda d, p=None: PatientInfo(id="p", birth_date=d, birth_date_precision=p)  # noqa: E731
    assert home_average(week, born(dt.date(1946, 11, 18))).target == "below 145/85 mmHg"
    assert home_average(week, born(dt.date(1946, 11, 19))).target == "below 135/85 mmHg"
    assert home_average(week, born(dt.date(1946, 1, 1), "year")).target == "below 135/85 mmHg"
    none = home_average(week, PatientInfo(id="p"))
    assert none.target is None and "no date of birth" in none.target_note


# -- held: glucose ranges by type ------------------------------------------------------------------------
def _glucose(value: float, context: str) -> Reading:
    return Reading(id=1, patient_id="p", kind="glucose", value=value, unit="mmol/L", context=context,
                   taken_at=dt.datetime(2026, 11, 20, 7, tzinfo=UK), author="patient")


@pytest.mark.parametrize("kind, child, pregnant, note", [
    ("type1", False, True, NO_RANGE["pregnant"]), ("type1", True, False, NO_RANGE["child"]),
    ("type2", False, False, NO_RANGE["type2"]), (None, False, False, NO_RANGE["unknown_type"])])
def test_no_range_is_shown_where_none_is_sourced(kind, child, pregnant, note):
    """Type 1 but pregnant or a child, type 2, unknown type: no range, the reason in words."""
    panel = glucose_panel([_glucose(13.0, "before_meal")], kind, child, pregnant)
    assert panel.items == [] and panel.note == note


def test_type1_after_a_meal_is_marked_awaiting_review():
    """Type 1 adult after a meal: the unverified 5 to 9 range says so beside its source."""
    panel = glucose_panel([_glucose(8.0, "after_meal")], "type1", False, False)
    assert "awaiting clinical review" in panel.items[0][2]


# -- held: who may add and see --------------------------------------------------------------------------
def test_a_carer_of_one_person_cannot_add_to_another(service, capsys):
    """The daughter may add for dem-patient (consent action `correct`); for dm-patient, whose carer
    she is not, the service and the CLI both refuse, and nothing is kept."""
    allow_corrections(service)
    assert service.may_add_readings(viewer("dem-patient", DAUGHTER), today())
    stranger = viewer("dm-patient", DAUGHTER)
    with pytest.raises(ReadingRefused):
        service.add_reading(stranger, today(), "weight", "70", "2026-11-20 08:00")
    checked = check("dm-patient", "weight", "70", "2026-11-20 08:00", today(), DAUGHTER)
    with pytest.raises(ReadingRefused):
        service.save_readings(stranger, today(), [checked])
    assert service._store.readings("dm-patient") == []


def test_the_cli_refuses_a_carer_of_someone_else(service, capsys):
    """`ltc reading add --patient dm-patient --as <dem-patient's daughter>`: exit 2, nothing saved."""
    allow_corrections(service)
    db = service._store.path
    code = main(["reading", "add", "--patient", "dm-patient", "--as", DAUGHTER, "--kind", "weight", "--value", "70",
                 "--at", "2026-11-20 08:00", "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot add home readings" in err and service._store.readings("dm-patient") == []


def test_hiding_on_and_off_for_the_shared_screen(service):
    """Shown on the clinic screen; hidden everywhere there once hidden; shown again once shown."""
    me, clinic = viewer("dm-patient"), viewer("dm-patient", "clinic")
    service.add_reading(me, today(), "weight", "83.4", "2026-11-20 08:00")
    assert [r.value for r in service.readings(clinic, today())] == [83.4]
    service.set_preference(me, "shared_screen_readings", "hide")
    assert service.readings(clinic, today()) == [] and b"83.4" not in service.export(clinic, today(), "fhir").data
    service.set_preference(me, "shared_screen_readings", "show")
    assert [r.value for r in service.readings(clinic, today())] == [83.4]


def test_home_readings_change_no_check_for_a_dementia_record(service):
    """A usable week of high readings for dem-patient: the checks, their last done and due dates
    and the questions are the same as without them."""
    me = viewer("dem-patient")
    before = service.summary(me, today())
    for day in range(12, 19):
        service.add_reading(me, today(), "bp", "190/115", f"2026-11-{day} 07:00")
        service.add_reading(me, today(), "weight", "44.0", f"2026-11-{day} 07:05")
    after = service.summary(me, today())
    checks = lambda s: [(c.id, c.status, c.last_done) for v in s.conditions for c in v.checks]  # noqa: E731
    assert checks(after) == checks(before) and [q.text for q in after.questions] == [q.text for q in before.questions]
