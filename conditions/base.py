"""The shapes every condition view shares, and the generic due/overdue engine.

A condition module is a plain `ConditionSpec`: its id and title, the value sets and medicines that
say it applies, the measures it tracks, the checks it expects and its question rules. Targets,
intervals and codes come from `data/terminology/` through `record.terminology`; nothing clinical is
a literal here. No module in this package imports streamlit or the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from conditions.ages import age_range
from conditions.boundary import at_boundary
from conditions.medicines import RECENT_MEDICINE_DAYS, is_current, says_active
from conditions.membership import in_any
from conditions.personal import personal_target as trusted_target
from conditions.plain import plain_view
from conditions.series import HomePoint, SeriesPoint, SituationLine  # noqa: F401  (part of the views' API)
from conditions.sources import Tracer
from conditions.target_words import bands_note, number, target_text  # noqa: F401  (part of the views' API)
from conditions.view_shapes import (  # noqa: F401  (part of the views' API)
    CheckStatus, CheckView, ConditionView, MeasureView, Panel, Question, ViewerKind,
)
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import FhirDate, human
from ltc_dashboard.record.fast_make import copier
from ltc_dashboard.record.models import LabResult, Medication, PatientRecord


@dataclass(frozen=True)
class Context:
    """What a condition module reads: the gated, mapped record, the day, and who is looking."""

    record: PatientRecord
    today: dt.date
    viewer_kind: ViewerKind = "patient"
    patient_name: str | None = None
    preferences: dict = field(default_factory=dict)
    boundary: dt.date | None = None  # the first day of data this viewer sees (VisibleRecord.view_starts)
    boundary_end: dt.date | None = None  # the last day of data a carer sees (VisibleRecord.view_ends)
    unshown: bool = False  # no result is shown to this viewer (denied, settings unreadable): attack 16
    tracer: Tracer = field(default_factory=Tracer, repr=False, compare=False)  # conditions/sources.py
    _kept: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def kept(self, key: tuple, make: Callable[[], list]) -> list:
        """A copy of make()'s list, made once per key for this summary: several views chart the
        same measure, and several checks ask for the same evidence (with what it read, noted again)."""
        if key not in self._kept:
            with self.tracer.collecting() as read:
                self._kept[key] = (make(), frozenset(read))
        value, read = self._kept[key]
        self.tracer.add(read)
        return list(value)

    @property
    def age_range(self) -> tuple[int, int] | None:
        """(youngest, oldest) in whole years: a partial birth date leaves the age uncertain, and a
        rule reads the cautious side with conditions/ages.py (clinical-reference §11.3)."""
        return age_range(self.record.patient, self.today)

    @property
    def age(self) -> int | None:
        """The age in whole years when it is certain; None when unknown or the birth date is partial."""
        ages = self.age_range
        return ages[0] if ages and ages[0] == ages[1] else None

    def results(self, measure_id: str) -> list[LabResult]:
        """Countable (final, amended, corrected) dated results of one measure, oldest first."""
        found = self.record.results_for(measure_id, countable_only=True)
        while found and found[-1].date is None:  # undated results sort last
            found.pop()
        return found

    def valued(self, measure_id: str) -> list[LabResult]:
        """Countable results that carry a number, oldest first."""
        return [r for r in self.results(measure_id) if r.value is not None]

    def latest(self, measure_id: str) -> LabResult | None:
        """The newest countable result that carries a number."""
        return next((r for r in reversed(self.results(measure_id)) if r.value is not None), None)

    def has_coded(self, *valuesets: str) -> bool:
        """Whether the record holds a current entry in one of the value sets: a condition that is
        not resolved, inactive, in remission or refuted; an active flag; or any other coded entry."""
        for condition in self.record.conditions:
            if (condition.clinical_status not in _ENDED_CONDITION
                    and condition.verification_status not in ("refuted", "entered-in-error")
                    and in_any(valuesets, condition.codings, condition.text)):
                return True
        for flag in self.record.flags:
            if flag.status in (None, "active") and in_any(valuesets, flag.codings, flag.text):
                return True
        return any(e.resource_type not in ("Condition", "Flag") for e in self.coded(*valuesets))

    def coded(self, *valuesets: str) -> list:
        """Dated coded entries (conditions, procedures, flags, coded observations), oldest first.

        Matched by code and, for value sets that list words, by the entry's display text."""
        found = self.record.coded_by_concept.where(lambda key: in_any(valuesets, *key))
        return sorted(found, key=lambda e: e.date)

    def medicines(self, medicine_class: str, within_days: int | None = RECENT_MEDICINE_DAYS) -> list[Medication]:
        """Medicines of a class that are current (see `is_current`); any ever, with within_days=None."""
        return [m for m in self.record.medications
                if medicine_class in m.classes and is_current(m, self.today, within_days)]

    def monitored(self, medicine_class: str) -> list[Medication]:
        """Medicines of a class that need monitoring and are current, or that the record still
        lists though their last issue is older than 6 months: such a medicine keeps its
        monitoring check (clinical-reference §11.1; `conditions.medicines.listed_reason` says why)."""
        return [m for m in self.record.medications
                if medicine_class in m.classes and says_active(m, self.today)]

    def first_issued(self, medicine_class: str) -> dt.date | None:
        """The earliest issue or start date of any medicine of a class."""
        dates = [d for m in self.record.medications if medicine_class in m.classes
                 for d in (m.issues or [m.authored_on] or []) if d]
        return min(dates) if dates else None

    def wording(self, for_patient: str, for_carer: str) -> str:
        """Pick the patient's or the carer's wording ({name} is the patient's first name)."""
        if self.viewer_kind == "proxy":
            first = self.patient_name.split()[0] if self.patient_name and self.patient_name.split() else None
            return for_carer.replace("{name}'s", f"{first}'s" if first else "their").replace(
                "{name}", first or "the person you care for")
        return for_patient


