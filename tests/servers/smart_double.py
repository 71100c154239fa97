"""A faithful local stand-in for a SMART App Launch authorization server (standalone patient launch),
on a loopback port, with the small FHIR surface the sign-in reads.

Why a double: Debian's glewlwyd does authorization code with PKCE, but needs a database, a user
store, plugin modules and an admin API session to configure a client and a SMART scope: far more
than a CI run should set up. This double implements the parts of RFC 6749 / RFC 7636 and SMART
App Launch 2.x the app relies on, and checks them for real:

- GET  /fhir/.well-known/smart-configuration   (or 404 when `well_known=False`)
- GET  /fhir/metadata                          CapabilityStatement with the oauth-uris extension
- GET  /authorize   checks response_type, client_id, redirect_uri, aud, state, S256 challenge;
                    "signs in" the configured user and redirects back with a one-time code
- POST /token       authorization_code: the code once, the same client and redirect_uri, and
                    BASE64URL(SHA256(code_verifier)) == code_challenge; refresh_token: rotates
- GET  /fhir/RelatedPerson/<id>, /fhir/Person/<id>  only with a bearer token it issued

Configurable as real servers are set up (issue 17): `scopes_supported` and `capabilities` in its
smart-configuration; with `scopes_supported` set, an authorize request asking for any scope not in
it is answered `invalid_scope` (as a strict server does); `refuse` = (error, error_description)
makes every authorize answer that error; a refresh token is issued only when `offline_access` was
granted (or, with no `scopes_supported`, always, as before); `expires_in` is the token lifetime.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.servers.loopback import Loopback, Reply, Request


@dataclass
class SignedInUser:
    """Who "signs in" at the double: the launch patient and the fhirUser claim."""

    patient: str | None
    fhir_user: str | None
    resources: dict = field(default_factory=dict)  # "RelatedPerson/rp1" -> resource


class SmartDouble(Loopback):
    def __init__(self, client_id: str, redirect_uri: str, user: SignedInUser, access_tokens: list[str],
                 expires_in: int = 300, well_known: bool = True, scopes_supported: list[str] | None = None,
                 capabilities: list[str] | None = None, refuse: tuple[str, str] | None = None) -> None:
        self.client_id, self.redirect_uri, self.user = client_id, redirect_uri, user
        self._tokens = list(access_tokens)
        self.issued: set[str] = set()
        self.expires_in, self.well_known = expires_in, well_known
        self.scopes_supported, self.refuse = scopes_supported, refuse
        self.capabilities = capabilities if capabilities is not None else [
            "launch-standalone", "context-standalone-patient", "client-public", "permission-offline",
            "sso-openid-connect"]
        self.scopes_asked: list[str] = []
        self.refresh_refusal: tuple[str, str] | None = None  # (error, error_description) for refreshes
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.token_errors: list[str] = []
        super().__init__(self._route)

    @property
    def fhir_base(self) -> str:
        return f"{self.root}/fhir"

    def _route(self, request: Request) -> Reply:
        path = urlsplit(request.path).path
        if path == "/fhir/.well-known/smart-configuration" and self.well_known:
            body = {
                "authorization_endpoint": f"{self.root}/authorize", "token_endpoint": f"{self.root}/token",
                "code_challenge_methods_supported": ["S256"], "capabilities": self.capabilities,
            }
            if self.scopes_supported is not None:
                body["scopes_supported"] = self.scopes_supported
            return Reply.json(body)
        if path == "/fhir/metadata":
            return Reply.json({"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "security": {
                "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                               "extension": [{"url": "authorize", "valueUri": f"{self.root}/authorize"},
                                             {"url": "token", "valueUri": f"{self.root}/token"}]}]}}]})
        if path == "/authorize" and request.method == "GET":
            return self._authorize(request)
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path.startswith("/fhir/") and request.method == "GET":
            return self._read(request, path[len("/fhir/"):])
        return Reply.json({"error": "not_found"}, 404)

    def _authorize(self, request: Request) -> Reply:
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        if q.get("redirect_uri") != self.redirect_uri or q.get("client_id") != self.client_id:
            return Reply.json({"error": "invalid_client"}, 400)  # never redirect to an unknown URI
        problems = [q.get("response_type") != "code", q.get("code_challenge_method") != "S256",
                    not q.get("code_challenge"), not q.get("state"), q.get("aud") != self.fhir_base]
        self.scopes_asked.append(q.get("scope", ""))
        unknown = [s for s in q.get("scope", "").split() if s not in (self.scopes_supported or [s])]
        if any(problems):
            back = {"error": "invalid_request", "state": q.get("state", "")}
        elif self.refuse or unknown:
            error, description = self.refuse or ("invalid_scope", f"Scope not supported: {unknown[0]}")
            back = {"error": error, "error_description": description, "state": q.get("state", "")}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": q["redirect_uri"],
                                "scope": q.get("scope", "")}
            back = {"code": code, "state": q["state"]}
        return Reply(302, b"", {"Location": f"{self.redirect_uri}?{urlencode(back)}"})

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        self.token_requests.append(form)
        grant = form.get("grant_type")
        if form.get("client_id") != self.client_id:
            return self._refuse("invalid_client")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or form.get("redirect_uri") != issued["redirect_uri"]:
                return self._refuse("invalid_grant")
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if not 43 <= len(verifier) <= 128 or challenge != issued["challenge"]:
                return self._refuse("invalid_grant")
            return self._grant(issued["scope"], with_context=True)
        if grant == "refresh_token" and self.refresh_refusal:
            return self._refuse(*self.refresh_refusal)
        if grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            self.refresh_tokens.discard(form["refresh_token"])
            return self._grant("offline_access", with_context=False)
        return self._refuse("invalid_grant")

    def _refuse(self, error: str, description: str | None = None) -> Reply:
        self.token_errors.append(error)
        body = {"error": error, **({"error_description": description} if description else {})}
        return Reply.json(body, 400, {"Content-Type": "application/json"})

    def _grant(self, scope: str, with_context: bool) -> Reply:
        access = self._tokens.pop(0)
        self.issued.add(access)
        body = {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in, "scope": scope}
        if self.scopes_supported is None or "offline_access" in scope.split():
            body["refresh_token"] = secrets.token_urlsafe(16)
            self.refresh_tokens.add(body["refresh_token"])
        if with_context:
            if self.user.patient:
                body["patient"] = self.user.patient
            claims = base64.urlsafe_b64encode(json.dumps({"fhirUser": self.user.fhir_user}).encode()).decode()
            body["id_token"] = f"e30.{claims.rstrip('=')}.sig"
        return Reply.json(body, 200, {"Content-Type": "application/json", "Cache-Control": "no-store"})

    def _read(self, request: Request, reference: str) -> Reply:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.issued:
            return Reply.json({"resourceType": "OperationOutcome", "issue": []}, 401)
        if reference in self.user.resources:
            return Reply.json(self.user.resources[reference])
        return Reply.json({"resourceType": "OperationOutcome", "issue": []}, 404)
