"""Wegweiser's Telegram adapter against the fake Bot API, through python-telegram-bot.

``bot_runner`` starts ``serve`` on the test's event loop; ``TelegramUser`` types into the
fake as a person would and waits for what the bot sends back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio

from bot.adapters.telegram import TelegramConfig, serve
from bot.app import App
from bot.config import Settings
from tests.conftest import CONTENT, LOCALES
from tests.fakes.telegram_api import ApiCall, FakeTelegram

STOP_TIMEOUT = 10.0


def make_settings(data_dir: Path, content: Path = CONTENT, **extra: str) -> Settings:
    env = {
        "WEGWEISER_DATA_DIR": str(data_dir),
        "WEGWEISER_CONTENT_DIR": str(content),
        "WEGWEISER_LOCALES_DIR": str(LOCALES if content == CONTENT else content.parent / "locales"),
        **extra,
    }
    return Settings.from_env(env)


@pytest_asyncio.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    opened = await App.open(make_settings(tmp_path / "data"))
    yield opened
    await opened.close()


def fake_config(fake: FakeTelegram, **changes: object) -> TelegramConfig:
    config = TelegramConfig(token=fake.token, api_url=fake.base_url)
    return TelegramConfig(**{**config.__dict__, **changes})  # type: ignore[arg-type]


@asynccontextmanager
async def running(app: App, config: TelegramConfig) -> AsyncIterator[asyncio.Task[None]]:
    """The bot serving in the background; stopped (and its errors raised) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop, config=config))
    try:
        yield task
    finally:
        stop.set()
        async with asyncio.timeout(STOP_TIMEOUT):
            await asyncio.gather(task, return_exceptions=True)
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


BotRunner = Callable[..., "asyncio.AbstractAsyncContextManager[asyncio.Task[None]]"]


@pytest.fixture
def bot_runner(app: App, fake: FakeTelegram) -> BotRunner:
    def start(**changes: object) -> asyncio.AbstractAsyncContextManager[asyncio.Task[None]]:
        return running(app, fake_config(fake, **changes))

    return start


class TelegramUser:
    """A person in a chat with the bot, on the fake server."""

    def __init__(
        self,
        fake: FakeTelegram,
        chat_id: int,
        *,
        language_code: str | None = None,
        chat_type: str = "private",
        user_id: int | None = None,
    ) -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.language_code = language_code
        self.chat_type = chat_type
        self.user_id = user_id

    @property
    def received(self) -> list[ApiCall]:
        return self.fake.messages_to(self.chat_id)

    async def say(self, text: str, expect: int = 1, **extra: object) -> list[ApiCall]:
        """Send ``text``; return the ``expect`` new messages the bot sends in reply."""
        before = len(self.received)
        self.fake.push_message(
            self.chat_id, text, language_code=self.language_code,
            chat_type=self.chat_type, user_id=self.user_id, **extra,  # type: ignore[arg-type]
        )  # fmt: skip
        replies = await self.fake.wait_for_messages(self.chat_id, before + expect)
        return replies[before:]

    async def tap(self, code: str, message_id: int | None = None) -> int:
        """Press a button on the bot's latest (or the given) message; return its id."""
        answered = len(self.fake.calls("answerCallbackQuery"))
        update = self.fake.push_callback(
            self.chat_id, code, message_id=message_id,
            language_code=self.language_code, user_id=self.user_id,
        )  # fmt: skip
        await self.fake.wait_for_calls("answerCallbackQuery", answered + 1)
        return int(update["callback_query"]["message"]["message_id"])

    async def edited(self, count: int) -> ApiCall:
        """The ``count``-th edit the bot made in this chat."""
        edits = await self.fake.wait_for_calls("editMessageText", count, chat_id=self.chat_id)
        return edits[count - 1]


def buttons(call: ApiCall) -> list[str]:
    markup = call.reply_markup or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def settle(fake: FakeTelegram, chat_id: int, text: str = "/privacy") -> None:
    """Send a message and wait for its answer: everything sent earlier by the same
    user has been handled by then, since one user's updates are handled in order."""
    before = len(fake.messages_to(chat_id))
    fake.push_message(chat_id, text)
    await fake.wait_for_messages(chat_id, before + 1)
