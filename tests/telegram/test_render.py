"""Telegram HTML rendering without any network: escaping, cards, splitting, buttons."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.telegram_render import (
    MAX_CALLBACK_BYTES,
    MAX_MESSAGE_CHARS,
    Outgoing,
    button_rows,
    display_phone,
    render,
    visible_length,
)
from bot.bidi import LRI, PDI, RLM
from bot.library import Library
from bot.replies import (
    EntryAnswer,
    Menu,
    Option,
    ServiceCard,
    Text,
    entry_code,
    field_code,
    lang_code,
)

_OPEN = re.compile(r'<(b|i)>|<a href="[^"<>]*">')
_ANY_TAG = re.compile(r"</?[a-z]+(?: [^<>]*)?>")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);")
_BIDI = re.compile(f"[{RLM}{LRI}{PDI}]")


def check_markup(markup: str) -> str:
    """Assert that ``markup`` is balanced Telegram HTML with nothing unescaped; return its text."""
    stack: list[str] = []
    for match in _ANY_TAG.finditer(markup):
        tag = match.group(0)
        if tag.startswith("</"):
            assert stack and stack.pop() == tag[2:-1], markup
        else:
            assert _OPEN.fullmatch(tag), tag
            stack.append("a" if tag.startswith("<a") else tag[1:-1])
    assert not stack, markup
    text = _ANY_TAG.sub("", markup)
    assert "<" not in text and ">" not in text, markup
    assert "&" not in _ENTITY.sub("", text), markup
    return html.unescape(text)


def words(text: str) -> list[str]:
    return _BIDI.sub("", text).split()


def card(**changes: object) -> ServiceCard:
    values: dict[str, object] = {
        "name": "Migrationsberatung <Caritas> & Co",
        "address": "Domgasse 2, 68623 Lampertheim",
        "map_url": "https://www.openstreetmap.org/search?query=Domgasse+2&x=<1>",
        "phone": "06206 935-472",
        "tel_uri": "tel:+496206935472",
        "email": "migration@example.org",
        "website": "https://www.example.org/beratung?a=1&b=2",
        "booking": "https://termine.example.org/",
        "hours": ("Mo.–Fr. 08:00–12:00",),
        "labels": {"phone": "Telefon", "map": "Karte", "website": "Website"},
    }
    return ServiceCard(**{**values, **changes})  # type: ignore[arg-type]


def answer(rtl: bool = False, body: str = "Schritt 1.\n\nSchritt 2.") -> EntryAnswer:
    return EntryAnswer(
        language="ar" if rtl else "de",
        rtl=rtl,
        slug="wohngeld",
        title="Wohngeld <b>",
        body=body,
        cards=(card(),),
        notes=("Geprüft am 24. November 2026.",),
        options=(Option("back", "Zurück"), Option("home", "Start")),
    )


def test_service_card_is_tappable_and_escaped() -> None:
    [message] = render(answer())
    text = check_markup(message.html)
    assert "<b>Migrationsberatung &lt;Caritas&gt; &amp; Co</b>" in message.html
    assert "Telefon: +49 6206 935-472" in text  # international form: apps make it tappable
    assert "tel:" not in message.html  # Telegram's HTML has no tel: links
    assert "migration@example.org" in text  # plain: Telegram links e-mail addresses itself
    assert '<a href="https://www.example.org/beratung?a=1&amp;b=2">www.example.org</a>' in (
        message.html
    )
    assert '<a href="https://www.openstreetmap.org/search?query=Domgasse+2&amp;x=&lt;1&gt;">' in (
        message.html
    )
    assert "🗺️ Karte</a>" in message.html
    assert message.html.startswith("<b>Wohngeld &lt;b&gt;</b>\n\nSchritt 1.\n\nSchritt 2.")
    assert message.options == answer().options


def test_an_answer_rendered_again_is_the_same_and_others_stay_apart() -> None:
    first, second = answer(body="Eins."), answer(body="Zwei.")
    for _ in range(2):
        assert "Eins." in render(first)[0].html and "Zwei." not in render(first)[0].html
        assert "Zwei." in render(second)[0].html
    kept = render(first)
    kept.clear()  # a caller changing its list changes nothing for the next one
    assert render(first)


def test_right_to_left_answer_isolates_left_to_right_pieces() -> None:
    [message] = render(answer(rtl=True, body="اتصل على 06206 935-472 أو www.example.org"))
    lines = [line for line in message.html.split("\n") if line.strip()]
    assert all(line.startswith(RLM) for line in lines)
    assert f"{LRI}06206 935-472{PDI}" in message.html
    assert f'<a href="https://www.example.org/beratung?a=1&amp;b=2">{LRI}' in message.html
    check_markup(message.html)


def test_phone_numbers_for_telegram() -> None:
    assert display_phone(card()) == "+49 6206 935-472"
    assert display_phone(card(phone="0800 111 0 111", tel_uri="tel:+498001110111")) == (
        "+49 800 111 0 111"
    )
    assert display_phone(card(phone="112", tel_uri="tel:112")) == "112"
    assert display_phone(card(phone="+49 30 1815-1111", tel_uri="tel:+493018151111")) == (
        "+49 30 1815-1111"
    )


def test_long_answer_splits_between_blocks_only() -> None:
    paragraphs = [f"Absatz {n}: " + "wort & <x> " * 80 for n in range(10)]
    many = EntryAnswer(
        language="de", rtl=False, slug="x", title="Titel", body="\n\n".join(paragraphs),
        cards=tuple(card(name=f"Stelle {i}") for i in range(12)), notes=("Hinweis",),
        options=(Option("home", "Start"),),
    )  # fmt: skip
    messages = render(many)
    assert len(messages) >= 4
    texts = [check_markup(m.html) for m in messages]
    assert all(visible_length(m.html) <= MAX_MESSAGE_CHARS for m in messages)
    for paragraph in paragraphs:  # never split inside a paragraph that fits a message
        assert sum(paragraph.strip() in t for t in texts) == 1
    for i in range(12):  # nor inside a card
        assert sum(f"📍 Stelle {i}\n" in t for t in texts) == 1
    assert [bool(m.options) for m in messages] == [False] * (len(messages) - 1) + [True]


def test_a_giant_right_to_left_line_is_cut_without_losing_words() -> None:
    line = " ".join(f"کلمه{i} word{i} 0621{i}" for i in range(1200))  # no line break at all
    messages = render(Text("fa", True, line))
    assert len(messages) >= 2
    assert all(visible_length(m.html) <= MAX_MESSAGE_CHARS for m in messages)
    assert words("\n".join(check_markup(m.html) for m in messages)) == words(line)


def test_visible_length_counts_like_telegram() -> None:
    assert visible_length('<b>a&amp;b</b> <a href="https://x.org/?q=1">x</a>') == 5
    assert visible_length("😀") == 2  # UTF-16 code units


_WORD = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), min_size=1, max_size=12
)
_PARAGRAPH = st.lists(_WORD, min_size=1, max_size=400).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(_PARAGRAPH, min_size=1, max_size=6),
    title=_WORD,
    rtl=st.booleans(),
    limit=st.sampled_from([MAX_MESSAGE_CHARS, 1500]),
)
def test_any_text_renders_to_valid_markup_without_losing_words(
    paragraphs: list[str], title: str, rtl: bool, limit: int
) -> None:
    body = "\n\n".join(paragraphs)
    for reply in (
        Text("ar" if rtl else "de", rtl, body),
        Menu("de", rtl, body, (Option("home", "Start"),)),
        EntryAnswer("de", rtl, "x", title, body, (card(name=title),), (title,)),
    ):
        messages: list[Outgoing] = render(reply, limit)
        plain = [check_markup(m.html) for m in messages]
        assert all(visible_length(m.html) <= limit for m in messages)
        rendered = words("\n".join(plain))
        expected = words(body)
        if isinstance(reply, EntryAnswer):
            assert rendered[: len(words(title))] == words(title)
        elif expected:
            assert rendered == expected
        else:  # only spaces: Telegram refuses an empty message, so it gets a mark
            assert rendered == ["…"]


def test_buttons_short_ones_in_pairs_and_codes_within_64_bytes(library: Library) -> None:
    rows = button_rows(
        [
            Option("f:wohnen", "🏠 Wohnen"),
            Option("f:arbeit", "💼 Arbeit"),
            Option("home", "Start"),
            Option("sos", "Notfall"),
            Option("language", "Sprache"),
            Option("e:" + "x" * 70, "too long for Telegram"),
        ]
    )
    assert [[o.code for o in row] for row in rows] == [
        ["f:wohnen"],
        ["f:arbeit"],
        ["home", "sos"],
        ["language"],
    ]
    catalog = library.catalog
    codes = [field_code(f.id) for f in catalog.fields]
    codes += [entry_code(slug) for slug in catalog.entries]
    codes += [lang_code(code) for code in catalog.language_by_code]
    assert all(len(code.encode()) <= MAX_CALLBACK_BYTES for code in codes)
