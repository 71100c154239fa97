"""Outside attack on deletion by absence (issue 17), continued from tests/test_attack_sync.py: what
decides that a full read is needed or complete when a server cannot count, and when the token's
view is narrower than an earlier one's. Loopback servers only (`Paged` of tests/test_attack17.py,
its answers varied per test); breaks were strict xfails until fixed (branch fix-sync), the rest pin what held."""

from __future__ import annotations

import pytest

from ltc_dashboard.intake import sync
from ltc_dashboard.store import Store
from tests.servers.loopback import Reply, outcome
from tests.test_attack17 import PATIENT, Paged
from tests.test_attack_sync import obs, page, shown, sync_once


class Uncounting(Paged):
    """`Paged` without `_history` (404) whose `_summary=count` answers `count_reply` (a 500, a
    searchset with no total, a total as text): the count that decides on a full read is unusable."""

    def __init__(self, count_reply) -> None:
        self.count_reply = count_reply
        super().__init__(history=lambda srv, request: outcome(404, "no history"))

    def _answer(self, request):
        if "_summary=count" in request.path:
            return self.count_reply(self)
        return super()._answer(request)


@pytest.mark.parametrize("answer", ["500", "no total", "total as text"])
def test_a_server_that_cannot_count_removes_nothing_and_says_deletions_may_show(tmp_path, answer):
    """No `_history`, and the count probe fails (500), leaves `total` out, or sends "1" as text:
    no full read is trusted from it, o2 (deleted on the server) stays, and the notice says entries
    the practice deleted may still show. Shapes: FHIR R4 search.html#summary (`_summary=count`
    returns a Bundle with total only), and the broken forms servers send instead."""
    replies = {
        "500": lambda srv: outcome(500, "count not supported"),
        "no total": lambda srv: Reply.json({"resourceType": "Bundle", "type": "searchset"}),
        "total as text": lambda srv: Reply.json({"resourceType": "Bundle", "type": "searchset", "total": "1"}),
    }
    db = tmp_path / "ltc.db"
    with Uncounting(replies[answer]) as server:
        server.script[("Observation", 1)] = page(server, [obs("o1"), obs("o2")])
        sync_once(server, db)
        server.script[("Observation", 1)] = page(server, [obs("o1")])
        report = sync_once(server, db, full=False)

    assert report.incremental and not report.deleted
    assert shown(db) == {"o1", "o2"}
    assert any("Results and measurements" in note and "deleted" in note for note in report.fetched.notes), \
        report.fetched.notes


class Granular(Paged):
    """`Paged` whose Observation search honours SMART v2 granular scopes: the token "labs-only"
    (granted `patient/Observation.rs?category=...|laboratory`) sees only o-lab, any other token
    sees o-lab and o-bp; `total` counts what the token may see."""

    def _answer(self, request):
        if request.path.startswith("/fhir/Observation?"):
            labs_only = request.headers.get("authorization") == "Bearer labs-only"
            ids = ["o-lab"] if labs_only else ["o-lab", "o-bp"]
            return page(self, [obs(rid) for rid in ids])
        return super()._answer(request)


def test_a_narrower_granted_scope_does_not_remove_what_a_wider_one_read(tmp_path):
    """The first sign-in was granted `patient/*.rs`: o-lab and o-bp are stored. The person signs in
    again and the server now grants only `patient/Observation.rs?category=http://terminology.hl7.org/
    CodeSystem/observation-category|laboratory` (SMART App Launch 2.x granular scopes; issue 17 asks
    for v2 scopes where offered). Its complete `--full` read lists o-lab only: nothing was deleted,
    o-bp must stay. Shape: the test_attack17 Observation."""
    db = tmp_path / "ltc.db"
    with Granular() as server:
        store = Store(db)
        try:
            sync.sync_patient(store, server.base, PATIENT, "everything", sleep=lambda s: None, retries=0)
            report = sync.sync_patient(store, server.base, PATIENT, "labs-only", full=True, sleep=lambda s: None,
                                       retries=0)
        finally:
            store.close()

    assert not report.deleted, report.deleted
    assert shown(db) == {"o-lab", "o-bp"}
