"""Conversation flows through the platform-neutral engine, without any network."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import Conversation, Incoming, clean_text
from bot.replies import EntryAnswer, Menu, Text
from bot.store import Store
from tests.conftest import Chat


async def test_new_user_without_hint_is_asked_for_the_language(chat: Chat) -> None:
    [menu] = await chat.send("/start")
    assert isinstance(menu, Menu)
    codes = [o.code for o in menu.options]
    assert len(codes) == 12 and codes[:3] == ["l:de", "l:de-simple", "l:en"]
    assert [o.label for o in menu.options][:3] == ["Deutsch", "Einfaches Deutsch", "English"]
    assert "Bitte wählen Sie Ihre Sprache." in menu.text
    assert "Please choose your language." in menu.text


async def test_german_flow_start_language_field_entry_back_home(chat: Chat) -> None:
    await chat.send("/start")
    [home] = await chat.tap("l:de")
    assert isinstance(home, Menu) and "Willkommen" in home.text
    assert [o.code for o in home.options][:5] == [
        "f:verwaltung", "f:sprache", "f:arbeit", "f:wohnen", "f:ehrenamt"
    ]  # fmt: skip
    assert "🆘 Notfall" in [o.label for o in home.options]
    [field] = await chat.tap("f:wohnen")
    assert isinstance(field, Menu) and "Wohnen" in field.text
    assert "e:wohngeld" in [o.code for o in field.options]
    [answer] = await chat.tap("e:wohngeld")
    assert isinstance(answer, EntryAnswer)
    assert answer.slug == "wohngeld" and answer.language == "de"
    assert answer.cards and all(card.name for card in answer.cards)
    assert any(note.startswith("Geprüft am") for note in answer.notes)
    [back] = await chat.tap("back")
    assert isinstance(back, Menu) and back.text == field.text
    [home_again] = await chat.tap("home")
    assert isinstance(home_again, Menu) and home_again.options == home.options


async def test_english_flow_by_numbers_as_on_the_console(chat: Chat) -> None:
    text = await chat.say("/start en")
    assert "Welcome to Wegweiser" in text and "1. 🏛️ Administration & arrival" in text
    text = await chat.say("4")  # Housing
    assert "Housing" in text
    assert "1." in text
    text = await chat.say("wohngeld")  # answering a menu by the words of an option
    assert "Checked on" in text
    assert "Machine translation, not yet checked by a person." in text


async def test_deep_links(chat: Chat, library) -> None:
    [answer] = await chat.send("/start en_wohngeld")
    assert isinstance(answer, EntryAnswer) and answer.slug == "wohngeld"
    assert answer.language == "en"
    [answer] = await chat.send("/start einbuergerung")
    assert isinstance(answer, EntryAnswer) and answer.slug == "einbuergerung"
    assert answer.language == "en"  # the language chosen before is kept
    [menu] = await chat.send("/start de_sprache")
    assert isinstance(menu, Menu) and menu.text.endswith("Sprache")


@pytest.mark.parametrize(
    "payload",
    ["xx_wohngeld", "de_nothing", "../../etc/passwd", "de_", "_wohngeld", "a" * 300,
     "<b>x</b>", "de wohngeld", "de_wohngeld_extra", "%00", "ar_"],
)  # fmt: skip
async def test_malformed_deep_links_are_ignored_safely(conversation: Conversation, payload: str):
    chat = Chat(conversation, hint="en")
    [reply] = await chat.send(f"/start {payload}")
    assert isinstance(reply, Menu)
    assert "Welcome" in reply.text


async def test_language_hint_is_a_first_guess_and_the_choice_wins(conversation: Conversation):
    chat = Chat(conversation, hint="en-GB")
    [home] = await chat.send("/start")
    assert home.language == "en" and "Welcome" in home.text
    await chat.tap("l:de")
    [home] = await chat.send("/menu")
    assert home.language == "de"


async def test_help_privacy_and_unknown_command(chat: Chat) -> None:
    await chat.send("/start en")
    help_text = await chat.say("/help")
    assert "/forget" in help_text and "/language" in help_text
    privacy = await chat.say("/privacy")
    assert "90 days" in privacy and "/forget" in privacy
    unknown = await chat.say("/frobnicate")
    assert "I don't know that command." in unknown


async def test_forget_deletes_everything(conversation: Conversation, store: Store) -> None:
    chat = Chat(conversation, user_id="4711")
    await chat.send("/start en")
    assert await store.count_users() == 1
    text = await chat.say("/forget")
    assert "deleted" in text
    assert await store.count_users() == 0
    state = await store.load("test", "4711")
    assert not state.known and state.language is None


async def test_user_ids_are_never_stored_in_clear(
    conversation: Conversation, store: Store, tmp_path
):
    chat = Chat(conversation, user_id="secret-user-123456789")
    await chat.send("/start de")
    await store.flush()
    assert await store.count_users() == 1
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))  # with the WAL file
    assert b"secret-user-123456789" not in raw
    assert store.user_key("test", "secret-user-123456789") != store.user_key(
        "other", "secret-user-123456789"
    )


async def test_free_text_question_finds_an_entry(chat: Chat) -> None:
    await chat.send("/start de")
    replies = await chat.send("Wohngeld beantragen")
    assert isinstance(replies[0], EntryAnswer) and replies[0].slug == "wohngeld"


async def test_an_answer_in_another_language_keeps_the_users_buttons(
    conversation: Conversation,
) -> None:
    question = "How do I apply for housing benefit?"
    german = Chat(conversation, "u-de")
    await german.send("/start de")
    english = Chat(conversation, "u-en")
    await english.send("/start en")
    for chat, home in ((german, "Hauptmenü"), (english, "Main menu"), (german, "Hauptmenü")):
        answer = (await chat.send(question))[0]
        assert isinstance(answer, EntryAnswer) and answer.slug == "wohngeld"
        assert answer.language == "en"
        assert any(home in o.label for o in answer.options)


async def test_unanswerable_question_points_to_counselling_and_is_kept(chat: Chat, store: Store):
    await chat.send("/start en")
    [reply] = await chat.send("xqzv wlkj")
    assert isinstance(reply, Menu)
    assert "migration counselling" in reply.text
    assert "e:migrationsberatung" in [o.code for o in reply.options]
    [kept] = await store.list_unanswered()
    assert kept.question == "xqzv wlkj" and kept.language == "en"


async def test_unanswered_not_kept_when_switched_off(holder, store: Store) -> None:
    chat = Chat(Conversation(holder, store, keep_unanswered=False))
    await chat.send("/start en")
    await chat.send("xqzv wlkj")
    assert await store.list_unanswered() == []
    assert "not stored" in await chat.say("/privacy")


async def test_stale_option_code_after_a_content_change(chat: Chat) -> None:
    await chat.send("/start en")
    [reply] = await chat.tap("e:no-longer-here")
    assert isinstance(reply, Menu) and "no longer available" in reply.text


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01\x02", "\u202e\u202d\u2066", "a" * 100_000, "<script>alert(1)</script>",
     "**bold** _x_ [link](http://evil)", "/", "/start " + "x" * 5000, "9999", "0", "-1"],
)  # fmt: skip
async def test_bad_input_gets_a_friendly_reply(chat: Chat, store: Store, text: str) -> None:
    await chat.send("/start en")
    replies = await chat.send(text)
    assert replies, "every message gets an answer"
    assert all(isinstance(r, Text | Menu | EntryAnswer) for r in replies)
    state = await store.load("test", chat.user_id)
    assert state.language == "en"  # nothing stored is lost


def test_clean_text_strips_controls_and_bidi_overrides_but_keeps_zwnj() -> None:
    assert clean_text("a\u202eb\x00c\u2066d") == "abcd"
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"
    assert clean_text("  line1\nline2 ") == "line1\nline2"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
async def test_arbitrary_text_never_raises(conversation: Conversation, text: str) -> None:
    replies = await conversation.handle(Incoming("prop", "p1", text=text, language_hint="de"))
    assert replies


async def test_menu_numbers_in_arabic_and_persian_digits(chat: Chat) -> None:
    await chat.send("/start ar")
    [field] = await chat.send("٤")  # Arabic-Indic 4: the fourth field, housing
    assert isinstance(field, Menu) and field.options[0].code.startswith("e:")
    assert "e:wohngeld" in [o.code for o in field.options]
    await chat.send("/start fa")
    [field] = await chat.send("۲")  # Persian 2: the second field
    assert isinstance(field, Menu) and "e:integrationskurs" in [o.code for o in field.options]
