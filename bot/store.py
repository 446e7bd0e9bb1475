"""Per-user state and unanswered questions, in any database SQLAlchemy reaches.

Only what a conversation needs is kept: the chosen language and the menu position.
Platform user ids are stored as keyed hashes (HMAC-SHA256 with the installation's
secret), never in clear; ``forget`` removes every row of a user.

User states are cached in memory, and a changed state is written within
``FLUSH_DELAY`` seconds, many users in one transaction: a database round trip per
message would cost more than everything else the bot does. One process owns a
platform's users (``wegweiser run`` or one command per platform), so the cache stays
true. A crash can lose the last fraction of a second of menu positions, never
anything written before; ``close`` writes what is pending.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from sqlalchemy import Boolean, DateTime, Integer, String, Text, delete, event, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = logging.getLogger(__name__)

MAX_OPTIONS_STORED = 40
UNANSWERED_MAX_CHARS = 500
FLUSH_DELAY = 0.2  # seconds a changed user state may wait before it is written
CACHE_SIZE = 50_000  # user states kept in memory; the least recently used go first
PURGE_EVERY = dt.timedelta(hours=1)  # how often old unanswered questions are dropped


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

    def copy(self) -> UserState:
        return replace(self, options=list(self.options))

    def same_as(self, other: UserState) -> bool:
        return (self.language, self.language_chosen, self.position, self.options) == (
            other.language, other.language_chosen, other.position, other.options
        )  # fmt: skip


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
        # this process's writes here keeps many users' messages from stalling each other,
        # and orders a flush and a /forget of the same user on every database.
        self._write_lock = asyncio.Lock()
        self._cache: OrderedDict[str, UserState] = OrderedDict()
        self._dirty: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._questions: list[tuple[str, str | None, dt.datetime]] = []
        self._keep_days: int | None = None
        self._purged = dt.datetime.min.replace(tzinfo=dt.UTC)

    async def open(self) -> None:
        """Create the schema on first start; existing tables and rows are left as they are."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()
        await self.engine.dispose()

    def user_key(self, platform: str, user_id: str) -> str:
        message = f"{platform}\0{user_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    async def load(self, platform: str, user_id: str) -> UserState:
        key = self.user_key(platform, user_id)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached.copy()
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(UserRow.__table__).where(UserRow.key == key))).first()
        if row is None:
            return UserState(key=key)
        try:
            options = [str(o) for o in json.loads(row.options or "[]")]
        except (ValueError, TypeError):
            options = []
        state = UserState(key, row.language, row.language_chosen, row.position, options, True)
        self._remember(state)
        return state.copy()

    async def save(self, state: UserState) -> None:
        """Remember ``state``; it is written within FLUSH_DELAY seconds if it changed."""
        cached = self._cache.get(state.key)
        state.known = True
        if cached is not None and cached.same_as(state):
            return
        self._remember(state.copy())
        self._dirty.add(state.key)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    def _remember(self, state: UserState) -> None:
        self._cache[state.key] = state
        self._cache.move_to_end(state.key)
        while len(self._cache) > CACHE_SIZE:
            key, _ = next(iter(self._cache.items()))
            if key in self._dirty:  # never drop a state that is not written yet
                break
            del self._cache[key]

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        try:
            await self.flush()
        except Exception:  # kept dirty: the next change or close tries again
            log.exception("could not write user states")

    async def flush(self) -> None:
        """Write every changed user state now, in one transaction."""
        async with self._write_lock:
            purge = self._keep_days is not None and utcnow() - self._purged > PURGE_EVERY
            if not (self._dirty or self._questions or purge):
                return
            keys, self._dirty = self._dirty, set()
            questions, self._questions = self._questions, []
            try:
                async with self.engine.begin() as conn:
                    await self._upsert(conn, self._rows(keys))
                    if questions:
                        await conn.execute(
                            UnansweredRow.__table__.insert(),
                            [{"question": q, "language": lang, "created_at": at}
                             for q, lang, at in questions],
                        )  # fmt: skip
                    if purge and self._keep_days is not None:
                        # One interval early, so nothing outlives the promise between purges.
                        limit = utcnow() - dt.timedelta(days=self._keep_days) + PURGE_EVERY
                        table = UnansweredRow.__table__
                        await conn.execute(delete(table).where(table.c.created_at < limit))
                        self._purged = utcnow()
            except BaseException:
                self._dirty |= keys  # written with the next change or at close
                self._questions[:0] = questions
                raise

    def _rows(self, keys: set[str]) -> list[dict[str, object]]:
        now = utcnow()
        return [
            {
                "key": key,
                "language": state.language,
                "language_chosen": state.language_chosen,
                "position": state.position[:80],
                "options": json.dumps(state.options[:MAX_OPTIONS_STORED]),
                "updated_at": now,
            }
            for key in keys
            if (state := self._cache.get(key)) is not None
        ]

    async def _upsert(self, conn: AsyncConnection, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        table = UserRow.__table__
        dialect = self.engine.dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
            statement = insert(table)
            columns = {c: statement.excluded[c] for c in rows[0] if c != "key"}
            await conn.execute(
                statement.on_conflict_do_update(index_elements=["key"], set_=columns), rows
            )
            return
        # Any other database: replace the rows in the same transaction.
        await conn.execute(delete(table).where(table.c.key.in_([r["key"] for r in rows])))
        await conn.execute(table.insert(), rows)

    async def forget(self, platform: str, user_id: str) -> bool:
        """Delete everything stored about this user; True if there was anything."""
        key = self.user_key(platform, user_id)
        had_state = self._cache.pop(key, None) is not None
        self._dirty.discard(key)
        async with self._write_lock, self.engine.begin() as conn:
            result = await conn.execute(delete(UserRow).where(UserRow.key == key))
        return bool(result.rowcount) or had_state

    async def count_users(self) -> int:
        await self.flush()
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(UserRow)) or 0)

    async def add_unanswered(
        self, question: str, language: str | None, keep_days: int | None = None
    ) -> None:
        """Keep a question, written with the next batch; with ``keep_days``, older ones are
        dropped at least hourly, so a bot that runs for months never holds one longer
        than promised."""
        self._questions.append((question[:UNANSWERED_MAX_CHARS], language, utcnow()))
        if keep_days is not None:
            self._keep_days = keep_days
        self._schedule_flush()

    async def list_unanswered(self, limit: int = 100) -> list[Unanswered]:
        await self.flush()
        query = select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit)
        if self._keep_days is not None:
            oldest = utcnow() - dt.timedelta(days=self._keep_days)
            query = query.where(UnansweredRow.created_at >= oldest)
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
