"""What a FHIR server sync fetched (connectors/fhir_server.py), held in memory until ltc_dashboard/intake/sync.py stores
it in one transaction: the resources, what was rejected or deleted, the new marks, and what was not
read whole, in words."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from connectors.base import Rejected


@dataclass
class Fetched:
    """One patient's resources from a server, held in memory until the caller stores them."""

    resources: list[dict] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    deleted: list[tuple[str, str]] = field(default_factory=list)  # (type, id) the server deleted
    marks: dict[str, str] = field(default_factory=dict)  # type -> server time to ask from next time
    downloaded: Counter = field(default_factory=Counter)  # resources received per type
    foreign: int = 0  # resources of another patient, dropped
    notes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # kinds not read whole: what and why, in words
    unfinished: set[str] = field(default_factory=set)  # their types: no new mark, asked again next time
    listed: dict[str, set[str]] = field(default_factory=dict, repr=False)  # type -> every id a complete full read listed
    matched: set[tuple[str, str]] = field(default_factory=set, repr=False)  # (type, id) searches matched
    uncertain: set[str] = field(default_factory=set)  # kinds whose full read was paged while it may have changed
    requests: int = 0
    retries: int = 0

    def items(self) -> list[dict | Rejected]:
        return [*self.resources, *self.rejected]

    def not_whole(self, rtype: str, line: str) -> None:
        """`rtype` was not read whole (`line` says why): the sync is incomplete, its mark stays."""
        self.incomplete.append(line)
        self.unfinished.add(rtype)
