"""Sending a repeat order (issue 21, after attack 21b): which failures may have reached the server
(kept "unconfirmed", never "not sent") and which surely did not; an unconfirmed order sent again
under its own identifier is settled once, not doubled; a 2xx other than 200/201 is not "sent"; the
token never goes over plain http except to this computer (one rule, connectors/http.py
`token_may_travel`, for connecting, signing in and ordering); and only a server part listing
`create` for Task counts (R4 has no "every type" entry).

Where the shapes come from: sekmet on 127.0.0.1 loaded with the demo records, behind the fault
proxy of tests/servers/loopback.py (as tests/test_attack21b_send.py uses them); the requests and
urllib3 exceptions are the ones each library raises for the failure named (requests 2.x wraps a
refused connection as ConnectionError(MaxRetryError(reason=NewConnectionError)), a closed one as
ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected))).
"""

from __future__ import annotations

import http.client
import json

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from connectors import orders
from connectors.http import token_may_travel
from test_attack21b_send import _TimesOutAfterWriting, ours, svc  # noqa: F401  (fixture)
from test_exports_support import today, viewer
from test_repeats import ORDERED
from tests.servers import sekmet as sk
from tests.servers.fixtures import proxy, server  # noqa: F401  (fixtures)
from tests.servers.loopback import Reply, status

ME = viewer("dm-patient")


# -- what may have arrived ---------------------------------------------------------------------------
def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "[Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/fhir/Task", reason))


def _closed() -> requests.ConnectionError:
    aborted = ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed"))
    return requests.ConnectionError(aborted)


@pytest.mark.parametrize("make, kind", [
    (_refused, orders.Unreachable), (lambda: requests.ConnectTimeout("connect"), orders.Unreachable),
    (lambda: requests.exceptions.SSLError("handshake"), orders.Unreachable),
    (lambda: requests.ReadTimeout("read"), orders.NoAnswer), (_closed, orders.Dropped),
    (lambda: requests.exceptions.ChunkedEncodingError("cut"), orders.Dropped),
    (lambda: requests.ConnectionError("no detail"), orders.Dropped),
])
def test_only_a_failure_before_sending_is_unreachable(make, kind):
    """Connecting refused, timed out or TLS failing: nothing left; anything after (no answer, a
    closed connection, a cut answer, a failure the library does not explain): it may have arrived."""
    assert type(orders._failure(make())) is kind


def test_an_unconfirmed_order_sent_again_is_settled_once_under_its_identifier(server, svc):
    """No answer in time (the Task arrived); ordering again sends the same identifier, sekmet answers
    200 with the Task it holds (If-None-Exist): one Task, one kept order, now "Ordered on ..."."""
    first = svc.send_order(ME, today(), "dm-med-metformin", server.base, sk.TOKEN, now=ORDERED,
                           session=_TimesOutAfterWriting())
    [waiting] = ours(svc)
    found = requests.get(f"{server.base}/Task", params={"focus": "MedicationRequest/dm-med-metformin"},
                         headers=server.headers(), timeout=30).json()
    held = [e["resource"]["id"] for e in found.get("entry", [])]
    try:
        assert first.refusal == "no answer" and waiting.status == "unconfirmed" and len(held) == 1
        again = svc.send_order(ME, today(), "dm-med-metformin", server.base, sk.TOKEN)
        [order] = ours(svc)
        assert again.sent and again.server_id == held[0] and again.order_id == waiting.id == order.id
        assert order.words(today()) == "Ordered on 20 November; not yet issued"
    finally:
        for rid in held:
            server.delete("Task", rid)


