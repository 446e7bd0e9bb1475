"""Twelve languages: complete catalogs, right-to-left rendering, translation status, and
adding a language with files only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.adapters.plain import render_turn
from bot.bidi import LRI, PDI, RLM, isolate_ltr, rtl_lines
from bot.catalog.loader import load_catalog
from bot.catalog.status import translation_status
from bot.conversation import Conversation
from bot.library import Library, LibraryHolder
from bot.locales import check, extract_template
from bot.replies import EntryAnswer, Menu
from bot.store import Store
from tests.conftest import CONTENT, LOCALES, ROOT, Chat
from tests.test_cli import wegweiser

LANGUAGES = ["de", "de-simple", "en", "tr", "pl", "ro", "it", "bg", "ar", "fa", "uk", "ru"]


def test_the_twelve_languages_are_offered_by_their_own_names(library: Library) -> None:
    languages = library.catalog.languages
    assert [lang.code for lang in languages] == LANGUAGES
    names = {lang.code: lang.name for lang in languages}
    assert names["tr"] == "Türkçe" and names["ar"] == "العربية" and names["uk"] == "Українська"
    assert names["de-simple"] == "Einfaches Deutsch"
    assert {lang.code for lang in languages if lang.rtl} == {"ar", "fa"}


def test_every_ui_catalog_is_complete(library: Library) -> None:
    problems = check(LOCALES, list(library.catalog.languages), ROOT)
    assert [str(p) for p in problems] == []


def test_every_entry_field_and_service_text_is_translated(library: Library) -> None:
    report = translation_status(library.catalog)
    assert {code: s.missing for code, s in report.items() if s.missing} == {}
    assert {code: s.outdated for code, s in report.items() if s.outdated} == {}


def _english_leftovers(text: str) -> list[str]:
    """UI message ids (long enough to be unambiguous) that appear untranslated in ``text``."""
    ids = [str(m.id) for m in extract_template() if m.id and len(str(m.id)) > 12]
    return [i for i in ids if "{" not in i and i in text]


@pytest.mark.parametrize("code", LANGUAGES)
async def test_start_menu_entry_and_service_card_in_every_language(
    conversation: Conversation, code: str
) -> None:
    chat = Chat(conversation, user_id=f"lang-{code}")
    [home] = await chat.send(f"/start {code}")
    assert isinstance(home, Menu) and home.language == code
    [field] = await chat.tap("f:arbeit")
    assert isinstance(field, Menu)
    [answer] = await chat.tap("e:jobsuche")
    assert isinstance(answer, EntryAnswer) and answer.language == code
    assert answer.cards and answer.cards[0].name
    text = "\n".join(render_turn([home, field, answer]))
    if code != "en":
        assert _english_leftovers(text) == []
    # "Checked on …", and for every machine-made translation the note that says so.
    assert len(answer.notes) == (1 if code == "de" else 2)
    if answer.rtl:
        assert all(line.startswith(RLM) for line in text.split("\n") if line.strip())


def test_isolates_keep_numbers_urls_and_german_names_intact() -> None:
    sentence = (
        "اتصل بـ Jobcenter Ried على +49 911 943-0 أو https://www.bamf.de أو info@neue-wege.org"
    )
    isolated = isolate_ltr(sentence)
    assert f"{LRI}Jobcenter Ried{PDI}" in isolated
    assert f"{LRI}+49 911 943-0{PDI}" in isolated
    assert f"{LRI}https://www.bamf.de{PDI}" in isolated
    assert f"{LRI}info@neue-wege.org{PDI}" in isolated
    assert isolate_ltr(isolated) == isolated  # idempotent
    # Brackets stay outside the isolate, so the Arabic sentence mirrors them correctly.
    assert isolate_ltr("السكن (Wohngeld)") == f"السكن ({LRI}Wohngeld{PDI})"
    assert isolate_ltr("في Lampertheim.") == f"في {LRI}Lampertheim{PDI}."
    assert isolated.replace(LRI, "").replace(PDI, "") == sentence  # nothing else changes
    lines = rtl_lines("سطر\n\nسطر 2\nVHS 06206").split("\n")
    assert lines == [RLM + "سطر", "", RLM + "سطر 2", RLM + LRI + "VHS 06206" + PDI]


async def test_arabic_service_card_renders_right_to_left(conversation: Conversation) -> None:
    chat = Chat(conversation, user_id="ar-card")
    await chat.send("/start ar")
    [answer] = await chat.tap("e:integrationskurs")
    assert isinstance(answer, EntryAnswer) and answer.rtl and answer.language == "ar"
    [text] = render_turn([answer])
    bamf = next(c for c in answer.cards if c.phone == "+49 911 943-0")
    assert bamf.phone and f"{LRI}{bamf.phone}{PDI}" in text
    assert f"{LRI}https://www.bamf.de" in text


def _change_german_text(content: Path, relative: str) -> None:
    path = content / relative
    path.write_text(path.read_text(encoding="utf-8") + "\n5. Ein neuer Schritt.\n", "utf-8")


def test_outdated_after_the_german_text_changes(content_copy: Path) -> None:
    before = translation_status(load_catalog(content_copy))
    assert all("wohngeld" not in s.outdated for s in before.values())
    _change_german_text(content_copy, "entries/wohnen/wohngeld/de.md")
    after = translation_status(load_catalog(content_copy))
    for code, status in after.items():
        assert status.outdated == ["wohngeld"], code
        path, new_hash = status.fixes["wohngeld"]
        assert path == f"content/entries/wohnen/wohngeld/{code}.md"
        assert new_hash == load_catalog(content_copy).entries["wohngeld"].source_hash
    # Bringing a translation up to date is a one-line change: paste the new hash.
    tr = content_copy / "entries/wohnen/wohngeld/tr.md"
    new_hash = after["tr"].fixes["wohngeld"][1]
    tr.write_text(re.sub(r'source_hash: "?\w+"?', f'source_hash: "{new_hash}"', tr.read_text()))
    assert "wohngeld" not in translation_status(load_catalog(content_copy))["tr"].outdated


def test_reviewing_a_translation_is_one_line(content_copy: Path) -> None:
    assert "wohngeld" in translation_status(load_catalog(content_copy))["pl"].unreviewed
    pl = content_copy / "entries/wohnen/wohngeld/pl.md"
    pl.write_text(pl.read_text().replace("reviewed: false", "reviewed: true", 1))
    assert "wohngeld" not in translation_status(load_catalog(content_copy))["pl"].unreviewed


def test_status_json_and_check_warning_through_the_command(content_copy: Path, tmp_path) -> None:
    _change_german_text(content_copy, "entries/arbeit/jobsuche/de.md")
    env = {"WEGWEISER_CONTENT_DIR": str(content_copy), "WEGWEISER_DATA_DIR": str(tmp_path / "d"),
           "WEGWEISER_LOCALES_DIR": str(content_copy.parent / "locales")}  # fmt: skip
    result = wegweiser("content", "status", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == set(LANGUAGES) - {"de"}
    for status in report.values():
        assert set(status) == {"missing", "outdated", "unreviewed"}
        assert status["outdated"] == ["jobsuche"]
    check_result = wegweiser("content", "check", env=env)
    assert check_result.returncode == 0
    assert "warning: content/entries/arbeit/jobsuche/tr.md: outdated" in check_result.stdout


async def test_a_new_language_needs_files_only(content_copy: Path, tmp_path: Path) -> None:
    locales = content_copy.parent / "locales"
    with (content_copy / "languages.yaml").open("a", encoding="utf-8") as fh:
        fh.write("- code: ku\n  fallback: en\n")
    (locales / "ku/LC_MESSAGES").mkdir(parents=True)
    po = (locales / "en/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    po = po.replace('msgstr "Back"', 'msgstr "Paşve"').replace("Language: en", "Language: ku")
    (locales / "ku/LC_MESSAGES/messages.po").write_text(po, encoding="utf-8")
    source = content_copy / "entries/wohnen/wohngeld"
    en = (source / "en.md").read_text(encoding="utf-8")
    (source / "ku.md").write_text(en.replace("title: ", "title: Alîkariya kirê – ", 1), "utf-8")

    library = Library.load(content_copy, locales)
    assert library.catalog.language_by_code["ku"].name.lower().startswith("kurdî")
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'ku.db'}", b"k")
    await store.open()
    try:
        chat = Chat(Conversation(LibraryHolder(content_copy, locales), store), user_id="ku")
        [menu] = await chat.send("/language")
        assert "l:ku" in [o.code for o in menu.options]
        await chat.tap("l:ku")
        [answer] = await chat.send("/start ku_wohngeld")
        assert isinstance(answer, EntryAnswer) and answer.title.startswith("Alîkariya kirê")
        assert answer.options[0].label.endswith("Paşve")
    finally:
        await store.close()
    status = translation_status(library.catalog)["ku"]
    assert "wohngeld" not in status.missing and "anmeldung" in status.missing


def test_language_names_file_and_babel_agree() -> None:
    text = (CONTENT / "languages.yaml").read_text(encoding="utf-8")
    for code in LANGUAGES:
        assert f"- code: {code}\n" in text


async def test_a_question_in_another_language_is_answered_in_it_with_an_offer(
    conversation: Conversation,
) -> None:
    chat = Chat(conversation, user_id="switch")
    await chat.send("/start de")
    replies = await chat.send("oturma iznimi nasıl uzatabilirim, vizem bitiyor")
    answer, offer = replies
    assert isinstance(answer, EntryAnswer) and answer.slug == "aufenthalt"
    assert answer.language == "tr"
    assert [o.code for o in offer.options] == ["s:tr"] and offer.language == "tr"
    [home] = await chat.tap("s:tr")
    assert home.language == "tr"
    [menu] = await chat.send("/menu")
    assert menu.language == "tr"
