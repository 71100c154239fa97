"""A home reading as a FHIR R4 Observation, and back (issue 20).

The representation, chosen so a FHIR reader understands it and `ltc import` restores it exactly:

* the own-content tag in `meta.tag` (ltc_dashboard/exports/own_content.py `TAG`): `ltc_dashboard/intake/ingest.py` writes it into the
  person's readings, never into the resources table;
* `performer` is the patient (they measured it); `subject` the patient; `status` final; category
  `vital-signs`; `effectiveDateTime` the time with its offset;
* blood pressure: the panel (SNOMED 75367002, LOINC 85354-9) with components systolic 8480-6 and
  diastolic 8462-4 in mm[Hg], and the pulse (8867-4, /min) when measured; weight: SNOMED 27113001,
  LOINC 29463-7 in kg (clinical-reference §2.1 [R1], §6.1); blood sugar: the reference lists no
  code for it, so only this app's own code `home-glucose` and the text, in mmol/L;
* one complex extension (`OWN_EXTENSION`) keeps what FHIR has no element for here: the local row
  id, who entered it, and when a blood sugar was taken (`context`);
* `identifier` the reading's lasting identity (`urn:uuid:`, system `urn:ietf:rfc:3986`): a re-import
  of any copy of the same reading, even one changed since, is recognised by it (ltc_dashboard/exports/restore.py).

Read back, only `final` (or `amended`/`corrected`) Observations are readings: one marked
`entered-in-error` (or any other status) "was never valid" (FHIR R4 observation.html) and is refused.
Values are written as stored (at the precision ltc_dashboard/record/readings.py `DECIMALS` keeps), never shortened.
"""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.exports.own_content import OWN_EXTENSION, OWN_SYSTEM, TAG
from ltc_dashboard.record.readings import Reading, ReadingInvalid, check, uid_of

LOINC, SNOMED, UCUM = "http://loinc.org", "http://snomed.info/sct", "http://unitsofmeasure.org"
_VITAL = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                       "code": "vital-signs", "display": "Vital Signs"}]}]
_CODES = {
    "bp": ([(SNOMED, "75367002", "Blood pressure"), (LOINC, "85354-9", "Blood pressure panel")], "Home blood pressure"),
    "weight": ([(SNOMED, "27113001", "Body weight"), (LOINC, "29463-7", "Body weight")], "Home weight"),
    "glucose": ([(OWN_SYSTEM, "home-glucose", "Blood glucose measured at home")], "Home blood glucose"),
}
_PARTS = {"systolic": ("8480-6", "Systolic blood pressure", "mm[Hg]", "mmHg"),
          "diastolic": ("8462-4", "Diastolic blood pressure", "mm[Hg]", "mmHg"),
          "pulse": ("8867-4", "Heart rate", "/min", "beats/minute")}
_UNIT_CODES = {"kg": "kg", "mmol/L": "mmol/L"}
UUID_SYSTEM = "urn:ietf:rfc:3986"
KEPT_STATUSES = ("final", "amended", "corrected")


def _code(kind: str) -> dict:
    codings, text = _CODES[kind]
    return {"coding": [{"system": s, "code": c, "display": d} for s, c, d in codings], "text": text}


def _quantity(value, unit: str, code: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def reading_resource(reading: Reading, patient_id: str) -> dict:
    """One home reading as an Observation carrying the own-content tag."""
    patient = {"reference": f"Patient/{patient_id}"}
    parts = [{"url": "id", "valueInteger": reading.id}] if reading.id is not None else []
    parts.append({"url": "author", "valueString": reading.author})
    if reading.context:
        parts.append({"url": "context", "valueCode": reading.context})
    resource = {
        "resourceType": "Observation", "id": f"own-reading-{reading.id}", "meta": {"tag": [TAG]},
        "extension": [{"url": OWN_EXTENSION, "extension": parts}],
        **({"identifier": [{"system": UUID_SYSTEM, "value": f"urn:uuid:{reading.uid}"}]} if reading.uid else {}),
        "status": "final", "category": _VITAL, "code": _code(reading.kind), "subject": patient,
        "effectiveDateTime": reading.taken_at.isoformat(), "performer": [patient],
    }
    if reading.kind == "bp":
        resource["component"] = [
            {"code": {"coding": [{"system": LOINC, "code": code, "display": name}]},
             "valueQuantity": _quantity(getattr(reading, part), unit, ucum)}
            for part, (code, name, ucum, unit) in _PARTS.items() if getattr(reading, part) is not None]
    else:
        resource["valueQuantity"] = _quantity(reading.value, reading.unit, _UNIT_CODES[reading.unit])
    return resource


def is_reading(resource: dict) -> bool:
    """Whether an own-content resource is a home reading (an Observation)."""
    return resource.get("resourceType") == "Observation"


def _kind(resource: dict) -> str | None:
    found = {(c.get("system"), c.get("code")) for c in (resource.get("code") or {}).get("coding") or []
             if isinstance(c, dict)}
    return next((kind for kind, (codings, _) in _CODES.items() if found & {(s, c) for s, c, _ in codings}), None)


def _extension(resource: dict) -> dict:
    found = {}
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == OWN_EXTENSION:
            for part in ext.get("extension") or []:
                if isinstance(part, dict):
                    found[part.get("url")] = next((v for k, v in part.items() if k.startswith("value")), None)
    return found


def _number(quantity) -> str | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    return None if value is None or isinstance(value, bool) else repr(value) if isinstance(value, float) else str(value)


def _identity(resource: dict) -> str | None:
    """The reading's UUID from its identifier; None when it has none (an export made before
    readings had one); ReadingInvalid when it has one that is not a UUID (edited)."""
    found = [i.get("value") for i in resource.get("identifier") or []
             if isinstance(i, dict) and i.get("system") == UUID_SYSTEM]
    if not found:
        return None
    uid = uid_of(found[0])
    if uid is None:
        raise ReadingInvalid({"identifier": "the reading's identifier is not the one ltc wrote (a urn:uuid)"})
    return uid


def from_observation(resource: dict, patient_id: str, today: dt.date, born: dt.date | None = None) -> Reading:
    """An exported home reading read back through the one check (ReadingInvalid when it is not
    one: an unknown code, a status other than final, a value out of range, no time, a day after
    `today` or before `born`), with its identity."""
    kind, extension = _kind(resource), _extension(resource)
    if kind is None:
        raise ReadingInvalid({"kind": "the Observation's code is not one of a home reading"})
    if resource.get("status") not in KEPT_STATUSES:
        raise ReadingInvalid({"status": f"the Observation's status is '{str(resource.get('status'))[:20]}', "
                                        "not final: a reading marked entered-in-error is never restored"})
    author = str(extension.get("author") or "patient")
    when = resource.get("effectiveDateTime")
    if not isinstance(when, str) or "T" not in when:
        raise ReadingInvalid({"taken_at": "a home reading needs its date and time with its offset"})
    fields = {}
    if kind == "bp":
        parts = {c.get("code"): _number(comp.get("valueQuantity"))
                 for comp in resource.get("component") or [] if isinstance(comp, dict)
                 for c in (comp.get("code") or {}).get("coding") or [] if isinstance(c, dict)}
        value = None
        fields = {name: parts.get(code) for name, (code, *_rest) in _PARTS.items()}
    else:
        value = _number(resource.get("valueQuantity"))
        fields["context"] = extension.get("context") if kind == "glucose" else None
    reading = check(patient_id, kind, value, when, today, author, born=born, uid=_identity(resource), **fields)
    rid = extension.get("id")
    return reading.model_copy(update={"id": rid if isinstance(rid, int) else None})
