"""Shared fixtures: the shipped content, a fresh database, and a chat to talk through."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.adapters.plain import render_turn
from bot.conversation import Conversation, Incoming
from bot.library import Library, LibraryHolder
from bot.replies import Reply
from bot.store import Store
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
LOCALES = ROOT / "locales"


@pytest.fixture(scope="session")
def library() -> Library:
    return Library.load(CONTENT, LOCALES)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/ and locales/ that a test may break or extend."""
    shutil.copytree(CONTENT, tmp_path / "content")
    shutil.copytree(LOCALES, tmp_path / "locales")
    return tmp_path / "content"


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", b"test-secret")
    await store.open()
    yield store
    await store.close()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on loopback."""
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def holder(library: Library) -> LibraryHolder:
    # The shipped content is loaded once per session; tests that change it use content_copy.
    return LibraryHolder(CONTENT, LOCALES, library)


@pytest.fixture
def conversation(holder: LibraryHolder, store: Store) -> Conversation:
    return Conversation(holder, store)


class Chat:
    """An in-memory chat: push what a user types, get the replies (as errbot's test backend)."""

    def __init__(self, conversation: Conversation, user_id: str = "u1", hint: str | None = None):
        self.conversation = conversation
        self.user_id = user_id
        self.hint = hint
        self.last: list[Reply] = []

    async def send(self, text: str) -> list[Reply]:
        incoming = Incoming("test", self.user_id, text=text, language_hint=self.hint)
        self.last = await self.conversation.handle(incoming)
        return self.last

    async def tap(self, code: str) -> list[Reply]:
        incoming = Incoming("test", self.user_id, choice=code, language_hint=self.hint)
        self.last = await self.conversation.handle(incoming)
        return self.last

    async def say(self, text: str) -> str:
        """Send and return the rendered plain text of all replies."""
        return "\n".join(render_turn(await self.send(text)))


@pytest.fixture
def chat(conversation: Conversation) -> Chat:
    return Chat(conversation)
