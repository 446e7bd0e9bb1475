"""Throughput and reply latency on Telegram: Wegweiser against a bare python-telegram-bot
echo bot, both talking to the same fake Bot API server in the same run.

Usage:
    python benchmarks/telegram.py                      # 100 users x 10 messages per bot
    python benchmarks/telegram.py --users 200 --messages 20

The fake server (a fresh instance for each bot) and the simulated users run in this
process; each bot runs in its own process, as in production: ``wegweiser telegram``,
pointed at the fake with TELEGRAM_API_URL, with Telegram's 30 messages/s throttle
switched off (TELEGRAM_MAX_MESSAGES_PER_SECOND=0) since the fake has none. Every user
sends "/start en" once (warm-up, not counted), then its messages one after the other,
each as soon as the previous one was answered: free-text questions from
benchmarks/data/questions.jsonl that get exactly one reply, and "/menu".

Figures: messages per second over the measured phase (first message sent to last reply
received); p50/p99 of the time from a message being queued at the fake until the bot's
reply reached it; CPU time per message of the bot's process and of this one. The echo
bot processes updates with the same concurrency as Wegweiser, so the ratio shows what
Wegweiser's own work costs (state in the database, search, rendering, larger replies).
Target: Wegweiser reaches at least 80 % of the echo bot's throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on the path, and this file's name would
# hide the telegram package: look up modules from the project root instead.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

from bot.adapters.telegram import MAX_CONCURRENT_UPDATES, POLL_READ_TIMEOUT  # noqa: E402
from bot.library import Library  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, JSONDict  # noqa: E402

QUESTIONS = ROOT / "benchmarks" / "data" / "questions.jsonl"
READY_TIMEOUT = 60.0  # seconds for a bot process to start polling
REPLY_TIMEOUT = 30.0  # seconds for one reply
STOP_TIMEOUT = 20.0
USER_BASE = 700_000  # chat ids of the simulated users


class BenchFake(FakeTelegram):
    """The fake, telling waiting users the moment a reply to their chat arrives."""

    def __init__(self) -> None:
        # The tests check every reply's HTML; here that check would only take CPU from
        # the bots on the same two cores, more for longer replies.
        super().__init__(check_markup=False)
        self._waiters: dict[str, asyncio.Future[float]] = {}

    def expect_reply(self, chat_id: int) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self._waiters[str(chat_id)] = future
        return future

    def _send_message(self, params: JSONDict) -> JSONDict:
        message = super()._send_message(params)
        waiter = self._waiters.pop(str(params.get("chat_id")), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.monotonic())
        return message


@dataclass
class Result:
    name: str
    latencies: list[float]
    elapsed: float
    cpu: float | None  # seconds of CPU the bot process used in the measured phase
    harness_cpu: float  # … and this process (fake server and simulated users)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def one_reply_questions() -> list[str]:
    """English questions that get exactly one reply for an English-speaking user (an
    answer in another language would add a second message offering to switch)."""
    library = Library.load(ROOT / "content", ROOT / "locales")
    questions = []
    with QUESTIONS.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["language"] != "en" or record["kind"] == "greeting":
                continue
            detected = library.answerer.answer(record["question"], "en").language
            if detected in (None, "en"):
                questions.append(record["question"])
    return questions


async def wait_until_polling(fake: FakeTelegram, process: asyncio.subprocess.Process) -> None:
    """A long poll (getUpdates with a timeout) shows the bot is ready for messages."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if any(c.params.get("timeout") for c in fake.attempts_for("getUpdates")):
            return
        if process.returncode is not None:
            raise SystemExit(f"the bot process ended with exit code {process.returncode}")
        await asyncio.sleep(0.05)
    raise SystemExit("the bot did not start polling in time")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def converse(fake: BenchFake, chat_id: int, texts: Sequence[str]) -> list[float]:
    latencies = []
    for text in texts:
        reply = fake.expect_reply(chat_id)
        sent = time.monotonic()
        fake.push_message(chat_id, text, language_code="en")
        async with asyncio.timeout(REPLY_TIMEOUT):
            latencies.append(await reply - sent)
    return latencies