def test_a_refusal_of_the_order_sent_again_leaves_it_unconfirmed(server, proxy, svc):
    """No answer to the first send (the Task arrived); the server refuses the second (403): the
    first may still be there, so the order stays unconfirmed, never "Not sent"."""
    first = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN, now=ORDERED,
                           session=_TimesOutAfterWriting())
    found = requests.get(f"{server.base}/Task", params={"focus": "MedicationRequest/dm-med-metformin"},
                         headers=server.headers(), timeout=30).json()
    try:
        proxy.on(lambda r: r.method == "POST", status(403))
        again = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN)
        [order] = ours(svc)
        assert (first.refusal, again.refusal, again.order_id) == ("no answer", "refused again", first.order_id)
        assert order.status == "unconfirmed" and "cannot tell whether the first attempt arrived" in again.words
    finally:
        for entry in found.get("entry", []):
            server.delete("Task", entry["resource"]["id"])


@pytest.mark.parametrize("code", [202, 204])
def test_a_2xx_other_than_200_or_201_is_unconfirmed_in_plain_words(proxy, svc, code):
    """202 Accepted (asynchronous) and 204 No Content say neither that nor under which id the server
    took it: kept unconfirmed, and the words say the app cannot say it was ordered."""
    proxy.on(lambda r: r.method == "POST", lambda p, r: Reply(code, b"", {}))
    result = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN, now=ORDERED)
    [order] = ours(svc)
    assert not result.sent and result.refusal == "accepted only" and "cannot say it was ordered" in result.words
    assert order.status == "unconfirmed" and "could not confirm" in order.words(today())


# -- where the token goes ----------------------------------------------------------------------------
@pytest.mark.parametrize("url, allowed", [
    ("https://fhir.example.org/r4", True), ("http://127.0.0.1:8080/fhir", True), ("http://localhost/fhir", True),
    ("http://[::1]:9000/fhir", True), ("HTTP://LOCALHOST/fhir", True), ("http://fhir.example.org/r4", False),
    ("http://127.0.0.1.example.org/fhir", False), ("http://192.168.1.10/fhir", False),
    ("ftp://fhir.example.org", False), ("not an address", False),
])
def test_a_token_travels_over_https_or_to_this_computer_only(url, allowed):
    """The one rule for connecting, signing in and ordering."""
    assert token_may_travel(url) is allowed


def test_connecting_and_ordering_refuse_the_same_plain_http_address(svc):
    """`ltc connect` and `ltc order-repeat` share the rule: an http address on another computer is
    refused with a token (nothing sent, nothing kept), and connecting takes it without one."""
    from ltc_dashboard.service.connect import SyncFailed, _check_server

    address = "http://fhir.example.org/r4"
    with pytest.raises(SyncFailed) as refused:
        _check_server(address, "t")
    assert refused.value.kind == "plain http"
    _check_server(address, None)
    result = svc.send_order(ME, today(), "dm-med-metformin", address, "t")
    assert not result.sent and result.refusal == "plain http" and "https://" in result.words and ours(svc) == []


# -- what a CapabilityStatement must say ---------------------------------------------------------------
@pytest.mark.parametrize("shape", ["resource type Resource", "system interactions only"])
def test_create_is_read_for_the_type_itself_only(proxy, svc, shape):
    """A server part listing create for a type "Resource" (no R4 type: not a wildcard) or only the
    system-level interactions (transaction, batch) does not take Task create: nothing is posted."""
    def changed(p, request):
        statement = json.loads(p.forward(request).body)
        for rest in statement["rest"]:
            rest["resource"] = [r for r in rest["resource"] if r["type"] != "Task"]
            if shape == "resource type Resource":
                rest["resource"].append({"type": "Resource", "interaction": [{"code": "create"}]})
            else:
                rest["interaction"] = [{"code": "transaction"}, {"code": "batch"}]
        return Reply.json(statement)

    proxy.on("/metadata", changed)
    result = svc.send_order(ME, today(), "dm-med-metformin", proxy.base, sk.TOKEN)
    assert not result.sent and result.refusal == "writes refused"
    assert [r for r in proxy.requests if r.method == "POST"] == [] and ours(svc) == []
