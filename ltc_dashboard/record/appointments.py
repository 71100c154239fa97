"""Appointments as the person sees them (issue 21): upcoming and recent, with whom, where, what
for and their status in plain words, and the next one in a sentence.

Built from what the access gate passed: the mapped `Appointment`s for times and status, and the
visible raw Appointments for their participants. A participant is named only when the gate lets
this viewer see the resource it points at (a Practitioner, Location...); one the gate cannot
resolve, or withholds, is left unnamed rather than named from the Appointment's own display text,
which may name a clinician the viewer may not see. A participant given by display text alone (no
reference) is named by it, and one given as a contained resource ("#pr") by that resource's name:
both are part of the Appointment the gate passed (R4 dom-5: a contained resource carries no
security label of its own).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from ltc_dashboard import fhir_read
from ltc_dashboard.record.dates import UK
from ltc_dashboard.record.models import Appointment, PatientRecord
from ltc_dashboard.record.references import normal_reference

# Appointment.status (R4 value set appointmentstatus) in plain words; entered-in-error is never shown.
STATUS_WORDS = {
    "booked": "booked", "arrived": "arrived", "checked-in": "checked in", "fulfilled": "attended",
    "cancelled": "cancelled", "noshow": "missed", "proposed": "proposed, not yet booked",
    "pending": "waiting to be confirmed", "waitlist": "on the waiting list",
}
NEVER_SHOWN = frozenset({"entered-in-error"})
# The statuses of an appointment that is going ahead: the "next appointment" is one of these.
GOING_AHEAD = frozenset({"booked", "arrived", "checked-in"})
WHERE_TYPES = frozenset({"Location", "HealthcareService"})
NOT_NAMED_TYPES = frozenset({"Patient", "RelatedPerson", "Group"})  # the person and their people


class AppointmentLine(BaseModel):
    """One appointment as the summary JSON lists it (`with` is a Python word, hence `with_`)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    id: str
    start: dt.datetime | dt.date | None = None  # a datetime on the UK clock, or a day when no time is given
    end: dt.datetime | None = None
    status: str | None = None
    description: str | None = None
    with_: str | None = Field(default=None, alias="with")
    where: str | None = None

    @property
    def day(self) -> dt.date | None:
        """The UK calendar day it is on."""
        return self.start.date() if isinstance(self.start, dt.datetime) else self.start


def status_words(status: str | None) -> str:
    """The status in plain words ("missed" for noshow); an unknown one says so."""
    return STATUS_WORDS.get(status or "", "status not recorded" if not status else "status not known")


def appointment_lines(record: PatientRecord, raw: list[dict], visible) -> list[AppointmentLine]:
    """The appointments, upcoming first (soonest first), then past ones (most recent first), then
    undated ones. `raw` are the visible Appointment resources; `visible` the gate's VisibleRecord,
    whose `get(key)` names participants and whose `today` splits upcoming from past."""
    by_id = {r.get("id"): r for r in raw if isinstance(r, dict)}
    lines = [_line(a, by_id.get(a.id) or {}, visible) for a in record.appointments if a.status not in NEVER_SHOWN]
    return ordered(lines, visible.today)


def ordered(lines: list[AppointmentLine], today: dt.date) -> list[AppointmentLine]:
    """Upcoming (on or after `today`) soonest first, then past most recent first, then undated."""
    def moment(line: AppointmentLine) -> dt.datetime:
        start = line.start
        return start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time(), UK)

    dated = [l for l in lines if l.day is not None]
    upcoming = sorted((l for l in dated if l.day >= today), key=moment)
    past = sorted((l for l in dated if l.day < today), key=moment, reverse=True)
    return upcoming + past + [l for l in lines if l.day is None]


def upcoming(lines: list[AppointmentLine], today: dt.date) -> list[AppointmentLine]:
    """The lines on or after `today`, soonest first."""
    return [l for l in lines if l.day is not None and l.day >= today]


