"""Plans, goals, alerts, appointments, consents and related people: FHIR to models."""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.record import units
from ltc_dashboard.record.mapping_common import (
    all_codings, as_dict, codes, codings, concept_key, day, dicts, display, displays, entry_fields,
    fhir_date, first_code, human_name, key_measure, number, reference_id, reference_text, string, uk_datetime,
)
from ltc_dashboard.record.models import (
    Appointment, CarePlan, CarePlanActivity, ConsentEntry, FlagEntry, Goal, GoalTarget,
    RelatedPersonInfo,
)


def _period(value) -> tuple:
    period = as_dict(value)
    return day(period.get("start")), day(period.get("end"))


def map_care_plan(resource: dict) -> CarePlan:
    """A CarePlan with its activities and the ids of its goals."""
    categories = resource.get("category")
    title = string(resource.get("title")) or next(iter(displays(categories)), None) or "Care plan"
    activities = []
    for activity in dicts(resource.get("activity")):
        detail = as_dict(activity.get("detail"))
        words = (display(detail.get("code")) or string(detail.get("description"))
                 or string(as_dict(activity.get("reference")).get("display")))
        scheduled, partial, unreadable = _schedule(detail)
        activities.append(CarePlanActivity(
            text=words, status=string(detail.get("status")), codings=codings(detail.get("code")),
            scheduled=scheduled, scheduled_partial=partial, schedule_unreadable=unreadable,
            reference=reference_text(activity.get("reference")) or reference_text(activity.get("plannedActivityReference")),
        ))
    start, end = _period(resource.get("period"))
    period = as_dict(resource.get("period"))
    precision = tuple(found.precision if found else None for found in (fhir_date(period.get(k)) for k in ("start", "end")))
    fields = entry_fields(resource)
    fields.update(codings=all_codings(categories), text=title)
    return CarePlan(
        **fields,
        title=title,
        status=string(resource.get("status")),
        intent=string(resource.get("intent")),
        period_start=start,
        period_end=end,
        period_precision=precision,
        categories=displays(categories),
        category_codings=all_codings(categories),
        activities=activities,
        goal_ids=[gid for gid in (reference_id(g) for g in dicts(resource.get("goal"))) if gid],
        description=string(resource.get("description")),
    )


def _schedule(detail: dict) -> tuple[list, list, bool]:
    """(the readable days an activity is scheduled for, the partial dates it is scheduled for as
    ISO text at their own precision ("2027", "2027-03": never shown as the 1st), whether a schedule
    was given that holds neither). R4 detail.scheduled[x]: a Timing's events or its bounds' start,
    a Period's start; a string ("next spring"), a repeat with no bounds or an impossible date holds
    no day, and is shown as "date not recorded", never as a date or as overdue."""
    timing, period = as_dict(detail.get("scheduledTiming")), as_dict(detail.get("scheduledPeriod"))
    events = timing.get("event") if isinstance(timing.get("event"), list) else []
    given = [*events, as_dict(as_dict(timing.get("repeat")).get("boundsPeriod")).get("start"), period.get("start")]
    found = [d for d in (fhir_date(value) for value in given) if d is not None]
    days = sorted({d.day for d in found if d.precision in ("day", "time")})
    partial = sorted({d.iso() for d in found if d.precision in ("year", "month")})
    said = any(key in detail for key in ("scheduledTiming", "scheduledPeriod", "scheduledString"))
    return days, partial, said and not (days or partial)


def map_goal(resource: dict) -> Goal:
    """A Goal with its targets in UK units where the measure is known."""
    description = display(resource.get("description"))
    notes = [string(note.get("text")) for note in dicts(resource.get("note"))]
    achievement = resource.get("achievementStatus")
    return Goal(
        **entry_fields(resource, resource.get("description")),
        description=description,
        lifecycle_status=string(resource.get("lifecycleStatus")),
        achievement_status=first_code(achievement) or display(achievement),
        start=day(resource.get("startDate")),
        targets=[_target(target) for target in dicts(resource.get("target"))],
        notes="\n".join(note for note in notes if note) or None,
    )


def _target(target: dict) -> GoalTarget:
    """One Goal.target: a quantity, a range or words, with its measure and due date."""
    concept = target.get("measure")
    measure = None
    if isinstance(concept, (dict, list)):
        measure = key_measure(concept_key(concept))
    quantity = as_dict(target.get("detailQuantity"))
    detail_range = as_dict(target.get("detailRange"))
    value = number(quantity.get("value"))
    low = number(as_dict(detail_range.get("low")).get("value"))
    high = number(as_dict(detail_range.get("high")).get("value"))
    unit = (string(quantity.get("unit")) or string(quantity.get("code"))
            or string(as_dict(detail_range.get("low")).get("unit"))
            or string(as_dict(detail_range.get("high")).get("unit")))
    comparator = quantity.get("comparator")
    comparator = comparator if comparator in ("<", "<=", ">", ">=") else None
    text = string(target.get("detailString")) or display(target.get("detailCodeableConcept"))
    problem = None
    if measure is not None:
        (value, low, high), unit, problem = _trusted_target(measure, (value, low, high), unit)
    return GoalTarget(
        measure_id=measure.id if measure else None, codings=codings(concept),
        low=low, high=high, value=value, comparator=comparator, unit=unit, text=text,
        due=day(target.get("dueDate")), unit_problem=problem,
    )


