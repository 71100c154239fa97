"""Inflammatory arthritis: the DMARD helpers and the due checks (clinical-reference §5.2) that the
generic engine cannot express: the DMARD blood set part by part, hydroxychloroquine eye screening
and the annual review.

Pure functions of a `Context`; intervals and thresholds come from `data/terminology/`. The
constants are the few predicates the reference states in words, each citing its section.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from conditions.base import CheckSpec, CheckView, Context, check_from_row, evidence_dates, number, status_for
from conditions.dose_changes import DoseEvent
from conditions.inflammatory_arthritis_schedule import (
    STARTING_PHASE_DAYS, SULFASALAZINE_MONITORED_DAYS, combination_phase, phase, restart, restart_of_first,  # noqa: F401  (the constants: the views' API)
    strictest, sulfasalazine_monitored,
)
from conditions.medicines import monitoring_reason
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human

CONDITION = "inflammatory_arthritis"

# Medicine class -> the intervals.csv row for its stable-phase blood monitoring (§5.2).
MONITORED_DRUGS = (
    ("methotrexate", "dmard_bloods"),
    ("leflunomide", "leflunomide_bloods"),
    ("sulfasalazine", "sulfasalazine_bloods"),
)
# Named DMARD classes, for naming the drug in a question (the class `dmard` covers them all).
NAMED_DMARDS = ("methotrexate", "leflunomide", "sulfasalazine", "hydroxychloroquine")
# The parts of the derived rule in §5.2 (FBC, ALT, creatinine), each shown on its own.
BLOOD_PARTS = (
    ("full blood count", ("wcc", "neutrophils", "platelets", "haemoglobin", "mcv")),
    ("liver test (ALT)", ("alt", "ast")),
    ("kidney test (creatinine or eGFR)", ("creatinine", "egfr")),
)
# Leflunomide adds blood pressure and weight at each monitoring test (§5.2 [SPS-LEF]).
LEFLUNOMIDE_PARTS = (
    ("blood pressure", ("bp_systolic", "bp_diastolic", "bp_panel")),
    ("weight", ("weight",)),
)


# -- medicines -----------------------------------------------------------------------------------

def monitored_drugs(ctx: Context) -> list[tuple[str, str]]:
    """DMARDs that need routine blood monitoring now, as (class, intervals.csv row): current, or
    still listed though last issued over 6 months ago (clinical-reference §11.1: kept, with why)."""
    found = []
    for medicine_class, row in MONITORED_DRUGS:
        if not ctx.monitored(medicine_class):
            continue
        if medicine_class == "sulfasalazine" and not sulfasalazine_monitored(ctx):
            continue
        found.append((medicine_class, row))
    return found


def current_dmard_names(ctx: Context) -> list[str]:
    """Plain names of the current DMARDs ("methotrexate"), named classes first."""
    names = [c for c in NAMED_DMARDS if ctx.monitored(c)]
    for med in ctx.monitored("dmard"):
        if not any(c in med.classes for c in NAMED_DMARDS):
            names.append(med.name.split()[0].lower())
    return list(dict.fromkeys(names))


def hcq_risk_factor(ctx: Context) -> str | None:
    """A hydroxychloroquine eye-risk factor visible in the record (§5.2 [HCQ]), in words, or None.

    Seen: the latest eGFR inside the action band of targets.csv, or current tamoxifen. Dose per
    kilogram of body weight is not worked out (doses are free text)."""
    latest = ctx.latest("egfr")
    if latest is not None:
        for row in terminology.targets("egfr", CONDITION):
            if row.kind == "action" and row.applies_when == "on_dmard" and row.contains(latest.value):
                return f"a kidney filtration (eGFR) of {number(latest.value)} on {human(latest.date)}"
    if ctx.medicines("tamoxifen"):
        return "tamoxifen"
    return None


# -- checks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BloodSet:
    """The DMARD blood set worked out: the check, each part's last date, and the parts missing."""

    check: CheckView
    drugs: str
    parts: tuple[tuple[str, dt.date | None], ...]
    missing: tuple[str, ...]


def _part_dates(ctx: Context, measure_ids: tuple[str, ...]) -> list[dt.date]:
    known = terminology.measures()
    return evidence_dates(ctx, tuple(known[m].valueset if m in known else m for m in measure_ids))


def _sources(rows) -> str:
    return "; ".join(dict.fromkeys(row.source for row in rows))