_ENDED_CONDITION = frozenset({"resolved", "inactive", "remission"})


@dataclass(frozen=True)
class CheckSpec:
    """A check a view expects: its interval row in intervals.csv and when it applies. A check a
    row cannot say (a CPR decision's own review date, monitoring dated from a medicine's start)
    gives `compute`, the view module's own rule: it still runs through `run_checks`, the one engine."""

    id: str
    name: str
    interval_check: str  # the `check` column in intervals.csv
    condition: str | None = None  # the `condition` column, to pick the right row
    applies: Callable[[Context], bool] | None = None
    stricter: Callable[[Context], bool] | None = None  # use stricter_interval_days when true
    declined_valuesets: tuple[str, ...] = ()
    since: Callable[[Context], dt.date | None] | None = None  # count evidence only from this date
    note: Callable[[Context], str | None] | None = None  # extra words shown with the check
    # the module's own rule: one check, or a group whose ids the record decides (the lithium checks)
    compute: Callable[[Context], CheckView | list[CheckView] | None] | None = None


def status_for(last_done: dt.date | None, interval_days: int, grace_days: int, today: dt.date) -> tuple[dt.date | None, CheckStatus]:
    """Next due date and status: never, overdue (past due), due-soon (inside the grace window), ok."""
    if last_done is None:
        return None, "never"
    due = last_done + dt.timedelta(days=interval_days)
    if today > due:
        return due, "overdue"
    if today > due - dt.timedelta(days=grace_days):
        return due, "due-soon"
    return due, "ok"


def evidence_dates(ctx: Context, evidence: tuple[str, ...]) -> list[dt.date]:
    """Dates on which any evidence for a check was recorded: results of the measures the value
    sets name, coded entries (by code or by a value set's words), and valued observations that
    are not a tracked measure (alcohol units, waist)."""
    def found() -> list[dt.date]:
        measures = {m.valueset: m.id for m in terminology.measures().values()}
        dates = {r.date for vs in evidence if vs in measures for r in ctx.results(measures[vs])}
        dates.update(e.date for e in ctx.coded(*evidence))
        dates.update(r.date for r in ctx.record.untracked_values.where(lambda key: in_any(evidence, *key)))
        return sorted(d for d in dates if d and d <= ctx.today)
    return ctx.kept(("evidence", tuple(evidence)), found)


def evidence_spans(ctx: Context, evidence: tuple[str, ...]) -> list[tuple[dt.date, dt.date, str | None]]:
    """The evidence of `evidence_dates` as (first possible day, last possible day, precision): a
    check recorded in "2025" was done on some day of 2025 (ltc_dashboard/record/dates.FhirDate.last_day)."""
    def found() -> list:
        measures = {m.valueset: m.id for m in terminology.measures().values()}
        entries = [r for vs in evidence if vs in measures for r in ctx.results(measures[vs])]
        entries += ctx.coded(*evidence)
        entries += ctx.record.untracked_values.where(lambda key: in_any(evidence, *key))
        today, partial = ctx.today, ("year", "month")
        spans = {(e.date, _last_day(e.date, e.date_precision), e.date_precision) if e.date_precision in partial
                 else (e.date, e.date, None) for e in entries if e.date and e.date <= today}
        return sorted(spans, key=lambda s: (s[0], s[1], s[2] or ""))
    return ctx.kept(("evidence spans", tuple(evidence)), found)


