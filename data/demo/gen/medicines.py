"""Medicines as UK GP systems send them: a repeat authorisation (MedicationRequest, intent plan)
and one MedicationRequest (intent order) per issue, each with courseOfTherapyType."""

from __future__ import annotations

import datetime as dt

from .fhir import SCT, TODAY, UCUM, add_days, coding, concept, day, ref, weekday
from .practice import GP_ID
from .record import Record

_COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
_COURSES = {"continuous": "Continuous long term therapy", "acute": "Short course (acute) therapy"}


def medicine(name: str, code: str | None = None) -> dict:
    """The medicine as the GP system names it (dm+d style), SNOMED-coded when the code is known."""
    if code:
        return concept(name, coding(SCT, code, name))
    return concept(name)


def _course(kind: str) -> dict:
    return {"coding": [coding(_COURSE, kind, _COURSES[kind])]}


def _supply(amount: int, unit: str, days: int | None) -> dict:
    out: dict = {"quantity": {"value": amount, "unit": unit}}
    if days:
        out["expectedSupplyDuration"] = {"value": days, "unit": "days", "system": UCUM,
                                         "code": "d"}
    return out


def repeat(rec: Record, key: str, name: str, code: str | None, *, dose: str, amount: int,
           unit: str, start: str, stop: str | None = None, interval: int = 56,
           reason: str | None = None, stop_reason: str | None = None,
           last_issue: str | None = None) -> list[dict]:
    """A repeat medicine: the authorisation from `start` (to `stop`, if stopped) and its issues
    every ~`interval` days; an active repeat's last issue falls within the last two months, unless
    `last_issue` says when the issues stopped while the authorisation stayed active (§11.1's
    ambiguous case: the ordering page does not offer it)."""
    plan_id = rec.rid("med", key)
    plan = {"resourceType": "MedicationRequest", "id": plan_id,
            "status": "stopped" if stop else "active", "intent": "plan"}
    if stop_reason:
        plan["statusReason"] = concept(stop_reason)
    plan.update({"courseOfTherapyType": _course("continuous"),
                 "medicationCodeableConcept": medicine(name, code), "subject": rec.subject(),
                 "authoredOn": start, "requester": ref("Practitioner", GP_ID)})
    if reason:
        plan["reasonReference"] = [ref("Condition", reason)]
    validity = {"start": start}
    if stop:
        validity["end"] = stop
    plan["dosageInstruction"] = [{"text": dose}]
    plan["dispenseRequest"] = {"validityPeriod": validity, **_supply(amount, unit, interval)}
    out = [rec.add(plan)]
    last = day(stop) if stop else day(last_issue) if last_issue else add_days(TODAY, -1)
    when = day(start)
    while when <= last:
        out.append(rec.add(_issue(rec, key, name, code, when, plan_id, dose, amount, unit,
                                  interval)))
        when = weekday(when + dt.timedelta(days=interval + rec.jitter(-3, 1)))
    return out


def _issue(rec: Record, key: str, name: str, code: str | None, when: dt.date, plan_id: str,
           dose: str, amount: int, unit: str, interval: int) -> dict:
    return {"resourceType": "MedicationRequest", "id": rec.rid("med", key, when.isoformat()),
            "status": "completed", "intent": "order",
            "courseOfTherapyType": _course("continuous"),
            "medicationCodeableConcept": medicine(name, code), "subject": rec.subject(),
            "authoredOn": when.isoformat(), "requester": ref("Practitioner", GP_ID),
            "basedOn": [ref("MedicationRequest", plan_id)],
            "dosageInstruction": [{"text": dose}],
            "dispenseRequest": _supply(amount, unit, interval)}


def acute(rec: Record, key: str, name: str, code: str | None, *, dose: str, amount: int,
          unit: str, when: str, status: str = "active", note: str | None = None) -> dict:
    """A one-off (acute) prescription."""
    res = {"resourceType": "MedicationRequest", "id": rec.rid("med", key, when), "status": status,
           "intent": "order", "courseOfTherapyType": _course("acute"),
           "medicationCodeableConcept": medicine(name, code), "subject": rec.subject(),
           "authoredOn": when, "requester": ref("Practitioner", GP_ID),
           "dosageInstruction": [{"text": dose}], "dispenseRequest": _supply(amount, unit, None)}
    if note:
        res["note"] = [{"text": note}]
    return rec.add(res)
