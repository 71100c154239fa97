"""FHIR dates with their precision, and the clinical date of a resource.

FHIR allows partial dates ("2019", "2019-03") and date-times with a zone offset. A partial date
stands for a span: "2019" is any moment of 2019. Access rules compare the *start* of that span with
an access-start date, so an entry that may predate the start is treated as predating it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ltc_dashboard.record.kept_lookups import holds_record_words
from ltc_dashboard.record.lookup_types import REFERENCED_ONLY

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$"
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
    # A time: whether it is the very start of its UK day (00:00:00). A period that starts later
    # in the day covers that day only in part (ltc_dashboard/gate/consent_rules.py `bounds`).
    midnight: bool = field(default=True, compare=False)

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
            y, mo, d, h, mi, s, fraction, zone = m.groups()
            # A leap second (:60), which FHIR allows and the validator accepts, is read as :59.
            moment = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), min(int(s or 0), 59))
            if zone:
                offset = dt.timezone.utc if zone == "Z" else _offset(zone)
                moment = moment.replace(tzinfo=offset).astimezone(UK)
            midnight = moment.time() == dt.time(0) and not (fraction and fraction.strip("0"))
            return FhirDate(moment.date(), "time", midnight)
    except (ValueError, OverflowError) as exc:  # OverflowError: year 1 or 9999 moved by its zone
        raise DateError(f"impossible date '{value:.40}'") from exc
    raise DateError(f"not a FHIR date '{value:.40}'")


_parse_cached = holds_record_words(lru_cache(maxsize=1 << 14)(_parse))  # a birth date is the person's too


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


# Where each resource type keeps the date it happened (not when it was filed or last updated),
# for every R4 type the store files under a patient (fhir_read.patient_of: `subject`, `patient` or
# `beneficiary`), from each type's R4 page; the first that holds a readable date counts. A choice
# element ([x]) is listed in each form that holds a date; its other forms (an age, a range, a
# string such as "last summer") cannot be placed, and the next field is tried.
_CLINICAL_DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "effectiveTiming.event.0",
                    "effectiveTiming.repeat.boundsPeriod.start", "issued"),
    "Condition": ("onsetDateTime", "onsetPeriod.start", "recordedDate", "abatementDateTime"),
    "MedicationRequest": ("authoredOn", "dispenseRequest.validityPeriod.start"),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"),
    "MedicationDispense": ("whenHandedOver", "whenPrepared"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod.start"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "DocumentReference": ("context.period.start", "date"),
    "DocumentManifest": ("created",),
    "Composition": ("date",),
    "CarePlan": ("period.start", "created"),
    "CareTeam": ("period.start",),
    "Goal": ("startDate", "statusDate", "target.0.dueDate"),
    "Flag": ("period.start",),
    "Encounter": ("period.start",),
    "EpisodeOfCare": ("period.start",),
    "Immunization": ("occurrenceDateTime", "recorded"),
    "ImmunizationEvaluation": ("date",),
    "ImmunizationRecommendation": ("date",),
    "AllergyIntolerance": ("onsetDateTime", "onsetPeriod.start", "recordedDate", "lastOccurrence"),
    "AdverseEvent": ("date", "detected", "recordedDate"),
    "FamilyMemberHistory": ("date",),
    "RiskAssessment": ("occurrenceDateTime", "occurrencePeriod.start"),
    "DetectedIssue": ("identifiedDateTime", "identifiedPeriod.start"),
    "GuidanceResponse": ("occurrenceDateTime",),
    "Appointment": ("start", "created"),
    "ClinicalImpression": ("effectiveDateTime", "effectivePeriod.start", "date"),
    "QuestionnaireResponse": ("authored",),
    "Communication": ("sent", "received"),
    "CommunicationRequest": ("occurrenceDateTime", "occurrencePeriod.start", "authoredOn"),
    "ServiceRequest": ("occurrenceDateTime", "occurrencePeriod.start", "occurrenceTiming.event.0", "authoredOn"),
    "DeviceRequest": ("occurrenceDateTime", "occurrencePeriod.start", "occurrenceTiming.event.0", "authoredOn"),
    "DeviceUseStatement": ("timingDateTime", "timingPeriod.start", "timingTiming.event.0", "recordedOn"),
    "NutritionOrder": ("dateTime",),
    "RequestGroup": ("authoredOn",),
    "VisionPrescription": ("dateWritten", "created"),
    "Specimen": ("collection.collectedDateTime", "collection.collectedPeriod.start", "receivedTime"),
    "ImagingStudy": ("started",),
    "Media": ("createdDateTime", "createdPeriod.start", "issued"),
    "List": ("date",),
    "MeasureReport": ("date", "period.start"),
    "Basic": ("created",),
    "ChargeItem": ("occurrenceDateTime", "occurrencePeriod.start", "occurrenceTiming.event.0", "enteredDate"),
    "SupplyDelivery": ("occurrenceDateTime", "occurrencePeriod.start", "occurrenceTiming.event.0"),
    "Invoice": ("date",),
    "Consent": ("dateTime",),
    "Coverage": ("period.start",),
    "CoverageEligibilityRequest": ("servicedDate", "servicedPeriod.start", "created"),
    "CoverageEligibilityResponse": ("servicedDate", "servicedPeriod.start", "created"),
    "Claim": ("billablePeriod.start", "created"),
    "ClaimResponse": ("created",),
    "ExplanationOfBenefit": ("billablePeriod.start", "created"),
}

# Types shown whatever their date, because they say who and what rather than what happened: the
# person, their carers, a letter's Binary (shown only through a visible letter, which is dated), and the shared
# resources no patient's record owns (medicines, clinicians, organisations, places: shown only
# through a visible entry that points at them). Every other type, a Device or a BodyStructure
# included, is dated by the table above or not at all, and an undated one is withheld behind any
# date boundary (ltc_dashboard/gate/access.py). A Consent is dated by when it was decided (`dateTime`): an
# advance decision or a consent to treatment is part of the person's care, and one undated is
# withheld behind a date boundary; what Consents permit is read from every Consent whatever its
# date (ltc_dashboard/gate/consent.py, from the snapshot's permissions).
UNDATED_TYPES = REFERENCED_ONLY | {"Patient", "RelatedPerson"}


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
    """The date an entry happened, from the first of its type's date fields that holds one; None
    when none does, for a type this module does not know, and for undated types. Never
    `meta.lastUpdated`: that says when a server last wrote the resource, not when it happened."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or rtype in UNDATED_TYPES:
        return None
    for path in _CLINICAL_DATE_FIELDS.get(rtype, ()):
        value = _lookup(resource, path)
        found = parse_or_none(value) if isinstance(value, str) else None
        if found:
            return found
    return None


def earliest_clinical_date(resource: dict) -> FhirDate | None:
    """The earliest of all the dates an entry's type gives it (an authored date and a performed
    one, a report's date and its period): what the gate compares with a date boundary, so an
    entry any of whose dates falls before the start is outside it (fail closed). Pages show
    `clinical_date`."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or rtype in UNDATED_TYPES:
        return None
    found = [parse_or_none(value) for path in _CLINICAL_DATE_FIELDS.get(rtype, ())
             if isinstance(value := _lookup(resource, path), str)]
    return min((f for f in found if f), default=None, key=lambda f: f.day)


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


def uk_today() -> dt.date:
    """Today's date in the UK, or the frozen date in LTC_TODAY: the one rule (settings.today says
    a bad LTC_TODAY in its own words; issue 19). Here so that what runs inside an import (the
    restore of a person's own readings) reads the same day without importing settings, which
    imports the importer. Raises ValueError for an LTC_TODAY that is not a date."""
    frozen = os.environ.get("LTC_TODAY")
    if frozen:
        return dt.date.fromisoformat(frozen)
    return dt.datetime.now(UK).date()
