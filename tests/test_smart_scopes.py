"""Scopes from the server (issue 17): the app reads `scopes_supported` and `capabilities` from the
SMART configuration and asks for SMART v2 scopes where offered, v1 otherwise, per-type where no
wildcard is offered, and `offline_access` only where offered; a refusal shows the server's own
explanation. Against the SMART double, which refuses any scope it does not list (invalid_scope)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors import smart
from connectors.fhir_server import APP_TYPES
from ltc_dashboard.service import connect as service_connect
from tests.servers.smart_double import SignedInUser, SmartDouble

CLIENT = "ltc-dashboard"
REDIRECT = "http://127.0.0.1:8501/connect"
BASICS = ["openid", "fhirUser", "launch/patient"]
V1 = [*BASICS, "offline_access", "patient/*.read"]
V2 = [*BASICS, "offline_access", "patient/*.rs"]
PER_TYPE = [*BASICS, "offline_access", "patient/Patient.rs", "patient/Observation.rs", "patient/Condition.rs",
            "patient/MedicationRequest.rs", "patient/Medication.rs"]


def signed_in_double(**options) -> SmartDouble:
    return SmartDouble(CLIENT, REDIRECT, SignedInUser(patient="p1", fhir_user="Patient/p1"), ["access-1", "access-2"],
                       **options)


def sign_in(double: SmartDouble) -> smart.Tokens:
    """Discover, authorize (the browser's part), take the answer and exchange the code."""
    http = smart.SmartHttp()
    config = smart.discover(double.fhir_base, http)
    url, pending = smart.start_sign_in(config, CLIENT, REDIRECT)
    callback = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    return smart.finish_sign_in(pending, callback, http, now=lambda: 1_800_000_000.0)


def test_a_v1_only_server_is_asked_for_v1_scopes():
    """Offered only v1 scopes, the app asks for `patient/*.read` and signs in."""
    with signed_in_double(scopes_supported=V1, capabilities=["permission-v1", "permission-offline"]) as double:
        tokens = sign_in(double)
    assert double.scopes_asked == ["launch/patient openid fhirUser offline_access patient/*.read"]
    assert tokens.refresh_token and double.token_errors == []


def test_a_v2_only_server_is_asked_for_v2_scopes():
    """Offered only SMART v2 scopes, the app asks for `patient/*.rs` (read and search), never `.read`."""
    with signed_in_double(scopes_supported=V2, capabilities=["permission-v2", "permission-offline"]) as double:
        sign_in(double)
    assert double.scopes_asked == ["launch/patient openid fhirUser offline_access patient/*.rs"]


def test_v2_is_chosen_where_both_are_offered():
    """A server offering v1 and v2 gets v2 scopes."""
    with signed_in_double(scopes_supported=[*V1, "patient/*.rs"],
                          capabilities=["permission-v1", "permission-v2", "permission-offline"]) as double:
        sign_in(double)
    assert double.scopes_asked[0].split()[-1] == "patient/*.rs"


def test_a_per_type_server_is_asked_for_each_offered_type_the_app_reads():
    """No wildcard offered: the app asks for each type it reads that the server lists, in its own order."""
    with signed_in_double(scopes_supported=PER_TYPE, capabilities=["permission-v2", "permission-offline"]) as double:
        sign_in(double)
    asked = double.scopes_asked[0].split()
    assert [s for s in asked if s.startswith("patient/")] == [
        "patient/Patient.rs", "patient/Condition.rs", "patient/Observation.rs", "patient/MedicationRequest.rs",
        "patient/Medication.rs"]
    assert all(f"patient/{t}.rs" not in asked for t in APP_TYPES if f"patient/{t}.rs" not in PER_TYPE)


def test_offline_access_is_asked_only_where_offered():
    """A server that offers no offline_access is not asked for it, signs in, and grants no refresh token."""
    with signed_in_double(scopes_supported=[*BASICS, "patient/*.rs"], capabilities=["permission-v2"]) as double:
        tokens = sign_in(double)
    assert "offline_access" not in double.scopes_asked[0].split()
    assert tokens.refresh_token is None and double.token_errors == []


def test_capabilities_alone_choose_the_version_and_offline_access():
    """With no scopes_supported, the capabilities decide: permission-v2 gives v2, no permission-offline no offline_access."""
    config = smart.SmartConfig("https://fhir.example/r4", "https://a/authorize", "https://a/token", "smart-configuration",
                               ("launch-standalone", "context-standalone-patient", "permission-v2", "sso-openid-connect"))
    assert smart.choose_scope(config) == "launch/patient openid fhirUser patient/*.rs"


def test_a_server_that_says_nothing_gets_the_v1_default():
    """Discovered from a CapabilityStatement (no lists at all), the app asks as it always did."""
    config = smart.SmartConfig("https://fhir.example/r4", "https://a/authorize", "https://a/token", "CapabilityStatement")
    assert smart.choose_scope(config) == smart.DEFAULT_SCOPE


def test_an_invalid_scope_refusal_carries_the_servers_explanation():
    """invalid_scope with an error_description: the SmartError keeps the code and the server's words."""
    reason = "Patient-level access is not switched on for this app. Ask your practice to switch it on."
    with signed_in_double(refuse=("invalid_scope", reason)) as double:
        with pytest.raises(smart.SmartError) as raised:
            sign_in(double)
    assert raised.value.error == "invalid_scope" and raised.value.description == reason


def test_the_servers_explanation_is_cleaned_for_showing():
    """The server's words lose bidi overrides and control characters and are cut to a readable length."""
    with signed_in_double(refuse=("access_denied", "You said no\u202e.\x07" + "x" * 900)) as double:
        with pytest.raises(smart.SmartError) as raised:
            sign_in(double)
    assert raised.value.description.startswith("You said no.") and "\u202e" not in raised.value.description
    assert len(raised.value.description) <= 301


def test_the_service_hands_the_page_the_error_and_the_servers_words():
    """Through the service the page uses, a refused sign-in is a SyncFailed with the OAuth error and
    the server's explanation, for the page to word."""
    reason = "Scope not allowed for this client."
    with signed_in_double(refuse=("invalid_scope", reason)) as double:
        url, pending = service_connect.smart_start(double.fhir_base, REDIRECT, CLIENT)
        location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
        answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        with pytest.raises(service_connect.SyncFailed) as raised:
            service_connect.smart_finish(pending, answer)
    assert (raised.value.kind, raised.value.oauth_error, raised.value.server_says) == (
        "sign-in failed", "invalid_scope", reason)


def test_a_refused_token_request_carries_the_servers_explanation():
    """A token endpoint refusal (a refresh here) keeps error and error_description too."""
    with signed_in_double() as double:
        tokens = sign_in(double)
        double.refresh_refusal = ("invalid_grant", "The refresh token was revoked by the user.")
        with pytest.raises(smart.SmartError) as raised:
            smart.refresh(tokens, smart.SmartHttp())
    assert (raised.value.error, raised.value.description) == ("invalid_grant", "The refresh token was revoked by the user.")
