"""HTTP for the FHIR server connector: one origin, a timeout on every request, retries with backoff,
and HTTP failures mapped to the named exceptions of `connectors/base.py`.

The bearer token is attached only to URLs on the origin (scheme, host, port) of the server it was
issued for. A next link, Binary or attachment URL on any other origin raises `OffOrigin` before a
request is made, and redirects are never followed to another origin, so the token cannot leak there.
Messages never contain the token, response bodies or query strings (which may carry patient ids).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from connectors.base import BadPayload, ConnectorError, NotFound, RateLimited, ServerError, Unauthorised

FHIR_JSON = "application/fhir+json"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}
# This computer: plain http to it carries a token only between processes on the machine.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class OffOrigin(BadPayload):
    """The server pointed us at another origin; nothing was sent there."""


class RequestRefused(ConnectorError):
    """The server refused the request as asked (HTTP 400, 405, 422): usually a search it cannot do."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL; ValueError for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("not an absolute http(s) URL")
    return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]


def token_may_travel(url: str) -> bool:
    """Whether a bearer token or a sign-in may be sent to `url`: over https, or over plain http to
    this computer (loopback) only; anywhere else anyone on the way could read it. The one rule for
    connecting (ltc_dashboard/service/connect.py), signing in (connectors/smart.py) and sending an order
    (connectors/orders.py)."""
    try:
        scheme, host, _ = origin_of(url)
    except ValueError:
        return False
    return scheme == "https" or host in LOOPBACK


def _path_of(url: str) -> str:
    """The URL without its query string, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass
class Stats:
    """What the transport did: requests sent (retries included) and retries among them."""

    requests: int = 0
    retries: int = 0


class Transport:
    """GETs against one FHIR server. `sign(headers)` adds the credentials (fhirclient's signer)."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        sign: Callable[[dict], dict] | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.origin = origin_of(self.base_url)
        self._session = session
        self._sign = sign
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self.stats = Stats()

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    def resolve(self, path_or_url: str) -> str:
        """An absolute URL on this server's origin, or `OffOrigin` (nothing is sent anywhere)."""
        url = urljoin(self.base_url, path_or_url)
        try:
            same = origin_of(url) == self.origin
        except ValueError:
            same = False
        if not same:
            raise OffOrigin(
                f"the server pointed at another address ({_path_of(url)[:80]}); not followed, "
                "so the sign-in was not sent there"
            )
        return url

    def get(self, path_or_url: str, params: dict | None = None, headers: dict | None = None) -> requests.Response:
        """GET on this origin with retries; a 2xx response, else the named exception."""
        url = self.resolve(path_or_url)
        for _ in range(_MAX_REDIRECTS + 1):
            response = self._with_retries(url, params, headers)
            if response.status_code not in _REDIRECTS:
                return response
            url = self.resolve(urljoin(url, response.headers.get("Location", "")))
            params = None  # the Location carries its own query
        raise BadPayload(f"too many redirects from {_path_of(url)}")

    def get_json(self, path_or_url: str, params: dict | None = None, headers: dict | None = None):
        """(parsed JSON, response). A body that is not JSON raises `BadPayload`."""
        response = self.get(path_or_url, params, {"Accept": FHIR_JSON, **(headers or {})})
        try:
            return response.json(), response
        except ValueError:
            raise BadPayload(
                f"the server's answer from {_path_of(response.url or path_or_url)} is not valid JSON "
                f"({len(response.content)} bytes; cut short or not FHIR)"
            ) from None

    def _with_retries(self, url: str, params: dict | None, headers: dict | None) -> requests.Response:
        attempt = 0
        while True:
            failure = None
            try:
                response = self._send(url, params, headers)
            except requests.Timeout:
                failure = ServerError(f"{_path_of(url)} did not answer within {self.timeout:g} seconds")
            except requests.ConnectionError:
                failure = ServerError(f"could not connect to {_path_of(url)}")
            else:
                if response.status_code < 400 or response.status_code in _REDIRECTS:
                    return response
                failure = self._failure(url, response)
            wait = self._wait(attempt, failure)
            if wait is None:
                raise failure
            attempt += 1
            self.stats.retries += 1
            self._sleep(wait)

    def _send(self, url: str, params: dict | None, headers: dict | None) -> requests.Response:
        all_headers = {"Accept": FHIR_JSON, **(headers or {})}
        if self._sign is not None:
            all_headers = self._sign(all_headers)  # only ever called for this origin (see resolve)
        self.stats.requests += 1
        return self._session.get(
            url, params=params, headers=all_headers, timeout=self.timeout, allow_redirects=False, verify=True
        )

    def _wait(self, attempt: int, failure: ConnectorError) -> float | None:
        """Seconds to wait before retrying, or None to give up."""
        if attempt >= self.retries or not isinstance(failure, (RateLimited, ServerError)):
            return None
        if isinstance(failure, RateLimited) and failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= self.max_wait else None
        return min(self.backoff * 2**attempt, self.max_wait)

    @staticmethod
    def _failure(url: str, response: requests.Response) -> ConnectorError:
        status, where = response.status_code, _path_of(url)
        if status in (401, 403):
            refusal = Unauthorised(f"{where} refused access (HTTP {status}): sign in again or check the token")
            refusal.status = status  # 401 (who) or 403 (what): a sync skips one kind refused to it
            return refusal
        if status in (404, 410):
            return NotFound(f"{where} was not found (HTTP {status})")
        if status == 429:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            return RateLimited(f"{where} asked us to slow down (HTTP 429)", retry_after=after)
        if status >= 500:
            return ServerError(f"{where} failed on the server's side (HTTP {status})")
        return RequestRefused(f"{where} refused the request (HTTP {status})", status)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
