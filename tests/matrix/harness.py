"""Talking to the Wegweiser Matrix bot through a real Synapse: the bot runs in-process as
``serve()``; people are nio clients that create rooms, write and read the bot's notices.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from nio import (
    AsyncClient,
    MegolmEvent,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessageNotice,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bot.adapters.matrix import MatrixConfig, Tuning, serve
from bot.app import App
from bot.config import Settings
from bot.conversation import Conversation
from bot.library import LibraryHolder
from bot.store import Store
from tests.conftest import CONTENT, LOCALES
from tests.fakes.synapse import SynapseServer

from .conftest import PASSWORD

WAIT_S = 20.0
# Short backoff so reconnecting after a homeserver restart takes a moment, not 30 s.
FAST = Tuning(backoff_initial_s=0.2, backoff_max_s=1.0, drain_s=5.0)
ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


class BotRunner:
    """The bot as a task that can be stopped and started again on the same data."""

    def __init__(self, app: App, config: MatrixConfig, tuning: Tuning = FAST) -> None:
        self.app = app
        self.config = config
        self.tuning = tuning
        self.task: asyncio.Task[None] | None = None
        self.stop_event = asyncio.Event()

    @property
    def user_id(self) -> str:
        return self.config.user_id

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(
            serve(self.app, self.stop_event, config=self.config, tuning=self.tuning)
        )
        await self.until_synced()

    async def until_synced(self) -> None:
        """Until the bot has saved a sync position: it is listening."""
        token = self.app.settings.data_dir / "matrix" / "sync_token"
        mark = token.stat().st_mtime_ns if token.exists() else None
        deadline = time.monotonic() + WAIT_S
        while not token.exists() or token.stat().st_mtime_ns == mark:
            self.check()
            assert time.monotonic() < deadline, "the bot did not sync"
            await asyncio.sleep(0.02)

    def check(self) -> None:
        """Raise the bot's error if it stopped on one."""
        if self.task is not None and self.task.done():
            self.task.result()
            raise AssertionError("the bot stopped")

    async def stop(self) -> None:
        assert self.task is not None
        self.stop_event.set()
        await asyncio.wait_for(self.task, WAIT_S)
        self.task = None


class Person:
    """Someone talking to the bot with a Matrix client (nio), optionally encrypted."""

    def __init__(self, client: AsyncClient, bot_id: str, check: Callable[[], None]) -> None:
        self.client = client
        self.bot_id = bot_id
        self.check = check  # raises if the bot died, so a test fails at once
        self.from_bot: list[Any] = []  # the bot's notices (decrypted), and undecryptable ones
        self.room_of: dict[str, str] = {}
        self.memberships: list[tuple[str, str, str]] = []  # room, user, membership

        async def collect(room: Any, event: Any) -> None:
            if event.sender == bot_id:
                self.from_bot.append(event)
                self.room_of[event.event_id] = room.room_id

        async def membership(room: Any, event: RoomMemberEvent) -> None:
            self.memberships.append((room.room_id, event.state_key, event.membership))

        client.add_event_callback(collect, (RoomMessageNotice, MegolmEvent))
        client.add_event_callback(membership, (RoomMemberEvent,))

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def sync(self) -> None:
        response = await self.client.sync(timeout=300)
        assert isinstance(response, SyncResponse), response
        if self.client.should_query_keys:
            await self.client.keys_query()

    async def wait(self, done: Callable[[], bool], what: str = "the bot's reply") -> None:
        deadline = time.monotonic() + WAIT_S
        while not done():
            self.check()
            assert time.monotonic() < deadline, f"no {what} within {WAIT_S:.0f} s"
            await self.sync()

    def in_room(self, room_id: str) -> list[Any]:
        return [e for e in self.from_bot if self.room_of[e.event_id] == room_id]

    async def direct_room(self, *, encrypted: bool = False) -> str:
        """A direct room with the bot; returns its id once the bot's greeting arrived."""
        created = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[self.bot_id],
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        assert isinstance(created, RoomCreateResponse), created
        await self.wait(lambda: len(self.from_bot) >= 1, "greeting")
        return created.room_id

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        content = {"msgtype": "m.text", "body": text, **extra}
        sent = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(sent, RoomSendResponse), sent
        return sent.event_id

    async def send_raw(self, room_id: str, event_type: str, content: dict[str, Any]) -> None:
        """Send an event exactly as given, without this client's encryption."""
        raw = AsyncClient(self.client.homeserver, self.user_id)
        try:
            raw.restore_login(self.user_id, self.client.device_id, self.client.access_token)
            raw.olm = None  # send as it is, even into an encrypted room
            sent = await raw.room_send(room_id, event_type, content)
            assert isinstance(sent, RoomSendResponse), sent
        finally:
            await raw.close()

    async def ask(self, room_id: str, text: str, **extra: Any) -> Any:
        """Write, and return the bot's next notice."""
        before = len(self.from_bot)
        await self.say(room_id, text, **extra)
        await self.wait(lambda: len(self.from_bot) > before)
        return self.from_bot[before]


