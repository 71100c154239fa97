"""Planning ahead and end of life care (clinical-reference §3).

The view lists what the shared record holds about planning ahead: the end of life register entry,
the resuscitation (CPR) decision and its review date, ReSPECT form and care plans, preferred place
of care, anticipatory ("just in case") medicines and lasting power of attorney. There are no fixed
intervals here (§3.2), so the checklist says "recorded" or "not recorded", never "overdue"; the one
dated check is the CPR decision's own review date.

Two app policies (§3.3, §3.4): suggested questions appear only when the person opted in to
planning-ahead prompts, and prognosis codes and CPR decisions are shown to the patient or a proxy
only when the person chose to see them (the clinic screen always sees them).
"""

from __future__ import annotations


from conditions import end_of_life_rules as rules
from conditions.base import (
    CheckSpec, CheckView, ConditionView, Context, MeasureView, Panel, Question, measure_view,
    status_for,
)
from conditions.boundary import bounded, missing_where
from conditions.questions import suggest
from conditions.template import ViewRules, view_spec
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import human

ID = "end_of_life"
CPR_RULE = "eol_cpr_review"  # intervals.csv: grace window before the recorded review date [R5]
PLAN_REVIEW_RULE = "eol_acp_review"  # intervals.csv: "older than 12 months" of §3.3
CHECKLIST_ID = "shared_record_checklist"
RECORDED, NOT_RECORDED = "recorded", "not recorded"


def _applies(ctx: Context) -> bool:
    """On the register, a visible prognosis code, an anticipatory medicines code, or a current
    anticipatory medicine. A prognosis code the viewer may not see never opens the view (§3.4)."""
    return bool(rules.register_entries(ctx) or rules.prognosis_entries(ctx)
                or rules.coded(ctx, (rules.ANTICIPATORY_CODES,))
                or ctx.medicines(rules.ANTICIPATORY_CLASS))


def cpr_check(ctx: Context) -> CheckView | None:
    """The CPR decision's review (check `cpr_review`): overdue once the recorded review date has
    passed, due-soon inside the grace window before it, ok otherwise. None when there is no visible
    decision or it has no review date (there is nothing to count towards)."""
    decision = rules.cpr_decision(ctx)
    if decision is None or decision.review is None:
        return None
    rule = terminology.interval(CPR_RULE, ID)
    due, status = status_for(decision.review, 0, rule.grace_days, ctx.today)
    return CheckView(
        id="cpr_review", name="Resuscitation (CPR) decision review", last_done=decision.date,
        due=due, status=status, source=rule.source, verified=rule.verified,
        note="The review date is the one recorded with the decision.",
    )


def build_measure(ctx: Context, measure_id: str) -> MeasureView | None:
    """A functional score (Karnofsky), shown only when the record has one."""
    view = measure_view(ctx, measure_id, condition=ID)
    return view if view and view.series else None


def _on(found: rules.Dated | None) -> str:
    return f" on {human(found.date)}" if found and found.date else ""


def _latest(found: list[rules.Dated]) -> rules.Dated | None:
    return found[-1] if found else None


def checklist(ctx: Context) -> Panel:
    """"Is my shared palliative-care record complete?": each item recorded (with its date and
    detail) or not recorded. Never overdue: there are no fixed intervals (§3.2)."""
    items: list[tuple[str, str, str | None]] = []

    def add(label: str, found: rules.Dated | None, detail: str | None = None) -> None:
        if found is None:
            items.append((label, f"not {missing_where(ctx)}" if bounded(ctx) else NOT_RECORDED, None))
        else:
            when = f", recorded on {human(found.date)}" if found.date else ""
            items.append((label, RECORDED, detail or f"{found.text}{when}"))

    register = rules.register_entries(ctx)
    add("End of life care register", register[0] if register else None,
        f"{register[-1].text}, first recorded on {human(register[0].date)}" if register else None)
    if rules.sensitive_visible(ctx):
        decision = rules.cpr_decision(ctx)
        review = f"; review date {human(decision.review)}" if decision and decision.review else ""
        add("Resuscitation (CPR) decision", decision,
            f"{decision.text}, decided on {human(decision.date)}{review}" if decision else None)
    add("ReSPECT form", _latest(rules.documents(ctx, "respect")))
    declined = rules.acp_declined(ctx)
    plan = _latest(rules.documents(ctx, "acp"))
    if plan is None and declined is not None:
        add("Advance care plan", declined, f"Declined{_on(declined)}")
    else:
        add("Advance care plan", plan)
    add("End of life care plan or coordination summary", _latest(rules.documents(ctx, "eol_plan")))
    places = rules.preferred_places(ctx)
    for kind, label in (("care", "Preferred place of care"), ("death", "Preferred place of death")):
        place = _latest([p for p in places if p.kind == kind])
        if place or kind == "care":
            add(label, place)
    given = _latest(rules.anticipatory(ctx))
    if given or rules.prognosis_entries(ctx, rules.WEEKS_OR_DAYS):
        add("Anticipatory (\"just in case\") medicines", given,
            f"Issued on {human(given.date)}" if given else None)
    found = rules.attorneys(ctx)
    attorney = _latest([a for a in found if a.kind == "person" and a.text]) or _latest(found)
    add("Lasting power of attorney for health and welfare", attorney,
        None if attorney is None or attorney.text else "Recorded")
    note = ("This list shows what the shared record holds, not what should be done: there is no "
            "fixed timetable for planning ahead.")
    if not rules.sensitive_visible(ctx):
        note += ctx.wording(
            " Resuscitation (CPR) decisions and prognosis entries are shown only if you choose to "
            "see them in settings.",
            " Resuscitation (CPR) decisions and prognosis entries are shown only if {name} chooses "
            "to show them.",
        )
    title = ctx.wording("Is my shared palliative-care record complete?",
                        "Is {name}'s shared palliative-care record complete?")
    return Panel(id=CHECKLIST_ID, title=title, items=items, note=note)


