"""The gate's rules for a carer as a person, apart from what she may see in the record: who is
listed as a carer, whether a signed-in carer is still admitted, and whether a carer may still
sync over a kept connection (issue 19: these were a second rule in pages/state.py and ltc_dashboard/intake/sync.py;
now those only ask here). Split from ltc_dashboard/gate/access.py, which imports it and passes it the one
thing it cannot make itself: which RelatedPersons each patient's own view shows.

A carer who looks after several people has one RelatedPerson per person; sign-in groups them by
name. Fail closed throughout: permissions that cannot be read grant nothing, a list that cannot be
read admits no one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ltc_dashboard import fhir_read
from ltc_dashboard.gate.consent import read_access
from ltc_dashboard.gate.consent_window import related_person_valid


@dataclass(frozen=True)
class ProxyLink:
    """One person a proxy may act for: used to list carers at sign-in, never clinical data."""

    related_person_id: str
    patient_id: str
    proxy_name: str
    relationship: str | None
    active_now: bool


def links(store, today: dt.date, shown_to: Callable[[str], frozenset[str]]) -> list[ProxyLink]:
    """Every RelatedPerson in the store that the gate lets their patient see (`shown_to(patient_id)`
    gives those `RelatedPerson/id` keys), with whether a Consent lets them see their patient today.
    Each is read on its own: one whose permissions cannot be read is listed as having none, and
    never stops the others being listed."""
    found = []
    permissions: dict[str, list[dict]] = {}
    shown: dict[str, frozenset[str]] = {}  # patient id -> the RelatedPersons their own view shows
    for person in store.of_type("RelatedPerson"):
        patient_id = fhir_read.patient_of(person)
        if not patient_id or not isinstance(person.get("id"), str):
            continue
        if patient_id not in shown:
            shown[patient_id] = shown_to(patient_id)
        if f"RelatedPerson/{person['id']}" not in shown[patient_id]:
            continue  # hidden from the patient (a label, entered in error...): listed to no one
        if patient_id not in permissions:  # who may see what needs only these two types
            permissions[patient_id] = store.resources_for(patient_id, ("RelatedPerson", "Consent"))
        raw = permissions[patient_id]
        try:
            active = related_person_valid(raw, patient_id, person["id"], today) and read_access(
                raw, patient_id, f"RelatedPerson/{person['id']}", today).grants_any
        except Exception:  # noqa: BLE001  a permission the gate cannot read grants nothing
            active = False
        found.append(ProxyLink(
            related_person_id=person["id"], patient_id=patient_id,
            proxy_name=fhir_read.person_name(person) or f"RelatedPerson/{person['id']}",
            relationship=fhir_read.concept_text(person.get("relationship")), active_now=active,
        ))
    return found


def _listed(listed: Iterable[ProxyLink], patient_id: str, proxy_id: str | None, active: bool = False) -> bool:
    return any(link.related_person_id == proxy_id and link.patient_id == patient_id
               and (link.active_now or not active) for link in listed)


def still_admitted(viewer, listed: Callable[[], Iterable[ProxyLink]]) -> bool:
    """Whether a viewer is still one the sign-in page and a link would admit, asked at every run of
    a signed-in carer and when a sign-in is restored: a carer only while her RelatedPerson is
    listed for that patient (`links`: the gate shows it to the patient; a NOPAT-labelled new
    version hides her, H25); other viewers by who they are. A list that cannot be read admits no
    carer."""
    if viewer is None or viewer.kind != "proxy":
        return True
    try:
        found = list(listed())
    except Exception:  # noqa: BLE001  a list that cannot be read admits no carer
        return False
    return _listed(found, viewer.patient_id, viewer.proxy_id)


def may_sync(listed: Iterable[ProxyLink], patient_id: str, proxy_id: str, ever_held: Callable[[], bool]) -> bool:
    """Whether the carer `proxy_id` may still sync this record over a kept connection: listed to the
    person with a Consent that lets her see the record today; or a RelatedPerson the store has never
    held (`ever_held`: a carer's first sync is the server's to decide). One the store holds or held
    (hidden, inactive, withdrawn, deleted) that the gate does not admit today may not."""
    return _listed(listed, patient_id, proxy_id, active=True) or not ever_held()
