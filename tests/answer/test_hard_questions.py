"""Questions that are hard for word matching: compounds, clitics, rivals, repeated words.

The examples are written for these tests; none is taken from the benchmark's question set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.answer import Answer, Answerer, AnswerKind
from bot.answer.answerer import _Ranked
from bot.answer.index import without_article
from bot.answer.normalise import normalise, tokenize
from tests.conftest import ROOT


def best(answer: Answer) -> str | None:
    return answer.best.slug if answer.best else None


@pytest.mark.parametrize(("language", "greeting"), [("de", "moin moin"), ("en", "hi hi hi")])
def test_a_repeated_greeting_is_still_a_greeting(
    answerer: Answerer, language: str, greeting: str
) -> None:
    assert answerer.answer(greeting, language).kind is AnswerKind.GREETING


def test_the_arabic_article_and_particles_come_off_a_word() -> None:
    (word,) = tokenize("بالسكين")
    bare = without_article(word)
    assert bare is not None and bare.folded == "سكين"
    (short,) = tokenize("الم")  # too short to be a word with an article
    assert without_article(short) is None
    (latin,) = tokenize("alles")
    assert without_article(latin) is None


def test_an_emergency_word_with_the_arabic_article_is_found(answerer: Answerer) -> None:
    answer = answerer.answer("هددني بالسكين", "ar")
    assert answer.kind is AnswerKind.EMERGENCY


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("ingenieursdiplom anerkennen", "anerkennung"),  # "diplom" is in the texts
        ("tischtennisclub", "vereine-freizeit"),  # "club" is a synonym of "Verein"
    ],
)
def test_an_unknown_german_compound_counts_as_its_last_word(
    answerer: Answerer, question: str, slug: str
) -> None:
    assert best(answerer.answer(question, "de")) == slug


def test_a_compound_is_a_kind_of_its_last_word_not_of_longer_words(
    answerer: Answerer,
) -> None:
    # A "Krankenhaus" is a kind of "Haus", not of "Hausaufgabenhilfe".
    answer = answerer.answer("krankenhaus", "de")
    assert "sprachfoerderung-kinder" not in [m.slug for m in answer.matches]


def test_a_compound_needs_a_first_part_of_some_length(answerer: Answerer) -> None:
    # "ver" + "gessen" is no kind of "essen".
    assert answerer._compound_head("vergessen") is None
    assert answerer._compound_head("tischtennisclub") == "verein"


@pytest.mark.parametrize(
    ("question", "slug"),
    [("wohn geld", "wohngeld"), ("aufenthalts titel", "aufenthalt")],
)
def test_a_compound_written_as_two_words_is_one(
    answerer: Answerer, question: str, slug: str
) -> None:
    assert best(answerer.answer(question, "de-simple")) == slug


def test_russian_in_latin_letters_meets_the_russian_synonyms(answerer: Answerer) -> None:
    # "vid na zhitelstvo" is "вид на жительство" (a residence permit), without the soft sign.
    assert best(answerer.answer("vid na zhitelstvo prodlit", "ru")) == "aufenthalt"


def test_the_soft_sign_is_left_out_as_latin_spellings_do() -> None:
    assert normalise("жительство") == normalise("жителство")
    assert normalise("Българско") == "българско"  # the hard sign is a Bulgarian vowel


def test_a_word_of_another_language_is_no_topic_the_bot_declines(answerer: Answerer) -> None:
    # The English "back" is the German stem of "backen" (baking, which the bot declines).
    assert best(answerer.answer("i want my deposit back", "en")) == "mietrecht"


def test_a_declined_topic_beside_a_clear_question_does_not_decline_it(
    answerer: Answerer,
) -> None:
    answer = answerer.answer("ich kann gut kochen und möchte ehrenamtlich helfen", "de")
    assert best(answer) == "ehrenamt-engagieren"
    assert answerer.answer("kochrezept für heute abend", "de").kind is AnswerKind.NONE


@pytest.mark.parametrize(
    ("language", "question"),
    [("de", "übersetzer für den arzt"), ("en", "interpreter doctor")],
)
def test_a_topic_as_strong_as_the_emergency_card_comes_first(
    answerer: Answerer, language: str, question: str
) -> None:
    answer = answerer.answer(question, language)
    assert answer.kind is AnswerKind.MATCH and best(answer) == "dolmetscher"
    assert "notfall" in [m.slug for m in answer.matches]  # still offered further down


def test_illness_alone_still_leads_to_the_emergency_card(answerer: Answerer) -> None:
    assert answerer.answer("ich bin krank", "de").kind is AnswerKind.EMERGENCY


def test_the_emergency_card_found_by_search_needs_a_clear_lead(answerer: Answerer) -> None:
    card = _Ranked("notfall", 4.0, 2, True)
    rival = _Ranked("wohnungslosigkeit", 3.2, 2, True)  # 80 % of the card: close
    answer = answerer._decide([card, rival], "de", on_topic=False)
    assert answer.kind is AnswerKind.AMBIGUOUS
    assert [m.slug for m in answer.matches] == ["notfall", "wohnungslosigkeit"]
    far = _Ranked("wohnungslosigkeit", 2.0, 1, True)
    assert answerer._decide([card, far], "de", on_topic=False).kind is AnswerKind.EMERGENCY


def test_two_generic_words_that_agree_make_an_answer(answerer: Answerer) -> None:
    # "finde" and "wohnung" each point to several entries; together only to one.
    answer = answerer.answer("finde wohnung", "de")
    assert answer.kind is AnswerKind.MATCH and best(answer) == "wohnungssuche"


def test_a_word_between_two_that_belong_together_does_not_separate_them(
    answerer: Answerer,
) -> None:
    answer = answerer.answer("looking for a cheap flat", "en")
    assert answer.kind is AnswerKind.MATCH and best(answer) == "wohnungssuche"


def test_a_misspelt_single_word_gets_a_did_you_mean(answerer: Answerer) -> None:
    answer = answerer.answer("schimel", "de")  # "Schimmel", mould
    assert answer.kind is AnswerKind.AMBIGUOUS
    assert [m.slug for m in answer.matches] == ["mietrecht"]


def test_answers_are_the_same_in_every_process() -> None:
    """Ties are broken by name, not by the order of a set (which changes per process)."""
    questions = [
        "hallo ich habe arbeit aber brauche papier von der behörde für arbeiten",
        "wohnung sozial papier",
        "interpreter doctor",
    ]
    script = (
        "import json, sys\n"
        "from bot.library import Library\n"
        "from tests.conftest import CONTENT, LOCALES\n"
        "answerer = Library.load(CONTENT, LOCALES).answerer\n"
        "for q in json.loads(sys.argv[1]):\n"
        "    a = answerer.answer(q, 'de')\n"
        "    print(a.kind.value, [(m.slug, m.score) for m in a.matches])\n"
    )
    outputs = set()
    for seed in ("1", "22"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, json.dumps(questions)],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=True,
        )  # fmt: skip
        outputs.add(result.stdout)
    assert len(outputs) == 1