async def measure(
    name: str, command: list[str], env: dict[str, str], users: int, scripts: list[list[str]]
) -> Result:
    fake = BenchFake()
    await fake.start()
    full_env = {
        **os.environ,
        **env,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(*command, env=full_env, cwd=ROOT)
    try:
        await wait_until_polling(fake, process)
        chats = [USER_BASE + i for i in range(users)]
        await asyncio.gather(*(converse(fake, chat, ["/start en"]) for chat in chats))
        cpu_before = cpu_seconds(process.pid)
        harness_before = time.process_time()
        started = time.monotonic()
        per_user = await asyncio.gather(
            *(converse(fake, chat, scripts[i]) for i, chat in enumerate(chats))
        )
        elapsed = time.monotonic() - started
        cpu_after = cpu_seconds(process.pid)
        harness = time.process_time() - harness_before
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_TIMEOUT):
            await process.wait()
        await fake.stop()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Result(name, [lat for user in per_user for lat in user], elapsed, cpu, harness)


def scripts_for(users: int, messages: int, questions: list[str]) -> list[list[str]]:
    pool = [*questions, "/menu"]
    return [[pool[(u * 7 + i) % len(pool)] for i in range(messages)] for u in range(users)]


async def benchmark(users: int, messages: int) -> None:
    questions = one_reply_questions()
    scripts = scripts_for(users, messages, questions)
    with tempfile.TemporaryDirectory() as data_dir:
        wegweiser_env = {
            "WEGWEISER_DATA_DIR": data_dir,
            "WEGWEISER_CONTENT_DIR": str(ROOT / "content"),
            "WEGWEISER_LOCALES_DIR": str(ROOT / "locales"),
            "TELEGRAM_MAX_MESSAGES_PER_SECOND": "0",  # the fake has no flood limits
        }
        echo = await measure(
            "echo bot (bare PTB)",
            [sys.executable, str(Path(__file__).resolve()), "--echo-bot"],
            {},
            users,
            scripts,
        )
        wegweiser = await measure(
            "Wegweiser", [sys.executable, "-m", "bot", "telegram"], wegweiser_env, users, scripts
        )
    print(f"{users} users x {messages} messages each, {len(questions)} distinct questions")
    print(
        f"{'bot':<22}{'messages':>9}{'msgs/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'bot CPU':>10}{'fake CPU':>10}  (ms per message)"
    )
    for result in (echo, wegweiser):
        count = len(result.latencies)
        cpu = "?" if result.cpu is None else f"{result.cpu * 1000 / count:.2f}"
        print(
            f"{result.name:<22}{count:>9}{result.rate:>9.1f}"
            f"{result.percentile(0.5):>9.1f}{result.percentile(0.99):>9.1f}"
            f"{cpu:>10}{result.harness_cpu * 1000 / count:>10.2f}"
        )
    ratio = wegweiser.rate / echo.rate
    verdict = "met" if ratio >= 0.8 else "NOT met"
    print(f"Wegweiser throughput / echo throughput: {ratio:.0%} (target >= 80 %: {verdict})")
    print(f"mean latency: echo {statistics.mean(echo.latencies) * 1000:.1f} ms, "
          f"Wegweiser {statistics.mean(wegweiser.latencies) * 1000:.1f} ms")  # fmt: skip


# -- the echo bot, run in its own process ---------------------------------------------------


async def echo_bot() -> None:
    """A bare python-telegram-bot echo bot, with Wegweiser's concurrency and poll timeout."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.text:
            await message.reply_text(message.text)

    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"])
        .concurrent_updates(MAX_CONCURRENT_UPDATES)
        .get_updates_read_timeout(POLL_READ_TIMEOUT)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=30)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10, help="measured messages per user")
    parser.add_argument("--echo-bot", action="store_true", help=argparse.SUPPRESS)
    args: Any = parser.parse_args(argv)
    if args.echo_bot:
        asyncio.run(echo_bot())
        return
    asyncio.run(benchmark(args.users, args.messages))


if __name__ == "__main__":
    main()
