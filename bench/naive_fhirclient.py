"""The yardstick for `naive_fhirclient_ratio` (bench/sync_bench.py): one patient's record fetched
the way most people would write it with fhirclient, a search per type through
`FHIRSearch.perform_iter` (next links followed) with a fhirclient model built for every resource,
and `Binary.read` for each letter's content. Nothing is checked or stored.

The one file outside connectors/ that imports fhirclient (tests/test_architecture.py allows it):
it measures what the app does not do.
"""

from __future__ import annotations

import time

from fhirclient.auth import FHIROAuth2Auth
from fhirclient.models.binary import Binary
from fhirclient.models.fhirsearch import FHIRSearch
from fhirclient.server import FHIRServer

from connectors.fhir_server import APP_TYPES


def fetch(base: str, token: str, patient: str, resources: list[dict]) -> float:
    """Seconds to fetch and model the record."""
    client = FHIRServer(None, base_uri=base + "/")
    client.auth = FHIROAuth2Auth(state={"access_token": token})
    started, models = time.perf_counter(), 0
    for rtype in APP_TYPES:
        params = {"_id": patient} if rtype == "Patient" else {"patient": f"Patient/{patient}"}
        params["_count"] = "200"
        module = __import__(f"fhirclient.models.{rtype.lower()}", fromlist=[rtype])
        try:
            for bundle in FHIRSearch(getattr(module, rtype), struct=params).perform_iter(client):
                models += sum(1 for entry in bundle.entry or [] if entry.resource)  # built with the Bundle
        except Exception:  # noqa: BLE001  sekmet refuses some searches (Goal by patient): skipped
            continue
    for binary_id in [r["id"] for r in resources if r["resourceType"] == "Binary"]:
        Binary.read(binary_id, client)
    seconds = time.perf_counter() - started
    if not models:
        raise RuntimeError("fhirclient read no resources")
    return seconds
