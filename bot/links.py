"""Links that open the bot on a field or an entry, in a language, for counsellors' flyers.

Telegram: ``https://t.me/<bot>?start=<payload>`` with the core's payload ``<lang>_<slug>``
(``<lang>`` alone opens the main menu). Telegram allows only ``A-Z a-z 0-9 _ -`` and at
most 64 characters in a start payload; slugs and language codes keep to that, and a
payload that would be longer is reported and left out. Matrix has no such link: the
``matrix.to`` link opens a chat with the bot, and the user sends ``!start <payload>``.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.catalog.loader import load_catalog
from bot.catalog.model import Catalog
from bot.config import ConfigError, Settings

MAX_PAYLOAD_CHARS = 64  # Telegram's limit for a start parameter
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]+$")
MATRIX_USER_RE = re.compile(r"^@[a-z0-9._=/+-]+:[A-Za-z0-9.:\[\]-]+$")
MATRIX_START = "!start"
QR_SCALE = 10  # pixels per module: about 4 cm at 300 dpi for a short link
QR_BORDER = 4  # the quiet zone scanners need, in modules


@dataclass(frozen=True)
class Target:
    """Something a link can open: a language's main menu, a field or an entry."""

    language: str
    kind: str  # "language", "field" or "entry"
    slug: str  # "" for a language's main menu
    title: str

    @property
    def payload(self) -> str:
        return f"{self.language}_{self.slug}" if self.slug else self.language

    @property
    def file_stem(self) -> str:
        return self.payload


@dataclass(frozen=True)
class Link:
    target: Target
    url: str
    message: str = ""  # what the user sends after opening the link (Matrix)


def targets(catalog: Catalog) -> Iterator[Target]:
    """Every language's main menu, every field and every entry, in every language."""
    for lang in catalog.languages:
        code = lang.code
        yield Target(code, "language", "", lang.name)
        for field in catalog.fields:
            name = f"{field.icon} {catalog.field_name(field.id, code)}".strip()
            yield Target(code, "field", field.id, name)
            for entry in catalog.entries_in(field.id):
                yield Target(code, "entry", entry.slug, catalog.text(entry, code).title)
        for entry in catalog.entries.values():
            if entry.field is None:
                yield Target(code, "entry", entry.slug, catalog.text(entry, code).title)


def payload_problem(payload: str) -> str | None:
    if len(payload) > MAX_PAYLOAD_CHARS:
        return (
            f"link payload '{payload}' is longer than {MAX_PAYLOAD_CHARS} characters; "
            "shorten the slug in content/ to make a link for it"
        )
    if not PAYLOAD_RE.match(payload):
        return f"link payload '{payload}' has characters Telegram does not allow in links"
    return None


def telegram_links(catalog: Catalog, username: str) -> tuple[list[Link], list[str]]:
    """Deep links for every target, and the problems of the ones left out."""
    links, problems = [], []
    for target in targets(catalog):
        problem = payload_problem(target.payload)
        if problem:
            problems.append(problem)
            continue
        links.append(Link(target, f"https://t.me/{username}?start={target.payload}"))
    return links, problems


def matrix_links(catalog: Catalog, user_id: str) -> list[Link]:
    url = f"https://matrix.to/#/{user_id}"
    return [Link(t, url, f"{MATRIX_START} {t.payload}") for t in targets(catalog)]


