"""Drive the fake Telegram Bot API with a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.telegram_api import FakeTelegram

POLL_TIMEOUT = dtm.timedelta(seconds=1)
CHAT = 4242


def build_app(fake: FakeTelegram, token: str | None = None) -> Application:
    return (
        ApplicationBuilder()
        .token(token or fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .get_updates_read_timeout(2)
        .build()
    )


@pytest.fixture
async def app(fake: FakeTelegram) -> AsyncIterator[Application]:
    application = build_app(fake)
    yield application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    # Nothing may keep running once the application is shut down.
    me = asyncio.current_task()
    for _ in range(20):
        leftovers = [task for task in asyncio.all_tasks() if task is not me and not task.done()]
        if not leftovers:
            break
        await asyncio.sleep(0.01)
    assert not leftovers, leftovers


async def start_polling(app: Application) -> None:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Deutsch", callback_data="lang:de")]],
    )
    await update.effective_message.reply_text(
        "<b>Willkommen</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.from_user is not None
    await query.answer(f"ok {query.from_user.language_code}")
    await query.edit_message_text(f"chosen {query.data}")


async def test_get_me(app: Application, fake: FakeTelegram) -> None:
    await app.initialize()
    assert app.bot.username == "wegweiser_test_bot"
    assert app.bot.id == fake.bot_id
    assert fake.calls("getMe")


async def test_polling_delivers_update_and_reply_is_recorded(
    app: Application, fake: FakeTelegram
) -> None:
    app.add_handler(CommandHandler("start", on_start))
    await start_polling(app)

    pushed = fake.push_message(CHAT, "/start", language_code="de")
    assert pushed["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    [reply] = await fake.wait_for_messages(CHAT, 1)
    assert reply.method == "sendMessage"
    assert reply.chat_id == CHAT
    assert reply.text == "<b>Willkommen</b>"
    assert reply.parse_mode == "HTML"
    assert reply.reply_markup == {
        "inline_keyboard": [[{"text": "Deutsch", "callback_data": "lang:de"}]]
    }
    assert reply.result["from"]["username"] == fake.username
    assert reply.result["chat"]["id"] == CHAT
    assert isinstance(reply.result["date"], int)
    await fake.wait_until_delivered(pushed["update_id"])


async def test_callback_query_roundtrip(app: Application, fake: FakeTelegram) -> None:
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_button))
    await start_polling(app)

    fake.push_message(CHAT, "/start")
    [reply] = await fake.wait_for_messages(CHAT, 1)
    update = fake.push_callback(CHAT, "lang:de", message_id=reply.message_id, language_code="de")
    assert update["callback_query"]["message"]["message_id"] == reply.message_id

    [edit] = await fake.wait_for_calls("editMessageText", chat_id=CHAT)
    [answer] = fake.calls("answerCallbackQuery")
    assert answer.params["callback_query_id"] == update["callback_query"]["id"]
    assert answer.params["text"] == "ok de"
    assert edit.params["message_id"] == reply.message_id
    assert edit.text == "chosen lang:de"
    state = fake.message(CHAT, reply.message_id)
    assert state is not None and state["text"] == "chosen lang:de"
    assert "reply_markup" not in state  # editing without a keyboard removes it


async def test_retry_after_from_send_message(
    app: Application, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await app.initialize()
    fake.fail_next("sendMessage", status=429, retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(CHAT, "hello")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert fake.messages_to(CHAT) == []

    await app.bot.send_message(CHAT, "hello")
    assert [call.status for call in fake.attempts_for("sendMessage")] == [429, 200]
    assert [call.text for call in fake.messages_to(CHAT)] == ["hello"]


async def test_server_error_and_dropped_connection(app: Application, fake: FakeTelegram) -> None:
    await app.initialize()
    fake.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError) as caught:
        await app.bot.send_message(CHAT, "one")
    assert not isinstance(caught.value, RetryAfter)
    assert "Internal Server Error" in caught.value.message

    fake.fail_next("sendMessage", drop=True)
    with pytest.raises(NetworkError):
        await app.bot.send_message(CHAT, "two")

    await app.bot.send_message(CHAT, "three")
    assert [call.status for call in fake.attempts_for("sendMessage")] == [500, None, 200]
    assert [call.text for call in fake.messages_to(CHAT)] == ["three"]


async def test_invalid_token(fake: FakeTelegram) -> None:
    application = build_app(fake, token="999:WRONG")
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await application.initialize()
    # Application.shutdown() is a no-op for a never-initialized application, but the bot's
    # HTTP clients were already opened by the failed initialize(): close them explicitly.
    await application.bot.shutdown()
    assert [call.status for call in fake.attempts_for("getMe")] == [401]


async def test_conflict_from_get_updates(app: Application, fake: FakeTelegram) -> None:
    await app.initialize()
    fake.fail_next("getUpdates", status=409)
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await app.bot.get_updates(timeout=0)

    # The updater reports the conflict to its error callback and keeps polling.
    errors: list[Exception] = []
    fake.fail_next("getUpdates", status=409)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0, timeout=POLL_TIMEOUT, error_callback=errors.append
    )
    pushed = fake.push_message(CHAT, "hi")
    await fake.wait_until_delivered(pushed["update_id"], timeout=5)
    assert len(errors) == 1 and isinstance(errors[0], Conflict)


async def test_long_polling_semantics(app: Application, fake: FakeTelegram) -> None:
    await app.initialize()
    bot = app.bot

    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=300)) == ()
    assert 0.25 < time.monotonic() - started < 1.5

    async def push_later() -> None:
        await asyncio.sleep(0.1)
        fake.push_message(CHAT, "first")

    pusher = asyncio.create_task(push_later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    await pusher
    assert time.monotonic() - started < 1.5
    assert [u.message.text for u in updates if u.message] == ["first"]

    for text in ("a", "b", "c"):
        fake.push_message(CHAT, text)
    # Without a higher offset nothing is confirmed: "first" comes again.
    again = await bot.get_updates(limit=2)
    assert [u.message.text for u in again if u.message] == ["first", "a"]
    rest = await bot.get_updates(offset=again[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["b", "c"]
    assert fake.pending_updates == 2

    fake.push_message(CHAT, "filtered out")
    only_callbacks = await bot.get_updates(
        offset=rest[-1].update_id + 1, allowed_updates=["callback_query"]
    )
    assert only_callbacks == ()
    assert fake.pending_updates == 0


async def test_commands_webhook_and_generic_fallback(app: Application, fake: FakeTelegram) -> None:
    await app.initialize()
    bot = app.bot
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(
        [BotCommand("start", "Los geht's"), BotCommand("hilfe", "Hilfe")],
        language_code="de",
        scope=BotCommandScopeAllPrivateChats(),
    )
    assert fake.my_commands() == [{"command": "start", "description": "Start"}]
    german = await bot.get_my_commands(language_code="de", scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in german] == ["start", "hilfe"]
    assert fake.my_commands("de", {"type": "all_private_chats"})[1]["command"] == "hilfe"
    assert await bot.get_my_commands(language_code="fr") == ()

    assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3cr3t")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""

    assert await bot.send_chat_action(CHAT, "typing")
    assert await bot.do_api_request("someFutureMethod", api_kwargs={"flag": True}) is True
    [future] = fake.calls("someFutureMethod")
    assert future.params == {"flag": True}
    assert await bot.close() is True
    assert await bot.log_out() is True


async def test_message_validation(app: Application, fake: FakeTelegram) -> None:
    await app.initialize()
    bot = app.bot
    with pytest.raises(BadRequest, match='unsupported start tag "br"'):
        await bot.send_message(CHAT, "a<br>b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"character '\.' is reserved"):
        await bot.send_message(CHAT, "Hallo.", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, " ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    await bot.send_message(
        CHAT, r"*Hallo* \. [Link](https://example.org/a-b)", parse_mode="MarkdownV2"
    )
    sent = await bot.send_message(CHAT, "<i>x</i> &amp; " + "y" * 4090, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await sent.edit_text(sent.text, parse_mode="HTML")
    assert len(fake.messages_to(CHAT)) == 2
    assert len(fake.attempts_for("sendMessage")) == 6


async def test_plain_http_errors(fake: FakeTelegram) -> None:
    base = f"http://127.0.0.1:{fake.port}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/bot999:NOPE/getMe") as response:
            assert response.status == 401
            assert json.loads(await response.read()) == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.get(f"{base}/nowhere") as response:
            assert response.status == 404
            assert (await response.json())["error_code"] == 404
        fake.fail_next("getMe", status=429, retry_after=3)
        async with session.post(f"{fake.base_url}{fake.token}/getMe") as response:
            assert response.status == 429
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            }
        # JSON bodies are accepted as well as forms.
        async with session.post(
            f"{fake.base_url}{fake.token}/sendMessage", json={"chat_id": 7, "text": "json"}
        ) as response:
            body = await response.json()
            assert body["ok"] is True and body["result"]["text"] == "json"


async def test_wait_for_messages_times_out_clearly(fake: FakeTelegram) -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match="expected 1 message"):
        await fake.wait_for_messages(CHAT, 1, timeout=0.1)
    assert time.monotonic() - started < 1
