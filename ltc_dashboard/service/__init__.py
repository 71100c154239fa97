"""The one door pages and the CLI use: `core.Service` holds the store, opens records through the
gate and saves what the person writes. Its parts: bringing records in (`connect.py`), flags and
comments (`flags.py`), home readings (`readings.py`), requests for more of the record
(`record_requests.py`), repeat prescriptions (`repeats.py`), appointments (`appointments.py`)."""
