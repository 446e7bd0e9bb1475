"""Per-user state and unanswered questions, in any database SQLAlchemy reaches.

Only what a conversation needs is kept: the chosen language and the menu position.
Platform user ids are stored as keyed hashes (HMAC-SHA256 with the installation's
secret), never in clear; ``forget`` removes every row of a user.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from sqlalchemy import Boolean, DateTime, Integer, String, Text, delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MAX_OPTIONS_STORED = 40
UNANSWERED_MAX_CHARS = 500


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(16))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[str] = mapped_column(String(80), default="")
    options: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnansweredRow(Base):
    """A question nothing matched: text and language only, no user identifier."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass
class UserState:
    key: str
    language: str | None = None
    language_chosen: bool = False
    position: str = ""
    options: list[str] = field(default_factory=list)
    known: bool = False  # False until stored once


@dataclass(frozen=True)
class Unanswered:
    question: str
    language: str | None
    created_at: dt.datetime


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets readers run beside the writer, and with synchronous=NORMAL a commit
    # needs no disk flush of its own: a write costs about a third.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    def __init__(self, url: str, secret: bytes, *, echo: bool = False) -> None:
        self.url = url
        self._secret = secret
        self.engine: AsyncEngine = create_async_engine(url, echo=echo)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        sqlite = self.engine.dialect.name == "sqlite"
        if sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # SQLite takes one writer at a time and makes others sleep and retry; queueing
        # this process's writes here keeps many users' messages from stalling each other.
        self._write_lock: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if sqlite else contextlib.nullcontext()
        )

    async def open(self) -> None:
        """Create the schema on first start; existing tables and rows are left as they are."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def close(self) -> None:
        await self.engine.dispose()

    def user_key(self, platform: str, user_id: str) -> str:
        message = f"{platform}\0{user_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    async def load(self, platform: str, user_id: str) -> UserState:
        key = self.user_key(platform, user_id)
        async with self._sessions() as session:
            row = await session.get(UserRow, key)
        if row is None:
            return UserState(key=key)
        try:
            options = [str(o) for o in json.loads(row.options or "[]")]
        except (ValueError, TypeError):
            options = []
        return UserState(key, row.language, row.language_chosen, row.position, options, True)

    async def save(self, state: UserState) -> None:
        async with self._write_lock, self._sessions() as session, session.begin():
            row = await session.get(UserRow, state.key)
            if row is None:
                row = UserRow(key=state.key)
                session.add(row)
            row.language = state.language
            row.language_chosen = state.language_chosen
            row.position = state.position[:80]
            row.options = json.dumps(state.options[:MAX_OPTIONS_STORED])
            row.updated_at = utcnow()
        state.known = True

    async def forget(self, platform: str, user_id: str) -> bool:
        """Delete everything stored about this user; True if there was anything."""
        key = self.user_key(platform, user_id)
        async with self._write_lock, self._sessions() as session, session.begin():
            result = await session.execute(delete(UserRow).where(UserRow.key == key))
        return bool(result.rowcount)

    async def count_users(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(UserRow)) or 0)

    async def add_unanswered(
        self, question: str, language: str | None, keep_days: int | None = None
    ) -> None:
        """Keep a question; with ``keep_days``, drop those older in the same go, so a bot
        that runs for months never holds one longer than promised."""
        async with self._write_lock, self._sessions() as session, session.begin():
            session.add(UnansweredRow(question=question[:UNANSWERED_MAX_CHARS], language=language))
            if keep_days is not None:
                limit = utcnow() - dt.timedelta(days=keep_days)
                await session.execute(delete(UnansweredRow).where(UnansweredRow.created_at < limit))

    async def list_unanswered(self, limit: int = 100) -> list[Unanswered]:
        query = select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [Unanswered(r.question, r.language, r.created_at) for r in rows]

    async def purge_unanswered(self, older_than_days: int) -> int:
        limit = utcnow() - dt.timedelta(days=older_than_days)
        async with self._write_lock, self._sessions() as session, session.begin():
            result = await session.execute(
                delete(UnansweredRow).where(UnansweredRow.created_at < limit)
            )
        return int(result.rowcount or 0)
