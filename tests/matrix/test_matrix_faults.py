"""Restarts of the bot and of the homeserver, catch-up, and rate limits, against Synapse."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bot.library import LibraryHolder
from tests.fakes.synapse import SynapseServer

from .conftest import PASSWORD
from .harness import FAST, World, library_holder, title, world

__all__ = ["library_holder", "world"]


async def test_restart_repeats_no_reply_and_answers_what_came_meanwhile(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    room = await anna.direct_room()
    await anna.ask(room, "!start en")

    await bot.stop()
    await anna.say(room, "Wohngeld")  # while the bot is down, a moment ago
    await bot.start()
    await anna.wait(lambda: len(anna.from_bot) >= 3, "the catch-up answer")
    assert anna.from_bot[2].body.startswith(title(bot, "wohngeld", "en"))

    await bot.stop()
    await bot.start()  # nothing new: nothing may be repeated
    probe = await anna.ask(room, "!menu")
    assert "What do you need help with?" in probe.body
    # Greeting, /start, the catch-up answer, the probe: each once, nothing else.
    assert len(anna.from_bot) == 4
    assert len({e.event_id for e in anna.from_bot}) == 4


async def test_messages_older_than_the_catchup_age_are_not_answered(world: World) -> None:
    tuning = dataclasses.replace(FAST, live_grace_s=0.2)
    bot = await world.bot(tuning=tuning)
    anna = await world.person(bot)
    room = await anna.direct_room()
    await anna.ask(room, "!start en")

    await bot.stop()
    bot.app.settings = dataclasses.replace(bot.app.settings, catchup_minutes=0)
    await anna.say(room, "Wohngeld")  # older than 0 minutes once the bot is back
    await asyncio.sleep(tuning.live_grace_s * 2)
    await bot.start()
    probe = await anna.ask(room, "!menu")
    assert "What do you need help with?" in probe.body
    assert len(anna.from_bot) == 3


async def test_the_bot_reconnects_after_a_homeserver_restart(
    synapse_factory, tmp_path: Path, library_holder: LibraryHolder
) -> None:
    server: SynapseServer = synapse_factory()
    await server.start()
    world = World(server, tmp_path, library_holder)
    try:
        bot = await world.bot(use_token=True)
        anna = await world.person(bot)
        room = await anna.direct_room()
        await anna.ask(room, "!start en")

        await server.restart()
        answer = await anna.ask(room, "Wohngeld")
        assert answer.body.startswith(title(bot, "wohngeld", "en"))
        assert len(anna.from_bot) == 3
    finally:
        await world.close()


@pytest_asyncio.fixture
async def tight_server(synapse_factory) -> AsyncIterator[SynapseServer]:
    server: SynapseServer = synapse_factory(message_rate=(4.0, 2))
    await server.start()
    yield server


async def exempt_from_rate_limits(server: SynapseServer, user_id: str) -> None:
    """People in the test may write fast; only the bot meets the limit."""
    _, admin_token, _ = await server.register("ratelimit_admin", PASSWORD, admin=True)
    url = f"{server.url}/_synapse/admin/v1/users/{user_id}/override_ratelimit"
    headers = {"Authorization": f"Bearer {admin_token}"}
    body = {"messages_per_second": 0, "burst_count": 0}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        assert r.status == 200, await r.text()


async def test_rate_limits_are_honoured_and_nothing_is_lost(
    tight_server: SynapseServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    library_holder: LibraryHolder,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.adapters")
    world = World(tight_server, tmp_path, library_holder)
    try:
        bot = await world.bot()
        anna = await world.person(bot)
        await exempt_from_rate_limits(tight_server, anna.user_id)
        room = await anna.direct_room()
        commands = ["!start en", "!help", "!privacy", "!menu"]
        for command in commands:
            await anna.say(room, command)
        await anna.wait(lambda: len(anna.from_bot) >= 1 + len(commands), "all answers")
        bodies = [e.body for e in anna.from_bot[1:]]
        assert "What do you need help with?" in bodies[0]
        assert "/forget" in bodies[1]
        assert "/forget" in bodies[2] and "/menu" not in bodies[2]
        assert bodies[3].startswith("What do you need help with?")
        assert "M_LIMIT_EXCEEDED" in caplog.text
        probe = await anna.ask(room, "!language")
        assert probe.body and len(anna.from_bot) == 2 + len(commands)
    finally:
        await world.close()


async def test_an_expired_login_is_renewed_on_the_same_device(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    room = await anna.direct_room()
    await bot.stop()
    session_file = bot.app.settings.data_dir / "matrix" / "session.json"
    before = json.loads(session_file.read_text())
    logout = f"{world.server.url}/_matrix/client/v3/logout"
    headers = {"Authorization": f"Bearer {before['access_token']}"}
    async with aiohttp.ClientSession() as http, http.post(logout, headers=headers) as r:
        assert r.status == 200, await r.text()

    await bot.start()
    answer = await anna.ask(room, "!start en")
    assert "What do you need help with?" in answer.body
    after = json.loads(session_file.read_text())
    assert after["device_id"] == before["device_id"]
    assert after["access_token"] != before["access_token"]
