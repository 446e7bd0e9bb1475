"""An in-process fake of the Telegram Bot HTTP API for tests and benchmarks.

The server listens on 127.0.0.1 (random free port) and answers requests the way
python-telegram-bot (PTB) sends them when pointed at it via ``base_url``::

    fake = FakeTelegram()
    await fake.start()
    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url)
    ...
    fake.push_message(42, "/start")
    [reply] = await fake.wait_for_messages(42, 1)
    await fake.stop()

Wire format (as the real Bot API): requests are ``POST /bot<token>/<method>`` with
``application/x-www-form-urlencoded`` or ``multipart/form-data`` bodies in which every
value is a string (PTB JSON-encodes everything that is not already a string, e.g.
``reply_markup``, ``entities``, ints and bools); JSON bodies and query strings are accepted
as well. Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with the HTTP
status equal to ``error_code`` (PTB picks the exception class from the HTTP status).

Deliberate simplifications: markup is validated (``check_markup``) but never converted
into entities, so returned messages carry the text exactly as sent; webhooks are only
registered, never called; one long poll at a time is not enforced (use ``fail_next``
with ``status=409`` to simulate a competing bot instance).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

__all__ = ["ApiCall", "FakeTelegram", "JSONDict", "UploadedFile"]

JSONDict = dict[str, Any]

# Update types Telegram only delivers when they are listed explicitly in allowed_updates.
_OPT_IN_UPDATE_TYPES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

# Form fields whose values are strings by definition and must never be JSON-decoded
# (e.g. a text "123" stays a string).
_STRING_FIELDS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "query",
        "name",
        "title",
        "description",
        "short_description",
        "first_name",
        "last_name",
        "username",
        "emoji",
        "custom_emoji_id",
        "file_id",
        "question",
        "explanation",
        "address",
        "phone_number",
        "vcard",
        "payload",
        "currency",
        "provider_token",
        "start_parameter",
        "result_id",
        "next_offset",
        "photo",
        "document",
        "audio",
        "video",
        "animation",
        "voice",
        "video_note",
        "sticker",
        "thumbnail",
    }
)

_CONFLICT_POLLING: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_DEFAULT_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: _CONFLICT_POLLING,
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_MAX_TEXT_LENGTH: Final = 4096
_MAX_CAPTION_LENGTH: Final = 1024
_HTML_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_ENTITY_RE: Final = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (e.g. the photo of sendPhoto)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class ApiCall:
    """One request the bot made, as seen by the fake.

    ``status`` is the HTTP status answered (200 on success) or ``None`` when the
    connection was dropped without an answer. ``time`` is ``time.monotonic()``.
    """

    method: str
    params: JSONDict
    time: float
    status: int | None = 200
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def parse_mode(self) -> str | None:
        return self.params.get("parse_mode")

    @property
    def reply_markup(self) -> JSONDict | None:
        return self.params.get("reply_markup")

    @property
    def message_id(self) -> int | None:
        """The id of the message sent/edited by this call, if any."""
        if isinstance(self.result, dict):
            return self.result.get("message_id")
        return self.params.get("message_id")


@dataclass(frozen=True, slots=True)
class _Fault:
    status: int
    retry_after: int
    drop: bool
    description: str | None


class _ApiError(Exception):
    """Raised by method handlers; becomes a Telegram error answer."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class _Signal:
    """Wakes every coroutine currently waiting; no lost wake-ups, no busy loops."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        if self._waiters:
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._waiters.clear()

    async def wait(self, timeout: float) -> None:
        """Wait for the next notify() or until ``timeout`` seconds passed."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)


