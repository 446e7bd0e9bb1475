"""Wegweiser on Telegram, with python-telegram-bot (PTB).

Updates become ``Incoming`` values for the Conversation; its ``Reply`` values become
HTML messages with inline keyboards (``telegram_render``). ``serve`` runs the bot with
``initialize()``/``start()``/``updater.start_polling()`` (or ``start_webhook()``) rather
than ``run_polling()``, so it shares one event loop with other adapters.

Behaviour worth knowing:

* Private chats by default; in groups only messages addressed to the bot are answered:
  a command (``/menu`` or ``/menu@<bot>``), a mention of ``@<bot>``, or a reply to one of
  the bot's messages. Messages from bots are never answered.
* Catch-up: messages that waited while the bot was down are answered once if younger
  than ``WEGWEISER_CATCHUP_MINUTES``. Waiting button presses carry no time of their own;
  they are answered when the message they belong to is that young, else dropped.
* Button presses: the callback query is always answered. A menu reached from a menu
  replaces that menu in place (one tidy message); answers are sent as new messages, so
  an answer stays readable in the chat.
* Delivery: ``AIORateLimiter`` keeps within Telegram's flood limits and honours
  ``RetryAfter``; network errors and 5xx answers are retried with backoff. A dropped
  connection leaves open whether Telegram got the message; it is sent again, because a
  rare duplicate answer harms a user less than a lost one (edits of the same text are
  idempotent, and a repeated edit just reports "not modified").
* A 409 Conflict (another instance polls with the same token) is logged in one line and
  ends ``serve`` with ``TelegramStop``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot.adapters.telegram_render import Outgoing, render_turn
from bot.app import App
from bot.catchup import is_fresh
from bot.config import ConfigError, env_int
from bot.conversation import COMMANDS, Incoming
from bot.i18n import N_
from bot.replies import NAV_CODES, Menu, Reply

log = logging.getLogger(__name__)

PLATFORM = "telegram"
DEFAULT_API_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES: tuple[str, ...] = (Update.MESSAGE, Update.CALLBACK_QUERY)
# Long polling: Telegram holds a getUpdates request open this long when idle.
POLL_TIMEOUT = dt.timedelta(seconds=30)
POLL_READ_TIMEOUT = 40.0  # seconds; above POLL_TIMEOUT, so an idle poll is not an error
# Different users are served at the same time; one user's messages strictly in order.
MAX_CONCURRENT_UPDATES = 64
# HTTP connections to the Bot API. httpx checks every pooled connection on each request,
# so a pool as large as PTB's default (256) costs more CPU under load than it saves;
# requests beyond these wait for a free connection (``QueuedRequest``).
CONNECTION_POOL_SIZE = 4
POOL_TIMEOUT = 10.0  # seconds a request may wait for a free connection
# Telegram's documented overall limit for a bot (messages per second).
DEFAULT_MAX_MESSAGES_PER_SECOND = 30
RETRY_AFTER_ATTEMPTS = 5  # 429 answers honoured in a row before a reply is given up
NETWORK_ATTEMPTS = 5  # tries of one request on network errors and 5xx answers
BACKOFF_FIRST = 0.5  # seconds before the first retry; doubled each time …
BACKOFF_MAX = 8.0  # … up to this
CATCHUP_BATCH = 100  # updates per getUpdates call while catching up
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"
DEFAULT_WEBHOOK_PORT = 8443
TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]+$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TELEGRAM_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")  # the codes Telegram users report
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
SORRY = N_("Sorry, something went wrong. Please try again in a moment.")


class TelegramStop(Exception):
    """The bot cannot go on (another instance on the token, the API unreachable).

    The reason has already been logged in one line when this is raised.
    """


# -- configuration -----------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookConfig:
    url: str  # the public https URL Telegram posts to
    secret: str  # checked on every request (X-Telegram-Bot-Api-Secret-Token)
    listen: str = DEFAULT_WEBHOOK_LISTEN
    port: int = DEFAULT_WEBHOOK_PORT

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    api_url: str = DEFAULT_API_URL
    webhook: WebhookConfig | None = None
    bot_username: str | None = None
    max_messages_per_second: int = DEFAULT_MAX_MESSAGES_PER_SECOND

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramConfig:
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set; ask @BotFather in Telegram for a bot token "
                "and put it into this variable"
            )
        if not TOKEN_RE.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
                "letters and digits); copy it again from @BotFather"
            )
        api_url = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(
                "TELEGRAM_API_URL must be an http(s) URL such as 'http://127.0.0.1:8081/bot', "
                f"not '{api_url}'"
            )
        username = env.get("TELEGRAM_BOT_USERNAME", "").strip().lstrip("@") or None
        if username is not None and not re.fullmatch(r"[A-Za-z0-9_]{4,32}", username):
            raise ConfigError(
                f"TELEGRAM_BOT_USERNAME must be the bot's user name such as "
                f"'wegweiser_bot', not '{username}'"
            )
        rate = env_int(env, "TELEGRAM_MAX_MESSAGES_PER_SECOND", DEFAULT_MAX_MESSAGES_PER_SECOND)
        return cls(token, api_url, _webhook_from_env(env), username, rate)


def _webhook_from_env(env: Mapping[str, str]) -> WebhookConfig | None:
    url = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
    if not url:
        return None
    if not url.startswith("https://"):
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_URL must be a public https URL (Telegram posts only to https), "
            f"not '{url}'"
        )
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or secrets.token_urlsafe(32)
    if not SECRET_RE.match(secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET may contain only letters, digits, '_' and '-' "
            "(at most 256 characters)"
        )
    port = env_int(env, "TELEGRAM_WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT)
    if not 0 < port < 65536:
        raise ConfigError(f"TELEGRAM_WEBHOOK_PORT must be a port number, not {port}")
    listen = env.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or DEFAULT_WEBHOOK_LISTEN
    return WebhookConfig(url, secret, listen, port)


# -- delivery ----------------------------------------------------------------------------


class DeliveryLimiter(AIORateLimiter):
    """Telegram's flood limits and ``RetryAfter`` (AIORateLimiter), plus retries of
    network errors and 5xx answers with exponential backoff."""

    def __init__(self, max_messages_per_second: int = DEFAULT_MAX_MESSAGES_PER_SECOND) -> None:
        # 0 switches throttling off (e.g. for a local test server); RetryAfter still counts.
        super().__init__(
            overall_max_rate=max_messages_per_second,
            overall_time_period=1 if max_messages_per_second else 0,
            group_max_rate=20 if max_messages_per_second else 0,
            max_retries=RETRY_AFTER_ATTEMPTS,
        )

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        delay = BACKOFF_FIRST
        for attempt in range(1, NETWORK_ATTEMPTS + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise  # our request is wrong; sending it again changes nothing
            except NetworkError as exc:  # includes timeouts and 5xx answers
                if attempt == NETWORK_ATTEMPTS:
                    raise
                log.warning(
                    "%s failed (%s); try %d of %d in %.1f s",
                    endpoint, exc.message, attempt + 1, NETWORK_ATTEMPTS, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
        raise AssertionError("unreachable")


class QueuedRequest(HTTPXRequest):
    """PTB's HTTP client, with requests beyond the pool's connections waiting here.

    httpcore lets every waiting request retry for a connection each time one is freed
    and checks every idle connection on each request, so under load a queue inside it
    costs more CPU than the requests themselves; an asyncio semaphore costs next to none.
    """

    def __init__(self, connections: int = CONNECTION_POOL_SIZE, wait: float = POOL_TIMEOUT):
        super().__init__(connection_pool_size=connections, pool_timeout=wait)
        self._free = asyncio.Semaphore(connections)
        self._wait = wait  # seconds a request may wait for a connection

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self._free.locked():
            try:
                async with asyncio.timeout(self._wait):
                    await self._free.acquire()
            except TimeoutError:
                raise TimedOut(
                    "all connections to the Bot API stayed busy; the request was not sent"
                ) from None
        else:
            await self._free.acquire()  # free: no timer needed
        try:
            return await super().do_request(*args, **kwargs)
        finally:
            self._free.release()


class PerUserOrder(BaseUpdateProcessor):
    """Updates of different users run concurrently; each user's strictly in order."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # how many updates of a user are under way

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forget idle users, so the dicts stay small
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _order_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


