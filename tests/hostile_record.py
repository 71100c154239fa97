"""A record whose every text field is hostile: Markdown images and links to other origins, HTML,
Streamlit shortcodes, a character reference and a right-to-left override (no tests of its own).

Hand-made for issue 13 item 9, in shapes FHIR R4 allows (Patient.name.given/family/text,
Condition.code.text, Observation.code.text/valueString/note, MedicationRequest
.medicationCodeableConcept.text and .dosageInstruction.text, DocumentReference.description/
type.text/attachment title and text, Goal.description.text/note, CarePlan.title/description/
activity.detail.description, RelatedPerson.name) on the shapes of data/demo/diabetes.json and
dementia.json. The carer has a Consent like the demo daughter's, so every viewer sees it all.
"""

from __future__ import annotations

import base64
import datetime as dt

PID, RP = "hz-patient", "hz-carer"
CARER_VIEWER = f"proxy:RelatedPerson/{RP}"
TRAP = "http://127.0.0.2:9"  # nothing listens there; any request to it is the failure
REVERSED = "\u202edesrever"  # U+202E then a word: shown, it would read backwards
SHORTCODES = ":material/home: :smile:"


def payload(field: str) -> str:
    """The hostile text put in one field (its name makes each field's text unique)."""
    return (f"{field} **bold** ![img]({TRAP}/{field}.png) <img src=\"{TRAP}/{field}-tag.png\"> "
            f"[link](javascript:alert(1)) ![other](https://evil.example/{field}.png) "
            f"&#8238; {SHORTCODES} {REVERSED} \u200bend")


def _concept(text: str, system: str | None = None, code: str | None = None) -> dict:
    concept: dict = {"text": text}
    if system:
        concept["coding"] = [{"system": system, "code": code}]
    return concept


def resources(today: dt.date) -> list[dict]:
    """The hostile record, dated around `today`."""
    subject = {"reference": f"Patient/{PID}"}
    day = lambda n: (today - dt.timedelta(days=n)).isoformat()  # noqa: E731
    hba1c = ("http://snomed.info/sct", "999791000000106")
    out: list[dict] = [
        {"resourceType": "Patient", "id": PID, "name": [{"given": [payload("given")], "family": "Hostile",
                                                        "text": payload("name")}],
         "birthDate": "1960-01-01", "gender": "female"},
        {"resourceType": "Condition", "id": "hz-diabetes", "subject": subject,
         "clinicalStatus": _concept("Active", "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}], "text": payload("condition")},
         "onsetDateTime": "2016-05-10"},
        {"resourceType": "MedicationRequest", "id": "hz-med", "status": "active", "intent": "order", "subject": subject,
         "medicationCodeableConcept": {"text": payload("medicine")}, "authoredOn": day(20),
         "dosageInstruction": [{"text": payload("dosage")}]},
        {"resourceType": "Observation", "id": "hz-other", "status": "final", "subject": subject,
         "code": {"text": payload("result-name")}, "effectiveDateTime": day(40),
         "valueString": payload("result-value"), "note": [{"text": payload("result-note")}]},
        {"resourceType": "DocumentReference", "id": "hz-letter", "status": "current", "subject": subject,
         "type": {"text": payload("letter-type")}, "description": payload("letter-title"), "date": day(10) + "T10:00:00Z",
         "content": [{"attachment": {"contentType": "text/plain", "title": payload("attachment-title"),
                                     "data": base64.b64encode(payload("letter-body").encode()).decode()}}]},
        {"resourceType": "Goal", "id": "hz-goal", "lifecycleStatus": "active", "subject": subject,
         "description": {"text": payload("goal")}, "startDate": day(100), "note": [{"text": payload("goal-note")}],
         "target": [{"measure": {"coding": [{"system": hba1c[0], "code": hba1c[1]}]},
                     "detailQuantity": {"value": 53, "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                                        "code": "mmol/mol"}}]},
        {"resourceType": "CarePlan", "id": "hz-plan", "status": "active", "intent": "plan", "subject": subject,
         "title": payload("plan-title"), "description": payload("plan-description"), "period": {"start": day(100)},
         "activity": [{"detail": {"status": "scheduled", "description": payload("plan-activity")}}]},
        {"resourceType": "RelatedPerson", "id": RP, "active": True, "patient": subject,
         "relationship": [_concept("Daughter", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "DAU")],
         "name": [{"given": [payload("carer")], "family": "Hostile", "text": payload("carer-name")}],
         "period": {"start": "2020-01-01"}},
        {"resourceType": "Consent", "id": "hz-consent", "status": "active",
         "scope": _concept("Privacy Consent", "http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
         "category": [_concept("information access", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "INFA")],
         "patient": subject, "dateTime": "2020-01-01",
         "provision": {"type": "permit", "period": {"start": "2020-01-01"},
                       "actor": [{"role": _concept("information recipient",
                                                    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                                  "reference": {"reference": f"RelatedPerson/{RP}"}}]}},
    ]
    for n, (value, days) in enumerate([(61, 400), (66, 200), (72, 30)]):
        out.append({"resourceType": "Observation", "id": f"hz-hba1c-{n}", "status": "final", "subject": subject,
                    "code": {"coding": [{"system": hba1c[0], "code": hba1c[1]}], "text": payload(f"hba1c-name-{n}")},
                    "effectiveDateTime": day(days), "note": [{"text": payload(f"hba1c-note-{n}")}],
                    "valueQuantity": {"value": value, "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                                      "code": "mmol/mol"}})
    return out


def bundle(today: dt.date) -> dict:
    """The hostile record as a collection Bundle."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources(today)]}
