"""The platform-neutral conversation: an ``Incoming`` message in, ``Reply`` values out.

It owns each user's small state machine (language, menu position, the options last
shown) and never imports a platform library, so it is tested without any network.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote_plus

from bot.answer import AnswerKind
from bot.catalog.model import Entry, Service
from bot.i18n import N_
from bot.library import Library, LibraryHolder
from bot.replies import (
    BACK,
    EMERGENCY,
    HELP,
    HOME,
    LANGUAGE,
    EntryAnswer,
    Menu,
    Option,
    Reply,
    ServiceCard,
    Text,
    entry_code,
    field_code,
    lang_code,
    switch_code,
)
from bot.store import Store, UserState

log = logging.getLogger(__name__)

# Longer messages are not searched: no real question is this long, and the limit keeps
# a flood of text from costing time. Telegram's own limit is 4096 characters.
MAX_QUESTION_CHARS = 1000
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# The commands every platform understands, with what they do: /help lists them, and
# Telegram shows them in its command menu.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("start from the beginning")),
    ("menu", N_("main menu")),
    ("language", N_("change the language")),
    ("help", N_("this help")),
    ("privacy", N_("what is stored about you")),
    ("forget", N_("delete everything stored about you")),
)
HELP_ORDER = ("menu", "language", "privacy", "forget", "help")  # /start needs no advert
# Bidi embeddings/overrides/isolates and other invisible controls a user may paste;
# the zero-width non-joiner (U+200C) stays, Persian needs it.
_INVISIBLE = re.compile("[\u200b\u200d-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_OPTION_WORDS = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Incoming:
    """One thing a user did, as the adapter understood it."""

    platform: str
    user_id: str
    text: str = ""  # what was typed; commands start with "/"
    choice: str | None = None  # an option code from a button
    language_hint: str | None = None  # the platform's guess, e.g. Telegram's language_code


def clean_text(text: str) -> str:
    """Drop control and bidi override characters; keep line breaks and the ZWNJ."""
    text = _INVISIBLE.sub("", text)
    kept = (c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C" or c == "\u200c")
    return "".join(kept).strip()


def option_key(label: str) -> str:
    """A label reduced to its words, so 'wohnen' matches the option '🏠 Wohnen'."""
    return _OPTION_WORDS.sub(" ", unicodedata.normalize("NFKC", label).casefold()).strip()


def map_url(address: str) -> str:
    return "https://www.openstreetmap.org/search?query=" + quote_plus(address)


class Conversation:
    def __init__(
        self,
        library: LibraryHolder,
        store: Store,
        *,
        keep_unanswered: bool = True,
        unanswered_days: int = 90,
    ) -> None:
        self.library = library
        self.store = store
        self.keep_unanswered = keep_unanswered
        self.unanswered_days = unanswered_days

    # -- entry point -------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> list[Reply]:
        lib = self.library.current  # one snapshot per message, even if a reload happens
        state = await self.store.load(incoming.platform, incoming.user_id)
        if state.language is None or state.language not in lib.catalog.language_by_code:
            state.language = self._guess_language(lib, incoming.language_hint)
            state.language_chosen = False
        turn = _Turn(self, lib, state, incoming)
        replies = await turn.run()
        # Options are numbered across the whole turn, so "2" means the same to every adapter.
        state.options = [o.code for reply in replies for o in getattr(reply, "options", ())]
        if not turn.forgotten:
            await self.store.save(state)
        return replies

    @staticmethod
    def _guess_language(lib: Library, hint: str | None) -> str:
        codes = lib.catalog.language_by_code
        if hint:
            hint = hint.replace("_", "-").lower()
            for candidate in (hint, hint.split("-")[0]):
                if candidate in codes:
                    return candidate
        return lib.catalog.source_language


class _Turn:
    """Handling of one message; holds the library snapshot and the user's state."""

    def __init__(self, conv: Conversation, lib: Library, state: UserState, inc: Incoming) -> None:
        self.conv = conv
        self.lib = lib
        self.catalog = lib.catalog
        self.state = state
        self.incoming = inc
        self.forgotten = False

    @property
    def lang(self) -> str:
        return self.state.language or self.catalog.source_language

    def t(self, message: str, /, **values: object) -> str:
        return self.lib.i18n.tr(self.lang, message, **values)

    @property
    def rtl(self) -> bool:
        return self.lib.i18n.language(self.lang).rtl

    async def run(self) -> list[Reply]:
        if self.incoming.choice is not None:
            return self.choose(self.incoming.choice)
        raw = self.incoming.text or ""
        if len(raw) > MAX_QUESTION_CHARS * 4:
            return [
                self.text(self.t("That message is too long. Please ask a short question.")),
                self.home_menu(),
            ]
        text = clean_text(raw)
        if not text:
            return [self.home_menu(self.t("Please choose a topic or type a short question."))]
        if text.startswith("/"):
            return await self.command(text)
        return await self.free_text(text)

    # -- commands ----------------------------------------------------------------------

    async def command(self, text: str) -> list[Reply]:
        name, _, args = text[1:].partition(" ")
        name = name.split("@")[0].lower()
        args = args.strip()
        if name == "start":
            return self.start(args)
        if name == "menu":
            return [self.home_menu()]
        if name == "language":
            return [self.language_menu()]
        if name == "help":
            return self.help()
        if name == "privacy":
            return [self.text(self.privacy_text())]
        if name == "forget":
            return await self.forget()
        return [self.text(self.t("I don't know that command.")), *self.help()]

    def start(self, payload: str) -> list[Reply]:
        lang, target = self.parse_payload(payload)
        if lang:
            self.state.language, self.state.language_chosen = lang, True
        if target and target in self.catalog.entries:
            return [self.entry_answer(self.catalog.entries[target])]
        if target and target in self.catalog.field_by_id:
            return [self.field_menu(target)]
        if not self.state.language_chosen and not self.incoming.language_hint and not lang:
            return [self.language_menu(first=True)]
        return [self.home_menu(self.welcome())]

    def parse_payload(self, payload: str) -> tuple[str | None, str | None]:
        """``<lang>``, ``<slug>`` or ``<lang>_<slug>``; anything else is ignored safely."""
        if not payload or not PAYLOAD_RE.match(payload):
            return None, None
        languages = self.catalog.language_by_code
        targets = self.catalog.entries.keys() | self.catalog.field_by_id.keys()
        if payload in languages:
            return payload, None
        if payload in targets:
            return None, payload
        lang, _, target = payload.partition("_")
        if lang in languages and target in targets:
            return lang, target
        return None, None

    def help(self) -> list[Reply]:
        lines = [
            self.t(
                "I help you find the right office or counselling service in {town}.",
                town=self.catalog.town,
            ),
            self.t("Choose a topic, or type your question in your own language."),
            "",
        ]
        described = dict(COMMANDS)
        lines += [f"/{name} – " + self.t(described[name]) for name in HELP_ORDER]
        return [self.text("\n".join(lines)), self.home_menu()]

    def privacy_text(self) -> str:
        parts = [
            self.t(
                "Wegweiser stores only your chosen language and your place in the menu, "
                "under a coded number instead of your account name."
            ),
            self.t("You can delete this at any time with /forget."),
        ]
        if self.conv.keep_unanswered:
            parts.append(
                self.t(
                    "Questions the bot could not answer are kept without any link to you "
                    "for at most {days} days, so staff can add the missing answers.",
                    days=self.conv.unanswered_days,
                )
            )
        else:
            parts.append(self.t("Your questions are not stored."))
        return "\n\n".join(parts)

    async def forget(self) -> list[Reply]:
        reply = self.text(
            self.t("Everything stored about you has been deleted. Send /start to begin again.")
        )
        await self.conv.store.forget(self.incoming.platform, self.incoming.user_id)
        self.forgotten = True
        return [reply]

    # -- menus -------------------------------------------------------------------------

    def text(self, text: str, options: tuple[Option, ...] = ()) -> Text:
        return Text(self.lang, self.rtl, text, options)

    def menu(self, text: str, options: list[Option], position: str) -> Menu:
        self.state.position = position
        return Menu(self.lang, self.rtl, text, tuple(options))

    def welcome(self) -> str:
        return self.t(
            "Welcome to Wegweiser! I help you find the right service in {town}.",
            town=self.catalog.town,
        )

    def nav(self, *codes: str) -> list[Option]:
        labels = {
            BACK: "⬅️ " + self.t("Back"),
            HOME: "🏠 " + self.t("Main menu"),
            EMERGENCY: "🆘 " + self.t("Emergency"),
            LANGUAGE: "🌐 " + self.t("Change language"),
        }
        if self.catalog.emergency is None:
            codes = tuple(c for c in codes if c != EMERGENCY)
        return [Option(code, labels[code]) for code in codes]

    def home_menu(self, intro: str | None = None) -> Menu:
        prompt = self.t("What do you need help with? Choose a topic or type your question.")
        options = [
            Option(field_code(f.id), f"{f.icon} {self.catalog.field_name(f.id, self.lang)}".strip())
            for f in self.catalog.fields
        ]
        options += self.nav(EMERGENCY, LANGUAGE)
        return self.menu(f"{intro}\n\n{prompt}" if intro else prompt, options, "home")

    def field_menu(self, field_id: str) -> Menu:
        field = self.catalog.field_by_id[field_id]
        options = [
            Option(entry_code(e.slug), self.catalog.text(e, self.lang).title)
            for e in self.catalog.entries_in(field_id)
        ]
        options += self.nav(HOME, EMERGENCY)
        name = self.catalog.field_name(field_id, self.lang)
        return self.menu(f"{field.icon} {name}".strip(), options, f"field:{field_id}")

    def language_menu(self, first: bool = False) -> Menu:
        options = [Option(lang_code(lang.code), lang.name) for lang in self.catalog.languages]
        prompt = "🌐 " + self.t("Please choose your language.")
        if first:  # nobody knows yet which language this user reads
            codes = {self.lang, "en", self.catalog.source_language}
            prompts = [
                self.lib.i18n.tr(c, "Please choose your language.")
                for c in sorted(codes)
                if c in self.catalog.language_by_code
            ]
            prompt = "🌐 " + " / ".join(dict.fromkeys(prompts))
        else:
            options += self.nav(HOME)
        return self.menu(prompt, options, "language")

    def choose(self, code: str) -> list[Reply]:
        kind, _, value = code.partition(":")
        if code == HOME:
            return [self.home_menu()]
        if code == LANGUAGE:
            return [self.language_menu()]
        if code == HELP:
            return self.help()
        if code == EMERGENCY and self.catalog.emergency:
            return [self.entry_answer(self.catalog.emergency)]
        if code == BACK:
            return [self.back()]
        if kind in ("l", "s") and value in self.catalog.language_by_code:
            self.state.language, self.state.language_chosen = value, True
            return [self.home_menu(self.welcome() if kind == "l" else None)]
        if kind == "f" and value in self.catalog.field_by_id:
            return [self.field_menu(value)]
        if kind == "e" and value in self.catalog.entries:
            return [self.entry_answer(self.catalog.entries[value])]
        return [self.home_menu(self.t("This option is no longer available."))]

    def back(self) -> Menu:
        kind, _, value = self.state.position.partition(":")
        if kind == "entry" and value in self.catalog.entries:
            field = self.catalog.entries[value].field
            if field:
                return self.field_menu(field)
        return self.home_menu()

    def option_from_text(self, text: str) -> str | None:
        """A typed number or option label, for platforms without buttons."""
        if not self.state.options:
            return None
        if text.isdecimal():
            index = int(text) - 1
            return self.state.options[index] if 0 <= index < len(self.state.options) else None
        typed = option_key(text)
        if not typed:
            return None
        for code in self.state.options:
            label = self.option_label(code)
            if label and option_key(label) == typed:
                return code
        return None

    def option_label(self, code: str) -> str | None:
        kind, _, value = code.partition(":")
        if kind == "f" and value in self.catalog.field_by_id:
            return self.catalog.field_name(value, self.lang)
        if kind == "e" and value in self.catalog.entries:
            return self.catalog.text(self.catalog.entries[value], self.lang).title
        if kind == "l" and value in self.catalog.language_by_code:
            return self.catalog.language_by_code[value].name
        labels = {o.code: o.label for o in self.nav(BACK, HOME, EMERGENCY, LANGUAGE)}
        return labels.get(code)

    # -- answers -----------------------------------------------------------------------

    async def free_text(self, text: str) -> list[Reply]:
        code = self.option_from_text(text)
        if code:
            return self.choose(code)
        if text.isdecimal():
            return [self.home_menu(self.t("Please choose one of the numbers shown."))]
        if len(text) > MAX_QUESTION_CHARS:
            return [
                self.text(self.t("That message is too long. Please ask a short question.")),
                self.home_menu(),
            ]
        answer = self.lib.answer(text, self.lang)
        replies: list[Reply] = []
        if answer.kind is AnswerKind.EMERGENCY and self.catalog.emergency:
            return [self.entry_answer(self.catalog.emergency)]
        if answer.kind is AnswerKind.GREETING:
            return [self.home_menu(self.welcome())]
        offer = self.switch_offer(answer.language)
        if answer.kind is AnswerKind.MATCH and answer.best:
            replies.append(
                self.entry_answer(self.catalog.entries[answer.best.slug], answer.language)
            )
        elif answer.kind is AnswerKind.AMBIGUOUS:
            lang = answer.language or self.lang
            entries = [self.catalog.entries[m.slug] for m in answer.matches]
            options = [
                Option(entry_code(e.slug), self.catalog.text(e, lang).title) for e in entries
            ]
            options += self.nav(HOME)
            replies.append(self.menu(self.t("Did you mean …?"), options, "did-you-mean"))
        else:
            replies.extend(await self.not_found(text, answer.language))
        if offer:
            replies.append(offer)
        return replies

    def switch_offer(self, detected: str | None) -> Text | None:
        if not detected or detected == self.lang or detected not in self.catalog.language_by_code:
            return None
        name = self.catalog.language_by_code[detected].name
        question = self.lib.i18n.tr(
            detected, "Shall I answer you in {language} from now on?", language=name
        )
        options = (Option(switch_code(detected), "✅ " + name),)
        return Text(detected, self.lib.i18n.language(detected).rtl, question, options)

    async def not_found(self, text: str, detected: str | None) -> list[Reply]:
        if self.conv.keep_unanswered:
            try:
                await self.conv.store.add_unanswered(
                    text, detected or self.lang, keep_days=self.conv.unanswered_days
                )
            except Exception:  # keeping the question must never cost the user an answer
                log.exception("could not keep an unanswered question")
        message = self.t(
            "Sorry, I did not find an answer to that. The migration counselling "
            "service can help you in person, free of charge."
        )
        options = [
            Option(entry_code(e.slug), self.catalog.text(e, self.lang).title)
            for e in self.catalog.when_unsure
        ]
        options += self.nav(HOME, EMERGENCY)
        return [self.menu(message, options, "not-found")]

    def entry_answer(self, entry: Entry, language: str | None = None) -> EntryAnswer:
        lang = language or self.lang
        self.state.position = f"entry:{entry.slug}"
        # The same entries are asked for again and again; dates and opening hours are
        # formatted once per content version (the buttons are in the user's language).
        key = ("entry", entry.slug, lang, self.lang)
        return self.lib.kept(key, lambda: self._entry_answer(entry, lang))

    def _entry_answer(self, entry: Entry, lang: str) -> EntryAnswer:
        i18n = self.lib.i18n
        text = self.catalog.text(entry, lang)
        notes = [i18n.tr(lang, "Checked on {date}.", date=i18n.date(entry.meta.checked, lang))]
        if text.language != lang:
            notes.append(i18n.tr(lang, "This text is not yet available in your language."))
        elif text.machine_translated and not text.reviewed:
            notes.append(i18n.tr(lang, "Machine translation, not yet checked by a person."))
        cards = tuple(
            self.card(self.catalog.services[sid], lang)
            for sid in entry.meta.services
            if sid in self.catalog.services
        )
        codes = (BACK, HOME) if entry.field else (HOME,)
        if not entry.meta.emergency:
            codes += (EMERGENCY,)
        options = tuple(self.nav(*codes))
        return EntryAnswer(
            language=text.language,
            rtl=i18n.language(text.language).rtl,
            slug=entry.slug,
            title=text.title,
            body=text.body,
            cards=cards,
            notes=tuple(notes),
            options=options,
            emergency=entry.meta.emergency,
        )

    def card(self, service: Service, lang: str) -> ServiceCard:
        i18n = self.lib.i18n
        labels = {
            key: i18n.tr(lang, label)
            for key, label in (
                ("address", N_("Address")),
                ("phone", N_("Phone")),
                ("email", N_("E-mail")),
                ("website", N_("Website")),
                ("hours", N_("Opening hours")),
                ("booking", N_("Book an appointment")),
                ("map", N_("Map")),
            )
        }
        return ServiceCard(
            name=service.name,
            description=self.catalog.pick(service.description, lang) if service.description else "",
            address=service.address,
            map_url=map_url(service.address) if service.address else None,
            phone=service.phone,
            tel_uri=service.tel_uri,
            email=service.email,
            website=str(service.website) if service.website else None,
            booking=str(service.booking) if service.booking else None,
            hours=tuple(i18n.opening_hours(service.opening_hours, lang)),
            hours_note=self.catalog.pick(service.hours_note, lang) if service.hours_note else "",
            labels=labels,
        )
