"""Which repeat medicines may be ordered, and whether an order has been issued since (issue 21).

The one rule of which medicines are current is `conditions.medicines` (clinical-reference §11.1);
this module only reads it. A repeat is what the mapping marks as one (`Medication.repeat`: course
of therapy continuous or repeat, a repeat extension, repeats allowed) or an authorisation (intent
plan, or a continuous order that is not an issue). A repeat is offered for ordering only when it is
plainly current: not ended, current by §11.1, and not the ambiguous case of a repeat last issued
more than 6 months ago (`listed_but_not_issued`), which the practice may have stopped without the
record saying so. Repeat-specific rules come on top of §11.1, each listed, not offered, with why:
an authorisation on hold (R4: its actions "temporarily halted") or completed (GP Connect: every
issue made or its expiry reached), a suggestion (intent proposal) that no prescriber authorised,
a medicine the record does not name (the person could not tell what they order), and a
MedicationStatement (§11.1 names it as a way a repeat is carried; an order points at a request).
Ended ones are not listed; a group made only of issues of an authorisation listed under another
name is that repeat's, not one of its own.

An order is "issued" when the record holds a real issue (`is_issue`) that answers it: made from
the ordered authorisation (basedOn), else of the same dm+d/SNOMED code, else of the same grouped
medicine (name and route); made after the order (at or after its time when the issue has one,
else on or after its day and after the last issue the record held when it was ordered), and not
already in the record when it was ordered. Derived on reading, never written by a sync. Nothing
here reads FHIR, the store or the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conditions.medicines import has_ended, is_current, listed_but_not_issued
from ltc_dashboard.record.dates import UK, human
from ltc_dashboard.record.models import DoseFact, Medication
from ltc_dashboard.record.terminology import SNOMED

NOT_A_REPEAT = ("Your record does not show this as a repeat prescription, so it cannot be ordered here. "
                "Ask the practice if you need more.")
NOT_CURRENT = ("Your record does not show this repeat as current (it is not marked active and was not issued "
               "in the last 6 months), so it cannot be ordered here. Ask the practice whether it is still a repeat.")
OLD_ISSUE = ("Last issued on {day}, more than 6 months ago. The practice may have stopped it without your record "
             "saying so, so it cannot be ordered here. Ask the practice whether it is still a repeat.")
ON_HOLD = ("Your record shows this repeat as on hold, so it cannot be ordered here. Ask the practice when it can "
           "be ordered again.")
COMPLETED = ("Your record shows this repeat as completed (every issue it allowed has been made, or it reached its "
             "end date), so it cannot be ordered here. Ask the practice whether it will be renewed.")
PROPOSAL = ("Your record holds this only as a suggestion, not as a prescription the practice has authorised, so it "
            "cannot be ordered here. Ask the practice if you need it.")
UNNAMED = ("Your record does not say which medicine this is, so it cannot be ordered here: you could not tell what "
           "you were ordering. Ask the practice which medicine it is.")
STATEMENT = ("Your record lists this as a medicine you take, not as a prescription the practice issues from here, "
             "so it cannot be ordered here. Ask the practice if you need more.")

# What a real issue is (R4 medicationrequest-intent and -status): an order of some kind, active or
# completed. A plan is the authorisation; a proposal a suggestion; an option one of several
# alternatives (the UK Core examples: "the option for Amoxicillin when prescribing multiple
# routes", a hospital chart's choice, not a supply); a draft is unsigned; a cancelled one was
# withdrawn; on-hold and stopped ones were not completed.
ISSUE_INTENTS = frozenset({"order", "original-order", "reflex-order", "filler-order", "instance-order"})
ISSUE_STATUSES = frozenset({"active", "completed"})
# dm+d identifiers are SNOMED CT UK drug extension concept ids: one code space, spelt either way.
_DMD = frozenset({SNOMED, "https://dmd.nhs.uk", "http://dmd.nhs.uk", "https://dmd.nhs.uk/", "http://dmd.nhs.uk/"})
UNNAMED_NAME = "Unnamed medicine"  # record.mapping_medications names a request it cannot name so


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


def _only_proposals(med: Medication) -> bool:
    return bool(med.doses) and all(d.intent == "proposal" for d in med.doses)


def choice_for(med: Medication, today: dt.date) -> RepeatChoice | None:
    """The medicine as the ordering page lists it, or None when it is not listed (ended, or not
    a repeat and not current). `repeat_choices` also drops a group that is another's issues."""
    if med.kind == "statement":
        current = not has_ended(med, today) and is_current(med, today)
        return RepeatChoice(med, med.id, False, STATEMENT) if current else None
    if med.kind != "request" or has_ended(med, today):
        return None
    focus = focus_of(med)
    if not is_repeat(med):
        # A US-style standing order is current by §11.1 but is not a UK repeat: listed, not offered.
        return RepeatChoice(med, focus, False, NOT_A_REPEAT) if med.active_order and is_current(med, today) else None
    reason = _held_back(med)
    if reason:
        return RepeatChoice(med, focus, False, reason)
    if listed_but_not_issued(med, today):
        return RepeatChoice(med, focus, False, OLD_ISSUE.format(day=human(med.last_issued)))
    if not is_current(med, today):
        return RepeatChoice(med, focus, False, NOT_CURRENT)
    return RepeatChoice(med, focus, True)


