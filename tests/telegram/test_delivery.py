"""Replies arrive exactly once through rate limits and server faults, and long ones split."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import TimedOut

from bot.adapters.telegram import QueuedRequest
from bot.adapters.telegram_render import MAX_MESSAGE_CHARS, visible_length
from bot.app import App
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import (
    BotRunner,
    TelegramUser,
    buttons,
    fake_config,
    make_settings,
    running,
    settle,
)

CHAT = 5151


async def test_429_and_500_while_replying_deliver_the_reply_once(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    user = TelegramUser(fake, CHAT, language_code="en")
    async with bot_runner():
        await user.say("/start en")
        fake.fail_next("sendMessage", status=429, retry_after=1)
        fake.fail_next("sendMessage", status=500)
        [menu] = await user.say("/menu")
        await settle(fake, CHAT)
    statuses = [c.status for c in fake.attempts_for("sendMessage")]
    assert statuses == [200, 429, 500, 200, 200]
    assert [c.text for c in user.received].count(menu.text) == 1


async def test_dropped_connection_and_bad_gateway_are_retried(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    user = TelegramUser(fake, CHAT, language_code="en")
    async with bot_runner():
        await user.say("/start en")
        fake.fail_next("sendMessage", drop=True)
        [menu] = await user.say("/menu")
        # Edits and callback answers go through the same retries.
        fake.fail_next("answerCallbackQuery", status=502)
        fake.fail_next("editMessageText", status=500)
        await user.tap("f:wohnen", menu.message_id)
        edit = await user.edited(1)
        await settle(fake, CHAT)
    assert [c.status for c in fake.attempts_for("sendMessage")] == [200, None, 200, 200]
    assert "e:wohngeld" in buttons(edit)
    assert len(fake.calls("editMessageText")) == 1
    assert len(fake.calls("answerCallbackQuery")) == 1


async def test_requests_beyond_the_connections_wait_for_a_free_one(fake: FakeTelegram) -> None:
    fake.set_latency(0.05, "getMe")
    bot = Bot(fake.token, base_url=fake.base_url, request=QueuedRequest(connections=2))
    async with bot:
        fake.most_in_flight = 0
        results = await asyncio.gather(*(bot.get_me() for _ in range(8)))
    assert {user.username for user in results} == {fake.username}
    assert fake.most_in_flight == 2


async def test_a_request_waiting_too_long_for_a_connection_is_not_sent(fake: FakeTelegram) -> None:
    bot = Bot(fake.token, base_url=fake.base_url, request=QueuedRequest(connections=1, wait=0.1))
    async with bot:
        fake.set_latency(1.0, "getMe")
        calls_before = len(fake.attempts_for("getMe"))
        slow = asyncio.ensure_future(bot.get_me())
        await asyncio.sleep(0.05)  # the slow one holds the only connection
        with pytest.raises(TimedOut, match="stayed busy"):
            await bot.get_me()
        await slow
    assert len(fake.attempts_for("getMe")) == calls_before + 1


def long_entry(content: Path) -> list[str]:
    """A synthetic entry far above Telegram's limit, with markup characters in it."""
    paragraphs = [
        f"Absatz {n} <mit> & Zeichen: " + " ".join(f"wort{n}x{i}" for i in range(70))
        for n in range(12)
    ]
    # One paragraph longer than a whole message, without any blank line to split at.
    paragraphs.append("Riesig " + " ".join(f"riese{i}" for i in range(900)))
    services = sorted(p.stem for p in (content / "services").glob("*.yaml"))
    folder = content / "entries" / "wohnen" / "sehr-lang"
    folder.mkdir()
    (folder / "de.md").write_text(
        "---\ntitle: Sehr lange Antwort <b>\nservices:\n"
        + "".join(f"  - {s}\n" for s in services)
        + "sources:\n  - https://example.org\nchecked: 2026-11-24\n---\n"
        + "\n\n".join(paragraphs)
        + "\n",
        encoding="utf-8",
    )
    return paragraphs


async def test_a_long_answer_is_split_between_blocks(
    fake: FakeTelegram, content_copy: Path, tmp_path: Path
) -> None:
    paragraphs = long_entry(content_copy)
    app = await App.open(make_settings(tmp_path / "data", content_copy))
    user = TelegramUser(fake, CHAT, language_code="de")
    try:
        async with running(app, fake_config(fake)):
            await user.say("/start de")
            before = len(user.received)
            fake.push_message(CHAT, "/start de_sehr-lang")
            await settle(fake, CHAT)
    finally:
        await app.close()
    parts = user.received[before:-1]  # the last one answered the settling message
    texts = [p.text or "" for p in parts]
    assert len(texts) >= 4
    # The fake accepted each, so each parsed as HTML and stayed within the limit.
    assert all(visible_length(t) <= MAX_MESSAGE_CHARS for t in texts)
    assert texts[0].startswith("<b>Sehr lange Antwort &lt;b&gt;</b>")
    for paragraph in paragraphs[:-1]:  # each ordinary paragraph whole in one message
        escaped = paragraph.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert sum(escaped in t for t in texts) == 1
    giant = re.findall(r"riese\d+", "\n".join(texts))
    assert giant == [f"riese{i}" for i in range(900)]  # cut between lines, nothing lost
    cards = [t.count("📍 <b>") for t in texts]
    assert sum(cards) == len(list((content_copy / "services").glob("*.yaml")))
    # Only the last message carries the buttons.
    assert [bool(p.reply_markup) for p in parts] == [False] * (len(parts) - 1) + [True]
