"""Reading home readings from a CSV file of the shape home devices and their apps export (issue 20):
a date and time column (one, or a date and a time apart) and value columns, with a header row.

Header names are recognised whatever their case, spacing or a unit in brackets ("SYS (mmHg)",
"Blood glucose (mg/dL)"); a file whose header names no date or no values is refused as a whole,
saying which headers it found. Each row is checked by the one check (ltc_dashboard/record/readings.py `check`):
a row that fails is named by its line with every reason, and nothing here saves anything. The
caller shows the count and the rejected rows, and saves the good rows only if the person accepts
them.

A unit is read from the header's brackets, a Unit column or the cell itself, and a unit the app
cannot convert refuses the row (a number is never kept as if it were in the UK unit). A row that
repeats an earlier row of the file is kept once. The text, separator and header row:
ltc_dashboard/intake/reading_csv_table.py; which way round the dates are, and 12-hour times:
ltc_dashboard/intake/reading_csv_dates.py. "Already kept" (`not_kept`) looks readings up by their moment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from ltc_dashboard.intake import reading_csv_dates as dates
from ltc_dashboard.intake.reading_csv_table import MAX_BYTES, MAX_ROWS, CsvUnusable, header_at, rows_of
from ltc_dashboard.record import units
from ltc_dashboard.record.readings import KIND_WORDS, Reading, ReadingInvalid, check

__all__ = ["MAX_BYTES", "MAX_ROWS", "CsvKinds", "CsvReadings", "CsvUnusable", "header_of", "not_kept", "read",
           "same"]

# role -> header names (lower case, spaces collapsed, without a unit in brackets)
HEADERS = {
    "datetime": ("date/time", "datetime", "date time", "date and time", "timestamp", "measured at", "taken at",
                 "measurement time stamp", "time stamp", "device timestamp"),
    "date": ("date", "day", "measurement date", "date measured", "reading date"),
    "time": ("time", "measurement time", "time measured", "reading time"),
    "bp": ("blood pressure", "bp"),
    "systolic": ("systolic", "sys", "sys.", "systolic blood pressure", "top number", "upper"),
    "diastolic": ("diastolic", "dia", "dia.", "diastolic blood pressure", "bottom number", "lower"),
    "pulse": ("pulse", "pul", "pulse rate", "heart rate", "hr", "bpm"),
    "glucose": ("glucose", "blood glucose", "blood sugar", "sugar", "bg", "glucose level"),
    "weight": ("weight", "body weight", "mass"),
    "context": ("context", "meal", "meal tag", "timing", "when", "before/after meal", "tag", "measurement context"),
    "unit": ("unit", "units", "unit of measure", "measurement unit"),
}
_ROLE_OF = {name: role for role, names in HEADERS.items() for name in names}
_KIND_ROLES = {"bp": ("bp", "systolic"), "glucose": ("glucose",), "weight": ("weight",)}
# A unit a header or a Unit column may name, per kind: how a number in it is written for the check
# (None: the kind's UK unit already). Anything else is refused, never read as the UK unit.
_UNITS = {
    "glucose": {"mmol/l": None, "mg/dl": "mg/dL"},
    "weight": {"kg": None, "kgs": None, "lb": "lb", "lbs": "lb", "st": "st"},
    "bp": {"mmhg": None},
}


class CsvKinds(CsvUnusable):
    """The file has columns for more than one kind of reading, and which to import was not said;
    `kinds` names them (bp, glucose, weight)."""

    def __init__(self, kinds: list[str], message: str):
        self.kinds = list(kinds)
        super().__init__(message)


@dataclass
class CsvReadings:
    """What a file holds: its kind, which header fills which role, the good readings, the rejected
    rows (line number in the file, reason), the rows that repeat an earlier row of the file (line,
    the earlier line: kept once), and how its dates were read (`dates`: the way round and why)."""

    kind: str
    columns: dict[str, str]
    good: list[tuple[int, Reading]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    repeated: list[tuple[int, int]] = field(default_factory=list)
    dates: dates.Order | None = None
    both_ways: list[tuple[int, dates.Stamp]] = field(default_factory=list)  # rows refused for their date

    @property
    def readings(self) -> list[Reading]:
        return [reading for _, reading in self.good]


def _header(name: str) -> tuple[str, str | None]:
    """(name without its bracketed unit, the unit in lower case or None)."""
    text = " ".join(str(name or "").replace("\ufeff", "").split()).casefold()
    match = re.fullmatch(r"(.*?)\s*[(\[]\s*([^)\]]*)\s*[)\]]", text)
    return (match.group(1), match.group(2) or None) if match else (text, None)


def _roles(header: list[str]) -> tuple[dict[str, int], dict[str, str | None]]:
    found, found_units = {}, {}
    for index, name in enumerate(header):
        base, unit = _header(name)
        role = _ROLE_OF.get(base)
        if role and role not in found:
            found[role], found_units[role] = index, unit
    return found, found_units


def _recognised(header: list[str]) -> bool:
    """Whether a row names a date column and a column of readings (it is the header)."""
    found = _roles(header)[0]
    return ("datetime" in found or "date" in found) and any(r in found for roles in _KIND_ROLES.values() for r in roles)


def _kind(found: dict[str, int], kind: str | None, header: list[str]) -> str:
    kinds = [k for k, roles in _KIND_ROLES.items() if any(r in found for r in roles)]
    if kind:
        if kind not in kinds:
            raise CsvUnusable(f"The file has no column for {KIND_WORDS.get(kind, kind)}. Its columns are: "
                              f"{_names(header)}.")
        return kind
    if not kinds:
        raise CsvUnusable("No column of readings was recognised (blood pressure, systolic and diastolic, glucose "
                          f"or weight). The file's columns are: {_names(header)}.")
    if len(kinds) > 1:
        raise CsvKinds(kinds, f"The file has columns for {' and '.join(KIND_WORDS[k] for k in kinds)}: "
                              "say which to import.")
    return kinds[0]


def _names(header: list[str]) -> str:
    return ", ".join(f"'{h.strip():.30}'" for h in header[:20]) or "(none)"


def _chosen(header: list[str], chosen: dict[str, str], found: dict, found_units: dict) -> None:
    """Apply the person's choice of column for a role (`{"systolic": "Col 2"}`), by header name."""
    names = [" ".join(h.split()).casefold() for h in header]
    for role, name in chosen.items():
        if role not in HEADERS:
            raise CsvUnusable(f"'{role:.20}' is not a column role. Use one of: {', '.join(HEADERS)}.")
        key = " ".join(str(name).split()).casefold()
        if key not in names:
            raise CsvUnusable(f"The file has no column '{name:.30}'. Its columns are: {_names(header)}.")
        found[role], found_units[role] = names.index(key), _header(name)[1]


