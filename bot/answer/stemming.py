"""Word stems per language: Snowball (PyStemmer) where one exists, light suffix stripping else.

A stem is kept under its stemmer's name ("german:wohnung"), so a Turkish stem can only meet
the same stem of a Turkish text, never a German word that happens to look alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import Stemmer

from bot.answer.lexicon import Lexicons
from bot.answer.normalise import Script, Token, fold
from bot.catalog.model import Language

MIN_STEM_CHARS = 2  # shorter stems ("a", "i") would join unrelated words
MIN_LIGHT_STEM_CHARS = 3  # light stripping keeps at least this much of a word

# Snowball's Arabic and Persian stemmers expect their own letter forms, which folding merges.
_NATIVE = {
    "arabic": str.maketrans({"ی": "ي", "ک": "ك"}),
    "persian": str.maketrans({"ي": "ی", "ك": "ک"}),
}


@dataclass(frozen=True)
class LanguageStemmer:
    """One language's stemmer, applied to a token's raw and folded forms."""

    key: str  # "german", "light-bg": the name stems are kept under
    script: Script
    stem_word: Callable[[str], str]

    def stems(self, token: Token) -> set[str]:
        forms = (token.raw,) if token.raw == token.folded else (token.raw, token.folded)
        found = set()
        for form in forms:
            stem = fold(self.stem_word(form))
            if len(stem) >= MIN_STEM_CHARS:
                found.add(f"{self.key}:{stem}")
        return found


def _snowball(name: str) -> Callable[[str], str]:
    # Not thread-safe, so every index has its own; its cache is off (the index caches words).
    stemmer = Stemmer.Stemmer(name, 0)
    native = _NATIVE.get(name)
    if native is None:
        return stemmer.stemWord
    return lambda word: stemmer.stemWord(word.translate(native))


def _light(suffixes: tuple[str, ...]) -> Callable[[str], str]:
    """Strip the longest known ending, keeping a stem of at least a few letters."""

    def stem(word: str) -> str:
        word = fold(word)
        for suffix in suffixes:  # longest first
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_LIGHT_STEM_CHARS:
                return word[: -len(suffix)]
        return word

    return stem


class Stemmers:
    """The stemmers of the catalog's languages, grouped by the script they apply to."""

    def __init__(
        self, languages: Iterable[Language], lexicons: Lexicons, scripts: dict[str, Script]
    ) -> None:
        self.by_language: dict[str, LanguageStemmer] = {}
        by_key: dict[str, LanguageStemmer] = {}
        for lang in languages:
            script = scripts.get(lang.code, Script.LATIN)
            if lang.stemmer:
                key, make = lang.stemmer, lambda name=lang.stemmer: _snowball(name)
            elif lexicons.get(lang.code).suffixes:
                suffixes = lexicons.get(lang.code).suffixes
                key, make = f"light-{lang.code}", lambda s=suffixes: _light(s)
            else:
                continue
            if key not in by_key:
                by_key[key] = LanguageStemmer(key, script, make())
            self.by_language[lang.code] = by_key[key]
        self.by_script: dict[Script, tuple[LanguageStemmer, ...]] = {
            script: tuple(s for s in by_key.values() if s.script is script) for script in Script
        }

    def stems(self, token: Token) -> set[str]:
        """The token's stems under every stemmer of its script."""
        found: set[str] = set()
        for stemmer in self.by_script.get(token.script, ()):
            found |= stemmer.stems(token)
        return found

    def stems_in(self, token: Token, language: str) -> set[str]:
        """The token's stems under one language's stemmer (none if it has no stemmer)."""
        stemmer = self.by_language.get(language)
        return stemmer.stems(token) if stemmer else set()
