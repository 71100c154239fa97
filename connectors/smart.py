"""SMART App Launch, standalone patient launch: discovery, authorization code with PKCE (S256) and
state, the token exchange, refresh before expiry, and the patients the signed-in person may open.

The "Connect a record" page drives it in four steps, each a plain function:

    config = discover(fhir_base, http)                        # .well-known, else CapabilityStatement
    url, pending = start_sign_in(config, client_id, redirect_uri)   # send the browser to `url`
    tokens = finish_sign_in(pending, callback_url, http)      # state checked, code exchanged
    tokens = fresh(tokens, http)                              # refreshed shortly before expiry
    choices = patients_for(tokens, http)                      # self, or the patients a proxy acts for

`pending` and `tokens` hold secrets (verifier, state, tokens): they live in the server-side
session only, are excluded from repr, and are never written to the store or a log. Endpoints must
be https except on a loopback host. `SmartHttp` is the only network access (timeouts, TLS verified).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from connectors.base import BadPayload, ConnectorError, NotFound, Unauthorised
from connectors.http import RequestRefused, Transport, origin_of, token_may_travel
from connectors.smart_scopes import DEFAULT_SCOPE, ORDER_SCOPES, READ_TYPES, choose_scope  # noqa: F401  (split out)
from ltc_dashboard import textsafe

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
MAX_DESCRIPTION = 300  # characters of a server's error_description kept for showing
REFRESH_MARGIN = 60.0  # seconds before expiry at which a token is refreshed, at most
MAX_LIFETIME = 10 * 365 * 24 * 3600  # seconds: a longer expires_in is taken as this
REFRESH_SHARE = 0.1  # ...and at most this share of the token's lifetime (a 60 s token: 6 s before)


class SmartError(ConnectorError):
    """The sign-in could not be completed; the message says why in plain words. `error` is the OAuth
    error code when the server gave one, `description` its error_description, cleaned for showing."""

    def __init__(self, message: str, error: str | None = None, description: str | None = None) -> None:
        super().__init__(message)
        self.error = error[:40] if isinstance(error, str) else None
        self.description = _cleaned(description)


class SignInAgain(SmartError, Unauthorised):
    """The access token has expired and could not be renewed: the person must sign in again."""


class StateMismatch(SmartError):
    """The sign-in answer does not belong to the sign-in this session started."""


@dataclass(frozen=True)
class SmartConfig:
    """Where to send the person to sign in, and where to exchange the code, for one FHIR server."""

    fhir_base: str
    authorization_endpoint: str
    token_endpoint: str
    source: str  # "smart-configuration" or "CapabilityStatement"
    capabilities: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in under way: kept in the server-side session between the redirect and the callback."""

    config: SmartConfig
    client_id: str
    redirect_uri: str
    scope: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint granted. The secrets are left out of repr."""

    config: SmartConfig
    client_id: str
    access_token: str = field(repr=False)
    expires_at: float | None = None  # epoch seconds
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""
    patient: str | None = None  # launch context: the patient chosen at sign-in
    fhir_user: str | None = None  # e.g. "RelatedPerson/42" for a proxy
    lifetime: float | None = None  # expires_in as granted, seconds

    @property
    def margin(self) -> float:
        """How long before expiry to refresh: a minute, or a tenth of a shorter token's lifetime."""
        return min(REFRESH_MARGIN, REFRESH_SHARE * self.lifetime) if self.lifetime else REFRESH_MARGIN

    def expires_soon(self, now: float, margin: float | None = None) -> bool:
        margin = self.margin if margin is None else margin
        return self.expires_at is not None and now >= self.expires_at - margin

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class ActingFor:
    """A record the signed-in person may open: their own (`related_person` None) or as a proxy."""

    patient_id: str
    related_person: str | None = None


