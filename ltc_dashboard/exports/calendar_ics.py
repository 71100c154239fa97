""""Add to calendar": appointments as an iCalendar file (RFC 5545), written here with no library.

What common calendar apps need and the RFC requires: a VCALENDAR with PRODID and VERSION; one
VEVENT per appointment with UID, DTSTAMP and DTSTART (DTEND when the record gives an end); text
escaped (backslash, semicolon, comma, newline); lines ended by CRLF and folded at 75 octets
without splitting a character. Times are UK clock times with TZID=Europe/London and its VTIMEZONE
(so a calendar shows 10:30 whatever zone the phone is in, on either side of the clocks changing),
except a time in the hour the clocks go back, which happens twice: that one is written in UTC,
which names one instant. A day with no time is an all-day event (DTSTART;VALUE=DATE, no DTEND:
one day, RFC 5545 §3.6.1).

Only what the summary already shows goes in (what for, with whom, where, status): never the
person's name or anything from the rest of the record.
"""

from __future__ import annotations

import datetime as dt
import re

from ltc_dashboard.record.appointments import AppointmentLine, status_words
from ltc_dashboard.record.dates import UK

PRODID = "-//Long-term condition dashboard//Appointments//EN"
UID_DOMAIN = "ltc-dashboard.invalid"  # a UID's right-hand side: stable, names no real host
CALENDAR_STATUS = {"booked": "CONFIRMED", "arrived": "CONFIRMED", "checked-in": "CONFIRMED",
                   "fulfilled": "CONFIRMED", "cancelled": "CANCELLED", "noshow": "CANCELLED"}

# Europe/London since 1996: BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
# last Sunday of October (The Summer Time Order 2002; EU directive 2000/84/EC).
VTIMEZONE = (
    "BEGIN:VTIMEZONE", "TZID:Europe/London",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100", "TZNAME:BST", "DTSTART:19810329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "TZNAME:GMT", "DTSTART:19961027T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def calendar(lines: list[AppointmentLine], stamp: dt.datetime) -> bytes:
    """An iCalendar file of these appointments (undated ones left out), made at `stamp`."""
    events = [e for line in lines if (e := _event(line, stamp))]
    body = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            *VTIMEZONE, *[row for event in events for row in event], "END:VCALENDAR"]
    return "".join(fold(row) + "\r\n" for row in body).encode("utf-8")


def file_name(lines: list[AppointmentLine]) -> str:
    """"appointment-2026-12-15.ics" for one, "appointments.ics" for several."""
    if len(lines) == 1 and lines[0].day:
        return f"appointment-{lines[0].day.isoformat()}.ics"
    return "appointments.ics"


def escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, line breaks as \\n, controls dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(row: str) -> str:
    """One content line folded so no physical line exceeds 75 octets (RFC 5545 §3.1), never
    splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for char in row:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # a continuation line starts with one space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _event(line: AppointmentLine, stamp: dt.datetime) -> list[str] | None:
    if line.start is None:
        return None
    what = line.description or "Appointment"
    rows = ["BEGIN:VEVENT", f"UID:{_uid(line.id)}@{UID_DOMAIN}", f"DTSTAMP:{_utc(stamp)}"]
    if isinstance(line.start, dt.datetime):
        rows.append(f"DTSTART{_moment(line.start)}")
        if line.end is not None and line.end > line.start:
            rows.append(f"DTEND{_moment(line.end)}")
    else:
        # An all-day event: RFC 5545 §3.6.1 makes a DATE start with no DTEND last that one day, so
        # no end is computed (a day after 9999-12-31, a "no date yet" sentinel, does not exist).
        rows.append(f"DTSTART;VALUE=DATE:{line.start:%Y%m%d}")
    rows.append(f"SUMMARY:{escape(what)}")
    details = [f"With {line.with_}." if line.with_ else "", f"Status: {status_words(line.status)}."]
    rows.append(f"DESCRIPTION:{escape(' '.join(d for d in details if d))}")
    if line.where:
        rows.append(f"LOCATION:{escape(line.where)}")
    rows.append(f"STATUS:{CALENDAR_STATUS.get(line.status or '', 'TENTATIVE')}")
    rows.append("END:VEVENT")
    return rows


def _moment(moment: dt.datetime) -> str:
    """";TZID=Europe/London:20261215T103000", or ":20261025T003000Z" for a UK time that happens
    twice (the hour the clocks go back) or a naive one (taken as UTC: never guessed as UK)."""
    if moment.tzinfo is None:
        return f":{moment:%Y%m%dT%H%M%S}Z"
    local = moment.astimezone(UK)
    twice = local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()
    if twice or UK is dt.timezone.utc:
        return f":{_utc(moment)}"
    return f";TZID=Europe/London:{local:%Y%m%dT%H%M%S}"


def _utc(moment: dt.datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return f"{moment.astimezone(dt.timezone.utc):%Y%m%dT%H%M%S}Z"


def _uid(rid: str) -> str:
    """The appointment id as a UID's left-hand side: only characters safe in any calendar."""
    return re.sub(r"[^A-Za-z0-9.\-]", "-", rid) or "appointment"