def _last_day(day: dt.date, precision: str | None) -> dt.date:
    return FhirDate(day, precision).last_day if precision in ("year", "month") else day


def undated_evidence(ctx: Context, evidence: tuple[str, ...]) -> list:
    """Entries that would evidence a check but whose date cannot be read (ltc_dashboard/record/models.py)."""
    return ctx.kept(("undated", tuple(evidence)), lambda: ctx.record.undated_by_concept.where(
        lambda key: in_any(evidence, *key)))


def apply_declined(ctx: Context, check: CheckView, declined: tuple[str, ...]) -> CheckView:
    """A check with a recent decline counted as addressed (§1.3): the decline is newer than the
    last time the check was done and falls within the interval (or a year)."""
    if not declined or check.status not in ("overdue", "never", "due-soon"):
        return check
    refused = evidence_dates(ctx, declined)
    interval_days = check.interval_days or 0
    if not refused or (check.last_done and refused[-1] < check.last_done) or (
            ctx.today - refused[-1]).days > max(interval_days, 365):
        return check
    return check.model_copy(update={
        "addressed_by": f"declined on {human(refused[-1])} (counts as addressed)", "status": "ok",
        "due": refused[-1] + dt.timedelta(days=interval_days) if interval_days else None})


def check_from_row(ctx: Context, check_id: str, name: str, interval_check: str,
                   condition: str | None = None, declined: tuple[str, ...] = (),
                   stricter: bool = False, since: dt.date | None = None,
                   note: str | None = None) -> CheckView:
    """A check computed from its intervals.csv row: evidence, last done, next due, status, and a
    recent decline counted as addressed. Modules with checks the spec cannot describe call this."""
    rule = terminology.interval(interval_check, condition)
    interval_days, grace_days = rule.window(stricter and bool(rule.stricter_interval_days))
    done = [d for d in evidence_spans(ctx, rule.evidence) if since is None or d[0] >= since]
    last = max((d[0] for d in done), default=None)
    if rule.once_only:  # no repeat interval: recorded or not, never overdue
        due, status = None, ("ok" if last else "never")
    else:
        due, status = status_for(last, interval_days, grace_days, ctx.today)
        latest = min(max(d[1] for d in done), ctx.today) if done else None  # a partial date's last possible day
        if latest is not None and latest > last and status_for(latest, interval_days, grace_days, ctx.today)[1] != status:
            due, status = None, "undated"  # done in time or overdue, as the day it stands for falls: cannot say
    if status in ("overdue", "never", "due-soon") and undated_evidence(ctx, rule.evidence):
        due, status = None, "undated"  # it may have been done since: the date cannot be read
    precision = next((d[2] for d in done if d[0] == last and d[2] in ("year", "month")), None)
    check = CheckView(
        id=check_id, name=name, last_done=last, due=due, status=status,
        interval_days=interval_days, source=rule.source, verified=rule.verified,
        note=note or rule.text or None, evidence=rule.evidence, last_done_precision=precision)
    return at_boundary(ctx, apply_declined(ctx, check, tuple(dict.fromkeys((*declined, *rule.declined)))))


def run_check(ctx: Context, spec: CheckSpec) -> CheckView | None:
    """Compute one table check from the visible record, or None when it does not apply to this person."""
    if spec.applies is not None and not spec.applies(ctx):
        return None
    return check_from_row(
        ctx, spec.id, spec.name, spec.interval_check, spec.condition, spec.declined_valuesets,
        stricter=bool(spec.stricter and spec.stricter(ctx)),
        since=spec.since(ctx) if spec.since else None,
        note=spec.note(ctx) if spec.note else None,
    )


def run_checks(ctx: Context, specs: tuple[CheckSpec, ...]) -> list[CheckView]:
    """Every check of a view, in its order: a table row's through `run_check`, a module's own rule
    through its `compute` (a group flattened in place); those that do not apply left out."""
    found: list[CheckView | None] = []
    for spec in specs:
        if spec.compute is None:
            found.append(run_check(ctx, spec))
        elif spec.applies is None or spec.applies(ctx):
            made = spec.compute(ctx)
            found.extend(made if isinstance(made, list) else [made])
    return [c for c in found if c]


def series_of(ctx: Context, measure_id: str) -> list[SeriesPoint]:
    """The measure's countable, dated results as chart points (made once per summary). Each
    point's fields are a result's (date, value, flag, comparator, coded value's text, id), which
    were validated when the result was mapped; they are copied, not validated again (14,000
    points in a 25,000-resource record)."""
    return ctx.kept(("series", measure_id), lambda: [
        _point((r.date, r.value, r.flag, r.comparator, r.value_text, r.id)) for r in ctx.results(measure_id)])


