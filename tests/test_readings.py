"""Home readings (issue 20): the one check of a typed or imported reading. Every kind of bad input
is named with a plain reason per field; stones and pounds become kg; a time without a zone is UK
time; a day after the frozen "today" (25 November 2026, conftest.py) is refused. Inputs are written
here by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.record.readings import Reading, ReadingInvalid, check, weight_kg

TODAY = dt.date(2026, 11, 25)


def problems(kind, value, when="2026-11-12 07:30", **fields) -> dict[str, str]:
    with pytest.raises(ReadingInvalid) as caught:
        check("p1", kind, value, when, TODAY, "patient", **fields)
    return caught.value.problems


def test_blood_pressure_as_typed_with_a_slash():
    """`138/86` is kept as top and bottom numbers in mmHg, with the UK zone added to the time."""
    reading = check("p1", "bp", "138/86", "2026-11-12 07:30", TODAY, "patient", pulse="72")
    assert (reading.systolic, reading.diastolic, reading.pulse, reading.unit) == (138, 86, 72, "mmHg")
    assert reading.taken_at.utcoffset() == dt.timedelta(0)  # 12 November: GMT
    assert reading.value_text == "138/86 mmHg, pulse 72"


@pytest.mark.parametrize("value, field, words", [
    ("138", "value", "like 138/86"),
    ("138/86/70", "value", "like 138/86"),
    ("abc/86", "systolic", "whole number"),
    ("138/8.5", "diastolic", "whole number"),
    ("86/138", "value", "wrong way round"),
    ("400/86", "systolic", "not a possible top number"),
    ("138/5", "diastolic", "not a possible bottom number"),
    ("/86", "value", "Both blood pressure numbers"),
])
def test_bad_blood_pressure_is_named_with_its_reason(value, field, words):
    """Each kind of bad blood pressure names the field at fault and says why."""
    found = problems("bp", value)
    assert words in found[field], found


def test_impossible_pulse_is_refused():
    """A pulse outside what a person can have is refused; the rest of the reading is not blamed."""
    found = problems("bp", "138/86", pulse="900")
    assert set(found) == {"pulse"} and "beats per minute" in found["pulse"]


@pytest.mark.parametrize("typed, kg", [
    ("82.5", 82.5), ("82,5 kg", 82.5), ("12 st 4 lb", 78.0), ("12st 4", 78.0), ("12 stone", 76.2),
    ("180 lb", 81.6), ("180lbs", 81.6),
])
def test_weight_in_kilograms_stones_and_pounds(typed, kg):
    """Weight typed in kg, stones and pounds, or pounds becomes kg to one decimal place."""
    assert weight_kg(typed) == (kg, None)


@pytest.mark.parametrize("typed, words", [
    ("heavy", "is none of these"), ("12 st 15 lb", "under 14"), ("0.1", "not a possible weight"),
    ("900 kg", "not a possible weight"), ("", "is none of these"),
])
def test_bad_weight_says_why(typed, words):
    """A weight that cannot be read or is impossible for a person is refused with its reason."""
    assert words in problems("weight", typed)["value"]


def test_glucose_needs_when_it_was_taken_in_known_words():
    """Blood sugar keeps its context code; an unknown context and an impossible value are both named."""
    reading = check("p1", "glucose", "6.2", "2026-11-12 07:30", TODAY, "patient", context="before a meal")
    assert (reading.value, reading.unit, reading.context) == (6.2, "mmol/L", "before_meal")
    found = problems("glucose", "200", context="lunchtime")
    assert "not a possible blood sugar level" in found["value"] and "before a meal" in found["context"]


def test_context_on_anything_but_glucose_is_refused():
    """Only blood sugar has a time of day; a context on weight is an error, not silently dropped."""
    assert "Only a blood sugar reading" in problems("weight", "80", context="waking")["context"]


@pytest.mark.parametrize("when, words", [
    ("2026-11-26 00:10", "in the future"),
    ("32/11/2026", "not a date and time this app can read"),
    ("yesterday", "not a date and time this app can read"),
    ("1899-12-31", "too long ago"),
])
def test_bad_dates_are_refused(when, words):
    """A day after today (in UK time), a date that cannot be read, or one before 1900 is refused."""
    assert words in problems("weight", "80", when)["taken_at"]


def test_the_future_is_judged_by_the_uk_day_not_the_offset_given():
    """26 November 00:30 at +01:00 is 25 November 23:30 in the UK (GMT): today, so it is kept."""
    assert check("p1", "weight", "80", "2026-11-26T00:30:00+01:00", TODAY, "patient").day == TODAY


def test_uk_date_is_day_first_and_keeps_its_summer_offset():
    """`12/06/2026 07:30` is 12 June, British Summer Time (+01:00)."""
    reading = check("p1", "weight", "80", "12/06/2026 07:30", TODAY, "patient")
    assert reading.taken_at.isoformat() == "2026-06-12T07:30:00+01:00"


def test_every_problem_is_reported_at_once():
    """Bad value, context and date together give three reasons, so the person fixes them in one go."""
    assert set(problems("glucose", "x", "2027-01-01", context="noon")) == {"value", "context", "taken_at"}


def test_unknown_kind_is_refused():
    """A kind other than bp, glucose or weight is named."""
    assert "kind" in problems("cholesterol", "5")


def test_a_reading_round_trips_through_its_store_row():
    """`row()` and `from_row` keep the same reading, time zone offset included."""
    reading = check("p1", "glucose", "5.4", "2026-07-01T21:15+01:00", TODAY, "proxy:RelatedPerson/x",
                    context="bedtime")
    back = Reading.from_row({**reading.row(), "id": 7})
    assert back.model_copy(update={"id": None}) == reading
    assert back.taken_at.isoformat() == "2026-07-01T21:15:00+01:00"


def test_a_reading_without_a_zone_cannot_be_made():
    """The model refuses a naive time: every reading's time carries its zone."""
    with pytest.raises(ValueError):
        Reading(patient_id="p", kind="weight", value=80, unit="kg", taken_at=dt.datetime(2026, 1, 1), author="patient")
