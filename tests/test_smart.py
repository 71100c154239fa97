"""SMART App Launch (standalone patient launch) against a loopback authorization server double that
checks PKCE and state for real (tests/servers/smart_double.py says why a double)."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from connectors import smart
from connectors.base import Unauthorised
from ltc_dashboard import settings
from ltc_dashboard.intake import sync
from tests.servers import sekmet as sk
from tests.servers.loopback import FakeFhir
from tests.servers.smart_double import SignedInUser, SmartDouble

CLIENT = "ltc-dashboard"
REDIRECT = "http://127.0.0.1:8501/connect"
CLOCK = 1_800_000_000.0


@pytest.fixture
def double():
    """An authorization server whose user is a patient signing in for their own record."""
    user = SignedInUser(patient="p1", fhir_user="Patient/p1")
    with SmartDouble(CLIENT, REDIRECT, user, ["access-1", "access-2", "access-3"]) as running:
        yield running


def sign_in(double, http=None, now=CLOCK) -> smart.Tokens:
    """Drive the whole flow: discover, authorize (the browser's part), callback, exchange."""
    http = http or smart.SmartHttp()
    config = smart.discover(double.fhir_base, http)
    url, pending = smart.start_sign_in(config, CLIENT, REDIRECT)
    callback = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    return smart.finish_sign_in(pending, callback, http, now=lambda: now)


def test_discovery_reads_the_smart_configuration(double):
    """Discovery takes the endpoints from .well-known/smart-configuration."""
    config = smart.discover(double.fhir_base, smart.SmartHttp())
    assert (config.authorization_endpoint, config.token_endpoint, config.source) == (
        f"{double.root}/authorize", f"{double.root}/token", "smart-configuration")


def test_discovery_falls_back_to_the_capability_statement(double):
    """Without a smart-configuration, the CapabilityStatement's oauth-uris extension is used."""
    double.well_known = False
    config = smart.discover(double.fhir_base, smart.SmartHttp())
    assert (config.token_endpoint, config.source) == (f"{double.root}/token", "CapabilityStatement")


def test_discovery_without_smart_says_so():
    """A server with neither document gives a plain SmartError."""
    with FakeFhir({"metadata": {"resourceType": "CapabilityStatement"}}) as bare:
        with pytest.raises(smart.SmartError, match="does not offer SMART sign-in"):
            smart.discover(bare.base, smart.SmartHttp())


def test_plain_http_endpoints_off_loopback_are_refused():
    """A token endpoint on plain http (not loopback) is refused before anything is sent to it."""
    well_known = {"authorization_endpoint": "http://auth.example/authorize", "token_endpoint": "http://auth.example/token"}
    with FakeFhir({".well-known/smart-configuration": well_known}) as server:
        with pytest.raises(smart.SmartError, match="not on https"):
            smart.discover(server.base, smart.SmartHttp())


def test_authorize_url_carries_an_s256_challenge_and_state_but_no_verifier(double):
    """The authorize URL has the S256 challenge of the kept verifier, the state and aud; never the verifier."""
    config = smart.discover(double.fhir_base, smart.SmartHttp())
    url, pending = smart.start_sign_in(config, CLIENT, REDIRECT)
    query = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))

    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == smart.code_challenge(pending.code_verifier)
    assert query["state"] == pending.state and pending.code_verifier not in url
    assert 43 <= len(pending.code_verifier) <= 128


def test_sign_in_gives_tokens_with_the_patient_context(double):
    """The code exchange (PKCE checked by the server) gives a token, its expiry and the launch patient."""
    tokens = sign_in(double)

    assert tokens.access_token == "access-1" and tokens.patient == "p1" and tokens.fhir_user == "Patient/p1"
    assert tokens.expires_at == CLOCK + 300
    assert double.token_errors == []
    assert smart.patients_for(tokens, smart.SmartHttp()) == [smart.ActingFor("p1")]


def test_a_wrong_verifier_is_refused_by_the_server(double):
    """Exchanging the code with another verifier fails: the double really checks PKCE."""
    http = smart.SmartHttp()
    url, pending = smart.start_sign_in(smart.discover(double.fhir_base, http), CLIENT, REDIRECT)
    callback = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    forged = dataclasses.replace(pending, code_verifier="x" * 64)

    with pytest.raises(smart.SmartError, match="invalid_grant"):
        smart.finish_sign_in(forged, callback, http)
    assert double.token_errors == ["invalid_grant"]


def test_a_callback_with_another_state_is_refused_before_any_exchange(double):
    """A callback whose state is not ours raises StateMismatch and the code is never exchanged."""
    http = smart.SmartHttp()
    url, pending = smart.start_sign_in(smart.discover(double.fhir_base, http), CLIENT, REDIRECT)
    callback = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    _, other = smart.start_sign_in(smart.discover(double.fhir_base, http), CLIENT, REDIRECT)

    with pytest.raises(smart.StateMismatch):
        smart.finish_sign_in(other, callback, http)
    assert double.token_requests == []


