"""Replies as Matrix content and Matrix messages as input, without a homeserver."""

from __future__ import annotations

import html
import html.parser

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.matrix_inbound import addressed_text, as_command, message_text
from bot.adapters.matrix_render import (
    HTML_FORMAT,
    MAX_CONTENT_BYTES,
    content_size,
    turn_contents,
)
from bot.adapters.plain import render_turn
from bot.bidi import LRI, PDI, RLM
from bot.replies import EntryAnswer, Menu, Option, ServiceCard, Text

ME = "@wegweiser:example.org"
ALLOWED_TAGS = {"p", "br", "ol", "li", "h4", "strong", "em", "a", "div"}


class Markup(html.parser.HTMLParser):
    """Collects tags, attributes and the text a client would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> Markup:
    parser = Markup()
    parser.feed(markup)
    parser.close()
    return parser


def card(**changes: object) -> ServiceCard:
    values: dict[str, object] = {
        "name": "Stadt <Lampertheim> & Co",
        "address": "Römerstraße 102, 68623 Lampertheim",
        "map_url": "https://www.openstreetmap.org/search?query=R%C3%B6merstra%C3%9Fe",
        "phone": "06206 935-0",
        "tel_uri": "tel:+496206935",
        "email": "info@lampertheim.de",
        "website": "javascript:alert(1)",
        "hours": ("Mo–Fr 08:00–12:00",),
        "labels": {"address": "Adresse", "phone": "Telefon"},
    }
    values.update(changes)
    return ServiceCard(**values)  # type: ignore[arg-type]


def entry(rtl: bool = False) -> EntryAnswer:
    return EntryAnswer(
        language="ar" if rtl else "de",
        rtl=rtl,
        slug="wohngeld",
        title="Wohngeld <b>jetzt</b>",
        body="Zuschuss zur Miete.\n\n1. Infos: https://example.org/a?b=1&c=<2>\n2. Antrag",
        cards=(card(),),
        notes=("Geprüft am 1. März 2026.",),
        options=(Option("back", "⬅️ Zurück"), Option("home", "🏠 Hauptmenü")),
    )


def test_one_notice_per_turn_with_plain_body_and_options_numbered_across_the_turn() -> None:
    replies = [
        entry(),
        Text("de", False, "Soll ich Ihnen auf Englisch antworten?", (Option("s:en", "English"),)),
    ]
    [content] = turn_contents(replies)
    assert content["msgtype"] == "m.notice"
    assert content["format"] == HTML_FORMAT
    assert content["body"] == "\n\n".join(render_turn(replies))
    assert "1. ⬅️ Zurück" in content["body"] and "3. English" in content["body"]
    assert '<ol start="1">' in content["formatted_body"]
    assert '<ol start="3"><li>English</li></ol>' in content["formatted_body"]


def test_every_inserted_text_is_escaped_and_only_safe_links_are_made() -> None:
    [content] = turn_contents([entry()])
    markup = content["formatted_body"]
    parsed = parse(markup)
    assert set(parsed.tags) <= ALLOWED_TAGS
    assert "<b>" not in markup and "&lt;b&gt;jetzt&lt;/b&gt;" in markup
    assert "Stadt &lt;Lampertheim&gt; &amp; Co" in markup
    assert "javascript:" not in parsed.hrefs and "javascript:alert(1)" in "".join(parsed.text)
    assert "tel:+496206935" in parsed.hrefs
    assert "mailto:info@lampertheim.de" in parsed.hrefs
    assert "https://example.org/a?b=1&c=" in parsed.hrefs
    # What a client shows is exactly the text, nothing lost to the escaping.
    assert "Wohngeld <b>jetzt</b>" in "".join(parsed.text)


def test_right_to_left_replies_are_isolated_before_escaping() -> None:
    [content] = turn_contents([entry(rtl=True)])
    markup = content["formatted_body"]
    assert markup.startswith('<div dir="rtl">')
    assert f"{LRI}06206 935-0{PDI}" in markup
    # The link target stays clean; only the shown text is isolated.
    assert 'href="tel:+496206935"' in markup
    assert content["body"].startswith(RLM)
    assert "<b>" not in markup


def test_a_turn_too_long_for_one_event_is_split_and_never_exceeds_the_limit() -> None:
    long_text = "Sehr lange Antwort. " * 1200  # about 24 kB each
    replies = [Text("de", False, long_text), Menu("de", False, long_text, (Option("h", "x"),))]
    contents = turn_contents(replies)
    assert len(contents) == 2
    assert all(content_size(c) <= MAX_CONTENT_BYTES for c in contents)
    huge = turn_contents([Text("de", False, "ä" * 100_000)])
    assert len(huge) == 1 and content_size(huge[0]) <= MAX_CONTENT_BYTES
    assert huge[0]["body"].endswith("…")


def _visible(text: str) -> str:
    """The text without whitespace and bidi marks: what must survive rendering."""
    return "".join(text.split()).replace(LRI, "").replace(PDI, "").replace(RLM, "")


@given(st.text(max_size=300), st.booleans())
def test_any_text_renders_to_safe_markup_that_shows_the_same_text(text: str, rtl: bool) -> None:
    [content] = turn_contents([Text("de", rtl, text, (Option("home", text),))])
    parsed = parse(content["formatted_body"])
    assert set(parsed.tags) <= ALLOWED_TAGS
    assert all(h.startswith(("https://", "http://")) for h in parsed.hrefs)
    assert _visible("".join(parsed.text)) == _visible(text) * 2  # the text and the option


def test_bang_commands_become_core_commands() -> None:
    assert as_command("!start ar_wohngeld") == "/start ar_wohngeld"
    assert as_command("!!! Hilfe") == "!!! Hilfe"
    assert as_command("Wohngeld!") == "Wohngeld!"


def test_reply_quotes_are_not_part_of_the_question() -> None:
    content = {
        "body": "> <@anna:example.org> Wohngeld?\n\nwo beantrage ich das",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$x"}},
    }
    assert message_text(content) == "wo beantrage ich das"
    assert message_text({"body": 5}) == ""


def test_group_messages_count_only_when_addressed() -> None:
    names = ["Wegweiser", "wegweiser"]
    assert addressed_text({}, "Wohngeld?", ME, names) is None
    assert addressed_text({}, "!help", ME, names) == "!help"
    assert addressed_text({}, "Wegweiser: Wohngeld?", ME, names) == "Wohngeld?"
    assert addressed_text({}, f"{ME} Wohngeld?", ME, names) == "Wohngeld?"
    pill = {"formatted_body": f'<a href="https://matrix.to/#/{ME}">Wegweiser</a> Kita?'}
    assert addressed_text(pill, "Kita?", ME, names) == "Kita?"
    mentions = {"m.mentions": {"user_ids": [ME]}}
    assert addressed_text(mentions, "Kita?", ME, names) == "Kita?"
    assert addressed_text({"m.mentions": {"user_ids": ["@x:y"]}}, "Kita?", ME, names) is None
