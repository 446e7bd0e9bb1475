"""Right-to-left text with left-to-right pieces inside, for Arabic and Persian answers.

Phone numbers, URLs, e-mail addresses and Latin-script names (German office names) are
wrapped in Unicode bidi isolates (LRI … PDI), so they neither flip nor pull the
surrounding sentence around. Each line starts with a right-to-left mark, so clients that
guess the direction from the first strong character align the line to the right.
"""

from __future__ import annotations

import re

LRI = "\u2066"  # left-to-right isolate
PDI = "\u2069"  # pop directional isolate
RLM = "\u200f"  # right-to-left mark

_LTR_PIECE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)]"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\+?\d[\d ()/.\-–]*\d"  # phone numbers, times, ranges
    # Latin-script words, with the spaces, digits and punctuation between them; brackets
    # stay outside, so the sentence around mirrors them as it should
    r"|[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ0-9.,&'’/\-–]*(?:[ ]+[A-Za-zÀ-ɏ0-9][A-Za-zÀ-ɏ0-9.,&'’/\-–]*)*"
)


def isolate_ltr(text: str) -> str:
    """Wrap each left-to-right piece of ``text`` in LRI … PDI; idempotent."""
    if LRI in text:
        return text
    return _LTR_PIECE.sub(_isolate, text)


def _isolate(match: re.Match[str]) -> str:
    # Sentence punctuation after a name belongs to the right-to-left sentence.
    piece = match.group(0)
    core = piece.rstrip(".,;:–-")
    return f"{LRI}{core}{PDI}{piece[len(core) :]}"


def rtl_lines(text: str) -> str:
    """Isolate LTR pieces and start every non-empty line with a right-to-left mark."""
    isolated = isolate_ltr(text)
    return "\n".join(RLM + line if line.strip() else line for line in isolated.split("\n"))
