"""The SMART sign-in against a real OpenID Connect server (oidc-provider from npm, tests/servers/oidc.py)
in front of a real FHIR server (sekmet): the app's own code discovers it, signs in with PKCE through
its login and consent forms, reads the launch patient, syncs the record into the store, renews with
the refresh token; the server refuses a wrong code verifier, another client's code or refresh
token, and FHIR reads without one of its own access tokens."""

from __future__ import annotations

import copy
from dataclasses import replace
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from connectors import smart
from ltc_dashboard.intake import sync
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.service import core as service
from ltc_dashboard.service import connect as service_connect
from ltc_dashboard.store import Store
from test_app_connect import ROOT
from test_app_support import DIABETES
from tests.servers import oidc
from tests.servers.fixtures import server  # noqa: F401  (the session's sekmet)

pytestmark = pytest.mark.server

CLIENT, OTHER = "ltc-dashboard", "another-app"
REDIRECT = "http://127.0.0.1:8501/"
RAJESH = oidc.User("rajesh", "correct horse battery", DIABETES, f"Patient/{DIABETES}")  # data/demo/diabetes.json
KEPT_TYPES = set(sync.APP_TYPES) | {"Medication", "Binary"}


@pytest.fixture(scope="module")
def provider(server, tmp_path_factory):  # noqa: F811
    """The OIDC server in front of sekmet: two public clients, one user (the diabetes demo patient)."""
    oidc.oidc_or_skip()
    with oidc.over_sekmet(server, tmp_path_factory.mktemp("oidc"), {CLIENT: [REDIRECT], OTHER: [REDIRECT]},
                          [RAJESH]) as running:
        yield running


def signed_in(provider, client_id: str = CLIENT) -> tuple[smart.PendingSignIn, str]:
    """Start a sign-in with the app's code and complete the server's forms: (pending, callback address)."""
    config = smart.discover(provider.fhir_base, smart.SmartHttp())
    url, pending = smart.start_sign_in(config, client_id, REDIRECT)
    return pending, oidc.sign_in(url, REDIRECT, RAJESH.username, RAJESH.password)


def tokens_for(provider, client_id: str = CLIENT) -> smart.Tokens:
    pending, callback = signed_in(provider, client_id)
    return smart.finish_sign_in(pending, callback, smart.SmartHttp())


def fhir_status(provider, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{provider.fhir_base}/Patient/{DIABETES}", headers=headers, timeout=10).status_code


def as_stored(store: Store, patient_id: str) -> dict:
    """The patient's stored resources of the types a sync brings, without the server's version stamp."""
    found = {}
    for resource in store.resources_for(patient_id):
        if resource["resourceType"] in KEPT_TYPES:
            resource = copy.deepcopy(resource)
            for stamp in ("versionId", "lastUpdated"):
                resource.get("meta", {}).pop(stamp, None)
            if resource.get("meta") == {}:
                resource.pop("meta")
            found[(resource["resourceType"], resource["id"])] = resource
    return found


def test_discovery_offers_pkce_and_the_scopes_the_app_asks_for(provider):
    """The smart-configuration names the provider's own endpoints and S256; the app asks for v2 read scopes and offline access."""
    config = smart.discover(provider.fhir_base, smart.SmartHttp())
    provider_says = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10).json()

    assert config.source == "smart-configuration"
    assert config.authorization_endpoint == provider_says["authorization_endpoint"]
    assert config.token_endpoint == provider_says["token_endpoint"]
    assert "S256" in provider_says["code_challenge_methods_supported"]
    assert smart.choose_scope(config).split() == ["launch/patient", "openid", "fhirUser", "offline_access", "patient/*.rs"]


