"""How often DMARD monitoring bloods are due now (clinical-reference §5.2, §11.9): every 2 weeks
from a start or dose increase until 6 weeks on a stable dose, then monthly for 3 months, then the
drug's stable interval; methotrexate with leflunomide monthly for the first 12 months of the
combination; sulfasalazine with no routine bloods after its first 12 months unless a dose increase
restarted its schedule.

Starts and increases come from `conditions.dose_changes`; a decrease does not restart the
schedule (§11.9 "from a start or dose increase"). Pure functions of a `Context`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conditions.base import Context
from conditions.dose_changes import DoseEvent, dose_events, latest_event
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.due_rules import Interval

CONDITION = "inflammatory_arthritis"
# "every 2 weeks until stable dose for 6 weeks, then monthly for 3 months" (§5.2 [SPS-MTX]).
STARTING_PHASE_DAYS = 42
MONTHLY_PHASE_DAYS = 91
# "methotrexate with leflunomide: monthly for the first 12 months of the combination" (§11.9).
COMBINATION_DAYS = 365
# Sulfasalazine: 12-weekly bloods "for the first 12 months; after that no routine bloods" (§5.2).
SULFASALAZINE_MONITORED_DAYS = 365


@dataclass(frozen=True)
class Phase:
    """The interval that applies to one DMARD now, with the row it comes from and why, in words."""

    interval_days: int
    grace_days: int
    rule: Interval
    why: str | None


def restart(ctx: Context, medicine_class: str) -> DoseEvent | None:
    """The newest start or dose increase of the class (a decrease does not restart the schedule)."""
    return latest_event(ctx, medicine_class, kinds=("start", "increase"))


def _since(event: DoseEvent) -> str:
    if event.kind == "start":
        return f"{event.medicine} was started{' again' if event.again else ''} on {human(event.date)}"
    return f"the {event.medicine} dose was increased on {human(event.date)}"


def phase(ctx: Context, medicine_class: str, row: str) -> Phase:
    """The interval for one DMARD now, by the time since its newest start or dose increase."""
    stable = terminology.interval(row, CONDITION)
    event = restart(ctx, medicine_class)
    days = (ctx.today - event.date).days if event else None
    if days is not None and days <= STARTING_PHASE_DAYS:
        interval_days, grace_days = stable.window(stricter=True)
        return Phase(interval_days, grace_days, stable,
                     f"Every 2 weeks because {_since(event)}, until 6 weeks on a stable dose.")
    if days is not None and days <= STARTING_PHASE_DAYS + MONTHLY_PHASE_DAYS:
        monthly = terminology.interval("dmard_monthly", CONDITION)
        interval_days, grace_days = monthly.window()
        return Phase(interval_days, grace_days, monthly,
                     f"Monthly for 3 months after 6 weeks on a stable dose ({_since(event)}).")
    interval_days, grace_days = stable.window()
    return Phase(interval_days, grace_days, stable, None)


def combination_phase(ctx: Context, classes: set[str]) -> Phase | None:
    """Monthly in the first 12 months of methotrexate with leflunomide, dated from when both are
    current together (again, after a restart of either), else None."""
    if not {"methotrexate", "leflunomide"} <= classes:
        return None
    starts = [restart_of_first(ctx, c) for c in ("methotrexate", "leflunomide")]
    if None in starts:
        return None
    together = max(starts)
    if (ctx.today - together).days > COMBINATION_DAYS:
        return None
    rule = terminology.interval("dmard_combination", CONDITION)
    interval_days, grace_days = rule.window()
    return Phase(interval_days, grace_days, rule,
                 f"Monthly in the first 12 months of methotrexate with leflunomide (taken together "
                 f"since {human(together)}).")


def restart_of_first(ctx: Context, medicine_class: str) -> dt.date | None:
    """The class's newest start as far as the record shows: its first entry, or a restart after a
    gap (§11.9, §5.2 "from a start": a restart starts the first-year schedules again)."""
    starts = [e for e in dose_events(ctx, medicine_class) if e.kind == "start"]
    return starts[-1].date if starts else None


def sulfasalazine_monitored(ctx: Context) -> bool:
    """Routine sulfasalazine bloods: in its first 12 months, or in the fortnightly and monthly
    phases after a dose increase (§5.2, §11.9)."""
    # The first start the record shows, an authorisation's date included (`first_issued` reads
    # only issues when there are any, so a UK repeat authorised years ago looked new).
    start = restart_of_first(ctx, "sulfasalazine") or ctx.first_issued("sulfasalazine")
    if start is None or (ctx.today - start).days <= SULFASALAZINE_MONITORED_DAYS:
        return True
    event = restart(ctx, "sulfasalazine")
    return (event is not None and event.kind == "increase"
            and (ctx.today - event.date).days <= STARTING_PHASE_DAYS + MONTHLY_PHASE_DAYS)


def strictest(phases: list[Phase]) -> Phase:
    """The phase with the shortest interval (§11: the stricter monitoring wins)."""
    return min(phases, key=lambda p: p.interval_days)
