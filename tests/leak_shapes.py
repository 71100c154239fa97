"""Records over every resource type the store keeps, shaped the ways FHIR R4 allows: hand-made for
issue 13 ("the leak property over real shapes"); nothing here is derived from the samples.

`entry(rtype, mark)` builds one resource of a type with a marker (tests/leak_oracle.py MARKER) in
every text field it has: code/type text and display, narrative, notes, titles, valueString,
dosage text, attachment titles and base64 data. `base_record()` is the patient, a fully
permitted carer (rp1) and two visible controls whose markers must show. The shape families built
from these are in tests/test_leak_shapes.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

from leak_oracle import CLINICAL_DATES, PATIENT

SCT = "http://snomed.info/sct"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
DAY = "2025-06-01"  # after the access start every boundary case uses
START = dt.date(2023, 1, 1)
SHOWN_RESULT, SHOWN_LETTER = "SHOWNQ7R", "SHOWNQ7L"


class Marks:
    """Unique markers for one case: HIDQX7nnnnZ, all the same length, so none is part of another."""

    def __init__(self) -> None:
        self.count = 0
        self.carers = 0

    def carer_id(self) -> str:
        """A new carer's RelatedPerson id (no marker in it: ids are shown as references)."""
        self.carers += 1
        return f"rpc{self.carers}"

    def new(self) -> str:
        self.count += 1
        return f"HIDQX7{self.count:04d}Z"