def test_sign_in_gives_the_launch_patient_and_fhir_user(provider):
    """After login and consent the code is exchanged with PKCE: a bearer token, a refresh token, the patient and fhirUser."""
    pending, callback = signed_in(provider)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert answer["state"] == pending.state and answer["iss"] == provider.issuer

    tokens, choices = service_connect.smart_finish(pending, answer)

    assert tokens.patient == DIABETES and tokens.refresh_token and tokens.lifetime == provider.access_token_ttl
    assert tokens.fhir_user == f"{provider.fhir_base}/Patient/{DIABETES}"
    assert "patient/*.rs" in tokens.scope.split()
    assert choices == [(smart.ActingFor(DIABETES), "Rajesh Example")]  # read from sekmet through the server


def test_a_signed_in_sync_stores_what_a_file_import_stores(provider, tmp_path):
    """The sync with the server's token brings the record sekmet holds, exactly as `ltc import` of its file, and keeps the connection."""
    imported = Store(tmp_path / "imported.db")
    import_paths(imported, [ROOT / "data" / "demo" / "diabetes.json"])
    svc = service.Service(Store(tmp_path / "synced.db"))

    outcome = svc.sync_signed_in(tokens_for(provider), DIABETES)

    assert outcome.report.complete and not outcome.report.rejected
    assert outcome.report.counts["Observation"] > 0
    assert as_stored(Store(tmp_path / "synced.db"), DIABETES) == as_stored(imported, DIABETES)
    assert [c["server"] for c in svc.connections(DIABETES)] == [provider.fhir_base]


def test_a_later_sync_renews_with_the_refresh_token(provider, tmp_path):
    """A day on, the kept connection is renewed at the real token endpoint (rotated refresh token) and the sync runs."""
    db = tmp_path / "ltc.db"
    svc = service.Service(Store(db))
    first = tokens_for(provider)
    svc.sync_signed_in(first, DIABETES)

    outcome = svc.sync_connection(provider.fhir_base, DIABETES, now=lambda: first.expires_at + 86_400)

    kept = Store(db).connection(provider.fhir_base, DIABETES)
    assert outcome.report.complete
    assert kept["access_token"] != first.access_token and kept["refresh_token"] != first.refresh_token
    assert fhir_status(provider, kept["access_token"]) == 200
    with pytest.raises(smart.SmartError) as reused:  # the provider rotated it: the old one is spent
        smart.refresh(first, smart.SmartHttp())
    assert reused.value.error == "invalid_grant"


def test_a_refresh_answer_repeats_the_patient_and_gives_a_working_token(provider):
    """The provider's refresh answer names the launch patient again; its access token passes the FHIR gate."""
    first = tokens_for(provider)
    answer = smart.SmartHttp().post_form(first.config.token_endpoint, {
        "grant_type": "refresh_token", "refresh_token": first.refresh_token, "client_id": CLIENT})

    assert answer["patient"] == DIABETES and answer["access_token"] != first.access_token
    assert answer["refresh_token"] != first.refresh_token
    assert fhir_status(provider, answer["access_token"]) == 200


def test_a_wrong_code_verifier_is_refused(provider):
    """PKCE is checked by the provider: the right code with another verifier is invalid_grant."""
    pending, callback = signed_in(provider)
    wrong = replace(pending, code_verifier=pending.code_verifier[::-1])

    with pytest.raises(smart.SmartError) as refused:
        smart.finish_sign_in(wrong, callback, smart.SmartHttp())
    assert refused.value.error == "invalid_grant"


def test_another_clients_code_and_refresh_token_are_refused(provider):
    """A code or refresh token issued to one client is refused to another, even with the right verifier."""
    pending, callback = signed_in(provider, OTHER)
    with pytest.raises(smart.SmartError) as code_refused:
        smart.finish_sign_in(replace(pending, client_id=CLIENT), callback, smart.SmartHttp())

    ours = tokens_for(provider)
    with pytest.raises(smart.SmartError) as refresh_refused:
        smart.refresh(replace(ours, client_id=OTHER), smart.SmartHttp())

    assert code_refused.value.error == "invalid_grant" and refresh_refused.value.error == "invalid_grant"


