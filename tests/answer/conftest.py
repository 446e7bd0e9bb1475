"""The answerer built once from the shipped content and search vocabulary."""

from __future__ import annotations

import pytest

from bot.answer import Answerer
from bot.library import Library


@pytest.fixture(scope="session")
def answerer(library: Library) -> Answerer:
    return library.answerer
