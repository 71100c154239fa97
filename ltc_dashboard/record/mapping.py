"""FHIR R4 resources of one patient to a typed `PatientRecord`.

`map_record(resources)` takes the list the access gate (`ltc_dashboard/gate/access.py`) lets through, already
filtered for the viewer, and flattens each resource into its display model. Raw FHIR stays raw in the
store; this is the only place that reads its shape. Unknown types land in `other`; an entry that
cannot be read at all is listed in `other` with a plain `problem` instead of stopping the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from ltc_dashboard.record import stored_json
from ltc_dashboard.fhir_read import entered_in_error as is_entered_in_error  # the one owner (issue 19)
from ltc_dashboard.record.letters import (
    SUPPORTED_TYPES, UnreadableLetter, decode_base64, extract_text, media_type,
)
from ltc_dashboard.record.lookup_types import LOOKUP_TYPES, REFERENCED_ONLY  # noqa: F401  (their owner; derived.py reads them here)
from ltc_dashboard.record.mapping_common import (
    Index, all_codings, as_dict, codes, codings, day, dicts, display, displays, entry_fields,
    fhir_date, first_code, human_name, reference_id, string,
)
from ltc_dashboard.record.mapping_medications import group_medications, map_medication
from ltc_dashboard.record.mapping_plans import (
    map_appointment, map_care_plan, map_consent, map_flag, map_goal, map_related_person,
)
from ltc_dashboard.record.mapping_results import map_observation
from ltc_dashboard.record.models import (
    AllergyEntry, CodedEntry, ConditionEntry, Immunisation, Letter, Medication, OtherEntry,
    PatientInfo, PatientRecord,
)

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
HELD_ELSEWHERE = "The letter's content is held elsewhere and was not downloaded"
UNREADABLE_ENTRY = "This entry could not be read, so it is listed without its details"
# What a malformed resource can make the readers raise (pydantic's ValidationError is a ValueError).
_MAPPING_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError)


def map_record(resources: Iterable[dict], lookups: Iterable[dict] | None = None) -> PatientRecord:
    """Every visible resource of one patient as typed models; never raises on odd input.

    `resources` may be a stream read one at a time, with `lookups` the visible resources that
    references are resolved to (`LOOKUP_TYPES`), read first. Without `lookups`, `resources` is a
    list and is its own lookup."""
    if lookups is None:
        resources = list(resources or [])
        lookups = resources
    mapping = RecordMapping(lookups)
    for resource in resources or ():
        mapping.add(resource)
    return mapping.record()


def map_stored(texts: Iterable[tuple[str, int, str]], lookups: Iterable[dict], memo: dict) -> PatientRecord:
    """`map_record` over (Type/id, fingerprint, stored JSON) rows, as the gate's visible record
    gives them (ltc_dashboard/service/core.py). Entries whose mapping reads nothing but themselves (`SELF_CONTAINED`)
    are kept in `memo` by key and fingerprint: the same stored text maps the same for every viewer,
    so a carer's view of a record shares the patient's models instead of decoding them again."""
    mapping = RecordMapping(lookups)
    for key, fingerprint, text in texts:
        rtype = key.split("/", 1)[0]
        if rtype in REFERENCED_ONLY:
            continue  # read through the entries that point at them (lookups)
        if rtype not in SELF_CONTAINED:
            mapping.add(stored_json.loads(text))
            continue
        held = memo.get((key, fingerprint))
        if held is None:
            held = memo[(key, fingerprint)] = mapping.map_one(stored_json.loads(text))
        mapping.found[held[0]].extend(held[1])
    return mapping.record()


class RecordMapping:
    """One record being mapped: what each resource became, by PatientRecord list."""

    def __init__(self, lookups: Iterable[dict]) -> None:
        self.index = Index([r for r in lookups if isinstance(r, dict) and not is_entered_in_error(r)])
        self.found: dict[str, list] = {name: [] for name in _MAPPERS.values()}
        self.found["other"], self.found["medicines"] = [], []
        self.patient: PatientInfo | None = None

    def add(self, resource) -> None:
        if not isinstance(resource, dict) or is_entered_in_error(resource):
            return
        self.take(*self.map_alone(resource))

    def map_alone(self, resource) -> tuple[str, tuple]:
        """What one resource maps to, the Patient included (its list is "patient")."""
        if not isinstance(resource, dict) or is_entered_in_error(resource):
            return "other", ()
        if string(resource.get("resourceType")) == "Patient":
            # (as the record's person, or why not; then as any later Patient is listed)
            try:
                first = map_patient(resource)
            except _MAPPING_ERRORS:
                first = _unreadable(resource, "Patient")
            return "patient", (first, *self.map_one(resource)[1])
        return self.map_one(resource)

    def take(self, list_name: str, models: tuple) -> None:
        """Add what one resource mapped to. The first readable Patient is the record's person;
        an unreadable one, and any after the person, are listed in `other`."""
        if list_name != "patient":
            self.found[list_name].extend(models)
        elif self.patient is not None:
            self.found["other"].extend(models[1:])
        elif isinstance(models[0], PatientInfo):
            self.patient = models[0]
        else:
            self.found["other"].append(models[0])

    def map_one(self, resource: dict) -> tuple[str, tuple]:
        """(the PatientRecord list it goes in, what it maps to) for one resource."""
        if is_entered_in_error(resource):
            return "other", ()
        rtype = string(resource.get("resourceType")) or "Unknown"
        if rtype in REFERENCED_ONLY:
            return "other", ()
        try:
            if rtype in ("MedicationRequest", "MedicationStatement"):
                return "medicines", (map_medication(resource, self.index),)
            if rtype == "Observation":
                return "results", tuple(map_observation(resource))
            if rtype == "DocumentReference":
                return "letters", (map_letter(resource, self.index),)
            if rtype in _MAPPERS:
                return _MAPPERS[rtype], (_MAPPER_FUNCTIONS[rtype](resource),)
            return "other", (map_other(resource),)
        except _MAPPING_ERRORS:
            return "other", (_unreadable(resource, rtype),)

    def record(self) -> PatientRecord:
        return self.assemble(self.patient, {name: in_list_order(name, entries) for name, entries in self.found.items()})

    @staticmethod
    def assemble(patient: PatientInfo | None, lists: dict[str, list],
                 medications: list[Medication] | None = None) -> PatientRecord:
        """The record from each list's entries, already in order (`in_list_order`); the medicines
        grouped here unless `medications` are given grouped and in order."""
        lists = dict(lists)
        singles = lists.pop("medicines", [])
        if medications is None:
            medications = group_medications(singles)
        return PatientRecord(patient=patient, medications=medications, **lists)


def map_patient(resource: dict) -> PatientInfo:
    """Who the record is about: name as "Margaret Jones", birth date, gender and NHS number."""
    nhs_number = None
    for identifier in dicts(resource.get("identifier")):
        if identifier.get("system") == NHS_NUMBER_SYSTEM and string(identifier.get("value")):
            nhs_number = string(identifier.get("value"))
            break
    return PatientInfo(
        id=string(resource.get("id")) or "unknown",
        name=human_name(resource.get("name")),
        **_born(resource.get("birthDate")),
        gender=string(resource.get("gender")),
        nhs_number=nhs_number,
        **_deceased(resource),
    )


def _born(value) -> dict:
    """The birth date and its precision: "2008" or "2008-11" is kept as partial, so a rule can read
    the age cautiously (clinical-reference §11.3; conditions/ages.py)."""
    found = fhir_date(value)
    if found is None:
        return {"birth_date": None}
    return {"birth_date": found.day, "birth_date_precision": "day" if found.precision == "time" else found.precision}


def _deceased(resource: dict) -> dict:
    """Patient.deceased[x] (clinical-reference §11.10): true, or a date (the day, when it can be
    read; a date that cannot be read still says the person has died)."""
    if resource.get("deceasedBoolean") is True:
        return {"deceased": True}
    when = resource.get("deceasedDateTime")
    if when is None or when is False:
        return {}
    return {"deceased": True, "deceased_on": day(when)}


def map_condition(resource: dict) -> ConditionEntry:
    """A Condition with its statuses, onset (at its own precision), recorded and abatement days."""
    onset = fhir_date(resource.get("onsetDateTime")) or fhir_date(
        as_dict(resource.get("onsetPeriod")).get("start"))
    return ConditionEntry(
        **entry_fields(resource, resource.get("code")),
        clinical_status=first_code(resource.get("clinicalStatus")),
        verification_status=first_code(resource.get("verificationStatus")),
        onset=onset.day if onset else None,
        onset_precision=onset.precision if onset else None,
        recorded=day(resource.get("recordedDate")),
        abatement=day(resource.get("abatementDateTime"))
        or day(as_dict(resource.get("abatementPeriod")).get("start")),
        category=codes(resource.get("category")),
    )


def map_allergy(resource: dict) -> AllergyEntry:
    """An AllergyIntolerance with its reactions in words."""
    reactions: list[str] = []
    for reaction in dicts(resource.get("reaction")):
        words = displays(reaction.get("manifestation"))
        reactions.extend(word for word in words if word not in reactions)
    category = resource.get("category")
    return AllergyEntry(
        **entry_fields(resource, resource.get("code")),
        clinical_status=first_code(resource.get("clinicalStatus")),
        verification_status=first_code(resource.get("verificationStatus")),
        criticality=string(resource.get("criticality")),
        category=[c for c in category if isinstance(c, str)] if isinstance(category, list) else [],
        reactions=reactions,
    )


def map_immunisation(resource: dict) -> Immunisation:
    """An Immunization."""
    return Immunisation(**entry_fields(resource, resource.get("vaccineCode")),
                        status=string(resource.get("status")))


def map_procedure(resource: dict) -> CodedEntry:
    """A Procedure as a coded, dated entry."""
    return CodedEntry(**entry_fields(resource, resource.get("code")),
                      status=string(resource.get("status")))


def map_other(resource: dict) -> OtherEntry:
    """Any other resource: its type, id, date and the best words it offers."""
    fields = entry_fields(resource)
    for key in ("code", "type", "category", "class", "serviceType", "vaccineCode"):
        value = resource.get(key)
        words = display(value) if isinstance(value, dict) else next(iter(displays(value)), None)
        if words:
            concepts = value if isinstance(value, list) else [value]
            fields.update(codings=all_codings(concepts), text=words)
            break
    else:
        fields["text"] = next(
            (string(resource.get(key)) for key in ("title", "description", "name")
             if string(resource.get(key))), None)
    return OtherEntry(**fields)


def map_letter(resource: dict, index: Index) -> Letter:
    """A DocumentReference as a Letter, its content from inline data or a Binary in the record."""
    type_concept = resource.get("type")
    title = string(resource.get("description")) or display(type_concept) or "Letter"
    authors = [index.name_of(author, resource) for author in dicts(resource.get("author"))]
    attachment = _best_attachment(resource)
    content_type = string(attachment.get("contentType"))
    data, binary_id, reason = attachment.get("data"), None, None
    url = string(attachment.get("url"))
    if data is None and url:
        # Only a reference inside this record: the gate keeps a Binary only for such a letter.
        if url.startswith("Binary/") or url.startswith("urn:uuid:"):
            binary_id = reference_id(url)
        binary = index.resolve({"reference": url}, "Binary") if binary_id else None
        if binary is None or not binary.get("data"):
            reason = HELD_ELSEWHERE
        else:
            data = binary.get("data")
            content_type = content_type or string(binary.get("contentType"))
    elif data is None:
        reason = "The letter has no content to show"
    text = html_safe = None
    if reason is None:
        try:
            text, html_safe = extract_text(content_type, decode_base64(data))
        except UnreadableLetter as problem:
            reason = str(problem)
    fields = entry_fields(resource, type_concept)
    fields.update(text=text)
    return Letter(
        **fields,
        title=title,
        type_codings=codings(type_concept),
        category_codings=all_codings(resource.get("category")),
        author=next((a for a in authors if a), None),
        status=string(resource.get("status")),
        doc_status=string(resource.get("docStatus")),
        content_type=content_type,
        html_safe=html_safe,
        pdf_text=text if media_type(content_type)[0] == "application/pdf" else None,
        binary_id=binary_id,
        unavailable_reason=reason,
    )


def _best_attachment(resource: dict) -> dict:
    """The first attachment whose type can be read (inline or as a Binary), else the first one."""
    attachments = [as_dict(content.get("attachment")) for content in dicts(resource.get("content"))]
    for attachment in attachments:
        if media_type(attachment.get("contentType"))[0] in SUPPORTED_TYPES and (
                attachment.get("data") or attachment.get("url")):
            return attachment
    return attachments[0] if attachments else {}


def _unreadable(resource: dict, rtype: str) -> OtherEntry:
    return OtherEntry(id=string(resource.get("id")) or "unknown", resource_type=rtype,
                      problem=UNREADABLE_ENTRY)


def in_list_order(list_name: str, items: list, entry_of=None) -> list:
    """A PatientRecord list's entries in its order: results oldest first (undated last, then by
    id); medicines as stored (they are grouped and sorted after); the rest newest first, undated
    last. Sorts are stable, so a list's order is also the order of any of its entries. `entry_of`
    gives the entry of each item (the items themselves by default)."""
    if list_name == "medicines":
        return list(items)
    if entry_of is None:
        entry_of = _itself
    if list_name == "results":
        return sorted(items, key=lambda item: _oldest_first_key(entry_of(item)))
    return sorted(items, key=lambda item: _newest_first_key(entry_of(item)), reverse=True)


def _itself(item):
    return item


def _newest_first_key(entry) -> tuple:
    when = getattr(entry, "date", None)
    return (when is not None, when or dt.date.min)


def _oldest_first_key(entry) -> tuple:
    return (entry.date is None, entry.date or dt.date.min, entry.id)


_MAPPER_FUNCTIONS: dict[str, Callable[[dict], object]] = {
    "Condition": map_condition,
    "AllergyIntolerance": map_allergy,
    "Immunization": map_immunisation,
    "Procedure": map_procedure,
    "CarePlan": map_care_plan,
    "Goal": map_goal,
    "Flag": map_flag,
    "Appointment": map_appointment,
    "Consent": map_consent,
    "RelatedPerson": map_related_person,
}
# Types mapped from the resource alone, not through `Index` (letters, medicines) and not the
# Patient (the first one wins): what map_stored may share between viewers.
SELF_CONTAINED = frozenset(_MAPPER_FUNCTIONS) | {"Observation", "DiagnosticReport", "Encounter"}
# Resource type to the PatientRecord list it fills (Observation, DocumentReference and medicines
# are handled above because they need more than the resource itself).
_MAPPERS: dict[str, str] = {
    "Condition": "conditions",
    "AllergyIntolerance": "allergies",
    "Immunization": "immunisations",
    "Procedure": "procedures",
    "CarePlan": "care_plans",
    "Goal": "goals",
    "Flag": "flags",
    "Appointment": "appointments",
    "Consent": "consents",
    "RelatedPerson": "related_people",
    "Observation": "results",
    "DocumentReference": "letters",
}