def blood_set(ctx: Context) -> BloodSet | None:
    """The DMARD monitoring blood set by the §5.2 derived rule, or None with no monitored DMARD.

    Overdue when no part (blood count, liver, kidney; for leflunomide also blood pressure and
    weight) was done within interval + grace. "Partly due" (status due-soon, said in the note) when
    only some parts are missing. With two DMARDs the stricter interval applies and both are named."""
    drugs = monitored_drugs(ctx)
    if not drugs:
        return None
    phases = [phase(ctx, medicine_class, row) for medicine_class, row in drugs]
    together = combination_phase(ctx, {c for c, _ in drugs})
    chosen = strictest(phases + ([together] if together else []))
    interval_days, grace_days = chosen.interval_days, chosen.grace_days
    rules = [p.rule for p in phases]
    parts_spec = BLOOD_PARTS + (LEFLUNOMIDE_PARTS if any(c == "leflunomide" for c, _ in drugs) else ())
    parts = []
    for label, measure_ids in parts_spec:
        dates = _part_dates(ctx, measure_ids)
        parts.append((label, dates[-1] if dates else None))
    names = " and ".join(c for c, _ in drugs)
    common = {"id": "dmard_bloods", "name": f"Monitoring blood tests for {names}",
              "interval_days": interval_days, "source": _sources(rules),
              "verified": all(r.verified for r in rules)}
    done = [d for _, d in parts if d]
    if not done:
        note = " ".join(w for w in (chosen.why, _parts_note(parts, ())) if w)
        return BloodSet(_with_reasons(ctx, CheckView(status="never", note=note, **common), drugs),
                        names, tuple(parts), tuple(label for label, _ in parts))
    latest = max(done)
    limit = dt.timedelta(days=interval_days + grace_days)
    event = _newest_restart(ctx, drugs)
    if event is not None and latest < event.date:
        # No bloods since the start or increase: due from it, not from the bloods before it.
        due = event.date + dt.timedelta(days=interval_days)
        overdue = ctx.today - event.date > limit
        status = "overdue" if overdue else "due-soon" if ctx.today > due - dt.timedelta(days=grace_days) else "ok"
        note = " ".join(w for w in (chosen.why, _parts_note(parts, ())) if w)
        check = CheckView(last_done=latest, due=due, status=status, note=note, **common)
        missing_now = tuple(label for label, _ in parts) if overdue else ()
        return BloodSet(_with_reasons(ctx, check, drugs), names, tuple(parts), missing_now)
    missing = tuple(label for label, d in parts if d is None or ctx.today - d > limit)
    due = min(done) + dt.timedelta(days=interval_days)
    if ctx.today - latest > limit:
        status, shown_missing = "overdue", ()
    elif missing:
        status, shown_missing = "due-soon", missing
    else:
        status = "due-soon" if ctx.today > due - dt.timedelta(days=grace_days) else "ok"
        shown_missing = ()
    note = " ".join(w for w in (chosen.why, _parts_note(parts, shown_missing)) if w)
    check = CheckView(last_done=latest, due=due, status=status, note=note, **common)
    return BloodSet(_with_reasons(ctx, check, drugs), names, tuple(parts), missing)


def _newest_restart(ctx: Context, drugs) -> DoseEvent | None:
    """The newest start or dose increase of the monitored DMARDs (§11.9), or None."""
    found = [e for e in (restart(ctx, c) for c, _ in drugs) if e is not None]
    return max(found, key=lambda e: e.date) if found else None


def _with_reasons(ctx: Context, check: CheckView, drugs) -> CheckView:
    """The check with, first in its note, why a DMARD not plainly current is monitored (§11.1)."""
    reasons = [monitoring_reason(ctx, ctx.monitored(cls)) for cls, _ in drugs]
    said = " ".join(dict.fromkeys(r for r in reasons if r))
    return check.model_copy(update={"note": f"{said} {check.note or ''}".strip()}) if said else check


def _parts_note(parts, missing) -> str:
    shown = "; ".join(f"{label}: {human(d) if d else 'not recorded'}" for label, d in parts)
    note = f"Last done: {shown}."
    if missing:
        note += f" Partly due: {', '.join(missing)} not done within the interval."
    return note


def dmard_bloods_check(ctx: Context) -> CheckView | None:
    """The `dmard_bloods` check (see `blood_set`)."""
    found = blood_set(ctx)
    return found.check if found else None


def sentences(text: str) -> list[str]:
    """Text split into sentences, so that a "not" in one sentence does not cancel a match in another."""
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text or "") if s.strip()]


