"""Deletions a sync learns without `_history` (issue 17): after a complete full read of a kind (the
fallback when `_history` fails, or when a server without `_history` counts a different number than
the store holds from it), what that server gave for the patient before and no longer lists is
removed. A short read removes nothing; other kinds, other patients, entries from a file import and
what the person wrote are untouched. Against sekmet, with faults from the loopback proxy.

The entries deleted here are made by each test (copies of one of Almeda's Synthea observations under
new ids) and deleted by it, so the Synthea records other tests count are left as they were."""

from __future__ import annotations

import copy
import itertools

import pytest
import requests

from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.store import Store
from tests.servers import sekmet as sk
from tests.servers.fixtures import proxy, server  # noqa: F401  (pytest fixtures)
from tests.servers.loopback import edited, status
from tests.test_sync_faults import run

pytestmark = pytest.mark.server


def observations(db, patient_id: str) -> dict[str, dict]:
    store = Store(db)
    try:
        return {r["id"]: r for r in store.resources_for(patient_id) if r["resourceType"] == "Observation"}
    finally:
        store.close()


def kinds(db, patient_id: str) -> dict[str, int]:
    store = Store(db)
    try:
        counted: dict[str, int] = {}
        for resource in store.resources_for(patient_id):
            counted[resource["resourceType"]] = counted.get(resource["resourceType"], 0) + 1
        return counted
    finally:
        store.close()


_NUMBERS = itertools.count(1)


@pytest.fixture
def made(server):
    """Two new observations of Almeda's on the server ("gone" is deleted by the test, "stays" is
    not), copied from one of her Synthea observations; both removed from the server afterwards."""
    template = next(iter(observations_on_server(server, sk.ALMEDA)))
    ids = {}
    number = next(_NUMBERS)
    for role in ("gone", "stays"):
        copied = copy.deepcopy(template)
        copied.pop("meta", None)
        copied["id"] = f"sync-rest-{number}-{role}"
        server.put(copied)
        ids[role] = copied["id"]
    yield ids
    for rid in ids.values():  # "gone" is already deleted by then: sekmet may answer that with an error
        requests.delete(f"{server.base}/Observation/{rid}", headers=server.headers(), timeout=30)


def observations_on_server(server, patient_id: str) -> list[dict]:
    answer = requests.get(f"{server.base}/Observation", params={"patient": f"Patient/{patient_id}", "_count": "5"},
                          headers=server.headers(), timeout=30).json()
    return [e["resource"] for e in answer["entry"]]


