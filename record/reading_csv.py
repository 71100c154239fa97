"""Reading home readings from a CSV file of the shape home devices and their apps export (issue 20):
a date and time column (one, or a date and a time apart) and value columns, with a header row.

Header names are recognised whatever their case, spacing or a unit in brackets ("SYS (mmHg)",
"Blood glucose (mg/dL)"); a file whose header names no date or no values is refused as a whole,
saying which headers it found. Each row is checked by the one check (record/readings.py `check`):
a row that fails is named by its line with every reason, and nothing here saves anything. The
caller shows the count and the rejected rows, and saves the good rows only if the person accepts
them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field

from record import units
from record.readings import Reading, ReadingInvalid, check

MAX_BYTES = 5_000_000  # a year of readings every minute is far smaller
MAX_ROWS = 50_000

# role -> header names (lower case, spaces collapsed, without a unit in brackets)
HEADERS = {
    "datetime": ("date/time", "datetime", "date time", "date and time", "timestamp", "measured at", "taken at",
                 "measurement time stamp", "time stamp"),
    "date": ("date", "day", "measurement date", "date measured", "reading date"),
    "time": ("time", "measurement time", "time measured", "reading time"),
    "bp": ("blood pressure", "bp"),
    "systolic": ("systolic", "sys", "sys.", "systolic blood pressure", "top number", "upper"),
    "diastolic": ("diastolic", "dia", "dia.", "diastolic blood pressure", "bottom number", "lower"),
    "pulse": ("pulse", "pul", "pulse rate", "heart rate", "hr", "bpm"),
    "glucose": ("glucose", "blood glucose", "blood sugar", "sugar", "bg", "glucose level"),
    "weight": ("weight", "body weight", "mass"),
    "context": ("context", "meal", "meal tag", "timing", "when", "before/after meal", "tag", "measurement context"),
}
_ROLE_OF = {name: role for role, names in HEADERS.items() for name in names}
_KIND_ROLES = {"bp": ("bp", "systolic"), "glucose": ("glucose",), "weight": ("weight",)}


class CsvUnusable(ValueError):
    """The file as a whole cannot be read as readings (not text, no header, no date or value column)."""


@dataclass
class CsvReadings:
    """What a file holds: its kind, which header fills which role, the good readings and the rejected
    rows (line number in the file, reason)."""

    kind: str
    columns: dict[str, str]
    good: list[tuple[int, Reading]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)

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


def _kind(found: dict[str, int], kind: str | None, header: list[str]) -> str:
    kinds = [k for k, roles in _KIND_ROLES.items() if any(r in found for r in roles)]
    if kind:
        if kind not in kinds:
            raise CsvUnusable(f"The file has no column for {kind}. Its columns are: {_names(header)}.")
        return kind
    if not kinds:
        raise CsvUnusable("No column of readings was recognised (blood pressure, systolic and diastolic, glucose "
                          f"or weight). The file's columns are: {_names(header)}.")
    if len(kinds) > 1:
        raise CsvUnusable(f"The file has columns for {' and '.join(kinds)}: say which to import (--kind).")
    return kinds[0]


def _names(header: list[str]) -> str:
    return ", ".join(f"'{h.strip():.30}'" for h in header[:20]) or "(none)"


def _table(data: bytes) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise CsvUnusable(f"The file is larger than {MAX_BYTES // 1_000_000} MB: that is not a file of home readings.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise CsvUnusable("The file is not text: choose the CSV file the device or app exported.") from None
    if "\x00" in text:
        raise CsvUnusable("The file is not text: choose the CSV file the device or app exported.")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if len(rows) > MAX_ROWS + 1:
        raise CsvUnusable(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")
    return rows


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


def read(data: bytes, patient_id: str, today: dt.date, author: str, kind: str | None = None,
         chosen: dict[str, str] | None = None) -> CsvReadings:
    """Every row of a CSV file checked as a reading of one kind (from the header, or `kind`);
    `chosen` names the column for a role where the header does not say (role -> header name)."""
    rows = _table(data)
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise CsvUnusable("The file is empty.")
    header = rows[0]
    found, found_units = _roles(header)
    _chosen(header, chosen or {}, found, found_units)
    if "datetime" not in found and "date" not in found:
        raise CsvUnusable(f"No date column was recognised. The file's columns are: {_names(header)}.")
    kind = _kind(found, kind, header)
    if kind == "bp" and "bp" not in found and "diastolic" not in found:
        raise CsvUnusable(f"There is a systolic column but no diastolic one. The file's columns are: {_names(header)}.")
    result = CsvReadings(kind=kind, columns={role: header[i].strip() for role, i in found.items()})
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue

        def cell(role: str) -> str | None:
            index = found.get(role)
            return cells[index].strip() if index is not None and index < len(cells) else None

        when = cell("datetime") or " ".join(p for p in (cell("date"), cell("time")) if p)
        fields = {"context": cell("context") if kind == "glucose" else None}
        value = cell(kind) if kind != "bp" else cell("bp")
        if kind == "bp" and not value:
            fields.update(systolic=cell("systolic"), diastolic=cell("diastolic"), pulse=cell("pulse"))
        elif kind == "bp":
            fields["pulse"] = cell("pulse")
        value = _in_uk_unit(kind, value, found_units.get(kind))
        try:
            result.good.append((line, check(patient_id, kind, value, when or None, today, author, **fields)))
        except ReadingInvalid as exc:
            result.rejected.append((line, str(exc)))
    return result


def _in_uk_unit(kind: str, value: str | None, unit: str | None) -> str | None:
    """A value under a header that names another unit (mg/dL, lb, st) written in the UK unit."""
    number = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", value or "")
    if not number or not unit:
        return value
    unit = unit.replace(" ", "")
    if kind == "glucose" and unit == "mg/dl":
        return f"{units.normalise('glucose', float(number.group(1)), 'mg/dL')[0]:.1f}"
    if kind == "weight" and unit in ("lb", "lbs"):
        return f"{number.group(1)} lb"
    if kind == "weight" and unit == "st":
        return f"{number.group(1)} st"
    return value


def same(a: Reading, b: Reading) -> bool:
    """Whether two readings are the same measurement (kind, moment and values), whoever entered it."""
    fields = ("kind", "systolic", "diastolic", "pulse", "value", "context")
    return a.taken_at == b.taken_at and all(getattr(a, f) == getattr(b, f) for f in fields)


# -- the person's choice of columns (the Home readings page keeps it for the next file) --------
ROLE_WORDS = {
    "datetime": "Date and time", "date": "Date", "time": "Time",
    "bp": "Blood pressure written as 138/86", "systolic": "Top number (systolic)",
    "diastolic": "Bottom number (diastolic)", "pulse": "Pulse", "glucose": "Blood sugar (glucose)",
    "weight": "Weight", "context": "When the blood sugar was taken",
}


def header_of(data: bytes) -> list[str]:
    """The file's header row (its first row with any text), or [] for a file that has none."""
    rows = _table(data)
    return next(([cell.strip() for cell in row] for row in rows if any(c.strip() for c in row)), [])


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
