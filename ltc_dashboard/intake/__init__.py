"""What comes in, written into the store: a connector's items imported (`ingest.py`), a sync from a
FHIR server fetched whole and stored in one transaction (`sync.py`), what an upload may write
(`uploads.py`), and a device's home readings file read (`reading_csv.py`, with `reading_csv_table.py`
and `reading_csv_dates.py`)."""