async def admin_get(server: SynapseServer, path: str) -> dict[str, Any]:
    """A GET on Synapse's admin API, as a fresh admin user."""
    _, token, _ = await server.register(f"admin_{secrets.token_hex(4)}", PASSWORD, admin=True)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(server.url + path, headers=headers) as r:
        assert r.status == 200, await r.text()
        return await r.json()


def option_number(body: str, label: str) -> str:
    """The number in front of ``label`` in a numbered menu of a plain body."""
    for line in body.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.strip("\u200f").isdigit() and label in rest:
            return number.strip("\u200f")
    raise AssertionError(f"no option {label!r} in:\n{body}")


def title(bot: BotRunner, slug: str, language: str) -> str:
    """An entry's title as the bot shows it in ``language`` (or that language's fallback)."""
    catalog = bot.app.library.current.catalog
    return catalog.text(catalog.entries[slug], language).title


def app_settings(data_dir: Path, **changes: Any) -> Settings:
    settings = Settings.from_env(
        {
            "WEGWEISER_DATA_DIR": str(data_dir),
            "WEGWEISER_CONTENT_DIR": str(CONTENT),
            "WEGWEISER_LOCALES_DIR": str(LOCALES),
        }
    )
    return dataclasses.replace(settings, **changes)


async def open_app(settings: Settings, library: LibraryHolder) -> App:
    """As ``App.open``, but with content loaded once for all tests (loading takes a second)."""
    settings.prepare_data_dir()
    store = Store(settings.database_url, settings.secret())
    await store.open()
    return App(settings, library, store, Conversation(library, store))


class World:
    """A homeserver with the bot on it, and a way to add people."""

    def __init__(self, server: SynapseServer, tmp_path: Path, library: LibraryHolder) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.library = library
        self.clients: list[AsyncClient] = []
        self.apps: list[App] = []
        self.runners: list[BotRunner] = []

    async def bot(
        self,
        *,
        use_token: bool = False,
        tuning: Tuning = FAST,
        allowed: frozenset[str] = frozenset(),
        **settings: Any,
    ) -> BotRunner:
        localpart = f"wegweiser_{secrets.token_hex(4)}"
        user_id, token, _ = await self.server.register(localpart, PASSWORD)
        app = await open_app(app_settings(self.tmp_path / localpart, **settings), self.library)
        self.apps.append(app)
        config = MatrixConfig(
            self.server.url,
            user_id,
            access_token=token if use_token else None,
            password=None if use_token else PASSWORD,
            allowed_servers=allowed,
        )
        runner = BotRunner(app, config, tuning)
        self.runners.append(runner)
        await runner.start()
        return runner

    async def person(
        self, bot: BotRunner | str, name: str = "anna", *, encrypted: bool = False
    ) -> Person:
        """Someone on the homeserver; ``bot`` is a runner here, or the id of a bot elsewhere."""
        localpart = f"{name}_{secrets.token_hex(4)}"
        client = await self.server.nio_client(
            localpart,
            PASSWORD,
            self.tmp_path / f"store-{localpart}",
            encrypted=encrypted,
            max_timeouts=None,
        )
        self.clients.append(client)
        if isinstance(bot, str):
            return Person(client, bot, lambda: None)
        return Person(client, bot.user_id, bot.check)

    async def close(self) -> None:
        for runner in self.runners:
            if runner.task is not None:
                await runner.stop()
        for client in self.clients:
            await client.close()
        for app in self.apps:
            await app.close()


@pytest.fixture(scope="session")
def library_holder() -> LibraryHolder:
    return LibraryHolder(CONTENT, LOCALES)


@pytest_asyncio.fixture
async def world(
    synapse: SynapseServer, tmp_path: Path, library_holder: LibraryHolder
) -> AsyncIterator[World]:
    world = World(synapse, tmp_path, library_holder)
    yield world
    await world.close()
