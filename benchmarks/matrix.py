"""Reply latency through a real Synapse: Wegweiser against a bare nio echo bot.

Both bots run on the same homeserver in the same run; one person (a nio client) writes
to each in turn and measures the time from sending a message to seeing the reply in its
sync. The echo bot is the floor: homeserver, network and nio, nothing else. The ratio of
Wegweiser's latency to the echo bot's is what Wegweiser's own work costs (target ≤ 1.3).

    python benchmarks/matrix.py [--messages 200] [--encrypted]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nio import (  # noqa: E402
    AsyncClient,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageNotice,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bot.adapters.matrix import MatrixConfig, serve  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fakes.synapse import SynapseServer  # noqa: E402

PASSWORD = "benchmark password"
TARGET_RATIO = 1.3
WARM_UP = 10
REPLY_TIMEOUT_S = 30.0
# What people write: questions in several languages, menu numbers and commands.
MESSAGES = (
    "Wohngeld beantragen",
    "1",
    "!menu",
    "Deutschkurs kostenlos",
    "Як подати заяву на Wohngeld?",
    "2",
    "where do I register my address",
    "!help",
    "Jobcenter Termin",
    "3",
)
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run_echo_bot(client: AsyncClient, stop: asyncio.Event) -> None:
    """The simplest useful bot: join invites, send every text back as a notice."""

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id:
            await client.room_send(
                room.room_id,
                "m.room.message",
                {"msgtype": "m.notice", "body": event.body},
                ignore_unverified_devices=True,
            )

    client.add_event_callback(on_invite, (InviteMemberEvent,))
    # Only what arrives after the first sync is echoed.
    first = await client.sync(timeout=0)
    assert isinstance(first, SyncResponse), first
    client.add_event_callback(on_text, (RoomMessageText,))
    sync = asyncio.ensure_future(client.sync_forever(timeout=30_000, since=first.next_batch))
    await stop.wait()
    sync.cancel()


class Person:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.replies: dict[str, list[float]] = {}

        async def on_notice(room: MatrixRoom, event: RoomMessageNotice) -> None:
            if event.sender != client.user_id:
                self.replies.setdefault(room.room_id, []).append(time.perf_counter())

        client.add_event_callback(on_notice, (RoomMessageNotice,))

    async def sync(self, timeout_ms: int) -> None:
        response = await self.client.sync(timeout=timeout_ms)
        assert isinstance(response, SyncResponse), response
        if self.client.should_query_keys:
            await self.client.keys_query()

    async def until(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("no reply")
            await self.sync(30_000)

    async def open_room(self, bot_id: str, encrypted: bool) -> str:
        created = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[bot_id],
            initial_state=[ENCRYPTION_STATE] if encrypted else [],
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        await self.until(
            lambda: room_id in self.client.rooms and bot_id in self.client.rooms[room_id].users
            and not self.client.rooms[room_id].users[bot_id].invited
        )  # fmt: skip
        return room_id

    async def round_trip(self, room_id: str, text: str) -> float:
        """Seconds from sending ``text`` to seeing the first reply to it."""
        before = len(self.replies.get(room_id, []))
        started = time.perf_counter()
        sent = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent
        await self.until(lambda: len(self.replies.get(room_id, [])) > before)
        return self.replies[room_id][before] - started


async def settle(person: Person) -> None:
    await person.sync(0)


async def measure(person: Person, rooms: dict[str, str], count: int) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {name: [] for name in rooms}
    for index in range(count + WARM_UP):
        text = MESSAGES[index % len(MESSAGES)]
        # Interleaved, so both bots meet the same homeserver conditions.
        for name, room_id in rooms.items():
            seconds = await person.round_trip(room_id, text)
            await settle(person)
            if index >= WARM_UP:
                latencies[name].append(seconds)
    return latencies


async def main(count: int, encrypted: bool) -> int:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = SynapseServer(base / "synapse")
        await server.start()
        stop = asyncio.Event()
        tasks: list[asyncio.Task[Any]] = []
        clients: list[AsyncClient] = []
        app: App | None = None
        try:
            bot_id, _, _ = await server.register("wegweiser", PASSWORD)
            settings = Settings.from_env(
                {
                    "WEGWEISER_DATA_DIR": str(base / "data"),
                    "WEGWEISER_CONTENT_DIR": str(ROOT / "content"),
                    "WEGWEISER_LOCALES_DIR": str(ROOT / "locales"),
                }
            )
            app = await App.open(settings)
            config = MatrixConfig(server.url, bot_id, password=PASSWORD)
            tasks.append(asyncio.create_task(serve(app, stop, config=config)))
            echo = await server.nio_client("echo", PASSWORD, base / "echo", encrypted=encrypted)
            clients.append(echo)
            tasks.append(asyncio.create_task(run_echo_bot(echo, stop)))
            person = Person(
                await server.nio_client("person", PASSWORD, base / "person", encrypted=encrypted)
            )
            clients.append(person.client)
            await person.sync(0)

            rooms = {
                "wegweiser": await person.open_room(bot_id, encrypted),
                "echo": await person.open_room(echo.user_id, encrypted),
            }
            await person.until(lambda: bool(person.replies.get(rooms["wegweiser"])))  # greeting
            await settle(person)
            started = time.perf_counter()
            latencies = await measure(person, rooms, count)
            elapsed = time.perf_counter() - started
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for client in clients:
                await client.close()
            if app is not None:
                await app.close()
            await server.stop()

    kind = "encrypted" if encrypted else "unencrypted"
    print(f"Matrix reply latency through Synapse, {kind} direct rooms, {count} messages each")
    print(f"(after {WARM_UP} warm-up messages; {elapsed:.1f} s in all)\n")
    print(f"{'bot':<12}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    stats: dict[str, tuple[float, float]] = {}
    for name, values in latencies.items():
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        stats[name] = (p50, p99)
        print(f"{name:<12}{p50:>10.1f}{p99:>10.1f}{statistics.mean(values) * 1000:>10.1f}")
    ratio50 = stats["wegweiser"][0] / stats["echo"][0]
    ratio99 = stats["wegweiser"][1] / stats["echo"][1]
    print(
        f"\nratio Wegweiser / echo: p50 {ratio50:.2f}, p99 {ratio99:.2f} (target ≤ {TARGET_RATIO})"
    )
    return 0 if ratio50 <= TARGET_RATIO else 1


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages to each bot")
    parser.add_argument("--encrypted", action="store_true", help="in end-to-end encrypted rooms")
    args = parser.parse_args()
    return asyncio.run(main(args.messages, args.encrypted))


if __name__ == "__main__":
    raise SystemExit(cli())
