"""The rows of a CSV file of home readings (issue 20), before anything in them is read as a reading:
the text decoded, the separator found, each physical line taken apart on its own, and the header row
found among the first lines.

Why each line is taken apart on its own: a note that opens a quote and never closes it ("felt dizzy)
makes the csv module read the rest of the file as that one cell, so every later row would vanish,
neither kept nor named as rejected. A device's export holds one reading a line, so a line is a row;
a quote left open is read as text to the end of its line. Line numbers are then the lines the
person sees in an editor.

Why the header is searched for: some exports put a title line above the header (LibreView:
"Glucose Data,Generated on,..."), and Excel writes `sep=;` on the first line of a file it saved
with semicolons.
"""

from __future__ import annotations

import csv
import re

MAX_BYTES = 5_000_000  # a year of readings every minute is far smaller
MAX_ROWS = 50_000
HEADER_SEARCH = 10  # the header is one of the first ten lines with text
_SEPARATORS = (",", ";", "\t")
_SEP_LINE = re.compile(r'\s*"?sep=(.)"?\s*', re.I)
_LINE_ENDS = re.compile(r"\r\n|\r|\n")
_DATA_LIKE = re.compile(r"\s*[-+]?\d+(?:[.,]\d+)?\s*|.*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.*")

Row = tuple[int, list[str]]  # (line number in the file, its cells)


class CsvUnusable(ValueError):
    """The file as a whole cannot be read as readings (not text, no header, no date or value column)."""


def text_of(data: bytes) -> str:
    """The file's text: UTF-16 with its byte order mark (Excel's "Unicode Text"), UTF-8 (with or
    without a mark), or Windows' Western encoding; CsvUnusable for a file that is not text."""
    if len(data) > MAX_BYTES:
        raise CsvUnusable(f"The file is larger than {MAX_BYTES // 1_000_000} MB: that is not a file of home readings.")
    not_text = "The file is not text: choose the CSV file the device or app exported."
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvUnusable(not_text) from None
    if "\x00" in text:
        raise CsvUnusable(not_text)
    return text


def _separator(lines: list[str]) -> tuple[str, int]:
    """(the separator, how many lines to skip): Excel's `sep=;` line names it; otherwise the one
    the first line with any separator uses most."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and (match := _SEP_LINE.fullmatch(lines[first])):
        return match.group(1), first + 1
    for line in lines[:HEADER_SEARCH]:
        if any(sep in line for sep in _SEPARATORS):
            return max(_SEPARATORS, key=line.count), 0
    return ",", 0


def rows_of(data: bytes) -> list[Row]:
    """Every line of the file from the header on (blank ones included, as [])."""
    lines = _LINE_ENDS.split(text_of(data))
    if len(lines) > MAX_ROWS + HEADER_SEARCH:
        raise CsvUnusable(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")
    separator, skip = _separator(lines)
    limit = csv.field_size_limit()
    rows = []
    for number, line in enumerate(lines[skip:], start=skip + 1):
        try:
            cells = next(csv.reader([line], delimiter=separator), [])
        except csv.Error as exc:
            if "field larger" not in str(exc):
                raise CsvUnusable(f"Line {number} cannot be read as CSV ({exc}).") from None
            raise CsvUnusable(f"Line {number} has a cell longer than {limit:,} characters, far more than a "
                              "reading needs (a pasted note?). Remove that text from the file and choose it "
                              "again.") from None
        rows.append((number, cells))
    return rows


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def header_at(rows: list[Row], chosen: dict[str, str], recognised) -> int:
    """Where the header is among the first lines with text: the first holding every column the
    person named; else the first whose names `recognised` (a date and a value); else the first
    with two or more names and no number or date in it (a title line has its date); else the
    first line with text."""
    filled = [i for i, (_, cells) in enumerate(rows) if any(c.strip() for c in cells)][:HEADER_SEARCH]
    if not filled:
        raise CsvUnusable("The file is empty.")
    wanted = {_key(name) for name in chosen.values()}
    tests = ([lambda cells: wanted <= {_key(c) for c in cells}] if wanted else []) + [
        recognised,
        lambda cells: sum(1 for c in cells if c.strip()) >= 2 and not any(_DATA_LIKE.fullmatch(c) for c in cells),
    ]
    for test in tests:
        if (at := next((i for i in filled if test(rows[i][1])), None)) is not None:
            return at
    return filled[0]
