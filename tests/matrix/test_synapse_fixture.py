"""The Synapse test homeserver works with matrix-nio, including end-to-end encryption.

These tests double as worked examples for the Matrix adapter.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    KeysQueryResponse,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendError,
    RoomSendResponse,
    SyncResponse,
)

from .conftest import PASSWORD

SYNC_DEADLINE = 10.0


async def sync_until(client: AsyncClient, done: Callable[[], bool]) -> None:
    """Sync (long-polling briefly) until ``done()`` holds."""
    deadline = time.monotonic() + SYNC_DEADLINE
    while not done():
        assert time.monotonic() < deadline, "condition not reached by syncing"
        resp = await client.sync(timeout=500)
        assert isinstance(resp, SyncResponse), resp


def collect_messages(client: AsyncClient, room_id: str) -> list:
    """Register a callback collecting decrypted/plain text messages and megolm failures."""
    seen: list = []

    async def on_event(room, event) -> None:
        if room.room_id == room_id:
            seen.append(event)

    client.add_event_callback(on_event, (RoomMessageText, MegolmEvent))
    return seen


async def test_plain_room_roundtrip(nio_client_factory) -> None:
    alice = await nio_client_factory("alice")
    bob = await nio_client_factory("bob")

    created = await alice.room_create(name="Wegweiser test", invite=[bob.user_id])
    assert isinstance(created, RoomCreateResponse), created
    room_id = created.room_id

    await sync_until(bob, lambda: room_id in bob.invited_rooms)
    joined = await bob.join(room_id)
    assert isinstance(joined, JoinResponse), joined

    await sync_until(
        alice, lambda: room_id in alice.rooms and bob.user_id in alice.rooms[room_id].users
    )
    received = collect_messages(alice, room_id)

    sent = await bob.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "Hallo Wegweiser"}
    )
    assert isinstance(sent, RoomSendResponse), sent

    await sync_until(alice, lambda: any(e.event_id == sent.event_id for e in received))
    event = next(e for e in received if e.event_id == sent.event_id)
    assert isinstance(event, RoomMessageText)
    assert event.sender == bob.user_id
    assert event.body == "Hallo Wegweiser"


async def test_encrypted_direct_room(nio_client_factory) -> None:
    # Both clients: encryption_enabled + store_path, restore_login, keys_upload
    # (done by the factory).
    alice = await nio_client_factory("alice", encrypted=True)
    bob = await nio_client_factory("bob", encrypted=True)
    assert alice.olm is not None and bob.olm is not None

    created = await alice.room_create(
        is_direct=True,
        preset=RoomPreset.trusted_private_chat,
        invite=[bob.user_id],
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    assert isinstance(created, RoomCreateResponse), created
    room_id = created.room_id

    await sync_until(bob, lambda: room_id in bob.invited_rooms)
    assert isinstance(await bob.join(room_id), JoinResponse)
    await sync_until(bob, lambda: room_id in bob.rooms and bob.rooms[room_id].encrypted)

    await sync_until(
        alice, lambda: room_id in alice.rooms and bob.user_id in alice.rooms[room_id].users
    )
    assert alice.rooms[room_id].encrypted

    # Learn bob's device keys. room_send would do it too, but only when the room's
    # member list is not yet "synced"; doing it explicitly is reliable.
    if alice.should_query_keys:
        assert isinstance(await alice.keys_query(), KeysQueryResponse)
    assert bob.device_id in alice.device_store[bob.user_id]

    received = collect_messages(bob, room_id)
    # room_send claims one-time keys, shares the megolm session over olm
    # to-device messages, then sends the m.room.encrypted event.
    sent = await alice.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": "Geheime Nachricht"},
        ignore_unverified_devices=True,
    )
    assert isinstance(sent, RoomSendResponse), sent

    await sync_until(bob, lambda: any(e.event_id == sent.event_id for e in received))
    event = next(e for e in received if e.event_id == sent.event_id)
    assert isinstance(event, RoomMessageText), f"not decrypted: {event}"
    assert event.decrypted
    assert event.body == "Geheime Nachricht"
    assert event.sender == alice.user_id

    # And the other direction, now that bob has an olm session with alice.
    back = collect_messages(alice, room_id)
    if bob.should_query_keys:
        await bob.keys_query()
    reply = await bob.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": "Antwort"},
        ignore_unverified_devices=True,
    )
    assert isinstance(reply, RoomSendResponse), reply
    await sync_until(alice, lambda: any(e.event_id == reply.event_id for e in back))
    event = next(e for e in back if e.event_id == reply.event_id)
    assert isinstance(event, RoomMessageText) and event.decrypted
    assert event.body == "Antwort"


async def test_restart_keeps_users_and_tokens(synapse_factory) -> None:
    server = synapse_factory(server_name="wegweiser.test")
    await server.start()
    port = server.port
    user_id, token, _ = await server.register("restart", PASSWORD, admin=True)
    assert user_id == "@restart:wegweiser.test" == server.user_id("restart")

    await server.restart()

    assert server.port == port
    assert server.url == f"http://127.0.0.1:{port}"
    assert (await server.whoami(token))["user_id"] == user_id

    client = AsyncClient(server.url, user_id)
    try:
        login = await client.login(PASSWORD, device_name="after restart")
        assert isinstance(login, LoginResponse), login
    finally:
        await client.close()

    await server.stop()
    assert not server.running
    with pytest.raises(aiohttp.ClientConnectionError):
        await server.whoami(token)


async def test_tight_message_rate_limit(synapse_factory) -> None:
    server = synapse_factory(message_rate=(0.1, 2))
    await server.start()
    user_id, token, device_id = await server.register("chatty", PASSWORD)
    # nio retries 429 responses forever by default (sleeping retry_after_ms);
    # max_limit_exceeded=0 hands the first M_LIMIT_EXCEEDED back to the caller.
    client = AsyncClient(
        server.url,
        user_id,
        device_id=device_id,
        config=AsyncClientConfig(max_limit_exceeded=0),
    )
    client.restore_login(user_id, device_id, token)
    try:
        created = await client.room_create()
        assert isinstance(created, RoomCreateResponse), created
        results = [
            await client.room_send(
                created.room_id, "m.room.message", {"msgtype": "m.text", "body": str(i)}
            )
            for i in range(4)
        ]
    finally:
        await client.close()
    errors = [r for r in results if isinstance(r, RoomSendError)]
    assert errors, results
    assert errors[0].status_code == "M_LIMIT_EXCEEDED"
    assert errors[0].retry_after_ms is not None
