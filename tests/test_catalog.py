"""The shipped content loads, and broken content is reported with file and line."""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest

from bot.answer.normalise import fold
from bot.catalog.loader import ContentError, load_catalog
from bot.library import Library, LibraryHolder

SLUGS = {
    "verwaltung": ["anmeldung", "aufenthalt", "einbuergerung", "behoerdenbriefe",
                   "migrationsberatung"],
    "sprache": ["integrationskurs", "berufssprachkurs", "deutsch-lernen-kostenlos", "dolmetscher",
                "sprachfoerderung-kinder"],
    "arbeit": ["jobsuche", "anerkennung", "arbeitserlaubnis", "ausbildung", "buergergeld"],
    "wohnen": ["wohnungssuche", "wohnberechtigungsschein", "wohngeld", "mietrecht",
               "wohnungslosigkeit"],
    "ehrenamt": ["ehrenamt-engagieren", "ehrenamt-hilfe", "vereine-freizeit"],
}  # fmt: skip


def test_shipped_content_has_the_fields_and_stable_slugs(library: Library) -> None:
    catalog = library.catalog
    assert [f.id for f in catalog.fields] == list(SLUGS)
    for field_id, slugs in SLUGS.items():
        assert sorted(e.slug for e in catalog.entries_in(field_id)) == sorted(slugs)
    assert catalog.emergency is not None and catalog.emergency.slug == "notfall"
    assert catalog.emergency.field is None
    assert set(catalog.entries) == {s for slugs in SLUGS.values() for s in slugs} | {"notfall"}


def test_every_entry_is_sourced_and_in_german_and_english(library: Library) -> None:
    for entry in library.catalog.entries.values():
        assert {"de", "en"} <= set(entry.texts), entry.slug
        assert entry.meta.sources and entry.meta.checked, entry.slug
        assert entry.meta.services, f"{entry.slug} names no responsible service"
        assert entry.texts["en"].source_hash == entry.source_hash, f"{entry.slug}: en outdated"
    for service in library.catalog.services.values():
        assert service.sources and service.checked


def test_emergency_card_has_the_numbers(library: Library) -> None:
    emergency = library.catalog.emergency
    assert emergency is not None
    phones = {library.catalog.services[s].phone for s in emergency.meta.services}
    assert {"110", "112", "116 117", "116 016"} <= {p.replace(" ", " ") for p in phones if p}
    assert any(p and p.startswith("0800 111 0") for p in phones)  # TelefonSeelsorge


