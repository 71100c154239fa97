"""FHIR dates with their precision, and the clinical date of a resource.

FHIR allows partial dates ("2019", "2019-03") and date-times with a zone offset. A partial date
stands for a span: "2019" is any moment of 2019. Access rules compare the *start* of that span with
an access-start date, so an entry that may predate the start is treated as predating it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"
)

# The UK's clock, for turning a date-time into the calendar day a person in England would name.
try:
    from zoneinfo import ZoneInfo

    UK = ZoneInfo("Europe/London")
except Exception:  # pragma: no cover - tzdata missing: fall back to UTC rather than crash
    UK = dt.timezone.utc


class DateError(ValueError):
    """A string is not a possible FHIR date, dateTime or instant."""


@dataclass(frozen=True, order=True)
class FhirDate:
    """A FHIR date or dateTime reduced to the UK calendar day it starts on, with its precision."""

    day: dt.date
    precision: str  # "year", "month", "day" or "time"

    @property
    def last_day(self) -> dt.date:
        """The last calendar day the value could stand for."""
        if self.precision == "year":
            return dt.date(self.day.year, 12, 31)
        if self.precision == "month":
            nxt = dt.date(self.day.year + self.day.month // 12, self.day.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return self.day

    def iso(self) -> str:
        """The value as ISO text at its own precision ("2019", "2019-03", "2019-03-04")."""
        if self.precision == "year":
            return f"{self.day.year:04d}"
        if self.precision == "month":
            return f"{self.day.year:04d}-{self.day.month:02d}"
        return self.day.isoformat()


def parse(value: str) -> FhirDate:
    """Parse a FHIR date/dateTime/instant; raise DateError for anything impossible."""
    if not isinstance(value, str):
        raise DateError(f"not a date: {value!r:.40}")
    # A record repeats its date strings (a request's authoredOn is read as its date and its issue);
    # the answer is immutable, so short plain strings are remembered. Failures are not cached.
    if type(value) is str and len(value) <= _CACHED_LENGTH:
        return _parse_cached(value)
    return _parse(value)


_CACHED_LENGTH = 40  # longer than any date a lab sends with its fraction of a second


def _parse(value: str) -> FhirDate:
    m = _DATE.match(value) if len(value) <= 11 else None  # a date, with the newline $ allows
    try:
        if m:
            year, month, day = m.group(1), m.group(2), m.group(3)
            if day:
                return FhirDate(dt.date(int(year), int(month), int(day)), "day")
            if month:
                return FhirDate(dt.date(int(year), int(month), 1), "month")
            return FhirDate(dt.date(int(year), 1, 1), "year")
        m = _DATETIME.match(value)
        if m:
            y, mo, d, h, mi, s, zone = m.groups()
            # A leap second (:60), which FHIR allows and the validator accepts, is read as :59.
            moment = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), min(int(s or 0), 59))
            if zone:
                offset = dt.timezone.utc if zone == "Z" else _offset(zone)
                moment = moment.replace(tzinfo=offset).astimezone(UK)
            return FhirDate(moment.date(), "time")
    except (ValueError, OverflowError) as exc:  # OverflowError: year 1 or 9999 moved by its zone
        raise DateError(f"impossible date '{value:.40}'") from exc
    raise DateError(f"not a FHIR date '{value:.40}'")


_parse_cached = lru_cache(maxsize=1 << 14)(_parse)


def parse_or_none(value) -> FhirDate | None:
    """Parse a FHIR date, or None when it is missing or impossible."""
    if not value:
        return None
    try:
        return parse(value)
    except DateError:
        return None


@lru_cache(maxsize=256)
def _offset(zone: str) -> dt.timezone:
    sign = 1 if zone[0] == "+" else -1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


# Where each resource type keeps the date it happened (not when it was filed or last updated).
_CLINICAL_DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    "Condition": ("onsetDateTime", "onsetPeriod.start", "recordedDate", "abatementDateTime"),
    "MedicationRequest": ("authoredOn", "dispenseRequest.validityPeriod.start"),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "DocumentReference": ("context.period.start", "date"),
    "CarePlan": ("period.start", "created"),
    "Goal": ("startDate", "statusDate", "target.0.dueDate"),
    "Flag": ("period.start",),
    "Encounter": ("period.start",),
    "Immunization": ("occurrenceDateTime", "recorded"),
    "AllergyIntolerance": ("onsetDateTime", "recordedDate"),
    "Appointment": ("start", "created"),
    "ClinicalImpression": ("effectiveDateTime", "effectivePeriod.start", "date"),
    "QuestionnaireResponse": ("authored",),
    "Communication": ("sent", "received"),
    "ServiceRequest": ("occurrenceDateTime", "authoredOn"),
    "Claim": ("created",),
    "ExplanationOfBenefit": ("created",),
    "ImagingStudy": ("started",),
}

# Types that describe people, places and permissions rather than something that happened.
UNDATED_TYPES = frozenset(
    {"Patient", "RelatedPerson", "Consent", "Organization", "Practitioner", "PractitionerRole",
     "Location", "Medication", "Binary", "Device", "Group", "HealthcareService"}
)


def _lookup(resource: dict, path: str):
    node = resource
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def clinical_date(resource: dict) -> FhirDate | None:
    """The date an entry happened, from the first of its type's date fields that holds one.

    Types this module does not know fall back to `meta.lastUpdated`; undated types return None.
    """
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or rtype in UNDATED_TYPES:
        return None
    fields = _CLINICAL_DATE_FIELDS.get(rtype, ())
    for path in fields:
        found = parse_or_none(_lookup(resource, path))
        if found:
            return found
    if fields:
        return None
    meta = resource.get("meta")
    return parse_or_none(meta.get("lastUpdated")) if isinstance(meta, dict) else None


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def human(day: dt.date | None, precision: str | None = "day") -> str:
    """A date as people in the UK write it: "5 March 2026" ("March 2019", "2019" when partial)."""
    if day is None:
        return "no date"
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
