"""No silent data loss in a sync (issue 17): a short read against `Bundle.total` is an error naming
the kind and the counts, a failing `_history` falls back to a full read of that kind, and a 401/403
on one kind skips it with a plain notice. Faults come from a loopback proxy in front of sekmet."""

from __future__ import annotations

import pytest

from ltc_dashboard.cli import main as cli
from ltc_dashboard.intake import sync
from ltc_dashboard.store import Store
from tests.servers import sekmet as sk
from tests.servers.fixtures import proxy, server  # noqa: F401  (pytest fixtures)
from tests.servers.loopback import edited, status
from tests.test_sync_faults import run, snapshot

pytestmark = pytest.mark.server
COLEMAN_OBSERVATIONS = 414  # in the Synthea sample, over three pages at _count=200


def drop_next_link(page: dict) -> None:
    """What the issue saw: a page that says `total: N`, holds fewer entries, and has no next link."""
    page["total"] = COLEMAN_OBSERVATIONS
    page["link"] = [link for link in page.get("link") or [] if link.get("relation") != "next"]


def test_a_searchset_shorter_than_its_total_is_an_error_naming_the_kind_and_counts(proxy, tmp_path):
    """200 results of a total of 414 with no next link: the report says so, the sync is incomplete,
    what arrived is stored, and the kind's mark is not moved, so the next sync reads it again."""
    proxy.on("/fhir/Observation?", edited(drop_next_link))
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

    assert report.incomplete == ["Results and measurements (Observation): the server said there are 414, "
                                 "but sent 200 and no way to get the rest."]
    assert report.exit_code == 3 and not report.complete
    assert report.counts["Observation"] == 200 and report.counts["Condition"] == 21
    marks = Store(tmp_path / "ltc.db").sync_marks(proxy.base, sk.COLEMAN)
    assert "Observation" not in marks and "Condition" in marks


def test_a_complete_sync_is_complete(proxy, tmp_path):
    """Without faults every kind arrived whole: nothing is listed as incomplete and the exit code is 0."""
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

    assert report.incomplete == [] and report.complete and report.exit_code == 0
    assert report.counts["Observation"] == COLEMAN_OBSERVATIONS


def test_ltc_sync_exits_non_zero_on_a_short_read_and_says_why(proxy, tmp_path, monkeypatch, capsys):
    """`ltc sync` prints the short read as an error and exits 3 (stored, but incomplete)."""
    proxy.on("/fhir/Observation?", edited(drop_next_link))
    monkeypatch.setenv("LTC_TOKEN", sk.TOKEN)
    code = cli.main(["sync", "--server", proxy.base, "--patient", sk.COLEMAN, "--db", str(tmp_path / "ltc.db")])

    err = capsys.readouterr().err
    assert code == 3
    assert "incomplete: Results and measurements (Observation): the server said there are 414, but sent 200" in err


def test_a_failing_history_falls_back_to_a_full_read_of_that_kind(proxy, tmp_path):
    """A `_history` that answers 500 (after retries) does not fail the sync: that kind is read again
    in full, with a plain notice, and the sync is complete."""
    db = tmp_path / "ltc.db"
    run(proxy, db, sk.COLEMAN)
    proxy.on("/fhir/Observation/_history", status(500), times=-1)
    report = run(proxy, db, sk.COLEMAN)

    assert report.incremental and report.complete
    assert report.counts["Observation"] == COLEMAN_OBSERVATIONS and sum(report.counts.values()) == COLEMAN_OBSERVATIONS
    full_reads = [r.path for r in proxy.requests if r.path.startswith("/fhir/Observation?") and "_lastUpdated" not in r.path]
    assert len(full_reads) >= 1
    assert ("Results and measurements: the server could not say what changed since the last sync, so all of them "
            "were read again. Any the server no longer has were removed here.") in report.fetched.notes


def test_a_403_on_one_kind_skips_it_with_a_notice_and_keeps_the_rest(proxy, tmp_path):
    """A 403 on Immunization skips that kind with a plain notice; every other kind is stored and the
    sync is marked incomplete (the record here lacks that kind)."""
    proxy.on("/fhir/Immunization?", status(403), times=-1)
    report = run(proxy, tmp_path / "ltc.db", sk.COLEMAN)

    assert report.counts["Immunization"] == 0 and report.counts["Observation"] == COLEMAN_OBSERVATIONS
    assert report.incomplete == ["Vaccinations (Immunization): the server did not let this app read them "
                                 "(HTTP 403), so none were brought in."]
    assert report.exit_code == 3
    assert "Immunization" not in Store(tmp_path / "ltc.db").sync_marks(proxy.base, sk.COLEMAN)


def test_a_401_on_the_patient_still_fails_the_whole_sync(proxy, tmp_path):
    """Refused at the first read (the person's own details), the sync fails and stores nothing."""
    proxy.on("/fhir/Patient?", status(401), times=-1)
    with pytest.raises(sync.Unauthorised):
        run(proxy, tmp_path / "ltc.db", sk.COLEMAN)
    assert snapshot(tmp_path / "ltc.db")["resources"] == []


def test_refused_on_every_kind_fails_the_whole_sync(proxy, tmp_path):
    """A token refused for every kind after the Patient (expired mid-sync) is a failure, not a list of skips."""
    proxy.on(lambda r: r.path.startswith("/fhir/") and not r.path.startswith("/fhir/Patient"), status(401), times=-1)
    with pytest.raises(sync.Unauthorised):
        run(proxy, tmp_path / "ltc.db", sk.COLEMAN)
    assert snapshot(tmp_path / "ltc.db")["resources"] == []


def test_server_quirks_reach_the_person_in_plain_words(server, tmp_path):
    """sekmet cannot search Goal by patient: the notice says so in plain words, with no FHIR type
    name, no search jargon and no count of nothing."""
    store = Store(tmp_path / "ltc.db")
    report = sync.sync_patient(store, server.base, sk.COLEMAN, server.token)
    goal_notes = [n for n in report.fetched.notes if n.startswith("Goals")]

    assert goal_notes and all("Goal:" not in n and "search" not in n and "read the 0" not in n for n in goal_notes)
    assert all("the server cannot search these by patient" not in n for n in report.fetched.notes)
