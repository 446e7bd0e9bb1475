"""``wegweiser telegram`` as an operator starts it: clear sentences instead of tracebacks."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.adapters.telegram import DEFAULT_API_URL, TelegramConfig
from bot.config import ConfigError
from tests.conftest import CONTENT, LOCALES, ROOT
from tests.fakes.telegram_api import FakeTelegram

RUN_TIMEOUT = 60


async def wegweiser(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the command without blocking the loop the fake server answers on."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        env={**clean, **env}, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(RUN_TIMEOUT):
        out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def data_env(tmp_path: Path) -> dict[str, str]:
    return {"WEGWEISER_DATA_DIR": str(tmp_path / "data"), "WEGWEISER_CONTENT_DIR": str(CONTENT),
            "WEGWEISER_LOCALES_DIR": str(LOCALES)}  # fmt: skip


async def test_missing_token_is_one_sentence(data_env: dict[str, str]) -> None:
    code, out, err = await wegweiser("telegram", env=data_env)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN is not set" in err


async def test_rejected_token_is_one_sentence(fake: FakeTelegram, data_env: dict[str, str]) -> None:
    env = {**data_env, "TELEGRAM_BOT_TOKEN": "999:WRONG", "TELEGRAM_API_URL": fake.base_url}
    code, out, err = await wegweiser("telegram", env=env)
    assert code == 1
    assert "Traceback" not in out + err
    assert err.count("\n") == 1 and "Telegram rejected the token" in err
    assert "WRONG" not in err  # the token is a secret: never print it
    assert [c.status for c in fake.attempts_for("getMe")] == [401]


def test_configuration_from_the_environment() -> None:
    config = TelegramConfig.from_env({"TELEGRAM_BOT_TOKEN": "123:abc-DEF_4"})
    assert config.api_url == DEFAULT_API_URL and config.webhook is None
    hooked = TelegramConfig.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
            "TELEGRAM_WEBHOOK_PORT": "9000",
        }
    )
    assert hooked.api_url == "http://127.0.0.1:8081/bot"
    assert hooked.webhook is not None and hooked.webhook.path == "/telegram"
    assert hooked.webhook.port == 9000 and len(hooked.webhook.secret) >= 32
    for bad, words in (
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "does not look like"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_API_URL": "127.0.0.1"}, "http(s) URL"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_URL": "http://x.org"}, "https"),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:a",
                "TELEGRAM_WEBHOOK_URL": "https://x.org",
                "TELEGRAM_WEBHOOK_SECRET": "no spaces",
            },
            "letters, digits",
        ),
    ):
        with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
            TelegramConfig.from_env(bad)