_point = copier(SeriesPoint, ("date", "value", "flag", "comparator", "text", "id"))


@dataclass(frozen=True)
class ConditionSpec:
    """One clinical exemplar, as a plain object the registry lists. Built by conditions/template.py
    from its views.csv row and its module's `ViewRules` (docs/adding-a-view.md)."""

    id: str
    title: str
    applies_valuesets: tuple[str, ...]
    defining_medicines: tuple[str, ...]
    measures: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    build_measure: Callable[[Context, str], MeasureView | None]
    related_medicines: tuple[str, ...] = ()  # medicine classes listed under this condition
    applies_rule: Callable[[Context], bool] | None = None  # replaces the value-set/medicine test
    question_rules: tuple[Callable[[Context, "ConditionView"], list[Question]], ...] = ()
    panels: Callable[[Context], list[Panel]] | None = None
    intro: Callable[[Context], str | None] | None = None
    support: Callable[[Context], str | None] | None = None
    finish: Callable[[Context, "ConditionView"], "ConditionView"] | None = None  # the module's last word
    max_questions: int = 5

    def applies(self, ctx: Context) -> bool:
        """A view applies when the record has a matching condition or register code, or a
        defining medicine (or, when the module gives one, by its own `applies_rule`)."""
        if self.applies_rule is not None:
            return self.applies_rule(ctx)
        if self.applies_valuesets and ctx.has_coded(*self.applies_valuesets):
            return True
        return any(ctx.medicines(cls, within_days=None) for cls in self.defining_medicines)

    def view(self, ctx: Context) -> ConditionView:
        """Compute the whole view; each question keeps as sources every entry the view read."""
        with ctx.tracer.collecting() as read:
            measures = [m for m in (self.build_measure(ctx, mid) for mid in self.measures) if m]
            checks = run_checks(ctx, self.checks)
            partial = ConditionView(id=self.id, title=self.title, measures=measures, checks=checks)
            questions = [q for rule in self.question_rules for q in rule(ctx, partial)]
        questions.sort(key=lambda q: q.rank)
        shown = plain_view(partial.model_copy(update={
            "questions": [q.model_copy(update={"view": self.id, "sources": ctx.tracer.sources(read)})
                          for q in questions[: self.max_questions]],
            "panels": self.panels(ctx) if self.panels else [],
            "intro": self.intro(ctx) if self.intro else None,
            "support": self.support(ctx) if self.support else None,
        }))
        return self.finish(ctx, shown) if self.finish else shown


def personal_target(ctx: Context, measure_id: str):
    """The trusted target of the person's most recent active Goal in force today (conditions/personal.py)."""
    return trusted_target(ctx.record, measure_id, ctx.today)


def measure_view(ctx: Context, measure_id: str, applies_when: tuple[str, ...] = ("default",),
                 condition: str | None = None) -> MeasureView | None:
    """A measure with its series and the target that applies: a personal Goal target first, else
    the first guideline target in `applies_when` order (targets.csv), always with its source."""
    measure = terminology.measures()[measure_id]
    series = series_of(ctx, measure_id)
    low = high = text = source = verified = None
    personal, inclusive = False, (True, True)  # (low, high): as the row or the Goal's comparator says
    mine = personal_target(ctx, measure_id)
    if mine:
        goal, target = mine
        low, high, inclusive = target.low, target.high, (target.low_inclusive, target.high_inclusive)
        text = target_text(low, high, measure.display_unit, *inclusive)  # words and verdict: one source
        source = ctx.wording("your personal target", "{name}'s personal target") + (
            f" ({goal.description})" if goal.description else "")
        personal = True
    else:
        options = terminology.targets(measure_id, condition)
        for when in applies_when:
            chosen = next((t for t in options if t.applies_when == when), None)
            if chosen:
                low, high, source, verified = chosen.low, chosen.high, chosen.source, chosen.verified
                inclusive = (chosen.low_inclusive, chosen.high_inclusive)
                text = chosen.text or target_text(low, high, measure.display_unit)
                break
    return MeasureView(
        id=measure.id, name=measure.name, plain_name=measure.plain_name, unit=measure.unit,
        display_unit=measure.display_unit, target=text, target_low=low, target_high=high,
        target_source=source, target_verified=verified, target_personal=personal, series=series,
        target_low_inclusive=inclusive[0], target_high_inclusive=inclusive[1],
    )