class SmartHttp:
    """Network access for the sign-in: discovery and token requests, and FHIR reads with a token."""

    def __init__(self, session: requests.Session | None = None, timeout: float = 30.0) -> None:
        self._session = session or requests.Session()
        self.timeout = timeout

    def get_json(self, url: str) -> dict:
        """GET a public JSON document (no credentials)."""
        base = url.rsplit("/", 1)[0] + "/"
        data, _ = Transport(base, self._session, timeout=self.timeout, retries=1).get_json(url)
        return data if isinstance(data, dict) else {}

    def post_form(self, url: str, data: dict) -> dict:
        """POST a form to a token endpoint; the JSON answer, or SmartError with the OAuth error code."""
        _require_secure(url, "token endpoint")
        try:
            response = self._session.post(url, data=data, headers={"Accept": "application/json"},
                                          timeout=self.timeout, allow_redirects=False, verify=True)
        except requests.RequestException:
            raise SmartError("the sign-in server did not answer; try again later") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict):
            code = body.get("error") if isinstance(body, dict) else None
            code = code if isinstance(code, str) else None
            raise SmartError(f"the sign-in server refused (HTTP {response.status_code}"
                             f"{', ' + code[:40] if code else ''}); please sign in again",
                             code, body.get("error_description") if isinstance(body, dict) else None)
        return body

    def fhir_read(self, fhir_base: str, reference: str, access_token: str) -> dict:
        """Read one resource from the FHIR server with the token (same origin only)."""
        transport = Transport(fhir_base, self._session, lambda h: {**h, "Authorization": f"Bearer {access_token}"},
                              timeout=self.timeout, retries=1)
        data, _ = transport.get_json(reference)
        return data if isinstance(data, dict) else {}


def discover(fhir_base: str, http: SmartHttp) -> SmartConfig:
    """The server's sign-in endpoints: `.well-known/smart-configuration`, else the
    CapabilityStatement's oauth-uris extension."""
    base = fhir_base.rstrip("/")
    try:
        found = http.get_json(f"{base}/.well-known/smart-configuration")
    except (NotFound, BadPayload, RequestRefused, Unauthorised):
        found = {}
    if found.get("authorization_endpoint") and found.get("token_endpoint"):
        methods = found.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise SmartError("the server does not offer PKCE with S256, which this app requires")
        config = SmartConfig(base, found["authorization_endpoint"], found["token_endpoint"],
                             "smart-configuration", _strings(found.get("capabilities")),
                             _strings(found.get("scopes_supported")))
    else:
        config = _from_capability(base, http)
    _require_secure(config.authorization_endpoint, "sign-in page")
    _require_secure(config.token_endpoint, "token endpoint")
    return config


def _from_capability(base: str, http: SmartHttp) -> SmartConfig:
    statement = http.get_json(f"{base}/metadata")
    for rest in statement.get("rest") or []:
        security = (rest or {}).get("security") or {}
        for extension in security.get("extension") or []:
            if extension.get("url") != OAUTH_URIS:
                continue
            uris = {e.get("url"): e.get("valueUri") for e in extension.get("extension") or []}
            if uris.get("authorize") and uris.get("token"):
                return SmartConfig(base, uris["authorize"], uris["token"], "CapabilityStatement")
    raise SmartError("this server does not offer SMART sign-in (no smart-configuration or oauth-uris)")


