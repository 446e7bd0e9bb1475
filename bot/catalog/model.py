"""The content model: what town staff write in ``content/``, validated with pydantic.

The loaded ``Catalog`` is immutable; a reload builds a new one and swaps it in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LANG_RE = r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$"

WEEKDAYS = {
    # German and English abbreviations and names, as staff may write them; Monday is 0.
    "mo": 0, "mon": 0, "montag": 0, "monday": 0,
    "di": 1, "tu": 1, "tue": 1, "dienstag": 1, "tuesday": 1,
    "mi": 2, "we": 2, "wed": 2, "mittwoch": 2, "wednesday": 2,
    "do": 3, "th": 3, "thu": 3, "donnerstag": 3, "thursday": 3,
    "fr": 4, "fri": 4, "freitag": 4, "friday": 4,
    "sa": 5, "sat": 5, "samstag": 5, "saturday": 5,
    "so": 6, "su": 6, "sun": 6, "sonntag": 6, "sunday": 6,
}  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LanguageSpec(_Strict):
    """One line of ``languages.yaml``."""

    code: str = Field(pattern=LANG_RE)
    locale: str | None = None  # Babel locale for names, dates and direction; defaults to code
    name: str | None = None  # overrides Babel's own-language name (e.g. simple German)
    fallback: str | None = None  # language shown where a text is missing
    stemmer: str | None = None  # Snowball algorithm name; guessed from the locale if empty


class TownSpec(_Strict):
    """``town.yaml``: what the bot says about the place it serves."""

    name: str = Field(min_length=1)
    website: HttpUrl | None = None


class FieldSpec(_Strict):
    """A field of action ("Handlungsfeld") in ``fields.yaml``."""

    icon: str = ""
    name: dict[str, str]
    unreviewed: list[str] = []  # languages whose name was machine-translated, not yet checked


class TimeRange(_Strict):
    start: dt.time
    end: dt.time


def _parse_days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in re.split(r"\s*,\s*", text.strip().lower()):
        bounds = [p.strip().rstrip(".") for p in re.split(r"\s*[-–]\s*", part)]
        if not part or len(bounds) > 2 or any(b not in WEEKDAYS for b in bounds):
            raise ValueError(
                f"'{part}' is not a weekday or range of weekdays (e.g. 'Mo-Fr', 'Mo, Mi')"
            )
        first, last = WEEKDAYS[bounds[0]], WEEKDAYS[bounds[-1]]
        if last < first:
            raise ValueError(f"the range '{part}' runs backwards")
        days.extend(d for d in range(first, last + 1) if d not in days)
    return tuple(sorted(days))


def _parse_ranges(text: str) -> tuple[TimeRange, ...]:
    ranges: list[TimeRange] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        match = re.fullmatch(r"(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})", part)
        if not match:
            raise ValueError(f"'{part}' is not a time range like '08:00-12:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise ValueError(f"'{part}' contains an impossible time") from None
        if end <= start:
            raise ValueError(f"'{part}' ends before it starts")
        ranges.append(TimeRange(start=start, end=end))
    return tuple(ranges)


class OpeningHours(_Strict):
    """``days: Mo-Fr`` and ``hours: "08:00-12:00, 13:00-15:30"`` as written by staff."""

    days: tuple[int, ...]
    hours: tuple[TimeRange, ...]

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: object) -> object:
        return _parse_days(value) if isinstance(value, str) else value

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, int):
            raise ValueError('write the hours in quotes, e.g. "08:00-12:00"')
        return _parse_ranges(value) if isinstance(value, str) else value


class Service(_Strict):
    """A responsible office or helpline, from ``services/<id>.yaml``."""

    id: str = Field(pattern=SLUG_RE)
    name: str = Field(min_length=1)
    description: dict[str, str] = {}
    address: str | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ()/-]*[0-9]$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    website: HttpUrl | None = None
    booking: HttpUrl | None = None  # online appointment booking
    opening_hours: tuple[OpeningHours, ...] = ()
    hours_note: dict[str, str] = {}  # e.g. "appointments only", per language
    languages: tuple[str, ...] = ()  # languages spoken there, as codes
    sources: tuple[HttpUrl | str, ...] = Field(min_length=1)
    checked: dt.date
    verified: bool = False
    unreviewed: tuple[str, ...] = ()  # languages whose description is machine-made, unchecked

    @property
    def tel_uri(self) -> str | None:
        """The number in a form phones dial; German area codes become +49."""
        if not self.phone:
            return None
        digits = re.sub(r"[^0-9+]", "", self.phone)
        if digits.startswith("0") and not digits.startswith("00") and len(digits) > 6:
            digits = "+49" + digits[1:]
        return "tel:" + digits


class EntrySource(_Strict):
    """Front matter of an entry's source-language file (``de.md``)."""

    title: str = Field(min_length=1)
    questions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    sources: tuple[HttpUrl | str, ...] = Field(min_length=1)
    checked: dt.date
    verified: bool = False
    emergency: bool = False
    when_unsure: bool = False  # offered when the bot cannot answer a question
    order: int = 100


