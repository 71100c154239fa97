"""The long-term condition dashboard, everything but the parts the brief names at the top of the
checkout. Read it in the order a record flows (docs/ARCHITECTURE.md draws it):

- `connectors/` (top level): FHIR from files and servers, as raw dicts; nothing of the project.
- `intake/`: what comes in, written into the store: an import (`ingest.py`), a sync from a
  server (`sync.py`), an upload (`uploads.py`), a device's home readings file (`reading_csv*.py`);
  which store is read and written, the demo store imported from `data/demo/` (`stores.py`).
- `store/`: SQLite. Raw resources, which copy wins, the person's own tables, the snapshot blobs.
- `gate/`: the one access gate. `access.open_record(store, viewer, today)` is the only reader of
  clinical resources; consent, carer and shared-screen rules, and the record's snapshot.
- `record/`: entries as typed models (`models.py`, `mapping*.py`), codes and tables
  (`terminology.py`), dates, units, doses, citations. Pure: no store, no gate.
- `conditions/` (top level): the condition views' clinical rules. Pure.
- `summary/`: the one `Summary` for a viewer and day (`core.py`) and the sheet (`sheet.py`).
- `exports/`: PDF, CSV, FHIR, calendar and own-content files from what the gate passed.
- `service/`: the one door pages and the CLI use (`core.Service`), holding the store.
- `cli/`: the `ltc` command (`main.py`).
- `pages/` (top level) with `app.py`: the Streamlit UI.

Modules every layer may read: `textsafe.py` (text written safely per medium) and
`preference_keys.py`, which import nothing of the project; `fhir_read.py` (raw FHIR read with its
types checked, entered-in-error and whose resource it is), which imports only `textsafe.py`; and
`settings.py` (the data folders, frozen today, login switch; it imports only `record/dates.py`),
read by `intake/stores.py`, the service, the CLI and pages.
"""
