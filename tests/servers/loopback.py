"""Small loopback HTTP servers for faults sekmet cannot produce.

- `FaultProxy` stands in front of a FHIR server (sekmet, or `FakeFhir`) and forwards every request,
  except those a rule matches: a rule answers 429 or 500, hangs until the test ends (a timeout),
  cuts a page short, or edits a page (a next link to another origin, another patient's entry).
- `Recorder` is "another origin": it records every request and its Authorization header.
- `FakeFhir` answers from a dict of path -> JSON, for small unit-style tests.
Nothing sleeps: a hanging reply waits on an event the test sets when it ends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict  # lower-case names
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/fhir+json"})

    @classmethod
    def json(cls, data, status: int = 200, headers: dict | None = None) -> "Reply":
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/fhir+json", **(headers or {})})


def outcome(status: int, text: str, headers: dict | None = None) -> Reply:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "transient", "diagnostics": text}]}
    return Reply.json(body, status, headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        reply = self.server.handle(request)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, *args) -> None:
        pass


class Loopback:
    """An HTTP server on 127.0.0.1 and a free port, answering with `handle(request) -> Reply`."""

    def __init__(self, handle: Callable[[Request], Reply]) -> None:
        self.requests: list[Request] = []
        self._handle = handle
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.handle = self._record
        self.release = threading.Event()  # set on close: hanging replies return
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _record(self, request: Request) -> Reply:
        self.requests.append(request)
        return self._handle(request)

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Recorder(Loopback):
    """Another origin. Answers every GET with an empty search page, as a hostile server might."""

    def __init__(self) -> None:
        super().__init__(lambda request: Reply.json({"resourceType": "Bundle", "type": "searchset", "entry": []}))

    @property
    def authorizations(self) -> list[str]:
        return [r.headers["authorization"] for r in self.requests if "authorization" in r.headers]


@dataclass
class Rule:
    match: Callable[[Request], bool]
    action: Callable[["FaultProxy", Request], Reply]
    times: int = 1  # how many matching requests it takes; -1 for all


class FaultProxy(Loopback):
    """Forwards /fhir/... to `upstream` (a FHIR base URL), rewriting its URLs to the proxy's own."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        super().__init__(self._route)

    @property
    def base(self) -> str:
        return f"{self.root}/fhir"

    def on(self, match: str | Callable[[Request], bool], action, times: int = 1) -> None:
        """Answer requests whose path contains `match` (or for which it is true) with `action`."""
        test = (lambda r: match in r.path) if isinstance(match, str) else match
        self.rules.append(Rule(test, action, times))

    def _route(self, request: Request) -> Reply:
        for rule in self.rules:
            if rule.times != 0 and rule.match(request):
                rule.times -= 1 if rule.times > 0 else 0
                return rule.action(self, request)
        return self.forward(request)

    def forward(self, request: Request) -> Reply:
        headers = {k: v for k, v in request.headers.items()
                   if k in ("authorization", "accept", "prefer", "content-type", "if-match", "if-none-exist")}
        path = request.path[len("/fhir"):] if request.path.startswith("/fhir") else request.path
        response = requests.request(request.method, self.upstream + path, headers=headers, data=request.body or None,
                                    timeout=30, allow_redirects=False)  # writes too (booking, issue 21)
        body = response.content.replace(self.upstream.encode(), self.base.encode())
        kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "date", "retry-after")}
        return Reply(response.status_code, body, kept)


# -- actions --------------------------------------------------------------------------------------
def status(code: int, headers: dict | None = None):
    """Answer with an HTTP error and an OperationOutcome."""
    return lambda proxy, request: outcome(code, f"injected {code}", headers)


def hang(proxy: FaultProxy, request: Request) -> Reply:
    """Never answer while the test runs (the client's timeout fires first)."""
    proxy.release.wait(60)
    return outcome(504, "released")


def truncated(proxy: FaultProxy, request: Request) -> Reply:
    """The real page, cut off half way."""
    reply = proxy.forward(request)
    return Reply(reply.status, reply.body[: len(reply.body) // 2], reply.headers)


def edited(change: Callable[[dict], None]):
    """The real page with `change(page)` applied."""
    def action(proxy: FaultProxy, request: Request) -> Reply:
        reply = proxy.forward(request)
        page = json.loads(reply.body)
        change(page)
        return Reply.json(page, reply.status)
    return action


class FakeFhir(Loopback):
    """Answers GET /fhir/<path> from `pages` (path without query -> JSON), else 404."""

    def __init__(self, pages: dict[str, dict]) -> None:
        self.pages = pages
        super().__init__(self._answer)

    @property
    def base(self) -> str:
        return f"{self.root}/fhir"

    def _answer(self, request: Request) -> Reply:
        path = request.path.split("?")[0][len("/fhir/"):]
        if path in self.pages:
            return Reply.json(self.pages[path])
        return outcome(404, "not here")

