"""Replies as Telegram HTML messages with inline keyboards.

Every piece of text inserted into the markup is escaped here, after right-to-left
replies had their left-to-right pieces isolated (``bot.bidi``), so neither user text
nor content can break the markup or flip a phone number. A reply is built from blocks
(title, paragraphs, one per service card, notes); messages are packed from whole
blocks, falling back to whole lines, and never cut inside a tag, so each stays below
Telegram's 4096 characters.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.bidi import RLM, isolate_ltr
from bot.replies import (
    NAV_CODES,
    EntryAnswer,
    Option,
    Reply,
    ServiceCard,
)

log = logging.getLogger(__name__)

# Telegram counts a message's length after entity parsing, in UTF-16 code units.
MAX_MESSAGE_CHARS: int = MessageLimit.MAX_TEXT_LENGTH  # 4096
MAX_CALLBACK_BYTES: int = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64
# Short buttons (navigation, languages) share a row; topics and entries get one each.
SHORT_BUTTONS_PER_ROW = 2
_TAG = re.compile(r"<[^>]*>")
BLOCK_SEPARATOR = "\n\n"
KEYBOARD_CACHE_SIZE = 1024  # distinct menus kept ready: languages x menus, with room
RENDER_CACHE_SIZE = 1024  # entry answers kept rendered (the core makes each once per content)


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: HTML text and the buttons under it."""

    html: str
    options: tuple[Option, ...] = ()

    @property
    def keyboard(self) -> InlineKeyboardMarkup | None:
        return keyboard(self.options)


# -- small HTML helpers ------------------------------------------------------------------


