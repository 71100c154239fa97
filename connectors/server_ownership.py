"""Whether a resource a FHIR server returned is the signed-in patient's (connectors/fhir_server.py
stores only those): the one answer to "whose resource is this" (fhir_read.patient_of's keys and
reference forms, issue 19), plus the server's own rule that an absolute reference must be to this
server. Split from connectors/fhir_server.py to keep it under 400 lines."""

from __future__ import annotations

from ltc_dashboard import fhir_read

# Shared resources fetched because a record entry points at them: no patient of their own.
SHARED = frozenset({"Medication", "Binary"})


def ownership_problem(resource: dict, base_url: str, patient_id: str) -> str | None:
    """Why `resource` is not this patient's, or None when it names this patient."""
    rtype = resource["resourceType"]
    if rtype in SHARED:
        return None
    if rtype == "Patient":
        return None if resource.get("id") == patient_id else "another patient's record; not stored"
    if rtype == "Appointment":
        actors = [p.get("actor") for p in resource.get("participant") or [] if isinstance(p, dict)]
        refs = [a.get("reference") for a in actors if isinstance(a, dict)]
        return None if any(is_patient(r, base_url, patient_id) for r in refs) else "not this patient's; not stored"
    named = [r for key in fhir_read.PATIENT_KEYS if (r := fhir_read.reference(resource.get(key)))]
    if any(is_patient(r, base_url, patient_id) for r in named):
        return None
    return "not this patient's; not stored" if named else "does not say whose it is; not stored"


def is_patient(reference: object, base_url: str, patient_id: str) -> bool:
    """Whether a reference names this server's patient (fhir_read.patient_id_in reads every form;
    an absolute URL must be this server's)."""
    if not isinstance(reference, str):
        return False
    if reference.startswith(base_url):
        reference = reference[len(base_url):]
    elif "://" in reference:
        return False  # a Patient on another server
    return fhir_read.patient_id_in(reference) == patient_id
