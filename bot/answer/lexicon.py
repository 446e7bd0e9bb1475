"""The search vocabulary of each language: ``locales/<code>/search.yaml``.

Stop words, greetings, emergency words, out-of-scope topics, synonyms and (for languages
without a Snowball stemmer) word endings are data, so a new language adds a file, no code.
Every problem is reported with file and line, like the content files.

A phrase is one or more words; it matches a question that contains all of its words, in
any order. A word matches the same word in another form (same stem) or with a small typo;
``=word`` matches only exactly that word, ``word*`` every word starting with ``word``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from bot.answer.collector import collector_paused
from bot.answer.normalise import tokenize
from bot.catalog.loader import ContentError, Problem
from bot.catalog.model import Language
from bot.catalog.yamlsource import Located, YamlSyntaxError, load_located

SEARCH_FILE = "search.yaml"
MIN_PREFIX_CHARS = 3  # "po*" would match half of any language
MAX_PHRASE_WORDS = 20  # a longer item is a sentence pasted into the list by mistake
MAX_SUFFIX_CHARS = 6  # a longer "ending" is most likely a word put in the wrong list


class Mode(StrEnum):
    WORD = "word"  # same word, same stem, or a small typo
    EXACT = "exact"  # ``=word``
    PREFIX = "prefix"  # ``word*``


@dataclass(frozen=True, slots=True)
class CueWord:
    text: str  # folded
    raw: str  # lower case as written, for the stemmer
    mode: Mode
    # "fieber|temperatur + schlapp|schlaff": other words that may stand in this place, so
    # a list says in one item what would otherwise take every pair of them
    alternatives: tuple[CueWord, ...] = ()

    def choices(self) -> tuple[CueWord, ...]:
        return (self, *self.alternatives)


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[CueWord, ...]
    text: str  # as written in the file
    language: str
    where: str  # "locales/en/search.yaml:12", for messages and tests
    # "gas + smell", "no air + swollen": how many words each side of a "+" has; the sides
    # stand anywhere in the message, in any order (empty: one ordered phrase)
    parts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Synonym:
    phrase: Phrase
    targets: tuple[str, ...]  # the words it stands for, as written


@dataclass(frozen=True)
class Lexicon:
    """One language's search vocabulary (with what it includes from another language)."""

    code: str
    stopwords: frozenset[str] = frozenset()  # folded
    minor: frozenset[str] = frozenset()  # folded: words that say who, not what; count half
    greetings: tuple[Phrase, ...] = ()
    emergency: tuple[Phrase, ...] = ()
    out_of_scope: tuple[Phrase, ...] = ()
    synonyms: tuple[Synonym, ...] = ()
    spellings: tuple[tuple[str, str], ...] = ()  # folded: (as people write it, the word)
    suffixes: tuple[str, ...] = ()  # folded, longest first
    path: str | None = None


@dataclass(frozen=True)
class Lexicons:
    by_code: dict[str, Lexicon] = field(default_factory=dict)

    def get(self, code: str) -> Lexicon:
        return self.by_code.get(code) or Lexicon(code)

    def all(self) -> list[Lexicon]:
        return list(self.by_code.values())


