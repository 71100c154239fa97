"""Reading raw FHIR R4 JSON with its types checked, in one place.

A stored resource is the JSON that came in: any element may hold a list where FHIR has an
object, a number where it has text, or nest far deeper than any record does. Code that reads a
resource asks these accessors, which answer only in FHIR's own types and never raise: the gate's
facts and policy (ltc_dashboard/gate/snapshot/facts.py, ltc_dashboard/gate/policy.py), the terminology and the mapping
(ltc_dashboard/record/terminology.py), sign-in (ltc_dashboard/gate/access.py) and, through those, the search index and the
exports. The importer (connectors/validate.py) rejects, naming the field, what they could not
read as FHIR says it is (`coding_problem`, `MAX_DEPTH`), so nothing odd is stored in the first
place; the accessors still hold for what was stored before, or arrives another way, and note
each Coding they met that was not in FHIR's shape (`odd_seen`): an entry whose facts the gate
read through such a Coding is withheld and counted (ltc_dashboard/gate/snapshot/build.py).

It sits beside the layers because both sides use it: connectors/ may not import
ltc_dashboard/record/ (the import rules in tests/test_architecture.py), and record/ may not import
connectors/. It imports only textsafe.py, for what of a name is visible.
"""

from __future__ import annotations

import re
import threading
from typing import NamedTuple

from ltc_dashboard import textsafe

# Deepest nesting of JSON objects and lists a resource may have. Real records stay far below it
# (nested extensions and questionnaire items reach a few dozen); deeper, a reader that follows
# the structure could run out of stack.
MAX_DEPTH = 100

# The elements of a Coding that are text (FHIR R4 Coding: system uri, version string, code code,
# display string).
CODING_TEXT = ("system", "version", "code", "display")
# Elements whose value is a Coding, or a list of them, wherever they appear: CodeableConcept.coding,
# Meta.security and Meta.tag, Consent.provision.securityLabel, .class and .purpose,
# Encounter.class, value[x] as a Coding.
CODING_KEYS = frozenset({"coding", "security", "tag", "securityLabel", "class", "purpose", "valueCoding"})


class Coding(NamedTuple):
    """A Coding's text elements; "" for one that is absent or not text."""

    system: str
    code: str
    display: str


def text(value) -> str | None:
    """A FHIR string (or code, uri, date as text): the value if it is text, else None."""
    return value if isinstance(value, str) else None


def objects(value) -> list[dict]:
    """A FHIR array of objects: its objects (other items skipped); a lone object as a list of
    one; anything else, none."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


class _Odd(threading.local):
    count = 0


_odd = _Odd()


def odd_seen() -> int:
    """How many Codings this thread has read that were not in FHIR's shape (an element that is
    not text, a Coding inside a Coding, a `coding` that is not a list). ltc_dashboard/gate/snapshot/build.py compares
    it before and after reading the gate's facts of a resource: a rise means the gate could not
    be sure what the resource says (a prognosis code under a system given as a list), and the
    entry is withheld and counted. Costs nothing on the common path."""
    return _odd.count


def coding(value: dict) -> Coding:
    """One Coding object's text elements. A code written as a whole JSON number (a SNOMED code
    some exporters do not quote) is read as its digits; the importer refuses it all the same."""
    system, code, display = value.get("system"), value.get("code"), value.get("display")
    if type(code) is int and -10**18 < code < 10**18:
        code = str(code)
    if not (isinstance(system, (str, type(None))) and isinstance(code, (str, type(None)))
            and isinstance(display, (str, type(None)))) or "coding" in value:
        _odd.count += 1
    return Coding(system if isinstance(system, str) else "", code if isinstance(code, str) else "",
                  display if isinstance(display, str) else "")


def coding_list(value) -> list[dict]:
    """CodeableConcept.coding: its Coding objects (a lone one as a list of one); anything else
    there is noted as odd (see odd_seen)."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        if value is not None:
            _odd.count += 1
    return objects(value)


def codings(concept) -> list[Coding]:
    """The Codings of a CodeableConcept, or of a list of them. A Coding inside a Coding is not
    FHIR and is not looked into."""
    return [coding(item) for one in objects(concept) for item in coding_list(one.get("coding"))]


