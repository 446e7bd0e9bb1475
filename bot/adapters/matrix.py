"""Wegweiser on Matrix, with matrix-nio.

Configuration comes from ``MATRIX_*`` environment variables (see ``MatrixConfig``); the
login, the sync position and the encryption store live in ``<data dir>/matrix``.

How events become answers, and why in this order:

- The very first start does one sync and answers nothing from it; later starts continue
  from the stored position, and a message that arrived while the bot was down is
  answered once if it is younger than ``WEGWEISER_CATCHUP_MINUTES`` (``bot.catchup``).
- Events before the bot's own join in a room are never answered.
- Each room's events are handled in order by a chain of tasks. The next sync waits
  for the replies only briefly (a slow reply never stalls the others), and the sync
  position is saved only once every event of that sync (and of all before it) is
  handled. Handled event ids are kept as well, so events delivered again after a crash
  are not answered twice; replies carry transaction ids derived from the event they
  answer, so the homeserver drops a repeated send.
- Invites are accepted (from the allowed homeservers only, if any are configured). In
  a direct room (the bot and one person) every message is answered; in a group room
  only ``!`` commands and messages that mention the bot. Notices (``m.notice``, what
  bots send) and the bot's own messages are never answered.
- Replies are ``m.notice`` messages with a plain body and escaped HTML; in encrypted
  rooms nio encrypts them. A message the bot cannot decrypt gets one plain notice
  asking to send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from nio import (
    AsyncClient,
    ErrorResponse,
    InviteMemberEvent,
    MatrixRoom,
    MegolmEvent,
    RoomEncryptedMedia,
    RoomMemberEvent,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    SyncResponse,
)

from bot.adapters.matrix_client import (
    BAD_TOKEN_CODES,
    NETWORK_ERRORS,
    RATE_LIMITED,
    Backoff,
    Interrupted,
    MatrixError,
    Sender,
    describe,
    log_in,
    new_client,
    password_login,
    retry_after_s,
    sleep_or_stop,
)
from bot.adapters.matrix_config import MatrixConfig
from bot.adapters.matrix_inbound import (
    addressed_text,
    as_command,
    is_edit,
    message_text,
    strip_mention,
)
from bot.adapters.matrix_render import Content, text_content, turn_contents
from bot.adapters.matrix_state import MatrixState
from bot.app import App
from bot.catchup import is_fresh
from bot.conversation import Incoming

__all__ = ["PLATFORM", "MatrixConfig", "MatrixError", "Tuning", "serve"]

log = logging.getLogger(__name__)

PLATFORM = "matrix"
FIRST_SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 1}},  # nothing of it is answered; state is what counts
    "presence": {"types": []},
}
SYNC_FILTER: dict[str, Any] = {
    # Enough for a burst of catch-up messages in one room without a gap.
    "room": {"timeline": {"limit": 50}},
    "presence": {"types": []},
}
# Remember this many event ids in memory against the same event arriving twice.
SEEN_EVENTS_KEEP = 5_000
ANSWERABLE = (RoomMessageText, RoomMessageMedia, RoomEncryptedMedia, MegolmEvent)
# How long one undecryptable megolm session of a person gets no second "send it again".
RESEND_NOTICE_COOLDOWN_S = 600.0


@dataclass(frozen=True)
class Tuning:
    """Timings; the defaults suit production, tests shorten some of them."""

    sync_timeout_ms: int = 30_000  # long-polling: how long the homeserver may hold a sync
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    # Tolerated clock difference between homeserver and bot when telling live events
    # from those that arrived while the bot was away.
    live_grace_s: float = 2.0
    drain_s: float = 10.0  # on shutdown, how long replies in progress may still take
    # The next sync waits this long at most for the replies of the last one (see
    # MatrixBot._let_replies_go_first).
    reply_head_start_s: float = 1.0

    @property
    def sync_deadline_s(self) -> float:
        """A guard against a sync connection that hangs without an error."""
        return self.sync_timeout_ms / 1000 + 30


def _txn_id(event_id: str, index: int) -> str:
    """The same reply to the same event always gets the same transaction id."""
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:32]
    return f"wgw-{digest}-{index}"


def _sent_at(event: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(event.server_timestamp / 1000, dt.UTC)


class MatrixBot:
    def __init__(
        self,
        app: App,
        config: MatrixConfig,
        client: AsyncClient,
        state: MatrixState,
        stop: asyncio.Event,
        tuning: Tuning | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.client = client
        self.state = state
        self.stop = stop
        self.tuning = tuning or Tuning()
        self.sender = Sender(client, stop, self.tuning.backoff_initial_s, self.tuning.backoff_max_s)
        self._room_tail: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._checkpoint: asyncio.Task[None] | None = None
        self._checkpoints_broken = False
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._joining: set[str] = set()
        self._resend_noticed: dict[tuple[str, str, str], float] = {}

    @property
    def own_id(self) -> str:
        return self.client.user_id

    # -- the sync loop -----------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._keys()
            await self._sync_loop()
        finally:
            await self._drain()

    async def _sync_once(self, **kwargs: Any) -> SyncResponse | ErrorResponse | None:
        """One sync, abandoned (None) as soon as ``stop`` is set."""
        sync = asyncio.ensure_future(
            asyncio.wait_for(self.client.sync(**kwargs), self.tuning.sync_deadline_s)
        )
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({sync, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not sync.done():
            sync.cancel()
            with contextlib.suppress(asyncio.CancelledError, *NETWORK_ERRORS):
                await sync
            return None
        return sync.result()

    async def _sync_loop(self) -> None:
        since = self.state.load_sync_token()
        first_ever = since is None
        # After a restart nio knows no rooms yet: the first sync asks for their full state.
        full_state = not first_ever
        backoff = Backoff(self.tuning.backoff_initial_s, self.tuning.backoff_max_s)
        # Since when the bot has been listening without a gap: events after it are live.
        # After a start or a failed sync there was a gap, and what arrived in it is
        # catch-up, answered only if young enough.
        listening_since: float | None = None
        while not self.stop.is_set():
            quick = first_ever or full_state  # answer at once: nothing to wait for yet
            sent_at = time.time()
            try:
                response = await self._sync_once(
                    timeout=0 if quick else self.tuning.sync_timeout_ms,
                    sync_filter=FIRST_SYNC_FILTER if first_ever else SYNC_FILTER,
                    since=since,
                    full_state=True if full_state else None,
                )
            except NETWORK_ERRORS as exc:
                listening_since = None
                log.warning("Matrix sync failed (%s); reconnecting", describe(exc))
                if await sleep_or_stop(backoff.delay(), self.stop):
                    break
                continue
            if response is None:
                break
            if isinstance(response, ErrorResponse):
                listening_since = None
                if await self._sync_failed(response, backoff):
                    break
                continue
            backoff.reset()
            live_since = sent_at if listening_since is None else listening_since
            listening_since = time.time()
            await self._keys()
            tasks = self._dispatch(response, first_ever, live_since=live_since)
            self._after(tasks, response.next_batch)
            since, first_ever, full_state = response.next_batch, False, False
            await self._let_replies_go_first(tasks)

    async def _let_replies_go_first(self, tasks: list[asyncio.Task[None]]) -> None:
        """Give this sync's replies a head start before the next sync.

        A homeserver handles requests one after another; a sync sent at once would
        delay the replies. A reply that takes longer (a rate limit, a slow network) does
        not hold up the sync loop beyond ``reply_head_start_s``: it carries on alone.
        """
        pending = [task for task in tasks if not task.done()]
        if not pending or self.stop.is_set():
            return
        # asyncio.wait never cancels what it waits for: the replies go on regardless.
        all_sent = asyncio.ensure_future(asyncio.wait(pending))
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait(
                {all_sent, stopped},
                timeout=self.tuning.reply_head_start_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            all_sent.cancel()
            stopped.cancel()

    async def _sync_failed(self, response: ErrorResponse, backoff: Backoff) -> bool:
        """Wait as the error asks; True if stopping meanwhile."""
        if response.status_code == RATE_LIMITED:
            return await sleep_or_stop(retry_after_s(response), self.stop)
        if response.status_code in BAD_TOKEN_CODES:
            session = self.state.load_session()
            log.warning("the homeserver no longer accepts the bot's token; logging in again")
            try:
                await password_login(
                    self.client, self.config, self.state, session.device_id if session else None
                )
            except NETWORK_ERRORS as exc:
                log.warning("logging in again failed (%s)", describe(exc))
                return await sleep_or_stop(backoff.delay(), self.stop)
            return False
        log.warning("Matrix sync failed (%s); trying again", response)
        return await sleep_or_stop(backoff.delay(), self.stop)

    async def _keys(self) -> None:
        """Encryption housekeeping that nio leaves to its caller between syncs."""
        client = self.client
        steps: list[tuple[str, Callable[[], bool], Callable[[], Awaitable[Any]]]] = [
            ("uploading encryption keys", lambda: client.should_upload_keys, client.keys_upload),
            ("querying device keys", lambda: client.should_query_keys, client.keys_query),
            (
                "claiming one-time keys",
                lambda: client.should_claim_keys,
                lambda: client.keys_claim(client.get_users_for_key_claiming()),
            ),
            (
                "sending to-device messages",
                lambda: bool(client.outgoing_to_device_messages),
                client.send_to_device_messages,
            ),
        ]
        for what, needed, action in steps:
            if not needed():
                continue
            try:
                result = await action()
            except NETWORK_ERRORS as exc:
                log.warning("%s failed (%s); trying again after the next sync", what, describe(exc))
                return
            for response in result if isinstance(result, list) else [result]:
                if isinstance(response, ErrorResponse):
                    log.warning("%s failed: %s", what, response)

    # -- ordering and the sync position ------------------------------------------------

    def _in_room(self, room_id: str, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``work`` after everything queued before in the same room."""
        previous = self._room_tail.get(room_id)

        async def chained() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            await work

        task = asyncio.create_task(chained())
        self._room_tail[room_id] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if self._room_tail.get(room_id) is finished:
                del self._room_tail[room_id]

        task.add_done_callback(done)
        return task

    def _after(self, tasks: list[asyncio.Task[None]], token: str) -> None:
        """Save ``token`` once ``tasks`` and every earlier sync's tasks are done."""
        previous = self._checkpoint

        async def save() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            if tasks:
                await asyncio.wait(tasks)
            if any(t.cancelled() or t.exception() is not None for t in tasks):
                # Interrupted by shutdown: these events come again after the restart.
                self._checkpoints_broken = True
            if not self._checkpoints_broken:
                try:
                    self.state.save_sync_token(token)
                except OSError as exc:  # the next checkpoint tries again
                    log.error("cannot save the Matrix sync position: %s", describe(exc))

        self._checkpoint = asyncio.create_task(save())

    async def _drain(self) -> None:
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            _, pending = await asyncio.wait(pending, timeout=self.tuning.drain_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)

    # -- which events to answer --------------------------------------------------------

    def _first_sight(self, event_id: str) -> bool:
        if event_id in self._seen or self.state.was_handled(event_id):
            return False
        self._seen[event_id] = None
        if len(self._seen) > SEEN_EVENTS_KEEP:
            self._seen.popitem(last=False)
        return True

    def _timely(self, event: Any, live_since: float) -> bool:
        """Live events always; those from before this sync only within the catch-up age."""
        if event.server_timestamp / 1000 >= live_since - self.tuning.live_grace_s:
            return True
        if is_fresh(_sent_at(event), self.app.settings.catchup_minutes):
            return True
        log.info("not answering %s: sent while the bot was away, too long ago", event.event_id)
        return False

    def _is_own_join(self, event: Any) -> bool:
        return (
            isinstance(event, RoomMemberEvent)
            and event.state_key == self.own_id
            and event.membership == "join"
            and event.prev_membership != "join"  # not a change of name or avatar
        )

    def _dispatch(
        self, response: SyncResponse, first_ever: bool, live_since: float
    ) -> list[asyncio.Task[None]]:
        tasks = []
        for room_id, info in response.rooms.invite.items():
            invite = next(
                (
                    e
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent)
                    and e.state_key == self.own_id
                    and e.membership == "invite"
                ),
                None,
            )
            if invite is not None and room_id not in self._joining:
                self._joining.add(room_id)
                tasks.append(self._in_room(room_id, self._on_invite(room_id, invite.sender)))
        if first_ever:
            return tasks  # the first sync only tells where "now" is
        for room_id, info in response.rooms.join.items():
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            events = info.timeline.events
            start = 0
            for index, event in enumerate(events):
                if self._is_own_join(event):
                    start = index + 1  # what came before the bot joined is not for it
                    self._joining.discard(room_id)
                    if self._first_sight(event.event_id) and self._timely(event, live_since):
                        tasks.append(self._in_room(room_id, self._greet(room, event.event_id)))
            for event in events[start:]:
                if isinstance(event, RoomMemberEvent):
                    if event.membership in ("leave", "ban") and event.state_key != self.own_id:
                        tasks.append(self._in_room(room_id, self._leave_if_alone(room)))
                    continue
                if event.sender == self.own_id or isinstance(event, RoomMessageNotice):
                    continue  # never its own messages, never notices (what bots send)
                if not isinstance(event, ANSWERABLE):
                    continue
                if self._first_sight(event.event_id) and self._timely(event, live_since):
                    tasks.append(self._in_room(room_id, self._on_message(room, event)))
        return tasks

    # -- rooms -------------------------------------------------------------------------

    def is_direct(self, room: MatrixRoom) -> bool:
        """The bot and at most one other person (joined or invited)."""
        return len(room.users) <= 2

    def _names(self, room: MatrixRoom) -> list[str]:
        return [room.user_name(self.own_id) or "", self.own_id[1:].partition(":")[0]]

    async def _on_invite(self, room_id: str, inviter: str) -> None:
        joined = False
        try:
            if self.config.may_invite(inviter):
                joined = await self.sender.join(room_id)
            else:
                log.info("declining an invite from %s: not an allowed homeserver", inviter)
                await self.sender.leave(room_id)
        finally:
            if not joined:  # else the join event in a later sync clears it
                self._joining.discard(room_id)

    async def _leave_if_alone(self, room: MatrixRoom) -> None:
        if not any(user != self.own_id for user in room.users):
            log.info("leaving %s: nobody else is in it", room.room_id)
            await self.sender.leave(room.room_id)

    async def _greet(self, room: MatrixRoom, join_event_id: str) -> None:
        if not self.is_direct(room):
            return  # in a group room the bot speaks when spoken to
        others = [user for user in room.users if user != self.own_id]
        if not others:
            return
        replies = await self.app.conversation.handle(Incoming(PLATFORM, others[0], text="/start"))
        await self._send_all(room.room_id, turn_contents(replies), join_event_id)
        self.state.mark_handled(join_event_id)

    async def _send_all(self, room_id: str, contents: list[Content], event_id: str) -> None:
        for index, content in enumerate(contents):
            await self.sender.send(room_id, content, _txn_id(event_id, index))

    async def _on_message(self, room: MatrixRoom, event: Any) -> None:
        try:
            if isinstance(event, MegolmEvent):
                await self._undecryptable(room, event)
                return
            await self._answer(room, event)
        except (Interrupted, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("could not answer %s in %s", event.event_id, room.room_id)
            await self._apologise(room, event)
        self.state.mark_handled(event.event_id)

    async def _answer(self, room: MatrixRoom, event: Any) -> None:
        content = event.source.get("content") or {}
        if is_edit(content):
            return
        direct = self.is_direct(room)
        if isinstance(event, RoomMessageText):
            text = message_text(content)
        elif direct and isinstance(event, (RoomMessageMedia, RoomEncryptedMedia)):
            text = ""  # a picture or file: the conversation asks for a short question
        else:
            return
        names = self._names(room)
        if direct:
            text = strip_mention(text, self.own_id, names)
        else:
            addressed = addressed_text(content, text, self.own_id, names)
            if addressed is None:
                return
            text = addressed
        incoming = Incoming(PLATFORM, event.sender, text=as_command(text))
        replies = await self.app.conversation.handle(incoming)
        contents = turn_contents(replies)
        if not direct:  # in a group, make clear whom the bot answers
            for item in contents:
                item["m.relates_to"] = {"m.in_reply_to": {"event_id": event.event_id}}
        await self._send_all(room.room_id, contents, event.event_id)

    async def _user_language(self, user_id: str) -> tuple[str, bool]:
        library = self.app.library.current
        language = library.catalog.source_language
        with contextlib.suppress(Exception):  # the database is what may have failed
            language = (await self.app.store.load(PLATFORM, user_id)).language or language
        return language, library.i18n.language(language).rtl

    async def _apologise(self, room: MatrixRoom, event: Any) -> None:
        if not self.is_direct(room):
            return
        language, rtl = await self._user_language(event.sender)
        text = self.app.library.current.i18n.tr(
            language, "Sorry, something went wrong. Please try again in a moment."
        )
        content = text_content(text, rtl)
        with contextlib.suppress(Exception):
            await self.sender.send(room.room_id, content, _txn_id(event.event_id, 0))

    async def _undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        log.warning(
            "cannot decrypt %s from %s in %s (megolm session %s)",
            event.event_id,
            event.sender,
            room.room_id,
            event.session_id,
        )
        if not self.is_direct(room):
            return  # in a group the message may not have been meant for the bot at all
        key = (room.room_id, event.sender, event.session_id or "")
        now = time.monotonic()
        last = self._resend_noticed.get(key)
        if last is not None and now - last < RESEND_NOTICE_COOLDOWN_S:
            return  # one notice per session: never a loop with another client or bot
        self._resend_noticed[key] = now
        language, rtl = await self._user_language(event.sender)
        text = self.app.library.current.i18n.tr(
            language,
            "I could not read your last message: it was encrypted with a key I did not "
            "receive. Please send it again.",
        )
        await self.sender.send(room.room_id, text_content(text, rtl), _txn_id(event.event_id, 0))


async def serve(
    app: App,
    stop: asyncio.Event,
    *,
    config: MatrixConfig | None = None,
    tuning: Tuning | None = None,
) -> None:
    """Run the Matrix bot until ``stop`` is set.

    Raises ConfigError or MatrixError (one clear sentence) if it cannot start.
    """
    config = config or MatrixConfig.from_env()
    state = MatrixState.open(app.settings.data_dir)
    client = new_client(config, state)
    try:
        await log_in(client, config, state)
        log.info("Matrix: %s on %s, device %s", client.user_id, config.homeserver, client.device_id)
        await MatrixBot(app, config, client, state, stop, tuning).run()
    finally:
        await client.close()
        database = getattr(client.store, "database", None)
        if database is not None:
            database.close()
