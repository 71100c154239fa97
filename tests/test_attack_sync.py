"""Outside attack on deletion by absence after a complete full read (issue 17, docs/sync.md
"Deletions by absence"). Each test syncs a record from a loopback FHIR server (`Paged`, from
tests/test_attack17.py: pages scripted per test), changes what the server lists, syncs again in
full and checks what the store still shows. Tests that found a break are marked
xfail(strict=True) with the cause until fixed (branch fix-sync); the rest pin what held.

Record shapes: the Observation of tests/test_attack17.py (a systolic reading, SNOMED 271649006,
UCUM mm[Hg]); Bundle/searchset shapes from FHIR R4 http.html#search and bundle.html
(`search.mode` match/include, `total` optional, versioned fullUrls allowed on history only), as
HAPI and sekmet send them (see /work/shared/fhir-samples/ for real searchsets).
"""

from __future__ import annotations

import copy

import pytest

from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.store import Store
from tests.servers.loopback import Reply, outcome
from tests.test_attack17 import PATIENT, TOKEN, Paged, bundle, observation, page_url

OTHER = "p2"


def obs(rid: str, patient: str = PATIENT, value: int = 130) -> dict:
    """The test_attack17 Observation under another id (and patient)."""
    resource = copy.deepcopy(observation(1))
    resource["id"] = rid
    resource["subject"] = {"reference": f"Patient/{patient}"}
    resource["valueQuantity"]["value"] = value
    return resource


def page(server: Paged, resources: list[dict], total: int | None = None, **extra) -> Reply:
    """One whole searchset page of `resources`; `total` defaults to their number."""
    body = bundle(server.base, resources, len(resources) if total is None else total)
    if total is None and extra.get("no_total"):
        body.pop("total")
    return Reply.json(body)


def sync_once(server: Paged, db, patient: str = PATIENT, *, full: bool = True, base: str | None = None):
    store = Store(db)
    try:
        return sync.sync_patient(store, base or server.base, patient, TOKEN, full=full, sleep=lambda s: None,
                                 retries=0, page_size=50)
    finally:
        store.close()


def shown(db, patient: str = PATIENT) -> set[str]:
    """The ids of the Observations the store shows for `patient` (deleted ones left out)."""
    store = Store(db)
    try:
        return {r["id"] for r in store.resources_for(patient) if r["resourceType"] == "Observation"}
    finally:
        store.close()


# -- breaks ---------------------------------------------------------------------------------------
def test_an_included_entry_of_the_same_kind_is_not_removed_while_the_server_still_sends_it(tmp_path):
    """The Observation search page has o1 (mode match, total 1) and o2 (mode include: a member a
    panel points at, as servers add for `_include=Observation:has-member` or on their own), both
    this patient's. The first sync stores both. The second, `--full`, gets exactly the same page:
    nothing was deleted on the server, so nothing may be removed here. Shape: FHIR R4 bundle.html
    Bundle.entry.search.mode = include, in a searchset whose total counts matches only."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        body = bundle(server.base, [obs("o1"), obs("o2")], 1)
        body["entry"][1]["search"] = {"mode": "include"}
        server.script[("Observation", 1)] = Reply.json(body)
        sync_once(server, db)
        assert shown(db) == {"o1", "o2"}
        report = sync_once(server, db)

    assert not report.deleted, report.deleted
    assert shown(db) == {"o1", "o2"}


def test_a_full_read_without_a_total_removes_nothing(tmp_path):
    """Sync 1 lists o1 o2 o3 (total 3). Sync 2, `--full`: one page with o1 only, no `total`, no
    next link (a server that caps `_count` and sends no paging, the shape issue 17 reported, minus
    the total). Nothing says the read is whole, so what it lacks must not be taken as deleted.
    Shape: FHIR R4 Bundle.total is 0..1 ("only when the search set is complete"?) -- it may be left out."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2"), obs("o3")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1")], no_total=True)
        report = sync_once(server, db)

    assert not report.deleted, report.deleted
    assert shown(db) == {"o1", "o2", "o3"}


@pytest.mark.parametrize("file_first", [True, False])
def test_an_entry_imported_from_a_file_then_synced_is_not_removed_by_absence(tmp_path, file_first):
    """o7 is imported from a file (the person's own export) before the server first gives the same
    o7, or after (same id: a GP export and the GP's FHIR server share ids); then the server no longer
    lists it. The file still says the person has it: the rule says a file import is never removed
    by absence, so o7 stays. Shape: the test_attack17 Observation, imported as `ltc import` does."""
    db = tmp_path / "ltc.db"

    def from_file() -> None:
        store = Store(db)
        import_items(store, [obs("o7")])
        store.close()

    if file_first:
        from_file()
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o7")])
        sync_once(server, db)
        if not file_first:
            from_file()
        server.script[("Observation", 1)] = page(server, [obs("o1")])
        report = sync_once(server, db)

    assert "o7" in shown(db), report.deleted


