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

A restart after a gap is a start (§11.9 "after starting", §5.2 "from a start"): an entry dated
more than 6 months (the §11.1 window, `RECENT_MEDICINE_DAYS`) after the class was last seen (its
last entry, or the end date of an ended one), with no authorisation, standing order or statement
still in force over the gap, starts the schedule again. An authorisation still in force covers any
gap between issues (a record often exports only the recent issues of a repeat authorised years
ago), so a gap alone is not read as a restart. A cancelled (or entered-in-error, draft, not-taken)
entry was never in force: it is neither a dose nor a start.

Computed once per summary through `Context.kept`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from conditions.base import Context
from conditions.medicines import RECENT_MEDICINE_DAYS, medicine_word
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.doses import strength_in
from ltc_dashboard.record.models import DoseFact, Medication

Direction = Literal["start", "increase", "decrease", "change"]


@dataclass(frozen=True)
class DoseEvent:
    """A start or a dose change of a medicine class, on its date."""

    date: dt.date
    kind: Direction
    medicine: str  # the plain word, "lithium"
    before: float | None = None  # mg a day (or the strength) before and after, when read
    after: float | None = None
    again: bool = False  # a start after a gap (a restart)

    def words(self) -> str:
        """"the dose change on 20 October 2026", "the start of lithium on 3 March 2026"."""
        if self.kind == "start":
            return f"the {'restart' if self.again else 'start'} of {self.medicine} on {human(self.date)}"
        return f"the dose change on {human(self.date)}"


# An entry never in force (§11.1: cancelled, entered in error; a draft; a statement not taken).
_NEVER_IN_FORCE = frozenset({"cancelled", "entered-in-error", "draft", "not-taken"})
# An authorisation, standing order or statement with these statuses has ended.
_ENDED = frozenset({"stopped", "completed", "cancelled", "entered-in-error", "not-taken", "revoked"})


@dataclass(frozen=True)
class _Dose:
    date: dt.date
    amount: float | None
    strength: float | None
    again: bool = False  # a restart after a gap


def _daily(ctx: Context, medicine_class: str) -> list[_Dose]:
    """The class's doses by day, oldest first: entries dated the same day added together, a day
    after a gap marked as a restart."""
    by_day: dict[dt.date, dict[str, tuple[float | None, float | None]]] = {}
    facts: list[DoseFact] = []
    for med in ctx.record.medications:
        if medicine_class not in med.classes or med.status == "entered-in-error":
            continue
        known: dict[str, float] = {}  # an issue without its own instruction keeps its authorisation's
        for fact in med.doses or _undosed(med):
            if fact.status in _NEVER_IN_FORCE:
                continue
            facts.append(fact)
            name = fact.name.casefold()
            amount = fact.amount if fact.amount is not None else known.get(name)
            if fact.amount is not None:
                known[name] = fact.amount
            if fact.date is not None and fact.date <= ctx.today:
                by_day.setdefault(fact.date, {})[name] = (amount, fact.strength)
    found = []
    gaps = _restarts(sorted(by_day), facts)
    for day in sorted(by_day):
        values = list(by_day[day].values())
        amounts = [a for a, _ in values]
        strengths = [s for _, s in values]
        found.append(_Dose(day, sum(amounts) if None not in amounts else None,
                           sum(strengths) if None not in strengths else None, again=day in gaps))
    return found


def _restarts(days: list[dt.date], facts: list[DoseFact]) -> set[dt.date]:
    """The days (after the first) on which the class starts again after a gap: no earlier
    authorisation, standing order or statement still in force on the day, and every earlier entry
    last seen more than `RECENT_MEDICINE_DAYS` before it (an entry's date or end; an ended
    authorisation's last issue made from it, which may be later). One pass, oldest first."""
    issued: dict[str, dt.date] = {}
    for fact in facts:
        if fact.based_on and fact.date is not None:
            issued[fact.based_on] = max(issued.get(fact.based_on, fact.date), fact.date)
    ordered = sorted((f for f in facts if f.date is not None), key=lambda f: f.date)
    found: set[dt.date] = set()
    last: dt.date | None = None
    open_ended = False  # an earlier entry in force with no end
    in_force_until: dt.date | None = None  # the latest end of an earlier entry in force
    i = 0
    for day in days:
        while i < len(ordered) and ordered[i].date < day:
            f = ordered[i]
            seen = max(f.date, f.end or f.date, issued.get(f.entry_id, f.date))
            last = seen if last is None else max(last, seen)
            if f.standing and f.status not in _ENDED:
                if f.end is None:
                    open_ended = True
                else:
                    in_force_until = f.end if in_force_until is None else max(in_force_until, f.end)
            i += 1
        if last is None or open_ended or (in_force_until is not None and in_force_until >= day):
            continue
        if (day - last).days > RECENT_MEDICINE_DAYS:
            found.add(day)
    return found


def _undosed(med: Medication) -> list[DoseFact]:
    """Facts for a medicine mapped without doses (its issue dates, or its start), dose unread; one
    the record lists as active stands over any gap between them (no restart is read)."""
    dates = med.issues or [d for d in (med.authored_on, med.date) if d][:1]
    return [DoseFact(date=d, strength=strength_in(med.name), entry_id=med.id, name=med.name,
                     status=med.status, standing=med.status == "active", end=med.end_date) for d in dates]


def _compare(before: _Dose, after: _Dose) -> tuple[float, float] | None:
    """The two doses to compare (amounts a day, else strengths), or None when they cannot be."""
    if before.amount is not None and after.amount is not None:
        return before.amount, after.amount
    if before.strength is not None and after.strength is not None:
        return before.strength, after.strength
    return None


def dose_events(ctx: Context, medicine_class: str) -> list[DoseEvent]:
    """The class's start (its first dated entry), each restart after a gap (a start) and each dose
    change, oldest first."""
    def find() -> list[DoseEvent]:
        doses = _daily(ctx, medicine_class)
        if not doses:
            return []
        word = next((medicine_word(m) for m in ctx.record.medications if medicine_class in m.classes),
                    medicine_class)
        events = [DoseEvent(doses[0].date, "start", word, after=doses[0].amount or doses[0].strength)]
        for before, after in zip(doses, doses[1:]):
            if after.again:
                events.append(DoseEvent(after.date, "start", word, after=after.amount or after.strength, again=True))
                continue
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
