"""Where the patient's own online record starts (clinical-reference §8.3): read from their
information-access Consent, strictly (a Consent that says more than a start fails closed). Split
from ltc_dashboard/gate/consent.py to keep it within the house's file size; ltc_dashboard/gate/access.py applies it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ltc_dashboard import fhir_read
from ltc_dashboard.gate.consent import _has_modifier, _in_force, _names, unknown_elements
from ltc_dashboard.gate.consent_rules import Reader, Rule, UnreadableConsent, bounds, objects, reference_key
from ltc_dashboard.record.dates import parse_or_none


# access_start's answer when the patient's own access Consent cannot be read: every dated entry
# is then outside the record (ltc_dashboard/gate/access.py says so to the viewer).
UNREADABLE_START = dt.date.max


def access_start(resources: Iterable[dict], patient_id: str, today: dt.date) -> dt.date | None:
    """The date the patient's own online record starts, or None for full access.

    Modelled (clinical-reference §8.3) as an active patient-privacy/INFA Consent whose actor is the
    Patient (or that names no actor) with `provision.dataPeriod.start`; an active patient-privacy
    Consent for the patient of another category (LOINC 59284-0, R4's own example) whose provision
    sets a data period counts too (fail closed: it limits the record rather than being ignored). With several, the most
    recent decision (Consent.dateTime) counts; when their order cannot be told, the latest start.
    Such a Consent that says more than a start the gate can apply (a deny for the patient at any
    depth, a class, code, label or data limit, an end to the data, an action or purpose other than
    viewing, a period that does not cover today) or cannot be read gives UNREADABLE_START."""
    patient = f"Patient/{patient_id}"
    found: list[tuple[dt.date | None, str, dt.date | None]] = []  # (decided day, decided text, start)
    for consent in resources:
        restricts, grants = _in_force(consent, patient_id) if consent.get("resourceType") == "Consent" else (0, 0)
        provision = consent.get("provision")
        if not grants and not (restricts and _sets_data_period(consent, patient)):
            continue
        try:
            if not isinstance(provision, dict) or _has_modifier(consent) or unknown_elements(consent):
                raise UnreadableConsent("provision")  # an element R4 Consent does not have: not understood
            if not _about_patient(provision, patient):
                continue  # someone else's access (a carer's)
            root = Reader(patient, today, resolve_absolute=True).rule(provision, True, True)
            if _only_grants(provision) and (root is None or not root.sure or root.labels or root.classes
                                            or root.codes or root.data):
                continue  # a permit that sets no start and denies nothing cannot narrow the record
            start = _patient_start(root, provision)
        except UnreadableConsent:
            return UNREADABLE_START
        decided = consent.get("dateTime")
        day = parse_or_none(decided) if isinstance(decided, str) else None
        found.append((day.day if day else None, decided if isinstance(decided, str) else "", start))
    if not found:
        return None
    if all(day is not None for day, _, _ in found) and len({(d, t) for d, t, _ in found}) == len(found):
        return max(found, key=lambda item: (item[0], item[1]))[2]
    return max((start for _, _, start in found), key=lambda s: s or dt.date.min)  # order unsure: latest start


def _sets_data_period(consent: dict, patient: str) -> bool:
    """Whether a Consent that might restrict access (`_in_force`: active, or its status or scope
    unreadable), for this patient but of a category other than information access, sets a data
    period in its top rule: then it is read as an access start."""
    about, provision = consent.get("patient"), consent.get("provision")
    return (isinstance(about, dict) and _names(about.get("reference"), patient)
            and isinstance(provision, dict) and provision.get("dataPeriod") is not None)


def _about_patient(provision: dict, patient: str) -> bool:
    """Whether a Consent's top rule is about the patient's own access: it names no actor or names
    the patient; UnreadableConsent when an actor might be the patient (a group, a reference the
    gate cannot resolve) and none surely is."""
    keys = set()
    for actor in objects(provision.get("actor"), "actor"):
        reference = actor.get("reference")
        text = reference.get("reference") if isinstance(reference, dict) else None
        keys.add((patient, True) if _names(text, patient) else
                 reference_key(text) if isinstance(text, str) else (None, False))
    if not keys or (patient, True) in keys:
        return True
    if any(key is None or key == patient or key.split("/", 1)[0] in ("Group", "CareTeam") for key, _ in keys):
        raise UnreadableConsent("actor")
    return False


def _only_grants(provision: dict) -> bool:
    """Whether a provision tree sets no data period and denies nothing anywhere: such a Consent can
    only add to what the person sees, so one whose permit does not surely cover their own viewing
    (the UK Core information-access example: a permit for purpose GOV) is no statement about where
    their record starts, and is passed over rather than read as unreadable."""
    return provision.get("dataPeriod") is None and provision.get("type", "permit") == "permit" and not any(
        node.get("type") == "deny" or node.get("dataPeriod") is not None for node in fhir_read.objects_in(provision))


def _patient_start(root: Rule | None, provision: dict) -> dt.date | None:
    """The start a patient's access Consent sets, or UnreadableConsent if it says more."""
    if root is None or not root.permit or not root.sure:
        raise UnreadableConsent("provision")  # not in force today, or not for viewing
    if root.labels or root.classes or root.codes or root.data:
        raise UnreadableConsent("provision")
    if any(not rule.permit for rule in root.walk()):
        raise UnreadableConsent("provision.provision")  # a deny for the patient
    _, end, start, _ = bounds(provision.get("dataPeriod"), "dataPeriod")
    if end is not None:
        raise UnreadableConsent("dataPeriod.end")
    return start