def _break(content: Path, relative: str, old: str, new: str) -> Path:
    path = content / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _problems(content: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_catalog(content)
    return [str(p) for p in info.value.problems]


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_missing_title_names_file_and_line(content_copy: Path) -> None:
    path = content_copy / "entries/wohnen/wohngeld/de.md"
    title = next(line for line in path.read_text().splitlines() if line.startswith("title:"))
    _break(content_copy, "entries/wohnen/wohngeld/de.md", title + "\n", "")
    problems = _problems(content_copy)
    assert len(problems) == 1
    assert problems[0].startswith("content/entries/wohnen/wohngeld/de.md:")
    assert "'title'" in problems[0] and "missing" in problems[0]


def test_unknown_service_names_the_line(content_copy: Path) -> None:
    path = content_copy / "entries/wohnen/wohngeld/de.md"
    _break(
        content_copy,
        "entries/wohnen/wohngeld/de.md",
        "services:\n",
        "services:\n  - amt-fuer-nichts\n",
    )
    problems = _problems(content_copy)
    line = _line_of(path, "amt-fuer-nichts")
    assert problems == [
        f"content/entries/wohnen/wohngeld/de.md:{line}: unknown service 'amt-fuer-nichts' "
        "(no services/amt-fuer-nichts.yaml)"
    ]


def test_yaml_syntax_error_names_the_line(content_copy: Path) -> None:
    path = content_copy / "services/jobcenter-ried.yaml"
    path.write_text(path.read_text() + "oops: [unclosed\n", encoding="utf-8")
    problems = _problems(content_copy)
    assert len(problems) == 1
    assert problems[0].startswith("content/services/jobcenter-ried.yaml:")
    assert "YAML syntax error" in problems[0]
    reported = int(problems[0].split(":")[1])
    assert reported >= _line_of(path, "oops")


def test_duplicate_slug_is_reported(content_copy: Path) -> None:
    shutil.copytree(
        content_copy / "entries/wohnen/wohngeld", content_copy / "entries/arbeit/wohngeld"
    )
    problems = _problems(content_copy)
    assert len(problems) == 1
    assert "duplicate slug 'wohngeld'" in problems[0]
    assert "entries/wohnen/wohngeld" in problems[0]


def test_bad_opening_hours_and_date_are_explained(content_copy: Path) -> None:
    path = content_copy / "services/beispiel.yaml"
    path.write_text(
        "name: Beispielamt\n"
        "sources: [https://example.org]\n"
        "checked: 2026-13-45\n"
        "opening_hours:\n"
        "  - days: Mo-Xy\n"
        "    hours: 8:30\n"
        "  - days: Di\n"
        "    hours: 14:00-09:00\n",
        encoding="utf-8",
    )
    problems = _problems(content_copy)
    assert problems == [
        "content/services/beispiel.yaml:3: 'checked': Input should be a valid date or datetime, "
        "month value is outside expected range of 1-12",
        "content/services/beispiel.yaml:5: 'opening_hours.0.days': 'mo-xy' is not a weekday or "
        "range of weekdays (e.g. 'Mo-Fr', 'Mo, Mi')",
        "content/services/beispiel.yaml:6: 'opening_hours.0.hours': write the hours in quotes, "
        'e.g. "08:00-12:00"',
        "content/services/beispiel.yaml:8: 'opening_hours.1.hours': '14:00-09:00' ends before "
        "it starts",
    ]


def test_unknown_key_is_a_clear_error(content_copy: Path) -> None:
    path = content_copy / "services/bamf.yaml"
    path.write_text(path.read_text() + "telefon: 123\n")
    problems = _problems(content_copy)
    line = _line_of(path, "telefon:")
    assert problems == [f"content/services/bamf.yaml:{line}: 'telefon': unknown key "
                        "(check the spelling; see content/README.md)"]  # fmt: skip


def test_loaded_content_is_kept_out_of_full_collections(content_copy: Path) -> None:
    class Node:
        pass

    cycle = Node()
    cycle.me = cycle  # type: ignore[attr-defined]
    gone = weakref.ref(cycle)
    holder = LibraryHolder(content_copy, content_copy.parent / "locales")
    assert gc.get_freeze_count() > 100_000  # the index and the word lists
    del cycle  # garbage now, but frozen with everything the load kept alive
    gc.collect()
    assert gone() is not None
    # The next load collects what was frozen before: nothing stays for good.
    assert holder.reload() == []
    assert gone() is None


def test_a_load_leaves_no_word_cache_behind(content_copy: Path) -> None:
    LibraryHolder(content_copy, content_copy.parent / "locales")
    assert fold.cache_info().currsize == 0  # every word of the lists passed through it
    assert fold("bürgergeld") == "burgergeld"  # and it still works, filling again


def test_reload_keeps_the_last_good_content(content_copy: Path) -> None:
    holder = LibraryHolder(content_copy, content_copy.parent / "locales")
    good = holder.current
    path = content_copy / "services/bamf.yaml"
    original = path.read_text()
    path.write_text("name: [broken\n")
    assert holder.changed()
    problems = holder.reload()
    assert problems and problems[0].file == "content/services/bamf.yaml"
    assert holder.current is good  # still serving
    path.write_text(original.replace("BAMF", "BAMF (neu)", 1))
    assert holder.reload() == []
    assert holder.current is not good
