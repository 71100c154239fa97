"""MedicationRequest and MedicationStatement to `Medication`, with a GP's repeat issues grouped.

A GP record holds one MedicationRequest per issue of a repeat, so a year of metformin is twelve
resources. They are grouped by medicine and route (or form) into one `Medication` with every issue
date: an IV and an oral paracetamol request are two entries. Following GP Connect and
clinical-reference §11.1, a request with intent "plan" is the authorisation, not an issue: it gives
the group's status, end and repeat flag (the newest active one, when a medicine has several: §11.1
"an active authorisation" keeps it current whatever a later one says). A "proposal" is neither: R4
calls it a suggestion from someone without authority to prescribe, and §11.1 names no proposal. A continuous order that is not an issue of
another request is an authorisation too (`authorised`: it gives the status and end), though its
date still counts as an issue, as it always has. An active order that is neither based on
another request nor an acute course, and is the latest order for the medicine, any earlier one
stopped or cancelled (replaced, not issued), is a US-style order never re-issued (`active_order`):
current while active, whenever it was written.
"""

from __future__ import annotations

import dataclasses

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache

from ltc_dashboard.record import terminology
from ltc_dashboard.record.doses import dose_amount
from ltc_dashboard.record.kept_lookups import holds_record_words
from ltc_dashboard.record.mapping_common import (
    ConceptKey, Index, all_codings, as_dict, cacheable, concept_key, day, dicts, display, happened,
    key_codings, key_concept, number, string, uk_datetime,
)
from ltc_dashboard.record.models import DoseFact, Medication

LAST_ISSUE_EXTENSION = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationStatementLastIssueDate"
)
_NOT_ISSUES = frozenset({"plan", "proposal"})
_AUTHORISING = frozenset({"plan"})  # §11.1: an authorisation is intent plan (or a continuous order)
_COURSE_CONTINUOUS = ("continuous", "repeat")
_COURSE_ACUTE = ("acute",)
# Orders a later one replaced rather than issued (a US record renews an order, stopping the last).
_REPLACED = frozenset({"stopped", "cancelled", "entered-in-error"})
_SPACES = re.compile(r"\s+")
# An authorisation that was never in force.
_NEVER_IN_FORCE = frozenset({"cancelled", "entered-in-error"})


def map_medication(resource: dict, index: Index) -> Medication:
    """One MedicationRequest or MedicationStatement on its own, before grouping."""
    if resource.get("resourceType") == "MedicationStatement":
        return _statement(resource, index)
    return _request(resource, index)


def group_medications(singles: Iterable[Medication]) -> list[Medication]:
    """Requests for the same medicine merged into one; statements kept apart; newest first."""
    groups: dict[str, list[Medication]] = {}
    found: list[Medication] = []
    for single in singles:
        if single.kind == "statement":
            found.append(single)
        else:
            groups.setdefault(group_key(single), []).append(single)
    found.extend(merge(members) for members in groups.values())
    return in_medicine_order(found)


def in_medicine_order(medications: list[Medication]) -> list[Medication]:
    """Newest issue first, then by name and id."""
    return sorted(medications, key=lambda m: (-(m.last_issued or m.date or dt.date.min).toordinal(),
                                              m.name.casefold(), m.id))


def medicine_concept(resource: dict, index: Index) -> tuple[str | None, dict | None]:
    """The medicine's name and code: inline, or from the referenced or contained Medication."""
    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        return display(concept), concept
    reference = resource.get("medicationReference")
    medication = index.resolve(reference, "Medication", container=resource)
    if medication is not None and isinstance(medication.get("code"), dict):
        return display(medication["code"]), medication["code"]
    return string(as_dict(reference).get("display")), None


def _common(resource: dict, index: Index, kind: str) -> dict:
    name, concept = medicine_concept(resource, index)
    name = _SPACES.sub(" ", name) if name else None
    when = happened(resource)
    key = concept_key(concept)
    return {
        "id": string(resource.get("id")) or "unknown",
        "resource_type": "MedicationRequest" if kind == "request" else "MedicationStatement",
        "codings": key_codings(key),
        "text": name,
        "name": name or "Unnamed medicine",
        "kind": kind,
        "status": string(resource.get("status")),
        "date": when.day if when else None,
        "date_precision": when.precision if when else None,
        "classes": _classes(key, name),
        "reason_codings": all_codings(resource.get("reasonCode")),
        "ids": [string(resource.get("id")) or "unknown"],
        "route": _route(resource, index),
        "medicine_ref": None if name else _shared_reference(resource.get("medicationReference")),
    }


