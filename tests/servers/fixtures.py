"""Fixtures the sync tests share: the session's sekmet FHIR server loaded with the Synthea samples,
and a fault-injecting proxy in front of it (tests/servers/loopback.py). A test module uses them by
importing them: `from tests.servers.fixtures import proxy, server  # noqa: F401`."""

from __future__ import annotations

import pytest

from tests.servers import sekmet as sk
from tests.servers.loopback import FaultProxy


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The session's sekmet, loaded with the Synthea samples."""
    return sk.sekmet_or_skip(tmp_path_factory)


@pytest.fixture
def proxy(server):
    """A fault-injecting proxy in front of sekmet, with no faults until a test adds them."""
    with FaultProxy(server.base) as running:
        yield running
