"""Readers for planning-ahead entries in a record: the end of life register, resuscitation (CPR)
decisions, ReSPECT forms and care plans, preferred place of care, anticipatory medicines, lasting
power of attorney and prognosis codes (clinical-reference §3.1).

Pure functions over a `Context`; the end of life view (`conditions/end_of_life.py`) and the
dementia view's "plan ahead" question both read them. Codes come from value sets in
`data/terminology/valuesets.csv`, never from literals here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import preference_keys
from conditions.base import Context, in_any
from record import terminology
from record.models import Coding, FlagEntry

# Value sets by what they record (clinical-reference §3.1).
REGISTER = ("eol_register", "gsf_supportive_care_stage")
PROGNOSIS = ("gsf_prognosis_a", "gsf_prognosis_b", "gsf_prognosis_c", "gsf_prognosis_d",
             "eol_last_months", "eol_last_weeks", "eol_last_days")
# Prognosis of weeks or days: when anticipatory medicines may be expected (§3.2).
WEEKS_OR_DAYS = ("gsf_prognosis_c", "gsf_prognosis_d", "eol_last_weeks", "eol_last_days")
CPR = "cpr_decision"
DOCUMENT_KINDS: dict[str, tuple[str, ...]] = {
    "respect": ("respect_document",),
    # A dementia advance care plan, agreed or reviewed, is an advance care plan (§4.1 [R3]): the care
    # plan page lists those reviews, so the planning questions must count them too (issue 18).
    "acp": ("advance_care_plan", "acp_has", "dementia_advance_care_plan"),
    "eol_plan": ("eol_care_plan", "eol_coordination_summary", "emergency_health_care_plan",
                 "treatment_escalation_plan"),
}
DOCUMENT_NAMES = {"respect": "ReSPECT form", "acp": "advance care plan",
                  "eol_plan": "end of life care plan"}
AGREED_STATUSES = frozenset({"active", "on-hold", "completed"})  # CarePlan.status that was agreed (R4)
ACP_DECLINED = "declined_acp"
ANTICIPATORY_CODES = "anticipatory_medicines"
ANTICIPATORY_CLASS = "anticipatory"
LPA = "lpa"
PLACES = ("preferred_place_home", "preferred_place_hospice", "preferred_place_hospital")
ATTORNEY_ROLES = "attorney_relationship"  # UK Core Agent, HL7 v3 POWATT / HPOWATT (§8.1)
# Preference keys the settings page stores (app policy, clinical-reference §3.3 and §3.4).
PROMPTS_PREFERENCE = preference_keys.EOL_PROMPTS
SENSITIVE_PREFERENCE = preference_keys.EOL_SHOW_PROGNOSIS


@dataclass(frozen=True)
class Dated:
    """One entry found in the record: when, in words, and (for a decision) its review date."""

    date: dt.date | None
    text: str
    review: dt.date | None = None
    kind: str = ""
    precision: str | None = None  # "year"/"month" for a partial date: shown as "2025", never "1 January 2025"


def prompts_on(ctx: Context) -> bool:
    """Whether the person opted in to planning-ahead prompts (§3.3: opt-in only)."""
    return preference_keys.value(ctx.preferences, PROMPTS_PREFERENCE) == "yes"


def sensitive_visible(ctx: Context) -> bool:
    """Whether prognosis and CPR entries may be shown (§3.4, an app policy decision): only when the
    person chose to see them, on every screen (the shared screen is looked at with the patient).
    The access gate hides them too; this keeps the view's wording in step with it."""
    return preference_keys.value(ctx.preferences, SENSITIVE_PREFERENCE) == "yes"


def matches(valuesets: tuple[str, ...], codings: list[Coding] | tuple[Coding, ...],
            text: str | None = None) -> bool:
    """Whether codes (or, for value sets with text rules, the words) fall in any value set."""
    return in_any(valuesets, codings, text)


def _active_flag(flag: FlagEntry) -> bool:
    return flag.status in (None, "active")


def coded(ctx: Context, valuesets: tuple[str, ...], flags: bool = True) -> list[Dated]:
    """Dated coded entries in the value sets up to today, oldest first (codes and text rules).

    Flags count only while active; with flags=False they are left out (for readers that look at a
    Flag's period themselves)."""
    return sorted((Dated(e.date, e.text or "recorded", precision=e.date_precision) for e in _entries(ctx, valuesets, flags)),
                  key=lambda d: d.date)


