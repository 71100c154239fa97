"""The shared resources (medicines, clinicians, organisations) a record's visible entries point
at, as the gate reads them (ltc_dashboard/gate/access.py `open_record`): those a Consent denies withhold what
points at them; the rest are passed on with the record unless a label hides them. Split from
ltc_dashboard/gate/access.py to keep it within the house's file size; a gate module (it reads the store's
shared resources, which tests/test_architecture.py allows the gate alone)."""

from __future__ import annotations

from ltc_dashboard.gate.consent import Access
from ltc_dashboard.gate.policy import labels_of
from ltc_dashboard.gate.snapshot import NO_DAY, Snapshot


def withhold_denied_shared(store, snapshot: Snapshot, kept: dict[str, int], withheld: list[int],
                           access: Access) -> frozenset[str]:
    """Withhold the kept entries that point at a shared resource a Consent denies the viewer,
    taken as part of each entry (on its clinical day); the shared resources denied undated."""
    keys, days, undated = snapshot.keys, snapshot.days, set()
    wanted = {ref for ref, pointing in snapshot.shared_refs.items() if any(keys[i] in kept for i in pointing)}
    for resource in store.shared(wanted) if wanted else ():
        key = f"{resource.get('resourceType')}/{resource.get('id')}"
        denied = access.denied_bands(str(resource.get("resourceType")), frozenset(labels_of(resource)), key)
        if access.band(None) in denied:
            undated.add(key)
        for i in snapshot.shared_refs.get(key, ()) if denied else ():
            if keys[i] in kept and access.band(None if days[i] == NO_DAY else days[i]) in denied:
                del kept[keys[i]]
                withheld.append(i)
    return frozenset(undated)


def shared_resources(store, snapshot: Snapshot, kept: dict[str, int], hidden_labels) -> list[dict]:
    """Medicines, clinicians and organisations the visible entries point at."""
    keys = snapshot.keys
    wanted = {ref for ref, pointing in snapshot.shared_refs.items()
              if ref not in kept and any(keys[i] in kept for i in pointing)}
    if not wanted:
        return []
    return [r for r in store.shared(wanted) if not (labels_of(r) & hidden_labels)]
