"""Dates and times in a CSV file of home readings (issue 20): which way round a file writes its
dates, and 12-hour times.

A UK device writes 05/11/2026 for 5 November; a US one (iHealth, Omron US) for 11 May. A file
writes all its dates one way, so the way is decided once per file, from rows that can be read
only one way:

* a first number over 12 can only be a day (13/11/2026): the file is day first; a second number
  over 12 can only be a day (11/13/2026): the file is month first;
* failing that, a row whose other reading would be after today (12/11/2026 on 25 November 2026
  cannot be 11 December) shows the way too;
* the person can say the way (`--dates`, or the choice on the page), and that wins.

When no row shows the way, or rows show both ways, a row that can be read both ways (05/11/2026)
is refused with the two dates it could be: a guessed date is never kept. A row whose two readings
are the same day (11/11/2026) is read as that day.

Everything read here becomes ISO text (2026-11-05 19:30:00) for the one check (ltc_dashboard/record/readings.py
`check`), which gives it its zone and refuses the future; text this module cannot read is passed
on as it came, so the check names it in its usual words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DAY_FIRST, MONTH_FIRST = "day-first", "month-first"
ORDERS = (DAY_FIRST, MONTH_FIRST)
ORDER_WORDS = {DAY_FIRST: "day first", MONTH_FIRST: "month first"}

_DATE = r"(?:(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))"
_TIME = r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2})(?:\.\d+)?)?\s*(?:(?P<ampm>[ap])\.?\s*m\.?)?"
_STAMP = re.compile(rf"\s*{_DATE}(?:(?:\s*[T,]\s*|\s+){_TIME})?\s*", re.I)


@dataclass(frozen=True)
class Stamp:
    """A date (and time) cell taken apart: `first`/`second` are the two small numbers of a date
    written with slashes (either may be the day), None for an ISO date (`iso` holds it)."""

    raw: str
    year: int
    first: int | None
    second: int | None
    iso: dt.date | None
    time: dt.time | None

    def reading(self, order: str) -> dt.date | None:
        """The date read `order` way round, or None when that is not a date."""
        if self.iso is not None:
            return self.iso
        day, month = (self.first, self.second) if order == DAY_FIRST else (self.second, self.first)
        try:
            return dt.date(self.year, month, day)
        except ValueError:
            return None

    @property
    def date_written(self) -> str:
        """The date as the file wrote it, without its time ("05/11/2026")."""
        return re.match(rf"\s*{_DATE}", self.raw).group(0).strip()

    @property
    def both_ways(self) -> bool:
        """Whether the date can be read as two different days (05/11/2026, not 13/11 or 11/11)."""
        return self.iso is None and self.first != self.second and self.first <= 12 and self.second <= 12


def _clock(match: re.Match) -> dt.time | None | bool:
    """The time of a stamp (None when none is written), or False for one that is no time."""
    if match.group("h") is None:
        return None
    hour, minute, second = int(match.group("h")), int(match.group("m")), int(match.group("s") or 0)
    if ampm := (match.group("ampm") or "").lower():
        if not 1 <= hour <= 12:
            return False
        hour = hour % 12 + (12 if ampm == "p" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return False


def stamp(text: str | None) -> Stamp | None:
    """A cell's date and time taken apart, or None for text left to the check as it is (blank,
    ISO 8601 with its zone or seconds, or something that is not a date)."""
    raw = str(text or "").strip()
    if not raw:
        return None
    try:
        dt.datetime.fromisoformat(raw)
        return None  # ISO 8601: unambiguous, and its zone is kept
    except ValueError:
        pass
    match = _STAMP.fullmatch(raw)
    if not match or (time := _clock(match)) is False:
        return None
    if match.group("iy"):
        try:
            iso = dt.date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
        except ValueError:
            return None
        return Stamp(raw, iso.year, None, None, iso, time)
    return Stamp(raw, int(match.group("y")), int(match.group("a")), int(match.group("b")), None, time)


@dataclass(frozen=True)
class Order:
    """How a file writes its dates: `order` (None when not known) and the words that say why
    ("line 2, '11/13/2026', can only be month first")."""

    order: str | None
    why: str
    conflict: bool = False


def _shown(s: Stamp, today: dt.date) -> str | None:
    """The only way round this stamp can be read, when only one is possible."""
    if s.iso is not None or s.first == s.second:
        return None
    if s.first > 12 >= s.second:
        return DAY_FIRST
    if s.second > 12 >= s.first:
        return MONTH_FIRST
    return None


def _future_shown(s: Stamp, today: dt.date) -> str | None:
    if not s.both_ways:
        return None
    later = {order for order in ORDERS if (day := s.reading(order)) is not None and day > today}
    return next(iter(set(ORDERS) - later)) if len(later) == 1 else None


def decide(stamps: list[tuple[int, Stamp]], today: dt.date, given: str | None) -> Order:
    """The way this file writes dates: the person's word; else the rows that can be read one way
    only (by the numbers, then by the future); else not known."""
    if given:
        return Order(given, "as you said")
    for shows in (_shown, _future_shown):
        found: dict[str, tuple[int, str]] = {}
        for line, s in stamps:
            if (order := shows(s, today)) and order not in found:
                found[order] = (line, s.raw)
        if len(found) == 2:
            lines = " and ".join(f"line {line}, '{raw:.20}', {ORDER_WORDS[o]}" for o, (line, raw) in found.items())
            return Order(None, f"rows show both ways: {lines}", conflict=True)
        if found:
            order, (line, raw) = next(iter(found.items()))
            because = "can only be" if shows is _shown else "would otherwise be after today, so it is"
            return Order(order, f"line {line}, '{raw:.20}', {because} {ORDER_WORDS[order]}")
    return Order(None, "no row shows which way round")


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


def resolve(s: Stamp | None, text: str | None, order: Order) -> tuple[str | None, str | None]:
    """(what to give the check as the reading's time, a reason the date cannot be kept or None)."""
    if s is None:
        return text, None
    if s.both_ways and order.order is None:
        day_first, month_first = s.reading(DAY_FIRST), s.reading(MONTH_FIRST)
        because = ("rows of this file show both ways of writing dates" if order.conflict
                   else "no row of this file shows which way round it writes dates")
        return None, (f"'{s.raw:.30}' could be {_day(day_first)} (day first) or {_day(month_first)} "
                      f"(month first), and {because}. Say which way round the file writes dates, then "
                      "import it again.")
    way = order.order or _shown(s, dt.date.max) or DAY_FIRST  # one way only, or the same day both ways
    day = s.reading(way)
    if day is None:
        if way == DAY_FIRST:
            return text, None  # the check reads day first and names the problem in its usual words
        return None, (f"'{s.raw:.30}' is not a date: this file writes dates month first "
                      f"({order.why}), and that day does not exist. Check the date.")
    time = s.time or dt.time(0, 0)
    return f"{day.isoformat()} {time.isoformat()}", None
