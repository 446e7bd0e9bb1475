"""UI strings, language names, directions, dates and opening hours per locale."""

from __future__ import annotations

import datetime as dt

from bot.catalog.model import OpeningHours
from bot.library import Library


def test_language_names_in_their_own_language(library: Library) -> None:
    names = {lang.code: lang.name for lang in library.catalog.languages}
    assert names["de"] == "Deutsch" and names["en"] == "English"


def test_translation_and_fallback(library: Library) -> None:
    i18n = library.i18n
    assert i18n.tr("de", "Back") == "Zurück"
    assert i18n.tr("en", "Back") == "Back"
    assert i18n.tr("de", "Checked on {date}.", date="1. Mai") == "Geprüft am 1. Mai."
    assert i18n.tr("xx", "Back") == "Back"  # an unknown language gets the message id


def test_dates_per_locale(library: Library) -> None:
    day = dt.date(2026, 11, 24)
    assert library.i18n.date(day, "de") == "24. November 2026"
    assert library.i18n.date(day, "en") == "November 24, 2026"


def test_opening_hours_per_locale(library: Library) -> None:
    rules = [
        OpeningHours.model_validate({"days": "Mo, Mi", "hours": "08:00-12:00, 13:00-15:30"}),
        OpeningHours.model_validate({"days": "Di, Do-Fr", "hours": "08:00-12:00"}),
        OpeningHours.model_validate({"days": "Mo-Fr", "hours": "09:00-15:00"}),
    ]
    de = library.i18n.opening_hours(rules, "de")
    assert de == ["Mo., Mi. 08:00–12:00, 13:00–15:30", "Di., Do., Fr. 08:00–12:00",
                  "Mo.–Fr. 09:00–15:00"]  # fmt: skip
    en = [line.replace("\u202f", " ") for line in library.i18n.opening_hours(rules, "en")]
    assert en[0] == "Mon, Wed 8:00 AM–12:00 PM, 1:00 PM–3:30 PM"
    assert en[2] == "Mon–Fri 9:00 AM–3:00 PM"