def test_a_refused_sign_in_is_reported_plainly(double):
    """A callback carrying an OAuth error (the person said no) raises SmartError with its code."""
    _, pending = smart.start_sign_in(smart.discover(double.fhir_base, smart.SmartHttp()), CLIENT, REDIRECT)
    with pytest.raises(smart.SmartError, match="access_denied"):
        smart.code_from_callback(pending, f"{REDIRECT}?error=access_denied&state={pending.state}")


def test_tokens_are_refreshed_shortly_before_they_expire(double):
    """`fresh` keeps a token with time left and refreshes one within its margin of expiry (a tenth of
    its 300-second lifetime: 30 s), keeping the context."""
    http = smart.SmartHttp()
    tokens = sign_in(double, http)

    assert smart.fresh(tokens, http, now=lambda: CLOCK + 250) is tokens
    renewed = smart.fresh(tokens, http, now=lambda: CLOCK + 275)
    assert renewed.access_token == "access-2" and renewed.patient == "p1"
    assert renewed.expires_at == CLOCK + 275 + 300
    assert double.token_requests[-1]["grant_type"] == "refresh_token"


def test_an_expired_sign_in_without_refresh_token_asks_to_sign_in_again(double):
    """Expired tokens with no refresh token raise Unauthorised rather than failing later."""
    tokens = dataclasses.replace(sign_in(double), refresh_token=None)
    with pytest.raises(Unauthorised, match="sign in again"):
        smart.fresh(tokens, smart.SmartHttp(), now=lambda: CLOCK + 400)


def test_a_proxy_gets_the_patients_they_act_for():
    """A carer signing in as RelatedPerson, or as a Person linked to two, gets each patient as a proxy."""
    people = {
        "RelatedPerson/rp1": {"resourceType": "RelatedPerson", "id": "rp1", "patient": {"reference": "Patient/p1"}},
        "RelatedPerson/rp2": {"resourceType": "RelatedPerson", "id": "rp2", "patient": {"reference": "Patient/p2"}},
        "RelatedPerson/old": {"resourceType": "RelatedPerson", "id": "old", "active": False,
                              "patient": {"reference": "Patient/p3"}},
        "Person/carer": {"resourceType": "Person", "id": "carer", "link": [
            {"target": {"reference": "RelatedPerson/rp1"}}, {"target": {"reference": "RelatedPerson/rp2"}},
            {"target": {"reference": "RelatedPerson/old"}}]},
    }
    user = SignedInUser(patient="p1", fhir_user="RelatedPerson/rp1", resources=people)
    with SmartDouble(CLIENT, REDIRECT, user, ["a1"]) as double:
        tokens = sign_in(double)
        assert smart.patients_for(tokens, smart.SmartHttp()) == [smart.ActingFor("p1", "RelatedPerson/rp1")]
        person = dataclasses.replace(tokens, fhir_user=f"{double.fhir_base}/Person/carer", patient=None)
        assert smart.patients_for(person, smart.SmartHttp()) == [
            smart.ActingFor("p1", "RelatedPerson/rp1"), smart.ActingFor("p2", "RelatedPerson/rp2")]


def test_secrets_never_show_in_repr(double):
    """Tokens, verifier and state are left out of repr, so a log line or error page cannot show them."""
    http = smart.SmartHttp()
    _, pending = smart.start_sign_in(smart.discover(double.fhir_base, http), CLIENT, REDIRECT)
    tokens = sign_in(double, http)
    shown = repr(pending) + repr(tokens)
    assert pending.code_verifier not in shown and pending.state not in shown
    assert tokens.access_token not in shown and tokens.refresh_token not in shown


def test_login_configured_follows_ltc_login(monkeypatch):
    """settings.login_configured() is true exactly when LTC_LOGIN is set."""
    monkeypatch.delenv("LTC_LOGIN", raising=False)
    assert not settings.login_configured()
    monkeypatch.setenv("LTC_LOGIN", "smart")
    assert settings.login_configured()


@pytest.mark.server
def test_a_smart_sign_in_token_syncs_from_the_real_server(tmp_path_factory, tmp_path):
    """The token a SMART sign-in grants is the one the sync sends to the FHIR server (sekmet)."""
    server = sk.sekmet_or_skip(tmp_path_factory)
    user = SignedInUser(patient=sk.TRUMAN, fhir_user=f"Patient/{sk.TRUMAN}")
    with SmartDouble(CLIENT, REDIRECT, user, [sk.SMART_TOKEN]) as double:
        tokens = sign_in(double)
    from ltc_dashboard.store import Store

    report = sync.sync_patient(Store(tmp_path / "ltc.db"), server.base, tokens.patient, tokens.access_token)
    assert report.counts["Patient"] == 1 and report.counts["Observation"] == 659