class EntryTranslation(_Strict):
    """Front matter of a translation (``en.md``, ``ar.md``, …)."""

    title: str = Field(min_length=1)
    questions: tuple[str, ...] = ()
    source_hash: str | None = None  # hash of the source text this translation was made from
    machine_translated: bool = False
    reviewed: bool = False


@dataclass(frozen=True)
class EntryText:
    """The text of one entry in one language."""

    language: str
    title: str
    questions: tuple[str, ...]
    body: str
    path: str  # relative to the content directory, for messages to staff
    source_hash: str | None = None
    machine_translated: bool = False
    reviewed: bool = True


def text_hash(title: str, body: str) -> str:
    """A short, stable fingerprint of a source text; whitespace changes do not count."""
    normal = " ".join(title.split()) + "\n" + " ".join(body.split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    slug: str
    field: str | None  # None for entries outside the fields (the emergency card)
    meta: EntrySource
    texts: dict[str, EntryText]  # by language code; the source language is always present
    source_language: str

    @property
    def source(self) -> EntryText:
        return self.texts[self.source_language]

    @cached_property
    def source_hash(self) -> str:
        return text_hash(self.source.title, self.source.body)


@dataclass(frozen=True)
class Language:
    code: str
    locale: str
    name: str  # in the language itself
    rtl: bool
    fallback: str | None
    stemmer: str | None


@dataclass(frozen=True)
class FieldOfAction:
    id: str
    icon: str
    names: dict[str, str]
    unreviewed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Everything loaded from ``content/``: immutable, shared by all conversations."""

    languages: tuple[Language, ...]
    fields: tuple[FieldOfAction, ...]
    entries: dict[str, Entry]
    services: dict[str, Service]
    town: str = ""
    directory: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def source_language(self) -> str:
        return self.languages[0].code

    @cached_property
    def language_by_code(self) -> dict[str, Language]:
        return {lang.code: lang for lang in self.languages}

    @cached_property
    def field_by_id(self) -> dict[str, FieldOfAction]:
        return {f.id: f for f in self.fields}

    @cached_property
    def emergency(self) -> Entry | None:
        return next((e for e in self.entries.values() if e.meta.emergency), None)

    @cached_property
    def when_unsure(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries.values() if e.meta.when_unsure)

    def entries_in(self, field_id: str) -> list[Entry]:
        found = [e for e in self.entries.values() if e.field == field_id]
        return sorted(found, key=lambda e: (e.meta.order, e.slug))

    def fallbacks(self, language: str) -> list[str]:
        """The languages to try, in order, for a text wanted in ``language``."""
        chain: list[str] = []
        code: str | None = language
        while code and code not in chain and code in self.language_by_code:
            chain.append(code)
            code = self.language_by_code[code].fallback
        if self.source_language not in chain:
            chain.append(self.source_language)
        return chain

    def text(self, entry: Entry, language: str) -> EntryText:
        for code in self.fallbacks(language):
            if code in entry.texts:
                return entry.texts[code]
        return entry.source

    def pick(self, texts: dict[str, str], language: str) -> str:
        """A per-language string from a ``{lang: text}`` mapping, with fallbacks."""
        for code in self.fallbacks(language):
            if texts.get(code):
                return texts[code]
        return next(iter(texts.values()), "")

    def field_name(self, field_id: str, language: str) -> str:
        return self.pick(self.field_by_id[field_id].names, language)
