"""UI strings from gettext catalogs (Babel), and locale-aware formatting.

Strings in the code are marked ``tr(language, "English text", name=value)``; the English
text is the message id. ``wegweiser locales update`` extracts them into
``locales/messages.pot`` and merges that into every ``locales/<code>/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.catalog.model import Language, OpeningHours

log = logging.getLogger(__name__)

DOMAIN = "messages"
# How the extractor finds UI strings: i18n.tr(language, "…"), a turn's t("…"), and
# N_("…") for strings translated later.
KEYWORDS = {"tr": (2,), "t": (1,), "N_": (1,)}


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where it is shown."""
    return message


def po_path(locales_dir: Path, code: str) -> Path:
    return locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> PoCatalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def _translations(path: Path, locale: str) -> Translations:
    catalog = read_catalog(path, locale)
    buffer = io.BytesIO()
    # Fuzzy entries are guesses by the merge tool, never shown to users.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@dataclass(frozen=True)
class I18n:
    """Translations and formatting for the catalog's languages, with their fallbacks."""

    languages: dict[str, Language]
    translations: dict[str, Translations]
    fallback_chains: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, locales_dir: Path, languages: Sequence[Language]) -> I18n:
        translations: dict[str, Translations] = {}
        for lang in languages:
            path = po_path(locales_dir, lang.code)
            if path.exists():
                translations[lang.code] = _translations(path, lang.locale)
            else:
                log.warning("no UI catalog for %s (%s)", lang.code, path)
        by_code = {lang.code: lang for lang in languages}
        chains: dict[str, tuple[str, ...]] = {}
        for lang in languages:
            chain: list[str] = []
            code: str | None = lang.code
            while code and code in by_code and code not in chain:
                chain.append(code)
                code = by_code[code].fallback
            chains[lang.code] = tuple(chain)
        return cls(by_code, translations, chains)

    def language(self, code: str) -> Language:
        return self.languages.get(code) or next(iter(self.languages.values()))

    def tr(self, language: str, message: str, /, **values: object) -> str:
        """``message`` in ``language`` (or its fallbacks, else the English id), formatted."""
        text = message
        for code in self.fallback_chains.get(language, ()):
            translations = self.translations.get(code)
            if translations is None:
                continue
            # GNUTranslations keeps only non-empty msgstrs, so membership means "translated".
            if message in translations._catalog:
                text = translations.gettext(message)
                break
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                # A broken placeholder in a translation must not silence the bot.
                log.error("bad placeholder in %s translation of %r", language, message)
                return message.format(**values)
        return text

    def locale(self, language: str) -> Locale:
        return Locale.parse(self.language(language).locale)

    def date(self, value: dt.date, language: str) -> str:
        return format_date(value, format="long", locale=self.locale(language))

    def opening_hours(self, hours: Iterable[OpeningHours], language: str) -> list[str]:
        """One line per rule, e.g. ``Mo.–Fr. 08:00–12:00, 13:00–15:30``."""
        locale = self.locale(language)
        names = locale.days["format"]["abbreviated"]
        lines = []
        for rule in hours:
            days = ", ".join(
                names[first] if first == last else f"{names[first]}–{names[last]}"
                for first, last in _runs(rule.days)
            )
            times = ", ".join(
                f"{format_time(r.start, 'short', locale=locale)}–"
                f"{format_time(r.end, 'short', locale=locale)}"
                for r in rule.hours
            )
            lines.append(f"{days} {times}")
        return lines


def _runs(days: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive weekdays joined: (0, 1, 2, 4) → [(0, 2), (4, 4)]; two days stay apart."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    result: list[tuple[int, int]] = []
    for first, last in runs:
        if last == first + 1:
            result.extend([(first, first), (last, last)])
        else:
            result.append((first, last))
    return result
