"""Dementia (clinical-reference §4).

Memory test scores (MMSE, 6CIT, MoCA), each its own measure with its bands from targets.csv and
never compared with another instrument; the yearly care-plan review (QOF DEM004) and medication
review; the six-weekly review while an antipsychotic is prescribed; and the carers recorded. Memory
scores are never "overdue": there is no routine interval for repeating them in primary care (§4.2).

This is the main view a carer with proxy access uses, so every question has carer wording.
"""

from __future__ import annotations

import datetime as dt

from conditions import shared
from conditions.base import (
    RECENT_MEDICINE_DAYS, CheckSpec, CheckView, ConditionView, Context, MeasureView,
    Panel, Question, evidence_dates, measure_view, number, status_for,
)
from conditions.boundary import bounded, missing_where, not_seen
from conditions.questions import suggest
from conditions.template import ViewRules, view_spec
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.models import Medication

ID = "dementia"
SCORES = ("mmse", "sixcit", "moca")  # its measures (views.csv), each compared only with itself
# 6CIT counts errors, so a higher score means more difficulty (clinical-reference §4.1: "0–28,
# higher = worse"); MMSE and MoCA count correct answers.
HIGHER_IS_WORSE = frozenset({"sixcit"})
# Trigger deltas for questions, as clinical-reference §4.3 states them.
SCORE_CHANGE_POINTS = 3  # "cognitive score fell ≥3 points between tests (same instrument)"
NEW_MEDICINE_MONTHS = 3  # "started donepezil/galantamine/rivastigmine in last 3 months"
ANTI_DEMENTIA = "anti_dementia"
ACHE_INHIBITOR = ("ache_inhibitor_medicine",)  # valuesets.csv: donepezil, galantamine, rivastigmine
ANTIPSYCHOTIC = "antipsychotic"
CARER_ROLES = ("carer_relationship",)


def build_measure(ctx: Context, measure_id: str) -> MeasureView | None:
    """A memory test with its bands (targets.csv) as the target text; only when the record has a
    result for that test."""
    view = measure_view(ctx, measure_id, condition=ID)
    if view is None or not view.series:
        return None
    bands = [t for t in terminology.targets(measure_id, ID) if t.kind == "band"]
    if not bands:
        return view
    sources = sorted({t.source for t in bands})
    return view.model_copy(update={
        "target": "; ".join(t.text for t in bands), "target_low": None, "target_high": None,
        "target_source": " ".join(sources), "target_verified": all(t.verified for t in bands),
        "note": ("A higher score means more difficulty." if measure_id in HIGHER_IS_WORSE
                 else "A lower score means more difficulty."),
    })


def _ingredient(med: Medication) -> str:
    """The medicine's first word ("donepezil" from "Donepezil 10mg tablets"), so a dose change is
    not read as a new medicine."""
    return (med.name.split() or ["medicine"])[0].casefold()


def courses(ctx: Context, medicine_class: str, exclude: str | None = None) -> dict[str, dt.date]:
    """Current medicines of a class by ingredient, each with the start of its current course: the
    earliest issue reached from the latest without a gap longer than the base's "recent" window."""
    current = {_ingredient(m) for m in ctx.medicines(medicine_class)
               if exclude is None or exclude not in m.classes}
    found = {}
    for ingredient in sorted(current):
        days = sorted({d for m in ctx.record.medications
                       if medicine_class in m.classes and _ingredient(m) == ingredient
                       for d in (m.issues or [m.authored_on or m.date]) if d and d <= ctx.today})
        if not days:
            continue
        start = days[-1]
        for earlier in reversed(days[:-1]):
            if (start - earlier).days > RECENT_MEDICINE_DAYS:
                break
            start = earlier
        found[ingredient] = start
    return found


