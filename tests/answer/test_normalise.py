"""One spelling per word: case, accents, letter variants and invisible characters."""

from __future__ import annotations

import pytest

from bot.answer.normalise import Script, fold, normalise, script_of, tokenize


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Bürgergeld", "burgergeld"),
        ("BUERGERGELD", "burgergeld"),
        ("Burgergeld", "burgergeld"),
        ("Straße", "strasse"),
        ("Ausländerbehörde", "auslanderbehorde"),
        ("Auslaenderbehoerde", "auslanderbehorde"),
        ("Taşındım", "tasindim"),
        ("İZİN", "izin"),
        ("ılık", "ilik"),
        ("Zasiłek", "zasilek"),
        ("cetățenie", "cetatenie"),
        ("cetăţenie", "cetatenie"),
        ("città", "citta"),
        ("Българско", "българско"),
    ],
)
def test_case_and_accents_do_not_matter(typed: str, canonical: str) -> None:
    assert normalise(typed) == canonical


def test_digraphs_after_vowels_stay() -> None:
    # "neue" and "Bauer" are not umlauts; the rule only has to be the same on both sides.
    assert normalise("neue Feuer Quelle") == "neue feuer quelle"


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أقامة", "اقامه"),  # hamza on alef, ta marbuta
        ("إقامة", "اقامه"),
        ("آجار", "اجار"),
        ("مُسَاعَدَة", "مساعده"),  # harakat
        ("مـــساعدة", "مساعده"),  # tatweel
        ("على", "علي"),  # alef maqsura
        ("كتاب", "كتاب"),
    ],
)
def test_arabic_letter_variants(variant: str, plain: str) -> None:
    assert normalise(variant) == normalise(plain)


def test_persian_letter_variants_and_the_zero_width_non_joiner() -> None:
    assert normalise("می‌خواهم") == normalise("میخواهم")  # ZWNJ
    assert normalise("کجاست یک") == normalise("كجاست يك")  # Persian and Arabic kaf, yeh
    assert normalise("۱۱۰ ١١٢") == "110 112"  # Persian and Arabic-Indic digits


def test_cyrillic_look_alikes() -> None:
    assert normalise("ещё") == normalise("еще")
    assert normalise("інтеграція") == normalise("интеграция")  # Ukrainian і, Russian и
    assert normalise("їжа") == normalise("ижа")
    assert normalise("європа ґанок") == normalise("европа ганок")
    assert normalise("вы") == normalise("ви")
    # A Latin "o" typed inside a Cyrillic word.
    assert normalise("пoлиция") == normalise("полиция")


def test_tokens_keep_the_raw_form_for_stemmers() -> None:
    [token] = tokenize("Taşındım")
    assert token.raw == "taşındım" and token.folded == "tasindim"
    assert token.script is Script.LATIN


def test_words_split_at_apostrophes_and_punctuation() -> None:
    assert normalise("l'ufficio, Lampertheim'da: wbs?") == "l ufficio lampertheim da wbs"
    assert normalise("a_b") == "a b"
    assert [t.is_number for t in tokenize("b1 2024 ۳")] == [False, True, True]


def test_the_ukrainian_apostrophe_stays_inside_the_word() -> None:
    # Typed as ', ’ or ʼ: always one word, not "сім" and "я" ("I").
    assert normalise("сім'я") == normalise("сім’я") == normalise("сімʼя") == "симя"
    assert normalise("він мене б'є") == normalise("він мене бʼє") == "вин мене бе"


def test_letters_stretched_for_emphasis_count_once() -> None:
    assert normalise("hiii hilfeee مرحبااا пожалуйстааа") == "hi hilfe مرحبا пожалуиста"
    assert normalise("1000") == "1000"  # digits are not letters


@pytest.mark.parametrize(
    ("word", "script"),
    [("wohnung", Script.LATIN), ("квартира", Script.CYRILLIC), ("شقة", Script.ARABIC),
     ("خانه", Script.ARABIC), ("123", Script.OTHER)],
)  # fmt: skip
def test_script_of(word: str, script: Script) -> None:
    assert script_of(fold(word)) is script
