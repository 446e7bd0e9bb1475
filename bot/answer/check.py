"""Checks of the search vocabulary for ``wegweiser content check``."""

from __future__ import annotations

from pathlib import Path

from bot.answer.answerer import Answerer
from bot.answer.lexicon import load_lexicons
from bot.catalog.loader import ContentError
from bot.catalog.model import Catalog


def check_vocabulary(locales_dir: Path, catalog: Catalog) -> tuple[list[str], list[str]]:
    """Problems (files that cannot be used) and warnings, each as "file:line: message"."""
    try:
        lexicons = load_lexicons(locales_dir, catalog.languages)
    except ContentError as exc:
        return [str(p) for p in exc.problems], []
    return [], Answerer(catalog, lexicons).vocabulary_warnings()