def _shared_reference(reference) -> str | None:
    """The Medication an unnamed request points at ("Medication/x"), when it is one the record
    shares between requests (not a contained "#x", which is each resource's own)."""
    text = string(as_dict(reference).get("reference"))
    return text if text and not text.startswith("#") else None


def _route(resource: dict, index: Index) -> str | None:
    """How the medicine is given: the first dosage's route, else the Medication's form, as words."""
    dosages = resource.get("dosageInstruction" if "dosageInstruction" in resource else "dosage")
    for dosage in dicts(dosages):
        words = display(dosage.get("route")) if isinstance(dosage.get("route"), dict) else None
        if words:
            return _SPACES.sub(" ", words)
    medication = index.resolve(resource.get("medicationReference"), "Medication", container=resource)
    form = medication.get("form") if medication is not None else None
    words = display(form) if isinstance(form, dict) else None
    return _SPACES.sub(" ", words) if words else None


def _classes(key: ConceptKey, name: str | None) -> frozenset[str]:
    """terminology.medicine_classes of a medicine's code and name; remembered for short ones
    (a year of repeats asks about the same medicine every month)."""
    if cacheable(key, name):
        return _cached_classes(key, name)
    return frozenset(terminology.medicine_classes(key_concept(key), text=name))


@holds_record_words
@lru_cache(maxsize=2048)
def _cached_classes(key: ConceptKey, name: str | None) -> frozenset[str]:
    return frozenset(terminology.medicine_classes(key_concept(key), text=name))


def _request(resource: dict, index: Index) -> Medication:
    """One MedicationRequest on its own (before grouping)."""
    fields = _common(resource, index, "request")
    dispense = as_dict(resource.get("dispenseRequest"))
    authored = day(resource.get("authoredOn"))
    issued = authored or day(as_dict(dispense.get("validityPeriod")).get("start"))
    intent = string(resource.get("intent"))
    course = _course(resource)
    based_on = bool(dicts(resource.get("basedOn")))
    ordered = intent not in _NOT_ISSUES
    authorisation = intent in _AUTHORISING or (ordered and course in _COURSE_CONTINUOUS and not based_on)
    # An active order that is not an issue of an authorisation nor an acute course: if no other
    # order for the medicine follows it (see `merge`), it is a US-style order never re-issued.
    standing = ordered and fields["status"] == "active" and not based_on and course not in _COURSE_ACUTE
    is_issue = ordered and issued is not None
    return Medication(
        **fields,
        doses=[_dose(resource.get("dosageInstruction"), fields, issued or fields["date"],
                     authorisation or standing, day(as_dict(dispense.get("validityPeriod")).get("end")),
                     _based_on(resource), intent, uk_datetime(resource.get("authoredOn")))],
        intent=intent,
        authored_on=authored,
        last_issued=issued if is_issue else None,
        issues=[issued] if is_issue else [],
        repeat=_is_repeat(resource, course),
        dosage_text=_dosage_text(resource.get("dosageInstruction")),
        authorised=authorisation,
        active_order=standing and not authorisation,
        end_date=day(as_dict(dispense.get("validityPeriod")).get("end")) if authorisation or standing else None,
    )


def _statement(resource: dict, index: Index) -> Medication:
    """One MedicationStatement (what the patient takes), with the UK Core last issue date."""
    fields = _common(resource, index, "statement")
    last = None
    for extension in dicts(resource.get("extension")):
        if extension.get("url") == LAST_ISSUE_EXTENSION:
            last = day(extension.get("valueDateTime")) or day(extension.get("valueDate"))
    started = day(as_dict(resource.get("effectivePeriod")).get("start")) or day(resource.get("effectiveDateTime"))
    return Medication(
        **fields,
        doses=[_dose(resource.get("dosage"), fields, started or day(resource.get("dateAsserted")) or fields["date"],
                     True, day(as_dict(resource.get("effectivePeriod")).get("end")))],
        end_date=day(as_dict(resource.get("effectivePeriod")).get("end")),
        authored_on=day(resource.get("dateAsserted")),
        last_issued=last,
        issues=[last] if last else [],
        repeat=_is_repeat(resource),
        dosage_text=_dosage_text(resource.get("dosage")),
    )


def _based_on(resource: dict) -> str:
    """The id of the request an issue was made from ("MedicationRequest/a" gives "a"), or ""."""
    for reference in dicts(resource.get("basedOn")):
        found = string(reference.get("reference"))
        if found:
            return found.rsplit("/", 1)[-1]
    return ""