def _trusted_target(measure, values: tuple, unit: str | None) -> tuple[tuple, str | None, str | None]:
    """(values in the measure's UK unit, unit, why they cannot be trusted or None), by the trust
    rules results follow (clinical-reference §11.11): a unit that cannot be converted, a value
    outside the measure's possible range (plausible.csv), or a low above its high. A target
    without a unit is read in the measure's own unit only when every value is possible in it
    (HbA1c 7 to 8 with no unit is DCCT %, not mmol/mol). A target that cannot be trusted is never
    used as a personal target (conditions/personal.py)."""
    not_used = "so it is not used as a personal target"
    try:
        values, unit = _in_uk_unit(measure.id, values, unit)
    except units.UnitError:
        if unit is not None:
            return values, unit, (f"The target's unit '{unit}' could not be converted to "
                                  f"{measure.display_unit}, {not_used}.")
        unit = measure.unit  # no unit: kept only when possible in the measure's own unit (below)
    limits = units.plausible_range(measure.id)
    if limits is not None and any(v is not None and not limits[0] <= v <= limits[1] for v in values):
        return values, unit, (f"The target is outside the possible range for {measure.plain_name} "
                              f"({limits[0]:g} to {limits[1]:g} {measure.display_unit}), {not_used}.")
    low, high = values[1], values[2]
    if low is not None and high is not None and low > high:
        return values, unit, f"The target's low is above its high, {not_used}."
    return values, unit, None


def _in_uk_unit(measure_id: str, values: tuple, unit: str | None) -> tuple[tuple, str | None]:
    """Values converted to the measure's UK unit together (all or none); raises UnitError."""
    converted, new_unit = [], unit
    for value in values:
        if value is None:
            converted.append(None)
            continue
        value, new_unit = units.normalise(measure_id, value, unit)
        converted.append(value)
    return tuple(converted), new_unit


def map_flag(resource: dict) -> FlagEntry:
    """A Flag (alert) with its period."""
    start, end = _period(resource.get("period"))
    return FlagEntry(
        **entry_fields(resource, resource.get("code")),
        code=first_code(resource.get("code")),
        status=string(resource.get("status")),
        period_start=start,
        period_end=end,
    )


def map_appointment(resource: dict) -> Appointment:
    """An Appointment, keeping its UK clock time when the start has one."""
    service = resource.get("serviceType")
    service_words = ", ".join(displays(service)) or None
    description = string(resource.get("description"))
    fields = entry_fields(resource)
    fields.update(
        codings=all_codings(service),
        text=description or service_words or display(resource.get("appointmentType")),
    )
    start_at = uk_datetime(resource.get("start"))
    return Appointment(
        **fields,
        start=day(resource.get("start")),
        start_at=start_at,
        end_at=uk_datetime(resource.get("end")) or _end_from_minutes(start_at, resource.get("minutesDuration")),
        status=string(resource.get("status")),
        description=description,
        service_type=service_words,
    )


def _end_from_minutes(start_at, minutes) -> dt.datetime | None:
    """start + minutesDuration when the Appointment gives no end (R4 allows either); None when
    either is missing, the length is not a positive whole number, or the end would pass year 9999."""
    if start_at is None or isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        return None
    try:
        return start_at + dt.timedelta(minutes=minutes)
    except OverflowError:
        return None


def map_consent(resource: dict) -> ConsentEntry:
    """A Consent: who may see what (provision.period) of which data (provision.dataPeriod)."""
    provision = as_dict(resource.get("provision"))
    start, end = _period(provision.get("period"))
    data_start, data_end = _period(provision.get("dataPeriod"))
    actors = [reference_text(actor.get("reference")) for actor in dicts(provision.get("actor"))]
    decided = day(resource.get("dateTime"))
    fields = entry_fields(resource)
    fields.update(
        codings=all_codings(resource.get("category")),
        text=next(iter(displays(resource.get("category"))), None) or display(resource.get("scope")),
        date=decided,
        date_precision="day" if decided else None,
    )
    return ConsentEntry(
        **fields,
        status=string(resource.get("status")),
        scope=first_code(resource.get("scope")),
        category=codes(resource.get("category")),
        provision_type=string(provision.get("type")),
        period_start=start,
        period_end=end,
        data_period_start=data_start,
        data_period_end=data_end,
        actor_references=[actor for actor in actors if actor],
        patient_reference=reference_text(resource.get("patient")),
    )


def map_related_person(resource: dict) -> RelatedPersonInfo:
    """A RelatedPerson: name, relationship and when the relationship holds."""
    relationship = resource.get("relationship")
    start, end = _period(resource.get("period"))
    active = resource.get("active")
    return RelatedPersonInfo(
        id=string(resource.get("id")) or "unknown",
        name=human_name(resource.get("name")),
        relationship_codings=all_codings(relationship),
        relationship=next(iter(displays(relationship)), None),
        period_start=start,
        period_end=end,
        active=active if isinstance(active, bool) else None,
        patient_reference=reference_text(resource.get("patient")),
    )
