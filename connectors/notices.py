"""What a sync tells the person about a server's limits and faults, in plain words (issue 17).

A server quirk used to reach the patient as "Goal: the server cannot search these by patient;
read the 0 ...". Every notice and every "incomplete" line a sync makes is worded here, naming the
kind of entry as a person knows it, with the FHIR type in brackets where an error must be exact.
"""

from __future__ import annotations

KIND_WORDS = {
    "Patient": "Personal details", "Condition": "Conditions", "Observation": "Results and measurements",
    "MedicationRequest": "Prescriptions", "MedicationStatement": "Medicines recorded",
    "AllergyIntolerance": "Allergies", "Immunization": "Vaccinations", "DocumentReference": "Letters",
    "CarePlan": "Care plans", "Goal": "Goals", "Flag": "Alerts", "Appointment": "Appointments",
    "Consent": "Consents (who may see the record)", "RelatedPerson": "Carers and relatives",
    "Procedure": "Procedures", "Encounter": "Consultations and visits", "DiagnosticReport": "Test reports",
    "Medication": "Medicine details", "Binary": "Letter contents",
}


def kind(rtype: str) -> str:
    """The kind of entry in plain words ("Results and measurements"), or the type itself."""
    return KIND_WORDS.get(rtype, rtype)


def short_read(rtype: str, received: int, total: int) -> str:
    """The server's total says more exist than arrived, and it gave no way to get the rest."""
    return (f"{kind(rtype)} ({rtype}): the server said there are {total:,}, but sent {received:,} "
            "and no way to get the rest.")


def refused(rtype: str, status: int | None) -> str:
    """A 401/403 on one kind: that kind is skipped, the rest kept."""
    code = f" (HTTP {status})" if status else ""
    return f"{kind(rtype)} ({rtype}): the server did not let this app read them{code}, so none were brought in."


def cut_short(rtype: str, received: int, total: int | None, status: int | None) -> str:
    """A later page of a search was refused: what arrived is kept, the rest is missing."""
    code = f" (HTTP {status})" if status else ""
    of = f" of {total:,}" if total is not None else ""
    return (f"{kind(rtype)} ({rtype}): the server refused the rest part-way{code}, so only {received:,}{of} "
            "were brought in.")


def not_searchable(rtype: str) -> str:
    return f"{kind(rtype)}: this server cannot look these up for one person, so none were brought in."


def goals_from_care_plans(count: int) -> str:
    if count == 0:
        return ("Goals: this server cannot look up goals for one person, and your care plans name none, "
                "so no goals were brought in.")
    return (f"Goals: this server cannot look up goals for one person, so the app brought in the "
            f"{count:,} that your care plans name.")


def no_history(rtype: str) -> str:
    return (f"{kind(rtype)}: this server does not say what was deleted, so entries the practice deleted "
            "may still show here.")


def history_failed(rtype: str, whole: bool) -> str:
    """`_history` failed, so the kind was read in full; whether that read came back whole."""
    start = f"{kind(rtype)}: the server could not say what changed since the last sync, so all of them were read again."
    return f"{start} {_after_full_read(whole)}"


def deletions_looked_for(rtype: str, whole: bool) -> str:
    """No `_history`, and the server's count differs from what is held: the kind was read in full."""
    start = (f"{kind(rtype)}: this server does not say what was deleted, and it now holds a different number "
             "than this app has, so all of them were read again.")
    return f"{start} {_after_full_read(whole)}"


def _after_full_read(whole: bool) -> str:
    if whole:
        return "Any the server no longer has were removed here."
    return ("That read was not complete, so nothing was removed: entries deleted on the server since the last "
            "sync may still show here.")


def no_total(rtype: str) -> str:
    """A full read whose pages never said how many there are: nothing is taken as deleted from it."""
    return (f"{kind(rtype)}: the server did not say how many it holds, so none were taken as deleted: entries "
            "the practice deleted may still show here.")


def unsure_read(rtype: str) -> str:
    """A full read paged while the server changed, and a direct check could not settle what is gone."""
    return (f"{kind(rtype)}: the server's list changed while it was being read, so none were taken as deleted: "
            "entries the practice deleted may still show here until the next sync.")


def view_changed(rtype_count: int) -> str:
    """The sign-in's permissions differ from the ones the record was read with before."""
    return (f"This sign-in was given different permissions than the last one, so {rtype_count:,} "
            f"{'entry' if rtype_count == 1 else 'entries'} it does not list were kept rather than taken as "
            "deleted: if the practice deleted them, they may still show here.")
