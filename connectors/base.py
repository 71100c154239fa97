"""What every connector shares: the item it yields when something cannot be imported, the
protocol it implements, and the named exceptions for failures of a whole source.

A connector reads raw FHIR resources (plain dicts) from somewhere and never touches the database.
Problems with one item (a bad line, a bad bundle entry) are yielded as `Rejected` so that the rest
still imports; problems with the whole source (not found, no access, server down) are raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Rejected:
    """One item that could not be imported, with where it was and why, in plain words."""

    source: str  # file path or URL, as given to the connector
    position: str  # "entry 12", "line 7", "byte 1045", "file" ...
    reason: str  # plain words, never patient data

    def __str__(self) -> str:
        return f"{self.source} ({self.position}): {self.reason}"


@runtime_checkable
class Connector(Protocol):
    """Anything that yields raw FHIR resources (dicts) and `Rejected` items."""

    def read(self) -> Iterator[dict | Rejected]:
        """Yield each resource that passed `validate.check`, or a `Rejected` saying why not."""
        ...


class ConnectorError(Exception):
    """A connector could not read its source as a whole."""


class NotFound(ConnectorError):
    """The file, folder, server or resource asked for does not exist."""


class Unauthorised(ConnectorError):
    """The source refused access: sign-in missing, expired or not allowed."""


class RateLimited(ConnectorError):
    """The source asked us to slow down; `retry_after` is the wait in seconds, when it said."""

    def __init__(self, message: str = "rate limited", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(ConnectorError):
    """The source failed on its side (for example an HTTP 5xx answer)."""


class BadPayload(ConnectorError):
    """The source answered with something that is not FHIR we can read."""
