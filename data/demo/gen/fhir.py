"""Small pure helpers for FHIR R4 values: code systems, codings, quantities, UK date-times.

Everything here is deterministic: the reference "today" is fixed and no clock is read.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid

TODAY = dt.date(2026, 11, 25)
SEED = 20261125

SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
UK_RELATIONSHIP = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# Namespace for the deterministic uuid5 values used in fullUrl (urn:uuid:...).
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.org/ltc-dashboard/demo")

SECURITY_LABELS = {
    "NOPAT": ("no disclosure to patient, family or caregivers without attending provider's "
              "authorization"),
    "SDV": "sexual assault, abuse, or domestic violence information sensitivity",
    "PSY": "psychiatry disorder information sensitivity",
}


def day(text: str) -> dt.date:
    """Parse an ISO calendar date ("2019-03-04")."""
    return dt.date.fromisoformat(text)


def _last_sunday(year: int, month: int) -> dt.date:
    """The last Sunday of a month (UK clocks change on the last Sunday of March and October)."""
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def uk_offset(when: dt.date) -> str:
    """The UK clock's offset from UTC on a day: "+01:00" in British Summer Time, else "+00:00"."""
    if _last_sunday(when.year, 3) <= when < _last_sunday(when.year, 10):
        return "+01:00"
    return "+00:00"


def at(when: str | dt.date, clock: str = "09:00") -> str:
    """A FHIR dateTime on a UK calendar day at a wall-clock time, with the UK offset."""
    date = day(when) if isinstance(when, str) else when
    return f"{date.isoformat()}T{clock}:00{uk_offset(date)}"


def add_days(when: str | dt.date, days: int) -> dt.date:
    """A day some number of days after (or before) another."""
    date = day(when) if isinstance(when, str) else when
    return date + dt.timedelta(days=days)


def weekday(when: dt.date) -> dt.date:
    """The same day, or the Monday after when it falls at a weekend (GP surgeries are shut)."""
    return when + dt.timedelta(days=(7 - when.weekday()) % 7 if when.weekday() >= 5 else 0)


def full_url(resource_type: str, resource_id: str) -> str:
    """The stable urn:uuid fullUrl for a resource (uuid5 of "Type/id")."""
    return f"urn:uuid:{uuid.uuid5(DEMO_NAMESPACE, f'{resource_type}/{resource_id}')}"


def ref(resource_type: str, resource_id: str, display: str | None = None) -> dict:
    """A literal reference "Type/id", with a display when one helps a reader."""
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> dict:
    """One Coding."""
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(text: str, *codings: dict) -> dict:
    """A CodeableConcept: the codings (if any) and the text a GP system would show."""
    out = {}
    if codings:
        out["coding"] = list(codings)
    out["text"] = text
    return out


def snomed(code: str | None, display: str, text: str | None = None) -> dict:
    """A SNOMED CT CodeableConcept; with code None it is text only (no verified code known)."""
    if code is None:
        return concept(text or display)
    return concept(text or display, coding(SCT, code, display))


def quantity(value: float | int, unit: str, ucum: str | None = None) -> dict:
    """A UCUM Quantity; `unit` is the human-readable unit, `ucum` the code when it differs."""
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum or unit}


def obs_category(code: str) -> list[dict]:
    """Observation.category for laboratory, vital-signs, survey, social-history or exam."""
    displays = {
        "laboratory": "Laboratory",
        "vital-signs": "Vital Signs",
        "survey": "Survey",
        "social-history": "Social History",
        "exam": "Exam",
    }
    return [{"coding": [coding(OBS_CATEGORY, code, displays[code])]}]


def security(*codes: str) -> list[dict]:
    """meta.security labels from v3-ActCode (NOPAT, SDV, PSY)."""
    return [coding(ACT_CODE, code, SECURITY_LABELS[code]) for code in codes]


def b64(text: str) -> str:
    """Base64 of UTF-8 text, as FHIR attachment and Binary data carry it."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def sha1_b64(text: str) -> str:
    """The attachment hash FHIR asks for: base64 of the SHA-1 of the bytes."""
    return base64.b64encode(hashlib.sha1(text.encode("utf-8")).digest()).decode("ascii")


def nhs_check_digit(first_nine: str) -> int | None:
    """The NHS number modulus-11 check digit for nine digits (None when no valid number exists)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def spaced_nhs_number(number: str) -> str:
    """An NHS number as people read it: "999 000 0018"."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def nhs_numbers_in_test_range(count: int) -> list[str]:
    """The first `count` valid NHS numbers in the 999 test range (999 000 001 x upwards)."""
    out = []
    stem = 999000001
    while len(out) < count:
        check = nhs_check_digit(str(stem))
        if check is not None:
            out.append(f"{stem}{check}")
        stem += 1
    return out
