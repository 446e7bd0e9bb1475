"""What the Answerer returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AnswerKind(StrEnum):
    EMERGENCY = "emergency"  # danger words: the emergency card comes first, always
    GREETING = "greeting"  # "hello": show the menu rather than guess
    MATCH = "match"  # one entry with confidence
    AMBIGUOUS = "ambiguous"  # close entries (or one, for a typo): ask "did you mean"
    NONE = "none"  # nothing with confidence


@dataclass(frozen=True)
class Match:
    slug: str
    score: float  # 0..1, higher is better


@dataclass(frozen=True)
class Answer:
    kind: AnswerKind
    matches: tuple[Match, ...] = ()  # ranked, best first
    language: str | None = None  # the question's language, when recognised with confidence

    @property
    def best(self) -> Match | None:
        if self.kind in (AnswerKind.MATCH, AnswerKind.EMERGENCY) and self.matches:
            return self.matches[0]
        return None

    @property
    def score(self) -> float:
        return self.matches[0].score if self.matches else 0.0
