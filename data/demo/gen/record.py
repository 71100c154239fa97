"""`Record` collects one patient's resources and builds the clinical ones with stable ids."""

from __future__ import annotations

import random

from .codes import FINDINGS, MEASURES
from .fhir import (CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, FLAG_CATEGORY,
                   INTERPRETATION, LOINC, SCT, SEED, add_days, at, coding, concept, obs_category,
                   quantity, ref, security, snomed)
from .practice import GP_ID, LAB_ID, NURSE_ID, PRACTICE_ID


def finding_concept(key: str, text: str | None = None) -> dict:
    """The CodeableConcept for a coded entry in codes.FINDINGS (text only when no code is known)."""
    code, display = FINDINGS[key]
    return snomed(code, display, text)


class Record:
    """One patient's resources in the order they are written to the bundle."""

    def __init__(self, prefix: str, patient_id: str, seed_offset: int):
        self.prefix = prefix
        self.patient_id = patient_id
        self.resources: list[dict] = []
        self.re_line = ""  # the "Re:" line for letters, set once the Patient is known
        self.rng = random.Random(SEED + seed_offset)

    # -- plumbing -----------------------------------------------------------------------------
    def add(self, resource: dict) -> dict:
        """Append a resource (giving it meta.versionId 1 unless it has a version) and return it."""
        meta = dict(resource.get("meta", {}))
        meta = {"versionId": meta.pop("versionId", "1"), **meta}
        rest = {key: value for key, value in resource.items()
                if key not in ("resourceType", "id", "meta")}
        ordered = {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta,
                   **rest}
        self.resources.append(ordered)
        return ordered

    def rid(self, *parts: str) -> str:
        """A readable, stable id: the patient prefix and the parts, joined by hyphens."""
        return "-".join([self.prefix, *parts])

    def subject(self) -> dict:
        """The reference to this record's Patient."""
        return ref("Patient", self.patient_id)

    def jitter(self, low: int, high: int) -> int:
        """A small seeded whole-number wobble (days or minutes) so dates look lived-in."""
        return self.rng.randint(low, high)

    # -- observations -------------------------------------------------------------------------
    def _observation(self, oid: str, code: dict, when: str, category: str, *, clock: str,
                     issued: str, performer: dict, status: str = "final",
                     labels: tuple[str, ...] = (), version: int = 1,
                     last_updated: str | None = None) -> dict:
        meta: dict = {"versionId": str(version)}
        if last_updated:
            meta["lastUpdated"] = last_updated
        if labels:
            meta["security"] = security(*labels)
        return {"resourceType": "Observation", "id": oid, "meta": meta, "status": status,
                "category": obs_category(category), "code": code, "subject": self.subject(),
                "effectiveDateTime": at(when, clock), "issued": issued,
                "performer": [performer]}

    def measure(self, key: str, when: str, value: float, *, status: str = "final",
                note: str | None = None, version: int = 1, last_updated: str | None = None,
                labels: tuple[str, ...] = (), suffix: str = "", clock: str | None = None,
                issued: str | None = None) -> dict:
        """A numeric result from codes.MEASURES, with range and interpretation where abnormal."""
        spec = MEASURES[key]
        lab = spec.category == "laboratory"
        clock = clock or (f"09:{10 + self.jitter(0, 40):02d}" if lab else "10:30")
        issued = issued or (at(add_days(when, 1), f"14:{self.jitter(0, 50):02d}") if lab
                            else at(when, "10:45"))
        performer = (ref("Organization", LAB_ID) if lab
                     else ref("Practitioner", NURSE_ID if key not in ("mmse", "sixcit", "das28",
                                                                      "karnofsky") else GP_ID))
        name = key.split("_")[0] if key.endswith(("_f", "_m")) else key
        oid = self.rid("obs", name, when + suffix)
        code = snomed(spec.code, spec.display)
        if spec.loinc:
            code["coding"].append(coding(LOINC, *spec.loinc))
        obs = self._observation(oid, code, when, spec.category,
                                clock=clock, issued=issued, performer=performer, status=status,
                                labels=labels, version=version, last_updated=last_updated)
        obs["valueQuantity"] = quantity(value, spec.unit, spec.ucum)
        flag = None
        if spec.high is not None and value > spec.high:
            flag = ("H", "High")
        elif spec.low is not None and value < spec.low:
            flag = ("L", "Low")
        if flag and status != "entered-in-error":
            obs["interpretation"] = [{"coding": [coding(INTERPRETATION, *flag)]}]
        if spec.low is not None or spec.high is not None:
            band: dict = {}
            if spec.low is not None:
                band["low"] = quantity(spec.low, spec.unit, spec.ucum)
            if spec.high is not None:
                band["high"] = quantity(spec.high, spec.unit, spec.ucum)
            band["text"] = spec.range_text
            obs["referenceRange"] = [band]
        if note:
            obs["note"] = [{"text": note}]
        return self.add(obs)

    def blood_pressure(self, when: str, systolic: int, diastolic: int, *,
                       labels: tuple[str, ...] = ()) -> dict:
        """A blood-pressure panel 75367002 with systolic and diastolic components [R1]."""
        obs = self._observation(self.rid("obs", "bp", when), snomed("75367002", "Blood pressure"),
                                when, "vital-signs", clock="10:20", issued=at(when, "10:40"),
                                performer=ref("Practitioner", NURSE_ID), labels=labels)
        parts = [("72313002", "Systolic arterial pressure", systolic, 140),
                 ("1091811000000102", "Diastolic arterial pressure", diastolic, 90)]
        obs["component"] = []
        for code, display, value, limit in parts:
            part = {"code": snomed(code, display),
                    "valueQuantity": quantity(value, "mmHg", "mm[Hg]")}
            if value >= limit:
                part["interpretation"] = [{"coding": [coding(INTERPRETATION, "H", "High")]}]
            obs["component"].append(part)
        return self.add(obs)

    def finding(self, key: str, when: str, category: str, *, value_text: str | None = None,
                value_code: tuple[str, str] | None = None, note: str | None = None,
                labels: tuple[str, ...] = (), text: str | None = None,
                author: str = GP_ID) -> dict:
        """A coded entry recorded as an Observation (how GP systems send most coded findings)."""
        obs = self._observation(self.rid("obs", key.replace("_", "-"), when),
                                finding_concept(key, text), when, category, clock="11:00",
                                issued=at(when, "11:15"), performer=ref("Practitioner", author),
                                labels=labels)
        if value_code:
            obs["valueCodeableConcept"] = snomed(*value_code)
        elif value_text:
            obs["valueCodeableConcept"] = concept(value_text)
        if note:
            obs["note"] = [{"text": note}]
        return self.add(obs)

    # -- problems, flags, plans -----------------------------------------------------------------
    def condition(self, key: str, onset: str, recorded: str, *, note: str | None = None,
                  category: str = "problem-list-item") -> dict:
        """An active, confirmed problem; onset and recorded date may be partial ("2009")."""
        res = {"resourceType": "Condition", "id": self.rid("cond", key.replace("_", "-")),
               "clinicalStatus": concept("Active", coding(CONDITION_CLINICAL, "active", "Active")),
               "verificationStatus": concept("Confirmed", coding(CONDITION_VERIFICATION,
                                                                 "confirmed", "Confirmed")),
               "category": [concept("Problem List Item" if category == "problem-list-item"
                                    else "Encounter Diagnosis",
                                    coding(CONDITION_CATEGORY, category))],
               "code": finding_concept(key), "subject": self.subject(),
               "onsetDateTime": onset, "recordedDate": recorded,
               "recorder": ref("Practitioner", GP_ID)}
        if note:
            res["note"] = [{"text": note}]
        return self.add(res)

    def flag(self, fid: str, code: dict, start: str, end: str | None = None,
             category: str = "clinical") -> dict:
        """An alert (register, CPR decision, attorney) with its period; `end` is a review date."""
        period = {"start": start}
        if end:
            period["end"] = end
        return self.add({"resourceType": "Flag", "id": self.rid("flag", fid), "status": "active",
                         "category": [concept(category.title(), coding(FLAG_CATEGORY, category))],
                         "code": code, "subject": self.subject(), "period": period,
                         "author": ref("Practitioner", GP_ID)})

    def goal(self, gid: str, description: str, start: str, *, targets: list[dict] | None = None,
             addresses: list[str] | None = None, note: str | None = None,
             status: str = "active") -> dict:
        """A Goal agreed with the patient; `targets` are ready-made Goal.target entries."""
        res = {"resourceType": "Goal", "id": self.rid("goal", gid), "lifecycleStatus": status,
               "description": {"text": description}, "subject": self.subject(),
               "startDate": start}
        if targets:
            res["target"] = targets
        if addresses:
            res["addresses"] = [ref("Condition", cid) for cid in addresses]
        res["expressedBy"] = ref("Practitioner", GP_ID)
        if note:
            res["note"] = [{"text": note}]
        return self.add(res)

    def care_plan(self, pid: str, title: str, category: dict, created: str, *,
                  description: str, activities: list[tuple[str, str]],
                  goals: tuple[str, ...] = (), addresses: tuple[str, ...] = (),
                  author: str = GP_ID, note: str | None = None) -> dict:
        """A CarePlan; each activity is (status, plain description)."""
        res = {"resourceType": "CarePlan", "id": self.rid("careplan", pid), "status": "active",
               "intent": "plan", "category": [category], "title": title,
               "description": description, "subject": self.subject(),
               "period": {"start": created}, "created": at(created, "12:00"),
               "author": ref("Practitioner", author)}
        if addresses:
            res["addresses"] = [ref("Condition", cid) for cid in addresses]
        if goals:
            res["goal"] = [ref("Goal", gid) for gid in goals]
        res["activity"] = [{"detail": {"status": status, "description": text}}
                           for status, text in activities]
        if note:
            res["note"] = [{"text": note}]
        return self.add(res)

    def procedure(self, pid: str, code: dict, when: str, note: str | None = None) -> dict:
        """A completed Procedure (e.g. anticipatory medicines prescribed)."""
        res = {"resourceType": "Procedure", "id": self.rid("proc", pid), "status": "completed",
               "code": code, "subject": self.subject(), "performedDateTime": at(when, "15:00"),
               "performer": [{"actor": ref("Practitioner", GP_ID)}]}
        if note:
            res["note"] = [{"text": note}]
        return self.add(res)

    def appointment(self, aid: str, when: str, clock: str, minutes: int, description: str, *,
                    with_id: str = NURSE_ID, status: str = "booked") -> dict:
        """An Appointment at the practice (issue 21): past ones fulfilled, missed or cancelled,
        upcoming ones booked. The room is named by display text alone (no Location resource)."""
        hours, mins = (int(p) for p in clock.split(":"))
        end = f"{hours + (mins + minutes) // 60:02d}:{(mins + minutes) % 60:02d}"
        return self.add({"resourceType": "Appointment", "id": self.rid("appt", aid), "status": status,
                         "description": description, "start": at(when, clock), "end": at(when, end),
                         "minutesDuration": minutes, "participant": [
                             {"actor": self.subject(), "status": "accepted"},
                             {"actor": ref("Practitioner", with_id), "status": "accepted"},
                             {"actor": {"type": "Location", "display": "The Example Surgery, Room 2 (demo)"},
                              "status": "accepted"}]})


def hba1c_goal_target(value: int) -> dict:
    """Goal.target for a personal HbA1c target, in the format of clinical-reference §2.1."""
    return {"measure": {"coding": [coding(SCT, "999791000000106")]},
            "detailQuantity": quantity(value, "mmol/mol")}


def practice_ref() -> dict:
    """The reference to the demo GP practice."""
    return ref("Organization", PRACTICE_ID)
