"""Kept SMART tokens live in an owner-only file beside the store, never in SQLite (issue 17,
"readable by its owner only, never logged"; no home-made cryptography). Hand-made tokens for
issue 17 and the demo diabetes record behind the SMART double; no sleeps, no network beyond 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat

import pytest

from connectors import smart
from ltc_dashboard.cli import main as cli
from ltc_dashboard.intake import sync
from ltc_dashboard.service import core as service
from ltc_dashboard.store import Store, StoreError
from ltc_dashboard.store import connections as kept_store
from test_app_connect import DIABETES
from test_smart_connection import connected, double  # noqa: F401  (the fixture)

SERVER = "http://127.0.0.1:9/fhir"
PATIENT = "tokens-file-patient"
ACCESS, REFRESH = "tokensfile-access-" + "A" * 30, "tokensfile-refresh-" + "R" * 30


def kept(refresh_token: str = REFRESH, access_token: str = ACCESS, patient: str = PATIENT) -> smart.Tokens:
    config = smart.SmartConfig(SERVER, "http://127.0.0.1:9/authorize", "http://127.0.0.1:9/token", "kept")
    return smart.Tokens(config, "ltc-dashboard", access_token, expires_at=1_800_003_600.0,
                        refresh_token=refresh_token, lifetime=3600, patient=patient)


def on_disk(db) -> dict[str, bytes]:
    """The SQLite store and its write-ahead log and shared memory, as bytes (the files that exist)."""
    paths = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return {p.name: p.read_bytes() for p in paths if p.exists()}


def tokens_file(db) -> dict:
    return json.loads(db.with_name(db.name + "-tokens").read_text(encoding="utf-8"))


def test_the_tokens_file_and_its_temporary_file_are_owner_only_from_creation(tmp_path, monkeypatch):
    """With a umask that would leave files world-readable, the temporary file is already 0600 when
    it is renamed, the tokens file is 0600, and no chmod is ever made (no window to widen)."""
    modes = []
    real_replace = os.replace

    def replace(source, target):
        modes.append(stat.S_IMODE(os.stat(source).st_mode))
        return real_replace(source, target)

    def no_chmod(*args, **kwargs):
        raise AssertionError("the mode must be set at creation, not after")

    monkeypatch.setattr(kept_store.os, "replace", replace)
    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(os, "fchmod", no_chmod)
    previous = os.umask(0)
    try:
        store = Store(tmp_path / "ltc.db")
        assert sync.keep_connection(store, kept(), PATIENT)
        assert sync.keep_connection(store, kept(refresh_token=REFRESH + "-2"), PATIENT)
    finally:
        os.umask(previous)
    path = tmp_path / "ltc.db-tokens"
    assert modes == [0o600, 0o600]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ltc.db-tokens")) == ["ltc.db-tokens"]


def test_no_token_bytes_ever_reach_the_sqlite_file_or_its_log(tmp_path):
    """Keeping, renewing and forgetting, with another session reading throughout: neither token
    is in ltc.db, ltc.db-wal or ltc.db-shm at any step, while the tokens file holds the current ones."""
    db = tmp_path / "ltc.db"
    store = Store(db)
    reader = sqlite3.connect(db, isolation_level=None)
    seen = []
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM smart_connections").fetchall()
        steps = [("kept", REFRESH, ACCESS), ("renewed", REFRESH + "-rotated", ACCESS + "-renewed")]
        for _, refresh, access in steps:
            sync.keep_connection(store, kept(refresh, access), PATIENT)
            assert tokens_file(db)[SERVER][PATIENT] == {"access_token": access, "refresh_token": refresh}
            seen.append(on_disk(db))
        assert store.connection(SERVER, PATIENT)["refresh_token"] == REFRESH + "-rotated"
        assert sync.forget_connection(store, SERVER, PATIENT)
        seen.append(on_disk(db))
    finally:
        reader.rollback()
        reader.close()
        store.close()
    seen.append(on_disk(db))
    assert all("ltc.db" in files and "ltc.db-wal" in files for files in seen[:3])  # the log was there to check
    leaks = [(name, token[:22]) for files in seen for name, data in files.items()
             for token in (REFRESH, ACCESS) if token.encode() in data]
    assert leaks == []


def test_forget_removes_the_entry_and_keeps_the_others(tmp_path):
    """Forget takes one connection's row and tokens file entry; another patient's stays; a second
    forget finds nothing; the table holds no token column at all."""
    db = tmp_path / "ltc.db"
    store = Store(db)
    sync.keep_connection(store, kept(), PATIENT)
    sync.keep_connection(store, kept("other-refresh", "other-access", "other"), "other")
    assert sync.forget_connection(store, SERVER, PATIENT) is True
    assert tokens_file(db) == {SERVER: {"other": {"access_token": "other-access", "refresh_token": "other-refresh"}}}
    assert store.connection(SERVER, PATIENT) is None and store.connection(SERVER, "other") is not None
    assert REFRESH.encode() not in (tmp_path / "ltc.db-tokens").read_bytes()
    assert sync.forget_connection(store, SERVER, PATIENT) is False
    columns = {r[1] for r in store.db.conn.execute("PRAGMA table_info(smart_connections)")}
    assert columns.isdisjoint({"access_token", "refresh_token"})


def test_forget_raises_when_the_tokens_file_cannot_be_rewritten(tmp_path, monkeypatch):
    """A forget whose rewrite fails raises StoreError instead of reporting success, and nothing
    half-done is left: the row and the entry are both still there."""
    db = tmp_path / "ltc.db"
    store = Store(db)
    sync.keep_connection(store, kept(), PATIENT)

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kept_store.os, "replace", refuse)
    with pytest.raises(StoreError):
        sync.forget_connection(store, SERVER, PATIENT)
    monkeypatch.undo()
    assert store.connection(SERVER, PATIENT)["refresh_token"] == REFRESH
    assert [c["server"] for c in store.connections()] == [SERVER]


def test_a_crash_between_the_temporary_file_and_the_rename_leaves_the_old_file(tmp_path, monkeypatch):
    """A renewal that dies after writing the temporary file and before the rename leaves the old
    tokens file byte for byte, and the old row: the kept connection is the one before the renewal.
    A temporary file a hard crash left behind is removed by the next write."""
    db = tmp_path / "ltc.db"
    store = Store(db)
    sync.keep_connection(store, kept(), PATIENT)
    before = (tmp_path / "ltc.db-tokens").read_bytes()

    def crash(source, target):
        assert REFRESH.encode() + b"-rotated" in open(source, "rb").read()  # the new file was written
        raise KeyboardInterrupt  # the process stops here

    monkeypatch.setattr(kept_store.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        sync.keep_connection(store, kept(REFRESH + "-rotated", ACCESS + "-renewed"), PATIENT)
    monkeypatch.undo()
    assert (tmp_path / "ltc.db-tokens").read_bytes() == before
    assert store.connection(SERVER, PATIENT)["refresh_token"] == REFRESH

    stale = tmp_path / "ltc.db-tokens.deadbeef.tmp"
    stale.write_text("{}")
    sync.keep_connection(store, kept(REFRESH + "-rotated", ACCESS + "-renewed"), PATIENT)
    assert not stale.exists() and tokens_file(db)[SERVER][PATIENT]["refresh_token"] == REFRESH + "-rotated"


def old_store(db, rows: list[tuple]) -> None:
    """A store as the versions before this file left it: the tokens in the table, `-keys` beside."""
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE smart_connections")
    conn.execute(
        "CREATE TABLE smart_connections (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
        " related_person TEXT, client_id TEXT NOT NULL, authorization_endpoint TEXT NOT NULL,"
        " token_endpoint TEXT NOT NULL, scope TEXT NOT NULL, access_token TEXT NOT NULL, expires_at REAL,"
        " lifetime REAL, refresh_token TEXT, saved TEXT NOT NULL, PRIMARY KEY (server, patient_id))")
    conn.executemany("INSERT INTO smart_connections VALUES (?, ?, NULL, 'c', 'https://a/authorize',"
                     " 'https://a/token', 'patient/*.read', ?, 1800003600.0, 3600, ?, '2026-12-01T00:00:00Z')", rows)
    conn.commit()
    conn.close()
    os.close(os.open(db.with_name(db.name + "-keys"), os.O_CREAT | os.O_WRONLY, 0o600))


def test_an_older_store_has_plain_tokens_moved_and_sealed_ones_dropped(tmp_path, caplog):
    """Opening a store from before: plain tokens move to the tokens file, a sealed connection is
    dropped with a warning to sign in again (it named no token), the `-keys` file is removed, and
    no token is left in ltc.db or its log."""
    db = tmp_path / "ltc.db"
    sealed_access, sealed_refresh = "sealed1:0011223344556677:" + "Q" * 40, "sealed1:0011223344556677:" + "W" * 40
    old_store(db, [(SERVER, PATIENT, ACCESS, REFRESH), (SERVER, "sealed", sealed_access, sealed_refresh)])
    assert ACCESS.encode() in on_disk(db)["ltc.db"]  # the old store did hold it

    with caplog.at_level(logging.DEBUG):
        store = Store(db)
    row = store.connection(SERVER, PATIENT)
    assert (row["access_token"], row["refresh_token"], row["scope"]) == (ACCESS, REFRESH, "patient/*.read")
    assert [c["patient_id"] for c in store.connections()] == [PATIENT]
    assert store.connection(SERVER, "sealed") is None
    assert "1 kept SMART connection(s)" in caplog.text and "sign in again" in caplog.text
    assert not (tmp_path / "ltc.db-keys").exists()
    assert stat.S_IMODE(os.stat(tmp_path / "ltc.db-tokens").st_mode) == 0o600
    store.close()
    leaks = [(name, token[:22]) for name, data in on_disk(db).items()
             for token in (ACCESS, REFRESH, "Q" * 40, "W" * 40) if token.encode() in data]
    assert leaks == []
    assert all(t not in caplog.text for t in (ACCESS, REFRESH, "Q" * 40, "W" * 40))
    Store(db).close()  # opening again migrates nothing and keeps the connection
    assert tokens_file(db)[SERVER][PATIENT]["refresh_token"] == REFRESH


def test_no_ltc_command_prints_or_exports_a_kept_token(double, tmp_path, capsys, caplog):  # noqa: F811
    """Every `ltc` command over a store with a kept connection (patients, summary, comments, the
    three exports) prints, logs and writes no kept token."""
    db = tmp_path / "ltc.db"
    svc, _ = connected(double, db)
    row = Store(db).connection(double.fhir_base, DIABETES)
    secrets = [row["access_token"].encode(), row["refresh_token"].encode()]
    runs = [["patients"], ["summary", "--patient", DIABETES], ["comments", "--patient", DIABETES]]
    runs += [["export", "--patient", DIABETES, "--format", fmt, "--out", str(tmp_path / f"out.{fmt}")]
             for fmt in ("fhir", "csv", "pdf")]
    with caplog.at_level(logging.DEBUG):
        codes = [cli.main([*run, "--db", str(db)]) for run in runs]
    out = capsys.readouterr()
    written = [(tmp_path / f"out.{fmt}").read_bytes() for fmt in ("fhir", "csv", "pdf")]
    assert codes == [0] * len(runs)
    for data in [out.out.encode(), out.err.encode(), caplog.text.encode(), *written]:
        assert not any(secret in data for secret in secrets)
    assert isinstance(svc, service.Service)


def test_a_store_from_before_holders_keeps_the_persons_and_the_carers_connections(tmp_path):
    """A store from before connections were kept per holder (one per server and record; the tokens
    file keyed by patient): on open the table is keyed by holder too, the carer's tokens move to
    their own key, both connections are found by whoever kept them, and a later sign-in by the person
    to the carer's server no longer replaces the carer's connection."""
    db = tmp_path / "ltc.db"
    other = "http://127.0.0.1:9/other-fhir"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE smart_connections")
    conn.execute(  # the table as the version before holders made it
        "CREATE TABLE smart_connections (server TEXT NOT NULL, patient_id TEXT NOT NULL,"
        " related_person TEXT, client_id TEXT NOT NULL, authorization_endpoint TEXT NOT NULL,"
        " token_endpoint TEXT NOT NULL, scope TEXT NOT NULL, expires_at REAL, lifetime REAL,"
        " saved TEXT NOT NULL, PRIMARY KEY (server, patient_id))")
    conn.executemany("INSERT INTO smart_connections VALUES (?, ?, ?, 'c', 'https://a/authorize', 'https://a/token',"
                     " 'patient/*.rs offline_access', 1800003600.0, 3600, '2026-12-01T00:00:00Z')",
                     [(SERVER, PATIENT, None), (other, PATIENT, "RelatedPerson/rp-1")])
    conn.commit()
    conn.close()
    path = db.with_name(db.name + "-tokens")
    with os.fdopen(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600), "w", encoding="utf-8") as out:
        json.dump({SERVER: {PATIENT: {"access_token": ACCESS, "refresh_token": REFRESH}},
                   other: {PATIENT: {"access_token": "carer-" + ACCESS, "refresh_token": "carer-" + REFRESH}}}, out)

    store = Store(db)
    assert store.connection(SERVER, PATIENT)["access_token"] == ACCESS
    assert store.connection(other, PATIENT) is None
    assert store.connection(other, PATIENT, "RelatedPerson/rp-1")["access_token"] == "carer-" + ACCESS
    assert tokens_file(db)[other] == {json.dumps([PATIENT, "RelatedPerson/rp-1"]): {
        "access_token": "carer-" + ACCESS, "refresh_token": "carer-" + REFRESH}}  # a structured key (attack 17)
    own = smart.Tokens(smart.SmartConfig(other, "https://a/authorize", "https://a/token", "kept"), "c",
                       "own-" + ACCESS, expires_at=1_800_003_600.0, refresh_token="own-" + REFRESH, lifetime=3600)
    assert sync.keep_connection(store, own, PATIENT)
    assert [c["related_person"] for c in store.connections(PATIENT) if c["server"] == other] == [None, "RelatedPerson/rp-1"]
    assert store.connection(other, PATIENT, "RelatedPerson/rp-1")["access_token"] == "carer-" + ACCESS
    store.close()
    Store(db).close()  # opening again migrates nothing
    assert set(tokens_file(db)[other]) == {PATIENT, json.dumps([PATIENT, "RelatedPerson/rp-1"])}


def test_old_carer_keys_move_to_structured_keys_and_an_ambiguous_one_is_dropped(tmp_path):
    """A tokens file from before structured keys: the daughter's tokens under "ID as RelatedPerson/X"
    move to ["ID", "RelatedPerson/X"] on open and are hers. On a second server, both the son's
    connection to "p" and the person's own connection to a patient whose id is "p as
    RelatedPerson/son" would read the same old key: neither may be handed the other's tokens, so
    that key is dropped (both sign in again), and the file never holds it afterwards."""
    db = tmp_path / "ltc.db"
    other = "http://127.0.0.1:9/other-fhir"
    store = Store(db)
    for server, patient, person in ((SERVER, PATIENT, "RelatedPerson/daughter"), (other, "p", "RelatedPerson/son"),
                                    (other, "p as RelatedPerson/son", None)):
        tokens = smart.Tokens(smart.SmartConfig(server, "https://a/authorize", "https://a/token", "kept"), "c",
                              ACCESS, expires_at=1_800_003_600.0, refresh_token=REFRESH, lifetime=3600)
        assert sync.keep_connection(store, tokens, patient, person)
    store.close()
    path = db.with_name(db.name + "-tokens")
    old = {SERVER: {f"{PATIENT} as RelatedPerson/daughter": {"access_token": "daughter", "refresh_token": "d"}},
           other: {"p as RelatedPerson/son": {"access_token": "whose", "refresh_token": "w"}}}
    path.write_text(json.dumps(old), encoding="utf-8")  # as the version before structured keys wrote it

    store = Store(db)
    try:
        assert store.connection(SERVER, PATIENT, "RelatedPerson/daughter")["access_token"] == "daughter"
        assert store.connection(other, "p", "RelatedPerson/son") is None
        assert store.connection(other, "p as RelatedPerson/son") is None
        assert tokens_file(db) == {SERVER: {json.dumps([PATIENT, "RelatedPerson/daughter"]): {
            "access_token": "daughter", "refresh_token": "d"}}}
    finally:
        store.close()
