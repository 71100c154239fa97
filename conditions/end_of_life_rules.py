"""Readers for planning-ahead entries in a record: the end of life register, resuscitation (CPR)
decisions, ReSPECT forms and care plans, preferred place of care, anticipatory medicines, lasting
power of attorney and prognosis codes (clinical-reference §3.1).

Pure functions over a `Context`, read by the end of life view (`conditions/end_of_life.py`). The
planning-ahead readers other views read too (documents, attorneys, care plans, `has_plan_ahead`)
live in `conditions/shared.py`; they are imported here, where this view reads them. Codes come
from value sets in `data/terminology/valuesets.csv`, never from literals here.
"""

from __future__ import annotations

import re

from conditions.base import Context
from conditions.shared import (  # noqa: F401  (also read through this module by pages/care_plan.py and tests)
    ACP_DECLINED, AGREED_STATUSES, ANTICIPATORY_CLASS, ATTORNEY_ROLES, DOCUMENT_KINDS, LPA, REGISTER,
    Dated, acp_declined, active_flag, agreed, attorneys, care_plan_entries, coded, documents,
    has_plan_ahead, matches,
)
from ltc_dashboard import preference_keys

# Value sets by what they record (clinical-reference §3.1).
PROGNOSIS = ("gsf_prognosis_a", "gsf_prognosis_b", "gsf_prognosis_c", "gsf_prognosis_d",
             "eol_last_months", "eol_last_weeks", "eol_last_days")
# Prognosis of weeks or days: when anticipatory medicines may be expected (§3.2).
WEEKS_OR_DAYS = ("gsf_prognosis_c", "gsf_prognosis_d", "eol_last_weeks", "eol_last_days")
CPR = "cpr_decision"
DOCUMENT_NAMES = {"respect": "ReSPECT form", "acp": "advance care plan",
                  "eol_plan": "end of life care plan"}
ANTICIPATORY_CODES = "anticipatory_medicines"
PLACES = ("preferred_place_home", "preferred_place_hospice", "preferred_place_hospital")
# Preference keys the settings page stores (app policy, clinical-reference §3.3 and §3.4).
PROMPTS_PREFERENCE = preference_keys.EOL_PROMPTS
SENSITIVE_PREFERENCE = preference_keys.EOL_SHOW_PROGNOSIS


def prompts_on(ctx: Context) -> bool:
    """Whether the person opted in to planning-ahead prompts (§3.3: opt-in only)."""
    return preference_keys.value(ctx.preferences, PROMPTS_PREFERENCE) == "yes"


def sensitive_visible(ctx: Context) -> bool:
    """Whether prognosis and CPR entries may be shown (§3.4, an app policy decision): only when the
    person chose to see them, on every screen (the shared screen is looked at with the patient).
    The access gate hides them too; this keeps the view's wording in step with it."""
    return preference_keys.value(ctx.preferences, SENSITIVE_PREFERENCE) == "yes"


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
             if active_flag(f) and (f.period_start or f.date) and matches((CPR,), f.codings)]
    found = [d for d in found if d.date <= ctx.today] + coded(ctx, (CPR,), flags=False)
    return max(found, key=lambda d: (d.date, d.review is not None)) if found else None


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
