"""Text normalisation for search: one canonical spelling for the many ways people type a word.

Each token is kept twice: ``raw`` (lower case, decorations removed, letters as typed) for the
Snowball stemmers, which know a language's real letters, and ``folded`` (accents gone, letter
variants merged) for matching what users type on phones without special letters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

# Characters that never change a word's meaning: zero-width joiners and non-joiners (Persian
# types "می‌خواهم" with or without them), bidi controls, soft hyphen, Arabic tatweel.
_INVISIBLE = re.compile("[\u00ad\u0640\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
# Arabic harakat, Quranic marks and the superscript alef: optional vowel signs.
_HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
# A word: letters and digits (with any combining marks), without the underscore.
# Apostrophes split ("l'ufficio"); so does the Turkish case suffix ("Lampertheim'da").
_MARKS = "\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u1dc0-\u1dff"
_WORD = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")
# German umlauts typed as digraphs ("buergergeld", "Buero"); not after a vowel ("neue",
# "Bauer") or q ("Quelle"). Applied to both content and questions, so it only has to be
# consistent, not linguistically exact.
_DIGRAPH = re.compile(r"(?<![aeiouq])([aou])e")
# The Ukrainian apostrophe belongs to the word ("сім'я", "б'є"), typed as ', ’ or ʼ: one
# word without it, whichever was typed.
_CYRILLIC_APOSTROPHE = re.compile("(?<=[\u0400-\u04ff])['\u2019\u02bc](?=[\u0400-\u04ff])")
# A letter typed three times or more is one letter stretched for emphasis ("hiii",
# "hilfeee", "مرحبااا"). The few words that have it ("copiii", "Fitnessstudio") are
# shortened alike in the content, the word lists and the questions.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")

_LETTERS = str.maketrans(
    {
        # Latin letters without a decomposition.
        "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe",
        "ß": "ss", "ſ": "s",
        # Arabic and Persian letter variants: one form each.
        "ة": "ه", "ۀ": "ه", "ە": "ه", "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي", "ک": "ك",
        "ڪ": "ك", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ء": "",
        # Ukrainian and Russian look-alikes, so "iнтеграцiя" and "интеграция" meet; the
        # soft sign, which Latin spellings ("zhitelstvo") leave out. (The hard sign stays:
        # in Bulgarian it is a vowel.)
        "і": "и", "є": "е", "ґ": "г", "ы": "и", "э": "е", "ь": "",
    }
)  # fmt: skip

# Latin letters typed by mistake inside a Cyrillic word (and the reverse): same shapes.
_LATIN_TO_CYRILLIC = str.maketrans("aceopxykmhtbi", "асеорхукмнтьи")
_CYRILLIC_TO_LATIN = str.maketrans("асеорхукмнтьи", "aceopxykmhtbi")


_CYRILLIC_RE = re.compile("[\u0400-\u052f]")
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")
_LATIN_RE = re.compile("[a-z\u00c0-\u024f\u1e00-\u1eff]", re.IGNORECASE)
# Arabic-Indic and Persian digits as 0-9, so "۱۱۰" is "110".
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
FOLD_CACHE_SIZE = 10_000  # distinct words remembered (about 2 MB); emptied after each load


class Script(StrEnum):
    LATIN = "latin"
    CYRILLIC = "cyrillic"
    ARABIC = "arabic"
    OTHER = "other"


def script_of_char(char: str) -> Script:
    if _LATIN_RE.match(char):
        return Script.LATIN
    if _CYRILLIC_RE.match(char):
        return Script.CYRILLIC
    if _ARABIC_RE.match(char):
        return Script.ARABIC
    return Script.OTHER


def script_of(word: str) -> Script:
    """The script most letters of ``word`` are written in."""
    if word.isascii():
        return Script.LATIN if any(c.isalpha() for c in word) else Script.OTHER
    counts = {
        Script.LATIN: len(_LATIN_RE.findall(word)),
        Script.CYRILLIC: len(_CYRILLIC_RE.findall(word)),
        Script.ARABIC: len(_ARABIC_RE.findall(word)),
    }
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else Script.OTHER


def _fix_mixed_script(word: str) -> str:
    """A Cyrillic word with a Latin "a" or "o" typed inside (or the reverse) gets one script."""
    if word.isascii() or not (_CYRILLIC_RE.search(word) and _LATIN_RE.search(word)):
        return word
    if script_of(word) is Script.CYRILLIC:
        return word.translate(_LATIN_TO_CYRILLIC)
    return word.translate(_CYRILLIC_TO_LATIN)


def clean(text: str) -> str:
    """Lower case, invisible characters and optional Arabic vowel signs removed, NFC."""
    if text.isascii():
        return _unstretched(text.lower())
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    # casefold turns the Turkish "İ" into "i" plus a combining dot; the dot goes.
    text = _unstretched(_HARAKAT.sub("", text.casefold().replace("i\u0307", "i")))
    if text.isascii():
        return text
    return _CYRILLIC_APOSTROPHE.sub("", text).translate(_DIGITS)


def _unstretched(text: str) -> str:
    return _STRETCHED.sub(r"\1", text) if _STRETCHED.search(text) else text


@lru_cache(maxsize=FOLD_CACHE_SIZE)
def fold(word: str) -> str:
    """The canonical search form of one word: no accents, one form per letter variant."""
    if not word.isascii():
        decomposed = unicodedata.normalize("NFD", word)
        word = "".join(c for c in decomposed if not unicodedata.combining(c))
        word = unicodedata.normalize("NFC", word).translate(_LETTERS)
        word = _fix_mixed_script(word)
    if word.isascii():
        word = _DIGRAPH.sub(r"\1", word)
    return word


@dataclass(frozen=True, slots=True)
class Token:
    raw: str  # lower case, as typed (with its accents)
    folded: str  # the canonical search form
    script: Script

    @property
    def is_number(self) -> bool:
        return self.folded.isdecimal()


@lru_cache(maxsize=FOLD_CACHE_SIZE)
def _token(word: str) -> Token | None:
    raw = _fix_mixed_script(word)
    folded = fold(raw)
    return Token(raw, folded, script_of(folded)) if folded else None


def forget_words() -> None:
    """Empty the word caches: after a load they hold every word of the content and the
    word lists (several MB), most of which questions never use."""
    fold.cache_clear()
    _token.cache_clear()


def tokenize(text: str) -> list[Token]:
    """The words of ``text``, each in its raw and folded form."""
    found = map(_token, _WORD.findall(clean(text)))
    return [token for token in found if token is not None]


def normalise(text: str) -> str:
    """``text`` as folded words separated by single spaces (for tests and simple matching)."""
    return " ".join(t.folded for t in tokenize(text))
