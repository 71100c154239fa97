"""The lithium level check (clinical-reference §11.9, §6.2 [SPS-Li], NICE CG185): a level 1 week
after a start and after every dose change, then weekly until stable; every 3 months in the first
year; then every 6 months, or every 3 months with a trigger, the note naming which.

"Stable", "too early" and how long the weekly levels are asked for are design choices, each a
row of intervals.csv marked so (`lithium_stable`, `lithium_too_early`, `lithium_settling`): the
weekly levels are asked for until two in a row are in range, or, once a level has been taken
after the change, for 3 months; with no level after the change they stay overdue however long
ago it was (the harm of issue 15). Starts and dose changes come from
`conditions.dose_changes`; a first issue is not taken as a start when a lithium level is older
than it (the person was taking lithium before the record shows it).
"""

from __future__ import annotations

from functools import cache

import datetime as dt

from conditions import ages
from conditions.base import CheckView, Context, check_from_row, number
from conditions.dose_changes import DoseEvent, dose_events, latest_event
from conditions.medicines import medicine_word
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.models import LabResult

CONDITION = "mental_health"
# "every 3 months for the first year" (§11.9 [SPS-Li]).
LITHIUM_FIRST_YEAR_DAYS = 365
# "every 3 months if aged 65 or over ... or the last level 0.8 mmol/L or more" (§11.9 [SPS-Li]).
LITHIUM_OLDER_AGE = 65
LITHIUM_STRICTER_LEVEL = 0.8
# Medicine classes that interact with lithium (§11.9: NSAIDs, ACE inhibitors, ARBs, diuretics).
INTERACTING_CLASSES = ("nsaid", "acei", "arb", "diuretic")


def _levels(ctx: Context) -> list[LabResult]:
    return [r for r in ctx.valued("lithium") if r.date <= ctx.today]


def lithium_start(ctx: Context) -> dt.date | None:
    """When lithium was last started, as far as the record shows: a restart after a gap (a start,
    §11.9), else the first entry of the class unless a lithium level is older than it (then the
    start is before the record, and unknown)."""
    events = [e for e in _events(ctx) if e.kind == "start"]
    if not events:
        return None
    if events[-1].again:
        return events[-1].date
    levels = _levels(ctx)
    return None if levels and levels[0].date < events[0].date else events[0].date


def _events(ctx: Context) -> list[DoseEvent]:
    return dose_events(ctx, "lithium")


def settling_event(ctx: Context) -> DoseEvent | None:
    """The newest start or dose change that the weekly levels follow (a start only when it is one,
    see `lithium_start`)."""
    event = latest_event(ctx, "lithium")
    if event is None or (event.kind == "start" and lithium_start(ctx) is None):
        return None
    return event


@cache
def _usual_range():
    """The usual lithium range row of targets.csv (read once: `_stable` asks it of every level)."""
    return next((t for t in terminology.targets("lithium", CONDITION)
                 if t.kind == "range" and t.applies_when == "on_lithium"), None)


def _in_usual_range(value: float) -> bool:
    row = _usual_range()
    return bool(row and row.contains(value))


def _stable(counted: list[LabResult]) -> bool:
    """Two levels in a row in the usual range, the second at least `lithium_stable` days after the
    first (the design choice of intervals.csv `lithium_stable`)."""
    apart = terminology.interval("lithium_stable", CONDITION).interval_days
    return any(_in_usual_range(a.value) and _in_usual_range(b.value) and (b.date - a.date).days >= apart
               for a, b in zip(counted, counted[1:]))


def _said(ctx: Context, patient: str, carer: str) -> str:
    return ctx.wording(patient, carer)


def triggers(ctx: Context) -> list[str]:
    """Why lithium levels are due every 3 months after the first year, in words (§11.9): aged 65 or
    over, an interacting medicine, eGFR falling or below 60, TSH or calcium outside its range, or
    the last level 0.8 mmol/L or more."""
    found = []
    if ages.may_be_at_least(ctx.age_range, LITHIUM_OLDER_AGE):  # a birth year alone: closer monitoring wins
        said = ages.in_words(ctx.age_range)
        found.append(_said(ctx, f"you are aged {said}", f"{{name}} is aged {said}"))
    names = list(dict.fromkeys(medicine_word(m) for cls in INTERACTING_CLASSES for m in ctx.medicines(cls)))
    if names:
        listed = " and ".join(names)
        found.append(_said(ctx, f"your record lists {listed}, which can affect lithium levels",
                           f"{{name}}'s record lists {listed}, which can affect lithium levels"))
    found.extend(_kidney_trigger(ctx))
    for measure_id in ("tsh", "calcium"):
        latest = ctx.latest(measure_id)
        if latest is not None and _outside_lab_range(latest):
            name = terminology.measure(measure_id).plain_name
            fact = f"{name} on {human(latest.date)} was outside the lab's range"
            found.append(_said(ctx, f"your {fact}", f"{{name}}'s {fact}"))
    last = ctx.latest("lithium")
    if last is not None and last.value >= LITHIUM_STRICTER_LEVEL:
        fact = f"last lithium level, {number(last.value)} mmol/L on {human(last.date)}, was 0.8 or more"
        found.append(_said(ctx, f"your {fact}", f"{{name}}'s {fact}"))
    return found


