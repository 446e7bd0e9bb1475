"""Stems per language: Snowball where one exists, the file's endings where none does."""

from __future__ import annotations

import pytest

from bot.answer import Answerer
from bot.answer.normalise import tokenize


def stems(answerer: Answerer, word: str, language: str) -> set[str]:
    [token] = tokenize(word)
    return answerer.stemmers.stems_in(token, language)


@pytest.mark.parametrize(
    ("language", "one", "other"),
    [
        ("de", "Wohnungen", "Wohnung"),
        ("de-simple", "Kindern", "Kinder"),
        ("en", "registering", "register"),
        ("tr", "kursları", "kurs"),
        ("pl", "mieszkania", "mieszkanie"),
        ("ro", "chiriei", "chiria"),
        ("it", "appartamenti", "appartamento"),
        ("ar", "المدرسة", "مدرسة"),
        ("fa", "کتاب‌ها", "کتاب"),
        ("ru", "квартиры", "квартира"),
        ("uk", "квартири", "квартира"),  # light stemming from locales/uk/search.yaml
        ("bg", "квартирата", "квартира"),  # light stemming from locales/bg/search.yaml
    ],
)
def test_forms_of_a_word_share_a_stem(answerer: Answerer, language: str, one: str, other: str):
    assert stems(answerer, one, language) & stems(answerer, other, language)


def test_stems_carry_their_stemmer(answerer: Answerer) -> None:
    # A Turkish stem can only meet a Turkish stem, never a German word that looks alike.
    assert all(s.startswith("turkish:") for s in stems(answerer, "evler", "tr"))
    assert all(s.startswith("light-bg:") for s in stems(answerer, "децата", "bg"))


def test_stemmer_choice_comes_from_the_catalog(answerer: Answerer) -> None:
    languages = answerer.catalog.language_by_code
    assert languages["de"].stemmer == "german" and languages["fa"].stemmer == "persian"
    assert languages["uk"].stemmer is None and languages["bg"].stemmer is None
    assert answerer.stemmers.by_language["uk"].key == "light-uk"


def test_light_stemming_keeps_short_words(answerer: Answerer) -> None:
    # An ending is only cut when a few letters remain: "ями" stays a word.
    assert stems(answerer, "дома", "uk") == {"light-uk:дом"}
    assert stems(answerer, "ями", "uk") == {"light-uk:ями"}
