"""Starts and dose changes of a medicine class, from the record (clinical-reference §11.9).

A dose change is a new authorisation, order or statement for the same medicine (the same class:
lithium, methotrexate) with a different dose. Grouping by name means two strengths are two
`Medication` entries, so the doses of every entry of the class are read together, oldest first.
Doses come from `record.doses` (mg a day from the instruction, else the strength in the name).
An issue that carries no instruction of its own keeps the last one read for the same medicine
name (its authorisation's). Entries of the class dated the same day are added together (400mg and 200mg tablets taken
together are one dose of 600mg). Two doses are compared by their amounts a day when both are
known, else by the strengths in their names when both are known; otherwise nothing is said (a
change that cannot be read is not guessed).

Computed once per summary through `Context.kept`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from conditions.base import Context
from conditions.medicines import medicine_word
from record.dates import human
from record.doses import strength_in
from record.models import DoseFact, Medication

Direction = Literal["start", "increase", "decrease", "change"]


@dataclass(frozen=True)
class DoseEvent:
    """A start or a dose change of a medicine class, on its date."""

    date: dt.date
    kind: Direction
    medicine: str  # the plain word, "lithium"
    before: float | None = None  # mg a day (or the strength) before and after, when read
    after: float | None = None

    def words(self) -> str:
        """"the dose change on 20 October 2026", "the start of lithium on 3 March 2026"."""
        if self.kind == "start":
            return f"the start of {self.medicine} on {human(self.date)}"
        return f"the dose change on {human(self.date)}"


@dataclass(frozen=True)
class _Dose:
    date: dt.date
    amount: float | None
    strength: float | None


def _daily(ctx: Context, medicine_class: str) -> list[_Dose]:
    """The class's doses by day, oldest first: entries dated the same day added together."""
    by_day: dict[dt.date, dict[str, tuple[float | None, float | None]]] = {}
    for med in ctx.record.medications:
        if medicine_class not in med.classes or med.status == "entered-in-error":
            continue
        known: dict[str, float] = {}  # an issue without its own instruction keeps its authorisation's
        for fact in med.doses or _undosed(med):
            name = fact.name.casefold()
            amount = fact.amount if fact.amount is not None else known.get(name)
            if fact.amount is not None:
                known[name] = fact.amount
            if fact.date is not None and fact.date <= ctx.today:
                by_day.setdefault(fact.date, {})[name] = (amount, fact.strength)
    found = []
    for day in sorted(by_day):
        values = list(by_day[day].values())
        amounts = [a for a, _ in values]
        strengths = [s for _, s in values]
        found.append(_Dose(day, sum(amounts) if None not in amounts else None,
                           sum(strengths) if None not in strengths else None))
    return found


def _undosed(med: Medication) -> list[DoseFact]:
    """Facts for a medicine mapped without doses (its issue dates, or its start), dose unread."""
    dates = med.issues or [d for d in (med.authored_on, med.date) if d][:1]
    return [DoseFact(date=d, strength=strength_in(med.name), entry_id=med.id, name=med.name) for d in dates]


def _compare(before: _Dose, after: _Dose) -> tuple[float, float] | None:
    """The two doses to compare (amounts a day, else strengths), or None when they cannot be."""
    if before.amount is not None and after.amount is not None:
        return before.amount, after.amount
    if before.strength is not None and after.strength is not None:
        return before.strength, after.strength
    return None


def dose_events(ctx: Context, medicine_class: str) -> list[DoseEvent]:
    """The class's start (its first dated entry) and each dose change after it, oldest first."""
    def find() -> list[DoseEvent]:
        doses = _daily(ctx, medicine_class)
        if not doses:
            return []
        word = next((medicine_word(m) for m in ctx.record.medications if medicine_class in m.classes),
                    medicine_class)
        events = [DoseEvent(doses[0].date, "start", word, after=doses[0].amount or doses[0].strength)]
        for before, after in zip(doses, doses[1:]):
            pair = _compare(before, after)
            if pair is None or abs(pair[0] - pair[1]) < 1e-6:
                continue
            kind = "increase" if pair[1] > pair[0] else "decrease"
            events.append(DoseEvent(after.date, kind, word, before=pair[0], after=pair[1]))
        return events
    return ctx.kept(("dose_events", medicine_class), find)


def latest_event(ctx: Context, medicine_class: str, kinds=("start", "increase", "decrease", "change")) -> DoseEvent | None:
    """The newest start or dose change of the given kinds, or None."""
    found = [e for e in dose_events(ctx, medicine_class) if e.kind in kinds]
    return found[-1] if found else None