def prognosis_panel(ctx: Context) -> Panel | None:
    """Prognosis and last-days entries, only for a viewer who may see them (§3.4)."""
    found = rules.prognosis_entries(ctx)
    if not found:
        return None
    items = [(entry.text, RECORDED, human(entry.date)) for entry in reversed(found)]
    return Panel(id="prognosis", title="Prognosis entries", items=items,
                 note="Prognosis coding is not standardised across England.")


def panels(ctx: Context) -> list[Panel]:
    """The checklist, and the prognosis entries when the viewer may see them."""
    found = [checklist(ctx), prognosis_panel(ctx)]
    return [panel for panel in found if panel is not None]


def intro(ctx: Context) -> str:
    """What this view is, and whether planning-ahead prompts are on (§3.3: opt-in only)."""
    if ctx.viewer_kind == "clinic":
        what = "This view lists what the shared record holds about planning ahead."
        prompts = ("Planning-ahead prompts are on for this person." if rules.prompts_on(ctx)
                   else "Planning-ahead prompts are off for this person, so no questions are suggested.")
        return f"{what} {prompts}"
    what = ctx.wording(
        "This view lists what your shared record holds about planning ahead for your care.",
        "This view lists what {name}'s shared record holds about planning ahead, as far as "
        "{name}'s consent allows you to see.",
    )
    if rules.prompts_on(ctx):
        prompts = ctx.wording(
            "Planning-ahead prompts are on; you can turn them off in settings at any time.",
            "Planning-ahead prompts are on; they can be turned off in settings at any time.",
        )
    else:
        prompts = ctx.wording(
            "No questions are suggested here. If and when you want them, you can turn on "
            "planning-ahead prompts in settings.",
            "No questions are suggested here. If and when {name} wants them, planning-ahead "
            "prompts can be turned on in settings.",
        )
    return f"{what} {prompts}"


def ask_anticipatory(ctx: Context, view: ConditionView) -> list[Question]:
    """Anticipatory medicines issued: who to call out of hours and how they are used (§3.3)."""
    given = _latest(rules.anticipatory(ctx))
    if not rules.prompts_on(ctx) or given is None:
        return []
    when = human(given.date)
    return [suggest(
        ctx, "end_of_life.anticipatory_issued", 10,
        "Anticipatory (just in case) medicines were issued (clinical-reference §3.3)",
        f"Medicines 'just in case' were issued on {when}. You could ask who to call out "
        "of hours and how they are used.",
        f"Medicines 'just in case' were issued for {{name}} on {when}. You and {{name}} "
        "could ask who to call out of hours and how they are used.")]


def ask_cpr_review(ctx: Context, view: ConditionView) -> list[Question]:
    """The CPR decision's review date has passed (§3.3); only when the viewer may see it (§3.4)."""
    check = next((c for c in view.checks if c.id == "cpr_review"), None) or cpr_check(ctx)
    if not rules.prompts_on(ctx) or check is None or check.status != "overdue":
        return []
    decided, review = human(check.last_done, check.last_done_precision or "day"), human(check.due)
    return [suggest(
        ctx, "end_of_life.cpr_review_passed", 15,
        "The review date recorded with the CPR decision has passed (clinical-reference "
        "§3.3; review date from the NHS end of life record [R5])",
        f"Your resuscitation (CPR) decision of {decided} had a review date of {review}, "
        "which has passed. You could ask whether it still reflects what matters to you.",
        f"{{name}}'s resuscitation (CPR) decision of {decided} had a review date of "
        f"{review}, which has passed. You and {{name}} could ask whether it still "
        "reflects what matters to {name}.")]


