"""Catch-up after downtime, groups, other bots, a second instance (409) and webhooks."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time

import aiohttp
import pytest

from bot.adapters.telegram import TelegramStop, WebhookConfig, serve
from bot.app import App
from bot.config import ConfigError
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import BotRunner, TelegramUser, fake_config, settle

OLD = 20 * 60  # seconds; older than the default catch-up age of 15 minutes
YOUNG = 2 * 60


async def test_catch_up_answers_young_waiting_messages_once(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    now = int(time.time())
    fake.push_message(101, "/start en", date=now - OLD)
    fake.push_message(102, "/start en", date=now - YOUNG)
    async with bot_runner():
        await settle(fake, 101)
        await settle(fake, 102)
    assert len(fake.messages_to(101)) == 1  # only the answer to the settling message
    assert len(fake.messages_to(102)) == 2
    assert fake.pending_updates == 0

    # After a restart nothing is answered a second time.
    async with bot_runner():
        await settle(fake, 102)
    assert len(fake.messages_to(102)) == 3
    assert len(fake.messages_to(101)) == 1


async def test_catch_up_of_waiting_button_presses(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    async with bot_runner():
        [old_menu] = await TelegramUser(fake, 201).say("/start en")
        [young_menu] = await TelegramUser(fake, 202).say("/start en")
    old = fake.message(201, old_menu.message_id)
    assert old is not None
    old["date"] -= OLD  # the menu was sent long ago: a press on it has no age of its own
    fake.push_callback(201, "f:wohnen", message_id=old_menu.message_id)
    fake.push_callback(202, "f:wohnen", message_id=young_menu.message_id)
    async with bot_runner():
        await settle(fake, 201)
        await settle(fake, 202)
    [edit] = fake.calls("editMessageText")
    assert edit.chat_id == 202
    assert len(fake.calls("answerCallbackQuery")) == 1


async def test_groups_only_when_addressed_and_never_bots(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    group = TelegramUser(fake, -100777, chat_type="supergroup", user_id=555)
    me = fake.username
    async with bot_runner():
        for ignored in ("hallo zusammen", "/menu@other_bot", "wohngeld bitte"):
            fake.push_message(group.chat_id, ignored, chat_type="supergroup", user_id=555)
        [menu] = await group.say(f"/menu@{me}")
        [answer] = await group.say(f"@{me} Wohngeld")
        assert "Wohngeld" in (answer.text or "")
        # A reply to one of the bot's messages is addressed to it as well.
        fake.push_update(
            {
                "message": {
                    "message_id": 9001,
                    "date": int(time.time()),
                    "chat": {"id": group.chat_id, "type": "supergroup", "title": "Group"},
                    "from": {"id": 555, "is_bot": False, "first_name": "Ana"},
                    "text": "/menu",
                    "reply_to_message": menu.result,
                }
            }
        )
        await fake.wait_for_messages(group.chat_id, 3)
        # Other bots are never answered, in groups or in private.
        fake.push_message(group.chat_id, f"/menu@{me}", chat_type="supergroup", is_bot=True,
                          user_id=555)  # fmt: skip
        fake.push_message(303, "/start", is_bot=True)
        await group.say(f"/help@{me}", expect=2)
        await settle(fake, 303)
    assert len(fake.messages_to(group.chat_id)) == 5
    assert len(fake.messages_to(303)) == 1


async def test_conflict_ends_the_bot_with_one_log_line(
    app: App, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop, config=fake_config(fake)))
    await TelegramUser(fake, 401).say("/start en")  # polling runs
    fake.fail_next("getUpdates", status=409)
    fake.push_message(401, "/menu")  # ends the long poll; the next one conflicts
    with pytest.raises(TelegramStop, match="another instance"):
        async with asyncio.timeout(10):
            await task
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "409 Conflict" in errors[0].getMessage()


async def test_conflict_while_catching_up_ends_the_bot_too(app: App, fake: FakeTelegram) -> None:
    fake.fail_next("getUpdates", status=409)
    with pytest.raises(TelegramStop, match="409 Conflict"):
        async with asyncio.timeout(10):
            await serve(app, asyncio.Event(), config=fake_config(fake))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def post_update(url: str, update: dict[str, object], secret: str) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession() as session:
        for _ in range(50):  # the webhook server starts listening just after setWebhook
            try:
                async with session.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens at {url}")


async def test_webhook_mode_sets_the_secret_and_answers(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    port = free_port()
    webhook = WebhookConfig("https://bot.example.org/tg-hook", "s3cret_Token-1", "127.0.0.1", port)
    local = f"http://127.0.0.1:{port}/tg-hook"

    def update(update_id: int) -> dict[str, object]:
        message = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": 501, "type": "private", "first_name": "Ana"},
            "from": {"id": 501, "is_bot": False, "first_name": "Ana", "language_code": "en"},
            "text": "/start en",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
        return {"update_id": update_id, "message": message}

    async with bot_runner(webhook=webhook):
        [call] = await fake.wait_for_calls("setWebhook")
        assert call.params["url"] == "https://bot.example.org/tg-hook"
        assert call.params["secret_token"] == "s3cret_Token-1"
        assert json.loads(json.dumps(call.params["allowed_updates"])) == [
            "message",
            "callback_query",
        ]
        assert await post_update(local, update(1), "wrong") == 403
        assert await post_update(local, update(2), "s3cret_Token-1") == 200
        [reply] = await fake.wait_for_messages(501, 1)
    assert "What do you need help with?" in (reply.text or "")
    assert len(fake.messages_to(501)) == 1


async def test_webhook_port_in_use_is_one_sentence(app: App, fake: FakeTelegram) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        webhook = WebhookConfig("https://bot.example.org/hook", "secret", "127.0.0.1", port)
        with pytest.raises(ConfigError, match=f"cannot listen for the webhook on 127.0.0.1:{port}"):
            async with asyncio.timeout(10):
                await serve(app, asyncio.Event(), config=fake_config(fake, webhook=webhook))
