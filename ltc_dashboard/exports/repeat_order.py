"""A repeat prescription order as the practice receives it (issue 21): an R4 `Task` for a FHIR
server that accepts one, or a plain-text message to copy, print or download.

Why a Task (docs/sync.md has the whole reasoning): `code` fulfill ("fulfill the focal request")
with `focus` the repeat MedicationRequest asks the practice to act on an authorisation that
already exists, which is what ordering a repeat is; the practice's issue is then a new
MedicationRequest based on the authorisation, as every issue is. A MedicationRequest with intent
`proposal` would come back in the next sync as a medicine entry of its own (R4: a suggestion from
someone without authority to prescribe), listed beside the repeat it asks for.

`order_identifier` is the order's own id, sent as the Task's identifier: a server asked again
(If-None-Exist) finds the Task already made instead of making a second.
"""

from __future__ import annotations

import datetime as dt
import uuid

from ltc_dashboard import fhir_read
from ltc_dashboard import textsafe
from ltc_dashboard.record.dates import UK, human

TASK_CODES = "http://hl7.org/fhir/CodeSystem/task-code"
URI = "urn:ietf:rfc:3986"


def order_identifier() -> str:
    """A new order's identifier: a random UUID as a URN."""
    return f"urn:uuid:{uuid.uuid4()}"


def if_none_exist(identifier: str) -> str:
    """The conditional-create search that finds a Task already made for this order."""
    return f"identifier={URI}|{identifier}"


def order_task(patient_id: str, focus_id: str, medication: str, ordered_at: dt.datetime, identifier: str,
               requester: str | None = None) -> dict:
    """The Task asking the practice to issue one repeat. `requester`: `RelatedPerson/ID` for a
    carer, else the patient; a carer's says it comes from a carer on the patient's behalf (the
    message form says so too), never "my"."""
    asks = (f"Please issue this repeat prescription, requested by a carer on the patient's behalf: {medication}"
            if requester else f"Please issue my repeat prescription: {medication}")
    return {
        "resourceType": "Task",
        "identifier": [{"system": URI, "value": identifier}],
        "status": "requested",
        "intent": "order",
        "code": {"coding": [{"system": TASK_CODES, "code": "fulfill", "display": "Fulfill the focal request"}],
                 "text": "Repeat prescription request"},
        "description": asks[:500],
        "focus": {"reference": f"MedicationRequest/{focus_id}", "display": medication[:200]},
        "for": {"reference": f"Patient/{patient_id}"},
        "authoredOn": ordered_at.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "requester": {"reference": requester or f"Patient/{patient_id}"},
    }


def order_message(person: str | None, born: dt.date | None, nhs_number: str | None, lines: list[tuple[str, str | None, dt.date | None]],
                  ordered_at: dt.datetime, by_carer: bool) -> str:
    """The order as a message to the practice, plain text. `lines`: (medicine, dose words, last
    issued). Record words are written as plain text (no control or invisible characters)."""
    day = human(ordered_at.astimezone(UK).date())
    who = textsafe.plain(person or "the patient")
    out = ["Repeat prescription request", "",
           f"Patient: {who}" + (f", born {human(born)}" if born else ""),
           *([f"NHS number: {textsafe.plain(nhs_number)}"] if nhs_number else []),
           f"Date of request: {day}",
           *(["Made by a carer on the patient's behalf."] if by_carer else []),
           "", "Please issue the following repeat medicines:"]
    for name, dose, last in lines:
        words = f"- {textsafe.plain(name)}"
        if dose:
            words += f" ({textsafe.plain(dose)})"
        words += f"; last issued on {human(last)}" if last else "; no issue recorded"
        out.append(words)
    out += ["", "Thank you."]
    return "\n".join(out) + "\n"


# -- a kept order as own content (a tagged Task: the demo records, an export restored) ------------
ORDER_EXTENSION = "https://ltc-dashboard.example/StructureDefinition/repeat-order"


def own_task(patient_id: str, row: dict, resource_id: str) -> dict:
    """A kept order row as a Task tagged own content (ltc_dashboard/exports/own_content.py TAG), with what FHIR
    has no element for (how it was ordered, its kept status, the last issue then, who ordered it)
    in one complex extension. `ordered_at` is the authoredOn."""
    from ltc_dashboard.exports.own_content import TAG

    ordered = dt.datetime.fromisoformat(row["ordered_at"])
    task = order_task(patient_id, row["medication_id"], row["medication"], ordered, row["identifier"],
                      row["author"].split(":", 1)[1] if row["author"].startswith("proxy:") else None)
    parts = [{"url": "how", "valueCode": row["how"]}, {"url": "status", "valueCode": row["status"]},
             {"url": "author", "valueString": row["author"]}]
    if row.get("last_issued"):
        parts.append({"url": "lastIssued", "valueDate": row["last_issued"]})
    return {"resourceType": "Task", "id": resource_id, "meta": {"tag": [TAG]}, **task,
            "status": "rejected" if row["status"] == "refused" else "requested",
            "extension": [{"url": ORDER_EXTENSION, "extension": parts}]}


def is_order(resource: dict) -> bool:
    """Whether an own-content resource is a kept repeat order."""
    return resource.get("resourceType") == "Task" and any(
        e.get("url") == ORDER_EXTENSION for e in fhir_read.objects(resource.get("extension")))


def order_row(resource: dict) -> tuple[str, dict] | None:
    """(patient id, the row to keep) from an own-content order Task, or None when it lacks what
    every order has (a patient, the repeat it is for, when, how, its status, who)."""
    def ref(value) -> str:
        text = value.get("reference") if isinstance(value, dict) else None
        return text if isinstance(text, str) else ""

    parts = {}
    for ext in fhir_read.objects(resource.get("extension")):  # any shape: a wrong type is no order
        if ext.get("url") == ORDER_EXTENSION:
            for part in fhir_read.objects(ext.get("extension")):
                if isinstance(part.get("url"), str):
                    parts[part["url"]] = next((v for k, v in part.items() if k.startswith("value")), None)
    patient, focus = ref(resource.get("for")), ref(resource.get("focus"))
    identifier = next((i.get("value") for i in fhir_read.objects(resource.get("identifier"))), None)
    try:
        ordered = dt.datetime.fromisoformat(str(resource.get("authoredOn")))
        ordered_at = ordered.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if ordered.tzinfo else None
    except (ValueError, OverflowError):  # not a time, or one that leaves the calendar in UTC (0001-01-01+01:00)
        return None
    if not (patient.startswith("Patient/") and focus.startswith("MedicationRequest/") and ordered_at
            and isinstance(identifier, str) and parts.get("how") in ("server", "message")
            and parts.get("status") in ("sending", "sent", "refused", "prepared") and isinstance(parts.get("author"), str)):
        return None
    focus_id = focus.split("/", 1)[1]
    display = (resource.get("focus") or {}).get("display")
    return patient.split("/", 1)[1], {
        "medication_id": focus_id, "medication": display if isinstance(display, str) and display else "a repeat medicine",
        "entry_ids": [focus_id], "last_issued": parts.get("lastIssued") if isinstance(parts.get("lastIssued"), str) else None,
        "ordered_at": ordered_at, "how": parts["how"],
        "server": None, "identifier": identifier, "status": parts["status"], "author": parts["author"],
    }