# -- understanding messages --------------------------------------------------------------


def normalise_command(text: str, username: str) -> str | None:
    """``/start@bot payload`` → ``/start payload``; None if addressed to another bot."""
    if not text.startswith("/"):
        return text
    head, space, rest = text.partition(" ")
    name, _, target = head.partition("@")
    if target and target.lower() != username.lower():
        return None
    return name + space + rest


def addressed_text(message: Message, username: str, bot_id: int) -> str | None:
    """In a group: the text meant for the bot, or None if the message is not for it."""
    text = message.text or message.caption or ""
    if text.startswith("/"):
        return normalise_command(text, username)
    mention = re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE)
    if mention.search(text):
        return " ".join(mention.sub(" ", text).split())
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


def _is_group(message: Message) -> bool:
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _menu_keyboard(message: Message) -> bool:
    """True if the bot's message carries a menu (topics, entries, languages), not only
    navigation under an answer: only such a message is replaced by the next menu."""
    markup = message.reply_markup
    if markup is None:
        return False
    codes = [b.callback_data for row in markup.inline_keyboard for b in row]
    return any(isinstance(c, str) and c not in NAV_CODES for c in codes)


# -- the bot -----------------------------------------------------------------------------


class TelegramBot:
    """One running bot: the PTB application, the handlers and the delivery of replies."""

    def __init__(self, app: App, config: TelegramConfig) -> None:
        self.app = app
        self.config = config
        self.application = self._build()
        self._stopped = asyncio.Event()  # set when the bot must end (e.g. on 409)
        self._stop_reason: str | None = None
        self._backlog: set[int] = set()  # update ids that waited while the bot was down

    def _build(self) -> Application:
        application = (
            ApplicationBuilder()
            .token(self.config.token)
            .base_url(self.config.api_url)
            .rate_limiter(DeliveryLimiter(self.config.max_messages_per_second))
            .concurrent_updates(PerUserOrder())
            .get_updates_read_timeout(POLL_READ_TIMEOUT)
            .request(QueuedRequest())
            .build()
        )
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)
        return application

    @property
    def bot(self) -> Bot:
        return self.application.bot

    # -- life cycle ----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; raise ConfigError or TelegramStop if it cannot."""
        application = self.application
        await self._initialize()
        try:
            await application.start()
            try:
                await self.register_commands()
                await self.catch_up()
                await self._start_updates()
                log.info("Telegram bot @%s is running", self.bot.username)
                await _first(stop.wait(), self._stopped.wait())
            finally:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                await application.stop()
        finally:
            await application.shutdown()
        if self._stop_reason is not None:
            raise TelegramStop(self._stop_reason)

    async def _initialize(self) -> None:
        try:
            await self.application.initialize()
        except InvalidToken:
            await self.application.bot.shutdown()
            raise ConfigError(_rejected(self.config)) from None
        except TelegramError as exc:
            await self.application.bot.shutdown()
            reason = f"cannot reach the Telegram Bot API at {_host(self.config.api_url)} ({exc})"
            log.error("%s", reason)
            raise TelegramStop(reason) from None

    async def _start_updates(self) -> None:
        updater = self.application.updater
        assert updater is not None
        webhook = self.config.webhook
        if webhook is None:
            await updater.start_polling(
                poll_interval=0,
                timeout=POLL_TIMEOUT,
                allowed_updates=list(ALLOWED_UPDATES),
                error_callback=self._polling_error,
            )
            return
        try:
            await updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.path,
                webhook_url=webhook.url,
                secret_token=webhook.secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        except OSError as exc:
            raise ConfigError(
                f"cannot listen for the webhook on {webhook.listen}:{webhook.port} "
                f"({exc.strerror}); set TELEGRAM_WEBHOOK_LISTEN or TELEGRAM_WEBHOOK_PORT"
            ) from None

    def _polling_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            self._conflict()
        else:
            log.warning("fetching updates from Telegram failed (%s); retrying", exc)

    def _conflict(self) -> None:
        if self._stop_reason is None:
            self._stop_reason = (
                "Telegram answered 409 Conflict: another instance of the bot is running "
                "with this TELEGRAM_BOT_TOKEN; stop it (or use another token) and start again"
            )
            log.error("%s", self._stop_reason)
        self._stopped.set()

    async def register_commands(self) -> None:
        """The command menu in every catalog language that Telegram users can have."""
        lib = self.app.library.current
        codes = [c for c in lib.catalog.language_by_code if TELEGRAM_LANGUAGE_RE.match(c)]
        default = "en" if "en" in lib.catalog.language_by_code else lib.catalog.source_language

        def commands(lang: str) -> list[BotCommand]:
            return [BotCommand(name, lib.i18n.tr(lang, text)) for name, text in COMMANDS]

        calls = [self.bot.set_my_commands(commands(default))]
        calls += [self.bot.set_my_commands(commands(c), language_code=c) for c in codes]
        results = await asyncio.gather(*calls, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:  # the command menu is a convenience: the bot works without it
            log.warning("could not register the command menu (%s)", failed[0])

    async def catch_up(self) -> None:
        """Fetch what waited while the bot was down, so the catch-up rule can tell it apart.

        Any webhook is removed first (keeping its pending updates), since getUpdates
        does not work while one is set; ``start_webhook`` sets it again.
        """
        bot = self.bot
        offset: int | None = None
        fetched = 0
        try:
            await bot.delete_webhook(drop_pending_updates=False)
            while True:
                updates = await bot.get_updates(
                    offset=offset, timeout=0, limit=CATCHUP_BATCH,
                    allowed_updates=list(ALLOWED_UPDATES),
                )  # fmt: skip
                if not updates:
                    break
                for update in updates:
                    self._backlog.add(update.update_id)
                    await self.application.update_queue.put(update)
                fetched += len(updates)
                offset = updates[-1].update_id + 1  # confirms them with the next call
        except Conflict:
            self._conflict()
            raise TelegramStop(self._stop_reason) from None
        except TelegramError as exc:
            # Not fatal: the updater fetches them instead, and messages carry their date.
            log.warning("could not fetch waiting updates (%s); the updater will", exc)
        if fetched:
            log.info("%d update(s) waited while the bot was down", fetched)

    # -- handling ------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        waited = update.update_id in self._backlog
        self._backlog.discard(update.update_id)
        try:
            if update.callback_query is not None:
                await self.on_callback(update.callback_query, waited)
            elif update.message is not None:
                await self.on_message(update.message)
        except Exception:
            log.exception("update %d could not be handled", update.update_id)
            await self._apologise(update)

    def _fresh(self, sent_at: dt.datetime) -> bool:
        return is_fresh(sent_at, self.app.settings.catchup_minutes)

    async def on_message(self, message: Message) -> None:
        user = message.from_user
        if user is None or user.is_bot or message.chat.type == ChatType.CHANNEL:
            return
        if not self._fresh(message.date):
            log.info("not answering a message from %s: older than the catch-up age",
                     message.date.isoformat(timespec="minutes"))  # fmt: skip
            return
        username = self.bot.username
        if _is_group(message):
            text = addressed_text(message, username, self.bot.id)
        else:
            text = normalise_command(message.text or message.caption or "", username)
        if text is None:
            return
        incoming = Incoming(PLATFORM, str(user.id), text=text, language_hint=user.language_code)
        replies = await self.app.conversation.handle(incoming)
        await self.send(message.chat.id, render_turn(replies))

    async def on_callback(self, query: CallbackQuery, waited: bool) -> None:
        if query.from_user.is_bot:
            return
        message = query.message
        if waited and (message is None or not self._fresh(message.date)):
            log.info("not answering a button press that waited while the bot was down")
            return
        await self._answer_query(query)
        if query.data is None or message is None:
            return
        incoming = Incoming(
            PLATFORM, str(query.from_user.id), choice=query.data,
            language_hint=query.from_user.language_code,
        )  # fmt: skip
        replies = await self.app.conversation.handle(incoming)
        outgoing = render_turn(replies)
        if isinstance(message, Message) and await self._replace_menu(message, replies, outgoing):
            return
        await self.send(message.chat.id, outgoing)

    async def _answer_query(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:  # too old or already answered: the reply still follows
            log.debug("callback query not answered: %s", exc)

    async def _replace_menu(
        self, message: Message, replies: Sequence[Reply], outgoing: Sequence[Outgoing]
    ) -> bool:
        """Show a menu reached from a menu in place of it; False if it must be sent anew."""
        if len(replies) != 1 or not isinstance(replies[0], Menu) or len(outgoing) != 1:
            return False
        if not _menu_keyboard(message):
            return False
        [new] = outgoing
        try:
            await self.bot.edit_message_text(
                new.html,
                chat_id=message.chat.id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=new.keyboard,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True  # the same menu again, or our own retry that had arrived
            log.info("menu not edited (%s); sending it as a new message", exc.message)
            return False
        return True

    async def send(self, chat_id: int, outgoing: Sequence[Outgoing]) -> None:
        """Send the messages of one turn in order; stop at the first that cannot go out."""
        for message in outgoing:
            try:
                await self.bot.send_message(
                    chat_id,
                    message.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=message.keyboard,
                    link_preview_options=NO_PREVIEW,
                )
            except Forbidden:
                log.info("chat %s blocked the bot or is gone; reply dropped", chat_id)
                return
            except BadRequest as exc:  # a message we built wrongly; the others may still go
                log.error("Telegram refused a reply (%s)", exc.message)
            except TelegramError as exc:
                log.error("reply to chat %s not delivered (%s)", chat_id, exc)
                return

    async def _apologise(self, update: Update) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or user.is_bot:
            return
        text = self.app.library.current.i18n.tr(user.language_code or "en", SORRY)
        try:
            await self.bot.send_message(chat.id, text)
        except TelegramError as exc:
            log.error("could not tell chat %s about the failure (%s)", chat.id, exc)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling a Telegram update: %s", context.error)


async def _first(*waits: Awaitable[Any]) -> None:
    """Wait until the first of ``waits`` is done; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _rejected(config: TelegramConfig) -> str:
    # Telegram answers 401 or 404 for a bad token; a wrong server path looks the same.
    where = "" if config.api_url == DEFAULT_API_URL else " (or TELEGRAM_API_URL is wrong)"
    return (
        f"Telegram rejected the token in TELEGRAM_BOT_TOKEN{where}; copy it again from @BotFather"
    )


# -- entry points ------------------------------------------------------------------------


async def serve(app: App, stop: asyncio.Event, *, config: TelegramConfig | None = None) -> None:
    """Run the Telegram bot until ``stop`` is set.

    Raises ConfigError (token missing or rejected, bad settings) or TelegramStop
    (another instance uses the token, the Bot API is unreachable at start); the reason
    is one sentence, already logged for TelegramStop.
    """
    bot = TelegramBot(app, config or TelegramConfig.from_env())
    await bot.run(stop)


async def fetch_username(config: TelegramConfig) -> str:
    """The bot's user name from getMe (for links when TELEGRAM_BOT_USERNAME is unset)."""
    bot = Bot(config.token, base_url=config.api_url)
    try:
        async with bot:
            return bot.username
    except InvalidToken:
        raise ConfigError(_rejected(config)) from None
    except TelegramError as exc:
        raise ConfigError(
            f"cannot ask Telegram for the bot's name ({exc}); set TELEGRAM_BOT_USERNAME instead"
        ) from None