def antipsychotic_check(ctx: Context) -> CheckView | None:
    """Review at least every 6 weeks while an antipsychotic is current (intervals.csv, unverified).
    Only reviews since the current course started count; with none yet, the first is due one
    interval after the start. Anticipatory (end of life) injections are not counted."""
    started = courses(ctx, ANTIPSYCHOTIC, exclude=shared.ANTICIPATORY_CLASS)
    if not started:
        return None
    start = min(started.values())
    rule = terminology.interval("antipsychotic_review", ID)
    done = [d for d in evidence_dates(ctx, rule.evidence) if d >= start]
    last = done[-1] if done else None
    interval_days, grace_days = rule.window()
    due, status = status_for(last or start, interval_days, grace_days, ctx.today)
    first = min(started, key=started.get).capitalize()
    return CheckView(
        id="antipsychotic_review", name="Antipsychotic medicine review", last_done=last, due=due,
        status=status, interval_days=interval_days, source=rule.source,
        verified=rule.verified,
        note=None if last else f"No review recorded since {first} was started on {human(start)}.",
    )


def carers(ctx: Context) -> Panel:
    """The carers recorded (RelatedPerson with a Carer or caregiver relationship): name and
    relationship."""
    items = []
    for person in ctx.record.related_people:
        if person.active is False or (person.period_end and person.period_end < ctx.today):
            continue
        if not shared.matches(CARER_ROLES, person.relationship_codings, person.relationship):
            continue
        since = f"since {human(person.period_start)}" if person.period_start else None
        items.append((person.name or "Name not recorded", person.relationship or "Carer", since))
    note = None if items else ctx.wording("No carer is recorded in your shared record.",
                                          "No carer is recorded in {name}'s shared record.")
    return Panel(id="carer_details", title="Carers", items=items, note=note)


def panels(ctx: Context) -> list[Panel]:
    """The carers panel."""
    return [carers(ctx)]


def intro(ctx: Context) -> str:
    """For a carer: what they see is what the person's consent allows. For everyone: memory
    scores are a record, not something that falls due (§4.2)."""
    scores = ("Memory test scores are shown as recorded; there is no routine timetable for "
              "repeating them.")
    lead = ctx.wording("", "You are seeing what {name}'s consent allows you to see. ")
    return lead + scores


def _span(days: int) -> str:
    """Plain words for an interval: "12 months", "6 weeks"."""
    if days % 7 == 0 and days < 120:
        return f"{days // 7} weeks"
    return f"{round(days / 30.44)} months"


def ask_care_plan_review(ctx: Context, view: ConditionView) -> list[Question]:
    """No care-plan review in the interval (QOF DEM004, 12 months); a recorded decline counts as
    addressed (§1.3)."""
    check = next((c for c in view.checks if c.id == "care_plan_review"), None)
    if check is None or check.status not in ("overdue", "never"):
        return []
    reason = (f"No dementia care plan review recorded in the last {_span(check.interval_days or 0)} "
              f"({check.source}; clinical-reference §4.3)")
    if check.last_done is None:
        where = missing_where(ctx) if not_seen(ctx, check) else None  # issue 16: it may be before the boundary
        return [suggest(
            ctx, "dementia.care_plan_review", 30, reason,
            (f"No dementia care plan review is {where}." if where else
             "No dementia care plan review is recorded.") + " You could ask whether a review is "
            "due and what support is available for you and your carer.",
            (f"No dementia care plan review is {where}." if where else
             "No dementia care plan review is recorded for {name}.") + " You and {name} could "
            "ask whether a review is due and what support is available for you both.")]
    when = human(check.last_done, check.last_done_precision or "day")
    return [suggest(
        ctx, "dementia.care_plan_review", 30, reason,
        f"The last dementia care plan review recorded was on {when}. You could ask "
        "whether a review is due and what support is available for you and your carer.",
        f"The last dementia care plan review recorded for {{name}} was on {when}. You "
        "and {name} could ask whether a review is due and what support is available "
        "for you both.")]


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    return day


def ask_new_medicine(ctx: Context, view: ConditionView) -> list[Question]:
    """An anti-dementia medicine started in the last 3 months (§4.3). The side-effect list for
    AChE inhibitors (value set `ache_inhibitor_medicine`) is the reference's own and is
    unverified; other anti-dementia medicines get an open "any changes" wording."""
    since = _months_before(ctx.today, NEW_MEDICINE_MONTHS)
    ache = {_ingredient(m) for m in ctx.medicines(ANTI_DEMENTIA)
            if shared.matches(ACHE_INHIBITOR, m.codings, m.name)}
    questions = []
    for ingredient, start in courses(ctx, ANTI_DEMENTIA).items():
        if start < since:
            continue
        drug, when = ingredient.capitalize(), human(start)
        reason = (f"An anti-dementia medicine was started in the last {NEW_MEDICINE_MONTHS} months "
                  "(clinical-reference §4.3; side-effect list unverified)")
        if ingredient in ache:
            effects = "any side effects such as stomach upset, poor sleep, dizziness or a slow pulse"
        else:
            effects = "any changes or side effects noticed since then"
        questions.append(suggest(
            ctx, "dementia.new_medicine", 40, reason,
            f"{drug} was started on {when}. You could mention {effects}.",
            f"{drug} was started for {{name}} on {when}. You and {{name}} could mention {effects}."))
    return questions