def _decode_form_value(key: str, raw: str) -> Any:
    """Undo PTB's encoding: non-string values arrive JSON-dumped inside form fields."""
    if key in _STRING_FIELDS or not raw:
        return raw
    first = raw[0]
    if first in '{["-' or first.isdigit() or raw in ("true", "false", "null"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_error(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _check_html(text: str) -> int:
    """Validate Telegram-flavoured HTML; return the length of the visible text."""
    stack: list[str] = []
    visible = 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "<":
            end = text.find(">", i + 1)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of the tag starting at byte offset {_byte_offset(text, i)}"
                )
            inner = text[i + 1 : end].strip()
            closing = inner.startswith("/")
            name = inner.lstrip("/").split(None, 1)[0].lower() if inner.lstrip("/") else ""
            offset = _byte_offset(text, i)
            if closing:
                if not stack or stack[-1] != name:
                    expected = f'"</{stack[-1]}>"' if stack else "no end tag"
                    raise _parse_error(
                        f"Unmatched end tag at byte offset {offset}, "
                        f'expected {expected}, found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in _HTML_TAGS:
                    raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
                stack.append(name)
            i = end + 1
        elif char == "&" and (match := _HTML_ENTITY_RE.match(text, i)):
            visible += len(html.unescape(match.group(0)))
            i = match.end()
        else:
            visible += 1
            i += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return visible


def _find_unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while True:
        i = text.find(needle, i)
        if i < 0:
            return -1
        backslashes = 0
        j = i - 1
        while j >= start and text[j] == "\\":
            backslashes += 1
            j -= 1
        if backslashes % 2 == 0:
            return i
        i += 1


def _check_markdown_v2(text: str) -> int:
    """Approximate Telegram's MarkdownV2 parser; return the length of the visible text."""
    visible = 0
    marks = {"*": 0, "_": 0, "~": 0, "||": 0}
    last_mark: dict[str, int] = {}
    open_links = 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if char == "\\":
            if not nxt:
                raise _parse_error("Character '\\' is reserved and must be escaped")
            visible += 1
            i += 2
        elif char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _find_unescaped(text, fence, i + len(fence))
            if end < 0:
                kind = "Pre" if fence == "```" else "Code"
                raise _parse_error(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}"
                )
            visible += end - i - len(fence)
            i = end + len(fence)
        elif char in "*_~":
            marks[char] += 1
            last_mark[char] = i
            i += 1
        elif char == "|" and nxt == "|":
            marks["||"] += 1
            last_mark["||"] = i
            i += 2
        elif char == "[":
            open_links += 1
            i += 1
        elif char == "]" and open_links and nxt == "(":
            end = _find_unescaped(text, ")", i + 2)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}"
                )
            open_links -= 1
            i = end + 1
        elif (char == "!" and nxt == "[") or (char == ">" and (i == 0 or text[i - 1] == "\n")):
            i += 1
        elif char in _MDV2_RESERVED:
            raise _parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            visible += 1
            i += 1
    names = {"*": "Bold", "_": "Italic", "~": "Strikethrough", "||": "Spoiler"}
    for mark, count in marks.items():
        if count % 2:
            offset = _byte_offset(text, last_mark[mark])
            raise _parse_error(f"Can't find end of {names[mark]} entity at byte offset {offset}")
    if open_links:
        raise _parse_error("Can't find end of TextUrl entity")
    return visible


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


