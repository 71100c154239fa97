"""Whether the gate withheld, from one viewer, a medicine entry that could change whether a repeat
they see is current (attack 21b): a carer whose Consent's data period starts after a repeat was
authorised sees its recent issues but not the authorisation the practice stopped, so the repeat
looks current to her and she would be offered what the patient is not.

The gate answers with a count, never with what was withheld: the withheld MedicationRequests and
MedicationStatements of the record that are *alike* to the entries of one medicine the viewer
sees. Alike (fail closed, a wide reading): they share a medicine code (system and code), the
medicine's words (case and spaces aside) or the Medication they point at, or one points at the
other (basedOn, priorPrescription, partOf, derivedFrom, in any reference form). A repeat is
offered only when none is (ltc_dashboard/service/repeats.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from ltc_dashboard import fhir_read
from ltc_dashboard.record import stored_json
from ltc_dashboard.fhir_read import entered_in_error
from ltc_dashboard.record.references import normal_reference

MEDICINE_TYPES = ("MedicationRequest", "MedicationStatement")
_LINKS = ("basedOn", "priorPrescription", "partOf", "derivedFrom")


def _identity(resource: dict) -> set[tuple]:
    """What names the medicine of one entry: its codings, its words, the Medication it points at."""
    found: set[tuple] = set()
    concept = resource.get("medicationCodeableConcept")
    for coding in fhir_read.codings(concept) if isinstance(concept, dict) else ():
        if coding.code:
            found.add(("code", coding.system or "", coding.code))
    words = fhir_read.concept_text(concept) if isinstance(concept, dict) else None
    if words and words.strip():
        found.add(("words", " ".join(words.casefold().split())))
    target = normal_reference(fhir_read.reference(resource.get("medicationReference")) or "")
    if target:
        found.add(("medication", target))
    return found


def _links(resource: dict) -> set[str]:
    """`Type/id` of the entries one entry points at through its request and statement links."""
    found = set()
    for key in _LINKS:
        for item in fhir_read.objects(resource.get(key)):
            target = normal_reference(fhir_read.reference(item) or "")
            if target:
                found.add(target)
    return found


def withheld_alike(texts: Iterable[tuple[str, str, str]], passed, keys: Iterable[str]) -> int:
    """How many withheld medicine entries are alike to the visible entries `keys` (`Type/id`).
    `texts`: (type, id, stored JSON) of the record's MedicationRequests and MedicationStatements;
    `passed(key)`: whether the gate passed that entry to this viewer. An entry that cannot be read
    counts as alike (fail closed); one entered in error never changes anything, so it does not."""
    wanted = set(keys)
    seen_identity: set[tuple] = set()
    seen_links: set[str] = set()
    withheld: list[tuple[str, dict | None]] = []
    for rtype, rid, text in texts:
        key = f"{rtype}/{rid}"
        try:
            resource = stored_json.loads(text)
        except ValueError:
            resource = None
        if not isinstance(resource, dict):
            resource = None
        if passed(key):
            if key in wanted and resource is not None:
                seen_identity |= _identity(resource)
                seen_links |= _links(resource)
            continue
        if resource is None or not entered_in_error(resource):
            withheld.append((key, resource))
    count = 0
    for key, resource in withheld:
        if resource is None or key in seen_links or _identity(resource) & seen_identity or _links(resource) & wanted:
            count += 1
    return count
