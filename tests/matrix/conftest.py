"""Fixtures for Matrix tests against a real Synapse homeserver.

Event-loop pattern (pytest-asyncio 1.5, ``asyncio_mode = "auto"``):

* ``synapse`` is a *synchronous*, session-scoped fixture. The homeserver runs as a
  child process that is not bound to any event loop, so it starts once per test
  session and async tests need no loop-scope markers at all: plain
  ``async def test_...(synapse)`` running on the default function-scoped loop
  works, and so do ``await synapse.restart()`` / ``await synapse.register(...)``.
* Anything that *is* bound to a loop (a nio ``AsyncClient``, an aiohttp session)
  must be created per test, in a function-scoped async fixture or in the test
  itself, e.g. with ``nio_client_factory`` below. Do not put such objects in a
  session-scoped fixture.
* Only if you really need a loop-bound object shared across tests, make the
  fixture ``@pytest_asyncio.fixture(loop_scope="session", scope="session")`` and
  mark every test using it with ``pytestmark = pytest.mark.asyncio(loop_scope="session")``
  (a test and all its async fixtures must share one loop).

The shared server has relaxed rate limits and lives for the whole session, so
use unique localparts (``nio_client_factory`` adds a random suffix). Tests that
need their own server (tight ``rc_message``, restarts, clean database) use
``synapse_factory``.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest_asyncio
from nio import AsyncClient

try:
    from tests.fakes.synapse import SynapseServer, synapse, synapse_factory
except ModuleNotFoundError:  # repository root not on sys.path (plain ``pytest``)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes.synapse import SynapseServer, synapse, synapse_factory

__all__ = ["PASSWORD", "nio_client_factory", "synapse", "synapse_factory"]

PASSWORD = "correct horse battery staple"

NioClientFactory = Callable[..., Awaitable[AsyncClient]]


@pytest_asyncio.fixture
async def nio_client_factory(
    synapse: SynapseServer, tmp_path: Path
) -> AsyncIterator[NioClientFactory]:
    """``client = await nio_client_factory("alice", encrypted=True)``.

    Registers ``<name>_<random>`` on the shared server; clients are closed at the
    end of the test.
    """
    clients: list[AsyncClient] = []

    async def make(name: str = "user", *, encrypted: bool = False) -> AsyncClient:
        localpart = f"{name}_{secrets.token_hex(4)}"
        client = await synapse.nio_client(
            localpart,
            PASSWORD,
            tmp_path / f"store-{localpart}",
            encrypted=encrypted,
            store_sync_tokens=True,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
