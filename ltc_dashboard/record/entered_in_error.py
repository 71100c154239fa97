"""Whether a resource says it was entered in error: the one answer (issue 19), read by the gate's
facts (ltc_dashboard/gate/snapshot/facts.py: such an entry is withheld from every viewer, and what points at it
too) and by the mapping as a second net (ltc_dashboard/record/mapping.py).

R4 says it in a resource's own status element, which is named differently by type
(`R4_ELEMENTS`): a `status` code on most clinical types, `docStatus` on a letter, `lifecycleStatus`
on a Goal, and a coded `verificationStatus` on a Condition or AllergyIntolerance. Every one of them
is read on every resource, whatever its type says, and in any letter case or padding, so a type
the table does not list, or a server's odd spelling, is still caught (fail closed). A coded
`clinicalStatus` holding it is read too: no R4 value set has it there, but a server that puts it
there means the same. A Provenance has no status of its own in R4; it says nothing here.
"""

from __future__ import annotations

MARK = "entered-in-error"
CODE_ELEMENTS = ("status", "docStatus", "lifecycleStatus")
CONCEPT_ELEMENTS = ("verificationStatus", "clinicalStatus")

# Where R4 puts entered-in-error, for the types the app reads (FHIR R4 resource pages, each
# element's required value set); the tests check every one of them.
R4_ELEMENTS = {
    "Observation": "status", "DiagnosticReport": "status", "MedicationRequest": "status",
    "MedicationStatement": "status", "MedicationAdministration": "status", "MedicationDispense": "status",
    "Medication": "status", "Immunization": "status", "Procedure": "status", "Encounter": "status",
    "CarePlan": "status", "CareTeam": "status", "Consent": "status", "Flag": "status", "List": "status",
    "Appointment": "status", "Communication": "status", "ServiceRequest": "status",
    "QuestionnaireResponse": "status", "ClinicalImpression": "status", "RiskAssessment": "status",
    "FamilyMemberHistory": "status", "Composition": "status", "Specimen": "status", "Coverage": "status",
    "DocumentReference": "status", "Goal": "lifecycleStatus",
    "Condition": "verificationStatus", "AllergyIntolerance": "verificationStatus",
}
# DocumentReference says it twice: the reference's `status` and the document's `docStatus`.
ALSO = {"DocumentReference": "docStatus"}


def entered_in_error(resource: dict) -> bool:
    """Whether a resource says it was entered in error, in any element R4 says it in."""
    for key in CODE_ELEMENTS:
        if _is_mark(resource.get(key)):
            return True
    for key in CONCEPT_ELEMENTS:
        concept = resource.get(key)
        if concept is None:  # absent from most resources: nothing more to read
            continue
        codings = concept.get("coding") if isinstance(concept, dict) else None
        if isinstance(codings, list) and any(isinstance(c, dict) and _is_mark(c.get("code")) for c in codings):
            return True
    return False


def _is_mark(value) -> bool:
    return isinstance(value, str) and value.strip().lower() == MARK