def test_a_full_read_taken_while_the_server_changed_does_not_remove_what_shifted_past_it(tmp_path):
    """Offset paging, 2 per page. Sync 1 stores o1 o2 o3 o4. Sync 2 (`--full`): page 1 (server time
    06-01T00:00:00Z, total 4) is o1 o2; before page 2 is asked, the practice deletes o1 and files
    o5 (lastUpdated 00:00:05Z, after page 1's time), so the list is o2 o3 o4 o5 and offset 2 gives
    o4 o5. Distinct matches o1 o2 o4 o5 = 4 = total, yet o3, still on the server, was never read:
    it must not be removed. Shape: HAPI-style `_getpagesoffset` paging (FHIR R4 http.html#paging:
    "the server may ... return different results" when the data changes between pages)."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs(f"o{n}") for n in range(1, 5)])
        sync_once(server, db)
        server.script[("Observation", 1)] = Reply.json(bundle(server.base, [obs("o1"), obs("o2")], 4,
                                                              page_url(server, "Observation", 2)))
        late = obs("o5")
        late["meta"] = {"versionId": "1", "lastUpdated": "2026-06-01T00:00:05Z"}
        server.script[("Observation", 2)] = Reply.json(bundle(server.base, [obs("o4"), late], 4))
        report = sync_once(server, db)

    assert "o3" in shown(db), report.deleted


def test_an_entry_the_server_lists_again_in_an_older_version_shows_again(tmp_path):
    """Sync 1 stores o2 at version 2 (lastUpdated 2026-05-02). The server loses it (sync 2, full:
    removed by absence, no DELETE was ever reported). The practice restores the server from the
    1 May backup: sync 3's complete full read lists o2 at version 1 (lastUpdated 2026-05-01). The
    server holds it and says so whole: it must show again. Shape: the test_attack17 Observation with
    R4 Meta.versionId / Meta.lastUpdated, as HAPI sends them."""
    newer, older = obs("o2", value=131), obs("o2", value=130)
    newer["meta"] = {"versionId": "2", "lastUpdated": "2026-05-02T09:00:00+01:00"}
    older["meta"] = {"versionId": "1", "lastUpdated": "2026-05-01T09:00:00+01:00"}
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), newer])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1"), older])
        sync_once(server, db)
        again = sync_once(server, db)

    assert not again.deleted
    assert shown(db) == {"o1", "o2"}


# -- held -----------------------------------------------------------------------------------------
def test_an_entry_the_server_deleted_is_removed_after_a_full_read(tmp_path):
    """The baseline the other tests vary: o2 gone from a complete `--full` read is removed, o1 stays."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1")])
        report = sync_once(server, db)

    assert report.deleted == {"Observation": 1}
    assert shown(db) == {"o1"}


def test_ids_differing_only_in_case_are_two_entries(tmp_path):
    """FHIR ids are case-sensitive ([A-Za-z0-9-.]): "bp" and "BP" are two Observations. The server
    stops listing "BP": only "BP" is removed, "bp" stays (and the reverse after that)."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("bp", value=121), obs("BP", value=141)])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("bp", value=121)])
        first = sync_once(server, db)
        after_first = shown(db)
        server.script[("Observation", 1)] = page(server, [obs("BP", value=141)])
        sync_once(server, db)

    assert first.deleted == {"Observation": 1} and after_first == {"bp"}
    assert shown(db) == {"BP"}


def test_a_total_higher_than_what_arrived_removes_nothing(tmp_path):
    """Sync 2's only page has o1 but says total 2 (wrong upward, or a cut page): a short read,
    so o2 stays and the sync is incomplete."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1")], total=2)
        report = sync_once(server, db)

    assert not report.deleted and not report.complete
    assert shown(db) == {"o1", "o2"}


def test_a_repeated_entry_with_a_versioned_full_url_does_not_make_up_the_total(tmp_path):
    """Sync 2: total 2, o1 twice (the second with a versioned fullUrl `.../Observation/o1/_history/2`,
    as a server reading from its history table sends it) and o2 dropped. Distinct matches are 1 of
    2: a short read, o2 stays."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        body = bundle(server.base, [obs("o1"), obs("o1")], 2)
        body["entry"][1]["fullUrl"] = f"{server.base}/Observation/o1/_history/2"
        server.script[("Observation", 1)] = Reply.json(body)
        report = sync_once(server, db)

    assert not report.deleted and not report.complete
    assert shown(db) == {"o1", "o2"}


def test_a_kind_refused_on_the_full_read_removes_nothing(tmp_path):
    """Sync 2, `--full`: the Observation search answers 403 (a scope the carer lost): that kind is
    skipped with a notice, and nothing of it is removed."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        server.script[("Observation", 1)] = outcome(403, "insufficient_scope")
        report = sync_once(server, db)

    assert not report.deleted and not report.complete
    assert shown(db) == {"o1", "o2"}


