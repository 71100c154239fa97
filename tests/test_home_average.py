"""The NICE NG136 home blood pressure average (conditions/home_average.py): which readings form the
latest home week, the first day left out, at least 4 days, the UK day across the clock change,
the target by age on the week's last day, and the words the sheet shows. Every week below is
written by hand here (the shape of a home monitor's week: two readings a minute apart, morning and
evening); the people are PatientInfo values written here too."""

from __future__ import annotations

import datetime as dt
import json

from conditions.home_average import MIN_DAYS, date_range, home_average, home_week, why_none, words
from ltc_dashboard.record.dates import UK
from ltc_dashboard.record.models import PatientInfo
from ltc_dashboard.record.readings import Reading

UTC = dt.timezone.utc
ADULT = PatientInfo(id="p", birth_date=dt.date(1960, 3, 1))  # 66 in November 2026
NINETY = PatientInfo(id="p", birth_date=dt.date(1936, 3, 1))


def bp(when: dt.datetime, top: int, bottom: int, rid: int = 0) -> Reading:
    return Reading(id=rid, patient_id="p", kind="bp", systolic=top, diastolic=bottom, unit="mmHg",
                   taken_at=when, author="patient")


def week(first: dt.date, days: int, top=(140, 138, 136, 134), bottom=(88, 86, 84, 82), skip=()) -> list[Reading]:
    """Hand-written: on each day two readings a minute apart at 07:00 and two at 19:00 UK time."""
    out = []
    for n in range(days):
        if n in skip:
            continue
        day = first + dt.timedelta(days=n)
        for i, (hour, minute) in enumerate(((7, 0), (7, 1), (19, 0), (19, 1))):
            out.append(bp(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK),
                          top[i], bottom[i], rid=len(out) + 1))
    return out


def test_a_full_week_leaves_out_the_first_day_and_averages_the_rest():
    """7 days of 4 readings (12 to 18 November): the first day's 4 are left out, 24 averaged."""
    readings = week(dt.date(2026, 11, 12), 7, top=(150, 140, 130, 128), bottom=(90, 86, 84, 82))
    # the first day alone is much higher: had it been counted, the average would move
    readings = [r.model_copy(update={"systolic": 190, "diastolic": 110}) if r.day == dt.date(2026, 11, 12) else r
                for r in readings]
    average = home_average(readings, ADULT)
    assert (average.from_, average.to, average.count, average.days) == (
        dt.date(2026, 11, 12), dt.date(2026, 11, 18), 24, 6)
    assert (average.systolic, average.diastolic) == (137, 86)  # 548/4 = 137, 342/4 = 85.5 -> 86 (half up)
    assert average.target == "below 135/85 mmHg" and average.below_target is False
    assert average.source == "NICE guideline NG136" and average.verified is False


def test_a_missing_day_is_allowed_when_4_days_have_readings():
    """12 to 18 November without the 15th: 6 days, the first left out, 20 readings averaged."""
    average = home_average(week(dt.date(2026, 11, 12), 7, skip=(3,)), ADULT)
    assert (average.count, average.days, average.from_, average.to) == (20, 5, dt.date(2026, 11, 12),
                                                                         dt.date(2026, 11, 18))
    assert (average.systolic, average.diastolic) == (137, 85)  # (140+138+136+134)/4 = 137, 340/4 = 85


def test_three_days_give_no_average_and_say_why():
    """Only 3 days: no average, and a plain sentence naming the days and the rule."""
    readings = week(dt.date(2026, 11, 16), 3)
    assert home_average(readings, ADULT) is None
    said = why_none(readings)
    assert said.startswith("Home blood pressure: 12 readings on 3 days (16 to 18 November 2026).")
    assert f"at least {MIN_DAYS} days" in said and "NICE guideline NG136" in said


def test_the_week_ends_at_the_last_reading_and_older_weeks_are_not_mixed_in():
    """An October week then 2 days in November: the latest week is the 2 days, so no average (the
    October week is not averaged as if it were current)."""
    readings = week(dt.date(2026, 10, 1), 7) + week(dt.date(2026, 11, 20), 2)
    days, _ = home_week(readings)
    assert days == [dt.date(2026, 11, 20), dt.date(2026, 11, 21)]
    assert home_average(readings, ADULT) is None and "2 days" in why_none(readings)


