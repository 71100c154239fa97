"""Turning a measured value into the unit UK GP systems show (HbA1c % to mmol/mol, and so on).

Conversions and unit spellings come from ``data/terminology/units.csv`` and ``aliases.csv``:
value_in_uk_unit = value * factor + offset. Nothing is rounded here; round only for display.
Error messages name the measure and the unit, never the value.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

from ltc_dashboard.record.terminology import TableError, UnknownMeasure, measure, measures, read_table

SCORE = "{score}"


class UnitError(ValueError):
    """A value's unit is missing or cannot be converted to the measure's UK unit."""


def _key(unit: str) -> str:
    """Spelling-insensitive form of a unit: micro signs as 'u', no spaces, case folded."""
    return "".join(unit.replace("\u00b5", "u").replace("\u03bc", "u").split()).casefold()


def _factor(text: str, where: str) -> float:
    """A factor written as a number or as 'a/b' (kept as a fraction so the table reads exactly)."""
    try:
        top, _, bottom = text.partition("/")
        return float(top) / float(bottom) if bottom else float(top)
    except (ValueError, ZeroDivisionError):
        raise TableError(f"{where}: {text!r} is not a number or a fraction") from None


@cache
def _conversions() -> dict[tuple[str, str], tuple[float, float]]:
    """(measure, from unit) -> (factor, offset), checked against the measures' UK units."""
    table: dict[tuple[str, str], tuple[float, float]] = {}
    for row in read_table("units.csv", ("measure", "from_unit", "to_unit", "factor", "offset")):
        where = f"units.csv {row['measure']} {row['from_unit']}"
        if row["measure"] not in measures():
            raise TableError(f"{where}: unknown measure")
        if row["to_unit"] != measures()[row["measure"]].unit:
            raise TableError(f"{where}: to_unit is not the measure's unit {measures()[row['measure']].unit}")
        offset = _factor(row["offset"], where) if row["offset"] else 0.0
        table[(row["measure"], row["from_unit"])] = (_factor(row["factor"], where), offset)
    return table


@cache
def _aliases() -> dict[str, str]:
    """Spelling key -> canonical UCUM unit, for aliases and for every unit the tables use."""
    known = {m.unit for m in measures().values()} | {unit for _, unit in _conversions()}
    pairs = [(unit, unit) for unit in sorted(known)]
    pairs += [(row["alias"], row["unit"]) for row in read_table("aliases.csv", ("alias", "unit"))]
    found: dict[str, str] = {}
    for alias, unit in pairs:
        previous = found.setdefault(_key(alias), unit)
        if previous != unit:
            raise TableError(f"aliases.csv: {alias!r} would mean both {previous} and {unit}")
    return found


def canonical_unit(unit: str | None) -> str | None:
    """The canonical spelling of a unit (None for a blank unit); unknown units come back unchanged."""
    if unit is None or not unit.strip():
        return None
    if type(unit) is str and len(unit) <= _CACHED_LENGTH:
        return _cached_canonical(unit)  # every result of a record asks again for the same few units
    return _canonical(unit)


_CACHED_LENGTH = 40


def _canonical(unit: str) -> str:
    return _aliases().get(_key(unit), unit.strip())


_cached_canonical = lru_cache(maxsize=1024)(_canonical)


def normalise(measure_id: str, value: float, unit: str | None) -> tuple[float, str]:
    """The value in the measure's UK unit, and that unit; UnitError when it cannot be converted."""
    if unit is None or (type(unit) is str and len(unit) <= _CACHED_LENGTH):
        target, conversion, problem = _cached_plan(measure_id, unit)  # a record repeats its units
    else:
        target, conversion, problem = _plan(measure_id, unit)
    if problem is not None:
        raise UnitError(problem)
    if conversion is None:
        return float(value), target
    factor, offset = conversion
    converted = float(value) * factor + offset
    if not math.isfinite(converted):  # e.g. 1.7e308 % HbA1c: no real result, and no number to show
        raise UnitError(f"a {measure_id} value in {unit.strip()!r} is out of range once converted to {target}")
    return converted, target


def _plan(measure_id: str, unit: str | None) -> tuple[str | None, tuple[float, float] | None, str | None]:
    """(UK unit, (factor, offset) or None when the value is already in it, why it cannot be converted)."""
    try:
        target = measure(measure_id).unit
    except UnknownMeasure:
        return None, None, f"{measure_id!r} is not a known measure, so its unit cannot be checked"
    given = canonical_unit(unit)
    if given is None:
        if target == SCORE:
            return target, None, None
        return target, None, f"a {measure_id} result has no unit; expected {target}"
    if given == target:
        return target, None, None
    try:
        return target, _conversions()[(measure_id, given)], None
    except KeyError:
        return target, None, f"cannot convert {measure_id} from {unit.strip()!r} to {target}"


_cached_plan = lru_cache(maxsize=1024)(_plan)


@cache
def _code_units() -> dict[tuple[str, str], str]:
    """(system, code) -> the unit a result so coded is reported in (code_units.csv)."""
    table: dict[tuple[str, str], str] = {}
    for row in read_table("code_units.csv", ("system", "code", "unit")):
        unit = canonical_unit(row["unit"])
        if (row["system"], row["code"]) in table or unit is None:
            raise TableError(f"code_units.csv {row['system']} {row['code']}: listed twice or without a unit")
        table[(row["system"], row["code"])] = unit
    return table


def code_unit(codings: list[tuple[str, str]]) -> str | None:
    """The unit the result's codes fix (an IFCC HbA1c code: mmol/mol), or None if they fix none."""
    table = _code_units()
    return next((table[pair] for pair in codings if pair in table), None)


@cache
def _plausible() -> dict[str, tuple[float, float]]:
    table: dict[str, tuple[float, float]] = {}
    for row in read_table("plausible.csv", ("measure", "low", "high")):
        where = f"plausible.csv {row['measure']}"
        if row["measure"] not in measures() or row["measure"] in table:
            raise TableError(f"{where}: unknown measure, or listed twice")
        low, high = _factor(row["low"], where), _factor(row["high"], where)
        if not low < high:
            raise TableError(f"{where}: low is not below high")
        table[row["measure"]] = (low, high)
    return table


def plausible_range(measure_id: str) -> tuple[float, float] | None:
    """(lowest, highest) value a result of this measure can possibly have, in its UK unit."""
    return _plausible().get(measure_id)


def hba1c_pct_to_ifcc(pct: float) -> float:
    """HbA1c DCCT % to IFCC mmol/mol: (pct - 2.15) x 10.929."""
    return normalise("hba1c", pct, "%")[0]


def hba1c_ifcc_to_pct(mmol_mol: float) -> float:
    """HbA1c IFCC mmol/mol to DCCT %: mmol_mol / 10.929 + 2.15."""
    factor, offset = _conversions()[("hba1c", "%")]
    return (mmol_mol - offset) / factor