def _outside_lab_range(result: LabResult) -> bool:
    """Outside range by the lab's flag, or else by the lab's own reference range."""
    if result.flag in ("high", "low"):
        return True
    return ((result.reference_low is not None and result.value < result.reference_low)
            or (result.reference_high is not None and result.value > result.reference_high))


def _kidney_trigger(ctx: Context) -> list[str]:
    series = ctx.valued("egfr")
    if not series:
        return []
    last = series[-1]
    row = next((t for t in terminology.targets("egfr", CONDITION)
                if t.kind == "action" and t.applies_when == "on_lithium"), None)
    if row is not None and row.contains(last.value):
        fact = f"latest eGFR, {number(last.value)} on {human(last.date)}, is {row.label}"
        return [_said(ctx, f"your {fact}", f"{{name}}'s {fact}")]
    if len(series) >= 2 and last.value < series[-2].value:
        fact = (f"eGFR fell from {number(series[-2].value)} on {human(series[-2].date)} to "
                f"{number(last.value)} on {human(last.date)}")
        return [_said(ctx, f"your {fact}", f"{{name}}'s {fact}")]
    return []


def _after_change(ctx: Context, event: DoseEvent, levels: list[LabResult]) -> CheckView | None:
    """The weekly level after a start or dose change, or None once the level is stable."""
    early_days = terminology.interval("lithium_too_early", CONDITION).interval_days
    after = [r for r in levels if r.date >= event.date]
    early = [r for r in after if (r.date - event.date).days <= early_days]
    counted = [r for r in after if (r.date - event.date).days > early_days]
    settling = terminology.interval("lithium_settling", CONDITION).interval_days
    # Past the settling window, a start or change with a level after it, or a start with no level
    # at all (status "never" either way), follows the routine schedule; a change with no level after
    # it stays due weekly.
    if _stable(counted) or ((counted or event.kind == "start") and (ctx.today - event.date).days > settling):
        return None
    rule = terminology.interval("lithium_after_change", CONDITION)
    interval_days, grace_days = rule.window()
    due = (counted[-1].date if counted else event.date) + dt.timedelta(days=interval_days)
    last = levels[-1] if levels else None
    if ctx.today > due:
        status = "overdue" if last else "never"
    elif ctx.today > due - dt.timedelta(days=grace_days):
        status = "due-soon"
    else:
        status = "ok"
    what = (f"lithium was started{' again' if event.again else ''} on {human(event.date)}" if event.kind == "start"
            else f"the lithium dose changed on {human(event.date)}")
    note = [f"Because {what}, a lithium level is due a week after it and then weekly until the level "
            "is stable (two levels in a row in the usual range, a week or more apart)."]
    later = triggers(ctx) if first_year_start(ctx) is None else []
    if later:
        note.append("Once stable, levels are due every 3 months, not 6, because " + "; ".join(later) + ".")
    for r in early:
        days = (r.date - event.date).days
        note.append(f"The level on {human(r.date)} was taken {days} day{'s' if days != 1 else ''} after "
                    f"{event.words()}, earlier than the usual week, so it does not count as the level "
                    "after the change.")
    return CheckView(id="lithium", name="Lithium level", last_done=last.date if last else None, due=due,
                     status=status, interval_days=interval_days, source=rule.source,
                     verified=rule.verified, note=" ".join(note))


def event_fact(ctx: Context, event: DoseEvent) -> tuple[str, str]:
    """The start or change as a fact for a question, for the patient and for a carer."""
    if event.kind == "start":
        again = " again" if event.again else ""
        return (f"You started lithium{again} on {human(event.date)}",
                f"{{name}} started lithium{again} on {human(event.date)}")
    return (f"Your lithium dose changed on {human(event.date)}",
            f"{{name}}'s lithium dose changed on {human(event.date)}")


def in_weekly_phase(ctx: Context, check: CheckView) -> DoseEvent | None:
    """The start or change a lithium level check is following weekly, or None."""
    event = settling_event(ctx)
    weekly = terminology.interval("lithium_after_change", CONDITION).interval_days
    return event if event is not None and check.id == "lithium" and check.interval_days == weekly else None


def first_year_start(ctx: Context) -> dt.date | None:
    """The start of lithium when it was within the last year, else None."""
    start = lithium_start(ctx)
    return start if start is not None and (ctx.today - start).days <= LITHIUM_FIRST_YEAR_DAYS else None


def lithium_stricter(ctx: Context) -> bool:
    """Whether routine lithium levels are due every 3 months rather than every 6 (§11.9): in the
    first year, or with any of the `triggers`."""
    return first_year_start(ctx) is not None or bool(triggers(ctx))


def lithium_level_check(ctx: Context) -> CheckView:
    """The lithium level check: weekly after a start or change until stable, then 3-monthly in the
    first year, then 6-monthly or 3-monthly with a trigger (the note says which)."""
    levels = _levels(ctx)
    event = settling_event(ctx)
    if event is not None:
        weekly = _after_change(ctx, event, levels)
        if weekly is not None:
            return weekly
    start = first_year_start(ctx)
    if start is not None:
        note = f"Every 3 months in the first year of taking lithium (started on {human(start)})."
        stricter = True
    else:
        why = triggers(ctx)
        stricter = bool(why)
        note = ("Every 3 months, not 6, because " + "; ".join(why) + ".") if why else "Every 6 months."
    return check_from_row(ctx, "lithium", "Lithium level", "lithium", condition=CONDITION,
                          stricter=stricter, note=note)
