"""Clinical helpers more than one condition view reads, so that none lives in a sibling view
(issue 19): when a medicine started, and the planning-ahead record (advance care plans, ReSPECT
forms, lasting power of attorney, the end of life register) that the end of life view, the
dementia view's "plan ahead" question, the diabetes situations and the care plan page all read.

Pure functions over a `Context` or a mapped entry. Codes come from value sets in
`data/terminology/valuesets.csv`, never from literals here. Other shared helpers keep their own
small modules: ages (conditions/ages.py), current medicines (conditions/medicines.py), monitoring
after a start or dose change (conditions/dose_changes.py), date boundaries (conditions/boundary.py),
question wording (conditions/questions.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conditions.base import Context, in_any
from ltc_dashboard.record import terminology
from ltc_dashboard.record.models import Coding, FlagEntry

# Value sets by what they record (clinical-reference §3.1).
REGISTER = ("eol_register", "gsf_supportive_care_stage")
DOCUMENT_KINDS: dict[str, tuple[str, ...]] = {
    "respect": ("respect_document",),
    # A dementia advance care plan, agreed or reviewed, is an advance care plan (§4.1 [R3]): the care
    # plan page lists those reviews, so the planning questions must count them too (issue 18).
    "acp": ("advance_care_plan", "acp_has", "dementia_advance_care_plan"),
    "eol_plan": ("eol_care_plan", "eol_coordination_summary", "emergency_health_care_plan",
                 "treatment_escalation_plan"),
}
AGREED_STATUSES = frozenset({"active", "on-hold", "completed"})  # CarePlan.status that was agreed (R4)
ACP_DECLINED = "declined_acp"
ANTICIPATORY_CLASS = "anticipatory"
LPA = "lpa"
ATTORNEY_ROLES = "attorney_relationship"  # UK Core Agent, HL7 v3 POWATT / HPOWATT (§8.1)


# -- medicines ---------------------------------------------------------------------------------


def started(med) -> dt.date | None:
    """When a medicine was first issued or started."""
    dates = [d for d in (med.issues or [med.authored_on, med.date]) if d]
    return min(dates) if dates else None


# -- the planning-ahead record (clinical-reference §3.1, §4.1) -----------------------------------

@dataclass(frozen=True)
class Dated:
    """One entry found in the record: when, in words, and (for a decision) its review date."""

    date: dt.date | None
    text: str
    review: dt.date | None = None
    kind: str = ""
    precision: str | None = None  # "year"/"month" for a partial date: shown as "2025", never "1 January 2025"


def matches(valuesets: tuple[str, ...], codings: list[Coding] | tuple[Coding, ...],
            text: str | None = None) -> bool:
    """Whether codes (or, for value sets with text rules, the words) fall in any value set."""
    return in_any(valuesets, codings, text)


def active_flag(flag: FlagEntry) -> bool:
    """A Flag counts while active (or with no status)."""
    return flag.status in (None, "active")


def coded(ctx: Context, valuesets: tuple[str, ...], flags: bool = True) -> list[Dated]:
    """Dated coded entries in the value sets up to today, oldest first (codes and text rules).

    Flags count only while active; with flags=False they are left out (for readers that look at a
    Flag's period themselves)."""
    return sorted((Dated(e.date, e.text or "recorded", precision=e.date_precision) for e in entries(ctx, valuesets, flags)),
                  key=lambda d: d.date)


def entries(ctx: Context, valuesets: tuple[str, ...], flags: bool = True) -> list:
    """The one read of coded planning entries: in the value sets, dated up to today, a Flag only
    while active (and none with flags=False)."""
    ended = {f.id for f in ctx.record.flags if not active_flag(f)}
    return [e for e in ctx.record.coded_by_concept.where(lambda key: matches(valuesets, *key))
            if e.date <= ctx.today and not (e.resource_type == "Flag" and (not flags or e.id in ended))]


def documents(ctx: Context, kind: str) -> list[Dated]:
    """Plans of one kind (ReSPECT, advance care plan, end of life plan) as documents, care plans or
    coded entries, oldest first."""
    valuesets = DOCUMENT_KINDS[kind]
    found = coded(ctx, valuesets)
    for letter in ctx.record.letters_by_kind.where(
            lambda key: matches(valuesets, key[0], key[1]) or matches(valuesets, key[2])):
        if letter.date and letter.date <= ctx.today:
            found.append(Dated(letter.date, letter.title, kind=kind))
    for plan in ctx.record.care_plans:
        when = plan.period_start or plan.date
        if when and when <= ctx.today and agreed(plan) and matches(valuesets, plan.category_codings, plan.title):
            found.append(Dated(when, plan.title, kind=kind))
    return sorted((Dated(d.date, d.text, d.review, kind, d.precision) for d in found), key=lambda d: d.date)


def agreed(plan) -> bool:
    """Whether a CarePlan is one agreed with the person (R4 CarePlan.status and intent): active,
    on hold or completed, and a plan or order (not a proposal or option). A draft ("not yet ready
    for use"), a revoked or entered-in-error one, and one whose status is unknown or missing are
    not trusted to be agreed, so they never silence "no advance care plan is recorded"."""
    return plan.status in AGREED_STATUSES and plan.intent not in ("proposal", "option")


def care_plan_entries(ctx: Context) -> list[Dated]:
    """The coded care-plan entries the care plan page lists, newest first: every value set whose
    id names a care plan and every planning document's (ReSPECT, advance and end of life care
    plans), read by the same reader (and so the same status and date rules) as the
    planning questions, each of kind "acp" when it counts as an advance care plan for them. One
    reader for both, so the page cannot list a plan the questions say is not recorded (issue 18)."""
    plan_sets = tuple(dict.fromkeys((*(vs for vs in terminology.valueset_ids() if "care_plan" in vs),
                                     *(vs for kind in DOCUMENT_KINDS.values() for vs in kind))))
    found = [Dated(e.date, e.text or "recorded", kind="acp" if matches(DOCUMENT_KINDS["acp"], e.codings, e.text) else "",
                   precision=e.date_precision) for e in entries(ctx, plan_sets)]
    return sorted(found, key=lambda d: d.date, reverse=True)


def acp_declined(ctx: Context) -> Dated | None:
    """The latest "advance care plan declined" entry, if any."""
    found = coded(ctx, (ACP_DECLINED,))
    return found[-1] if found else None


def attorneys(ctx: Context) -> list[Dated]:
    """Lasting power of attorney for health and welfare: RelatedPersons with an attorney role
    (text = the person's name) and LPA Flags (text = the flag's words), oldest first."""
    found = []
    for person in ctx.record.related_people:
        if person.active is False or (person.period_end and person.period_end < ctx.today):
            continue
        if matches((ATTORNEY_ROLES,), person.relationship_codings):
            found.append(Dated(person.period_start, person.name or "", kind="person"))
    for flag in ctx.record.flags:
        if active_flag(flag) and matches((LPA,), flag.codings, flag.text):
            found.append(Dated(flag.period_start or flag.date, flag.text or "", kind="flag"))
    return sorted(found, key=lambda d: d.date or dt.date.min)


def has_plan_ahead(ctx: Context) -> bool:
    """Whether the record shows any planning ahead: an attorney, a ReSPECT form or advance or end
    of life care plan, or a recorded decision not to have one."""
    return bool(attorneys(ctx) or acp_declined(ctx)
                or any(documents(ctx, kind) for kind in DOCUMENT_KINDS))
