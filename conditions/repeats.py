"""Which repeat medicines may be ordered, and whether an order has been issued since (issue 21).

The one rule of which medicines are current is `conditions.medicines` (clinical-reference §11.1);
this module only reads it. A repeat is what the mapping marks as one (`Medication.repeat`: course
of therapy continuous or repeat, a repeat extension, repeats allowed) or an authorisation (intent
plan, or a continuous order that is not an issue). A repeat is offered for ordering only when it is
plainly current: not ended, current by §11.1, and not the ambiguous case of a repeat last issued
more than 6 months ago (`listed_but_not_issued`), which the practice may have stopped without the
record saying so. Every repeat not offered says why in plain words; ended ones are not listed.

An order is "issued" when the record holds an issue of the same medicine (the grouped
`Medication` that holds the repeat ordered) dated on or after the order day and after the last
issue the record held when the order was made: derived on reading, never written by a sync.
Nothing here reads FHIR, the store or the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conditions.medicines import has_ended, is_current, listed_but_not_issued
from record.dates import human
from record.models import Medication

NOT_A_REPEAT = ("Your record does not show this as a repeat prescription, so it cannot be ordered here. "
                "Ask the practice if you need more.")
NOT_CURRENT = ("Your record does not show this repeat as current (it is not marked active and was not issued "
               "in the last 6 months), so it cannot be ordered here. Ask the practice whether it is still a repeat.")
OLD_ISSUE = ("Last issued on {day}, more than 6 months ago. The practice may have stopped it without your record "
             "saying so, so it cannot be ordered here. Ask the practice whether it is still a repeat.")


@dataclass(frozen=True)
class RepeatChoice:
    """One repeat medicine on the ordering page: offered for ordering, or not and why."""

    medication: Medication
    focus_id: str  # the repeat MedicationRequest an order points at (the authorisation, else the latest)
    offered: bool
    reason: str | None = None  # why it is not offered, in plain words

    @property
    def last_issued(self) -> dt.date | None:
        return self.medication.last_issued


def is_repeat(med: Medication) -> bool:
    """A request the GP set up as a repeat, or an authorisation (clinical-reference §11.1)."""
    return med.kind == "request" and (med.repeat or med.authorised)


def focus_of(med: Medication) -> str:
    """The id of the repeat request an order is for: the newest standing request (the
    authorisation, or a standing order) among the grouped ones, else the newest request."""
    standing = [d.entry_id for d in med.doses if d.standing and d.entry_id in med.ids]
    return standing[-1] if standing else med.id


def choice_for(med: Medication, today: dt.date) -> RepeatChoice | None:
    """The medicine as the ordering page lists it, or None when it is not listed (ended, or not
    a repeat and not current)."""
    if med.kind != "request" or has_ended(med, today):
        return None
    focus = focus_of(med)
    if not is_repeat(med):
        # A US-style standing order is current by §11.1 but is not a UK repeat: listed, not offered.
        return RepeatChoice(med, focus, False, NOT_A_REPEAT) if med.active_order and is_current(med, today) else None
    if listed_but_not_issued(med, today):
        return RepeatChoice(med, focus, False, OLD_ISSUE.format(day=human(med.last_issued)))
    if not is_current(med, today):
        return RepeatChoice(med, focus, False, NOT_CURRENT)
    return RepeatChoice(med, focus, True)


def repeat_choices(medications: list[Medication], today: dt.date) -> list[RepeatChoice]:
    """The repeats to list, offered ones first, each group by name."""
    found = [c for med in medications if (c := choice_for(med, today)) is not None]
    return sorted(found, key=lambda c: (not c.offered, c.medication.name.casefold(), c.focus_id))


def find_medicine(medications: list[Medication], entry_id: str) -> Medication | None:
    """The grouped medicine that holds the request `entry_id` (any issue or the authorisation)."""
    return next((m for m in medications if entry_id in m.ids or m.id == entry_id), None)


def issued_after(medications: list[Medication], ids: list[str], ordered: dt.date,
                 last_before: dt.date | None) -> dt.date | None:
    """The first issue of the ordered medicine on or after the order day and after the last issue
    known when it was ordered; None when none is recorded (or the medicine is no longer visible)."""
    med = next((m for m in medications if set(ids) & set(m.ids)), None)
    if med is None:
        return None
    later = [d for d in med.issues if d >= ordered and (last_before is None or d > last_before)]
    return min(later) if later else None