def matrix_user_id(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    user_id = env.get("MATRIX_USER_ID", "").strip()
    if not user_id:
        raise ConfigError(
            "MATRIX_USER_ID is not set; give the bot's Matrix ID, e.g. '@wegweiser:example.org'"
        )
    if not MATRIX_USER_RE.match(user_id):
        raise ConfigError(
            f"MATRIX_USER_ID must be a Matrix ID such as '@wegweiser:example.org', not '{user_id}'"
        )
    return user_id


# -- output ------------------------------------------------------------------------------


def write_text(links: Sequence[Link], out: TextIO) -> None:
    """One line per link, grouped by language: link, message to send (Matrix), title."""
    width = max((len(link.url) for link in links), default=0)
    message_width = max((len(link.message) for link in links), default=0)
    language = None
    for link in links:
        target = link.target
        if target.language != language:
            if language is not None:
                out.write("\n")
            language = target.language
        columns = [target.language.ljust(10), link.url.ljust(width)]
        if message_width:
            columns.append(link.message.ljust(message_width))
        columns.append(target.title)
        out.write("  ".join(columns).rstrip() + "\n")


def write_csv(links: Sequence[Link], out: TextIO) -> None:
    with_message = any(link.message for link in links)
    writer = csv.writer(out, lineterminator="\n")
    header = ["language", "kind", "slug", "title", "link"]
    writer.writerow([*header, "message"] if with_message else header)
    for link in links:
        t = link.target
        row = [t.language, t.kind, t.slug, t.title, link.url]
        writer.writerow([*row, link.message] if with_message else row)


def write_qr(links: Sequence[Link], directory: Path) -> list[Path]:
    """One PNG per link, named ``<lang>_<slug>.png`` (``<lang>.png`` for the main menu)."""
    import segno

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the folder {directory} for QR codes ({exc.strerror})"
        ) from None
    written = []
    for link in links:
        path = directory / f"{link.target.file_stem}.png"
        segno.make(link.url, error="m").save(path, scale=QR_SCALE, border=QR_BORDER)
        written.append(path)
    return written


# -- the command -------------------------------------------------------------------------


async def telegram_username(env: Mapping[str, str] | None = None) -> str:
    """TELEGRAM_BOT_USERNAME, else the name Telegram reports for TELEGRAM_BOT_TOKEN."""
    from bot.adapters.telegram import TelegramConfig, fetch_username

    env = os.environ if env is None else env
    if (
        not env.get("TELEGRAM_BOT_USERNAME", "").strip()
        and not env.get("TELEGRAM_BOT_TOKEN", "").strip()
    ):
        raise ConfigError(
            "set TELEGRAM_BOT_USERNAME to the bot's user name (or TELEGRAM_BOT_TOKEN, "
            "to ask Telegram for it)"
        )
    username = env.get("TELEGRAM_BOT_USERNAME", "").strip().lstrip("@")
    if username:
        if not re.fullmatch(r"[A-Za-z0-9_]{4,32}", username):
            raise ConfigError(
                f"TELEGRAM_BOT_USERNAME must be the bot's user name such as "
                f"'wegweiser_bot', not '{username}'"
            )
        return username
    return await fetch_username(TelegramConfig.from_env(env))


def run_links(
    catalog: Catalog,
    platform: str,
    fmt: str,
    qr_dir: Path | None,
    out: TextIO,
    err: TextIO,
    *,
    telegram_bot: str | None = None,
) -> int:
    """``wegweiser links``: print the links; exit code 1 if some had to be left out."""
    problems: list[str] = []
    if platform == "matrix":
        if qr_dir is not None:
            raise ConfigError(
                "--qr works only with Telegram links: a Matrix link cannot carry the entry"
            )
        links = matrix_links(catalog, matrix_user_id())
    else:
        assert telegram_bot is not None
        links, problems = telegram_links(catalog, telegram_bot)
    (write_csv if fmt == "csv" else write_text)(links, out)
    if qr_dir is not None:
        written = write_qr(links, qr_dir)
        err.write(f"{len(written)} QR code(s) written to {qr_dir}\n")
    for problem in problems:
        err.write(f"warning: {problem}\n")
    return 1 if problems else 0


def links_command(settings: Settings, platform: str, fmt: str, qr: str | None) -> int:
    """Entry point of ``wegweiser links``."""
    catalog = load_catalog(settings.content_dir)
    username = None if platform == "matrix" else asyncio.run(telegram_username())
    qr_dir = Path(qr) if qr else None
    try:
        return run_links(
            catalog, platform, fmt, qr_dir, sys.stdout, sys.stderr, telegram_bot=username
        )
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
