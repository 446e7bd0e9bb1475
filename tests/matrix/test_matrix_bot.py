"""The Matrix bot against a real Synapse: joining, menus, answers, groups, encryption."""

from __future__ import annotations

import asyncio
import html.parser
import time

from nio import (
    MegolmEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomLeaveResponse,
    RoomMessageNotice,
    RoomPreset,
)

from bot.adapters.matrix_render import HTML_FORMAT
from bot.catalog.model import Catalog
from bot.conversation import clean_text

from .harness import (
    WAIT_S,
    BotRunner,
    Person,
    World,
    admin_get,
    library_holder,
    option_number,
    title,
    world,
)

__all__ = ["library_holder", "world"]

ALLOWED_TAGS = {"p", "br", "ol", "li", "h4", "strong", "em", "a", "div"}
ALLOWED_ATTRIBUTES = {"href", "start", "dir"}
UKRAINIAN_QUESTION = "Як подати заяву на Wohngeld?"


class TagCheck(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def tags_of(markup: str) -> TagCheck:
    check = TagCheck()
    check.feed(markup)
    return check


def catalog(bot: BotRunner) -> Catalog:
    return bot.app.library.current.catalog


async def test_invite_join_greeting_then_numbered_menus(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    room = await anna.direct_room()

    greeting = anna.from_bot[0]
    assert isinstance(greeting, RoomMessageNotice)
    assert greeting.format == HTML_FORMAT
    assert "1. Deutsch" in greeting.body
    assert '<ol start="1">' in greeting.formatted_body
    assert greeting.source["content"]["m.mentions"] == {}

    menu = await anna.ask(room, option_number(greeting.body, "English"))
    assert "What do you need help with?" in menu.body
    housing = catalog(bot).field_name("wohnen", "en")
    field = await anna.ask(room, option_number(menu.body, housing))
    wohngeld = title(bot, "wohngeld", "en")
    assert wohngeld in field.body
    # An option may also be answered with its words instead of its number.
    answer = await anna.ask(room, wohngeld)
    assert answer.body.startswith(wohngeld)
    assert f"<h4>{wohngeld}</h4>" in answer.formatted_body
    assert "<a href=" in answer.formatted_body
    back = await anna.ask(room, option_number(answer.body, "Back"))
    assert wohngeld in back.body
    assert len(anna.from_bot) == 5


async def test_nothing_from_before_the_join_and_leaving_when_alone(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    created = await anna.client.room_create(is_direct=True, preset=RoomPreset.private_chat)
    assert isinstance(created, RoomCreateResponse), created
    room = created.room_id
    await anna.say(room, "Wohngeld")  # before the bot is in the room
    assert isinstance(await anna.client.room_invite(room, bot.user_id), RoomInviteResponse)
    await anna.wait(lambda: len(anna.from_bot) >= 1, "greeting")
    assert "1. Deutsch" in anna.from_bot[0].body  # the greeting, not an answer
    probe = await anna.ask(room, "!menu")
    assert "Wohngeld" not in probe.body.splitlines()[0]
    assert len(anna.from_bot) == 2

    assert isinstance(await anna.client.room_leave(room), RoomLeaveResponse)
    path = f"/_synapse/admin/v1/rooms/{room}/members"
    deadline = time.monotonic() + WAIT_S
    while bot.user_id in (await admin_get(world.server, path))["members"]:
        assert time.monotonic() < deadline, "the bot stayed alone in the room"
        await asyncio.sleep(0.1)


async def test_ukrainian_question_and_deep_link(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    room = await anna.direct_room()
    menu = await anna.ask(room, option_number(anna.from_bot[0].body, "Українська"))
    assert menu.body

    answer = await anna.ask(room, UKRAINIAN_QUESTION)
    # Ukrainian where translated, else the fallback language; either way the Wohngeld entry.
    assert answer.body.startswith(title(bot, "wohngeld", "uk")), answer.body

    linked = await anna.ask(room, "!start ar_wohngeld")
    arabic = title(bot, "wohngeld", "ar")
    assert arabic in clean_text(linked.body)  # without the bidi marks of RTL text
    text = catalog(bot).text(catalog(bot).entries["wohngeld"], "ar")
    if bot.app.library.current.i18n.language(text.language).rtl:
        assert linked.formatted_body.startswith('<div dir="rtl">')


async def test_html_in_user_text_is_escaped(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    room = await anna.direct_room()
    await anna.ask(room, "!start en")
    hostile = '<img src=x onerror="alert(1)"><b>Wohngeld</b> & <script>alert(2)</script>'
    answer = await anna.ask(
        room, hostile, format=HTML_FORMAT, formatted_body=hostile.replace("&", "&amp;")
    )
    assert answer.body.startswith(title(bot, "wohngeld", "en"))
    check = tags_of(answer.formatted_body)
    assert check.tags <= ALLOWED_TAGS
    assert check.attributes <= ALLOWED_ATTRIBUTES
    assert "<script" not in answer.formatted_body and "onerror" not in answer.formatted_body

    unknown = await anna.ask(room, "<i>zzqx</i> qqq &lt; <a href='javascript:x'>x</a>")
    check = tags_of(unknown.formatted_body)
    assert check.tags <= ALLOWED_TAGS and "javascript:" not in unknown.formatted_body


async def test_group_room_only_when_addressed_and_never_to_notices(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot)
    bob = await world.person(bot, "bob")
    created = await anna.client.room_create(name="Beratung", invite=[bob.user_id, bot.user_id])
    assert isinstance(created, RoomCreateResponse), created
    room = created.room_id
    await bob.wait(lambda: room in bob.client.invited_rooms, "invite")
    await bob.client.join(room)
    await anna.wait(lambda: (room, bot.user_id, "join") in anna.memberships, "the bot's join")

    await anna.say(room, "Wohngeld, weiß jemand Bescheid?")  # not for the bot
    await bob.say(room, "!help", msgtype="m.notice")  # another bot's notice
    reply = await anna.ask(room, "!start en")
    assert "What do you need help with?" in reply.body
    assert reply.source["content"]["m.relates_to"]["m.in_reply_to"]["event_id"]

    mention = {"m.mentions": {"user_ids": [bot.user_id]}}
    before = len(anna.from_bot)
    await bob.say(room, f"{bot.user_id}: Wohngeld", **mention)
    await anna.wait(lambda: len(anna.from_bot) > before)
    answer = anna.from_bot[before]
    assert answer.body.startswith(title(bot, "wohngeld", "de"))
    await anna.say(room, "danke!")  # not addressed again
    probe = await anna.ask(room, "!menu")
    assert "What do you need help with?" in probe.body
    # No greeting in a group, nothing for the unaddressed messages or the notice.
    assert len(anna.in_room(room)) == 3


async def test_invites_from_other_homeservers_are_declined(world: World) -> None:
    bot = await world.bot(allowed=frozenset({"example.org"}))
    anna = await world.person(bot)
    created = await anna.client.room_create(is_direct=True, invite=[bot.user_id])
    assert isinstance(created, RoomCreateResponse), created
    await anna.wait(lambda: (created.room_id, bot.user_id, "leave") in anna.memberships, "decline")
    assert (created.room_id, bot.user_id, "join") not in anna.memberships
    assert anna.from_bot == []


async def ask_encrypted(person: Person, room: str, text: str) -> RoomMessageNotice:
    reply = await person.ask(room, text)
    assert isinstance(reply, RoomMessageNotice), f"not decrypted: {reply}"
    assert reply.decrypted
    return reply


async def test_encrypted_direct_room_also_after_a_restart(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot, encrypted=True)
    room = await anna.direct_room(encrypted=True)
    greeting = anna.from_bot[0]
    assert isinstance(greeting, RoomMessageNotice) and greeting.decrypted
    assert anna.client.rooms[room].encrypted

    await ask_encrypted(anna, room, option_number(greeting.body, "Українська"))
    answer = await ask_encrypted(anna, room, UKRAINIAN_QUESTION)
    assert answer.body.startswith(title(bot, "wohngeld", "uk"))
    devices = {d.id for d in anna.client.device_store.active_user_devices(bot.user_id)}

    await bot.stop()
    await bot.start()
    answer = await ask_encrypted(anna, room, UKRAINIAN_QUESTION)
    assert answer.body.startswith(title(bot, "wohngeld", "uk"))
    # The login was restored: the same device, so existing sessions still reach the bot.
    assert {d.id for d in anna.client.device_store.active_user_devices(bot.user_id)} == devices
    assert len(devices) == 1
    assert len(anna.from_bot) == 4


async def test_undecryptable_message_gets_one_notice_asking_to_resend(world: World) -> None:
    bot = await world.bot()
    anna = await world.person(bot, encrypted=True)
    room = await anna.direct_room(encrypted=True)
    await ask_encrypted(anna, room, "!start en")

    # Encrypted with a megolm session the bot never received.
    broken = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
        "sender_key": anna.client.olm.account.identity_keys["curve25519"],
        "session_id": "never-shared-session",
        "device_id": anna.client.device_id,
    }
    await anna.send_raw(room, "m.room.encrypted", broken)
    await anna.send_raw(room, "m.room.encrypted", broken)
    await anna.wait(lambda: len(anna.from_bot) > 2, "notice")
    notice = anna.from_bot[2]
    assert isinstance(notice, RoomMessageNotice) and notice.decrypted
    assert "send it again" in notice.body
    probe = await ask_encrypted(anna, room, "!menu")
    assert "What do you need help with?" in probe.body
    # One notice for two undecryptable messages of the same session; then normal answers.
    assert len(anna.from_bot) == 4
    assert not any(isinstance(e, MegolmEvent) for e in anna.from_bot)