def concept(label: str, mark: str, code: str | None = None, system: str = SCT) -> dict:
    found: dict = {"text": f"{label} {mark}"}
    if code:
        found["coding"] = [{"system": system, "code": code, "display": f"{label} {mark}"}]
    return found


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _body(rtype: str, m: str) -> dict:
    """The type's own elements, every text in them carrying the marker (R4 shapes)."""
    subject = {"reference": f"Patient/{PATIENT}", "display": f"Pat {m}"}
    med = {"medicationCodeableConcept": concept("Medicine", m)}
    bodies = {
        "Observation": {"status": "final", "code": concept("Result", m, "1000001"), "valueString": f"value {m}"},
        "Condition": {"clinicalStatus": {"coding": [{"code": "active"}]}, "code": concept("Problem", m, "1000002")},
        "MedicationRequest": {"status": "active", "intent": "order", **med,
                              "dosageInstruction": [{"text": f"dose {m}"}]},
        "MedicationStatement": {"status": "active", **med, "dosage": [{"text": f"dose {m}"}]},
        "MedicationDispense": {"status": "completed", **med, "dosageInstruction": [{"text": f"dose {m}"}]},
        "MedicationAdministration": {"status": "completed", **med, "dosage": {"text": f"dose {m}"}},
        "Procedure": {"status": "completed", "code": concept("Procedure", m, "1000003")},
        "DiagnosticReport": {"status": "final", "code": concept("Report", m), "conclusion": f"conclusion {m}"},
        "DocumentReference": {"status": "current", "type": concept("Letter type", m), "description": f"Letter {m}",
                              "content": [{"attachment": {"contentType": "text/plain", "title": f"Attachment {m}",
                                                          "data": b64(f"Letter body {m} words")}}]},
        "CarePlan": {"status": "active", "intent": "plan", "title": f"Plan {m}", "description": f"plan {m}",
                     "activity": [{"detail": {"status": "in-progress", "description": f"activity {m}",
                                              "code": concept("Activity", m)}}]},
        "Goal": {"lifecycleStatus": "active", "description": concept("Goal", m)},
        "Flag": {"status": "active", "code": concept("Flag", m)},
        "Encounter": {"status": "finished", "class": {"code": "AMB"}, "type": [concept("Visit", m)],
                      "reasonCode": [concept("Reason", m)]},
        "Immunization": {"status": "completed", "vaccineCode": concept("Vaccine", m)},
        "AllergyIntolerance": {"clinicalStatus": {"coding": [{"code": "active"}]}, "code": concept("Allergy", m),
                               "reaction": [{"description": f"reaction {m}",
                                             "manifestation": [concept("Rash", m)]}]},
        "Appointment": {"status": "booked", "description": f"Appointment {m}", "serviceType": [concept("Clinic", m)],
                        "end": "2025-06-01T10:30:00Z"},
        "ClinicalImpression": {"status": "completed", "code": concept("Review", m), "summary": f"summary {m}",
                               "description": f"impression {m}"},
        "QuestionnaireResponse": {"status": "completed", "item": [
            {"linkId": "1", "text": f"Question {m}", "answer": [{"valueString": f"answer {m}"}]}]},
        "Communication": {"status": "completed", "payload": [{"contentString": f"message {m}"}]},
        "ServiceRequest": {"status": "active", "intent": "order", "code": concept("Referral", m)},
        "FamilyMemberHistory": {"status": "completed", "relationship": concept("Mother", m),
                                "condition": [{"code": concept("Family illness", m)}]},
        "RiskAssessment": {"status": "final", "code": concept("Risk", m), "mitigation": f"mitigation {m}",
                           "prediction": [{"outcome": concept("Outcome", m)}]},
        "Composition": {"status": "final", "type": concept("Summary letter", m), "title": f"Composition {m}",
                        "author": [{"display": f"Dr {m}"}],
                        "section": [{"title": f"Section {m}", "text": {"status": "generated",
                                                                        "div": f"<div>section {m}</div>"}}]},
        "CareTeam": {"status": "active", "name": f"Team {m}"},
        "EpisodeOfCare": {"status": "active", "type": [concept("Episode", m)]},
        "DeviceRequest": {"status": "active", "intent": "order", "codeCodeableConcept": concept("Device", m)},
        "NutritionOrder": {"status": "active", "intent": "order", "oralDiet": {"type": [concept("Diet", m)]}},
        "Specimen": {"type": concept("Specimen", m)},
        "List": {"status": "current", "mode": "working", "title": f"List {m}", "code": concept("List", m)},
        "DetectedIssue": {"status": "final", "code": concept("Issue", m), "detail": f"issue {m}"},
        "ImagingStudy": {"status": "available", "description": f"Imaging {m}"},
        "Media": {"status": "completed", "content": {"contentType": "text/plain", "title": f"Media {m}",
                                                     "data": b64(f"media {m}")}},
        "Claim": {"status": "active", "use": "claim", "type": concept("Claim", m), "priority": concept("Normal", m),
                  "provider": {"display": f"Provider {m}"}},
        "ExplanationOfBenefit": {"status": "active", "use": "claim", "type": concept("Benefit", m),
                                 "outcome": "complete", "disposition": f"paid {m}"},
        # Types the gate learnt a clinical date for (issue 13 item 3), each with its R4 text fields.
        "AdverseEvent": {"actuality": "actual", "event": concept("Event", m)},
        "Basic": {"code": concept("Basic", m)},
        "ChargeItem": {"status": "billable", "code": concept("Charge", m)},
        "ClaimResponse": {"status": "active", "use": "claim", "type": concept("Response", m), "outcome": "complete",
                          "disposition": f"response {m}"},
        "CommunicationRequest": {"status": "active", "payload": [{"contentString": f"request {m}"}]},
        "Coverage": {"status": "active", "type": concept("Cover", m)},
        "CoverageEligibilityRequest": {"status": "active", "purpose": ["validation"], "item": [
            {"category": concept("Eligibility", m)}]},
        "CoverageEligibilityResponse": {"status": "active", "purpose": ["validation"], "outcome": "complete",
                                        "disposition": f"eligible {m}"},
        "DeviceUseStatement": {"status": "active", "reasonCode": [concept("Device use", m)]},
        "DocumentManifest": {"status": "current", "type": concept("Manifest", m), "description": f"manifest {m}"},
        "GuidanceResponse": {"status": "success", "moduleUri": "http://example.org/m",
                             "reasonCode": [concept("Guidance", m)]},
        "ImmunizationEvaluation": {"status": "completed", "targetDisease": concept("Disease", m),
                                   "doseStatus": concept("Dose", m), "description": f"evaluation {m}"},
        "ImmunizationRecommendation": {"recommendation": [{"vaccineCode": [concept("Vaccine due", m)],
                                                           "description": f"recommendation {m}"}]},
        "Invoice": {"status": "issued", "type": concept("Invoice", m)},
        "MeasureReport": {"status": "complete", "type": "individual", "measure": "http://example.org/m",
                          "period": {"start": "2020-01-01"}, "improvementNotation": concept("Better", m)},
        "RequestGroup": {"status": "active", "intent": "plan", "code": concept("Group", m)},
        "SupplyDelivery": {"status": "completed", "type": concept("Supply", m)},
        "VisionPrescription": {"status": "active", "lensSpecification": [
            {"product": concept("Lens", m), "eye": "right", "note": [{"text": f"lens {m}"}]}]},
    }
    body = bodies[rtype]
    patient_key = ("patient" if rtype in ("Immunization", "AllergyIntolerance", "FamilyMemberHistory",
                                          "EpisodeOfCare", "NutritionOrder", "DetectedIssue", "Claim",
                                          "ExplanationOfBenefit", "ClaimResponse", "CoverageEligibilityRequest",
                                          "CoverageEligibilityResponse", "ImmunizationEvaluation",
                                          "ImmunizationRecommendation", "SupplyDelivery", "VisionPrescription")
                   else "beneficiary" if rtype == "Coverage" else "subject")
    if rtype == "Appointment":
        body["participant"] = [{"actor": subject, "status": "accepted"}]
    else:
        body[patient_key] = subject
    return body