def ask_antipsychotic(ctx: Context, view: ConditionView) -> list[Question]:
    """An antipsychotic current for longer than the review interval with no review since (§4.3)."""
    check = antipsychotic_check(ctx)
    if check is None or check.status != "overdue":
        return []
    started = courses(ctx, ANTIPSYCHOTIC, exclude=shared.ANTICIPATORY_CLASS)
    ingredient = min(started, key=started.get)
    drug, when = ingredient.capitalize(), human(started[ingredient])
    span = _span(check.interval_days or 0)
    reason = (f"An antipsychotic has been prescribed for more than {span} with no review recorded "
              f"in that time ({check.source}; clinical-reference §4.3)")
    return [suggest(
        ctx, "dementia.antipsychotic_review", 10, reason,
        f"{drug} has been prescribed since {when}, with no review recorded in the last "
        f"{span}. You could ask whether it is still needed.",
        f"{drug} has been prescribed for {{name}} since {when}, with no review recorded "
        f"in the last {span}. You and {{name}} could ask whether it is still needed.")]


def ask_score_change(ctx: Context, view: ConditionView) -> list[Question]:
    """A memory score worse by 3 points or more between the last two tests of the same instrument
    (§4.3; never compares MMSE with MoCA or 6CIT)."""
    questions = []
    for measure_id in SCORES:
        results = ctx.valued(measure_id)
        if len(results) < 2:
            continue
        before, after = results[-2], results[-1]
        change = after.value - before.value
        worse = change if measure_id in HIGHER_IS_WORSE else -change
        if worse < SCORE_CHANGE_POINTS:
            continue
        test = terminology.measure(measure_id).plain_name
        fact = (f"{test} score changed from {number(before.value)} on {human(before.date)} to "
                f"{number(after.value)} on {human(after.date)}")
        if measure_id in HIGHER_IS_WORSE:
            fact += " (on this test a higher score means more difficulty)"
        questions.append(suggest(
            ctx, f"dementia.{measure_id}_change", 20,
            f"The {test} score worsened by {SCORE_CHANGE_POINTS} points or more between the last "
            "two tests of the same kind (clinical-reference §4.3)",
            f"Your {fact}. You could ask what this means and whether any support should change.",
            f"{{name}}'s {fact}. You and {{name}} could ask what this means and whether any "
            "support should change."))
    return questions


def ask_plan_ahead(ctx: Context, view: ConditionView) -> list[Question]:
    """No lasting power of attorney and no advance care plan (or ReSPECT form) recorded (§4.3)."""
    if shared.has_plan_ahead(ctx):
        return []
    none = f"No lasting power of attorney or advance care plan is {missing_where(ctx)}." if bounded(ctx) else None
    return [suggest(
        ctx, "dementia.plan_ahead", 60,
        "No lasting power of attorney or advance care plan recorded (clinical-reference §4.3)",
        (none or "Your record does not show a lasting power of attorney or an advance care plan.") + " "
        "Some people choose to plan ahead; you could ask where to find information.",
        (none or "{name}'s record does not show a lasting power of attorney or an advance care "
         "plan.") + " Some people choose to plan ahead; you and {name} could ask where to find "
        "information.")]


SPEC = view_spec(ID, ViewRules(  # its table rows: views.csv, view_checks.csv (data/terminology)
    checks=(CheckSpec(id="antipsychotic_review", name="Antipsychotic medicine review",
                      interval_check="antipsychotic_review", condition=ID, compute=antipsychotic_check),),
    build_measure=build_measure,
    questions=(ask_antipsychotic, ask_score_change, ask_care_plan_review, ask_new_medicine,
               ask_plan_ahead),
    panels=panels,
    intro=intro,
))