def reference(value) -> str | None:
    """The `reference` text of a FHIR Reference, or None."""
    return text(value.get("reference")) if isinstance(value, dict) else None


def objects_in(node):
    """Every JSON object anywhere in a decoded resource, itself included, walked without recursion
    (FHIR bounds no depth, and a deep resource must not overflow the stack)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


def reference_id(target: str) -> str | None:
    """The id a reference text names, its stated type not checked: "Goal/1",
    "https://host/fhir/Goal/1/_history/2", "urn:uuid:1" and "#1" all give "1"."""
    target = target.strip()
    if target.lower().startswith(("urn:uuid:", "urn:oid:")):
        return target.split(":", 2)[2] or None
    if target.startswith("#"):
        return target[1:] or None
    parts = [part for part in target.split("/") if part]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return parts[-1] if parts else None


# Where a resource names the patient it is about, in R4: `subject` (most clinical types),
# `patient` (AllergyIntolerance, Immunization, Consent, RelatedPerson, ...), `beneficiary`
# (Coverage). The one answer to "whose resource is this" (issue 19): the importer
# (connectors/validate.py, connectors/bundle_rules.py), the store (ltc_dashboard/store/db.py) and the gate
# (ltc_dashboard/gate/access.py) all read it here.
PATIENT_KEYS = ("subject", "patient", "beneficiary", "for")  # "for": a Task's (a repeat order, issue 21)
# A reference text naming a Patient: relative (`Patient/1`), absolute on any server
# (`https://host/fhir/Patient/1`), either versioned (`.../_history/2`).
_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def patient_id_in(target) -> str | None:
    """The Patient id a Reference.reference text names, or None for one that names no stored
    Patient: a `urn:uuid:` or `urn:oid:` id (only its Bundle can resolve it), a contained `#p`,
    a conditional `Patient?identifier=...`, another type (`Group/1`), or anything not text."""
    if not isinstance(target, str):
        return None
    found = _PATIENT_REFERENCE.search(target)
    return found.group(1) if found else None


def appointment_patients(resource: dict) -> list[str]:
    """The distinct ids of the Patients an Appointment's participants name, in order."""
    found: list[str] = []
    for part in objects(resource.get("participant")):
        patient = patient_id_in(reference(part.get("actor")))
        if patient and patient not in found:
            found.append(patient)
    return found


def patient_of(resource: dict, prefer: str | None = None) -> str | None:
    """The id of the Patient a resource belongs to, or None for a shared resource (a Medication,
    a Practitioner) or one whose patient reference names no stored Patient (an identifier only, a
    contained or unresolved one): the Patient itself; else `subject`, `patient` or `beneficiary`;
    a Binary's `securityContext`; an Appointment's Patient participant. A joint Appointment (more
    than one Patient participant, attack 21a) is the record's it was fetched or imported for
    (`prefer`) when that Patient is one of them, else nobody's: the importer refuses it
    (ltc_dashboard/intake/ingest.py), never filing it under whichever Patient is listed first."""
    rtype = resource.get("resourceType")
    if rtype == "Patient":
        return text(resource.get("id"))
    for key in PATIENT_KEYS:
        found = patient_id_in(reference(resource.get(key)))
        if found:
            return found
    if rtype == "Binary":
        return patient_id_in(reference(resource.get("securityContext")))
    if rtype == "Appointment":
        found = appointment_patients(resource)
        if len(found) == 1:
            return found[0]
        return prefer if prefer in found else None
    return None


def concept_text(concept) -> str | None:
    """The words of a CodeableConcept (or the first of a list): its text, else a coding's display."""
    for one in objects(concept):
        words = text(one.get("text"))
        if words and words.strip():
            return words
        for item in codings(one):
            if item.display.strip():
                return item.display
    return None


# Which of a person's names is shown first: the official one, then one with no use or `usual`,
# then any other (nickname, maiden, old ...), each kept in the order given.
_NAME_USE_ORDER = {"official": 0, "": 1, "usual": 1}