def eye_screening_dates(ctx: Context) -> list[dt.date]:
    """Dates of a hydroxychloroquine eye-screening entry, or of a letter with a sentence about it."""
    dates = set(evidence_dates(ctx, ("hcq_eye_screening",)))
    for letter in ctx.record.letters:
        if letter.date and letter.date <= ctx.today and any(
                terminology.in_valueset("hcq_eye_screening", {"text": s})
                for s in sentences(letter.text or letter.pdf_text or "")):
            dates.add(letter.date)
    return sorted(dates)


def hcq_eye_check(ctx: Context) -> CheckView | None:
    """Hydroxychloroquine eye screening (§5.2 [HCQ]): first due 5 years after starting (1 year with
    a visible risk factor), then at the repeat interval; None when it is not current."""
    if not ctx.medicines("hydroxychloroquine"):
        return None
    start = ctx.first_issued("hydroxychloroquine")
    first = terminology.interval("hcq_eye_screening_start", CONDITION)
    repeat = terminology.interval("hcq_eye_screening", CONDITION)
    risk = hcq_risk_factor(ctx)
    note = f"Taking hydroxychloroquine since {human(start)}." if start else None
    if risk:
        note = f"{note or ''} Risk factor seen: {risk}.".strip()
    common = {"id": "hcq_eye_screening", "name": "Eye screening (hydroxychloroquine)", "note": note}
    screened = eye_screening_dates(ctx)
    if screened:
        interval_days, grace_days = repeat.window()
        due, status = status_for(screened[-1], interval_days, grace_days, ctx.today)
        return CheckView(last_done=screened[-1], due=due, status=status, interval_days=interval_days,
                         source=repeat.source, verified=repeat.verified, **common)
    offset, grace_days = first.window(stricter=risk is not None)
    eligible = start + dt.timedelta(days=offset) if start else None
    if eligible is None or ctx.today > eligible:
        status = "never"
    elif ctx.today > eligible - dt.timedelta(days=grace_days):
        status = "due-soon"
    else:
        status = "ok"
    return CheckView(due=eligible, status=status, interval_days=offset, source=first.source,
                     verified=first.verified, **common)


def annual_review_check(ctx: Context) -> CheckView | None:
    """The arthritis annual review (QOF RA002, QS33), for people with rheumatoid arthritis."""
    if not ctx.has_coded("rheumatoid_arthritis"):
        return None
    return check_from_row(ctx, "ra_annual_review", "Arthritis annual review", "ra_annual_review",
                          condition=CONDITION, declined=("declined_ra_annual_review",))


def sulfasalazine_kidney_check(ctx: Context) -> CheckView | None:
    """Sulfasalazine past its first year, with no routine bloods: the yearly kidney test the
    Specialist Pharmacy Service says to consider (§5.2 [SPS-SSZ]), so that the end of routine
    bloods is said rather than the check vanishing (§11.1). None while routine bloods apply."""
    if not ctx.monitored("sulfasalazine") or sulfasalazine_monitored(ctx):
        return None
    start = restart_of_first(ctx, "sulfasalazine") or ctx.first_issued("sulfasalazine")
    since = f" (taken since {human(start)})" if start else ""
    note = (f"Sulfasalazine for over a year{since}: no routine blood count or liver tests are "
            "needed after the first year; a yearly kidney test may be considered.")
    reason = monitoring_reason(ctx, ctx.monitored("sulfasalazine"))
    return check_from_row(ctx, "sulfasalazine_renal", "Yearly kidney test (sulfasalazine)",
                          "sulfasalazine_renal", condition=CONDITION,
                          note=f"{reason} {note}" if reason else note)


# Every check here is dated from a medicine's start or dose change, or needs a diagnosis within the
# view, which a table row cannot say: each is the module's own rule, run by the one engine.
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(id="dmard_bloods", name="DMARD monitoring blood tests", interval_check="dmard_bloods",
              condition=CONDITION, compute=dmard_bloods_check),
    CheckSpec(id="sulfasalazine_renal", name="Yearly kidney test (sulfasalazine)",
              interval_check="sulfasalazine_renal", condition=CONDITION, compute=sulfasalazine_kidney_check),
    CheckSpec(id="hcq_eye_screening", name="Eye screening (hydroxychloroquine)",
              interval_check="hcq_eye_screening", condition=CONDITION, compute=hcq_eye_check),
    CheckSpec(id="ra_annual_review", name="Arthritis annual review", interval_check="ra_annual_review",
              condition=CONDITION, compute=annual_review_check),
)