TYPES = tuple(sorted(CLINICAL_DATES))


def set_path(resource: dict, path: str, value: str) -> None:
    parts = path.split(".")
    node = resource
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def entry(rtype: str, mark: str, day: str | None = DAY, rid: str | None = None, date_path: str | None = None) -> dict:
    """One resource of `rtype` with `mark` in every text field, dated `day` in the type's first
    R4 clinical-date element (or `date_path`), and a narrative and note carrying the mark."""
    resource = {"resourceType": rtype, "id": rid or f"{rtype.lower()}-{mark.lower()}",
                "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{mark}</div>'},
                **_body(rtype, mark)}
    if rtype not in ("Encounter", "Communication", "Media", "Claim", "ExplanationOfBenefit", "CareTeam",
                     "EpisodeOfCare", "Specimen", "ImagingStudy", "DetectedIssue"):
        resource["note"] = [{"text": f"note {mark}"}]
    if day is not None:
        set_path(resource, date_path or CLINICAL_DATES[rtype][0], day)
    return resource


def shared(rtype: str, mark: str, rid: str | None = None) -> dict:
    """A shared resource (Medication, Practitioner, Organization, Location, PractitionerRole)."""
    rid = rid or f"{rtype.lower()}-{mark.lower()}"
    if rtype == "Medication":
        return {"resourceType": rtype, "id": rid, "code": concept("Medicine", mark)}
    if rtype == "Practitioner":
        return {"resourceType": rtype, "id": rid, "name": [{"text": f"Dr {mark}", "family": mark}]}
    if rtype == "PractitionerRole":
        return {"resourceType": rtype, "id": rid, "code": [concept("Role", mark)]}
    return {"resourceType": rtype, "id": rid, "name": f"{rtype} {mark}"}


def label(code: str, system: str | None = ACT) -> dict:
    return {"code": code} if system is None else {"system": system, "code": code}


def consent(cid: str, provision: dict, date: str = "2024-01-01") -> dict:
    """An active patient-privacy / information-access Consent (clinical-reference §8.2)."""
    return {"resourceType": "Consent", "id": cid, "status": "active", "dateTime": date,
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}],
            "patient": {"reference": f"Patient/{PATIENT}"}, "provision": provision}


def carer(rid: str, name: str = "Chris Carer") -> dict:
    return {"resourceType": "RelatedPerson", "id": rid, "active": True, "patient": {"reference": f"Patient/{PATIENT}"},
            "name": [{"text": name}]}


def carer_permit(rid: str, **elements) -> dict:
    """A permit for carer `rid`, valid today, with any further provision elements."""
    return {"type": "permit", "actor": [{"reference": {"reference": f"RelatedPerson/{rid}"}}],
            "period": {"start": "2020-01-01", "end": "2030-01-01"}, **elements}


def base_record(start: dt.date | None) -> list[dict]:
    """The patient, carer rp1 with a plain permit, the access-start Consent when `start` is set,
    and two controls every viewer may see: a result and a letter."""
    found = [{"resourceType": "Patient", "id": PATIENT, "name": [{"text": "Pat Shapes"}], "birthDate": "1950-02-03"},
             carer("rp1", "Robin Carer"), consent("consent-rp1", carer_permit("rp1"))]
    if start:
        found.append(consent("access-start", {"type": "permit", "actor": [{"reference": {"reference": f"Patient/{PATIENT}"}}],
                                              "dataPeriod": {"start": start.isoformat()}}, date="2023-01-01"))
    result = entry("Observation", SHOWN_RESULT, rid="control-result")
    letter = entry("DocumentReference", SHOWN_LETTER, rid="control-letter")
    return found + [result, letter]


def bundle(resources: list[dict], full_urls: dict[int, str] | None = None) -> dict:
    """A collection Bundle; `full_urls` gives some entries (by position) their fullUrl."""
    full_urls = full_urls or {}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{**({"fullUrl": full_urls[i]} if i in full_urls else {}), "resource": r}
                      for i, r in enumerate(resources)]}


def write_files(folder: Path, files: list) -> list[Path]:
    """Each item (a Bundle, or a list of resources made into one) as its own file, in order."""
    paths = []
    for i, item in enumerate(files):
        path = folder / f"{i:02d}.json"
        path.write_text(json.dumps(item if isinstance(item, dict) else bundle(item)))
        paths.append(path)
    return paths
