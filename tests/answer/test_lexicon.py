"""The search vocabulary in locales/<code>/search.yaml: loading, checking, adding a language."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.answer import Answerer, AnswerKind
from bot.answer.check import check_vocabulary
from bot.answer.cues import PhraseMatcher
from bot.answer.lexicon import Lexicons, Mode, Phrase, load_lexicons
from bot.answer.normalise import tokenize
from bot.answer.stemming import Stemmers
from bot.catalog.loader import ContentError, load_catalog
from bot.library import Library
from tests.conftest import ROOT


def test_every_language_has_its_word_lists(library: Library) -> None:
    lexicons = load_lexicons(ROOT / "locales", library.catalog.languages)
    for lang in library.catalog.languages:
        lexicon = lexicons.get(lang.code)
        assert lexicon.stopwords, lang.code
        assert lexicon.greetings and lexicon.emergency and lexicon.out_of_scope, lang.code
        assert lexicon.synonyms, lang.code


def test_shipped_vocabulary_has_no_warnings(library: Library) -> None:
    problems, warnings = check_vocabulary(ROOT / "locales", library.catalog)
    assert problems == [] and warnings == []


def test_include_merges_another_language(library: Library) -> None:
    lexicons = load_lexicons(ROOT / "locales", library.catalog.languages)
    simple, german = lexicons.get("de-simple"), lexicons.get("de")
    assert german.stopwords <= simple.stopwords
    assert {p.text for p in german.emergency} <= {p.text for p in simple.emergency}


def test_an_included_language_is_matched_once(library: Library) -> None:
    answerer = library.answerer
    german = load_lexicons(ROOT / "locales", library.catalog.languages).get("de")
    texts = [p.where for p in answerer.emergency.phrases]
    assert len(texts) == len(set(texts))  # de-simple holds every German item too
    assert {p.where for p in german.emergency} <= set(texts)


def test_markers_for_exact_words_and_prefixes(library: Library) -> None:
    lexicons = load_lexicons(ROOT / "locales", library.catalog.languages)
    assert any(w.mode is Mode.EXACT for p in lexicons.get("de").emergency for w in p.words)
    assert {w.mode for p in lexicons.get("de").out_of_scope for w in p.words if w.text == "krypto"}
    assert any(w.mode is Mode.PREFIX for p in lexicons.get("de").out_of_scope for w in p.words)


def write_vocabulary(tmp_path: Path, code: str, text: str) -> Path:
    locales = tmp_path / "locales"
    (locales / code).mkdir(parents=True, exist_ok=True)
    (locales / code / "search.yaml").write_text(text, encoding="utf-8")
    return locales


def emergency_items(
    library: Library, tmp_path: Path, code: str, text: str
) -> tuple[tuple[Phrase, ...], Callable[[str], list[str]]]:
    """The emergency items of a written vocabulary, and which of them a message hits."""
    locales = write_vocabulary(tmp_path, code, text)
    items = load_lexicons(locales, library.catalog.languages).get(code).emergency
    matcher = PhraseMatcher(items, Stemmers(library.catalog.languages, Lexicons(), {}))

    def hits(message: str) -> list[str]:
        tokens = tokenize(message)
        return [hit.phrase.text for hit in matcher.match(tokens, [{t.folded} for t in tokens])]

    return items, hits


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("greetings:\n  - hi\nemergency: : x\n", 3, "YAML syntax error"),
        ("greetings:\n  - hi\ngreeting:\n  - hello\n", 3, "unknown key"),
        ("synonyms:\n  landlord: vermieter\n  landlord: kaution\n", 3, "appears twice"),
        ("emergency:\n  - police\n  - po*\n", 3, "at least 3 letters"),
        ("emergency:\n  - po=lice\n", 2, "'=' goes before a word"),
        ("emergency:\n  - '?!'\n", 2, "contains no word"),
        ("emergency:\n  - police\n  - gas +\n", 3, "'+' joins two words"),
        ("emergency:\n  - " + "help " * 21 + "\n", 2, "at most 20 words"),
        ("emergency:\n  - fever|high-fever + limp\n", 2, "one word on each side of '|'"),
        ("emergency:\n  - fever|te* + limp\n", 2, "at least 3 letters"),
        ("synonyms:\n  landlord: ''\n", 2, "say which words it stands for"),
        ("spellings:\n  nich: nicht\n  dont know: do not\n", 3, "one word on each side"),
        ("stopwords: a b\nsuffixes: ing ed\n", 2, "for languages without a Snowball stemmer"),
        ("include: xx\n", 1, "not another language"),
        ("- just\n- a list\n", 1, "expected 'key: value' lines"),
    ],
)
def test_problems_name_file_and_line(
    library: Library, tmp_path: Path, text: str, line: int, message: str
) -> None:
    locales = write_vocabulary(tmp_path, "en", text)
    with pytest.raises(ContentError) as caught:
        load_lexicons(locales, library.catalog.languages)
    [problem] = caught.value.problems
    assert problem.file == "locales/en/search.yaml"
    assert problem.line == line
    assert message in problem.message


def test_words_joined_by_plus_match_anywhere_in_any_order(library: Library, tmp_path: Path) -> None:
    text = "emergency:\n  - gas + smell*\n  - help + help\n  - swollen + no air\n"
    items, hits = emergency_items(library, tmp_path, "en", text)
    assert [p.parts for p in items] == [(1, 1), (1, 1), (1, 2)]
    # Far apart and in the other order: an ordered phrase allows two words between.
    assert hits("it smells in the whole staircase very strongly of gas") == ["gas + smell*"]
    assert hits("gas everywhere, what a smell") == ["gas + smell*"]
    assert hits("my gas bill is too high") == []
    # Each side of the item needs a word of its own in the message.
    assert hits("help") == []
    assert hits("help me please help") == ["help + help"]
    # The words of one side keep their order.
    assert hits("no air, her face is swollen") == ["swollen + no air"]
    assert hits("air is swollen no") == []


def test_words_joined_by_a_bar_may_each_stand_in_one_place(
    library: Library, tmp_path: Path
) -> None:
    text = "emergency:\n  - fever|temp* + limp|floppy\n"
    [item], hits = emergency_items(library, tmp_path, "en", text)
    places = [[choice.text for choice in word.choices()] for word in item.words]
    assert places == [["fever", "temp"], ["limp", "floppy"]]
    # One item says what four pairs would: any word of each place, in any order.
    assert hits("baby has a fever and is so limp")
    assert hits("floppy, temperature 40")
    assert hits("she is floppy and has a fever")
    assert not hits("fever since monday")
    assert not hits("limp and floppy")  # each place needs a word of its own


def test_a_greeting_of_several_words_takes_out_only_its_own_place(
    library: Library, tmp_path: Path
) -> None:
    text = "greetings:\n  - hello\n  - german + bad|weak\n"
    locales = write_vocabulary(tmp_path, "en", text)
    answerer = Answerer(library.catalog, load_lexicons(locales, library.catalog.languages))
    assert answerer.answer("hello hello", "en").kind is AnswerKind.GREETING
    assert answerer.answer("my german is bad, sorry", "en").kind is AnswerKind.GREETING
    # The apology says nothing about the second "german": it is what the question is about.
    answer = answerer.answer("my german is weak, german lessons for free?", "en")
    assert answer.best is not None and answer.best.slug == "deutsch-lernen-kostenlos"


def test_numbers_count_for_the_emergency_words_only(library: Library, tmp_path: Path) -> None:
    locales = write_vocabulary(tmp_path, "en", "emergency:\n  - fever + =40\n")
    lexicons = load_lexicons(locales, library.catalog.languages)
    answerer = Answerer(library.catalog, lexicons)
    assert answerer.answer("baby fever 40,6 and so floppy", "en").kind is AnswerKind.EMERGENCY
    assert answerer.answer("my fever was 38 yesterday", "en").kind is not AnswerKind.EMERGENCY
    # The search itself still ignores numbers: "40" is not a word of any entry.
    assert answerer.answer("40", "en").kind is AnswerKind.NONE


def test_a_spelling_counts_in_the_word_lists_not_in_the_search(
    library: Library, tmp_path: Path
) -> None:
    text = "emergency:\n  - not breathing\n  - burnt\nspellings:\n  nit: not\n"
    locales = write_vocabulary(tmp_path, "en", text)
    answerer = Answerer(library.catalog, load_lexicons(locales, library.catalog.languages))
    assert answerer.answer("baby nit breathing", "en").kind is AnswerKind.EMERGENCY
    # The search reads the words as written: a spelling adds no entry's word to a question.
    assert answerer.answer("nit", "en").kind is AnswerKind.NONE


def test_a_word_written_as_it_sounds_meets_the_list_word(library: Library, tmp_path: Path) -> None:
    text = "emergency:\n  - fallen + treppe\n  - zu heiß + auto\n  - wenn + hilfe\n"
    _, hits = emergency_items(library, tmp_path, "de", text)
    assert hits("oma trepe falen")  # a doubled letter written once
    assert hits("baby auto zu heis")
    # Short words differ in meaning by one letter: "wen" (whom) is no "wenn" (if).
    assert not hits("wen hilfe")


def test_a_too_long_ending_points_at_a_mistake(library: Library, tmp_path: Path) -> None:
    locales = write_vocabulary(tmp_path, "uk", "suffixes: >-\n  ами ями\n  квартира: wohnung\n")
    with pytest.raises(ContentError) as caught:
        load_lexicons(locales, library.catalog.languages)
    assert "too long for a word ending" in str(caught.value)


def test_include_of_a_file_that_includes_is_refused(library: Library, tmp_path: Path) -> None:
    locales = write_vocabulary(tmp_path, "de", "include: en\n")
    write_vocabulary(tmp_path, "en", "include: it\n")
    write_vocabulary(tmp_path, "it", "stopwords: il\n")
    with pytest.raises(ContentError) as caught:
        load_lexicons(locales, library.catalog.languages)
    assert "include only plain files" in str(caught.value)


def test_a_synonym_for_a_word_no_entry_has_is_a_warning(library: Library, tmp_path: Path):
    locales = write_vocabulary(tmp_path, "en", "synonyms:\n  landlord: vermieterr\n")
    problems, warnings = check_vocabulary(locales, library.catalog)
    assert problems == []
    assert warnings == [
        "locales/en/search.yaml:2: 'landlord' stands for 'vermieterr', which no entry contains"
    ]


def test_content_check_reports_vocabulary_problems(content_copy: Path, tmp_path: Path) -> None:
    locales = content_copy.parent / "locales"
    path = locales / "fa" / "search.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "unknown_list: []\n", encoding="utf-8")
    env = {
        **os.environ,
        "WEGWEISER_CONTENT_DIR": str(content_copy),
        "WEGWEISER_LOCALES_DIR": str(locales),
        "WEGWEISER_DATA_DIR": str(tmp_path / "d"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "locales/fa/search.yaml:" in result.stdout
    assert "'unknown_list': unknown key" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_broken_vocabulary_keeps_the_last_good_library(content_copy: Path) -> None:
    from bot.library import LibraryHolder

    locales = content_copy.parent / "locales"
    holder = LibraryHolder(content_copy, locales)
    before = holder.current
    (locales / "en" / "search.yaml").write_text("greetings: [\n", encoding="utf-8")
    problems = holder.reload()
    assert problems and problems[0].file == "locales/en/search.yaml"
    assert holder.current is before


def test_a_new_language_needs_files_only(content_copy: Path) -> None:
    """Kurdish (Kurmanji): no Snowball stemmer, so its endings come from its file."""
    with (content_copy / "languages.yaml").open("a", encoding="utf-8") as fh:
        fh.write("- code: ku\n  fallback: en\n")
    entry = content_copy / "entries/wohnen/wohngeld"
    (entry / "ku.md").write_text(
        "---\ntitle: Alîkariya kirê (Wohngeld)\nquestions:\n  - alîkariya kirê\n"
        "  - kirê pir biha ye\n---\nWohngeld alîkariyek e ji bo kirê.\n",
        encoding="utf-8",
    )
    locales = content_copy.parent / "locales"
    write_vocabulary(
        content_copy.parent, "ku",
        "stopwords: ez tu ji bo li\ngreetings:\n  - silav\n  - rojbaş\n"
        "emergency:\n  - polîs\n  - ambulans\nout_of_scope:\n  - hewa\n"
        "synonyms:\n  xanî: wohnung\nsuffixes: an ên ê\n",
    )  # fmt: skip
    catalog = load_catalog(content_copy)
    answerer = Answerer(catalog, load_lexicons(locales, catalog.languages))
    assert answerer.answer("silav", "ku").kind is AnswerKind.GREETING
    assert answerer.answer("polîs lazim e", "ku").kind is AnswerKind.EMERGENCY
    assert answerer.answer("hewa çawa ye", "ku").kind is AnswerKind.NONE
    found = answerer.answer("alîkariyên kirê", "ku")  # "-ên" is cut by the Kurdish endings
    assert found.kind is AnswerKind.MATCH and found.best and found.best.slug == "wohngeld"