def test_readings_across_the_clock_change_are_grouped_by_the_uk_day():
    """25 October 2026 the UK clocks go back. 23:30 UTC on 24 October is 00:30 BST on the 25th (a
    day of its own), and each reading counts on its UK day whatever zone it was written in."""
    readings = [
        bp(dt.datetime(2026, 10, 24, 6, 0, tzinfo=UTC), 150, 95, 1),  # 07:00 BST 24 Oct: the first day, left out
        bp(dt.datetime(2026, 10, 24, 23, 30, tzinfo=UTC), 130, 80, 2),  # 00:30 BST 25 Oct
        bp(dt.datetime(2026, 10, 25, 23, 30, tzinfo=UTC), 132, 82, 3),  # 23:30 GMT 25 Oct
        bp(dt.datetime(2026, 10, 26, 7, 0, tzinfo=UTC), 134, 84, 4),
        bp(dt.datetime(2026, 10, 27, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), 136, 86, 5),  # 12:00 UK
    ]
    assert [r.day for r in readings] == [dt.date(2026, 10, d) for d in (24, 25, 25, 26, 27)]
    average = home_average(readings, ADULT)
    assert (average.days, average.count, average.systolic, average.diastolic) == (3, 4, 133, 83)
    assert (average.from_, average.to) == (dt.date(2026, 10, 24), dt.date(2026, 10, 27))
    assert date_range(average.from_, average.to) == "24 to 27 October 2026"


def test_the_target_follows_the_age_on_the_last_day_of_the_week():
    """A person turning 80 on 15 November: a week ending the 14th takes the under-80 target, one
    ending the 18th the 80-and-over target; 140/84 is below 145/85 but not below 135/85."""
    turning = PatientInfo(id="p", birth_date=dt.date(1946, 11, 15))
    early = week(dt.date(2026, 11, 8), 7, top=(140,) * 4, bottom=(84,) * 4)
    late = week(dt.date(2026, 11, 12), 7, top=(140,) * 4, bottom=(84,) * 4)
    before, after = home_average(early, turning), home_average(late, turning)
    assert (before.target, before.below_target) == ("below 135/85 mmHg", False)
    assert (after.target, after.below_target) == ("below 145/85 mmHg", True)
    assert home_average(late, NINETY).target == "below 145/85 mmHg"


def test_a_birth_year_only_takes_the_looser_target_only_when_certainly_80():
    """Born "1946" (year only): on 18 November 2026 the person may be 79, so the under-80 target."""
    partial = PatientInfo(id="p", birth_date=dt.date(1946, 1, 1), birth_date_precision="year")
    assert home_average(week(dt.date(2026, 11, 12), 7), partial).target == "below 135/85 mmHg"


def test_no_target_under_18_or_without_a_birth_date():
    """Under 18 the average is shown with no adult target and the NG18 reason; no birth date, no target."""
    readings = week(dt.date(2026, 11, 12), 7)
    child = home_average(readings, PatientInfo(id="c", birth_date=dt.date(2012, 1, 1)))
    assert child.target is None and child.below_target is None
    assert "charts for their age and height" in child.target_note and "NICE guideline NG18" in child.target_note
    unknown = home_average(readings, PatientInfo(id="u"))
    assert unknown.target is None and "no date of birth" in unknown.target_note
    assert "no date of birth" in words(unknown)


def test_the_words_give_the_average_count_dates_target_and_source():
    """The sheet's line: average, count, UK dates, the comparison in words, the source and review."""
    said = words(home_average(week(dt.date(2026, 11, 12), 7), ADULT))
    assert said.startswith("Home blood pressure: average 137/85 mmHg from 24 readings, 12 to 18 November 2026")
    assert "This is not within the home target of below 135/85 mmHg for people aged under 80" in said
    assert "(source: NICE guideline NG136)" in said and "awaiting clinical review" in said
    assert "§" not in said and "unverified" not in said


def test_the_json_keys_are_the_contract():
    """`home_average` dumps with the documented keys, `from` not `from_`."""
    data = json.loads(home_average(week(dt.date(2026, 11, 12), 7), ADULT).model_dump_json())
    assert {"from", "to", "count", "systolic", "diastolic", "target", "source"} <= set(data)
    assert data["from"] == "2026-11-12" and "from_" not in data


def test_a_month_boundary_reads_with_both_months():
    """28 October to 3 November: both month names, the year once."""
    assert date_range(dt.date(2026, 10, 28), dt.date(2026, 11, 3)) == "28 October to 3 November 2026"
    assert date_range(dt.date(2025, 12, 29), dt.date(2026, 1, 4)) == "29 December 2025 to 4 January 2026"