def person_name(resource: dict) -> str | None:
    """A Patient's, RelatedPerson's or Practitioner's name as one line ("Margaret Jones", no
    titles): the one owner of "how a person is named" (issue 19), used by the mapping
    (ltc_dashboard/record/mapping_common.human_name) and the carer lists (ltc_dashboard/gate/access.py)."""
    return name_line(resource.get("name"))


def name_line(names) -> str | None:
    """A list of HumanName as one line: the first, official first, that has text, else given names
    and family name; None when none has either."""
    candidates = sorted(objects(names), key=lambda name: _NAME_USE_ORDER.get(_stripped(name.get("use")) or "", 2))
    for name in candidates:
        words = _name_part(name.get("text"))
        if words:
            return words
        given = name.get("given")
        parts = [part for p in (given if isinstance(given, list) else []) if (part := _name_part(p))]
        family = _name_part(name.get("family"))
        if parts or family:
            return " ".join(parts + ([family] if family else []))
    return None


def _stripped(value) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _name_part(value) -> str | None:
    """A name's text, given or family as it is shown (textsafe.plain: bidi, zero-width and control
    characters removed), or None when nothing visible is left: a name of invisible characters
    alone is no name, and the next name part or name is read (helper-66)."""
    return (textsafe.plain(value).strip() or None) if isinstance(value, str) else None


def coding_problem(value) -> str | None:
    """Which text element of a Coding is not text ("code" ...), or None when all are."""
    if not isinstance(value, dict):
        return None
    for key in CODING_TEXT:
        if key in value and not isinstance(value[key], str):
            return key
    return None


# -- entered in error: the one answer (issue 19) ------------------------------------------------
# Whether a resource says it was entered in error, read by the gate's facts
# (ltc_dashboard/gate/snapshot/facts.py: such an entry is withheld from every viewer, and what points
# at it too), the gate's medicines, the mapping as a second net (ltc_dashboard/record/mapping.py),
# and the store when it chooses among copies it cannot order (ltc_dashboard/store/versions.py).
# Here, beside the layers, because the store may not import record/.
#
# R4 says it in a resource's own status element, which is named differently by type
# (`IN_ERROR_ELEMENTS`): a `status` code on most clinical types, `docStatus` on a letter, `lifecycleStatus`
# on a Goal, and a coded `verificationStatus` on a Condition or AllergyIntolerance. Every one of them
# is read on every resource, whatever its type says, and in any letter case or padding, so a type
# the table does not list, or a server's odd spelling, is still caught (fail closed). A coded
# `clinicalStatus` holding it is read too: no R4 value set has it there, but a server that puts it
# there means the same. A Provenance has no status of its own in R4; it says nothing here.

IN_ERROR = "entered-in-error"
IN_ERROR_CODES = ("status", "docStatus", "lifecycleStatus")
IN_ERROR_CONCEPTS = ("verificationStatus", "clinicalStatus")

# Where R4 puts entered-in-error, for the types the app reads (FHIR R4 resource pages, each
# element's required value set); the tests check every one of them.
IN_ERROR_ELEMENTS = {
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
IN_ERROR_ALSO = {"DocumentReference": "docStatus"}


def entered_in_error(resource: dict) -> bool:
    """Whether a resource says it was entered in error, in any element R4 says it in."""
    for key in (*IN_ERROR_CODES, *IN_ERROR_CONCEPTS):
        value = resource.get(key)
        if value is not None and _says_in_error(value):  # absent from most resources
            return True
    return False


def _says_in_error(value) -> bool:
    """Whether a status element says entered-in-error in any shape a server has been seen to
    write it, as this module reads every element (fail closed): a code, a CodeableConcept, a lone
    Coding, either of them in a list where R4 has one, and a CodeableConcept's `coding` as one
    Coding instead of a list (helper-66 found the last three shown to every viewer)."""
    for item in value if isinstance(value, list) else [value]:
        if _is_in_error(item):
            return True
        if isinstance(item, dict):
            codings = item.get("coding")
            if _is_in_error(item.get("code")) or any(
                    isinstance(c, dict) and _is_in_error(c.get("code")) or _is_in_error(c)
                    for c in (codings if isinstance(codings, list) else [codings])):
                return True
    return False


def _is_in_error(value) -> bool:
    return isinstance(value, str) and value.strip().lower() == IN_ERROR