class SearchFile(BaseModel):
    """What a ``search.yaml`` may contain; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    include: str | None = None  # also use this language's file (e.g. de-simple → de)
    stopwords: str | list[str] = []
    minor: str | list[str] = []  # "children", "family": who a question is about, not what
    greetings: list[str] = []
    emergency: list[str] = []
    out_of_scope: list[str] = []
    synonyms: dict[str, str | list[str]] = {}
    spellings: dict[str, str] = {}  # "nich": "nicht": how people write a word, and the word
    suffixes: str | list[str] = []


def _words(value: str | list[str]) -> list[str]:
    return value.split() if isinstance(value, str) else [w for item in value for w in item.split()]


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = {"extra_forbidden": "unknown key (see the comment at the top of the file)"}.get(
        error["type"], error["msg"]
    )
    return f"'{where}': {message}" if where else message


class _FileReader:
    def __init__(
        self,
        path: Path,
        rel: str,
        code: str,
        problems: list[Problem],
        cues: dict[str, tuple[CueWord, ...]],
    ) -> None:
        self.path = path
        self.rel = rel
        self.code = code
        self.problems = problems
        # The same words recur in thousands of items, and across the languages' files.
        self._cues = cues

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.rel, line, message))

    def read(self) -> tuple[SearchFile, Located] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(None, f"not UTF-8 text (byte {exc.start}); save it as UTF-8")
            return None
        except OSError as exc:
            self.problem(None, f"cannot be read: {exc.strerror}")
            return None
        try:
            located = load_located(text)
        except YamlSyntaxError as exc:
            self.problem(exc.line, str(exc))
            return None
        if located.data is None:
            return SearchFile(), located
        if not isinstance(located.data, dict):
            self.problem(1, "expected 'key: value' lines (stopwords:, greetings:, synonyms: …)")
            return None
        try:
            return SearchFile.model_validate(located.data), located
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                line = located.line_of(loc if error["type"] != "missing" else loc[:-1])
                self.problem(line, _describe(error))
            return None

    def phrase(self, text: str, line: int) -> Phrase | None:
        # "gas + smell": the sides of a "+" may stand anywhere in the message, in any
        # order; the words of one side keep their order with little between them.
        parts = [part.strip() for part in text.split("+")]
        words: list[CueWord] = []
        lengths: list[int] = []  # words per side
        for part in parts:
            before = len(words)
            for piece in part.split():
                found = self._cue_words(text, piece, line)
                if found is None:
                    return None
                words.extend(found)
            lengths.append(len(words) - before)
        if len(parts) > 1 and not all(lengths):  # a side without a word of its own
            self.problem(line, f"'{text}': '+' joins two words, like 'gas + smell'")
            return None
        if not words:
            self.problem(line, f"'{text}' contains no word")
            return None
        if len(words) > MAX_PHRASE_WORDS:
            self.problem(line, f"'{text}': at most {MAX_PHRASE_WORDS} words in one item")
            return None
        sides = tuple(lengths) if len(parts) > 1 else ()
        return Phrase(tuple(words), text, self.code, f"{self.rel}:{line}", sides)

    def _cue_words(self, text: str, piece: str, line: int) -> tuple[CueWord, ...] | None:
        """The words of one piece of an item ("=wort", "wort*", "fieber|temperatur")."""
        found = self._cues.get(piece)
        if found is None:
            if "|" in piece:
                alternatives = self._alternatives(text, piece, line)
                found = (alternatives,) if alternatives else None
            else:
                found = self._read_cue_words(text, piece, line)
            if found is not None:
                self._cues[piece] = found
        return found

    def _read_cue_words(self, text: str, piece: str, line: int) -> tuple[CueWord, ...] | None:
        mode = Mode.WORD
        if piece.startswith("="):
            mode, piece = Mode.EXACT, piece[1:]
        elif piece.endswith("*"):
            mode, piece = Mode.PREFIX, piece[:-1]
        if "*" in piece or "=" in piece:
            self.problem(line, f"'{text}': '=' goes before a word, '*' after it")
            return None
        tokens = tokenize(piece)
        if mode is Mode.PREFIX and any(len(t.folded) < MIN_PREFIX_CHARS for t in tokens):
            self.problem(
                line, f"'{text}': a word with '*' needs at least {MIN_PREFIX_CHARS} letters"
            )
            return None
        return tuple(CueWord(token.folded, token.raw, mode) for token in tokens)

    def _alternatives(self, text: str, piece: str, line: int) -> CueWord | None:
        """``fieber|temperatur*``: one place that any of these words may fill."""
        choices: list[CueWord] = []
        for option in piece.split("|"):
            found = self._read_cue_words(text, option, line)
            if found is None:
                return None
            if len(found) != 1:
                self.problem(
                    line, f"'{text}': put one word on each side of '|', like 'fever|temperature'"
                )
                return None
            choices.extend(found)
        first, *others = choices
        return CueWord(first.text, first.raw, first.mode, tuple(others))

    def phrases(self, located: Located, key: str, items: list[str]) -> tuple[Phrase, ...]:
        found = []
        for index, text in enumerate(items):
            phrase = self.phrase(text, located.line_of((key, index)))
            if phrase:
                found.append(phrase)
        return tuple(found)


def _compile(
    reader: _FileReader, spec: SearchFile, located: Located, stemmer: str | None
) -> Lexicon:
    stopwords = frozenset(t.folded for w in _words(spec.stopwords) for t in tokenize(w))
    minor = frozenset(t.folded for w in _words(spec.minor) for t in tokenize(w))
    synonyms = []
    for key, target in spec.synonyms.items():
        line = located.line_of(("synonyms", key))
        phrase = reader.phrase(str(key), line)
        words = _words(target)
        if not words:
            reader.problem(line, f"'{key}': say which words it stands for")
            continue
        if phrase:
            synonyms.append(Synonym(phrase, tuple(words)))
    spellings = []
    for key, word in spec.spellings.items():
        line = located.line_of(("spellings", key))
        written, meant = tokenize(str(key)), tokenize(str(word))
        if len(written) != 1 or len(meant) != 1:
            reader.problem(line, f"'{key}: {word}': one word on each side, like 'nich: nicht'")
        elif written[0].folded != meant[0].folded:
            spellings.append((written[0].folded, meant[0].folded))
    suffixes = tuple(
        sorted(
            {t.folded for w in _words(spec.suffixes) for t in tokenize(w)}, key=len, reverse=True
        )
    )
    too_long = [s for s in suffixes if len(s) > MAX_SUFFIX_CHARS]
    if too_long:
        reader.problem(
            located.line_of(("suffixes",)),
            f"'{too_long[0]}' is too long for a word ending (at most {MAX_SUFFIX_CHARS} letters); "
            "is something indented under 'suffixes:' by mistake?",
        )
    if suffixes and stemmer:
        reader.problem(
            located.line_of(("suffixes",)),
            f"'suffixes' are for languages without a Snowball stemmer; '{reader.code}' uses "
            f"'{stemmer}' (remove the list, or set 'stemmer:' in languages.yaml)",
        )
    return Lexicon(
        code=reader.code,
        stopwords=stopwords,
        minor=minor,
        greetings=reader.phrases(located, "greetings", spec.greetings),
        emergency=reader.phrases(located, "emergency", spec.emergency),
        out_of_scope=reader.phrases(located, "out_of_scope", spec.out_of_scope),
        synonyms=tuple(synonyms),
        spellings=tuple(spellings),
        suffixes=suffixes,
        path=reader.rel,
    )


def _merge(own: Lexicon, included: Lexicon) -> Lexicon:
    return Lexicon(
        code=own.code,
        stopwords=own.stopwords | included.stopwords,
        minor=own.minor | included.minor,
        greetings=own.greetings + included.greetings,
        emergency=own.emergency + included.emergency,
        out_of_scope=own.out_of_scope + included.out_of_scope,
        synonyms=own.synonyms + included.synonyms,
        spellings=own.spellings + included.spellings,
        suffixes=own.suffixes or included.suffixes,
        path=own.path,
    )


def load_lexicons(locales_dir: Path, languages: Sequence[Language]) -> Lexicons:
    """Read every catalog language's ``search.yaml``; raise ``ContentError`` on any problem.

    A language without the file simply has no stop words, greetings or synonyms of its own.
    """
    with collector_paused():
        return _load_lexicons(locales_dir, languages)


def _load_lexicons(locales_dir: Path, languages: Sequence[Language]) -> Lexicons:
    problems: list[Problem] = []
    cues: dict[str, tuple[CueWord, ...]] = {}  # shared by the files: "polizei" is everywhere
    root = locales_dir.resolve().parent
    codes = {lang.code for lang in languages}
    own: dict[str, Lexicon] = {}
    includes: dict[str, tuple[str, str, int]] = {}
    for lang in languages:
        path = locales_dir / lang.code / SEARCH_FILE
        if not path.is_file():
            continue
        try:
            rel = str(path.resolve().relative_to(root))
        except ValueError:
            rel = str(path)
        reader = _FileReader(path, rel, lang.code, problems, cues)
        read = reader.read()
        if read is None:
            continue
        spec, located = read
        own[lang.code] = _compile(reader, spec, located, lang.stemmer)
        if spec.include:
            line = located.line_of(("include",))
            if spec.include not in codes or spec.include == lang.code:
                message = f"include: '{spec.include}' is not another language in languages.yaml"
                problems.append(Problem(rel, line, message))
            else:
                includes[lang.code] = (spec.include, rel, line)
    merged = dict(own)
    for code, (target, rel, line) in includes.items():
        if target in includes:
            message = f"include: '{target}' has an 'include:' itself; include only plain files"
            problems.append(Problem(rel, line, message))
        elif target not in own:
            problems.append(Problem(rel, line, f"include: '{target}' has no {SEARCH_FILE}"))
        else:
            merged[code] = _merge(own[code], own[target])
    if problems:
        raise ContentError(sorted(problems, key=lambda p: (p.file, p.line or 0)))
    return Lexicons(merged)
