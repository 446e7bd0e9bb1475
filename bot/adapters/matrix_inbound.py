"""What a Matrix message says to the bot: its text, ``!`` commands, and mentions.

Matrix clients use ``/`` for their own commands, so bots take ``!``: ``!start ar_wohngeld``
becomes the core's ``/start ar_wohngeld``. In group rooms the bot only answers messages
addressed to it: a ``!`` command, or a mention (``m.mentions``, a pill link, the full
user id, or ``Name:`` at the start).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_COMMAND = re.compile(r"^\s*!([A-Za-z][\w-]*)")
_PILL = "matrix.to/#/"


def is_edit(content: Mapping[str, Any]) -> bool:
    """An edit of an earlier message: that one was answered already."""
    relates = content.get("m.relates_to")
    return isinstance(relates, dict) and relates.get("rel_type") == "m.replace"


def message_text(content: Mapping[str, Any]) -> str:
    """The message's own text, without the quoted lines of a reply."""
    body = content.get("body")
    if not isinstance(body, str):
        return ""
    relates = content.get("m.relates_to")
    if isinstance(relates, dict) and "m.in_reply_to" in relates:
        lines = body.split("\n")
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        body = "\n".join(lines)
    return body.strip()


def as_command(text: str) -> str:
    """``!start x`` → ``/start x``; other text is left as it is."""
    match = _COMMAND.match(text)
    if not match:
        return text
    return "/" + text.lstrip()[1:]


def _mentioned(content: Mapping[str, Any], text: str, own_id: str) -> bool:
    mentions = content.get("m.mentions")
    if isinstance(mentions, dict):
        user_ids = mentions.get("user_ids")
        if isinstance(user_ids, list) and own_id in user_ids:
            return True
    formatted = content.get("formatted_body")
    if isinstance(formatted, str):
        for form in (own_id, own_id.replace("@", "%40", 1)):
            if _PILL + form in formatted:
                return True
    return own_id.casefold() in text.casefold()


def strip_mention(text: str, own_id: str, names: Iterable[str]) -> str:
    """Remove the bot's id anywhere, or ``Name:`` / ``Name,`` at the start."""
    without_id = re.sub(re.escape(own_id), "", text, flags=re.IGNORECASE)
    if without_id != text:
        return re.sub(r"[ \t]{2,}", " ", without_id).strip().lstrip(":,").strip()
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        prefix = re.compile(rf"^\s*@?{re.escape(name)}\s*[:,]\s*", re.IGNORECASE)
        stripped = prefix.sub("", text, count=1)
        if stripped != text:
            return stripped.strip()
    return text


def addressed_text(
    content: Mapping[str, Any], text: str, own_id: str, names: Iterable[str]
) -> str | None:
    """In a group room: the text meant for the bot, or None if the message is not for it."""
    if _COMMAND.match(text):
        return text
    names = list(names)
    stripped = strip_mention(text, own_id, names)
    if _mentioned(content, text, own_id) or stripped != text:
        return stripped
    return None
