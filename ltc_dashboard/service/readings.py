"""Home readings through the service (issue 20): who may add them, who sees them, and saving them.

Who may add (the gate's one rule for acting, ltc_dashboard/gate/acting.py): the patient; a carer only while a
current Consent surely permits her consent-action `correct` for a new Observation and none might
deny it, at any depth; the clinic shared screen never.

Who sees them is the gate's rule for all of the person's own content (ltc_dashboard/gate/own_content.py):
nobody whose view of the record the gate refuses; the patient every reading, whoever entered it; a
carer only the readings that carer entered; the clinic shared screen every reading unless the
person chose to hide them there (`READINGS_HIDDEN_PREFERENCE`).
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.own_content import screen_choices
from ltc_dashboard.gate.own_content import READINGS, own_rows
from ltc_dashboard.intake.reading_csv import not_kept
from ltc_dashboard.preference_keys import SHARED_SCREEN_READINGS as READINGS_HIDDEN_PREFERENCE
from ltc_dashboard.record.readings import Reading, check

__all__ = ["READINGS_HIDDEN_PREFERENCE", "ReadingRefused", "ReadingsServiceMixin", "may_add_readings",
           "visible_readings"]


class ReadingRefused(ValueError):
    """This viewer may not add, change or remove that reading."""


def may_add_readings(visible) -> bool:
    """Whether the viewer of this visible record may add home readings: the gate's rule for acting
    (ltc_dashboard/gate/acting.py), for a new Observation today."""
    return visible.may_act(rtype="Observation")


def visible_readings(visible, rows: list[dict], preferences: dict | None) -> list[Reading]:
    """The stored reading rows this viewer may see, as `Reading`s, oldest first."""
    return [reading for r in own_rows(visible, READINGS, rows, screen_choices(preferences)) if (reading := _readable(r))]


def _readable(row: dict) -> Reading | None:
    """A stored row as a Reading, or None for one that cannot be read (changed outside the app):
    it is left out rather than stopping the record from opening."""
    try:
        return Reading.from_row(row)
    except (ValueError, TypeError, KeyError):  # pydantic's ValidationError is a ValueError
        return None


class ReadingsServiceMixin:
    """Service methods for home readings (mixed into service.Service)."""

    def readings(self, viewer, today: dt.date) -> list[Reading]:
        """The home readings this viewer may see, oldest first."""
        visible = self.open(viewer, today).visible
        pid = viewer.patient_id
        return visible_readings(visible, self._store.readings(pid), self.preferences(pid))

    def may_add_readings(self, viewer, today: dt.date) -> bool:
        """Whether this viewer may add, change and remove home readings."""
        return may_add_readings(self.open(viewer, today).visible)

    def author_of(self, viewer) -> str:
        """How a reading this viewer enters is marked as theirs ("patient", "proxy:RelatedPerson/ID")."""
        return str(viewer) if viewer.kind == "proxy" else viewer.kind

    def _refuse_unless_allowed(self, viewer, today: dt.date) -> None:
        if not self.may_add_readings(viewer, today):
            raise ReadingRefused("This view cannot add or change home readings."
                                 + (" A carer can when the consent on the record lets them add to it."
                                    if viewer.kind == "proxy" else ""))

    def born(self, viewer, today: dt.date) -> dt.date | None:
        """The earliest day the person can have been born (their record's birth date, a partial one
        read as its first day), for the check: no reading before it. Only used to refuse."""
        patient = self.open(viewer, today).record.patient
        return patient.birth_date if patient else None

    def check_reading(self, viewer, today: dt.date, kind: str, value, when, **fields) -> Reading:
        """A typed reading checked for this viewer (ReadingInvalid names every problem)."""
        return check(viewer.patient_id, kind, value, when, today, self.author_of(viewer),
                     born=self.born(viewer, today), **fields)

    def add_reading(self, viewer, today: dt.date, kind: str, value, when, **fields) -> Reading:
        """Check and keep one reading; refused for a viewer who may not add."""
        self._refuse_unless_allowed(viewer, today)
        reading = self.check_reading(viewer, today, kind, value, when, **fields)
        return reading.model_copy(update={"id": self._store.add_reading(viewer.patient_id, reading.row())})

    def save_readings(self, viewer, today: dt.date, readings: list[Reading]) -> list[int]:
        """Keep already checked readings (an accepted import) in one transaction."""
        self._refuse_unless_allowed(viewer, today)
        author = self.author_of(viewer)
        if any(r.patient_id != viewer.patient_id or r.author != author for r in readings):
            raise ReadingRefused("Those readings were checked for someone else.")
        return self._store.add_readings(viewer.patient_id, [r.row() for r in readings])

    def not_yet_kept(self, viewer, today: dt.date, readings: list[Reading]) -> tuple[list[Reading], int]:
        """(the readings of a file not already kept, how many of them are): checked against every
        reading of the person, whoever entered it, so the person's file imported again by their
        carer adds nothing. Only a viewer who may add asks, and only the count comes back: a carer
        learns that N rows are kept already, never the person's readings."""
        self._refuse_unless_allowed(viewer, today)
        kept = [r for row in self._store.readings(viewer.patient_id) if (r := _readable(row))]
        new = not_kept(readings, kept)
        return new, len(readings) - len(new)

    def _own_row(self, viewer, today: dt.date, reading_id: int) -> Reading:
        self._refuse_unless_allowed(viewer, today)
        found = {r.id: r for r in self.readings(viewer, today)}.get(reading_id)
        if found is None:
            raise ReadingRefused("That reading is not one this view can change.")
        return found

    def update_reading(self, viewer, today: dt.date, reading_id: int, kind: str, value, when, **fields) -> Reading:
        """Check and keep new values for one of the readings this viewer sees."""
        old = self._own_row(viewer, today, reading_id)
        reading = check(viewer.patient_id, kind, value, when, today, old.author, reading_id=reading_id,
                        born=self.born(viewer, today), uid=old.uid, **fields)
        self._store.update_reading(viewer.patient_id, reading_id, reading.row())
        return reading

    def delete_reading(self, viewer, today: dt.date, reading_id: int) -> None:
        """Remove one of the readings this viewer sees."""
        self._own_row(viewer, today, reading_id)
        self._store.delete_reading(viewer.patient_id, reading_id)
