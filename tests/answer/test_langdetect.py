"""Which language a question is in: said only when the bot is confident."""

from __future__ import annotations

import pytest

from bot.answer import Answerer
from bot.answer.langdetect import identifier_for


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("de", "wo kann ich mich für einen deutschkurs anmelden"),
        ("en", "where can i find a job in this town"),
        ("tr", "belediyeye nasıl kayıt olurum"),
        ("pl", "gdzie mogę zapisać się na kurs niemieckiego"),
        ("ro", "unde pot gasi un loc de munca"),
        ("it", "dove posso trovare un corso di tedesco"),
        ("bg", "къде мога да намеря работа"),
        ("ar", "وين بلاقي شغل هون"),
        ("fa", "کجا می توانم کار پیدا کنم"),
        ("uk", "де можна знайти роботу"),
        ("ru", "где можно найти работу"),
    ],
)
def test_the_question_language_is_recognised(answerer: Answerer, language: str, question: str):
    assert answerer.answer(question).language == language


def test_german_from_a_simple_german_user_stays_simple_german(answerer: Answerer) -> None:
    question = "ich suche eine wohnung für meine familie"
    assert answerer.answer(question, "de-simple").language == "de-simple"
    assert answerer.answer(question, "en").language == "de"


@pytest.mark.parametrize("question", ["wbs?", "ok", "salut", "b1", "Jobcenter", "12345"])
def test_short_messages_leave_the_language_open(answerer: Answerer, question: str) -> None:
    assert answerer.answer(question, "de").language is None


def test_letters_only_one_language_uses_are_learnt_from_the_content(answerer: Answerer):
    letters = answerer.detector.letters
    assert {"ş", "ğ", "ı"} <= letters["tr"]
    assert {"ł", "ą"} <= letters["pl"]
    assert {"ї", "є"} <= letters["uk"]
    assert {"پ", "گ"} <= letters["fa"]
    assert "ş" not in letters["de"]


def test_the_compact_model_gives_py3langid_s_probabilities(answerer: Answerer) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    codes = sorted(answerer.detector.identifier.classes)
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    reference.set_languages(codes)
    model = identifier_for(codes)
    assert model is answerer.detector.identifier  # loaded once per process
    for text in ["wo ist das Bürgerbüro", "шукаю квартиру", "كيف أجدد الإقامة", "merhaba"]:
        expected = dict(reference.rank(text))
        assert model.rank(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("ru", "как продлить мою Niederlassungserlaubnis"),
        ("ar", "كيف اطلب Wohnberechtigungsschein"),
        ("tr", "Bürgergeld için nereye gitmeliyim"),
    ],
)
def test_a_long_german_word_does_not_make_a_question_german(
    answerer: Answerer, language: str, question: str
) -> None:
    assert answerer.answer(question).language == language
