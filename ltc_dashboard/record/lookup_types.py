"""Which resource types are looked up, and which need lookups: the one owner of these facts
(issue 19). The mapping (ltc_dashboard/record/mapping.py), the snapshot (ltc_dashboard/gate/snapshot/) and uploads
(ltc_dashboard/intake/uploads.py) read them here; tests/test_owner_lookup_types.py checks they are these very sets.

A letter is mapped with its Binary and its author, a medicine with its Medication: those types
are *looked up* through references, and the types that point at them *need lookups*, so the
snapshot maps them after every lookup has been read. Medicines, clinicians, organisations and
places belong to no patient (*shared*): the store keeps them apart and a record's snapshot reads
only those its entries point at.
"""

from __future__ import annotations

# The types whose mapping reads other resources through references (a medicine its Medication,
# a letter its Binary and author): mapped once every lookup has been read.
NEEDS_LOOKUPS = frozenset({"MedicationRequest", "MedicationStatement", "DocumentReference"})

# Resources of no patient that entries point at (store.shared reads them by `Type/id`).
SHARED_TYPES = frozenset({"Medication", "Practitioner", "PractitionerRole", "Organization", "Location"})

# Read only through the entries that point at them; they are lookups, not entries of the record,
# so they are not listed in `other`: the shared types and a letter's Binary.
REFERENCED_ONLY = SHARED_TYPES | {"Binary"}

# The people a letter's author or a medicine's recorder may be, besides clinicians.
_PEOPLE = ("RelatedPerson", "Patient")

# The types record.mapping_common.Index resolves references to, in the order they are read first:
# everything read only through references except a place (no entry's mapping reads a Location),
# and the people.
LOOKUP_TYPES = ("Binary", "Medication", "Practitioner", "PractitionerRole", "Organization", *_PEOPLE)

# Who may see a record and from when: the gate's permissions, kept apart in the snapshot.
PERMISSION_TYPES = ("Consent", "RelatedPerson")