def _held_back(med: Medication) -> str | None:
    """Why a repeat §11.1 may call current is still not one to order, or None."""
    if med.name == UNNAMED_NAME:
        return UNNAMED
    if _only_proposals(med):
        return PROPOSAL
    if med.status == "on-hold":
        return ON_HOLD
    if med.authorised and med.status == "completed":
        return COMPLETED
    return None


def repeat_choices(medications: list[Medication], today: dt.date) -> list[RepeatChoice]:
    """The repeats to list, offered ones first, each group by name."""
    found = [c for med in medications if (c := _listed(med, medications, today)) is not None]
    return sorted(found, key=lambda c: (not c.offered, c.medication.name.casefold(), c.focus_id))


def _listed(med: Medication, medications: list[Medication], today: dt.date) -> RepeatChoice | None:
    if _issues_of_another(med, medications):
        return None
    choice = choice_for(med, today)
    if choice is not None and med.kind == "statement" and _also_requested(med, medications, today):
        return None  # the same medicine is listed from its prescription
    return choice


def _issues_of_another(med: Medication, medications: list[Medication]) -> bool:
    """Whether every request of `med` is an issue made from an authorisation another grouped
    medicine holds (an issue under another name or strength, an unnamed issue of a plan)."""
    if med.kind != "request" or not med.doses or any(d.standing or not d.based_on for d in med.doses):
        return False
    others = {i for m in medications if m is not med for i in m.ids}
    return all(d.based_on in others for d in med.doses)


def _also_requested(statement: Medication, medications: list[Medication], today: dt.date) -> bool:
    codes, name = _codes(statement), statement.name.casefold()
    return any(m.kind == "request" and choice_for(m, today) is not None
               and (m.name.casefold() == name or codes & _codes(m)) for m in medications)


def find_medicine(medications: list[Medication], entry_id: str) -> Medication | None:
    """The grouped medicine that holds the request `entry_id` (any issue or the authorisation)."""
    return next((m for m in medications if entry_id in m.ids or m.id == entry_id), None)


def find_choice(medications: list[Medication], entry_id: str, today: dt.date) -> RepeatChoice | None:
    """The listed choice for the medicine that holds `entry_id`, or None when it is not listed."""
    med = find_medicine(medications, entry_id)
    if med is None:
        return None
    return next((c for c in repeat_choices(medications, today) if c.medication is med), None)


# -- whether an order has been issued since ---------------------------------------------------------
def is_issue(dose: DoseFact) -> bool:
    """A real supply: an order (not a plan, proposal or option) that is active or completed."""
    return dose.date is not None and dose.intent in ISSUE_INTENTS and dose.status in ISSUE_STATUSES


def _codes(med: Medication) -> set[str]:
    return {code for system, code in med.codings if system in _DMD}


def _answers(dose: DoseFact, med: Medication, ordered: Medication, known: set[str]) -> bool:
    """Whether this issue (of `med`) is of the ordered medicine: made from the ordered
    authorisation, else of the same dm+d/SNOMED code, else of the same grouped medicine."""
    if dose.entry_id in known or not is_issue(dose):
        return False  # already in the record when ordered, or not a supply
    if dose.based_on and dose.based_on in known:
        return True
    return bool(_codes(med) & _codes(ordered)) or med is ordered


def _after(dose: DoseFact, ordered_at: dt.datetime, last_before: dt.date | None) -> bool:
    """Made after the order: at or after its time when the issue has a time; else on or after its
    UK day and after the last issue known when it was ordered (a day alone cannot say more)."""
    if dose.authored_at is not None:
        return dose.authored_at >= ordered_at
    return (dose.date >= ordered_at.astimezone(UK).date()
            and (last_before is None or dose.date > last_before))


def issued_after(medications: list[Medication], focus_id: str, ids: list[str], ordered_at: dt.datetime,
                 last_before: dt.date | None) -> dt.date | None:
    """The UK day of the first issue that answers the order of `focus_id` (`ids`: the requests the
    medicine held then), made after `ordered_at` (aware) and after the last issue known then;
    None when none is recorded (or the medicine is no longer visible)."""
    known = {focus_id, *ids}
    ordered = next((m for m in medications if known & set(m.ids)), None)
    if ordered is None:
        return None
    found = [d.date for m in medications if m.kind == "request" for d in m.doses
             if _answers(d, m, ordered, known) and _after(d, ordered_at, last_before)]
    return min(found) if found else None
