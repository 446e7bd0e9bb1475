"""Conversations on Telegram end to end: python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import html
import re

from bot.adapters.telegram_render import MAX_CALLBACK_BYTES
from bot.app import App
from bot.bidi import RLM
from bot.conversation import COMMANDS
from tests.fakes.telegram_api import ApiCall, FakeTelegram
from tests.telegram.conftest import BotRunner, TelegramUser, buttons

CHAT = 4242


def assert_rtl(call: ApiCall) -> None:
    lines = [line for line in (call.text or "").split("\n") if line.strip()]
    assert lines and all(line.startswith(RLM) for line in lines), call.text


async def test_start_language_menu_and_entry(bot_runner: BotRunner, fake: FakeTelegram) -> None:
    user = TelegramUser(fake, CHAT)  # Telegram did not tell us the user's language
    async with bot_runner():
        [languages] = await user.say("/start")
        assert languages.parse_mode == "HTML"
        codes = buttons(languages)
        assert {"l:de", "l:en", "l:ar", "l:fa"} <= set(codes)
        assert all(len(code.encode()) <= MAX_CALLBACK_BYTES for code in codes)

        # A menu reached from a menu replaces it: one tidy message.
        menu_id = await user.tap("l:en", languages.message_id)
        home = await user.edited(1)
        assert home.message_id == menu_id
        assert "What do you need help with?" in (home.text or "")
        assert {"f:verwaltung", "f:wohnen", "sos", "language"} <= set(buttons(home))

        await user.tap("f:wohnen", menu_id)
        housing = await user.edited(2)
        assert "e:wohngeld" in buttons(housing)

        # An answer is a new message, so it stays readable in the chat.
        await user.tap("e:wohngeld", menu_id)
        [_, answer] = await fake.wait_for_messages(CHAT, 2)
        assert (answer.text or "").startswith("<b>Housing benefit (Wohngeld)</b>")
        assert "📍 <b>" in (answer.text or "")
        assert buttons(answer) == ["back", "home", "sos"]

        # "Back" under the answer leaves the answer in place and sends the menu anew.
        await user.tap("back", answer.message_id)
        [_, _, back] = await fake.wait_for_messages(CHAT, 3)
        assert "e:wohngeld" in buttons(back)
        kept = fake.message(CHAT, answer.message_id)
        assert kept is not None and kept["text"] == answer.text
    assert len(fake.calls("answerCallbackQuery")) == 4
    assert len(fake.calls("editMessageText")) == 2


async def test_deep_link_opens_an_entry_in_a_language(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    user = TelegramUser(fake, CHAT, language_code="en")
    async with bot_runner():
        [german] = await user.say("/start de_wohngeld")
        assert (german.text or "").startswith("<b>Wohngeld</b>")
        [field] = await user.say(f"/start@{fake.username} en_wohnen")
        assert "Housing" in (field.text or "")
        assert "e:wohngeld" in buttons(field)
        [harmless] = await user.say("/start <b>not-a-payload</b>")
        assert "f:wohnen" in buttons(harmless)


async def test_arabic_question_gets_the_right_entry_right_to_left(
    bot_runner: BotRunner, fake: FakeTelegram, app: App
) -> None:
    user = TelegramUser(fake, CHAT, language_code="ar")
    lib = app.library.current
    async with bot_runner():
        [home] = await user.say("/start")
        assert_rtl(home)  # the menu is in Arabic, every line right-to-left
        [answer] = await user.say("كيف اقدم علي Wohngeld")
    text = re.sub("[\u200f\u2066\u2069]", "", answer.text or "")  # bidi marks aside
    entry_text = lib.catalog.text(lib.catalog.entries["wohngeld"], "ar")
    assert f"<b>{html.escape(entry_text.title, quote=False)}" in text
    assert "back" in buttons(answer)
    if entry_text.language == "ar":
        assert_rtl(answer)
    else:  # the Arabic text has not landed yet: English, said so in Arabic
        note = lib.i18n.tr("ar", "This text is not yet available in your language.")
        assert html.escape(note, quote=False) in text


async def test_user_html_and_content_ampersands_are_escaped(
    bot_runner: BotRunner, fake: FakeTelegram
) -> None:
    user = TelegramUser(fake, CHAT, language_code="de")
    async with bot_runner():
        # The fake rejects broken markup with 400, so a reply at all means it parsed.
        [reply] = await user.say("<b>fett</b> & <script>alert(1)</script> <a href='x'>")
        assert "<script>" not in (reply.text or "")
        await user.say("/menu")
        await user.tap("f:verwaltung")
        menu = await user.edited(1)
    assert "Verwaltung &amp; Ankommen" in (menu.text or "")


async def test_commands_are_registered_per_language(
    bot_runner: BotRunner, fake: FakeTelegram, app: App
) -> None:
    user = TelegramUser(fake, CHAT)
    async with bot_runner():
        await user.say("/help", expect=2)
    lib = app.library.current
    expected = [c for c in lib.catalog.language_by_code if len(c) == 2]
    assert {"de", "en", "ar", "fa"} <= set(expected)
    for code in expected:
        commands = fake.my_commands(code)
        assert [c["command"] for c in commands] == [name for name, _ in COMMANDS]
        assert commands[1]["description"] == lib.i18n.tr(code, "main menu")
    assert fake.my_commands("de-simple") == []  # not a language Telegram users can have
    assert fake.my_commands()[1]["description"] == "main menu"
