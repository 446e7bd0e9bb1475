"""Chat with Wegweiser in the terminal: the reference adapter, and the scriptable one.

On a terminal it prompts; otherwise it reads one message per line from standard input,
prints the replies and ends at end of input.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.adapters.plain import render_turn
from bot.conversation import Conversation, Incoming

PLATFORM = "console"
SEPARATOR = "─" * 40


async def _read_line(stream: TextIO, prompt: str | None) -> str | None:
    def read() -> str | None:
        if prompt is not None:
            print(prompt, end="", flush=True)
        line = stream.readline()
        return None if line == "" else line.rstrip("\r\n")

    return await asyncio.to_thread(read)


async def run_console(
    conversation: Conversation,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user_id: str = "local",
    language_hint: str | None = None,
) -> None:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    if interactive:
        print("Wegweiser – /start, /menu, /language, /help. Ctrl-D ends.", file=stdout)
        text: str | None = "/start"
    else:
        text = await _read_line(stdin, None)
    while text is not None:
        incoming = Incoming(PLATFORM, user_id, text=text, language_hint=language_hint)
        replies = await conversation.handle(incoming)
        for message in render_turn(replies):
            print(message, file=stdout)
            print(SEPARATOR, file=stdout)
        stdout.flush()
        text = await _read_line(stdin, "> " if interactive else None)