def ask_plan_review(ctx: Context, view: ConditionView) -> list[Question]:
    """A ReSPECT form or advance care plan last updated over a year ago (§3.3; the year comes
    from intervals.csv)."""
    if not rules.prompts_on(ctx):
        return []
    rule = terminology.interval(PLAN_REVIEW_RULE, ID)
    questions = []
    for kind in ("respect", "acp"):
        latest = _latest(rules.documents(ctx, kind))
        if latest is None or (ctx.today - latest.date).days <= rule.interval_days:
            continue
        name, when = rules.DOCUMENT_NAMES[kind], human(latest.date)
        questions.append(suggest(
            ctx, f"end_of_life.{kind}_older_than_a_year", 20,
            f"The {name} was last updated more than {rule.interval_days} days ago "
            f"(clinical-reference §3.3; {rule.source})",
            f"Your {name} was last updated on {when}. You could ask whether it still reflects "
            "what matters to you.",
            f"{{name}}'s {name} was last updated on {when}. You and {{name}} could ask whether it "
            "still reflects what matters to {name}."))
    return questions


def ask_preferred_place(ctx: Context, view: ConditionView) -> list[Question]:
    """A preferred place is recorded and the most recent letter mentions a hospital admission."""
    place = _latest([p for p in rules.preferred_places(ctx) if p.kind == "care"])
    letter = rules.latest_letter_mentions_admission(ctx) if place else None
    if not rules.prompts_on(ctx) or letter is None:
        return []
    where, noted, sent = place.text.casefold(), human(place.date), human(letter.date)
    return [suggest(
        ctx, "end_of_life.preferred_place_admission", 25,
        "A preferred place of care is recorded and the most recent letter mentions a "
        "hospital admission (clinical-reference §3.3)",
        f"Your recorded preferred place of care is {where} (recorded on {noted}), and the "
        f"letter of {sent} mentions a hospital admission. You could ask how your care "
        "team can support that.",
        f"{{name}}'s recorded preferred place of care is {where} (recorded on {noted}), "
        f"and the letter of {sent} mentions a hospital admission. You and {{name}} could "
        "ask how the care team can support that.")]


def ask_no_plan(ctx: Context, view: ConditionView) -> list[Question]:
    """On the register with no ReSPECT form, advance or end of life care plan, and no recorded
    decision not to have one (§3.3)."""
    if not rules.prompts_on(ctx) or not rules.register_entries(ctx):
        return []
    if rules.acp_declined(ctx) or any(rules.documents(ctx, kind) for kind in rules.DOCUMENT_KINDS):
        return []
    none = f"No advance care plan or ReSPECT form is {missing_where(ctx)}." if bounded(ctx) else None  # issue 16
    return [suggest(
        ctx, "end_of_life.no_plan_document", 30,
        "On the end of life care register with no advance care plan, ReSPECT form or "
        "coordination summary recorded (clinical-reference §3.3)",
        (none or "Your shared record does not show an advance care plan or ReSPECT form.") + " If and "
        "when you feel ready, you could ask about writing down your wishes for future care.",
        (none or "{name}'s shared record does not show an advance care plan or ReSPECT form.") + " If "
        "and when {name} feels ready, you and {name} could ask about writing down "
        "{name}'s wishes for future care.")]


def ask_attorney(ctx: Context, view: ConditionView) -> list[Question]:
    """A lasting power of attorney is recorded: check the details are correct (§3.3)."""
    found = rules.attorneys(ctx)
    if not rules.prompts_on(ctx) or not found:
        return []
    person = next((a for a in reversed(found) if a.kind == "person" and a.text), None)
    reason = "A lasting power of attorney is recorded (clinical-reference §3.3)"
    if person is not None:
        who = person.text
        return [suggest(
            ctx, "end_of_life.attorney_recorded", 40, reason,
            f"{who} is recorded as your attorney for health and welfare. You could check "
            "the details are correct.",
            f"{who} is recorded as {{name}}'s attorney for health and welfare. You and "
            "{name} could check the details are correct.")]
    when = _on(found[-1])
    return [suggest(
        ctx, "end_of_life.attorney_recorded", 40, reason,
        f"A lasting power of attorney for health and welfare is recorded{when}. You could "
        "check the details are correct.",
        f"A lasting power of attorney for health and welfare is recorded for {{name}}"
        f"{when}. You and {{name}} could check the details are correct.")]


SPEC = view_spec(ID, ViewRules(  # its table row: data/terminology/views.csv
    applies=_applies,
    checks=(CheckSpec(id="cpr_review", name="Resuscitation (CPR) decision review", interval_check=CPR_RULE,
                      compute=cpr_check),),
    build_measure=build_measure,
    questions=(ask_anticipatory, ask_cpr_review, ask_plan_review, ask_preferred_place,
               ask_no_plan, ask_attorney),
    panels=panels,
    intro=intro,
))
