"""``wegweiser matrix`` and ``wegweiser run``: configuration, clear errors, clean stops."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
from pathlib import Path

import pytest

from bot.adapters.matrix_config import MatrixConfig
from bot.cli import main
from bot.config import ConfigError
from bot.library import LibraryHolder
from tests.conftest import CONTENT, LOCALES, ROOT
from tests.fakes.synapse import SynapseServer, free_port

from .conftest import PASSWORD
from .harness import World, library_holder

__all__ = ["library_holder"]

GOOD = {
    "MATRIX_HOMESERVER": "https://matrix.example.org/",
    "MATRIX_USER_ID": "@wegweiser:example.org",
    "MATRIX_PASSWORD": "secret",
}


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"MATRIX_HOMESERVER": ""}, "MATRIX_HOMESERVER is not set"),
        ({"MATRIX_HOMESERVER": "matrix.example.org"}, "MATRIX_HOMESERVER must be an http(s)"),
        ({"MATRIX_USER_ID": ""}, "MATRIX_USER_ID is not set"),
        ({"MATRIX_USER_ID": "wegweiser"}, "MATRIX_USER_ID must be a full Matrix id"),
        ({"MATRIX_PASSWORD": ""}, "MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD"),
        ({"MATRIX_ALLOWED_SERVERS": "example.org, bad/name"}, "'bad/name' is not one"),
    ],
)
def test_bad_settings_are_named_in_one_sentence(changes: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as error:
        MatrixConfig.from_env({**GOOD, **changes})
    assert names in str(error.value)
    assert "\n" not in str(error.value)


def test_settings_and_the_allow_list() -> None:
    config = MatrixConfig.from_env({**GOOD, "MATRIX_ALLOWED_SERVERS": "example.org matrix.org"})
    assert config.homeserver == "https://matrix.example.org"
    assert config.may_invite("@anna:matrix.org") and not config.may_invite("@eve:evil.example")
    assert "secret" not in repr(config)
    assert MatrixConfig.from_env(GOOD).may_invite("@anyone:anywhere.example")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith(("MATRIX_", "TELEGRAM_", "WEGWEISER_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("WEGWEISER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WEGWEISER_CONTENT_DIR", str(CONTENT))
    monkeypatch.setenv("WEGWEISER_LOCALES_DIR", str(LOCALES))
    return monkeypatch


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_nothing_configured(clean_env: pytest.MonkeyPatch, capsys) -> None:
    assert main(["matrix"]) == 1
    assert "MATRIX_HOMESERVER is not set" in one_line_error(capsys)
    assert main(["run"]) == 1
    assert "no chat platform is configured" in one_line_error(capsys)


def test_wrong_password_and_unreachable_server(
    clean_env: pytest.MonkeyPatch, capsys, synapse: SynapseServer
) -> None:
    user = synapse.user_id("nobody_" + secrets.token_hex(4))
    clean_env.setenv("MATRIX_HOMESERVER", synapse.url)
    clean_env.setenv("MATRIX_USER_ID", user)
    clean_env.setenv("MATRIX_PASSWORD", "wrong")
    assert main(["matrix"]) == 1
    assert f"refused the login of {user}" in one_line_error(capsys)

    clean_env.setenv("MATRIX_ACCESS_TOKEN", "syt_not_a_token")
    assert main(["run"]) == 1
    assert "refused MATRIX_ACCESS_TOKEN (M_UNKNOWN_TOKEN" in one_line_error(capsys)

    clean_env.setenv("MATRIX_HOMESERVER", f"http://127.0.0.1:{free_port()}")
    assert main(["matrix"]) == 1
    assert "cannot reach the Matrix homeserver" in one_line_error(capsys)


async def start_cli(command: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop_cli(process: asyncio.subprocess.Process, signum: int) -> tuple[int, str]:
    process.send_signal(signum)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_run_serves_matrix_alone_and_stops_cleanly_on_signals(
    synapse: SynapseServer, tmp_path: Path, library_holder: LibraryHolder
) -> None:
    localpart = "wegweiser_" + secrets.token_hex(4)
    bot_id, _, _ = await synapse.register(localpart, PASSWORD)
    data = tmp_path / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MATRIX_", "TELEGRAM_", "WEGWEISER_"))
    }
    env |= {
        "WEGWEISER_DATA_DIR": str(data),
        "WEGWEISER_CONTENT_DIR": str(CONTENT),
        "WEGWEISER_LOCALES_DIR": str(LOCALES),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot_id,
        "MATRIX_PASSWORD": PASSWORD,
    }
    world = World(synapse, tmp_path, library_holder)
    try:
        process = await start_cli("run", env)
        anna = await world.person(bot_id)  # the bot runs in the child process
        room = await anna.direct_room()
        code, err = await stop_cli(process, signal.SIGTERM)
        assert code == 0, err
        assert "Traceback" not in err
        device = json.loads((data / "matrix" / "session.json").read_text())["device_id"]

        process = await start_cli("matrix", env)
        answer = await anna.ask(room, "!start en")
        assert "What do you need help with?" in answer.body
        code, err = await stop_cli(process, signal.SIGINT)
        assert code == 0, err
        assert "Traceback" not in err
        assert json.loads((data / "matrix" / "session.json").read_text())["device_id"] == device
        assert len(anna.from_bot) == 2
    finally:
        await world.close()
