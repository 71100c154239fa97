"""The one `Summary` of a patient's record for a viewer and a day: the condition views that apply,
their measures, checks and questions, medicines, letters and the person's own questions.

Pages render it, `ltc summary` prints it (JSON or the Markdown pre-consultation sheet), exports
use it. It is built only from a `VisibleRecord`, so everything in it has passed the access gate.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from conditions import REGISTRY
from conditions.base import ConditionView, Context, Question, is_current
from conditions.boundary import at_boundary_view
from conditions.home import home_blood_pressure, with_home
from conditions.home_average import HomeAverage
from conditions.sources import Tracer, traced
from conditions.suggestions import SuggestedView, suggestion
from ltc_dashboard.gate.own_content import questions_for
from ltc_dashboard.gate.access import VisibleRecord
from ltc_dashboard.record.appointments import AppointmentLine, appointment_lines
from ltc_dashboard.record.dates import human
from ltc_dashboard.record.mapping import map_record
from ltc_dashboard.record.models import PatientInfo, PatientRecord

JSON_SCHEMA_VERSION = 1


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class PatientLine(_Out):
    id: str
    name: str | None = None
    birth_date: dt.date | None = None


class ViewerLine(_Out):
    kind: Literal["patient", "proxy", "clinic"]
    id: str | None = None


class MedicationLine(_Out):
    name: str
    status: str | None = None
    last_issued: dt.date | None = None
    repeat: bool = False
    current: bool = False
    route: str | None = None
    conditions: list[str] = Field(default_factory=list)
    id: str


class LetterLine(_Out):
    date: dt.date | None = None
    title: str
    id: str


class RepeatOrderLine(_Out):
    """A repeat prescription order (issue 21): status issued, ordered, prepared, unconfirmed or not sent."""

    id: int
    medication: str
    ordered: dt.datetime
    status: str


class Summary(_Out):
    """The contract `ltc summary --format json` prints (documented in the README)."""

    schema_version: int = JSON_SCHEMA_VERSION
    patient: PatientLine
    viewer: ViewerLine
    today: dt.date
    record_starts: dt.date | None = None
    view_starts: dt.date | None = None  # the first day of data this viewer sees: record_starts or a carer's data period
    access_ends: dt.date | None = None  # a carer's permission ends after this day (issue 16)
    view_ends: dt.date | None = None  # the last day of data a carer sees, when their data period ends (attack 16)
    notices: list[str] = Field(default_factory=list)
    denied: bool = False  # the record is not shown to this viewer (the first notice says why)
    unchecked: int = 0  # entries withheld because the app could not check them (a notice says so)
    death_notice: str | None = None  # the person has died: shown to every viewer (§11.10)
    died_on: dt.date | None = None
    conditions: list[ConditionView] = Field(default_factory=list)
    suggested_views: list[SuggestedView] = Field(default_factory=list)  # views the person may choose
    medications: list[MedicationLine] = Field(default_factory=list)
    letters: list[LetterLine] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    own_questions_withheld: int = 0  # kept questions not shown: an entry they came from is hidden
    appointments: list[AppointmentLine] = Field(default_factory=list)  # upcoming first (ltc_dashboard/record/appointments.py)
    repeat_orders: list[RepeatOrderLine] = Field(default_factory=list)  # newest first (ltc_dashboard/service/repeats.py)
    home_average: HomeAverage | None = None  # the home blood pressure week whatever the views (issue 20)
    home_average_note: str | None = None  # why there is no home average, in words


def unchecked_notice(count: int) -> str:
    """What the person is told about entries the gate withheld because it could not classify
    them (ltc_dashboard/gate/access.py): how many, in plain words, and nothing about what they are."""
    if count == 1:
        return "1 entry is not shown because the app could not check whether you may see it."
    return f"{count} entries are not shown because the app could not check whether you may see them."


def _kept_reason(row: dict) -> str:
    """Where a question in the person's list came from, in words: written, kept from a
    suggestion, or made from a result where it was shown (pages/result_actions.py, "result:<id>")."""
    if row.get("source") == "own":
        return "added by you"
    if str(row.get("rule_id") or "").startswith("result:"):
        return "about a result, added by you"
    return "suggested, kept by you"


def own_questions_for(rows: list[dict]) -> list[Question]:
    """The person's own questions as the summary lists them, from the rows this viewer may see
    (gate.own_content.questions_for, the one rule: the patient sees the patient's; a proxy
    only the questions that proxy wrote; the shared screen the patient's only when the person
    chose to show them there; a kept suggestion only while every entry it was built from is
    visible)."""
    shown = []
    for row in rows:
        if row.get("status") == "dismissed":
            continue
        shown.append(Question(
            text=row["text"], source="own" if row.get("source") == "own" else "suggested",
            reason=_kept_reason(row),
            own_id=row["id"], status=row.get("status"), rule_id=row.get("rule_id"), rank=0,
            appointment_id=row.get("appointment_id"),
        ))
    return shown


def _medicines_as_of(info: PatientInfo | None, today: dt.date) -> dt.date:
    """The day medicines are judged current on: today, or the day of death (§11.10)."""
    if info is not None and info.deceased and info.deceased_on:
        return min(today, info.deceased_on)
    return today


def _medication_lines(record: PatientRecord, today: dt.date, views: list[ConditionView]) -> list[MedicationLine]:
    by_class: dict[str, list[str]] = {}
    for spec in REGISTRY:
        for cls in spec.related_medicines:
            by_class.setdefault(cls, []).append(spec.id)
    shown = {v.id for v in views}
    lines = [
        MedicationLine(
            name=med.name, status=med.status, last_issued=med.last_issued, repeat=med.repeat,
            current=is_current(med, today), id=med.id, route=med.route,
            conditions=sorted({v for c in med.classes for v in by_class.get(c, ()) if v in shown}),
        )
        for med in record.medications
    ]
    lines.sort(key=lambda m: (not m.current, m.name.lower()))
    return lines


def death_notice(info: PatientInfo | None) -> str | None:
    """The notice every viewer sees on the record of someone who has died (clinical-reference
    §11.10): said plainly and kindly, and saying what the record no longer shows."""
    if info is None or not info.deceased:
        return None
    who = info.name or "The person this record belongs to"
    when = f" on {human(info.deceased_on)}" if info.deceased_on else ""
    return (f"{who} died{when}. This record is shown as it was kept. It does not list checks that "
            "are due, targets to reach or questions for an appointment.")


def closed_average(average: HomeAverage | None) -> HomeAverage | None:
    """A home blood pressure average after death (§11.10): the numbers, no target."""
    return average and average.model_copy(update={
        "target": None, "source": None, "verified": None, "below_target": None, "target_note": None})


def closed_view(view: ConditionView) -> ConditionView:
    """A view of the record of someone who has died (§11.10): the results as they were, without
    due checks, targets, prompts, checklists or signposting written for a living person."""
    measures = [m.model_copy(update={
        "target": None, "target_low": None, "target_high": None, "target_source": None,
        "target_verified": None, "target_basis": None, "target_personal": False, "note": None,
        "home_average": closed_average(m.home_average)}) for m in view.measures]
    return view.model_copy(update={"intro": None, "measures": measures, "checks": [], "questions": [],
                                   "panels": [], "support": None, "situations": []})


CHOSEN_NOTE = "You chose to show this view. It is shown by choice, not because of an entry in the record."


def chosen_view(spec, ctx: Context) -> ConditionView:
    """A view the person chose to show (issue 16), saying so in its intro."""
    view = spec.view(ctx)
    intro = f"{CHOSEN_NOTE} {view.intro}" if view.intro else CHOSEN_NOTE
    return view.model_copy(update={"intro": intro, "shown_because": "chosen"})


def _views(ctx: Context, chosen: tuple[str, ...]) -> tuple[list[ConditionView], list[SuggestedView]]:
    """The views that apply (by a visible diagnosis, register entry or defining medicine), those
    chosen, and a suggestion for each other view the visible record gives reason for. The shared
    clinic screen gets no suggestion: no one there chooses views."""
    views, suggested = [], []
    for spec in REGISTRY:
        if spec.applies(ctx):
            views.append(at_boundary_view(ctx, spec.view(ctx)))
        elif spec.id in chosen:
            views.append(at_boundary_view(ctx, chosen_view(spec, ctx)))
        elif ctx.viewer_kind != "clinic" and (found := suggestion(ctx, spec.id, spec.title)):
            suggested.append(found)
    return views, suggested


def build_summary(
    visible: VisibleRecord,
    own_rows: list[dict] | None = None,
    preferences: dict | None = None,
    record: PatientRecord | None = None,
    chosen: tuple[str, ...] = (),
    readings: list | None = None,
) -> Summary:
    """Build the summary for the viewer and day the visible record was opened for. `record` is
    `map_record(visible.resources)` when the caller has it already (ltc_dashboard/service/core.py keeps it); `chosen`
    are the ids of views shown by the person's choice (service.chosen_views, `ltc summary --view`);
    `readings` the home readings this viewer may see (service.readings.visible_readings), added to
    the measures' `home_series` after the views are built, so no check or question reads them."""
    record = record if record is not None else map_record(list(visible.resources))
    viewer = visible.viewer
    info = record.patient
    tracer = Tracer()  # what each view reads: the sources a kept suggestion takes with it
    ctx = Context(
        record=traced(record, tracer), today=visible.today, viewer_kind=viewer.kind,
        patient_name=info.name if info else None, preferences=dict(preferences or {}), tracer=tracer,
        boundary=visible.view_starts or visible.record_starts, boundary_end=visible.view_ends,
        unshown=not visible.sees_results,
    )
    # A carer with no current permission sees nothing of the record: a view they chose while they
    # had one is not shown (its checks would all read "No record found"), nor any suggestion.
    views, suggested_views = _views(ctx, tuple(chosen)) if visible.permitted else ([], [])
    views = [with_home(view, readings or [], ctx) for view in views]
    died = death_notice(info)
    if died:
        views, suggested_views = [closed_view(view) for view in views], []
    # Read from the views once closed (no target after death); a carer without a current
    # permission, like the views, gets none.
    home_bp, home_note = home_blood_pressure(views, readings or [], info) if visible.permitted else (None, None)
    if died:
        home_bp = closed_average(home_bp)
    suggested: dict[str, Question] = {}  # by text: the same words from two views need both views' sources
    for view in views:
        for question in view.questions:
            first = suggested.setdefault(question.text, question)
            if first is not question:
                suggested[question.text] = first.model_copy(update={"sources": first.sources | question.sources})
    rows, withheld = questions_for(visible, own_rows or [], preferences)  # read once: it checks sources
    # A suggestion already kept is not suggested again, judged by the kept questions this viewer
    # sees: one the patient kept, hidden from a carer or the shared screen, must not show there by
    # its absence from the suggestions (helper-66).
    kept_rules = {row.get("rule_id") for row in rows if row.get("rule_id")}
    suggested = [q for q in suggested.values() if q.rule_id not in kept_rules]
    own = own_questions_for(rows)
    # Only the person is told how many of their kept questions are not shown: to the shared screen
    # or a carer the number would say that an entry hidden from them exists (second outside review).
    withheld = withheld if viewer.kind == "patient" else 0
    if died:
        suggested, own = [], []
    appointments = appointment_lines(record, visible.resources_of("Appointment"), visible) if record.appointments else []
    shown_ids = {a.id for a in appointments}  # a question's appointment this viewer cannot see is not named
    own = [q if q.appointment_id in shown_ids else q.model_copy(update={"appointment_id": None}) for q in own]
    notices = [visible.denied_reason] if visible.denied_reason else []
    if visible.unchecked:
        notices.append(unchecked_notice(visible.unchecked))
    letters = sorted(  # the letters' fields were validated when mapped: copied, not validated again
        (LetterLine.model_construct(date=l.date, title=l.title, id=l.id) for l in record.letters),
        key=lambda l: (l.date is None, l.date or dt.date.min), reverse=True,
    )
    return Summary(
        patient=PatientLine(id=viewer.patient_id, name=info.name if info else None,
                            birth_date=info.birth_date if info else None),
        viewer=ViewerLine(kind=viewer.kind, id=viewer.proxy_id),
        today=visible.today,
        record_starts=visible.record_starts,
        view_starts=visible.view_starts or visible.record_starts,
        access_ends=visible.access_ends,
        view_ends=visible.view_ends,
        notices=notices,
        denied=bool(visible.denied_reason),
        unchecked=visible.unchecked,
        death_notice=died,
        died_on=info.deceased_on if died and info else None,
        conditions=views,
        suggested_views=suggested_views,
        medications=_medication_lines(record, _medicines_as_of(info, visible.today), views),
        letters=letters,
        questions=own + suggested,
        own_questions_withheld=withheld,
        appointments=appointments,
        home_average=home_bp,
        home_average_note=home_note,
    )


def with_orders(summary: Summary, orders: list) -> Summary:
    """The summary with the repeat orders this viewer may see (service.repeats.visible_orders)."""
    lines = [RepeatOrderLine(id=o.id, medication=o.medication, ordered=o.ordered_at, status=o.status) for o in orders]
    return summary.model_copy(update={"repeat_orders": lines}) if lines else summary
