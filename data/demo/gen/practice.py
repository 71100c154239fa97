"""The shared resources every demo bundle carries, and the Patient builder.

The GP practice, its clinicians, the pathology laboratory and the hospital services that write
letters are all fictional. Each patient bundle repeats them (with identical content), so any one
file loads on its own and every reference in it resolves.
"""

from __future__ import annotations

from .fhir import NHS_NUMBER, ODS_CODE, coding, concept, ref

PRACTICE_ID = "demo-gp-practice"
LAB_ID = "demo-pathology-lab"
GP_ID = "demo-gp-priya-sample"
GP2_ID = "demo-gp-tom-example"
NURSE_ID = "demo-nurse-jo-demo"

_TOWN = "Testington"
_COUNTY = "Exampleshire"


def _address(line: str, postcode: str) -> dict:
    """A UK postal address in the fictional town of Testington."""
    return {"use": "work", "line": [line], "city": _TOWN, "district": _COUNTY,
            "postalCode": postcode, "country": "GB"}


def _organisation(org_id: str, name: str, line: str, postcode: str, phone: str,
                  ods: str | None = None) -> dict:
    """A fictional organisation; the ODS-style code (if any) is obviously not real."""
    out = {"resourceType": "Organization", "id": org_id, "meta": {"versionId": "1"}}
    if ods:
        out["identifier"] = [{"system": ODS_CODE, "value": ods}]
    out.update({"active": True, "name": name,
                "telecom": [{"system": "phone", "value": phone, "use": "work"}],
                "address": [_address(line, postcode)]})
    return out


def _practitioner(prac_id: str, prefix: str, given: str, family: str, role: str) -> dict:
    """A fictional clinician at the practice."""
    return {"resourceType": "Practitioner", "id": prac_id, "meta": {"versionId": "1"},
            "active": True,
            "name": [{"use": "official", "prefix": [prefix], "given": [given], "family": family,
                      "text": f"{prefix} {given} {family}"}],
            "qualification": [{"code": concept(role)}]}


SHARED = [
    _organisation(PRACTICE_ID, "The Example Surgery (demo)", "10 Sample Street", "TE1 2AB",
                  "01632 960 100", ods="DEMO01"),
    _organisation(LAB_ID, "Testington Pathology (demo)", "Testington General Hospital, Lab Road",
                  "TE2 3CD", "01632 960 200"),
    _practitioner(GP_ID, "Dr", "Priya", "Sample", "General practitioner"),
    _practitioner(GP2_ID, "Dr", "Tom", "Example", "General practitioner"),
    _practitioner(NURSE_ID, "Nurse", "Jo", "Demo", "Practice nurse"),
]

# Services that write letters; each bundle carries only the ones it uses.
EXTERNAL = {
    "demo-acute-trust": ("Testington General Hospital NHS Trust (demo)", "Hospital Road", "TE2 3CD",
                         "01632 960 300"),
    "demo-eye-screening": ("Exampleshire Diabetic Eye Screening Programme (demo)",
                           "Unit 4, Sample Park", "TE3 4EF", "01632 960 400"),
    "demo-hospice": ("St Example's Hospice (demo)", "Hospice Lane", "TE4 5GH", "01632 960 500"),
    "demo-memory-clinic": ("Testington Memory Assessment Service (demo)", "Elm Ward, Hospital Road",
                           "TE2 3CD", "01632 960 600"),
    "demo-adult-social-care": ("Exampleshire Adult Social Care (demo)", "County Hall",
                               "TE1 9ZZ", "01632 960 700"),
    "demo-mh-trust": ("Exampleshire Mental Health NHS Trust (demo)", "Willow House", "TE5 6JK",
                      "01632 960 800"),
}


def external(org_id: str) -> dict:
    """The Organization resource for one of the letter-writing services."""
    name, line, postcode, phone = EXTERNAL[org_id]
    return _organisation(org_id, name, line, postcode, phone)


def patient(patient_id: str, nhs_number: str, given: str, family: str, gender: str,
            birth_date: str, line: str, postcode: str, mobile: str,
            gp_id: str = GP_ID) -> dict:
    """A synthetic Patient registered at the demo practice."""
    return {
        "resourceType": "Patient", "id": patient_id, "meta": {"versionId": "1"},
        "identifier": [{
            "extension": [{
                "url": ("https://fhir.hl7.org.uk/StructureDefinition/"
                        "Extension-UKCore-NHSNumberVerificationStatus"),
                "valueCodeableConcept": concept("Number present and verified", coding(
                    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
                    "01", "Number present and verified"))}],
            "system": NHS_NUMBER, "value": nhs_number}],
        "active": True,
        "name": [{"use": "official", "given": [given], "family": family,
                  "text": f"{given} {family}"}],
        "telecom": [{"system": "phone", "value": mobile, "use": "mobile"}],
        "gender": gender,
        "birthDate": birth_date,
        "address": [{"use": "home", "line": [line], "city": _TOWN, "district": _COUNTY,
                     "postalCode": postcode, "country": "GB"}],
        "generalPractitioner": [ref("Organization", PRACTICE_ID, "The Example Surgery (demo)"),
                                ref("Practitioner", gp_id)],
        "managingOrganization": ref("Organization", PRACTICE_ID),
    }
