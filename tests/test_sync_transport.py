"""The FHIR server transport on its own (no FHIR server needed): the token stays on its origin,
Retry-After is read in both forms, TLS verification is never turned off."""

from __future__ import annotations

import pytest
import requests

from connectors.base import Unauthorised
from connectors.fhir_server import FhirServerConnector
from connectors.http import OffOrigin, Transport, origin_of, retry_after_seconds
from tests.servers.loopback import FakeFhir, Loopback, Recorder, Reply

TOKEN = "transport-test-token"


def hostile_pages(recorder: Recorder) -> dict:
    """A Patient search whose next link points at another origin."""
    return {"Patient": {"resourceType": "Bundle", "type": "searchset",
                        "link": [{"relation": "next", "url": f"{recorder.root}/fhir/Patient?page=2"}],
                        "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}]}}


def test_fhirclient_alone_sends_the_token_to_a_foreign_next_link():
    """fhirclient 4.4's own paging sends the bearer token to another origin (why we do not use it)."""
    from fhirclient.auth import FHIROAuth2Auth
    from fhirclient.models.bundle import Bundle
    from fhirclient.server import FHIRServer
    from fhirclient._utils import iter_pages

    with Recorder() as hostile, FakeFhir(hostile_pages(hostile)) as server:
        client = FHIRServer(None, base_uri=server.base)
        client.auth = FHIROAuth2Auth(state={"access_token": TOKEN})
        list(iter_pages(Bundle.read_from("Patient", client), client))
        assert hostile.authorizations == [f"Bearer {TOKEN}"]


def test_our_connector_refuses_a_foreign_next_link_and_sends_nothing_there():
    """Our connector stops at a next link on another origin; that origin receives no request at all."""
    with Recorder() as hostile, FakeFhir(hostile_pages(hostile)) as server:
        with pytest.raises(OffOrigin, match="not followed"):
            FhirServerConnector(server.base, "p1", TOKEN).fetch()
        assert hostile.requests == []
        assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_redirect_to_another_origin_is_not_followed():
    """A 302 to another origin raises OffOrigin instead of carrying the request (and token) there."""
    with Recorder() as hostile:
        with Loopback(lambda r: Reply(302, b"", {"Location": f"{hostile.root}/fhir/Patient"})) as server:
            transport = Transport(f"{server.root}/fhir", requests.Session(), lambda h: {**h, "Authorization": "x"})
            with pytest.raises(OffOrigin):
                transport.get("Patient")
        assert hostile.requests == []


def test_only_the_exact_origin_counts_as_the_same_server():
    """Scheme, host and port must all match; default ports are the same as no port."""
    transport = Transport("https://fhir.example.org/r4", requests.Session())
    assert transport.resolve("Patient?_id=1") == "https://fhir.example.org/r4/Patient?_id=1"
    assert transport.resolve("https://fhir.example.org:443/r4/Binary/1").endswith("/Binary/1")
    for elsewhere in ("http://fhir.example.org/r4/Binary/1", "https://fhir.example.org:8443/r4/x",
                      "https://evil.example.org/r4/x", "https://fhir.example.org.evil.example/x", "file:///etc/passwd"):
        with pytest.raises(OffOrigin):
            transport.resolve(elsewhere)
    assert origin_of("HTTPS://Fhir.Example.org/") == ("https", "fhir.example.org", 443)


def test_retry_after_is_read_as_seconds_or_as_a_date():
    """Retry-After may be delay-seconds or an HTTP date; anything else is ignored."""
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 25 Nov 2026 10:00:30 GMT", now=1795600800.0) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_tls_verification_is_always_on():
    """Every request is sent with verify=True and a timeout, whatever the session's defaults."""
    class Spy(requests.Session):
        def get(self, url, **kwargs):
            self.seen = kwargs
            raise requests.ConnectionError("offline")

    spy = Spy()
    spy.verify = False
    with pytest.raises(Exception):
        Transport("https://fhir.example.org/", spy, retries=0, timeout=5).get("metadata")
    assert spy.seen["verify"] is True and spy.seen["timeout"] == 5


def test_a_refused_token_is_named_and_never_shown():
    """A 401 raises Unauthorised whose message and the connector's repr hold no token."""
    with Loopback(lambda r: Reply.json({"resourceType": "OperationOutcome"}, 401)) as server:
        connector = FhirServerConnector(f"{server.root}/fhir", "p1", TOKEN)
        with pytest.raises(Unauthorised) as raised:
            connector.fetch()
    assert TOKEN not in str(raised.value) and TOKEN not in repr(connector)
