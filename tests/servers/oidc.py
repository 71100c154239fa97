"""A real OpenID Connect authorization server for the SMART sign-in tests: oidc-provider (npm,
OpenID-certified, pinned in tests/servers/oidc-server/package-lock.json, installed into `.tools/oidc` by
scripts/setup-test-tools.sh) run by tests/servers/oidc-server/server.mjs on a free loopback port, in front
of the session's sekmet FHIR server (tests/servers/sekmet.py).

Beside tests/servers/smart_double.py (a Python double that checks what the app sends, and can be
told to misbehave), this is the other side of a sign-in as a real provider does it: its own PKCE,
code, refresh-token and client checks, login and consent pages, and opaque tokens that the FHIR
surface in front of sekmet looks up through the provider before it forwards a request.

`OidcServer` starts one server; `oidc_or_skip` skips with the reason when node or the package is
missing (fails under CI=true, as tests/browser/conftest.py does).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.servers import sekmet as sk

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).resolve().parent / "oidc-server" / "server.mjs"
MODULES = ROOT / ".tools" / "oidc" / "node_modules"
START_SECONDS = 30.0

V2_SCOPES = ("patient/*.rs",)
CAPABILITIES = ("launch-standalone", "context-standalone-patient", "client-public", "permission-offline",
                "permission-patient", "permission-v2", "sso-openid-connect")


@dataclass(frozen=True)
class User:
    """Someone who can sign in at the server, and the record their sign-in opens."""

    username: str
    password: str
    patient: str
    fhir_user: str  # e.g. "Patient/<id>"; made absolute (on the server's FHIR base) in the id_token


@dataclass
class OidcServer:
    """tests/servers/oidc-server/server.mjs over `upstream` (a FHIR base and its static token)."""

    upstream: str
    upstream_token: str
    clients: dict[str, list[str]]  # client id -> its registered redirect addresses
    users: list[User]
    scopes: tuple[str, ...] = V2_SCOPES
    capabilities: tuple[str, ...] = CAPABILITIES
    access_token_ttl: int = 300
    offline: bool = True  # offer offline_access (refresh tokens)
    folder: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    port: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def fhir_base(self) -> str:
        return f"{self.issuer}/fhir"

    def __enter__(self) -> "OidcServer":
        config = {
            "fhir_upstream": self.upstream, "upstream_token": self.upstream_token, "modules": str(MODULES),
            "clients": [{"client_id": c, "redirect_uris": uris} for c, uris in self.clients.items()],
            "users": [{"username": u.username, "password": u.password, "patient": u.patient,
                       "fhir_user": u.fhir_user} for u in self.users],
            "scopes": list(self.scopes), "capabilities": list(self.capabilities),
            "access_token_ttl": self.access_token_ttl, "offline": self.offline,
        }
        path = self.folder / "oidc-config.json"
        path.write_text(json.dumps(config))
        log = open(self.folder / "oidc.log", "wb")
        # stdin stays an open pipe: when this process ends, it closes and the server exits.
        self.process = subprocess.Popen(["node", str(SERVER), str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=log, cwd=self.folder)
        self.port = self._ready_port()
        return self

    def _ready_port(self) -> int:
        """The port from the server's first line; fails if it exits or says nothing in START_SECONDS."""
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_SECONDS)
        if not line or not line[0]:
            self.__exit__()
            raise RuntimeError(f"the OIDC server did not start; see {self.folder / 'oidc.log'}")
        return int(json.loads(line[0])["port"])

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        self.process.stdin.close()  # the server's own way out
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def oidc_or_skip() -> None:
    """Skip with the reason when node or oidc-provider is missing; fail under CI=true."""
    reason = None
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not (MODULES / "oidc-provider" / "package.json").is_file():
        reason = f"oidc-provider is not installed in {MODULES.relative_to(ROOT)}"
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must have it: run scripts/setup-test-tools.sh)", pytrace=False)
    pytest.skip(f"{reason}; run `make test` or scripts/setup-test-tools.sh to install it")


def over_sekmet(server: sk.Sekmet, folder: Path, clients: dict[str, list[str]], users: list[User],
                **options) -> OidcServer:
    """An OidcServer (not yet started) in front of the session's sekmet."""
    return OidcServer(server.base, server.token, clients, users, folder=folder, **options)


# -- completing the server's HTML forms, as a browser would ---------------------------------------
@dataclass
class Form:
    action: str
    fields: dict[str, str]
    buttons: list[tuple[str, str]]  # (name, value) of each submit button


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        named = dict(attrs)
        if tag == "form":
            self.forms.append(Form(named.get("action") or "", {}, []))
        elif self.forms and tag in ("input", "button"):
            kind = named.get("type") or ("submit" if tag == "button" else "text")
            if kind == "submit":
                self.forms[-1].buttons.append((named.get("name") or "", named.get("value") or ""))
            elif named.get("name"):
                self.forms[-1].fields[named["name"]] = named.get("value") or ""


def only_form(html: str, page_url: str) -> Form:
    """The one form on a page, its action made absolute."""
    parser = _Forms()
    parser.feed(html)
    assert len(parser.forms) == 1, f"expected one form on {page_url}, found {len(parser.forms)}"
    form = parser.forms[0]
    form.action = urljoin(page_url, form.action)
    return form


def sign_in(authorize_url: str, redirect_uri: str, username: str, password: str, allow: bool = True,
            session: requests.Session | None = None) -> str:
    """Go through the server's sign-in as a person would: follow its redirects, fill in the login
    form's username and password, press Allow (or Deny) on the consent form; the address it sends
    the browser back to (starting with `redirect_uri`)."""
    session = session or requests.Session()
    response = session.get(authorize_url, allow_redirects=False, timeout=10)
    for _ in range(12):  # login, consent and their redirects take about eight answers
        location = response.headers.get("Location")
        if location and urljoin(response.url, location).startswith(redirect_uri):
            return urljoin(response.url, location)
        if location:
            response = session.get(urljoin(response.url, location), allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, f"{response.status_code} from {response.url}: {response.text[:300]}"
        form = only_form(response.text, response.url)
        data = dict(form.fields)
        if "password" in data:
            data.update(username=username, password=password)
        else:
            wanted = "allow" if allow else "deny"
            name, value = next((n, v) for n, v in form.buttons if v == wanted)
            data[name] = value
        response = session.post(form.action, data=data, allow_redirects=False, timeout=10)
    raise AssertionError("the sign-in did not come back to the app")