def file_only_observation() -> dict:
    """An observation of Almeda's that came from a file, never from the server (made here)."""
    return {"resourceType": "Observation", "id": "from-a-file-1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "HbA1c"}]},
            "subject": {"reference": f"Patient/{sk.ALMEDA}"}, "effectiveDateTime": "2026-03-05T09:00:00Z",
            "valueQuantity": {"value": 52, "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                              "code": "mmol/mol"}}


def full_observation_reads(proxy) -> list[str]:
    return [r.path for r in proxy.requests if r.path.startswith("/fhir/Observation?")
            and "_lastUpdated" not in r.path and "_summary" not in r.path]


def test_an_entry_deleted_on_the_server_is_removed_after_the_fallback_full_read(server, proxy, tmp_path, made):
    """`_history` answers 500: Observation is read again in full, and the entry deleted on the server
    since the last sync is removed; the rest of the kind, the other kinds, another patient's record,
    an entry from a file import and the person's comment on the deleted entry all stay."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.ALMEDA)
    run(proxy, db, sk.COLEMAN)
    store = Store(db)
    import_items(store, [file_only_observation()])
    store.add_comment(sk.ALMEDA, "Observation", made["gone"], None, "comment", "Asked about this one", "patient")
    store.close()
    before, coleman = kinds(db, sk.ALMEDA), kinds(db, sk.COLEMAN)

    server.delete("Observation", made["gone"])
    proxy.on("/fhir/Observation/_history", status(500), times=-1)
    report = run(proxy, db, sk.ALMEDA)

    held = observations(db, sk.ALMEDA)
    assert report.complete and report.deleted == {"Observation": 1}
    assert made["gone"] not in held and made["stays"] in held and "from-a-file-1" in held
    assert kinds(db, sk.ALMEDA) == {**before, "Observation": before["Observation"] - 1}
    assert kinds(db, sk.COLEMAN) == coleman
    assert [c["text"] for c in Store(db).comments(sk.ALMEDA)] == ["Asked about this one"]
    assert ("Results and measurements: the server could not say what changed since the last sync, so all of them "
            "were read again. Any the server no longer has were removed here.") in report.fetched.notes


def test_a_short_full_read_removes_nothing_and_says_so(server, proxy, tmp_path, made):
    """The fallback full read is short (its total says one more than it sent): nothing is removed,
    the deleted entry stays, the sync is incomplete and the notice says nothing was removed."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.ALMEDA)
    server.delete("Observation", made["gone"])
    proxy.on("/fhir/Observation/_history", status(500), times=-1)

    def one_more(page: dict) -> None:
        page["total"] = page["total"] + 1
    proxy.on(lambda r: r.path.startswith("/fhir/Observation?") and "_lastUpdated" not in r.path,
             edited(one_more), times=-1)
    report = run(proxy, db, sk.ALMEDA)

    assert not report.complete and not report.deleted
    assert made["gone"] in observations(db, sk.ALMEDA)
    assert ("Results and measurements: the server could not say what changed since the last sync, so all of them "
            "were read again. That read was not complete, so nothing was removed: entries deleted on the server "
            "since the last sync may still show here.") in report.fetched.notes


def test_a_server_without_history_is_asked_to_count_and_read_in_full_when_the_count_differs(
        server, proxy, tmp_path, made):
    """No `_history` (404): one count request per kind. While the count matches what the store holds
    from the server, no kind is read in full; once an entry is deleted on the server, Observation is
    read in full and the deleted entry removed."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.ALMEDA)
    proxy.on(lambda r: "/_history" in r.path, status(404), times=-1)
    proxy.requests.clear()

    unchanged = run(proxy, db, sk.ALMEDA)
    assert not unchanged.deleted and full_observation_reads(proxy) == []
    assert [r for r in proxy.requests if r.path.startswith("/fhir/Observation?") and "_summary=count" in r.path]

    server.delete("Observation", made["gone"])
    proxy.requests.clear()
    report = run(proxy, db, sk.ALMEDA)

    assert report.deleted == {"Observation": 1} and len(full_observation_reads(proxy)) >= 1
    assert made["gone"] not in observations(db, sk.ALMEDA) and made["stays"] in observations(db, sk.ALMEDA)
    assert ("Results and measurements: this server does not say what was deleted, and it now holds a different "
            "number than this app has, so all of them were read again. Any the server no longer has were removed "
            "here.") in report.fetched.notes


def test_a_server_that_can_neither_give_history_nor_count_says_deletions_are_missed(server, proxy, tmp_path, made):
    """No `_history` and no count: nothing is removed, and the person is told plainly that entries
    deleted on that server may still show here."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.ALMEDA)
    proxy.on(lambda r: "/_history" in r.path or "_summary=count" in r.path, status(404), times=-1)
    server.delete("Observation", made["gone"])
    report = run(proxy, db, sk.ALMEDA)

    assert not report.deleted and made["gone"] in observations(db, sk.ALMEDA)
    assert ("Results and measurements: this server does not say what was deleted, so entries the practice "
            "deleted may still show here.") in report.fetched.notes


def test_a_full_sync_removes_what_the_server_no_longer_lists(server, tmp_path, made):
    """`full=True` (`ltc sync --full`) reads every kind in full, so it too removes an entry deleted on
    the server, even with a working `_history` unused."""
    db = tmp_path / "ltc.db"
    store = Store(db)
    sync.sync_patient(store, server.base, sk.ALMEDA, server.token)
    server.delete("Observation", made["gone"])
    report = sync.sync_patient(store, server.base, sk.ALMEDA, server.token, full=True)
    store.close()

    assert report.deleted == {"Observation": 1} and made["gone"] not in observations(db, sk.ALMEDA)


def test_an_entry_another_server_also_gave_is_kept_until_that_server_says_it_is_gone(server, proxy, tmp_path, made):
    """The same entry synced from two addresses (sekmet directly and through the proxy): the proxy's
    full read no longer listing it does not remove it while the other still holds it; that one's
    own sync (its `_history` reports the deletion) then does."""
    db = tmp_path / "ltc.db"
    store = Store(db)
    sync.sync_patient(store, server.base, sk.ALMEDA, server.token)
    store.close()
    run(proxy, db, sk.ALMEDA)
    server.delete("Observation", made["gone"])
    proxy.on("/fhir/Observation/_history", status(500), times=-1)

    through_proxy = run(proxy, db, sk.ALMEDA)
    assert not through_proxy.deleted and made["gone"] in observations(db, sk.ALMEDA)

    store = Store(db)
    direct = sync.sync_patient(store, server.base, sk.ALMEDA, server.token)
    store.close()
    assert direct.deleted == {"Observation": 1} and made["gone"] not in observations(db, sk.ALMEDA)


def test_a_full_read_with_a_match_that_names_no_id_removes_nothing(server, proxy, tmp_path, made):
    """One match of the fallback full read comes without its id (nor a fullUrl): the list of what the
    server holds cannot be trusted, so the entry deleted on the server is kept, not guessed at."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.ALMEDA)
    server.delete("Observation", made["gone"])
    proxy.on("/fhir/Observation/_history", status(500), times=-1)

    def unnamed_first_match(page: dict) -> None:
        entry = page["entry"][0]
        entry.pop("fullUrl", None)
        entry["resource"].pop("id", None)
    proxy.on(lambda r: r.path.startswith("/fhir/Observation?") and "_lastUpdated" not in r.path,
             edited(unnamed_first_match), times=1)
    report = run(proxy, db, sk.ALMEDA)

    assert not report.deleted and made["gone"] in observations(db, sk.ALMEDA)
    assert any(note.endswith("nothing was removed: entries deleted on the server since the last sync may still "
                             "show here.") for note in report.fetched.notes)
