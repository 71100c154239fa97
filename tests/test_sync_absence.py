"""Removal by absence only when certain (issue 17, docs/sync.md "Deletions by absence"): the fixes
for the outside attack of tests/test_attack_sync*.py, from the side that must still work. A paged
read taken while the server changed checks what it lacks by direct read, and removes what the
server says is gone; a DELETE the server reports spares what a file import gave; a changed view
keeps, and keeps keeping, what it cannot see; an older store's held list is migrated.

Loopback servers only (`Paged` of tests/test_attack17.py, its answers scripted per test; a direct
read `GET Observation/ID` is scripted as ("Observation/ID", 1)). Record shapes: the test_attack17
Observation; history entries as FHIR R4 http.html#history (request.method DELETE, request.url).
"""

from __future__ import annotations

import sqlite3

from connectors import smart
from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.store import Store
from tests.servers.loopback import Reply, outcome
from tests.test_attack17 import PATIENT, Paged, bundle, page_url
from tests.test_attack_sync import obs, page, shown, sync_once
from tests.test_attack_sync_counts import Granular


def _race(server: Paged) -> None:
    """Sync 2's pages as test_attack_sync's paging race: o1 deleted and o5 filed between pages."""
    server.script[("Observation", 1)] = Reply.json(bundle(server.base, [obs("o1"), obs("o2")], 4,
                                                          page_url(server, "Observation", 2)))
    late = obs("o5")
    late["meta"] = {"versionId": "1", "lastUpdated": "2026-06-01T00:00:05Z"}
    server.script[("Observation", 2)] = Reply.json(bundle(server.base, [obs("o4"), late], 4))


def test_a_paged_read_taken_while_the_server_changed_removes_what_a_direct_read_finds_gone(tmp_path):
    """As the attack's race, but the practice had also deleted o3: its direct read answers 410 Gone,
    so o3 is removed (and only o3); what page 1 listed stays."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs(f"o{n}") for n in range(1, 5)])
        sync_once(server, db)
        _race(server)
        server.script[("Observation/o3", 1)] = outcome(410, "deleted")
        report = sync_once(server, db)
        asked = [r.path for r in server.requests if r.path.startswith("/fhir/Observation/")]

    assert asked == ["/fhir/Observation/o3"]
    assert report.deleted == {"Observation": 1}
    assert shown(db) == {"o1", "o2", "o4", "o5"}


def test_a_paged_read_taken_while_the_server_changed_keeps_what_a_direct_read_finds(tmp_path):
    """The race again; o3's direct read answers the entry, this patient's: it is kept, nothing is
    removed, and no notice says the read was unsure (the check settled it)."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs(f"o{n}") for n in range(1, 5)])
        sync_once(server, db)
        _race(server)
        server.script[("Observation/o3", 1)] = Reply.json(obs("o3"))
        report = sync_once(server, db)

    assert not report.deleted
    assert shown(db) == {"o1", "o2", "o3", "o4", "o5"}
    assert not any("changed while it was being read" in note for note in report.fetched.notes)


def test_a_reported_delete_spares_an_entry_a_file_import_also_gave(tmp_path):
    """o7 came from a file and from the server; o2 from the server only. The server's `_history`
    then reports both deleted: o2 goes, o7 stays (the file still says the person has it)."""
    db = tmp_path / "ltc.db"
    deletes = {"resourceType": "Bundle", "type": "history", "entry": [
        {"request": {"method": "DELETE", "url": f"Observation/{rid}"}, "response": {"status": "204"}}
        for rid in ("o2", "o7")]}
    with Paged(history=lambda srv, request: Reply.json(deletes if "Observation" in request.path
                                                       else bundle(srv.base, [], 0))) as server:
        store = Store(db)
        import_items(store, [obs("o7")])
        store.close()
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2"), obs("o7")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [])
        report = sync_once(server, db, full=False)

    assert report.incremental and report.deleted == {"Observation": 1}
    assert shown(db) == {"o1", "o7"}


def test_entries_a_narrower_view_cannot_see_are_kept_on_later_syncs_too(tmp_path):
    """After the attack's scope change (everything, then labs-only), a second labs-only `--full`
    sync still keeps o-bp: the first said so and stopped holding it from that read, so no later
    read under the narrower view takes its absence as a deletion."""
    db = tmp_path / "ltc.db"
    with Granular() as server:
        store = Store(db)
        try:
            sync.sync_patient(store, server.base, PATIENT, "everything", sleep=lambda s: None, retries=0)
            first = sync.sync_patient(store, server.base, PATIENT, "labs-only", full=True, sleep=lambda s: None,
                                      retries=0)
            second = sync.sync_patient(store, server.base, PATIENT, "labs-only", full=True, sleep=lambda s: None,
                                       retries=0)
        finally:
            store.close()

    assert any("different permissions" in note and "1 entry" in note for note in first.fetched.notes), \
        first.fetched.notes
    assert not first.deleted and not second.deleted
    assert shown(db) == {"o-lab", "o-bp"}


def test_a_held_list_from_before_holders_is_the_persons(tmp_path):
    """A store whose `sync_held` has no holder column (the version before): on open every entry is
    the person's own, so the person's complete read still removes what the server dropped."""
    db = tmp_path / "ltc.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE sync_held")
    conn.execute("CREATE TABLE sync_held (server TEXT NOT NULL, patient_id TEXT NOT NULL, resource_type TEXT NOT"
                 " NULL, resource_id TEXT NOT NULL, PRIMARY KEY (server, patient_id, resource_type, resource_id))")
    conn.execute("INSERT INTO sync_held VALUES ('https://fhir.example.org/r4', ?, 'Observation', 'o1')", [PATIENT])
    conn.commit()
    conn.close()

    store = Store(db)
    try:
        assert store.held_ids("https://fhir.example.org/r4", PATIENT) == {"Observation": {"o1"}}
        assert store.held_ids("https://fhir.example.org/r4", PATIENT, "RelatedPerson/rp1") == {}
    finally:
        store.close()


class _RefreshAnswer:
    """The token endpoint's answer to a refresh that leaves `scope` out (RFC 6749 5.1: optional when
    it is the scope granted before), as a stand-in for `SmartHttp.post_form` (no network)."""

    def post_form(self, url: str, data: dict) -> dict:
        assert data["grant_type"] == "refresh_token"
        return {"access_token": "access-2", "token_type": "Bearer", "expires_in": 3600}


def test_a_refresh_that_leaves_the_scope_out_keeps_the_view(tmp_path):
    """A renewed token whose answer names no scope keeps the scope granted before, so the next sync
    is read under the same view and may still remove what is certainly gone (no false "different
    permissions" after every renewal)."""
    config = smart.SmartConfig("https://fhir.example.org/r4", "https://a/authorize", "https://a/token", "kept")
    tokens = smart.Tokens(config, "ltc-dashboard", "access-1", expires_at=1_800_000_000.0, refresh_token="refresh-1",
                          scope="patient/*.rs offline_access", patient=PATIENT, lifetime=3600)
    renewed = smart.refresh(tokens, _RefreshAnswer(), now=lambda: 1_800_000_000.0)

    assert renewed.scope == "patient/*.rs offline_access"
    assert sync.view_of(renewed.scope, renewed.access_token) == sync.view_of(tokens.scope, tokens.access_token)
