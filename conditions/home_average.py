"""The home blood pressure average the way NICE guideline NG136 describes it (issue 20): readings
morning and evening for 4 to 7 days, the first day's left out, the rest averaged; compared with
the home target for the person's age on the last day of the week.

The "home week" (docs/rules/home_readings.md says the same in words):

* the last day is the UK day of the person's most recent home blood pressure reading;
* the week is the 7 UK days ending on that day (at most 7 days, gaps allowed);
* it needs readings on at least 4 of those days (MIN_DAYS), else there is no average and
  `why_none` says so in a plain sentence: an average of too few days could look reassuring;
* the readings of its first day with a reading are left out; every other reading of the week,
  morning or evening, is averaged, each number rounded to a whole mmHg (half up);
* `from`/`to` are the week's first and last days with a reading (the first day included, as the
  person wrote the week down); `count` the readings averaged.

The home targets (135/85 under 80, 145/85 at 80 or over) are not in the project's clinical
reference, so data/terminology/home_bp_targets.csv marks them unverified and they are shown as
"NICE guideline NG136" with the review sentence. The age is read cautiously (conditions/ages.py):
the looser 80-and-over target only when the person is certainly 80 on the last day; no target
for someone who may be under 18 (blood pressure is judged against age charts, NG18), nor without
a birth date. Pure and deterministic: no clock, no store.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from conditions import ages
from ltc_dashboard.record.citations import cite, review_words
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.tables import number, read_table

WEEK_DAYS = 7
MIN_DAYS = 4


class HomeAverage(BaseModel):
    """The summary's `home_average` of blood pressure (JSON keys `from`, `to`, `count`, ...)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    from_: dt.date = Field(alias="from")  # the home week's first day (its readings left out)
    to: dt.date  # the week's last day
    count: int  # readings averaged
    days: int  # days averaged (the first day not counted)
    systolic: int
    diastolic: int
    target: str | None = None  # "below 135/85 mmHg"; None under 18 or without a birth date
    source: str | None = None  # plain citation: "NICE guideline NG136"
    verified: bool | None = None  # False: awaiting clinical review
    below_target: bool | None = None
    target_note: str | None = None  # why no target, or for whom the target is


@cache
def _targets() -> dict[str, dict]:
    rows = read_table("home_bp_targets.csv", ("id", "ages", "systolic_below", "diastolic_below", "label", "text"))
    for row in rows:
        cite(row["source"], f"home_bp_targets.csv {row['id']}")
    return {row["ages"]: row for row in rows}


def _rounded(values: list[int]) -> int:
    return int((Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _bp(readings) -> list:
    return [r for r in readings if r.kind == "bp" and r.systolic is not None and r.diastolic is not None]


def home_week(readings) -> tuple[list[dt.date], list]:
    """(the week's days with a reading, oldest first; the week's readings): the 7 UK days ending on
    the day of the latest home blood pressure reading."""
    bp = _bp(readings)
    if not bp:
        return [], []
    last = max(r.day for r in bp)
    first = last - dt.timedelta(days=WEEK_DAYS - 1)
    week = [r for r in bp if first <= r.day <= last]
    return sorted({r.day for r in week}), week


def date_range(first: dt.date, last: dt.date) -> str:
    """Two days as UK words: "12 to 18 November 2026", "28 October to 3 November 2026"."""
    if first == last:
        return human(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} to {human(last)}"
    if first.year == last.year:
        return f"{human(first).rsplit(' ', 1)[0]} to {human(last)}"
    return f"{human(first)} to {human(last)}"


def why_none(readings) -> str | None:
    """The plain sentence why there is no average, or None when there is one (or no readings)."""
    days, week = home_week(readings)
    if not days or len(days) >= MIN_DAYS:
        return None
    many = "day" if len(days) == 1 else "days"
    return (f"Home blood pressure: {len(week)} reading{'s' if len(week) != 1 else ''} on {len(days)} {many} "
            f"({date_range(days[0], days[-1])}). No average is shown: the NICE method needs readings on at "
            f"least {MIN_DAYS} days within {WEEK_DAYS}, and leaves out the first day (NICE guideline NG136).")


def _target(patient, on: dt.date) -> dict:
    """The target fields for the person's age on the day."""
    found = ages.age_range(patient, on)
    if found is None:
        return {"target_note": "No home target is compared because the record has no date of birth."}
    if ages.may_be_under(found, 18):
        row = _targets()["under_18"]
        return {"target_note": f"{row['text']} ({cite(row['source']).plain}).", "source": cite(row["source"]).plain}
    row = _targets()["80_plus" if ages.certainly_at_least(found, 80) else "under_80"]
    citation = cite(row["source"])
    who = "aged 80 and over" if row["ages"] == "80_plus" else "aged under 80"
    return {"target": row["label"], "source": citation.plain, "verified": not citation.unverified,
            "target_note": f"for people {who}",
            "_below": (number(row["systolic_below"], "home_bp_targets.csv"),
                       number(row["diastolic_below"], "home_bp_targets.csv"))}


def other_target_note(source: str) -> str:
    """Why no home target is compared when the person's blood pressure target is not the general
    NICE one (a personal target, type 1 diabetes, chronic kidney disease): the home values of
    NG136 would be looser than their aim, and could read as reassuring."""
    return (f"No home target is compared: the blood pressure target here follows {source}, "
            "and this app has no home version of it.")


NO_VIEW_TARGET = ("No home target is compared: no blood pressure target is shown here, so none is "
                  "compared for home readings either.")


def home_average(readings, patient, not_compared: str | None = None) -> HomeAverage | None:
    """The NICE home average of the latest home week, or None when there is no usable week.
    `not_compared`: why no home target is compared (`other_target_note`, `NO_VIEW_TARGET`)."""
    days, week = home_week(readings)
    if len(days) < MIN_DAYS:
        return None
    used = [r for r in week if r.day != days[0]]
    systolic, diastolic = _rounded([r.systolic for r in used]), _rounded([r.diastolic for r in used])
    target = {"target_note": not_compared} if not_compared else _target(patient, days[-1])
    below = target.pop("_below", None)
    if below:
        target["below_target"] = systolic < below[0] and diastolic < below[1]
    return HomeAverage(from_=days[0], to=days[-1], count=len(used), days=len(days) - 1,
                       systolic=systolic, diastolic=diastolic, **target)


def words(average: HomeAverage) -> str:
    """The line the sheet, PDF and overview show: "Home blood pressure: average 138/86 from 24
    readings, 12 to 18 November 2026 (the first day's readings left out, as NICE describes). ...",
    then the target compared in words with its source, or why none is compared."""
    line = (f"Home blood pressure: average {average.systolic}/{average.diastolic} mmHg from {average.count} "
            f"readings, {date_range(average.from_, average.to)} (the first day's readings left out, as NICE "
            "describes).")
    if average.target:
        side = "within" if average.below_target else "not within"
        line += (f" This is {side} the home target of {average.target} {average.target_note} "
                 f"(source: {average.source}).")
        if review := review_words(average.verified):
            line += f" {review}"
    elif average.target_note:
        line += f" {average.target_note}"
    return line