def _header_row(data: bytes, chosen: dict[str, str]) -> tuple[list, int]:
    rows = rows_of(data)
    return rows, header_at(rows, chosen, _recognised)


def read(data: bytes, patient_id: str, today: dt.date, author: str, kind: str | None = None,
         chosen: dict[str, str] | None = None, date_order: str | None = None) -> CsvReadings:
    """Every row of a CSV file checked as a reading of one kind (from the header, or `kind`);
    `chosen` names the column for a role where the header does not say (role -> header name);
    `date_order` (day-first or month-first) is the person's word on how the file writes dates."""
    rows, at = _header_row(data, chosen or {})
    header = rows[at][1]
    found, found_units = _roles(header)
    _chosen(header, chosen or {}, found, found_units)
    if "datetime" not in found and "date" not in found:
        raise CsvUnusable(f"No date column was recognised. The file's columns are: {_names(header)}.")
    kind = _kind(found, kind, header)
    if kind == "bp" and "bp" not in found and "diastolic" not in found:
        raise CsvUnusable(f"There is a systolic column but no diastolic one. The file's columns are: {_names(header)}.")
    result = CsvReadings(kind=kind, columns={role: header[i].strip() for role, i in found.items()})
    filled = []
    for line, cells in rows[at + 1:]:
        if any(cell.strip() for cell in cells):
            cell = _cells(cells, found)
            when = cell("datetime") or " ".join(p for p in (cell("date"), cell("time")) if p)
            filled.append((line, cell, when, dates.stamp(when)))
    result.dates = dates.decide([(line, s) for line, _, _, s in filled if s], today, date_order)
    seen: dict[dt.datetime, list[tuple[int, Reading]]] = defaultdict(list)
    for line, cell, when, stamp in filled:
        taken, date_reason = dates.resolve(stamp, when or None, result.dates)
        if date_reason and stamp.both_ways and result.dates.order is None:
            result.both_ways.append((line, stamp))
        try:
            reading, problems = _checked(patient_id, kind, cell, taken, today, author, found_units), {}
        except ReadingInvalid as exc:
            reading, problems = None, exc.problems
        if date_reason:
            problems = {**{k: v for k, v in problems.items() if k != "taken_at"}, "taken_at": date_reason}
        if problems:
            result.rejected.append((line, str(ReadingInvalid(problems))))
            continue
        same_moment = seen[moment(reading)]
        if earlier := next((n for n, r in same_moment if same(r, reading)), None):
            result.repeated.append((line, earlier))
        else:
            same_moment.append((line, reading))
            result.good.append((line, reading))
    return result


def _cells(cells: list[str], found: dict[str, int]):
    def cell(role: str) -> str | None:
        index = found.get(role)
        return cells[index].strip() if index is not None and index < len(cells) else None
    return cell