def _dose(dosages, fields: dict, when: dt.date | None, standing: bool, end: dt.date | None,
          based_on: str = "", intent: str | None = None, authored_at: dt.datetime | None = None) -> DoseFact:
    """The resource's dose on its date, with its own status, whether it stands until it ends (an
    authorisation, a standing order, a statement) and its end (clinical-reference §11.9)."""
    amount, strength = dose_amount(dosages, fields["text"])
    return DoseFact(date=when, amount=amount, strength=strength, entry_id=fields["id"],
                    name=fields["name"], status=fields["status"], standing=standing, end=end,
                    based_on=based_on, intent=intent, authored_at=authored_at)


def group_key(medication: Medication) -> str:
    """What requests for the same medicine share: its name and the route (or form) it is given
    by; for an unnamed one, the Medication it points at (requests of one Medication resource are
    of one medicine, even when the record does not hold it), else its own id. The same medicine by
    mouth and into a vein is two entries."""
    if medication.name == "Unnamed medicine":
        return f"ref:{medication.medicine_ref}" if medication.medicine_ref else f"id:{medication.id}"
    return f"{medication.name.casefold()}|{(medication.route or '').casefold()}"


def merge(members: list[Medication]) -> Medication:
    """One Medication from every request for the same medicine."""
    def when(m: Medication) -> tuple:
        return (m.last_issued or m.authored_on or m.date or dt.date.min, m.id)

    members = sorted(members, key=when)
    latest = members[-1]
    # The authorisation, else the latest entry; a cancelled or mistaken authorisation was never in
    # force, so another one gives the status when there is one, and an active one gives it before
    # any other: §11.1 "an active authorisation" keeps the medicine current, and a second
    # authorisation stopped later (a duplicate made by mistake) does not end the first.
    plans = ([m for m in members if m.intent in _AUTHORISING]
             or [m for m in members if m.authorised])
    plans = [m for m in plans if m.status not in _NEVER_IN_FORCE] or plans
    plans = [m for m in plans if m.status == "active"] or plans
    status_from = plans[-1] if plans else latest
    orders = [m for m in members if m.intent not in _NOT_ISSUES]
    issues = sorted(d for m in members for d in m.issues)
    authored = [m.authored_on for m in members if m.authored_on]
    reasons: list[tuple[str, str]] = []
    for m in members:
        reasons.extend(pair for pair in m.reason_codings if pair not in reasons)
    return dataclasses.replace(latest, **{
        "status": status_from.status,
        "intent": status_from.intent,
        "authored_on": min(authored) if authored else None,
        "issues": issues,
        "last_issued": issues[-1] if issues else None,
        "date": issues[-1] if issues else latest.date,
        "repeat": any(m.repeat for m in members),
        "dosage_text": next((m.dosage_text for m in reversed(members) if m.dosage_text), None),
        "reason_codings": reasons,
        "classes": frozenset().union(*(m.classes for m in members)),
        "ids": [m.id for m in members],
        "doses": sorted((d for m in members for d in m.doses),
                        key=lambda d: (d.date or dt.date.min, d.entry_id)),
        "authorised": status_from.authorised,
        "end_date": status_from.end_date,
        "active_order": bool(orders) and orders[-1].active_order
                        and all(m.status in _REPLACED for m in orders[:-1]),
    })


def _course(resource: dict) -> str | None:
    """The course of therapy: "continuous" (also "repeat..."), "acute", another code, or None."""
    return _course_of(tuple(code for _, code, _ in concept_key(resource.get("courseOfTherapyType"))[1]))


@lru_cache(maxsize=256)
def _course_of(codes: tuple[str, ...]) -> str | None:
    """Every issue of a repeat names the same course: the answer is kept per set of codes."""
    for kind in (*_COURSE_CONTINUOUS, *_COURSE_ACUTE):
        if any(code.startswith(kind) for code in codes):
            return kind if kind in _COURSE_ACUTE else "continuous"
    return codes[0] if codes else None


def _is_repeat(resource: dict, course: str | None = None) -> bool:
    """Whether the GP set this up as a repeat (course of therapy, repeat extension or repeats)."""
    if (course or _course(resource)) == "continuous":
        return True
    for extension in dicts(resource.get("extension")):
        url = extension.get("url")
        if isinstance(url, str) and "repeatinformation" in url.casefold():
            return True
    repeats = number(as_dict(resource.get("dispenseRequest")).get("numberOfRepeatsAllowed"))
    return bool(repeats and repeats > 0)


def _dosage_text(dosages) -> str | None:
    """The dose instructions as written ("One tablet twice a day"), joined when there are several."""
    words = []
    for dosage in dicts(dosages):
        text = string(dosage.get("text")) or string(dosage.get("patientInstruction"))
        if text and text not in words:
            words.append(text)
    return "; ".join(words) or None
