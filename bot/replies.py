"""Platform-neutral replies. The Conversation returns them; each adapter renders them.

Texts here are plain, unescaped text: escaping is the adapter's job, because only it
knows its markup (Telegram HTML, Matrix HTML, the console's none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Option codes are short and stable, so Telegram buttons (64 bytes of callback data)
# and numbered Matrix menus keep working after a restart or a content reload.
HOME = "home"
BACK = "back"
LANGUAGE = "language"
HELP = "help"
EMERGENCY = "sos"
# The fixed navigation options, as against topics, entries and languages.
NAV_CODES = frozenset({HOME, BACK, LANGUAGE, HELP, EMERGENCY})


def lang_code(code: str) -> str:
    return f"l:{code}"


def field_code(field_id: str) -> str:
    return f"f:{field_id}"


def entry_code(slug: str) -> str:
    return f"e:{slug}"


def switch_code(code: str) -> str:
    return f"s:{code}"


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Reply:
    language: str
    rtl: bool


@dataclass(frozen=True)
class Text(Reply):
    text: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Menu(Reply):
    """A question with options: buttons on Telegram, numbered lines elsewhere."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class ServiceCard:
    name: str
    description: str = ""
    address: str | None = None
    map_url: str | None = None
    phone: str | None = None
    tel_uri: str | None = None
    email: str | None = None
    website: str | None = None
    booking: str | None = None
    hours: tuple[str, ...] = ()
    hours_note: str = ""
    # Already translated labels, so adapters need no catalog of their own.
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EntryAnswer(Reply):
    """An entry's answer: title, short steps, the responsible services, trust notes."""

    slug: str
    title: str
    body: str
    cards: tuple[ServiceCard, ...]
    notes: tuple[str, ...]  # "checked on …", "machine translation, not yet reviewed"
    options: tuple[Option, ...] = ()
    emergency: bool = False
