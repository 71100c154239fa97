"""`ltc sync` against a real FHIR server (sekmet-fhir, loopback): a full sync stores what a file
import stores, a second sync downloads nothing, and changes and deletions arrive incrementally."""

from __future__ import annotations

import copy
import json

import pytest

from connectors.fhir_server import APP_TYPES
from ltc_dashboard.gate.access import Viewer, open_record
from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.store import Store
from tests.conftest import TODAY
from tests.servers import sekmet as sk

pytestmark = pytest.mark.server
KEPT_TYPES = set(APP_TYPES) | {"Medication", "Binary"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The session's sekmet, loaded with the Synthea samples, the demo records and a letter."""
    return sk.sekmet_or_skip(tmp_path_factory)


def as_stored(store: Store, patient_id: str) -> dict:
    """The patient's stored resources of the types a sync brings, keyed by (type, id), with the
    server's version stamp (meta.versionId, meta.lastUpdated) left out."""
    found = {}
    for resource in store.resources_for(patient_id):
        if resource["resourceType"] not in KEPT_TYPES:
            continue
        resource = copy.deepcopy(resource)
        meta = resource.get("meta", {})
        meta.pop("versionId", None)
        meta.pop("lastUpdated", None)
        if not meta:
            resource.pop("meta", None)
        found[(resource["resourceType"], resource["id"])] = resource
    return found


def summary_json(store: Store, patient_id: str) -> dict:
    from ltc_dashboard.summary.core import build_summary

    visible = open_record(store, Viewer(kind="patient", patient_id=patient_id), TODAY)
    return json.loads(build_summary(visible, own_rows=[], preferences={}).model_dump_json())


def synced(server, db, patient_id, **options) -> sync.SyncReport:
    store = Store(db)
    try:
        return sync.sync_patient(store, server.base, patient_id, server.token, **options)
    finally:
        store.close()


def test_full_sync_equals_file_import(server, tmp_path):
    """A full sync stores the same resources, and gives the same summary, as importing the file."""
    letter = tmp_path / "letter.json"
    letter.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"resource": r} for r in sk.letter_resources()]}))
    sample = next(p for p in sk.SAMPLES.glob("Truman_*.json"))
    imported = Store(tmp_path / "imported.db")
    import_paths(imported, [sample, letter])
    report = synced(server, tmp_path / "synced.db", sk.TRUMAN)
    from_server = Store(tmp_path / "synced.db")

    assert not report.rejected and report.fetched.foreign == 0
    expected = as_stored(imported, sk.TRUMAN)
    assert as_stored(from_server, sk.TRUMAN) == expected
    assert report.counts["Observation"] == 659 and report.counts["Goal"] == 8 and report.counts["Binary"] == 1
    assert summary_json(from_server, sk.TRUMAN) == summary_json(imported, sk.TRUMAN)
    assert from_server.search_text(sk.TRUMAN, "diabetes clinic"), "the letter's Binary text is indexed"


def test_second_sync_downloads_nothing(server, tmp_path):
    """With nothing changed on the server, a second sync receives no resources and changes nothing."""
    db = tmp_path / "ltc.db"
    first = synced(server, db, sk.TRUMAN)
    before = Store(db).data_version()
    second = synced(server, db, sk.TRUMAN)

    assert not first.incremental and second.incremental
    assert sum(second.fetched.downloaded.values()) == 0
    assert not second.counts and not second.deleted
    assert Store(db).data_version() == before
    # One search and one history request per type, the Goal fallback's refusal, nothing else.
    assert second.fetched.requests == 2 * len(APP_TYPES) - 1


def test_incremental_sync_brings_changes_and_deletions(server, tmp_path):
    """A change and a deletion on the server reach the store on the next sync, and nothing else."""
    db = tmp_path / "ltc.db"
    synced(server, db, sk.ALMEDA)
    store = Store(db)
    observations = sorted((r for r in store.resources_for(sk.ALMEDA) if r["resourceType"] == "Observation"),
                          key=lambda r: r["id"])
    changed, gone = copy.deepcopy(observations[0]), observations[1]
    changed.pop("meta", None)
    changed["status"] = "amended"
    server.put(changed)
    server.delete("Observation", gone["id"])

    report = synced(server, db, sk.ALMEDA)

    assert report.fetched.downloaded == {"Observation": 1}
    assert report.counts == {"Observation": 1} and report.imported.put.updated == {"Observation": 1}
    assert report.deleted == {"Observation": 1}
    ids = {r["id"]: r for r in Store(db).resources_for(sk.ALMEDA) if r["resourceType"] == "Observation"}
    assert ids[changed["id"]]["status"] == "amended"
    assert gone["id"] not in ids


def test_goal_quirk_brings_only_this_patients_goals(server, tmp_path):
    """sekmet cannot search Goal by patient; the sync still stores exactly this patient's Goals."""
    report = synced(server, tmp_path / "ltc.db", sk.ISAIAH)
    goals = [r for r in Store(tmp_path / "ltc.db").resources_for(sk.ISAIAH) if r["resourceType"] == "Goal"]

    assert len(goals) == 5 and report.fetched.foreign == 0
    assert all(g["subject"]["reference"] == f"Patient/{sk.ISAIAH}" for g in goals)
    assert any("Goal" in note for note in report.fetched.notes)


def test_store_keeps_no_token(server, tmp_path):
    """Nothing the sync writes into the store file contains the access token."""
    db = tmp_path / "ltc.db"
    synced(server, db, sk.TRUMAN)
    Store(db).close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("ltc.db*"))
    assert server.token.encode() not in raw


def test_cli_sync_prints_counts_and_never_the_token(server, tmp_path, monkeypatch, capsys):
    """`ltc sync` takes the token from LTC_TOKEN, prints counts per type, and never prints the token."""
    from ltc_dashboard.cli import main as cli

    monkeypatch.setenv("LTC_TOKEN", server.token)
    code = cli.main(["sync", "--server", server.base, "--patient", sk.TRUMAN, "--db", str(tmp_path / "c.db")])
    out, err = capsys.readouterr()

    assert code == 0
    assert "Observation" in out and "659" in out
    assert server.token not in out + err


def test_cli_sync_with_a_wrong_token_says_so(server, tmp_path, monkeypatch, capsys):
    """A refused token ends the sync with a plain message, exit code 2 and an untouched store."""
    from ltc_dashboard.cli import main as cli

    monkeypatch.setenv("LTC_TOKEN", "not-the-token")
    code = cli.main(["sync", "--server", server.base, "--patient", sk.TRUMAN, "--db", str(tmp_path / "c.db")])
    err = capsys.readouterr().err

    assert code == 2 and "refused access" in err and "nothing in the store was changed" in err
    assert "not-the-token" not in err
    assert Store(tmp_path / "c.db").counts() == {}
