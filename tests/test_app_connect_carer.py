"""A carer's kept connection (issue 17): a carer who signed in with SMART as a RelatedPerson and
synced their parent's record syncs it again from "Sync their record" and with
`ltc sync --as proxy:RelatedPerson/ID`, over the connection they kept (with their RelatedPerson),
without a new sign-in; and never sees or uses a connection kept by the person or another carer.

The sign-in server and FHIR surface are the SMART double of tests/test_app_connect.py holding the
dementia demo record (data/demo/dementia.json); the carers are that record's daughter and son."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from connectors import smart
from ltc_dashboard.cli import main as cli
from ltc_dashboard.intake import sync
from ltc_dashboard.service import core as service
from ltc_dashboard.service import connect as service_connect
from ltc_dashboard.store import Store
from test_app_connect import RecordDouble, begin_smart_sign_in, demo_record, empty_db, smart_env  # noqa: F401
from test_app_support import (  # noqa: F401  (fixtures)
    APP, DEMENTIA, TIMEOUT, demo_db, demo_db_template, go, headings, no_errors, open_app, texts,
)
from tests.servers.smart_double import SignedInUser

DAUGHTER_RP = "RelatedPerson/dem-rp-daughter"


def carer_double(tokens: list[str]) -> RecordDouble:
    """The double, signing in the daughter (a RelatedPerson of the dementia record's patient)."""
    return RecordDouble(SignedInUser(patient=None, fhir_user=DAUGHTER_RP), demo_record("dementia"), tokens)


def signed_in_as_carer(double) -> AppTest:
    """The daughter signs in with SMART on the Connect page and syncs: the page reruns as her view."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/connect.py").run()
    answer = begin_smart_sign_in(at, double)
    for key, value in answer.items():
        at.query_params[key] = value
    at.run()
    no_errors(at)
    return at


def kept_for(db, related_person: str | None, server: str = "https://fhir.example.org/r4") -> None:
    """A connection kept for the dementia record by the person (None) or a carer (made here: no network)."""
    config = smart.SmartConfig(server, f"{server}/authorize", f"{server}/token", "kept")
    tokens = smart.Tokens(config, "ltc-dashboard", f"access-of-{related_person}", expires_at=time.time() + 3600,
                          refresh_token=f"refresh-of-{related_person}", scope="patient/*.rs offline_access",
                          patient=DEMENTIA, fhir_user=related_person, lifetime=3600)
    store = Store(db)
    try:
        assert sync.keep_connection(store, tokens, DEMENTIA, related_person)
    finally:
        store.close()


def test_a_carer_syncs_their_record_again_over_the_kept_connection_without_a_new_sign_in(empty_db, smart_env):
    """After the first sync the daughter's page lists her connection to their record; "Sync now"
    syncs it again with the kept token (no second code exchange), keeps her RelatedPerson, and she
    still sees the record as their carer."""
    with carer_double(["carer-access-1", "carer-access-2"]) as double:
        at = signed_in_as_carer(double)
        assert headings(at) == ["Sync their record"]
        assert "as their carer" in texts(at) and "Your connection to their record" in texts(at)
        at.button(key="connect_kept_sync_0").click().run()
        no_errors(at)

        assert [form["grant_type"] for form in double.token_requests] == ["authorization_code"]
        assert double.requests[-1].headers["authorization"] == "Bearer carer-access-1"
    viewer = at.session_state["viewer"]
    assert (viewer.kind, viewer.patient_id, viewer.proxy_id) == ("proxy", DEMENTIA, "dem-rp-daughter")
    assert any("Synced" in s.value for s in at.success)
    assert [c["related_person"] for c in Store(empty_db).connections(DEMENTIA)] == [DAUGHTER_RP]
    assert "carer-access-1" not in texts(at)


def test_a_carer_never_sees_the_persons_or_another_carers_connection(demo_db):
    """The person and the son each kept a connection to the same server for the record: the
    daughter's page lists neither and says none is kept for her; the person's lists only their own."""
    kept_for(demo_db, None)
    kept_for(demo_db, "RelatedPerson/dem-rp-son")

    daughter = go(open_app(DEMENTIA, "proxy:RelatedPerson/dem-rp-daughter"), "connect")
    no_errors(daughter)
    assert headings(daughter) == ["Sync their record"]
    assert "keeps no connection to their record for you" in texts(daughter)
    assert "fhir.example.org" not in texts(daughter)
    assert not [b for b in daughter.button if b.key.startswith("connect_kept")]

    person = go(open_app(DEMENTIA), "connect")
    no_errors(person)
    assert "fhir.example.org" in texts(person) and "as their carer" not in texts(person)
    assert person.button(key="connect_kept_sync_0") and not [b for b in person.button if b.key.endswith("_1")]

    svc = service.Service(Store(demo_db))
    assert [c["related_person"] for c in svc.connections(DEMENTIA)] == [None]
    assert [c["related_person"] for c in svc.connections(DEMENTIA, "dem-rp-son")] == ["RelatedPerson/dem-rp-son"]
    assert svc.connections(DEMENTIA, "dem-rp-daughter") == []


def test_a_carers_sign_in_keeps_the_persons_own_connection(tmp_path):
    """The person and then the daughter keep a connection to the same server for the record: both
    stay, each with its own tokens; forgetting the daughter's leaves the person's."""
    db = tmp_path / "ltc.db"
    kept_for(db, None)
    kept_for(db, DAUGHTER_RP)
    store = Store(db)

    person = sync.kept_tokens(store, "https://fhir.example.org/r4", DEMENTIA)
    carer = sync.kept_tokens(store, "https://fhir.example.org/r4", DEMENTIA, "dem-rp-daughter")
    assert (person.access_token, person.fhir_user) == ("access-of-None", None)
    assert (carer.access_token, carer.fhir_user) == (f"access-of-{DAUGHTER_RP}", DAUGHTER_RP)
    assert sync.forget_connection(store, "https://fhir.example.org/r4", DEMENTIA, "dem-rp-daughter")
    assert sync.kept_tokens(store, "https://fhir.example.org/r4", DEMENTIA, "dem-rp-daughter") is None
    assert sync.kept_tokens(store, "https://fhir.example.org/r4", DEMENTIA).access_token == "access-of-None"
    store.close()


def test_a_carer_cannot_use_or_forget_a_connection_someone_else_kept(tmp_path):
    """Through the service, the son cannot sync over or forget the daughter's connection, nor the
    daughter the person's: "not connected", and the connection stays."""
    db = tmp_path / "ltc.db"
    kept_for(db, DAUGHTER_RP)
    svc = service.Service(Store(db))

    with pytest.raises(service_connect.SyncFailed) as refused:
        svc.sync_connection("https://fhir.example.org/r4", DEMENTIA, proxy_id="dem-rp-son")
    assert refused.value.kind == "not connected"
    with pytest.raises(service_connect.SyncFailed):
        svc.sync_connection("https://fhir.example.org/r4", DEMENTIA)  # the person: not theirs either
    assert not svc.forget_connection("https://fhir.example.org/r4", DEMENTIA, "dem-rp-son")
    assert not svc.forget_connection("https://fhir.example.org/r4", DEMENTIA)
    assert Store(db).connection("https://fhir.example.org/r4", DEMENTIA, DAUGHTER_RP)["related_person"] == DAUGHTER_RP
    assert svc.forget_connection("https://fhir.example.org/r4", DEMENTIA, "dem-rp-daughter")


def test_ltc_sync_as_the_carer_uses_their_kept_connection(empty_db, smart_env, monkeypatch, capsys):
    """`ltc sync --as proxy:RelatedPerson/dem-rp-daughter` syncs over the daughter's kept connection
    with no new sign-in; without --as (the person) or as the son it is not used and nothing is
    synced, and no token is printed."""
    monkeypatch.delenv("LTC_TOKEN", raising=False)
    with carer_double(["carer-access-1", "carer-access-2"]) as double:
        signed_in_as_carer(double)
        asked = len(double.requests)
        base = ["sync", "--server", double.fhir_base, "--patient", DEMENTIA, "--db", str(empty_db)]
        as_person = cli.main(base)
        as_son = cli.main([*base, "--as", "proxy:RelatedPerson/dem-rp-son"])
        refused = capsys.readouterr()
        assert len(double.requests) == asked  # neither reached the server

        code = cli.main([*base, "--as", f"proxy:{DAUGHTER_RP}"])
        out = capsys.readouterr()
        assert double.requests[-1].headers["authorization"] == "Bearer carer-access-1"

    assert as_person == 2 and as_son == 2 and "kept by someone other than --as names" in refused.err
    assert code == 0 and "changes since the last sync" in out.out
    assert [form["grant_type"] for form in double.token_requests] == ["authorization_code"]
    assert "carer-access" not in refused.out + refused.err + out.out + out.err
    assert [c["related_person"] for c in Store(empty_db).connections(DEMENTIA)] == [DAUGHTER_RP]
