"""Sending one resource the person made to a FHIR server (issue 21: a repeat prescription order as
a Task), and the two questions asked before: does the server say it accepts that kind of write
(its CapabilityStatement lists `create` for the type), and does the token's granted scope allow it.

One POST, never retried: a create is not safe to repeat blindly. It carries `If-None-Exist` on the
order's own identifier (FHIR conditional create), so a server that already holds the order from an
earlier attempt answers with that one instead of a second copy. The token goes only to the
server's own origin; redirects are not followed. Messages name no token, body or patient.
"""

from __future__ import annotations

import requests

from connectors.base import BadPayload, ConnectorError, ServerError, Unauthorised
from connectors.http import FHIR_JSON, RequestRefused, Transport


class WritesRefused(ConnectorError):
    """The server does not accept this write: it refused it (HTTP 403, 405) or does not list it."""


class NoIdGiven(BadPayload):
    """The server said it took the resource (HTTP 200/201) but not under which id."""


class Unreachable(ConnectorError):
    """Nothing answered (no network, the server down): the request did not arrive."""


class NoAnswer(Unreachable):
    """The request was sent but no answer came in time: it may or may not have arrived."""


def creates(base: str, rtype: str, token: str | None, session: requests.Session | None = None,
            timeout: float = 30.0) -> bool:
    """Whether the server's CapabilityStatement lists `create` for `rtype` (or for every type)."""
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
    """POST `resource` to `base`/Type; the id the server gave it, or a named failure."""
    url = Transport(base, session or requests.Session()).resolve(resource["resourceType"])
    headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if if_none_exist:
        headers["If-None-Exist"] = if_none_exist
    try:
        response = (session or requests.Session()).post(url, json=resource, headers=headers, timeout=timeout,
                                                        allow_redirects=False, verify=True)
    except requests.Timeout:
        raise NoAnswer("the server did not answer in time, so the app cannot tell whether it arrived") from None
    except requests.RequestException:
        raise Unreachable("the server could not be reached") from None
    status = response.status_code
    if 200 <= status < 300:
        return _created_id(response, resource["resourceType"])
    if status == 401:
        raise Unauthorised("the server did not accept the sign-in (HTTP 401)")
    if status in (403, 405):
        raise WritesRefused(f"the server refused to take it (HTTP {status})")
    if status >= 500:
        raise ServerError(f"the server failed on its side (HTTP {status})")
    raise RequestRefused(f"the server refused it as sent (HTTP {status})", status)


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


__all__ = ["NoAnswer", "NoIdGiven", "Unreachable", "WritesRefused", "create", "creates", "scope_allows_create"]
