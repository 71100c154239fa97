"""The one `Summary` for a viewer and day (`core.py`), built from a `VisibleRecord` and the
condition views, and the pre-consultation sheet written from it (`sheet.py`)."""