class _Markup:
    """Escaping (and, for right-to-left replies, bidi isolation) of inserted text."""

    def __init__(self, rtl: bool, limit: int = MAX_MESSAGE_CHARS) -> None:
        self.rtl = rtl
        self.limit = limit

    def text(self, plain: str) -> str:
        return html.escape(isolate_ltr(plain) if self.rtl else plain, quote=False)

    def bold(self, plain: str) -> str:
        return f"<b>{self.text(plain)}</b>"

    def italic(self, plain: str) -> str:
        return f"<i>{self.text(plain)}</i>"

    def link(self, url: str, label: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{self.text(label)}</a>'

    def text_lines(self, plain: str) -> list[str]:
        """Each line of a plain text, escaped; a line too long for one message (rare:
        a paragraph of thousands of characters) is cut at spaces into shorter lines."""
        return [piece for line in plain.split("\n") for piece in self._fitting(line)]

    def _fitting(self, line: str) -> list[str]:
        rendered = self.text(line)
        if visible_length(rendered) + 1 <= self.limit or len(line) <= 1:  # + 1: the RLM
            return [rendered]
        halves = _cut_plain(line, (len(line) + 1) // 2)
        return [piece for half in halves for piece in self._fitting(half)]

    def lines(self, rendered: Iterable[str]) -> tuple[str, ...]:
        """Start each non-empty line with a right-to-left mark when the reply is RTL."""
        if not self.rtl:
            return tuple(rendered)
        return tuple(RLM + line if line.strip() else line for line in rendered)


def visible_length(markup: str) -> int:
    """The length Telegram counts: tags removed, entities resolved, in UTF-16 units."""
    plain = html.unescape(_TAG.sub("", markup))
    return len(plain.encode("utf-16-le")) // 2


def _cut_plain(line: str, limit: int) -> Iterator[str]:
    """Cut one plain-text line into pieces of at most ``limit``, preferably at spaces."""
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        if cut <= 0:
            cut = limit
        yield line[:cut].rstrip()
        line = line[cut:].lstrip()
    yield line


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs of a plain text, without empty ones."""
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


# -- cards -------------------------------------------------------------------------------


def display_phone(card: ServiceCard) -> str:
    """The number in international form where possible: Telegram apps make +49 … tappable.

    Telegram's HTML has no ``tel:`` links; apps detect phone numbers in the text instead,
    and they do so reliably for numbers starting with a country code.
    """
    phone = card.phone or ""
    if (
        phone.startswith("0")
        and not phone.startswith("00")
        and (card.tel_uri or "").startswith("tel:+49")
    ):
        return "+49 " + phone[1:]
    return phone


def _host(url: str) -> str:
    host = urlsplit(url).netloc
    return host or url


def card_lines(card: ServiceCard, m: _Markup) -> list[str]:
    labels = card.labels
    lines = ["📍 " + m.bold(card.name)]
    if card.description:
        lines += m.text_lines(card.description)
    if card.address:
        address = "🏠 " + m.text(card.address)
        if card.map_url:
            address += " · " + m.link(card.map_url, "🗺️ " + labels.get("map", "Map"))
        lines.append(address)
    if card.phone:
        lines.append("📞 " + m.text(f"{labels.get('phone', 'Phone')}: {display_phone(card)}"))
    if card.email:
        # Plain text: Telegram turns e-mail addresses into links by itself.
        lines.append("✉️ " + m.text(f"{labels.get('email', 'E-mail')}: {card.email}"))
    if card.hours or card.hours_note:
        hours = "; ".join([*card.hours, *([card.hours_note] if card.hours_note else [])])
        lines.append("🕒 " + m.text(f"{labels.get('hours', 'Opening hours')}: {hours}"))
    if card.website:
        label = labels.get("website", "Website")
        lines.append("🌐 " + m.text(f"{label}: ") + m.link(card.website, _host(card.website)))
    if card.booking:
        lines.append("📅 " + m.link(card.booking, labels.get("booking", "Book an appointment")))
    return lines


# -- replies -----------------------------------------------------------------------------

Block = tuple[str, ...]  # rendered lines, each with balanced tags


def _text_blocks(text: str, m: _Markup) -> list[Block]:
    return [m.lines(m.text_lines(p)) for p in paragraphs(text)]


def reply_blocks(reply: Reply, limit: int = MAX_MESSAGE_CHARS) -> list[Block]:
    """The reply as blocks of rendered lines; messages are split only between these."""
    m = _Markup(reply.rtl, limit)
    if isinstance(reply, EntryAnswer):
        title = ("🆘 " if reply.emergency else "") + m.bold(reply.title)
        blocks: list[Block] = [m.lines([title])]
        blocks += _text_blocks(reply.body, m)
        blocks += [m.lines(card_lines(card, m)) for card in reply.cards]
        if reply.notes:
            blocks.append(m.lines(["ℹ️ " + m.italic(" ".join(reply.notes))]))
        return blocks
    return _text_blocks(getattr(reply, "text", ""), m)


def _hard_cut(line: str, limit: int) -> list[str]:
    """Last resort for a line too long for one message: drop its markup and cut the text."""
    plain = html.unescape(_TAG.sub("", line))
    pieces = []
    while plain:
        piece = plain[:limit]
        while visible_length(html.escape(piece, quote=False)) > limit:
            piece = piece[: len(piece) * 9 // 10]
        pieces.append(html.escape(piece, quote=False))
        plain = plain[len(piece) :]
    return pieces


def pack(blocks: Sequence[Block], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Join blocks into as few messages as possible, each at most ``limit`` long.

    Messages break between blocks; a block longer than a message breaks between its
    lines. Text lines fit a message by construction (``_Markup.text_lines``), so a tag
    is never cut.
    """
    messages: list[str] = []
    current = ""
    current_length = 0  # visible; pieces are whole tags and entities, so lengths add up

    def add(piece: str, length: int, separator: str) -> None:
        nonlocal current, current_length
        if current and current_length + len(separator) + length <= limit:
            current += separator + piece
            current_length += len(separator) + length
            return
        if current:
            messages.append(current)
        current, current_length = piece, length

    for block in blocks:
        text = "\n".join(block)
        length = visible_length(text)
        if length <= limit:
            add(text, length, BLOCK_SEPARATOR)
            continue
        first = True
        for line in block:
            length = visible_length(line)
            pieces = [line] if length <= limit else _hard_cut(line, limit)
            if len(pieces) > 1:
                log.error("a line of %d characters had to be cut", length)
            for piece in pieces:
                add(piece, visible_length(piece), BLOCK_SEPARATOR if first else "\n")
                first = False
    if current:
        messages.append(current)
    return messages


# The core makes an entry's answer once per content version and hands out the same object
# again; it is rendered once too. Keyed by identity, holding the reply so its id stays its own.
_rendered: OrderedDict[int, tuple[Reply, list[Outgoing]]] = OrderedDict()


def render(reply: Reply, limit: int = MAX_MESSAGE_CHARS) -> list[Outgoing]:
    """One reply as one or more messages; its buttons go under the last one."""
    if not isinstance(reply, EntryAnswer) or limit != MAX_MESSAGE_CHARS:
        return _render(reply, limit)
    kept = _rendered.get(id(reply))
    if kept is not None and kept[0] is reply:
        _rendered.move_to_end(id(reply))
        return list(kept[1])
    messages = _render(reply, limit)
    _rendered[id(reply)] = (reply, messages)
    if len(_rendered) > RENDER_CACHE_SIZE:
        _rendered.popitem(last=False)
    return list(messages)


def _render(reply: Reply, limit: int) -> list[Outgoing]:
    options: tuple[Option, ...] = getattr(reply, "options", ())
    texts = pack(reply_blocks(reply, limit), limit) or ["…"]
    return [Outgoing(text, options if i == len(texts) - 1 else ()) for i, text in enumerate(texts)]


def render_turn(replies: Sequence[Reply], limit: int = MAX_MESSAGE_CHARS) -> list[Outgoing]:
    return [message for reply in replies for message in render(reply, limit)]


# -- keyboards ---------------------------------------------------------------------------


def fits_callback(code: str) -> bool:
    return 0 < len(code.encode("utf-8")) <= MAX_CALLBACK_BYTES


def _is_short(option: Option) -> bool:
    return option.code in NAV_CODES or option.code.startswith("l:")


def button_rows(options: Sequence[Option]) -> list[list[Option]]:
    """Topics and entries one per row (their labels are long); short buttons in pairs."""
    rows: list[list[Option]] = []
    for option in options:
        if not fits_callback(option.code):
            # Codes are short by design; a longer one means a slug nobody can use as a button.
            log.error("option code %r is longer than %d bytes; button left out", option.code,
                      MAX_CALLBACK_BYTES)  # fmt: skip
            continue
        last = rows[-1] if rows else None
        if (
            last is not None
            and _is_short(option)
            and all(_is_short(o) for o in last)
            and len(last) < SHORT_BUTTONS_PER_ROW
        ):
            last.append(option)
        else:
            rows.append([option])
    return rows


@functools.lru_cache(maxsize=KEYBOARD_CACHE_SIZE)
def keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
    """The inline keyboard for ``options``; kept, since the same menus come again and
    again and PTB's markup objects are immutable."""
    rows = button_rows(options)
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(o.label, callback_data=o.code) for o in row] for row in rows]
    )
