"""``wegweiser links``: deep links for counsellors, as text, CSV and QR codes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import segno

from bot.cli import main
from bot.library import Library
from bot.links import (
    MAX_PAYLOAD_CHARS,
    QR_BORDER,
    QR_SCALE,
    Target,
    payload_problem,
    targets,
    telegram_username,
)
from tests.conftest import CONTENT, LOCALES
from tests.fakes.telegram_api import FakeTelegram

BOT = "wegweiser_test_bot"


@pytest.fixture
def links_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "MATRIX_USER_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
    monkeypatch.setenv("WEGWEISER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WEGWEISER_CONTENT_DIR", str(CONTENT))
    monkeypatch.setenv("WEGWEISER_LOCALES_DIR", str(LOCALES))


def expected_count(library: Library) -> int:
    catalog = library.catalog
    return len(catalog.languages) * (1 + len(catalog.fields) + len(catalog.entries))


def test_csv_has_every_field_and_entry_in_every_language(
    links_env: None, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["links", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == expected_count(library)
    catalog = library.catalog
    wanted = {(lang.code, slug) for lang in catalog.languages for slug in catalog.entries}
    wanted |= {(lang.code, f.id) for lang in catalog.languages for f in catalog.fields}
    assert wanted <= {(r["language"], r["slug"]) for r in rows}
    for row in rows:
        payload = row["link"].removeprefix(f"https://t.me/{BOT}?start=")
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload), row
        assert payload == (f"{row['language']}_{row['slug']}" if row["slug"] else row["language"])
    [wohngeld] = [r for r in rows if r["language"] == "de" and r["slug"] == "wohngeld"]
    assert wohngeld["title"] == "Wohngeld" and wohngeld["kind"] == "entry"


def test_text_and_qr_codes(
    links_env: None, library: Library, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    qr_dir = tmp_path / "flyer"
    assert main(["links", "--qr", str(qr_dir)]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.strip()]
    assert len(lines) == expected_count(library)
    assert any(f"https://t.me/{BOT}?start=ar_wohngeld" in line for line in lines)
    files = sorted(qr_dir.glob("*.png"))
    assert len(files) == expected_count(library)
    url = f"https://t.me/{BOT}?start=ar_wohngeld"
    again = io.BytesIO()
    segno.make(url, error="m").save(again, kind="png", scale=QR_SCALE, border=QR_BORDER)
    assert (qr_dir / "ar_wohngeld.png").read_bytes() == again.getvalue()
    assert (qr_dir / "de.png").exists()


def test_matrix_links(
    links_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MATRIX_USER_ID", "@wegweiser:example.org")
    assert main(["links", "--platform", "matrix", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    [row] = [r for r in rows if r["language"] == "fa" and r["slug"] == "wohngeld"]
    assert row["link"] == "https://matrix.to/#/@wegweiser:example.org"
    assert row["message"] == "!start fa_wohngeld"
    assert main(["links", "--platform", "matrix", "--qr", "x"]) == 1
    assert "only with Telegram" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("unset", "words"),
    [("MATRIX_USER_ID", "MATRIX_USER_ID is not set"), ("TELEGRAM_BOT_USERNAME", "set TELEGRAM")],
)
def test_missing_names_are_one_sentence(
    links_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unset: str,
    words: str,
) -> None:
    monkeypatch.delenv(unset, raising=False)
    platform = "matrix" if unset.startswith("MATRIX") else "telegram"
    assert main(["links", "--platform", platform]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


async def test_bot_name_from_get_me(fake: FakeTelegram) -> None:
    env = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.base_url}
    assert await telegram_username(env) == fake.username
    assert await telegram_username({**env, "TELEGRAM_BOT_USERNAME": "@other_bot"}) == "other_bot"


def test_payloads_telegram_would_refuse_are_reported(library: Library) -> None:
    long_slug = "a" * MAX_PAYLOAD_CHARS
    problem = payload_problem(Target("de", "entry", long_slug, "x").payload)
    assert problem is not None and "longer than 64" in problem
    assert all(payload_problem(t.payload) is None for t in targets(library.catalog))