def test_the_fhir_server_needs_one_of_the_providers_access_tokens(provider, server):  # noqa: F811
    """No token, sekmet's own static token, a refresh token or a made-up one: 401; the provider's access token: 200 for a read."""
    tokens = tokens_for(provider)

    assert [fhir_status(provider, t) for t in (None, server.token, tokens.refresh_token, "x" * 43)] == [401] * 4
    assert fhir_status(provider, tokens.access_token) == 200
    written = requests.put(f"{provider.fhir_base}/Patient/{DIABETES}", json={"resourceType": "Patient", "id": DIABETES},
                           headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=10)
    assert written.status_code == 405  # the scopes it grants are read scopes: nothing reaches sekmet


def test_a_denied_consent_comes_back_as_access_denied(provider):
    """Pressing Deny sends the app the provider's access_denied, which the page words as cancelled."""
    config = smart.discover(provider.fhir_base, smart.SmartHttp())
    url, pending = smart.start_sign_in(config, CLIENT, REDIRECT)
    callback = oidc.sign_in(url, REDIRECT, RAJESH.username, RAJESH.password, allow=False)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}

    with pytest.raises(service_connect.SyncFailed) as failed:
        service_connect.smart_finish(pending, answer)
    assert failed.value.oauth_error == "access_denied" and failed.value.server_says


def test_a_sign_in_for_another_fhir_server_is_refused(provider):
    """The `aud` the app sends must be this FHIR server: another is refused before any login."""
    config = smart.discover(provider.fhir_base, smart.SmartHttp())
    url, _ = smart.start_sign_in(replace(config, fhir_base="http://127.0.0.1:9/fhir"), CLIENT, REDIRECT)
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]

    answer = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and answer["error"] == ["invalid_request"]
    assert "aud" in answer["error_description"][0]


def test_a_sign_in_without_pkce_is_refused(provider):
    """The provider requires PKCE of a public client: the app's request without its code_challenge is refused."""
    config = smart.discover(provider.fhir_base, smart.SmartHttp())
    url, _ = smart.start_sign_in(config, CLIENT, REDIRECT)
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("code_challenge")]
    location = requests.get(urlunsplit(parts._replace(query=urlencode(query))), allow_redirects=False,
                            timeout=10).headers["Location"]

    answer = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and answer["error"] == ["invalid_request"]
    assert "PKCE" in answer["error_description"][0]


def test_the_server_stops_when_its_parent_lets_go(server, tmp_path):  # noqa: F811
    """Closing its stdin (as a dying parent does) ends the server at once, cleanly."""
    oidc.oidc_or_skip()
    with oidc.over_sekmet(server, tmp_path, {CLIENT: [REDIRECT]}, [RAJESH]) as running:
        running.process.stdin.close()

        assert running.process.wait(timeout=10) == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{running.fhir_base}/.well-known/smart-configuration", timeout=5)


def test_a_server_with_per_type_v1_scopes_and_no_offline_access(server, tmp_path):  # noqa: F811
    """Set up with SMART v1 per-type scopes and no refresh tokens, the provider grants what the app asks for and the sync runs."""
    oidc.oidc_or_skip()
    per_type = tuple(f"patient/{kind}.read" for kind in smart.READ_TYPES)
    v1 = ("launch-standalone", "context-standalone-patient", "client-public", "permission-patient", "permission-v1",
          "sso-openid-connect")
    with oidc.over_sekmet(server, tmp_path, {CLIENT: [REDIRECT]}, [RAJESH], scopes=per_type, capabilities=v1,
                          offline=False) as strict:
        config = smart.discover(strict.fhir_base, smart.SmartHttp())
        asked = smart.choose_scope(config).split()
        tokens = tokens_for(strict)
        outcome = service.Service(Store(tmp_path / "ltc.db")).sync_signed_in(tokens, DIABETES)

    assert asked == ["launch/patient", "openid", "fhirUser", *per_type]
    assert sorted(tokens.scope.split()) == sorted(per_type) and tokens.refresh_token is None
    assert tokens.patient == DIABETES and outcome.report.complete and outcome.report.counts["Observation"] > 0
