"""Staying connected (issue 17): the refresh token is kept in the store, a token is renewed shortly
before expiry with a margin that fits its lifetime, a failed renewal does not fail a sync while
the access token is still valid, and a connection can be forgotten. Frozen clocks, no sleeps."""

from __future__ import annotations

import dataclasses
import os
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors import smart
from ltc_dashboard.cli import main as cli
from ltc_dashboard.intake import sync
from ltc_dashboard.service import core as service
from ltc_dashboard.service import connect as service_connect
from ltc_dashboard.store import Store
from test_app_connect import DIABETES, REDIRECT, RecordDouble, demo_record
from tests.servers.smart_double import SignedInUser

CLOCK = 1_800_000_000.0


@pytest.fixture
def double():
    """A sign-in server and FHIR surface holding the diabetes demo record; tokens live 60 seconds."""
    user = SignedInUser(patient=DIABETES, fhir_user=f"Patient/{DIABETES}")
    with RecordDouble(user, demo_record("diabetes"), [f"access-{n}" for n in range(1, 6)]) as running:
        running.expires_in = 60
        yield running


def signed_in(double, now: float = CLOCK) -> smart.Tokens:
    """Sign in through the service the page uses, with the clock at `now`."""
    url, pending = service_connect.smart_start(double.fhir_base, REDIRECT)
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    callback = f"{pending.redirect_uri}?{'&'.join(f'{k}={v}' for k, v in answer.items())}"
    return smart.finish_sign_in(pending, callback, smart.SmartHttp(), now=lambda: now)


def connected(double, db) -> tuple[service.Service, smart.Tokens]:
    """Signed in and synced once through the service: the connection is kept in the store."""
    tokens = signed_in(double)
    svc = service.Service(Store(db))
    svc.sync_signed_in(tokens, DIABETES)
    return svc, tokens


def grants(double) -> list[str]:
    return [form["grant_type"] for form in double.token_requests]


def test_the_margin_fits_the_tokens_lifetime():
    """A 60-second token is renewed 6 seconds before expiry, not at once; an hour-long one a minute before."""
    config = smart.SmartConfig("https://f/r4", "https://a/authorize", "https://a/token", "kept")
    short = smart.Tokens(config, "c", "a", expires_at=CLOCK + 60, lifetime=60)
    long = smart.Tokens(config, "c", "a", expires_at=CLOCK + 3600, lifetime=3600)

    assert not short.expires_soon(CLOCK) and not short.expires_soon(CLOCK + 53)
    assert short.expires_soon(CLOCK + 54)
    assert not long.expires_soon(CLOCK + 3539) and long.expires_soon(CLOCK + 3540)


def test_a_fresh_sixty_second_token_is_used_without_a_refresh(double):
    """Just after sign-in a 60-second token is used as it is: no refresh round trip."""
    tokens = signed_in(double)
    assert smart.fresh(tokens, smart.SmartHttp(), now=lambda: CLOCK + 10) is tokens
    assert grants(double) == ["authorization_code"]


def test_a_failed_refresh_while_the_token_is_valid_does_not_fail_the_sync(double, tmp_path):
    """The renewal is refused 3 seconds before expiry: the sync runs with the still-valid token."""
    svc, _ = connected(double, tmp_path / "ltc.db")
    double.refresh_refusal = ("server_error", "Token service is restarting.")
    outcome = svc.sync_connection(double.fhir_base, DIABETES, now=lambda: CLOCK + 57)

    assert grants(double) == ["authorization_code", "refresh_token"]
    assert outcome.report.complete and outcome.report.counts["Patient"] == 1  # the double ignores _lastUpdated
    assert double.requests[-1].headers["authorization"] == "Bearer access-1"


def test_a_failed_refresh_with_an_expired_token_asks_to_sign_in_again(double, tmp_path):
    """Expired and not renewable: a plain "sign in again" failure with the server's words, the store unchanged."""
    svc, _ = connected(double, tmp_path / "ltc.db")
    double.refresh_refusal = ("invalid_grant", "Refresh token revoked.")
    with pytest.raises(service_connect.SyncFailed) as raised:
        svc.sync_connection(double.fhir_base, DIABETES, now=lambda: CLOCK + 61)

    assert raised.value.kind == "sign in again" and raised.value.server_says == "Refresh token revoked."
    assert "sign in again" in raised.value.detail