def recent(lines: list[AppointmentLine], today: dt.date) -> list[AppointmentLine]:
    """The lines before `today` (most recent first), and undated ones last."""
    return [l for l in lines if l.day is None or l.day < today]


def next_appointment(lines: list[AppointmentLine], today: dt.date) -> AppointmentLine | None:
    """The soonest appointment on or after `today` that is going ahead (booked, arrived)."""
    return next((l for l in upcoming(lines, today) if l.status in GOING_AHEAD), None)


def when_words(line: AppointmentLine) -> str:
    """"Tuesday 15 December 2026 at 10:30" on the UK clock; the day alone when no time is given."""
    start = line.start
    if start is None:
        return "date not recorded"
    day = start.date() if isinstance(start, dt.datetime) else start
    words = f"{day:%A} {day.day} {day:%B %Y}"
    return f"{words} at {start.astimezone(UK):%H:%M}" if isinstance(start, dt.datetime) else words


def next_sentence(lines: list[AppointmentLine], today: dt.date, viewer_kind: str) -> str | None:
    """"Your next appointment: Tuesday 15 December 2026 at 10:30, with Dr A at B." ("Their" for a
    carer), or None when none is going ahead."""
    line = next_appointment(lines, today)
    if line is None:
        return None
    whose = "Their" if viewer_kind == "proxy" else "Your"
    words = f"{whose} next appointment: {when_words(line)}"
    if line.with_:
        words += f", with {line.with_}"
    if line.where:
        words += f" at {line.where}"
    return words + "."


def _line(appointment: Appointment, raw: dict, visible) -> AppointmentLine:
    people, places = _participants(raw, visible)
    return AppointmentLine(
        id=appointment.id, start=appointment.start_at or appointment.start, end=appointment.end_at,
        status=appointment.status, description=appointment.text,
        with_=", ".join(people) or None, where=", ".join(places) or None,
    )


def _participants(raw: dict, visible) -> tuple[list[str], list[str]]:
    """(names of who it is with, names of where), each only as the gate lets this viewer see them."""
    people: list[str] = []
    places: list[str] = []
    for participant in fhir_read.objects(raw.get("participant")):
        actor = participant.get("actor")
        if not isinstance(actor, dict):
            continue
        reference = fhir_read.reference(actor)
        if reference is None:  # named by display text alone, part of the Appointment the gate passed
            name, rtype = fhir_read.text(actor.get("display")), fhir_read.text(actor.get("type"))
        elif reference.startswith("#"):  # contained in this Appointment: part of what the gate passed
            found = _contained(raw, reference[1:])
            rtype = fhir_read.text(found.get("resourceType")) if found else None
            name = _name_of(found) if found else None
        else:
            key = normal_reference(reference)
            rtype = key.partition("/")[0] if key else None
            found = _visible(visible, key)
            name = _name_of(found) if found else None  # unresolvable or withheld: left unnamed
        if not name or not name.strip() or rtype in NOT_NAMED_TYPES:
            continue
        target = places if rtype in WHERE_TYPES else people
        if name.strip() not in target:
            target.append(name.strip())
    return people, places


def _contained(raw: dict, local_id: str) -> dict | None:
    """The resource contained in `raw` under this local id, or None."""
    return next((r for r in fhir_read.objects(raw.get("contained")) if r.get("id") == local_id), None)


def _visible(visible, key: str | None) -> dict | None:
    """The resource `key` names when the gate lets this viewer see it, else None (never raises)."""
    if not key or "/" not in key or key.startswith("*/") or visible is None:
        return None
    try:
        found = visible.get(key)
    except (KeyError, ValueError, TypeError):
        return None
    return found if isinstance(found, dict) else None


def _name_of(resource: dict) -> str | None:
    """A Practitioner's or Location's name as one line."""
    name = resource.get("name")
    if isinstance(name, str):
        return name
    return fhir_read.person_name(resource)
