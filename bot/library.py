"""The content in use: catalog, search index and UI strings, swapped whole on reload.

A reload builds everything anew and replaces the ``Library`` in one assignment; if
anything fails to load, the old one keeps serving and the problems are logged.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.answer import Answer, Answerer
from bot.answer.lexicon import load_lexicons
from bot.answer.normalise import forget_words
from bot.catalog.loader import ContentError, Problem, load_catalog
from bot.catalog.model import Catalog
from bot.i18n import I18n

log = logging.getLogger(__name__)

# Many people ask the same few things ("wohngeld", "deutschkurs"); answers to recent
# questions are kept, per Library, so a reload starts afresh.
ANSWER_CACHE_SIZE = 2_000  # about 1 MB

T = TypeVar("T")


@dataclass(frozen=True)
class Library:
    catalog: Catalog
    answerer: Answerer
    i18n: I18n
    _answers: OrderedDict[tuple[str, str | None], Answer] = field(
        default_factory=OrderedDict, compare=False, repr=False
    )
    # Values made from this content alone (an entry's answer in a language): their keys
    # are bounded by the content, and a reload starts afresh.
    _derived: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def kept(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()``, made once per Library for ``key``."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[key] = make()
            return value

    def answer(self, text: str, language: str | None) -> Answer:
        """``answerer.answer``, remembered for the most recent questions."""
        key = (text, language)
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
            return found
        found = self.answerer.answer(text, language)
        self._answers[key] = found
        if len(self._answers) > ANSWER_CACHE_SIZE:
            self._answers.popitem(last=False)
        return found

    @classmethod
    def load(cls, content_dir: Path, locales_dir: Path) -> Library:
        catalog = load_catalog(content_dir)
        try:
            i18n = I18n.load(locales_dir, catalog.languages)
        except Exception as exc:  # a broken .po file is a content problem, not a crash
            raise ContentError(
                [Problem(str(locales_dir), None, f"UI catalog unreadable: {exc}")]
            ) from exc
        lexicons = load_lexicons(locales_dir, catalog.languages)
        library = cls(catalog, Answerer(catalog, lexicons), i18n)
        settle_memory()
        return library


def settle_memory() -> None:
    """Keep the collector's full passes off what a load has made.

    The search index and the word lists are several hundred thousand small objects that
    live until the next load; a full collection walks them all (about 0.1 s), in the
    middle of someone's reply. Freezing takes them out of those passes. What an earlier
    load left behind is unfrozen and collected first, so none of it stays for good. The
    word caches, full of the lists' words, are emptied for the questions to come.
    """
    forget_words()
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _fingerprint(*dirs: Path) -> tuple[tuple[str, int, int], ...]:
    marks = []
    for base in dirs:
        for path in sorted(base.rglob("*")):
            if path.is_file():
                stat = path.stat()
                marks.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(marks)


class LibraryHolder:
    """Holds the current Library; ``reload`` swaps in a new one only if it loads cleanly."""

    def __init__(self, content_dir: Path, locales_dir: Path, library: Library | None = None):
        self.content_dir = content_dir
        self.locales_dir = locales_dir
        self.current = library or Library.load(content_dir, locales_dir)
        self._mark = _fingerprint(content_dir, locales_dir)

    def reload(self) -> list[Problem]:
        """Try to load the files again; return the problems (empty when swapped in)."""
        self._mark = _fingerprint(self.content_dir, self.locales_dir)
        try:
            library = Library.load(self.content_dir, self.locales_dir)
        except ContentError as exc:
            for problem in exc.problems:
                log.error("content not reloaded, still serving the last good version: %s", problem)
            return exc.problems
        self.current = library
        log.info("content reloaded: %d entries", len(library.catalog.entries))
        return []

    def changed(self) -> bool:
        return _fingerprint(self.content_dir, self.locales_dir) != self._mark

    async def watch(self, every_seconds: float) -> None:
        """Reload whenever a file under content/ or locales/ changes."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                changed = await asyncio.to_thread(self.changed)
                if changed:
                    await asyncio.to_thread(self.reload)
            except OSError as exc:
                log.error("cannot read the content files: %s", exc)
