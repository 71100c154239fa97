"""What a carer is told their permission covers (issue 16), and whether their RelatedPerson is
valid: split from ltc_dashboard/gate/consent.py to keep it within the house's file size.

The dates are the real boundary of what the carer sees of clinical results (attack 16): a permit
limited to medicines never moves the start earlier or the end later, a deny over the first months
of the data moves the start, a data period with only an end is an end to the data, and a deny that
comes into force later (nested, or a Consent of its own) ends the permission then. They are read
from the carer's own permissions, never the entries, so they tell nothing about what is withheld.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ltc_dashboard import fhir_read
from ltc_dashboard.gate.consent import Access, _names, read_access
from ltc_dashboard.gate.consent_rules import UnreadableConsent, bounds, within

MAX_CHANGES = 64  # days ahead on which a permission may change that are read (more: no end is told)


@dataclass(frozen=True)
class CarerWindow:
    """`starts`: the first day of data a plain result is shown; `data_ends`: the last (None: no
    bound); `ends`: the last day the permission shows any result (None: no end known);
    `sees_results`: whether it shows a plain result at all today."""

    starts: dt.date | None = None
    data_ends: dt.date | None = None
    ends: dt.date | None = None
    sees_results: bool = False


def related_person_valid(resources: Iterable[dict], patient_id: str, proxy_id: str | None, today: dt.date) -> bool:
    """Whether the RelatedPerson exists for this patient and is active today (narrowly read)."""
    for person in resources:
        if person.get("resourceType") == "RelatedPerson" and person.get("id") == proxy_id:
            patient, active = person.get("patient"), person.get("active", True)
            if not isinstance(patient, dict) or not _names(patient.get("reference"), f"Patient/{patient_id}"):
                return False
            try:
                _, _, start, end = bounds(person.get("period"), "period")
            except UnreadableConsent:
                return False
            return active is True and within(today, start, end)
    return False


def carer_window(access: Access, resources: list, patient_id: str, proxy_id: str | None,
                 today: dt.date) -> CarerWindow:
    """What a carer is told: the span of data a plain result is shown (`Access.results_span`)
    today, and the day before the first day ahead on which it shows none (the Consents and the
    RelatedPerson read again as on that day: a period ending, a deny coming into force)."""
    if not access.grants_any:
        return CarerWindow()
    shown, starts, data_ends = access.results_span()
    if not shown:
        return CarerWindow()
    viewer, ends = f"RelatedPerson/{proxy_id}", None
    for day in _change_days(resources, today):
        later = read_access(resources, patient_id, viewer, day) if related_person_valid(
            resources, patient_id, proxy_id, day) else Access()
        if not later.grants_any or not later.results_span()[0]:
            ends = day - dt.timedelta(days=1)
            break
    return CarerWindow(starts, data_ends if data_ends is None or data_ends < today else None, ends, True)


def _change_days(resources: list, today: dt.date) -> list[dt.date]:
    """The days after today on which a Consent's or RelatedPerson's `period` starts or ends (each
    read wide and narrow), in order: when what the carer sees may change."""
    days = set()
    for resource in resources:
        if not isinstance(resource, dict) or resource.get("resourceType") not in ("Consent", "RelatedPerson"):
            continue
        for node in fhir_read.objects_in(resource):
            try:
                wide_start, wide_end, narrow_start, narrow_end = bounds(node.get("period"), "period")
            except UnreadableConsent:
                continue  # the Consent is unreadable as a whole: read_access says so
            days.update(d for d in (wide_start, narrow_start) if d)
            days.update(d + dt.timedelta(days=1) for d in (wide_end, narrow_end) if d and d < dt.date.max)
    ahead = sorted(d for d in days if d > today)
    return ahead[:MAX_CHANGES]
