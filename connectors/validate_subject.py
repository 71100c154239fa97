"""Whose record an imported resource belongs to, as the importer checks it (connectors/validate.py):
a patient reference must name a stored Patient, read by the one owner of "whose resource is this"
(fhir_read.patient_id_in, PATIENT_KEYS; issue 19), and a clinical type must name one. Split from
connectors/validate.py to keep it under 400 lines. The reason given names what kind of reference
it is, never its text (which may hold an NHS number)."""

from __future__ import annotations

import re

from ltc_dashboard.fhir_read import PATIENT_KEYS, patient_id_in

# Clinical types that must say whose record they belong to, and the element that says it.
_SUBJECT_KEYS = {
    "Observation": "subject",
    "Condition": "subject",
    "MedicationRequest": "subject",
    "MedicationStatement": "subject",
    "Procedure": "subject",
    "DiagnosticReport": "subject",
    "CarePlan": "subject",
    "Goal": "subject",
    "Flag": "subject",
    "DocumentReference": "subject",
    "Encounter": "subject",
    "ClinicalImpression": "subject",
    "QuestionnaireResponse": "subject",
    "Immunization": "patient",
    "AllergyIntolerance": "patient",
    "Consent": "patient",
    "RelatedPerson": "patient",
}


def _has_reference(value: object) -> bool:
    """True if `value` is a Reference that points somewhere (a reference or an identifier)."""
    if not isinstance(value, dict):
        return False
    reference = value.get("reference")
    return (isinstance(reference, str) and reference != "") or isinstance(value.get("identifier"), dict)


def _has_patient_participant(resource: dict) -> bool:
    participants = resource.get("participant")
    if not isinstance(participants, list):
        return False
    for participant in participants:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        reference = actor.get("reference")
        if patient_id_in(reference):
            return True
        if actor.get("type") == "Patient" and _has_reference(actor):
            return True
    return False


_REFERENCE_TYPE = re.compile(r"(?:^|/)([A-Za-z]{1,64})/[A-Za-z0-9\-.]{1,64}(?:/_history/[^/]+)?$")


def _unresolved_patient(resource: dict) -> str | None:
    """A patient reference (subject, patient or beneficiary) that names no stored Patient: a
    `urn:` id no entry of its file resolved, a conditional reference (`Patient?identifier=`), an
    identifier with no reference, a reference inside the resource (`#p`), or another type (`Group`).
    The resource cannot be tied to a patient, so it is refused, never stored without one. The
    reason names what kind of reference it is, never its text (which may hold an NHS number)."""
    for key in PATIENT_KEYS:  # where a resource names its patient (fhir_read owns the answer)
        value = resource.get(key)
        if not isinstance(value, dict):
            continue
        reference = value.get("reference")
        if reference is None and "identifier" not in value:
            continue  # nothing named (a missing subject, reported below for the types that need one)
        kind = _unresolved_kind(reference)
        if kind is not None:
            return f"subject cannot be resolved to a patient ({key} is {kind})"
    return None


def _unresolved_participant(resource: dict) -> str | None:
    """A Patient participant of an Appointment that names no stored Patient (an NHS number alone,
    a `urn:` or conditional reference...): refused as an Observation's subject is (attack 21a),
    never stored under no patient, unlisted and uncounted. A participant counts as a Patient one
    when its `type` says Patient or its reference text names a Patient."""
    for participant in resource.get("participant") if isinstance(resource.get("participant"), list) else ():
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        reference = actor.get("reference")
        says_patient = actor.get("type") == "Patient" or (isinstance(reference, str) and "Patient" in reference)
        if says_patient and (reference is not None or "identifier" in actor):
            kind = _unresolved_kind(reference)
            if kind is not None:
                return f"subject cannot be resolved to a patient (a Patient participant is {kind})"
    return None


def _unresolved_kind(reference: object) -> str | None:
    """What kind of reference names no Patient that can be stored, or None for a Patient one."""
    if not isinstance(reference, str):
        return "an identifier with no reference" if reference is None else None
    if patient_id_in(reference):
        return None
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return "a urn: reference found nowhere in the file"
    if "?" in reference:
        return "a conditional reference, which only a server can resolve"
    if reference.startswith("#"):
        return "a resource contained in this one"
    named = _REFERENCE_TYPE.search(reference)
    if named is not None:
        return f"a {named.group(1)}, not a Patient"
    return "not a reference to a Patient"


def subject_problem(resource_type: str, resource: dict) -> str | None:
    """Why a resource cannot be tied to a stored Patient (its reference names none, or a type that
    needs one has none), or None."""
    unresolved = _unresolved_patient(resource)
    if unresolved is not None:
        return unresolved
    if resource_type == "Appointment":
        unnamed = _unresolved_participant(resource)
        if unnamed is not None:
            return unnamed
        return None if _has_patient_participant(resource) else "missing subject (no Patient participant)"
    key = _SUBJECT_KEYS.get(resource_type)
    if key is None or _has_reference(resource.get(key)):
        return None
    return "missing subject" if key == "subject" else f"missing subject ({key})"
