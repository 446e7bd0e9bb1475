"""Replies as plain text, with options numbered across one turn.

Used by the console and as the plain ``body`` of Matrix messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.bidi import rtl_lines
from bot.replies import EntryAnswer, Option, Reply, ServiceCard


def card_lines(card: ServiceCard) -> Iterator[str]:
    labels = card.labels
    yield f"📍 {card.name}"
    if card.description:
        yield card.description
    if card.address:
        yield f"{labels.get('address', 'Address')}: {card.address}"
    if card.phone:
        yield f"{labels.get('phone', 'Phone')}: {card.phone}"
    if card.email:
        yield f"{labels.get('email', 'E-mail')}: {card.email}"
    if card.hours or card.hours_note:
        yield f"{labels.get('hours', 'Opening hours')}: " + "; ".join(
            [*card.hours, *([card.hours_note] if card.hours_note else [])]
        )
    if card.website:
        yield f"{labels.get('website', 'Website')}: {card.website}"
    if card.booking:
        yield f"{labels.get('booking', 'Book an appointment')}: {card.booking}"


def reply_text(reply: Reply) -> str:
    """The reply's own text, without its options."""
    if isinstance(reply, EntryAnswer):
        blocks = [reply.title.upper() if reply.emergency else reply.title, reply.body]
        blocks += ["\n".join(card_lines(card)) for card in reply.cards]
        if reply.notes:
            blocks.append("ℹ️ " + " ".join(reply.notes))
        return "\n\n".join(blocks)
    return getattr(reply, "text", "")


def numbered(options: Sequence[Option], start: int) -> list[str]:
    return [f"{start + i}. {option.label}" for i, option in enumerate(options)]


def render_turn(replies: Sequence[Reply]) -> list[str]:
    """Each reply as one plain-text message; option numbers run on across the turn."""
    messages = []
    number = 1
    for reply in replies:
        options: Sequence[Option] = getattr(reply, "options", ())
        text = reply_text(reply)
        if options:
            text = text + "\n\n" + "\n".join(numbered(options, number))
            number += len(options)
        messages.append(rtl_lines(text) if reply.rtl else text)
    return messages
