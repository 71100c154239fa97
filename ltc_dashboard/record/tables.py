"""Reading the CSV tables in data/terminology/: every row names its source and says whether it is
verified. Shared by ltc_dashboard/record/terminology.py and ltc_dashboard/record/due_rules.py."""

from __future__ import annotations

import csv
from pathlib import Path

TABLES = Path(__file__).resolve().parents[2] / "data" / "terminology"


class TerminologyError(Exception):
    """A terminology table is unreadable, or was asked about something it does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class TableError(TerminologyError):
    """A terminology CSV file is missing, malformed or breaks its own rules."""


def read_table(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of data/terminology/<name> as stripped strings; every row needs source and verified."""
    path = TABLES / name
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in (*columns, "source", "verified") if c not in (reader.fieldnames or ())]
            if missing:
                raise TableError(f"{name}: missing column(s) {', '.join(missing)}")
            rows = []
            for line, row in enumerate(reader, start=2):
                if None in row or any(v is None for v in row.values()):
                    raise TableError(f"{name} line {line}: wrong number of fields")
                clean = {k: v.strip() for k, v in row.items()}
                if not clean["source"]:
                    raise TableError(f"{name} line {line}: no source")
                if clean["verified"] not in ("yes", "no"):
                    raise TableError(f"{name} line {line}: verified must be yes or no")
                rows.append(clean)
            return rows
    except OSError as exc:
        raise TableError(f"cannot read terminology table {name}: {exc.strerror}") from exc


def number(text: str, where: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        raise TableError(f"{where}: {text!r} is not a number") from None


def days(text: str, where: str) -> int | None:
    if text and not text.isdigit():
        raise TableError(f"{where}: {text!r} is not a whole number of days")
    return int(text) if text else None


def split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())




def flag(text: str, where: str) -> bool:
    """A yes/no column where blank means yes."""
    if text not in ("", "yes", "no"):
        raise TableError(f"{where}: {text!r} must be yes or no")
    return text != "no"
