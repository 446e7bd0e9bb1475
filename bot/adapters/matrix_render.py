"""Replies as Matrix message content: an ``m.notice`` with a plain ``body`` and HTML.

The plain body is exactly what the console shows (options numbered across the turn, so
the user answers with a number or the option's words). The HTML ``formatted_body``
escapes every inserted text; right-to-left replies get bidi isolation applied to the
plain text before escaping, and ``dir="rtl"``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from bot.adapters.plain import render_turn
from bot.bidi import RLM, isolate_ltr, rtl_lines
from bot.replies import EntryAnswer, Option, Reply, ServiceCard

HTML_FORMAT = "org.matrix.custom.html"
NOTICE = "m.notice"
# A Matrix event may be 65,536 bytes in all; encryption makes the content about a third
# larger, so one message's content stays well below that.
MAX_CONTENT_BYTES = 30_000
TRUNCATION_MARK = "\n…"
SAFE_SCHEMES = ("https://", "http://", "mailto:", "tel:")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")

Content = dict[str, Any]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _href(url: str | None) -> str | None:
    if url and url.lower().startswith(SAFE_SCHEMES):
        return _esc(url)
    return None


def _link(url: str | None, shown: str, rtl: bool) -> str:
    """``shown`` as a link to ``url`` if that is a safe address, else as plain text."""
    text = _esc(isolate_ltr(shown) if rtl else shown)
    href = _href(url)
    return f'<a href="{href}">{text}</a>' if href else text


def inline(text: str, rtl: bool) -> str:
    """One piece of plain text as HTML: escaped, web addresses linked, lines kept."""
    pieces: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        before = text[last : match.start()]
        pieces.append(_esc(isolate_ltr(before) if rtl else before))
        pieces.append(_link(match.group(0), match.group(0), rtl))
        last = match.end()
    rest = text[last:]
    pieces.append(_esc(isolate_ltr(rest) if rtl else rest))
    lines = "".join(pieces).split("\n")
    if rtl:  # so clients that guess the direction from the first letter align right
        lines = [RLM + line if line.strip() else line for line in lines]
    return "<br>".join(lines)


def _paragraphs(text: str, rtl: bool) -> list[str]:
    blocks = [block.strip("\n") for block in re.split(r"\n\s*\n", text)]
    return [f"<p>{inline(block, rtl)}</p>" for block in blocks if block.strip()]


def _card(card: ServiceCard, rtl: bool) -> str:
    labels = card.labels
    lines = [f"📍 <strong>{inline(card.name, rtl)}</strong>"]
    if card.description:
        lines.append(inline(card.description, rtl))

    def labelled(key: str, default: str, value: str) -> str:
        return f"{inline(labels.get(key, default), rtl)}: {value}"

    if card.address:
        lines.append(labelled("address", "Address", _link(card.map_url, card.address, rtl)))
    if card.phone:
        lines.append(labelled("phone", "Phone", _link(card.tel_uri, card.phone, rtl)))
    if card.email:
        lines.append(labelled("email", "E-mail", _link(f"mailto:{card.email}", card.email, rtl)))
    if card.hours or card.hours_note:
        hours = "; ".join([*card.hours, *([card.hours_note] if card.hours_note else [])])
        lines.append(labelled("hours", "Opening hours", inline(hours, rtl)))
    if card.website:
        lines.append(labelled("website", "Website", _link(card.website, card.website, rtl)))
    if card.booking:
        lines.append(
            labelled("booking", "Book an appointment", _link(card.booking, card.booking, rtl))
        )
    return "<p>" + "<br>".join(lines) + "</p>"


def _options(options: Sequence[Option], start: int, rtl: bool) -> str:
    items = "".join(f"<li>{inline(option.label, rtl)}</li>" for option in options)
    return f'<ol start="{start}">{items}</ol>'


def reply_html(reply: Reply, first_number: int = 1) -> str:
    """One reply as HTML; its options are numbered from ``first_number``."""
    rtl = reply.rtl
    blocks: list[str] = []
    if isinstance(reply, EntryAnswer):
        title = reply.title.upper() if reply.emergency else reply.title
        blocks.append(f"<h4>{inline(title, rtl)}</h4>")
        blocks += _paragraphs(reply.body, rtl)
        blocks += [_card(card, rtl) for card in reply.cards]
        if reply.notes:
            blocks.append(f"<p><em>{inline('ℹ️ ' + ' '.join(reply.notes), rtl)}</em></p>")
    else:
        blocks += _paragraphs(getattr(reply, "text", ""), rtl)
    options: Sequence[Option] = getattr(reply, "options", ())
    if options:
        blocks.append(_options(options, first_number, rtl))
    body = "".join(blocks)
    return f'<div dir="rtl">{body}</div>' if rtl else body


def render_turn_html(replies: Sequence[Reply]) -> list[str]:
    """Each reply as HTML, numbering options across the turn like ``render_turn``."""
    messages = []
    number = 1
    for reply in replies:
        messages.append(reply_html(reply, number))
        number += len(getattr(reply, "options", ()))
    return messages


def notice(body: str, formatted: str | None = None) -> Content:
    content: Content = {"msgtype": NOTICE, "body": body}
    if formatted is not None:
        content["format"] = HTML_FORMAT
        content["formatted_body"] = formatted
    # An explicit empty mention list: a reply never pings anyone.
    content["m.mentions"] = {}
    return content


def content_size(content: Content) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode("utf-8"))


def _shortened(body: str) -> Content:
    """A plain-only notice cut to fit into one event; no real reply is this long."""
    encoded = body.encode("utf-8")[: MAX_CONTENT_BYTES // 2]
    return notice(encoded.decode("utf-8", errors="ignore") + TRUNCATION_MARK)


def turn_contents(replies: Sequence[Reply]) -> list[Content]:
    """The turn's replies as message contents: one message, or one per reply if too long."""
    if not replies:
        return []
    plain = render_turn(replies)
    formatted = render_turn_html(replies)
    whole = notice("\n\n".join(plain), "".join(formatted))
    if content_size(whole) <= MAX_CONTENT_BYTES:
        return [whole]
    contents = []
    for body, markup in zip(plain, formatted, strict=True):
        content = notice(body, markup)
        if content_size(content) > MAX_CONTENT_BYTES:
            content = notice(body)
        if content_size(content) > MAX_CONTENT_BYTES:
            content = _shortened(body)
        contents.append(content)
    return contents


def text_content(text: str, rtl: bool = False) -> Content:
    """A short notice of one plain sentence or two, with its HTML twin."""
    body = rtl_lines(text) if rtl else text
    markup = f"<p>{inline(text, rtl)}</p>"
    return notice(body, f'<div dir="rtl">{markup}</div>' if rtl else markup)
