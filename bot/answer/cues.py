"""Finding the phrases of the word lists (emergency words, greetings, synonyms …) in a question.

A phrase matches when its words occur in the question in the same order, with at most a
couple of other words between them ("не хочу больше жить" matches "не хочу жить"). A word
matches the same word, the same stem in the phrase's language, a word starting with it
(``word*``), the same word with a small typo (for longer words: "krankenwagn"), or a word
in Latin letters written as it sounds ("falen" for "fallen", "heis" for "heiß").
The sides of a "+" in the list ("gas + smell") may stand anywhere in the question, in any
order: people in distress say the same thing in many word orders.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.answer.lexicon import CueWord, Mode, Phrase
from bot.answer.normalise import Script, Token, script_of
from bot.answer.stemming import Stemmers

FUZZY_MIN_CHARS = 6  # shorter words differ by one letter from too many others
FUZZY_CUTOFF = 88.0  # rapidfuzz ratio (0-100) a typo must reach
PREFIX_KEY_CHARS = 3  # prefix words are found through their first letters
MAX_GAP = 2  # other words allowed between two words of a phrase
WORD_BITS = 6  # a word's place in a phrase (< MAX_PHRASE_WORDS), packed with the phrase's number
WORD_MASK = (1 << WORD_BITS) - 1
LOOSE_MIN_CHARS = 4  # "wen" and "wenn" differ in meaning; few longer words do that
# Spellings that sound alike; doubled letters count once as well ("komen", "kommen").
_SOUNDS_ALIKE = (("ie", "i"), ("ck", "k"), ("tz", "z"), ("dt", "t"), ("th", "t"), ("ph", "f"))
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=1 << 16)  # the same words recur in thousands of items and questions
def loose_key(word: str) -> str | None:
    """A Latin word as it sounds rather than as it is spelt ("falen" for both "fallen"
    and "falen"); None for words too short to be told apart that way."""
    if len(word) < LOOSE_MIN_CHARS or script_of(word) is not Script.LATIN:
        return None
    for spelt, sound in _SOUNDS_ALIKE:
        word = word.replace(spelt, sound)
    return _DOUBLED.sub(r"\1", word)


@dataclass(frozen=True)
class Hit:
    phrase: Phrase
    positions: frozenset[int]  # the question's words the phrase covers
    everywhere: frozenset[int] = frozenset()  # every place one of its words occurs ("moin moin")

    def as_written(self, tokens: Sequence[Token]) -> bool:
        """Its words stand in the question themselves (or misspelt), not just words that
        share their stem: the Turkish "nasıl" (how) is no "nasılsın" (how are you)."""
        choices = [choice for word in self.phrase.words for choice in word.choices()]
        texts = {word.text for word in choices if word.mode is not Mode.PREFIX}
        prefixes = tuple(word.text for word in choices if word.mode is Mode.PREFIX)
        return all(
            (folded := tokens[i].folded) in texts
            or folded.startswith(prefixes)
            or len(folded) >= FUZZY_MIN_CHARS
            for i in self.positions
        )


WordKeys = dict[tuple[str, str], tuple[str, ...]]


class PhraseMatcher:
    def __init__(
        self, phrases: Sequence[Phrase], stemmers: Stemmers, word_keys: WordKeys | None = None
    ) -> None:
        """``word_keys`` may be shared by several matchers: the same words recur in all lists."""
        self.phrases = list(phrases)
        # Thousands of emergency words in every language: one int per (phrase, word) slot
        # keeps the matcher small.
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.prefixes: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.fuzzy: dict[str, list[str]] = defaultdict(list)
        self.fuzzy_slots: dict[str, list[int]] = defaultdict(list)
        known = word_keys if word_keys is not None else {}
        for p, phrase in enumerate(self.phrases):
            for w, place in enumerate(phrase.words):
                for word in place.choices():
                    self._add(word, p << WORD_BITS | w, phrase.language, stemmers, known)

    def _add(
        self, word: CueWord, slot: int, language: str, stemmers: Stemmers, known: WordKeys
    ) -> None:
        """Make ``word`` findable as the word ``slot`` of a phrase."""
        if word.mode is Mode.PREFIX:
            self.prefixes[word.text[:PREFIX_KEY_CHARS]].append((word.text, slot))
            return
        if word.mode is Mode.EXACT:
            self.by_key[word.text].append(slot)
            return
        keys = known.get((word.raw, language))
        if keys is None:
            keys = known[word.raw, language] = _word_keys(word, language, stemmers)
        by_key = self.by_key
        for key in keys:
            by_key[key].append(slot)
        if len(word.text) >= FUZZY_MIN_CHARS:
            if word.text not in self.fuzzy_slots:
                self.fuzzy[word.text[0]].append(word.text)
            self.fuzzy_slots[word.text].append(slot)

    def match(
        self,
        tokens: Sequence[Token],
        terms: Sequence[set[str]],
        stemmers: frozenset[str] | None = None,
    ) -> list[Hit]:
        """The phrases all of whose words occur in the question.

        With ``stemmers``, a word's stems count only under those stemmers: the English
        "back" is the German stem of "backen", but no English question is about baking.
        """
        seen: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        for i, (token, keys) in enumerate(zip(tokens, terms, strict=True)):
            found = False
            if stemmers is not None:
                keys = {k for k in keys if ":" not in k or k.partition(":")[0] in stemmers}
            loose = loose_key(token.folded)
            if loose:
                keys = {*keys, "~" + loose}
                if len(loose) >= LOOSE_MIN_CHARS:  # "wenn" written as it sounds is no "wen"
                    keys.add(loose)
            for key in keys:
                for slot in self.by_key.get(key, ()):
                    p, w = slot >> WORD_BITS, slot & WORD_MASK
                    seen[p][w].add(i)
                    found = True
            # The word as typed, and as read otherwise ("zgubylas" in Cyrillic letters).
            for word in {token.folded, *(k for k in keys if ":" not in k)}:
                for prefix, slot in self.prefixes.get(word[:PREFIX_KEY_CHARS], ()):
                    if word.startswith(prefix):
                        seen[slot >> WORD_BITS][slot & WORD_MASK].add(i)
                        found = True
            if not found and len(token.folded) >= FUZZY_MIN_CHARS:
                bucket = self.fuzzy.get(token.folded[0])
                if bucket:
                    for text, _, _ in process.extract(
                        token.folded, bucket, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
                    ):
                        for slot in self.fuzzy_slots[text]:
                            p, w = slot >> WORD_BITS, slot & WORD_MASK
                            seen[p][w].add(i)
        hits = []
        for p, words in seen.items():
            phrase = self.phrases[p]
            if len(words) != len(phrase.words):
                continue
            places = [sorted(words[w]) for w in range(len(phrase.words))]
            chain = _sides(places, phrase.parts) if phrase.parts else _in_order(places, -1)
            if chain is not None:
                everywhere = frozenset(i for found in words.values() for i in found)
                hits.append(Hit(phrase, frozenset(chain), everywhere))
        return hits


def _word_keys(word: CueWord, language: str, stemmers: Stemmers) -> tuple[str, ...]:
    """The keys a list word is found by: itself, its stems, and its sound if that differs."""
    token = Token(word.raw, word.text, script_of(word.text))
    keys = dict.fromkeys((word.text, *stemmers.stems_in(token, language)))
    loose = loose_key(word.text)
    if loose and loose != word.text:  # a word spelt as it sounds is found as itself
        keys["~" + loose] = None
    return tuple(keys)


def _in_order(places: list[list[int]], after: int) -> tuple[int, ...] | None:
    """Positions, one per word, increasing and close together; None if there are none."""
    if not places:
        return ()
    for position in places[0]:
        if position <= after or (after >= 0 and position - after > MAX_GAP + 1):
            continue
        rest = _in_order(places[1:], position)
        if rest is not None:
            return (position, *rest)
    return None


def _sides(places: list[list[int]], parts: tuple[int, ...]) -> tuple[int, ...] | None:
    """Positions for a "+" item: each side in order, the sides anywhere but apart."""
    taken: set[int] = set()
    start = 0
    for length in parts:
        chain = _in_order(
            [[i for i in p if i not in taken] for p in places[start : start + length]], -1
        )
        if chain is None:
            return None
        taken.update(chain)
        start += length
    return tuple(sorted(taken))