def test_the_refresh_token_is_kept_and_later_syncs_use_it(double, tmp_path):
    """A later sync (a day on) renews with the kept refresh token, keeps the rotated one at once, and syncs."""
    db = tmp_path / "ltc.db"
    svc, tokens = connected(double, db)
    first = Store(db).connection(double.fhir_base, DIABETES)
    assert first["refresh_token"] == tokens.refresh_token and first["access_token"] == "access-1"

    outcome = svc.sync_connection(double.fhir_base, DIABETES, now=lambda: CLOCK + 86_400)
    kept = Store(db).connection(double.fhir_base, DIABETES)
    assert grants(double) == ["authorization_code", "refresh_token"]
    assert kept["access_token"] == "access-2" and kept["refresh_token"] != tokens.refresh_token
    assert kept["refresh_token"] in double.refresh_tokens and kept["expires_at"] == CLOCK + 86_400 + 60
    assert outcome.report.server == double.fhir_base


def test_forget_this_connection_removes_its_tokens(double, tmp_path):
    """"Forget this connection" deletes the row; the next sync over it says there is no connection."""
    db = tmp_path / "ltc.db"
    svc, tokens = connected(double, db)
    assert [c["server"] for c in svc.connections(DIABETES)] == [double.fhir_base]

    assert svc.forget_connection(double.fhir_base, DIABETES)
    assert Store(db).connection(double.fhir_base, DIABETES) is None and svc.connections(DIABETES) == []
    for path in (db, db.with_name(db.name + "-wal")):  # not left in the file or its write-ahead log
        assert not path.exists() or tokens.refresh_token.encode() not in path.read_bytes()
    with pytest.raises(service_connect.SyncFailed) as raised:
        svc.sync_connection(double.fhir_base, DIABETES, now=lambda: CLOCK + 10)
    assert raised.value.kind == "not connected"


def test_the_list_of_connections_holds_no_token(double, tmp_path):
    """What the page lists has no token in it, and the store file is readable by its owner only."""
    db = tmp_path / "ltc.db"
    svc, tokens = connected(double, db)
    listed = repr(svc.connections(DIABETES))
    assert tokens.access_token not in listed and tokens.refresh_token not in listed
    assert svc.connections(DIABETES)[0]["renewable"] is True
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_ltc_sync_uses_the_kept_connection(double, tmp_path, monkeypatch, capsys):
    """`ltc sync` with no token syncs over the connection the app kept, printing no token."""
    db = tmp_path / "ltc.db"
    tokens = signed_in(double, now=__import__("time").time())  # ltc sync reads the real clock
    service.Service(Store(db)).sync_signed_in(tokens, DIABETES)
    monkeypatch.delenv("LTC_TOKEN", raising=False)
    code = cli.main(["sync", "--server", double.fhir_base, "--patient", DIABETES, "--db", str(db)])

    out = capsys.readouterr()
    assert code == 0 and "changes since the last sync" in out.out
    assert tokens.access_token not in out.out + out.err and tokens.refresh_token not in out.out + out.err
    assert double.requests[-1].headers["authorization"] == f"Bearer {tokens.access_token}"


def test_a_sign_in_without_a_refresh_token_is_not_kept(double, tmp_path):
    """A server that grants no refresh token (no offline_access): nothing is kept, as nothing could renew it."""
    tokens = dataclasses.replace(signed_in(double), refresh_token=None)
    service.Service(Store(tmp_path / "ltc.db")).sync_signed_in(tokens, DIABETES)
    assert Store(tmp_path / "ltc.db").connections() == []


def test_no_export_holds_the_kept_tokens(double, tmp_path):
    """The FHIR, CSV and PDF exports of the synced record carry neither kept token."""
    from ltc_dashboard.gate.access import Viewer
    from tests.conftest import TODAY

    svc, tokens = connected(double, tmp_path / "ltc.db")
    kept = Store(tmp_path / "ltc.db").connection(double.fhir_base, DIABETES)
    assert kept is not None
    for fmt in ("fhir", "csv", "pdf"):
        data = svc.export(Viewer(kind="patient", patient_id=DIABETES), TODAY, fmt).data
        data = data if isinstance(data, bytes) else str(data).encode()
        assert kept["refresh_token"].encode() not in data and kept["access_token"].encode() not in data
