"""The command line as staff and other tools use it: console, ask --jsonl, content check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONTENT, LOCALES, ROOT


def wegweiser(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120,
    )  # fmt: skip


@pytest.fixture
def data_env(tmp_path: Path) -> dict[str, str]:
    return {"WEGWEISER_DATA_DIR": str(tmp_path / "data"), "WEGWEISER_CONTENT_DIR": str(CONTENT),
            "WEGWEISER_LOCALES_DIR": str(LOCALES)}  # fmt: skip


def test_console_script_shows_the_english_main_menu(data_env: dict[str, str]) -> None:
    result = wegweiser("console", stdin="/start en\n/menu\n", env=data_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "What do you need help with?" in result.stdout
    assert "1. 🏛️ Administration & arrival" in result.stdout
    assert "5. 🤝 Volunteering & leisure" in result.stdout
    assert "Traceback" not in result.stdout
    assert (Path(data_env["WEGWEISER_DATA_DIR"]) / "wegweiser.db").exists()


def test_console_conversation_by_numbers_in_german(data_env: dict[str, str]) -> None:
    result = wegweiser("console", stdin="/start de\n4\n3\n", env=data_env)
    assert result.returncode == 0, result.stderr
    assert "Wohnen" in result.stdout
    assert "Geprüft am" in result.stdout


def test_console_survives_bad_bytes_and_huge_lines(data_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input=b"/start en\n\xff\xfe\x00broken\n" + b"x" * 100_000 + b"\n<b>hi</b>\n",
        capture_output=True, env={**os.environ, **data_env}, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr + proc.stdout
    assert b"too long" in proc.stdout


def test_console_keeps_the_language_across_runs(data_env: dict[str, str]) -> None:
    wegweiser("console", stdin="/start en\n", env=data_env)
    result = wegweiser("console", stdin="/menu\n", env=data_env)
    assert "What do you need help with?" in result.stdout


def test_ask_jsonl_schema(data_env: dict[str, str]) -> None:
    questions = ["Wohngeld beantragen", "", "what is the weather today", "polizei"]
    result = wegweiser("ask", "--jsonl", stdin="\n".join(questions) + "\n", env=data_env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(questions)
    for question, record in zip(questions, records, strict=True):
        assert set(record) == {"question", "language", "entry", "alternatives", "score"}
        assert record["question"] == question
        assert record["language"] is None or isinstance(record["language"], str)
        assert record["entry"] is None or isinstance(record["entry"], str)
        assert isinstance(record["alternatives"], list)
        assert all(isinstance(slug, str) for slug in record["alternatives"])
        assert isinstance(record["score"], int | float)
    assert records[0]["entry"] == "wohngeld"
    assert records[1]["entry"] is None
    assert records[3]["entry"] == "notfall"


def test_ask_single_question(data_env: dict[str, str]) -> None:
    result = wegweiser("ask", "Wohngeld beantragen", env=data_env)
    assert result.returncode == 0
    assert result.stdout.startswith("wohngeld")


def test_content_check_passes_on_shipped_content(data_env: dict[str, str]) -> None:
    result = wegweiser("content", "check", env=data_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK:")


def test_content_check_fails_with_file_and_line(tmp_path: Path, data_env: dict[str, str]) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    shutil.copytree(LOCALES, tmp_path / "locales")
    broken = tmp_path / "content/services/bamf.yaml"
    broken.write_text(broken.read_text() + "phone: [\n")
    env = {**data_env, "WEGWEISER_CONTENT_DIR": str(tmp_path / "content"),
           "WEGWEISER_LOCALES_DIR": str(tmp_path / "locales")}  # fmt: skip
    result = wegweiser("content", "check", env=env)
    assert result.returncode == 1
    assert "content/services/bamf.yaml:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_content_check_fails_on_an_untranslated_ui_string(tmp_path, data_env) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    shutil.copytree(LOCALES, tmp_path / "locales")
    po = tmp_path / "locales/de/LC_MESSAGES/messages.po"
    text = po.read_text()
    po.write_text(text.replace('msgstr "Zurück"', 'msgstr ""', 1))
    env = {**data_env, "WEGWEISER_CONTENT_DIR": str(tmp_path / "content"),
           "WEGWEISER_LOCALES_DIR": str(tmp_path / "locales")}  # fmt: skip
    result = wegweiser("content", "check", env=env)
    assert result.returncode == 1
    assert "locales/de/LC_MESSAGES/messages.po:" in result.stdout
    assert "not translated: 'Back'" in result.stdout


def test_broken_content_at_start_is_one_clear_message(tmp_path: Path, data_env) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    (tmp_path / "content/fields.yaml").write_text("verwaltung: [\n")
    env = {**data_env, "WEGWEISER_CONTENT_DIR": str(tmp_path / "content")}
    result = wegweiser("console", stdin="/start\n", env=env)
    assert result.returncode == 1
    assert "content/fields.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_one_clear_message(data_env: dict[str, str]) -> None:
    result = wegweiser("console", env={**data_env, "WEGWEISER_UNANSWERED_DAYS": "ninety"})
    assert result.returncode == 1
    assert "WEGWEISER_UNANSWERED_DAYS must be a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_unanswered_lists_newest_first(data_env: dict[str, str]) -> None:
    wegweiser("console", stdin="/start en\nxqzv first\nxqzv second\n", env=data_env)
    result = wegweiser("unanswered", env=data_env)
    lines = result.stdout.splitlines()
    assert "xqzv second" in lines[0] and "xqzv first" in lines[1]


def test_locales_template_is_up_to_date() -> None:
    from bot.i18n import read_catalog
    from bot.locales import extract_template

    shipped = {str(m.id) for m in read_catalog(LOCALES / "messages.pot") if m.id}
    current = {str(m.id) for m in extract_template() if m.id}
    assert shipped == current, "run 'wegweiser locales update' and translate the new strings"
