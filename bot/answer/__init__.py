"""Free-text questions → ranked entries. Pure and fast; knows nothing of chats."""

from bot.answer.answerer import Answerer
from bot.answer.result import Answer, AnswerKind, Match

__all__ = ["Answer", "AnswerKind", "Answerer", "Match"]
