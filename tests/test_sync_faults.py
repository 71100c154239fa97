"""Faults during a sync, injected by a loopback proxy in front of sekmet: each one either recovers
(retries, Retry-After) or fails with a named error and leaves the store exactly as it was."""

from __future__ import annotations

import copy
import sqlite3

import pytest

from connectors.base import BadPayload, RateLimited, ServerError
from connectors.http import OffOrigin
from ltc_dashboard.intake import sync
from ltc_dashboard.store import Store
from tests.servers import sekmet as sk
from tests.servers.fixtures import proxy, server  # noqa: F401  (pytest fixtures)
from tests.servers.loopback import Recorder, edited, hang, status, truncated

pytestmark = pytest.mark.server


def run(proxy, db, patient_id, sleeps=None, **options):
    """Sync through the proxy, recording backoff waits instead of sleeping."""
    store = Store(db)
    try:
        return sync.sync_patient(store, proxy.base, patient_id, sk.TOKEN,
                                 sleep=(sleeps if sleeps is not None else []).append, **options)
    finally:
        store.close()


def snapshot(db) -> dict:
    """Every row of the tables a sync writes, to compare before and after."""
    conn = sqlite3.connect(db)
    try:
        return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall())
                for table in ("resources", "letter_text", "sync_state")}
    finally:
        conn.close()


def test_429_with_retry_after_is_waited_out(proxy, tmp_path):
    """A 429 with Retry-After: 7 makes the sync wait 7 seconds (on the injected clock) and go on."""
    proxy.on("/fhir/Observation?", status(429, {"Retry-After": "7"}))
    sleeps = []
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN, sleeps)

    assert sleeps == [7.0]
    assert report.counts["Observation"] == 414 and report.fetched.retries == 1


def test_long_retry_after_fails_without_waiting(proxy, tmp_path):
    """A Retry-After longer than we wait raises RateLimited at once, with the store untouched."""
    proxy.on("/fhir/Condition?", status(429, {"Retry-After": "3600"}))
    sleeps = []
    with pytest.raises(RateLimited) as raised:
        run(proxy, tmp_path / "ltc.db", sk.COLEMAN, sleeps)

    assert raised.value.retry_after == 3600 and sleeps == []
    assert snapshot(tmp_path / "ltc.db") == {"resources": [], "letter_text": [], "sync_state": []}


def test_a_500_is_retried_and_the_sync_completes(proxy, tmp_path):
    """One 500 answer is retried after a short backoff, and the sync completes."""
    proxy.on("/fhir/Encounter?", status(500))
    sleeps = []
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN, sleeps)

    assert sleeps == [1.0] and report.counts["Encounter"] == 45


def test_failed_sync_leaves_the_store_as_it_was_and_the_next_one_resumes(server, proxy, tmp_path):
    """Persistent 500s end the sync with ServerError and no change; the next sync picks up the change."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.MARGERY)
    before = snapshot(db)
    condition = next(r for r in Store(db).resources_for(sk.MARGERY) if r["resourceType"] == "Condition")
    changed = copy.deepcopy(condition)
    changed.pop("meta", None)
    changed["clinicalStatus"] = {"coding": [{"code": "resolved"}]}
    server.put(changed)
    proxy.on("/fhir/Procedure", status(503), times=-1)  # after Condition and Observation were fetched
    sleeps = []

    with pytest.raises(ServerError):
        run(proxy, db, sk.MARGERY, sleeps)
    assert sleeps == [1.0, 2.0, 4.0]
    assert snapshot(db) == before

    proxy.rules.clear()
    report = run(proxy, db, sk.MARGERY)
    stored = {r["id"]: r for r in Store(db).resources_for(sk.MARGERY)}
    assert report.counts == {"Condition": 1}
    assert stored[condition["id"]]["clinicalStatus"]["coding"][0]["code"] == "resolved"


def test_a_server_that_does_not_answer_times_out(proxy, tmp_path):
    """A request with no answer ends after the timeout, is retried, then fails with the store untouched."""
    proxy.on("/fhir/Patient?", hang, times=-1)  # the first request, so no other can be slow first
    sleeps = []
    with pytest.raises(ServerError, match="did not answer within 0.2 seconds"):
        run(proxy, tmp_path / "ltc.db", sk.COLEMAN, sleeps, timeout=0.2, retries=1)

    assert sleeps == [1.0]
    assert snapshot(tmp_path / "ltc.db")["resources"] == []


def test_a_truncated_page_fails_the_sync_cleanly(proxy, tmp_path):
    """A page cut off half way is a BadPayload naming the page; nothing is stored."""
    proxy.on(lambda r: "/fhir/Observation?" in r.path and "_offset=200" in r.path, truncated)
    with pytest.raises(BadPayload, match="not valid JSON"):
        run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

    assert snapshot(tmp_path / "ltc.db")["resources"] == []


def test_a_page_that_is_not_a_bundle_fails_the_sync(proxy, tmp_path):
    """An OperationOutcome where a search page should be is a BadPayload, not an empty result."""
    proxy.on("/fhir/Immunization?", edited(lambda page: page.clear() or page.update(
        {"resourceType": "OperationOutcome", "issue": []})))
    with pytest.raises(BadPayload, match="not a Bundle"):
        run(proxy, tmp_path / "ltc.db", sk.COLEMAN)


def test_a_next_link_to_another_origin_is_not_followed(proxy, tmp_path):
    """A next link on another origin fails the sync before anything is sent there: no token leaks."""
    with Recorder() as hostile:
        def point_elsewhere(page):
            for link in page["link"]:
                if link["relation"] == "next":
                    link["url"] = f"{hostile.root}/fhir/Observation?_offset=200"
        proxy.on("/fhir/Observation?", edited(point_elsewhere))
        with pytest.raises(OffOrigin):
            run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

        assert hostile.requests == [] and hostile.authorizations == []
    assert snapshot(tmp_path / "ltc.db")["resources"] == []


def test_another_patients_resource_is_reported_and_dropped(server, proxy, tmp_path):
    """A Condition of another patient slipped into the search is rejected and never stored."""
    foreign = server.read("Condition", _first_condition_id(server, sk.ISAIAH))
    proxy.on("/fhir/Condition?", edited(lambda page: page["entry"].append(
        {"fullUrl": f"{proxy.base}/Condition/{foreign['id']}", "resource": foreign, "search": {"mode": "match"}})))
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

    assert report.fetched.foreign == 1
    assert [r.reason for r in report.rejected] == ["not this patient's; not stored"]
    store = Store(tmp_path / "ltc.db")
    assert store.owner("Condition", foreign["id"]) is None
    assert store.patient_ids() == [sk.COLEMAN]
    assert report.counts["Condition"] == 21


def test_a_bad_entry_is_rejected_like_in_a_file(proxy, tmp_path):
    """An entry with an impossible date is rejected with the file connector's reason; the rest is stored."""
    def break_first(page):
        page["entry"][0]["resource"]["effectiveDateTime"] = "2019-02-30"
    proxy.on("/fhir/Observation?", edited(break_first))
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

    assert [(r.source, r.position, r.reason) for r in report.rejected] == [
        ("Observation search, page 1", "entry 1", "impossible date '2019-02-30' at effectiveDateTime")]
    assert report.counts["Observation"] == 413 and report.exit_code == 1


def _first_condition_id(server, patient_id: str) -> str:
    import requests

    page = requests.get(f"{server.base}/Condition", params={"patient": f"Patient/{patient_id}", "_count": "1"},
                        headers=server.headers(), timeout=30).json()
    return page["entry"][0]["resource"]["id"]