def start_sign_in(
    config: SmartConfig, client_id: str, redirect_uri: str, scope: str | None = None,
    token: Callable[[int], str] = secrets.token_urlsafe,
) -> tuple[str, PendingSignIn]:
    """The URL to send the browser to, and what to keep until the callback (`scope`: chosen from
    what the server offers unless given)."""
    scope = scope or choose_scope(config)
    pending = PendingSignIn(config, client_id, redirect_uri, scope, state=token(32), code_verifier=token(64))
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
        "state": pending.state, "aud": config.fhir_base,
        "code_challenge": code_challenge(pending.code_verifier), "code_challenge_method": "S256",
    }
    joiner = "&" if urlsplit(config.authorization_endpoint).query else "?"
    return config.authorization_endpoint + joiner + urlencode(params), pending


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url (no padding) of the SHA-256 of the verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def code_from_callback(pending: PendingSignIn, callback_url: str) -> str:
    """The authorization code in the redirect back to us, after checking its state."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
    if "error" in query:
        raise SmartError(f"the sign-in was not completed ({query['error'][:40]})", query["error"],
                         query.get("error_description"))
    if not hmac.compare_digest(query.get("state", "").encode(), pending.state.encode()):
        raise StateMismatch("this sign-in answer does not match the sign-in started here; please start again")
    if not query.get("code"):
        raise SmartError("the sign-in server sent no code; please start again")
    return query["code"]


def exchange_code(pending: PendingSignIn, code: str, http: SmartHttp, now: Callable[[], float] = time.time) -> Tokens:
    """Trade the code (with the PKCE verifier) for tokens."""
    answer = http.post_form(pending.config.token_endpoint, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_uri,
        "client_id": pending.client_id, "code_verifier": pending.code_verifier,
    })
    return _tokens(answer, pending.config, pending.client_id, now())


def finish_sign_in(pending: PendingSignIn, callback_url: str, http: SmartHttp,
                   now: Callable[[], float] = time.time) -> Tokens:
    """Check the callback and exchange its code: the page's one call on return."""
    return exchange_code(pending, code_from_callback(pending, callback_url), http, now)


def refresh(tokens: Tokens, http: SmartHttp, now: Callable[[], float] = time.time) -> Tokens:
    """New tokens from the refresh token; the launch context and the granted scope carry over when not
    repeated (RFC 6749 5.1: a scope left out is the one granted before)."""
    if not tokens.refresh_token:
        raise Unauthorised("the sign-in has expired and this server gave no way to renew it; please sign in again")
    answer = http.post_form(tokens.config.token_endpoint, {
        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": tokens.client_id,
    })
    new = _tokens(answer, tokens.config, tokens.client_id, now())
    return replace(new, refresh_token=new.refresh_token or tokens.refresh_token, scope=new.scope or tokens.scope,
                   patient=new.patient or tokens.patient, fhir_user=new.fhir_user or tokens.fhir_user)


def fresh(tokens: Tokens, http: SmartHttp, now: Callable[[], float] = time.time,
          margin: float | None = None) -> Tokens:
    """`tokens`, or refreshed ones when they expire within `margin` seconds (by default the
    token's own margin). A refresh that fails while the access token is still valid leaves
    `tokens` as they are (this sync can still run); once it has expired, `SignInAgain`."""
    moment = now()
    if not tokens.expires_soon(moment, margin):
        return tokens
    try:
        return refresh(tokens, http, now)
    except (SmartError, ConnectorError) as exc:
        if not tokens.expired(moment):
            return tokens
        raise SignInAgain("the connection to this server has ended and could not be renewed; please sign in "
                          "again", getattr(exc, "error", None), getattr(exc, "description", None)) from None


def patients_for(tokens: Tokens, http: SmartHttp) -> list[ActingFor]:
    """The records the signed-in person may open: the launch patient, their own record, and for a
    proxy (fhirUser RelatedPerson, or a Person linking to RelatedPersons) each patient they act for."""
    found: list[ActingFor] = []
    user = tokens.fhir_user or ""
    kind, _, _ = _local(user, tokens.config.fhir_base).partition("/")
    if kind == "Patient":
        found.append(ActingFor(_local(user, tokens.config.fhir_base).split("/")[1]))
    elif kind == "RelatedPerson":
        found += _as_proxy(tokens, http, user)
    elif kind == "Person":
        person = http.fhir_read(tokens.config.fhir_base, _local(user, tokens.config.fhir_base), tokens.access_token)
        for link in person.get("link") or []:
            target = ((link or {}).get("target") or {}).get("reference") or ""
            target = _local(target, tokens.config.fhir_base)
            if target.startswith("Patient/"):
                found.append(ActingFor(target.split("/")[1]))
            elif target.startswith("RelatedPerson/"):
                found += _as_proxy(tokens, http, target)
    if tokens.patient and all(choice.patient_id != tokens.patient for choice in found):
        found.append(ActingFor(tokens.patient, None if kind in ("", "Patient", "Person") else _local(user, tokens.config.fhir_base)))
    return found


