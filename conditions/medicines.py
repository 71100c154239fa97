"""Which medicines are current (clinical-reference §11.1), and why a monitored medicine whose
record is ambiguous keeps its monitoring check.

A UK GP record carries a repeat as an authorisation (a MedicationRequest with intent plan, or a
continuous order that is not itself an issue of another request, or a MedicationStatement) and one
issue per supply; US records and many FHIR servers carry only the active order, never re-issued.
`record.mapping_medications` sets the facts this module reads (`authorised`, `active_order`,
`end_date`, `last_issued`); nothing here reads FHIR.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.record.dates import human
from ltc_dashboard.record.models import Medication

# "an issue in the last 6 months" (clinical-reference §11.1, as §2.1 counts "active
# MedicationRequests in the last 6 months"); months to days as intervals.csv turns them (× 30.44).
RECENT_MEDICINE_DAYS = 183

# What ends a medicine (§11.1): stopped, cancelled, entered in error; for a statement also completed
# (the person finished it), not taken or on hold. A GP issue is "completed" once issued, so for a
# request "completed" is an issue's state, not an end.
_ENDED_REQUEST = frozenset({"stopped", "cancelled", "entered-in-error", "revoked"})
_ENDED_STATEMENT = frozenset({"stopped", "completed", "entered-in-error", "not-taken", "on-hold"})


def has_ended(med: Medication, today: dt.date) -> bool:
    """Stopped, cancelled, entered in error (or completed, for a statement), or an end date passed."""
    ended = _ENDED_STATEMENT if med.kind == "statement" else _ENDED_REQUEST
    return med.status in ended or (med.end_date is not None and med.end_date < today)


def issued_within(med: Medication, today: dt.date, days: int) -> bool:
    """Whether the last issue falls within `days` before today (or after it)."""
    return med.last_issued is not None and (today - med.last_issued).days <= days


def is_current(med: Medication, today: dt.date, within_days: int | None = RECENT_MEDICINE_DAYS) -> bool:
    """Current by §11.1: not ended, and any of an active authorisation or statement with no end,
    an issue in the last `within_days`, or an active order with no issues at all. With
    within_days None: any medicine ever recorded ("has ever been on")."""
    if within_days is None:
        return True
    if has_ended(med, today):
        return False
    if med.kind == "statement":
        return True  # a statement not ended: the person is taking it, whenever it was last issued
    if med.authorised and med.status == "active":
        return True
    if issued_within(med, today, within_days):
        return True
    return med.active_order and med.status == "active"


def says_active(med: Medication, today: dt.date) -> bool:
    """Whether the record still lists the medicine (§11.1 "the record says active"): not ended, and
    current, marked active, or set up as a repeat that no entry stopped."""
    if has_ended(med, today):
        return False
    return is_current(med, today) or med.status == "active" or med.repeat


def listed_but_not_issued(med: Medication, today: dt.date) -> bool:
    """The ambiguous case of §11.1: the record lists the medicine, but its last issue is older than
    6 months."""
    return (says_active(med, today) and med.last_issued is not None and not med.active_order
            and not issued_within(med, today, RECENT_MEDICINE_DAYS))


def medicine_word(med: Medication) -> str:
    """A medicine's plain name for a sentence: "lithium" from "Lithium carbonate 400mg tablets"."""
    return med.name.split()[0].lower() if med.name and med.name.split() else "the medicine"


def listed_reason(ctx, med: Medication) -> str | None:
    """Why a monitored medicine whose last issue is old still has its check, in words (§11.1):
    "Your record lists lithium as a repeat, last issued on 3 March 2023." None when not ambiguous."""
    if not listed_but_not_issued(med, ctx.today):
        return None
    kind = "a repeat" if med.repeat else "a current medicine"
    fact = f"lists {medicine_word(med)} as {kind}, last issued on {human(med.last_issued)}."
    return ctx.wording(f"Your record {fact}", f"{{name}}'s record {fact}")


def monitoring_reason(ctx, meds: list[Medication]) -> str | None:
    """Why a monitoring check shows for these medicines of one class (§11.1), or None when one of
    them is plainly current (issued in the last 6 months, authorised with no issue yet, or a
    US-style order): the first one's `listed_reason`."""
    if not meds or any(not listed_but_not_issued(m, ctx.today) for m in meds):
        return None
    return listed_reason(ctx, meds[0])