def test_two_servers_giving_the_same_entry_each_must_drop_it(tmp_path):
    """Two servers (the GP's and the hospital's) give the same o1 for the person. The first stops
    listing it: o1 stays (the other still holds it). The second stops too: then it is removed."""
    db = tmp_path / "ltc.db"
    with Paged() as first, Paged() as second:
        for server in (first, second):
            server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
            sync_once(server, db)
        first.script[("Observation", 1)] = page(first, [obs("o2")])
        one = sync_once(first, db)
        after_one = shown(db)
        second.script[("Observation", 1)] = page(second, [obs("o2")])
        two = sync_once(second, db)

    assert not one.deleted and after_one == {"o1", "o2"}
    assert two.deleted == {"Observation": 1} and shown(db) == {"o2"}


def test_a_failure_after_the_fetch_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    """The store fails while recording what the server holds (after the removals were applied in
    the transaction): nothing of the sync stays: o2 still shown, the held list and the marks as before."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        store = Store(db)
        held, marks = store.held_ids(server.base, PATIENT), store.sync_marks(server.base, PATIENT)
        store.close()
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o3")])

        def broken(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(Store, "hold", broken)
        with pytest.raises(RuntimeError):
            sync_once(server, db)
        monkeypatch.undo()
        store = Store(db)
        assert store.held_ids(server.base, PATIENT) == held and store.sync_marks(server.base, PATIENT) == marks
        store.close()

    assert shown(db) == {"o1", "o2"}


def test_an_entry_moved_to_another_patient_is_filed_under_the_new_one(tmp_path):
    """o5 was p1's and the practice refiles it under p2 (new version). Order 1: p1 syncs first (o5
    removed from p1), then p2 (o5 under p2). Order 2 (a second store): p2 first, then p1 (o5 is no
    longer p1's, so p1's read does not remove it). Either way p2 shows o5 and p1 does not."""
    for order in ((PATIENT, OTHER), (OTHER, PATIENT)):
        db = tmp_path / f"ltc-{order[0]}.db"
        with Paged() as server:
            server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o5")])
            sync_once(server, db)
            moved = obs("o5", OTHER)
            moved["meta"] = {"versionId": "2", "lastUpdated": "2026-05-01T10:00:00+01:00"}

            for patient in order:
                if patient == OTHER:
                    server.script[("Observation", 1)] = page(server, [moved])
                    server.script[("Patient", 1)] = page(server, [{"resourceType": "Patient", "id": OTHER}])
                else:
                    server.script[("Observation", 1)] = page(server, [obs("o1")])
                    server.script[("Patient", 1)] = page(server, [{"resourceType": "Patient", "id": PATIENT}])
                sync_once(server, db, patient)
        assert shown(db, PATIENT) == {"o1"}, order
        assert shown(db, OTHER) == {"o5"}, order


def test_an_entry_recreated_after_removal_comes_back_and_can_go_again(tmp_path):
    """o2 is removed by absence, then the server lists it again byte for byte (restored from a
    backup: same id, same content, no meta): it shows again, is held again, and its second removal
    is found too."""
    db = tmp_path / "ltc.db"
    with Paged() as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1")])
        sync_once(server, db)
        gone = shown(db)
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        back = shown(db)
        server.script[("Observation", 1)] = page(server, [obs("o1")])
        again = sync_once(server, db)

    assert gone == {"o1"} and back == {"o1", "o2"}
    assert again.deleted == {"Observation": 1} and shown(db) == {"o1"}


def test_a_server_without_history_whose_count_hides_a_swap_still_finds_the_deletion(tmp_path):
    """No `_history` (404). Since the last sync the server deleted o2 and added o3: its count is
    still 2, as many as the store held. The incremental search brings o3, so the store knows of 3
    and the count (2) differs: the kind is read in full and o2 removed."""
    db = tmp_path / "ltc.db"
    with Paged(history=lambda srv, request: outcome(404, "no history")) as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)

        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o3")])
        report = sync_once(server, db, full=False)

    assert report.incremental and report.deleted == {"Observation": 1}
    assert shown(db) == {"o1", "o3"}
