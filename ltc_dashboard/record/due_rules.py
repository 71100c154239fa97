"""Targets, bands and thresholds (targets.csv) and due intervals (intervals.csv), as typed rows.
Part of the terminology API: ltc_dashboard/record/terminology.py re-exports everything here."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel

from ltc_dashboard.record.citations import check as check_source
from ltc_dashboard.record.measures import measure
from ltc_dashboard.record.tables import TerminologyError, days, flag, number, read_table, split_list


class UnknownCheck(TerminologyError, KeyError):
    """No due-check with that id (and condition) exists in intervals.csv."""


class Target(BaseModel, frozen=True):
    """A target, band or threshold for a measure; ``low``/``high`` are bounds, either may be absent."""

    id: str
    measure: str
    condition: str
    applies_when: str
    low: float | None
    high: float | None
    unit: str
    text: str
    source: str
    verified: bool
    kind: str = "target"  # target, band, action, audit or range
    label: str = ""
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: float) -> bool | None:
        """Whether value lies within the bounds; None when the row has no numeric bound at all."""
        if self.low is None and self.high is None:
            return None
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)):
            return False
        return True


class Interval(BaseModel, frozen=True):
    """A due rule: which value sets satisfy a check and how often it is expected."""

    check: str
    condition: str
    evidence: tuple[str, ...]
    interval_days: int
    grace_days: int
    stricter_when: str | None
    stricter_interval_days: int | None
    source: str
    verified: bool
    declined: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    text: str = ""

    @property
    def once_only(self) -> bool:
        """True when the check has no repeat interval (interval_days is 0)."""
        return self.interval_days == 0

    def window(self, stricter: bool = False) -> tuple[int, int]:
        """(interval, grace) days, the stricter interval if asked; grace is capped at a quarter."""
        days = (stricter and self.stricter_interval_days) or self.interval_days
        return days, min(self.grace_days, days // 4)


@cache
def _targets() -> tuple[Target, ...]:
    columns = ("id", "measure", "condition", "applies_when", "low", "high", "unit", "text")
    found = []
    for row in read_table("targets.csv", (*columns, "kind", "label", "low_inclusive", "high_inclusive")):
        where = f"targets.csv {row['id']}"
        check_source(row["source"], where)  # every key it names has a plain citation (sources.csv)
        found.append(Target(
            **{c: row[c] for c in columns if c not in ("low", "high")},
            low=number(row["low"], where), high=number(row["high"], where),
            source=row["source"], verified=row["verified"] == "yes", kind=row["kind"] or "target",
            label=row["label"], low_inclusive=flag(row["low_inclusive"], where),
            high_inclusive=flag(row["high_inclusive"], where)))
    return tuple(found)


def targets(measure_id: str, condition: str | None = None) -> list[Target]:
    """Targets, bands and thresholds for a measure; with condition, that condition's and 'any'."""
    measure(measure_id)  # checks the id
    return [t for t in _targets() if t.measure == measure_id
            and (condition is None or t.condition in (condition, "any"))]


@cache
def _intervals() -> tuple[Interval, ...]:
    columns = ("check", "condition", "evidence", "interval_days", "grace_days", "stricter_when",
               "stricter_interval_days", "declined", "parts", "text")
    found = []
    for row in read_table("intervals.csv", columns):
        where = f"intervals.csv {row['check']}/{row['condition']}"
        check_source(row["source"], where)
        found.append(Interval(
            check=row["check"], condition=row["condition"], evidence=split_list(row["evidence"]),
            interval_days=days(row["interval_days"], where) or 0,
            grace_days=days(row["grace_days"], where) or 0,
            stricter_when=row["stricter_when"] or None,
            stricter_interval_days=days(row["stricter_interval_days"], where),
            source=row["source"], verified=row["verified"] == "yes",
            declined=split_list(row["declined"]), parts=split_list(row["parts"]), text=row["text"]))
    return tuple(found)


def intervals(condition: str | None = None) -> list[Interval]:
    """Due rules in file order; with condition, only that condition's."""
    return [i for i in _intervals() if condition is None or i.condition == condition]


def interval(check: str, condition: str | None = None) -> Interval:
    """The due rule for a check (the first listed when condition is None); UnknownCheck if none."""
    for item in intervals(condition):
        if item.check == check:
            return item
    where = f" for condition {condition!r}" if condition else ""
    raise UnknownCheck(f"unknown check {check!r}{where} (not in intervals.csv)")
