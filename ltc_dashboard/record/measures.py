"""The measures, read from `data/terminology/measures.csv`: the one list of what is measured and
charted (issue 19, one owner per fact). The docs' measure ids, the menus and the tests derive
from `measures()`.

A module of its own so that ltc_dashboard/record/due_rules.py (which checks a target's measure id) and
ltc_dashboard/record/terminology.py (which re-exports it and answers "which measure is this coding") can both
import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from types import MappingProxyType

from pydantic import BaseModel

from ltc_dashboard.record.tables import TableError, TerminologyError, read_table


class UnknownMeasure(TerminologyError, KeyError):
    """No measure with that id exists in measures.csv."""


class Measure(BaseModel, frozen=True):
    """One thing that is measured and charted, with its UK unit and the value set that codes it."""

    id: str
    name: str
    plain_name: str
    unit: str
    display_unit: str
    valueset: str
    category: str
    source: str
    verified: bool = True


@cache
def _measures() -> tuple[Measure, ...]:
    columns = ("id", "name", "plain_name", "unit", "display_unit", "valueset", "category")
    rows = read_table("measures.csv", columns)
    if len({row["id"] for row in rows}) != len(rows):
        raise TableError("measures.csv: a measure id is listed twice")
    return tuple(Measure(**{c: row[c] for c in columns}, source=row["source"],
                         verified=row["verified"] == "yes") for row in rows)


@lru_cache(maxsize=1)
def measures() -> Mapping[str, Measure]:
    """All measures by id, ordered as in measures.csv (the order a menu lists them); read-only,
    built once (mapping asks for it for every result)."""
    return MappingProxyType({item.id: item for item in _measures()})


def measure(measure_id: str) -> Measure:
    """One measure by id; UnknownMeasure if there is none."""
    try:
        return measures()[measure_id]
    except KeyError:
        raise UnknownMeasure(f"unknown measure {measure_id!r} (not in measures.csv)") from None
