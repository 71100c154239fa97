"""Where R4 puts the day each type's entry happened, read for the leak oracle (tests/leak_oracle.py)
without calling the app's code: written from the R4 resource pages for the leak property over real
shapes. Split from tests/leak_oracle.py to keep each under 400 lines."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
# Where R4 puts the date each type's entry happened (R4 resource pages). Several present: the
# earliest counts (a day before the boundary under any reading hides). None: hidden by a boundary.
CLINICAL_DATES: dict[str, tuple[str, ...]] = {
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    "Condition": ("onsetDateTime", "onsetPeriod.start", "recordedDate"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"),
    "MedicationDispense": ("whenHandedOver", "whenPrepared"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod.start"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "DocumentReference": ("date", "context.period.start"),
    "CarePlan": ("period.start", "created"),
    "Goal": ("startDate", "statusDate"),
    "Flag": ("period.start",),
    "Encounter": ("period.start",),
    "Immunization": ("occurrenceDateTime", "recorded"),
    "AllergyIntolerance": ("onsetDateTime", "recordedDate"),
    "Appointment": ("start", "created"),
    "ClinicalImpression": ("effectiveDateTime", "effectivePeriod.start", "date"),
    "QuestionnaireResponse": ("authored",),
    "Communication": ("sent", "received"),
    "ServiceRequest": ("occurrenceDateTime", "authoredOn"),
    "FamilyMemberHistory": ("date",),
    "RiskAssessment": ("occurrenceDateTime", "occurrencePeriod.start"),
    "Composition": ("date",),
    "CareTeam": ("period.start",),
    "EpisodeOfCare": ("period.start",),
    "DeviceRequest": ("occurrenceDateTime", "authoredOn"),
    "NutritionOrder": ("dateTime",),
    "Specimen": ("collection.collectedDateTime", "receivedTime"),
    "List": ("date",),
    "DetectedIssue": ("identifiedDateTime",),
    "ImagingStudy": ("started",),
    "Media": ("createdDateTime",),
    "Claim": ("created",),
    "ExplanationOfBenefit": ("created",),
    "AdverseEvent": ("date", "detected", "recordedDate"),
    "Basic": ("created",),
    "ChargeItem": ("occurrenceDateTime", "occurrencePeriod.start", "enteredDate"),
    "ClaimResponse": ("created",),
    "CommunicationRequest": ("occurrenceDateTime", "occurrencePeriod.start", "authoredOn"),
    "Coverage": ("period.start",),
    "CoverageEligibilityRequest": ("servicedDate", "servicedPeriod.start", "created"),
    "CoverageEligibilityResponse": ("servicedDate", "servicedPeriod.start", "created"),
    "DeviceUseStatement": ("timingDateTime", "timingPeriod.start", "recordedOn"),
    "DocumentManifest": ("created",),
    "GuidanceResponse": ("occurrenceDateTime",),
    "ImmunizationEvaluation": ("date",),
    "ImmunizationRecommendation": ("date",),
    "Invoice": ("date",),
    "MeasureReport": ("date", "period.start"),
    "RequestGroup": ("authoredOn",),
    "SupplyDelivery": ("occurrenceDateTime", "occurrencePeriod.start"),
    "VisionPrescription": ("dateWritten", "created"),
}

def _lookup(resource: dict, path: str):
    node = resource
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def days_of(value) -> list[dt.date]:
    """The calendar day a FHIR date or dateTime starts on, as a list (empty when unreadable)."""
    if not isinstance(value, str):
        return []
    found = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not found:
        return []
    year, month, day = int(found[1]), int(found[2] or 1), int(found[3] or 1)
    stamp = re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$", value)
    if stamp:  # an instant: the UK calendar day it falls on (the day a person in England names)
        return [dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UK).date()]
    return [dt.date(year, month, day)]  # a partial date counts from its first day


def clinical_days(resource: dict) -> list[dt.date]:
    """The days an entry may have happened on, from R4's type-specific date elements only."""
    return [d for path in CLINICAL_DATES.get(resource.get("resourceType"), ())
            for d in days_of(_lookup(resource, path))]