class FakeTelegram:
    """Fake Telegram Bot API server.

    All public methods must be called from the event loop the server runs on.
    """

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        username: str = "wegweiser_test_bot",
        first_name: str = "Wegweiser Test",
        token: str | None = None,
        extra_tokens: Iterable[str] = (),
        check_markup: bool = True,
    ) -> None:
        # Identity of the fake bot (returned by getMe, used as "from" of sent messages).
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._bot_sender: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.token: str = token or f"{bot_id}:TEST"
        # Tokens accepted by the server; anything else gets 401 Unauthorized.
        self.valid_tokens: set[str] = {self.token, *extra_tokens}
        # Validate HTML/MarkdownV2 like Telegram does (400 "can't parse entities").
        self.check_markup = check_markup
        # Files served under base_file_url, keyed by file_path (also usable as file_id).
        self.files: dict[str, bytes] = {}

        # Successful outgoing calls (everything except getUpdates), in order.
        self.sent: list[ApiCall] = []
        # Every request that reached a method, including failed, dropped and getUpdates.
        self.attempts: list[ApiCall] = []
        # Commands per (scope JSON, language_code), as set via setMyCommands.
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.webhook_url: str = ""
        self.webhook_params: JSONDict = {}

        # Requests being answered at once (getUpdates aside), and the most seen so far.
        self.in_flight = 0
        self.most_in_flight = 0

        self._latency_all = 0.0
        self._latency: dict[str, float] = {}
        self._faults: dict[str, deque[_Fault]] = {}

        self._updates: deque[JSONDict] = deque()
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._delivered_update_id = 0
        self._allowed_updates: frozenset[str] | None = None
        self._updates_changed = _Signal()
        self._calls_changed = _Signal()

        self._messages_by_chat: dict[str, list[ApiCall]] = {}
        self._bot_messages: dict[tuple[str, int], JSONDict] = {}
        self._last_bot_message: dict[str, int] = {}
        self._next_message_id: dict[str, int] = {}
        self._chats: dict[str, JSONDict] = {}
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()

        self._runner: web.ServerRunner | None = None
        self._port = 0
        self._closing = False
        self._handlers: dict[str, tuple[str, Callable[[JSONDict], Awaitable[Any] | Any]]] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("getFile", self._get_file),
            ("sendMediaGroup", self._send_media_group),
            ("copyMessage", self._copy_message),
            ("close", lambda _params: True),
            ("logOut", lambda _params: True),
        ):
            self._handlers[name.lower()] = (name, handler)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start serving on 127.0.0.1 at a random free port."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram already started")
        self._closing = False
        server = web.Server(self._counted, handler_cancellation=True, access_log=None)
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Release pending long polls and shut the server down. Idempotent."""
        if self._runner is None:
            return
        self._closing = True
        self._updates_changed.notify()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url()`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url()``."""
        return f"http://127.0.0.1:{self._port}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    @property
    def username(self) -> str:
        return str(self.bot_user["username"])

    # ------------------------------------------------------------------ user traffic

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update; ``update_id`` is assigned unless present. Returns the update."""
        if "update_id" in update:
            update_id = int(update["update_id"])
            if update_id <= self._last_update_id:
                raise ValueError(f"update_id {update_id} is not above {self._last_update_id}")
            self._update_ids = itertools.count(update_id + 1)
        else:
            update_id = next(self._update_ids)
            update = {"update_id": update_id, **update}
        self._last_update_id = update_id
        self._updates.append(update)
        self._updates_changed.notify()
        return update

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        language_code: str | None = None,
        chat_type: str = "private",
        date: int | None = None,
        is_bot: bool = False,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Queue a text message from a user; a leading "/command" gets a bot_command entity."""
        chat = self._remember_chat(chat_id, chat_type, first_name)
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()) if date is None else date,
            "chat": chat,
            "text": text,
        }
        if chat_type == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = self._user(chat_id, user_id, first_name, language_code, is_bot)
        if entities is None and text.startswith("/"):
            command = text.split(None, 1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if entities:
            message["entities"] = entities
        key = "channel_post" if chat_type == "channel" else "message"
        return self.push_update({key: message})

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "Test",
        language_code: str | None = None,
    ) -> JSONDict:
        """Queue a button press on a message the bot sent (default: its latest one there)."""
        key = str(chat_id)
        if message_id is None:
            message_id = self._last_bot_message.get(key)
        message = self._bot_messages.get((key, message_id or 0))
        if message is None:
            raise LookupError(f"the bot has no message {message_id} in chat {chat_id}")
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        callback = {
            "id": query_id,
            "from": self._user(chat_id, user_id, first_name, language_code, False),
            "message": json.loads(json.dumps(message)),
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return self.push_update({"callback_query": callback})

    @property
    def pending_updates(self) -> int:
        """Number of queued updates the bot has not confirmed yet."""
        return len(self._updates)

    async def wait_until_delivered(
        self, update_id: int | None = None, *, timeout: float = 5.0
    ) -> None:
        """Wait until getUpdates has returned ``update_id`` (default: the latest pushed)."""
        target = self._last_update_id if update_id is None else update_id
        await self._wait(
            self._updates_changed,
            lambda: self._delivered_update_id >= target,
            timeout,
            lambda: (
                f"update {target} not fetched by the bot "
                f"(last fetched: {self._delivered_update_id})"
            ),
        )

    # ------------------------------------------------------------------ observing

    def calls(self, method: str) -> list[ApiCall]:
        """Successful calls of ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.sent if call.method.lower() == wanted]

    def attempts_for(self, method: str) -> list[ApiCall]:
        """All attempts of ``method`` including failed and dropped ones."""
        wanted = method.lower()
        return [call for call in self.attempts if call.method.lower() == wanted]

    def messages_to(self, chat_id: int | str) -> list[ApiCall]:
        """Delivered sendMessage calls to ``chat_id``, in order."""
        return list(self._messages_by_chat.get(str(chat_id), ()))

    def message(self, chat_id: int | str, message_id: int) -> JSONDict | None:
        """Current state of a message the bot sent (reflects edits), or None if deleted."""
        return self._bot_messages.get((str(chat_id), message_id))

    async def wait_for_messages(
        self, chat_id: int | str, count: int, timeout: float = 5.0
    ) -> list[ApiCall]:
        """Wait until ``count`` sendMessage calls to ``chat_id`` were delivered.

        Returns all messages sent to that chat so far (at least ``count``).
        """
        key = str(chat_id)
        await self._wait(
            self._calls_changed,
            lambda: len(self._messages_by_chat.get(key, ())) >= count,
            timeout,
            lambda: (
                f"expected {count} message(s) to chat {chat_id}, got "
                f"{[call.text for call in self._messages_by_chat.get(key, ())]!r}"
            ),
        )
        return self.messages_to(chat_id)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        *,
        chat_id: int | str | None = None,
        timeout: float = 5.0,
    ) -> list[ApiCall]:
        """Wait until ``count`` successful calls of ``method`` (optionally to a chat)."""
        wanted = method.lower()

        def matching() -> list[ApiCall]:
            return [
                call
                for call in self.sent
                if call.method.lower() == wanted
                and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
            ]

        await self._wait(
            self._calls_changed,
            lambda: len(matching()) >= count,
            timeout,
            lambda: f"expected {count} {method} call(s), got {len(matching())}",
        )
        return matching()

    def my_commands(self, language_code: str = "", scope: JSONDict | None = None) -> list[JSONDict]:
        """Commands set for a scope (default scope if None) and language ("" = all)."""
        params = {"scope": scope, "language_code": language_code}
        return self.commands.get(self._commands_key(params), [])

    def clear_sent(self) -> None:
        """Forget recorded calls and attempts (messages stay known for callbacks)."""
        self.sent.clear()
        self.attempts.clear()
        self._messages_by_chat.clear()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        drop: bool = False,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``status`` 429 answers "Too Many Requests" with ``parameters.retry_after``; 409 answers
        the getUpdates Conflict; any other status answers a Telegram-style error JSON.
        ``drop=True`` closes the connection without answering instead.
        """
        fault = _Fault(status, retry_after, drop, description)
        self._faults.setdefault(method.lower(), deque()).extend([fault] * times)

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Delay answers by ``seconds`` (for one method, or all except getUpdates)."""
        if method is None:
            self._latency_all = seconds
        else:
            self._latency[method.lower()] = seconds

    # ------------------------------------------------------------------ HTTP plumbing

    async def _counted(self, request: web.BaseRequest) -> web.StreamResponse:
        """``_handle``, counting the requests in flight; a long poll stays open by design."""
        if request.path.lower().endswith("/getupdates"):
            return await self._handle(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._handle(request)
        finally:
            self.in_flight -= 1

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if request.method == "GET" and path.startswith("/file/bot"):
            return self._serve_file(path)
        if not path.startswith("/bot"):
            return _error_response(404, "Not Found")
        token, sep, method = path[4:].partition("/")
        if not sep or not method or "/" in method:
            return _error_response(404, "Not Found")

        try:
            params = await _read_params(request)
        except _ApiError as exc:
            return _error_response(exc.status, exc.description, exc.parameters)

        key = method.lower()
        name, handler = self._handlers.get(key, (method, None))
        call = ApiCall(name, params, time.monotonic())
        self.attempts.append(call)
        if token not in self.valid_tokens:
            call.status = 401
            return _error_response(401, "Unauthorized")

        delay = self._latency.get(key, 0.0 if key == "getupdates" else self._latency_all)
        if delay:
            await asyncio.sleep(delay)

        faults = self._faults.get(key)
        if faults:
            fault = faults.popleft()
            if fault.drop:
                call.status = None
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            call.status = fault.status
            return self._fault_response(fault)

        try:
            if handler is None:
                result: Any = self._generic(name, params)
            else:
                result = handler(params)
                if asyncio.iscoroutine(result):
                    result = await result
        except _ApiError as exc:
            call.status = exc.status
            return _error_response(exc.status, exc.description, exc.parameters)

        call.result = result
        if key != "getupdates":
            self.sent.append(call)
            if key == "sendmessage":
                chat_key = str(params.get("chat_id"))
                self._messages_by_chat.setdefault(chat_key, []).append(call)
            self._calls_changed.notify()
        return web.Response(
            body=json.dumps({"ok": True, "result": result}).encode(),
            content_type="application/json",
        )

    @staticmethod
    def _fault_response(fault: _Fault) -> web.Response:
        if fault.status == 429:
            description = fault.description or (
                f"Too Many Requests: retry after {fault.retry_after}"
            )
            return _error_response(429, description, {"retry_after": fault.retry_after})
        description = fault.description or _DEFAULT_DESCRIPTIONS.get(
            fault.status, f"Error {fault.status}"
        )
        return _error_response(fault.status, description)

    def _serve_file(self, path: str) -> web.StreamResponse:
        token, _, file_path = path[len("/file/bot") :].partition("/")
        if token not in self.valid_tokens:
            return _error_response(401, "Unauthorized")
        data = self.files.get(file_path)
        if data is None:
            return _error_response(404, "Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

    @staticmethod
    async def _wait(
        signal: _Signal,
        predicate: Callable[[], bool],
        timeout: float,
        describe: Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s: {describe()}")
            await signal.wait(remaining)

    # ------------------------------------------------------------------ helpers

    def _remember_chat(self, chat_id: int, chat_type: str, first_name: str) -> JSONDict:
        key = str(chat_id)
        chat = self._chats.get(key)
        if chat is None or chat["type"] != chat_type:
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
            else:
                chat["title"] = f"Test {chat_type} {chat_id}"
            self._chats[key] = chat
        return chat

    def _chat(self, chat_id: Any) -> JSONDict:
        key = str(chat_id)
        chat = self._chats.get(key)
        if chat is not None:
            return chat
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            return {"id": -1000000000001, "type": "channel", "username": chat_id[1:]}
        if isinstance(chat_id, int) and chat_id < 0:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            return {"id": chat_id, "type": kind, "title": f"Test {kind} {chat_id}"}
        return {"id": chat_id, "type": "private", "first_name": "Test"}

    @staticmethod
    def _user(
        chat_id: int,
        user_id: int | None,
        first_name: str,
        language_code: str | None,
        is_bot: bool,
    ) -> JSONDict:
        if user_id is None:
            user_id = chat_id if chat_id > 0 else 10_000
        user: JSONDict = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _new_message_id(self, chat_id: Any) -> int:
        key = str(chat_id)
        message_id = self._next_message_id.get(key, 1)
        self._next_message_id[key] = message_id + 1
        return message_id

    def _check_text(self, text: Any, parse_mode: Any, limit: int, what: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, f"Bad Request: {what} is empty")
        mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
        if mode and mode not in ("html", "markdown", "markdownv2"):
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        length = len(text)
        if self.check_markup and mode == "html":
            length = _check_html(text)
        elif self.check_markup and mode == "markdownv2":
            length = _check_markdown_v2(text)
        if length > limit:
            too_long = "message" if what == "message text" else what
            raise _ApiError(400, f"Bad Request: {too_long} is too long")

    def _new_bot_message(self, params: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chat(chat_id)
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_sender,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        key = str(chat_id)
        self._bot_messages[(key, message["message_id"])] = message
        self._last_bot_message[key] = message["message_id"]
        return message

    def _find_bot_message(self, params: JSONDict, action: str) -> JSONDict:
        message = self._bot_messages.get((str(params.get("chat_id")), params.get("message_id")))
        if message is None:
            raise _ApiError(400, f"Bad Request: message to {action} not found")
        return message

    # ------------------------------------------------------------------ Bot API methods

    def _get_me(self, _params: JSONDict) -> JSONDict:
        return self.bot_user

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise _ApiError(409, _CONFLICT_WEBHOOK)
        offset = params.get("offset")
        if isinstance(offset, int) and offset:
            if offset > 0:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
            else:
                while len(self._updates) > -offset:
                    self._updates.popleft()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        timeout = float(timeout) if isinstance(timeout, int | float) else 0.0

        batch = self._collect_updates(limit)
        if not batch and timeout > 0 and not self._closing:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not batch and not self._closing:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await self._updates_changed.wait(remaining)
                batch = self._collect_updates(limit)
        if batch:
            self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
            self._updates_changed.notify()
        return batch

    def _collect_updates(self, limit: int) -> list[JSONDict]:
        allowed = self._allowed_updates
        if allowed is None:
            if not any(_update_type(u) in _OPT_IN_UPDATE_TYPES for u in self._updates):
                return list(itertools.islice(self._updates, limit))
            keep = [u for u in self._updates if _update_type(u) not in _OPT_IN_UPDATE_TYPES]
        else:
            keep = [u for u in self._updates if _update_type(u) in allowed]
        if len(keep) != len(self._updates):
            # Telegram never delivers updates of types that are not allowed: forget them.
            self._updates = deque(keep)
        return keep[:limit]

    def _send_message(self, params: JSONDict) -> JSONDict:
        text = params.get("text")
        self._check_text(text, params.get("parse_mode"), _MAX_TEXT_LENGTH, "message text")
        message = self._new_bot_message(params)
        message["text"] = text
        if params.get("entities"):
            message["entities"] = params["entities"]
        return message

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = params.get("text")
        self._check_text(text, params.get("parse_mode"), _MAX_TEXT_LENGTH, "message text")
        if params.get("inline_message_id"):
            return True
        message = self._find_bot_message(params, "edit")
        markup = params.get("reply_markup")
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        message["edit_date"] = int(time.time())
        # As in Telegram: editing without reply_markup removes the inline keyboard.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._find_bot_message(params, "edit")
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        return message

    def _delete_message(self, params: JSONDict) -> bool:
        message = self._find_bot_message(params, "delete")
        del self._bot_messages[(str(params.get("chat_id")), message["message_id"])]
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_callbacks:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        self.commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _set_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_params = dict(params)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = ""
        self.webhook_params = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, _params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook_params:
                info[key] = self.webhook_params[key]
        return info

    def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id") or "")
        data = self.files.get(file_id)
        if data is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": file_id,
        }

    def _send_media_group(self, params: JSONDict) -> list[JSONDict]:
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise _ApiError(400, "Bad Request: media is empty")
        messages = []
        for item in media:
            message = self._new_bot_message(params)
            if isinstance(item, dict) and item.get("caption"):
                message["caption"] = item["caption"]
            messages.append(message)
        return messages

    def _copy_message(self, params: JSONDict) -> JSONDict:
        return {"message_id": self._new_bot_message(params)["message_id"]}

    def _generic(self, method: str, params: JSONDict) -> Any:
        """Fallback: send* methods answer a Message, everything else ``True``."""
        key = method.lower()
        if key.startswith("send") and key != "sendchataction" and "chat_id" in params:
            caption = params.get("caption")
            if caption is not None:
                self._check_text(
                    caption, params.get("parse_mode"), _MAX_CAPTION_LENGTH, "message caption"
                )
            message = self._new_bot_message(params)
            if caption is not None:
                message["caption"] = caption
            return message
        return True


def _error_response(
    status: int, description: str, parameters: JSONDict | None = None
) -> web.Response:
    payload: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json"
    )


async def _read_params(request: web.BaseRequest) -> JSONDict:
    """Merge query string and body (urlencoded, multipart or JSON) into typed params."""
    params: JSONDict = {key: _decode_form_value(key, value) for key, value in request.query.items()}
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise _ApiError(400, "Bad Request: can't parse JSON object") from exc
        if isinstance(body, dict):
            params.update(body)
        return params
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(
                    key, value.filename, value.content_type, value.file.read()
                )
            else:
                params[key] = _decode_form_value(key, value)
    return params