def _checked(patient_id: str, kind: str, cell, taken: str | None, today: dt.date, author: str,
             found_units: dict) -> Reading:
    """One row through the one check, its value first written in the kind's UK unit."""
    fields = {"context": cell("context") if kind == "glucose" else None}
    value = cell(kind) if kind != "bp" else cell("bp")
    if kind == "bp" and not value:
        fields.update(systolic=cell("systolic"), diastolic=cell("diastolic"), pulse=cell("pulse"))
    elif kind == "bp":
        fields["pulse"] = cell("pulse")
    header_unit = found_units.get(kind) or (found_units.get("systolic") or found_units.get("diastolic")
                                            if kind == "bp" else None)
    value, unit_reason = _in_uk_unit(kind, value, header_unit, cell("unit"))
    try:
        reading = check(patient_id, kind, value, taken, today, author, **fields)
    except ReadingInvalid as exc:
        if unit_reason:
            raise ReadingInvalid({**exc.problems, "value": unit_reason}) from None
        raise
    if unit_reason:
        raise ReadingInvalid({"value": unit_reason})
    return reading


_VALUE = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*([a-z/]*)\s*", re.I)


def _in_uk_unit(kind: str, value: str | None, header_unit: str | None, row_unit: str | None
                ) -> tuple[str | None, str | None]:
    """(the value written for the check in the kind's UK unit, or a reason the unit cannot be read).
    The unit is the row's Unit column, the header's bracketed unit, or one written after the number
    (they must agree); a decimal comma is a decimal point (181,5 lb; 99,0 mg/dL). A glucose in mg/dL
    becomes mmol/L by the clinical reference's factor (18.016, units.csv); pounds and stones become
    kg in the check. A unit not known for the kind is refused: the number is never taken as if it
    were in the UK unit."""
    number = _VALUE.fullmatch(value or "") if kind != "bp" else None
    given = {"".join(u.split()).casefold() for u in (row_unit, header_unit, number and number.group(2)) if u}
    if len(given) > 1:
        return value, f"The unit of this row is given two ways ({' and '.join(sorted(given))}): check which is right."
    unit, known = next(iter(given), None), _UNITS[kind]
    if unit is None:
        return value, None
    if unit not in known:
        return value, (f"The unit '{unit:.12}' is not one this app reads for {KIND_WORDS[kind]}: use "
                       f"{' or '.join(sorted(known))}.")
    if number is None or known[unit] is None:
        return (number.group(1) if number else value), None
    amount = float(number.group(1).replace(",", "."))
    if known[unit] == "mg/dL":
        return f"{units.normalise('glucose', amount, 'mg/dL')[0]:.1f}", None
    return f"{amount:g} {known[unit]}", None


def moment(reading: Reading) -> dt.datetime:
    """A reading's moment to the minute, in UTC: the store keeps the minute, so a time with
    seconds (07:30:15) is the same moment as the one kept (07:30)."""
    return reading.taken_at.astimezone(dt.timezone.utc).replace(second=0, microsecond=0)


def same(a: Reading, b: Reading) -> bool:
    """Whether two readings are the same measurement (kind, moment to the minute, and values),
    whoever entered it."""
    fields = ("kind", "systolic", "diastolic", "pulse", "value", "context")
    return moment(a) == moment(b) and all(getattr(a, f) == getattr(b, f) for f in fields)


def not_kept(readings: list[Reading], kept: list[Reading]) -> list[Reading]:
    """The readings not already among `kept`, looked up by moment (one comparison a reading, not
    one a pair: a year of sensor readings against a year kept)."""
    by_moment: dict[dt.datetime, list[Reading]] = defaultdict(list)
    for old in kept:
        by_moment[moment(old)].append(old)
    return [r for r in readings if not any(same(r, old) for old in by_moment.get(moment(r), ()))]


# -- the person's choice of columns (the Home readings page keeps it for the next file) --------
ROLE_WORDS = {
    "datetime": "Date and time", "date": "Date", "time": "Time",
    "bp": "Blood pressure written as 138/86", "systolic": "Top number (systolic)",
    "diastolic": "Bottom number (diastolic)", "pulse": "Pulse", "glucose": "Blood sugar (glucose)",
    "weight": "Weight", "context": "When the blood sugar was taken", "unit": "Unit (such as mg/dL or lb)",
}


def header_of(data: bytes) -> list[str]:
    """The file's header row (found as `read` finds it), or [] for a file that has none."""
    rows = rows_of(data)
    if not any(cell.strip() for _, cells in rows for cell in cells):
        return []
    return [cell.strip() for cell in rows[header_at(rows, {}, _recognised)][1]]


def kept_choice(text: str | None, header: list[str]) -> dict[str, str]:
    """A kept choice (JSON, role -> header name) limited to the roles whose column this file has:
    a choice made for another device's file is not applied to a column that is not there."""
    try:
        saved = json.loads(text or "{}")
    except ValueError:
        return {}
    names = {" ".join(h.split()).casefold() for h in header}
    if not isinstance(saved, dict):
        return {}
    return {role: name for role, name in saved.items()
            if role in HEADERS and isinstance(name, str) and " ".join(name.split()).casefold() in names}


def choice_problem(choice: dict[str, str]) -> str | None:
    """Why a choice of columns cannot be used, in words, or None (one column for two roles)."""
    names = [" ".join(n.split()).casefold() for n in choice.values()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"The column '{twice[0]:.30}' is chosen for two things. Choose each column once."
    return None
