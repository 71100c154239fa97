"""A record's snapshot: what the access gate and the mapping derive from each stored resource,
kept in the store so that an open reads it instead of decoding and mapping every resource.

What a snapshot holds (layout.py `Snapshot`), one position per stored resource of one patient's
record, in stored order (the store's rowid order, `resource_texts_for`):

* the resource's **facts**, what the gate's rules read (facts.py): its type and `Type/id`, a
  digest of its stored text, security labels, flags (entered in error, prognosis or
  resuscitation, UNCHECKED: could not be classified), clinical day, references;
* its **entries**, what the mapping made of it (codec.py encodes them; ltc_dashboard/record/mapping.py maps),
  with the lookups (`Type/id`, found or not) a letter or medicine read on the way;
* and what is **record-wide**, worked out from all of them: who points at each position (the
  gate hides what points at a withheld entry), each list's order, the medicine groups, the
  shared resources (medicines, clinicians) pointed at with their labels, the Consents and
  RelatedPersons as stored (the gate's permissions).

Invariants, which the gate (ltc_dashboard/gate/access.py, its only reader) relies on:

1. A snapshot is for one **data version** of the store (the counter every write of resources
   bumps in its own transaction) and one code `VERSION` (codec.py: a digest of ltc_dashboard/record/, the
   terminology tables, ltc_dashboard/fhir_read.py, Python and the packages that shape entries). The gate uses
   a snapshot only as the snapshot of the data version it read; a kept one of another code
   version, or one that cannot be read (`Unreadable`), is derived again.
2. Whatever way it was made, it **equals `derive` of the record's stored resources at that data
   version**: position by position, facts, entries and every record-wide part.
3. It is kept (ltc_dashboard/store/snapshots.py) only if the data version has not moved since it was read,
   checked in the same SQL write; a write meanwhile drops it.
4. A resource whose facts or mapping failed is flagged UNCHECKED: the gate withholds it from
   every viewer and counts it. Nothing in a snapshot is trusted beyond the code that wrote it:
   a damaged blob is derived again, never read as facts.
5. A kept snapshot of an older data version is updated only when the change log PROVES what
   changed since: the data version, the kept snapshot and the log are read in one read
   transaction (ltc_dashboard/store/snapshots.py `kept_with_changes`: another session keeping the snapshot
   meanwhile, which drops the log up to it, is not seen), and the log holds a marker of every
   write between the kept snapshot's data version and now (`changes_since`). A write that
   logged nothing (older store code), an emptied log, or a log that starts later: derived
   whole. Never "no rows, so nothing changed".
6. Positions in a snapshot are not identities across snapshots: two snapshots of the same
   resources (one updated, one derived whole) must agree part by part (invariant 2), and what
   is shared between them (mapped.py `_Made`, while their digests match) is found by what
   cannot name another resource (a position under equal digests; a medicine group by the
   `Type/id` of its requests, never by its number in the list).

How it is made: the first open derives it whole (build.py). After a write, the next open
updates the last kept one with just the resources the write changed (changes.py), which the write
logged in its own transaction with its marker (ltc_dashboard/store/resources.py `_note_changes`); where a change could move
something the gate reads across the record (a consent, a label, a letter, a shared resource...),
it is derived whole instead. Invariant 2 is what tests/test_snapshot_update.py
checks on random sequences of writes.

Why the update is applied at the next open, not by the write: the store may not import the
record package (the layers' rule: ltc_dashboard/store/ keeps raw FHIR and knows nothing of the mapping); a
sync's one transaction stays as short as it was; and records nobody opens cost nothing. The
change log makes the open's work proportional to what changed.

The viewer's record is made from the rows the gate passed (mapped.py `map_visible`).
"""

from ltc_dashboard.gate.snapshot.build import derive
from ltc_dashboard.gate.snapshot.changes import update
from ltc_dashboard.gate.snapshot.codec import VERSION, Unreadable
from ltc_dashboard.gate.snapshot.layout import NO_DAY, Snapshot
from ltc_dashboard.gate.snapshot.mapped import map_visible

__all__ = ["NO_DAY", "VERSION", "Snapshot", "Unreadable", "derive", "map_visible", "update"]
