"""A first Answerer: fuzzy matching of the question against titles and known questions."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from bot.answer.result import Answer, AnswerKind, Match
from bot.catalog.model import Catalog

CONFIDENT = 0.72
CLOSE = 0.06
GREETINGS = {"hallo", "hi", "hello", "hey", "guten tag", "moin", "servus", "good morning"}
DANGER = ("notfall", "emergency", "polizei", "police", "krankenwagen", "ambulance", "feuer", "fire")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", text))


class Answerer:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._docs: list[tuple[str, str]] = []
        for entry in catalog.entries.values():
            for text in entry.texts.values():
                for phrase in (text.title, *text.questions):
                    self._docs.append((entry.slug, normalise(phrase)))
        self._emergency = catalog.emergency.slug if catalog.emergency else None

    def answer(self, text: str, language: str | None = None) -> Answer:
        query = normalise(text)
        if not query:
            return Answer(AnswerKind.NONE)
        if self._emergency and any(word in query.split() for word in DANGER):
            return Answer(AnswerKind.EMERGENCY, (Match(self._emergency, 1.0),))
        if query in GREETINGS:
            return Answer(AnswerKind.GREETING)
        best: dict[str, float] = {}
        for slug, doc in self._docs:
            score = fuzz.token_set_ratio(query, doc) / 100
            if score > best.get(slug, 0.0):
                best[slug] = score
        ranked = sorted(best.items(), key=lambda item: -item[1])[:5]
        matches = tuple(Match(slug, round(score, 3)) for slug, score in ranked)
        if not matches or matches[0].score < CONFIDENT:
            return Answer(AnswerKind.NONE, matches)
        close = [m for m in matches[1:3] if matches[0].score - m.score < CLOSE]
        if close:
            return Answer(AnswerKind.AMBIGUOUS, (matches[0], *close))
        return Answer(AnswerKind.MATCH, matches)