def _entries(ctx: Context, valuesets: tuple[str, ...], flags: bool = True) -> list:
    """The one read of coded planning entries: in the value sets, dated up to today, a Flag only
    while active (and none with flags=False)."""
    ended = {f.id for f in ctx.record.flags if not _active_flag(f)}
    return [e for e in ctx.record.coded_by_concept.where(lambda key: matches(valuesets, *key))
            if e.date <= ctx.today and not (e.resource_type == "Flag" and (not flags or e.id in ended))]


def register_entries(ctx: Context) -> list[Dated]:
    """End of life / palliative care register entries (PALCARE_COD, GSF supportive care stage)."""
    return coded(ctx, REGISTER)


def prognosis_entries(ctx: Context, valuesets: tuple[str, ...] = PROGNOSIS) -> list[Dated]:
    """Prognosis codes this viewer may see (§3.4): none for a patient or proxy who has not chosen
    to see them."""
    return coded(ctx, valuesets) if sensitive_visible(ctx) else []


def cpr_decision(ctx: Context) -> Dated | None:
    """The latest resuscitation decision the viewer may see: an active CPR Flag (decision date =
    period.start, review date = period.end, NHS EoL API [R5]) or a coded entry without a review."""
    if not sensitive_visible(ctx):
        return None
    found = [Dated(f.period_start or f.date, f.text or "Resuscitation decision", f.period_end)
             for f in ctx.record.flags
             if _active_flag(f) and (f.period_start or f.date) and matches((CPR,), f.codings)]
    found = [d for d in found if d.date <= ctx.today] + coded(ctx, (CPR,), flags=False)
    return max(found, key=lambda d: (d.date, d.review is not None)) if found else None


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
                   precision=e.date_precision) for e in _entries(ctx, plan_sets)]
    return sorted(found, key=lambda d: d.date, reverse=True)


def acp_declined(ctx: Context) -> Dated | None:
    """The latest "advance care plan declined" entry, if any."""
    found = coded(ctx, (ACP_DECLINED,))
    return found[-1] if found else None


def preferred_places(ctx: Context) -> list[Dated]:
    """Recorded preferred places, oldest first; kind "care" or "death" from the question's words.

    The question code is unverified (§3.1), so an entry counts when its value is a place code and
    its own words say it is a preference."""
    found = []
    for result in ctx.record.results_by_concept.where(
            lambda key: "prefer" in (key[4] or "").casefold() and matches(PLACES, key[1])):
        words = (result.name or "").casefold()
        if result.date <= ctx.today:
            kind = "death" if "death" in words or "die" in words.split() else "care"
            place = (result.value_text or "recorded").strip()
            found.append(Dated(result.date, place, kind=kind))
    return sorted(found, key=lambda d: d.date)


def anticipatory(ctx: Context) -> list[Dated]:
    """Anticipatory ("just in case") medicines: prescription or issue codes and issues of a
    medicine in the `anticipatory` class, oldest first."""
    found = coded(ctx, (ANTICIPATORY_CODES,))
    for med in ctx.medicines(ANTICIPATORY_CLASS, within_days=None):
        for day in med.issues or [med.authored_on or med.date]:
            if day and day <= ctx.today:
                found.append(Dated(day, med.name))
    return sorted(found, key=lambda d: d.date)


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
        if _active_flag(flag) and matches((LPA,), flag.codings, flag.text):
            found.append(Dated(flag.period_start or flag.date, flag.text or "", kind="flag"))
    return sorted(found, key=lambda d: d.date or dt.date.min)


def has_plan_ahead(ctx: Context) -> bool:
    """Whether the record shows any planning ahead: an attorney, a ReSPECT form or advance or end
    of life care plan, or a recorded decision not to have one."""
    return bool(attorneys(ctx) or acp_declined(ctx)
                or any(documents(ctx, kind) for kind in DOCUMENT_KINDS))


_ADMISSION = re.compile(r"\b(admitted|admission)\b")
_HOSPITAL = re.compile(r"\bhospital\b")


def latest_letter_mentions_admission(ctx: Context):
    """The most recent letter if its words mention a hospital admission (a plain word match,
    §3.3), else None."""
    letters = [l for l in ctx.record.letters if l.date and l.date <= ctx.today]
    if not letters:
        return None
    latest = max(letters, key=lambda l: l.date)
    words = f"{latest.title} {latest.text or ''}".casefold()
    return latest if _ADMISSION.search(words) and _HOSPITAL.search(words) else None
