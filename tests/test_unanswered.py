"""Unanswered questions: kept without any user id, newest first, never longer than promised."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import update

from bot.app import App
from bot.config import Settings
from bot.conversation import Conversation
from bot.library import LibraryHolder
from bot.store import Store, UnansweredRow, utcnow
from tests.conftest import CONTENT, LOCALES, Chat


async def age_all(store: Store, days: int) -> None:
    await store.flush()
    async with store._sessions() as session, session.begin():
        await session.execute(
            update(UnansweredRow).values(created_at=utcnow() - dt.timedelta(days=days))
        )


async def test_a_running_bot_drops_questions_older_than_promised(holder: LibraryHolder, store):
    chat = Chat(Conversation(holder, store, unanswered_days=30))
    await chat.send("/start en")
    await chat.send("xqzv wlkj first")
    await age_all(store, 31)
    await chat.send("xqzv wlkj second")
    kept = await store.list_unanswered()
    assert [k.question for k in kept] == ["xqzv wlkj second"]


async def test_kept_questions_carry_no_user_identifier(holder: LibraryHolder, store, tmp_path):
    chat = Chat(Conversation(holder, store), user_id="user-4242424242")
    await chat.send("/start en")
    await chat.send("xqzv qwpo")
    columns = set(UnansweredRow.__table__.columns.keys())
    assert columns == {"id", "question", "language", "created_at"}
    assert b"4242424242" not in (tmp_path / "test.db").read_bytes()


async def test_switching_keeping_off_deletes_what_was_kept(tmp_path: Path) -> None:
    env = {"WEGWEISER_DATA_DIR": str(tmp_path), "WEGWEISER_CONTENT_DIR": str(CONTENT),
           "WEGWEISER_LOCALES_DIR": str(LOCALES)}  # fmt: skip
    app = await App.open(Settings.from_env(env))
    try:
        await app.store.add_unanswered("xqzv kept", "en")
    finally:
        await app.close()
    app = await App.open(Settings.from_env({**env, "WEGWEISER_UNANSWERED_DAYS": "5"}))
    try:
        assert [k.question for k in await app.store.list_unanswered()] == ["xqzv kept"]
        await age_all(app.store, 6)
    finally:
        await app.close()
    app = await App.open(Settings.from_env({**env, "WEGWEISER_UNANSWERED_DAYS": "5"}))
    try:
        assert await app.store.list_unanswered() == []  # older than the 5 days promised
        await app.store.add_unanswered("xqzv again", "en")
    finally:
        await app.close()
    app = await App.open(Settings.from_env({**env, "WEGWEISER_KEEP_UNANSWERED": "false"}))
    try:
        assert await app.store.list_unanswered() == []
    finally:
        await app.close()


async def test_the_privacy_notice_names_the_configured_days(holder: LibraryHolder, store) -> None:
    chat = Chat(Conversation(holder, store, unanswered_days=30))
    await chat.send("/start en")
    assert "30 days" in await chat.say("/privacy")
