"""Whether a viewer may act on a record: add a flag or comment, a home reading, book or cancel an
appointment, make a request to the practice, order a repeat (issue 21, attacks 21a and 21b).

One rule for every one of them, decided by the gate with the record's Consents read as it reads
them for seeing (ltc_dashboard/gate/consent.py, consent_rules.py): every provision at any depth, nested
permits and denies, `type`, `actor`, `period`, `purpose`, `class`, `code`, `data`, `dataPeriod` and
`securityLabel`, asking for R4 consent-action `correct` in its own system
(http://terminology.hl7.org/CodeSystem/consentaction) instead of `access`:

* the patient acts on their own record (what they can see of it); the clinic shared screen never;
* a carer acts on an entry only if some current Consent surely permits her `correct` for it and
  no Consent might deny it; a permit naming no action, or only other actions, grants no acting
  but sets the scope of its exceptions (clinical-reference §8.2: a nested provision can limit a
  proxy to MedicationRequests, repeat ordering); a `correct` of another code system, or with no
  system, grants nothing (its meaning is that system's);
* something new she would add (a reading, a booking, an order's Task) has no label and is dated
  today; its codes and references cannot be known, so a permit needing them never surely holds
  and a deny needing them might;
* a Consent about her that cannot be read, or a view the gate refuses, lets her do nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ltc_dashboard.gate.consent import Access, read_access
from ltc_dashboard.gate.consent_rules import ACTING
from ltc_dashboard.gate.snapshot import NO_DAY

WHOLE_RECORD = ""  # a request about the record as a whole: no resource type a class could name


@dataclass(frozen=True)
class Acting:
    """What one carer may act on: the kept entries (`Type/id`) and the Consents read for acting."""

    keys: frozenset = frozenset()
    access: Access | None = None


def carer_acting(permissions: list, patient_id: str, proxy_id: str, today: dt.date, snapshot, kept: dict,
                 texts: Callable[[], Iterable[tuple[str, str]]], decode) -> Acting:
    """The entries the gate passed (`kept`: key -> snapshot position) that the carer may act on,
    and the Consents read for acting; nothing when they cannot be read (fail closed)."""
    try:
        access = read_access(permissions, patient_id, f"RelatedPerson/{proxy_id}", today, ACTING)
        if access.unreadable:
            return Acting()
        if access.content_rules:
            access.use_content(texts(), decode)
        keys = set()
        for key, i in kept.items():
            day = snapshot.days[i]
            labels = frozenset(snapshot.labels.get(i, ()))
            if access.verdict(snapshot.types[i], labels, None if day == NO_DAY else day, key) == (True, False):
                keys.add(key)
    except Exception:  # noqa: BLE001  a permission the gate cannot read grants nothing
        return Acting()
    return Acting(frozenset(keys), access)


def may_act(visible, key: str | None = None, rtype: str | None = None) -> bool:
    """Whether the viewer of `visible` may act on the entry `key`, add something new of type
    `rtype` today (WHOLE_RECORD: a request about the record), or, given neither, act on anything."""
    viewer = visible.viewer
    if viewer.kind == "patient":
        return key is None or visible.sees(key)
    if viewer.kind != "proxy" or visible.denied_reason:
        return False
    acting: Acting = visible.acting
    if acting.access is None:
        return False
    if key is not None:
        return key in acting.keys
    if rtype is not None:
        return acting.access.verdict_unknown(rtype, visible.today.toordinal()) == (True, False)
    return bool(acting.keys)