def _as_proxy(tokens: Tokens, http: SmartHttp, reference: str) -> list[ActingFor]:
    reference = _local(reference, tokens.config.fhir_base)
    related = http.fhir_read(tokens.config.fhir_base, reference, tokens.access_token)
    if related.get("active") is False:
        return []
    patient = _local(((related.get("patient") or {}).get("reference") or ""), tokens.config.fhir_base)
    return [ActingFor(patient.split("/")[1], reference)] if patient.startswith("Patient/") else []


def _local(reference: str, fhir_base: str) -> str:
    """`Type/id` for a reference on this FHIR server (absolute or relative)."""
    base = fhir_base.rstrip("/") + "/"
    return reference[len(base):] if reference.startswith(base) else reference


def _tokens(answer: dict, config: SmartConfig, client_id: str, now: float) -> Tokens:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access or str(answer.get("token_type", "")).lower() != "bearer":
        raise SmartError("the sign-in server did not grant a bearer token")
    lifetime = _lifetime(answer.get("expires_in"))
    claims = _id_token_claims(answer.get("id_token"))
    user = next((u for u in (answer.get("fhirUser"), claims.get("fhirUser")) if isinstance(u, str) and u), None)
    return Tokens(
        config=config, client_id=client_id, access_token=access,
        expires_at=now + lifetime if lifetime is not None else None,
        lifetime=lifetime if lifetime is not None and lifetime > 0 else None,
        refresh_token=answer.get("refresh_token") if isinstance(answer.get("refresh_token"), str) else None,
        scope=str(answer.get("scope") or ""),
        patient=answer.get("patient") if isinstance(answer.get("patient"), str) else None,
        fhir_user=user,  # server data: only a string is a reference (an object there is ignored)
    )


def _lifetime(expires_in: object) -> float | None:
    """`expires_in` in seconds: a JSON number or a string of digits (some token services send
    "3600"), capped at MAX_LIFETIME (10**400 is valid JSON); None when missing or unusable (the
    token is then renewed on the server's first 401 instead of before expiry)."""
    if isinstance(expires_in, str) and expires_in.strip().isascii() and expires_in.strip().isdigit():
        digits = expires_in.strip()
        expires_in = MAX_LIFETIME if len(digits) > 12 else int(digits)
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        return None
    if isinstance(expires_in, int):
        return float(min(expires_in, MAX_LIFETIME))
    return min(expires_in, MAX_LIFETIME) if math.isfinite(expires_in) else None


def _id_token_claims(id_token: object) -> dict:
    """The claims of an OpenID id_token, unverified: used only to choose which record to ask for;
    the FHIR server checks every read against the access token."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return {}
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _strings(value: object) -> tuple[str, ...]:
    """A JSON list of strings as a tuple; anything else, or other items, left out."""
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _cleaned(text: object) -> str | None:
    """A server's error_description as plain text (no bidi or control characters), at most
    MAX_DESCRIPTION characters; None when it gave none."""
    if not isinstance(text, str):
        return None
    text = " ".join(textsafe.plain(text).split())
    return (text[:MAX_DESCRIPTION] + "…" if len(text) > MAX_DESCRIPTION else text) or None


def _require_secure(url: str, what: str) -> None:
    try:
        origin_of(url)
    except ValueError:
        raise SmartError(f"the server's {what} address is not a web address") from None
    if not token_may_travel(url):
        raise SmartError(f"the server's {what} is not on https; refusing to send a sign-in over it")
