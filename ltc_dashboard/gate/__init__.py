"""The one access gate: `access.open_record(store, viewer, today)` returns a `VisibleRecord`, and
nothing else reads clinical resources. Its rules: `policy.py` (labels, prognosis codes), the
Consents (`consent*.py`), carers (`carer_access.py`), acting for a record (`acting.py`), the shared
resources a visible entry points at (`shared.py`, `chains.py`, `medicines.py`), the person's own
content (`own_content.py`); and the record's snapshot, what the rules read of each resource and
what the mapping made of it, kept in the store and updated with each write (`snapshot/`, its
invariants at the top of its `__init__.py`)."""
