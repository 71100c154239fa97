"""The "Add to calendar" file (ltc_dashboard/exports/calendar_ics.py) is RFC 5545 a calendar library reads back,
with the UK clock time right on either side of the clocks changing (29 March and 25 October 2026).

The appointments are made here, in the shapes ltc_dashboard/record/appointments.py gives (aware datetimes on the
UK clock), with the dates chosen around the 2026 clock changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from ltc_dashboard.exports.calendar_ics import calendar, escape, file_name, fold
from ltc_dashboard.record.appointments import AppointmentLine

UK = ZoneInfo("Europe/London")
STAMP = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)


def _line(rid: str, start, end=None, **extra) -> AppointmentLine:
    return AppointmentLine(id=rid, start=start, end=end, status=extra.pop("status", "booked"), **extra)


def _events(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]).split("@")[0]: e for e in cal.walk("VEVENT")}


@pytest.mark.parametrize("start_utc, uk_clock", [
    (dt.datetime(2026, 3, 28, 10, 30, tzinfo=dt.timezone.utc), (10, 30)),  # the day before: GMT
    (dt.datetime(2026, 3, 29, 9, 30, tzinfo=dt.timezone.utc), (10, 30)),  # the day the clocks go forward: BST
    (dt.datetime(2026, 10, 24, 9, 30, tzinfo=dt.timezone.utc), (10, 30)),  # the day before they go back: BST
    (dt.datetime(2026, 10, 25, 10, 30, tzinfo=dt.timezone.utc), (10, 30)),  # the day they go back: GMT
    (dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.timezone.utc), (1, 30)),  # 01:30 BST: the first 01:30
    (dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.timezone.utc), (1, 30)),  # 01:30 GMT: the second 01:30
])
def test_times_are_right_across_the_clocks_changing(start_utc, uk_clock):
    """Each event starts at the very instant of the appointment, and at its UK clock time."""
    start = start_utc.astimezone(UK)  # as the mapping makes it: the UK clock, fold set in the repeated hour
    end = (start_utc + dt.timedelta(minutes=15)).astimezone(UK)  # from UTC: wall-clock sums lose the fold
    data = calendar([_line("a1", start, end)], STAMP)
    event = _events(data)["a1"]
    got = event.decoded("DTSTART")
    assert got == start_utc
    assert (got.astimezone(UK).hour, got.astimezone(UK).minute) == uk_clock
    assert event.decoded("DTEND") - got == dt.timedelta(minutes=15)


def test_the_uk_zone_is_named_and_defined():
    """An unambiguous UK time is written with TZID=Europe/London and the calendar carries its VTIMEZONE."""
    start = dt.datetime(2026, 12, 15, 10, 30, tzinfo=UK)
    data = calendar([_line("a1", start)], STAMP)
    text = data.decode()
    assert "DTSTART;TZID=Europe/London:20261215T103000\r\n" in text
    zones = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/London"]
    summer = dt.datetime(2026, 7, 1, 12, 0)
    assert zones[0].to_tz().utcoffset(summer) == dt.timedelta(hours=1)


def test_calendar_has_the_required_properties():
    """VCALENDAR has PRODID and VERSION 2.0; each VEVENT has UID, DTSTAMP and DTSTART, CRLF ended."""
    data = calendar([_line("a1", dt.datetime(2026, 12, 15, 10, 30, tzinfo=UK), description="Diabetes review"),
                     _line("a2", dt.date(2026, 12, 20))], STAMP)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    events = _events(data)
    assert set(events) == {"a1", "a2"}
    assert all(e.decoded("DTSTAMP") == STAMP for e in events.values())
    assert events["a2"].decoded("DTSTART") == dt.date(2026, 12, 20)  # all-day: no time was given
    assert str(events["a1"]["SUMMARY"]) == "Diabetes review"
    assert data.count(b"\n") == data.count(b"\r\n") and data.endswith(b"\r\n")


def test_text_is_escaped_and_read_back_whole():
    """Commas, semicolons, backslashes and new lines in the record's words survive the round trip."""
    words = "Review; bloods, feet\\eyes\nbring your meter"
    data = calendar([_line("a1", dt.datetime(2026, 12, 15, 10, 30, tzinfo=UK), description=words,
                           where="Surgery, Room 2", with_="Dr Ash; Nurse Bee")], STAMP)
    event = _events(data)["a1"]
    assert str(event["SUMMARY"]) == words
    assert str(event["LOCATION"]) == "Surgery, Room 2"
    assert "With Dr Ash; Nurse Bee." in str(event["DESCRIPTION"])
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    """A long description with multi-byte letters folds into lines of at most 75 octets and reads back whole."""
    words = "Clinig diabetes – adolygiad blynyddol gyda’r nyrs " * 6 + "ŵŷ"
    data = calendar([_line("a1", dt.datetime(2026, 12, 15, 10, 30, tzinfo=UK), description=words)], STAMP)
    assert max(len(row) for row in data.split(b"\r\n")) <= 75
    data.decode("utf-8")  # no character cut in half
    assert str(_events(data)["a1"]["SUMMARY"]) == words
    assert fold("x" * 80) == "x" * 75 + "\r\n " + "x" * 5


def test_cancelled_is_said_and_undated_is_left_out():
    """A cancelled appointment is STATUS:CANCELLED; one with no date makes no event."""
    data = calendar([_line("a1", dt.datetime(2026, 12, 15, 10, 30, tzinfo=UK), status="cancelled"),
                     _line("a2", None)], STAMP)
    events = _events(data)
    assert set(events) == {"a1"} and str(events["a1"]["STATUS"]) == "CANCELLED"


def test_file_names():
    """One appointment's file is named by its day; several go in appointments.ics."""
    one = _line("a1", dt.datetime(2026, 12, 15, 10, 30, tzinfo=UK))
    assert file_name([one]) == "appointment-2026-12-15.ics"
    assert file_name([one, one]) == "appointments.ics"
