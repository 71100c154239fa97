"""Sending one resource the person made to a FHIR server (issue 21: a repeat prescription order as
a Task), and the two questions asked before: does the server say it accepts that kind of write
(its CapabilityStatement lists `create` for the type), and does the token's granted scope allow it.

One POST, never retried: a create is not safe to repeat blindly. It carries `If-None-Exist` on the
order's own identifier (FHIR conditional create), so a server that already holds the order from an
earlier attempt answers with that one instead of a second copy (the service sends an unconfirmed
order again under the same identifier). The token goes only to the server's own origin, and only
over https or to this computer (`connectors.http.token_may_travel`, the rule for connecting);
redirects are not followed. Messages name no token, body or patient.

Only 200 or 201 says the server took it. Whatever may have reached the server without saying so
is `NotConfirmed`, never a refusal: no answer in time, a connection closed after the request went,
a 5xx (a server can fail after writing), 202 Accepted ("accepted for processing", not done) or
another 2xx. Only a failure before anything was sent (nothing listening, no such host, TLS) is
`Unreachable`.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from connectors.base import BadPayload, ConnectorError, ServerError, Unauthorised
from connectors.http import FHIR_JSON, RequestRefused, Transport, token_may_travel


class WritesRefused(ConnectorError):
    """The server does not accept this write: it refused it (HTTP 403, 405) or does not list it."""


class NoIdGiven(BadPayload):
    """The server said it took the resource (HTTP 200/201) but not under which id."""


class Unreachable(ConnectorError):
    """Nothing answered (no network, the server down): the request did not arrive."""


class PlainHttp(ConnectorError):
    """The server is on plain http and not this computer: the token would travel unprotected."""


class NotConfirmed(ConnectorError):
    """The request may have reached the server, but it did not say it took it."""


class NoAnswer(NotConfirmed):
    """The request was sent but no answer came in time: it may or may not have arrived."""


class Dropped(NotConfirmed):
    """The connection closed after the request was sent, before any answer."""


class FailedAfterSending(NotConfirmed):
    """The server answered 5xx: it failed, possibly after writing what was sent."""


class AcceptedOnly(NotConfirmed):
    """The server answered 202 Accepted (or another 2xx that is not 200/201): not done yet."""


def creates(base: str, rtype: str, token: str | None, session: requests.Session | None = None,
            timeout: float = 30.0) -> bool:
    """Whether the server's CapabilityStatement lists `create` for `rtype` in its server part
    (`rest.mode` server). R4 has no "every type" entry for create (the system-level interactions
    are transaction, batch and whole-system search and history), so nothing else counts."""
    _check_travel(base, token)
    transport = Transport(base, session or requests.Session(), _signer(token), timeout=timeout, retries=0)
    try:
        statement, _ = transport.get_json("metadata")
    except (requests.RequestException, ServerError) as exc:
        if isinstance(exc, ServerError) and "could not connect" not in str(exc) and "did not answer" not in str(exc):
            raise
        raise Unreachable("the server could not be reached") from None
    for rest in _dicts(statement.get("rest") if isinstance(statement, dict) else None):
        if rest.get("mode") not in (None, "server"):
            continue
        for resource in _dicts(rest.get("resource")):
            if resource.get("type") == rtype:
                return any(i.get("code") == "create" for i in _dicts(resource.get("interaction")))
    return False


def scope_allows_create(scope: str | None, rtype: str) -> bool:
    """Whether a granted SMART scope lets the app create `rtype` in the patient's (or user's)
    compartment: v1 `.write` or `.*`, or a v2 permission string with `c` ("cruds" letters)."""
    for granted in (scope or "").split():
        context, _, rest = granted.partition("/")
        kind, _, permission = rest.partition(".")
        if context not in ("patient", "user") or kind not in (rtype, "*"):
            continue
        if permission in ("write", "*"):
            return True
        if "c" in permission and permission == "".join(c for c in "cruds" if c in permission):
            return True
    return False


def create(base: str, resource: dict, token: str | None, if_none_exist: str | None = None,
           session: requests.Session | None = None, timeout: float = 30.0) -> str:
    """POST `resource` to `base`/Type; the id the server gave it (HTTP 200/201), or a named failure."""
    _check_travel(base, token)
    url = Transport(base, session or requests.Session()).resolve(resource["resourceType"])
    headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if if_none_exist:
        headers["If-None-Exist"] = if_none_exist
    try:
        response = (session or requests.Session()).post(url, json=resource, headers=headers, timeout=timeout,
                                                        allow_redirects=False, verify=True)
    except requests.RequestException as exc:
        raise _failure(exc) from None
    status = response.status_code
    if status in (200, 201):
        return _created_id(response, resource["resourceType"])
    if 200 <= status < 300:
        raise AcceptedOnly(f"the server received it but did not say it took it (HTTP {status})")
    if status == 401:
        raise Unauthorised("the server did not accept the sign-in (HTTP 401)")
    if status in (403, 405):
        raise WritesRefused(f"the server refused to take it (HTTP {status})")
    if status >= 500:
        raise FailedAfterSending(f"the server failed on its side (HTTP {status}), perhaps after taking it")
    raise RequestRefused(f"the server refused it as sent (HTTP {status})", status)


def _check_travel(base: str, token: str | None) -> None:
    if token and not token_may_travel(base):
        raise PlainHttp("the server is on plain http, so the sign-in was not sent to it")


# Failures that happen before a byte of the request leaves: the request surely did not arrive.
_NEVER_SENT = (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.InvalidURL,
               requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
               requests.exceptions.InvalidHeader)


def _failure(exc: requests.RequestException) -> ConnectorError:
    """A failed POST as Unreachable (surely not sent) or NotConfirmed (it may have arrived)."""
    if isinstance(exc, _NEVER_SENT) or _refused_connection(exc):
        return Unreachable("the server could not be reached")
    if isinstance(exc, requests.Timeout):
        return NoAnswer("the server did not answer in time, so the app cannot tell whether it arrived")
    return Dropped("the connection closed before the server answered, so the app cannot tell whether it arrived")


def _refused_connection(exc: requests.RequestException) -> bool:
    """A ConnectionError raised while connecting (nothing listening, no such host), before sending."""
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _created_id(response: requests.Response, rtype: str) -> str:
    """The new resource's id: from the body, else from the Location header (Type/id/_history/n)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("resourceType") == rtype and isinstance(body.get("id"), str):
        return body["id"]
    location = response.headers.get("Location") or response.headers.get("Content-Location") or ""
    parts = location.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == rtype and parts[-1]:
        return parts[-1]
    raise NoIdGiven("the server said it took the order but did not say under which id")


def _signer(token: str | None):
    return (lambda headers: {**headers, "Authorization": f"Bearer {token}"}) if token else None


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


__all__ = ["AcceptedOnly", "Dropped", "FailedAfterSending", "NoAnswer", "NoIdGiven", "NotConfirmed", "PlainHttp",
           "Unreachable", "WritesRefused", "create", "creates", "scope_allows_create"]
