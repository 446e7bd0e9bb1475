"""Translation status per language, for staff: what is missing, outdated or unreviewed.

An entry's translation is *outdated* when the German title or text changed after it was
made: its ``source_hash`` no longer equals the hash of the current source text.
Item names: entries by slug, ``field:<id>``, ``service:<id>`` and ``ui:<message>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.catalog.model import Catalog
from bot.i18n import po_path, read_catalog


@dataclass
class LanguageStatus:
    code: str
    name: str
    total: int = 0
    missing: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)
    unreviewed: list[str] = field(default_factory=list)
    # For outdated entries: the file to update and the hash to paste into it.
    fixes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.outdated)

    def as_json(self) -> dict[str, list[str]]:
        return {"missing": self.missing, "outdated": self.outdated, "unreviewed": self.unreviewed}


# A catalog whose Last-Translator says this was made by machine and awaits a person.
MACHINE_MARK = "machine"


def _ui_messages(
    locales_dir: Path, code: str, locale: str, wanted: set[str]
) -> tuple[set[str], bool, bool]:
    """Translated messages, whether the catalog exists, and whether it is machine-made."""
    path = po_path(locales_dir, code)
    if not path.exists():
        return set(), False, False
    catalog = read_catalog(path, locale)
    done = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    machine = MACHINE_MARK in (catalog.last_translator or "").lower()
    return done & wanted, True, machine


def translation_status(
    catalog: Catalog, locales_dir: Path | None = None, ui_messages: set[str] | None = None
) -> dict[str, LanguageStatus]:
    """Status of every language but the source one, in the order of languages.yaml."""
    source = catalog.source_language
    report: dict[str, LanguageStatus] = {}
    for lang in catalog.languages:
        if lang.code == source:
            continue
        status = LanguageStatus(lang.code, lang.name)
        for entry in sorted(catalog.entries.values(), key=lambda e: (e.field or "", e.slug)):
            status.total += 1
            text = entry.texts.get(lang.code)
            if text is None:
                status.missing.append(entry.slug)
                continue
            if text.source_hash != entry.source_hash:
                status.outdated.append(entry.slug)
                status.fixes[entry.slug] = (text.path, entry.source_hash)
            if not text.reviewed:
                status.unreviewed.append(entry.slug)
        for fld in catalog.fields:
            status.total += 1
            if not fld.names.get(lang.code):
                status.missing.append(f"field:{fld.id}")
            elif lang.code in fld.unreviewed:
                status.unreviewed.append(f"field:{fld.id}")
        for service in sorted(catalog.services.values(), key=lambda s: s.id):
            texts = [t for t in (service.description, service.hours_note) if t.get(source)]
            if not texts:
                continue
            status.total += 1
            if any(not t.get(lang.code) for t in texts):
                status.missing.append(f"service:{service.id}")
            elif lang.code in service.unreviewed:
                status.unreviewed.append(f"service:{service.id}")
        if locales_dir is not None and ui_messages:
            done, exists, machine = _ui_messages(locales_dir, lang.code, lang.locale, ui_messages)
            status.total += len(ui_messages)
            status.missing += [f"ui:{m}" for m in sorted(ui_messages - done)]
            if not exists:
                status.missing.append("ui catalog")
            elif machine:
                status.unreviewed.append("ui catalog")
        report[lang.code] = status
    return report


def format_status(report: dict[str, LanguageStatus]) -> str:
    lines: list[str] = []
    for status in report.values():
        state = "complete" if status.complete else "incomplete"
        lines.append(
            f"{status.code} ({status.name}): {state} – {len(status.missing)} missing, "
            f"{len(status.outdated)} outdated, {len(status.unreviewed)} unreviewed"
        )
        for item in status.missing:
            lines.append(f"    missing     {item}")
        for item in status.outdated:
            path, new_hash = status.fixes[item]
            lines.append(
                f'    outdated    {item}: update {path}, then set source_hash: "{new_hash}"'
            )
        if status.unreviewed:
            lines.append(f"    unreviewed  {', '.join(status.unreviewed)}")
    return "\n".join(lines)
