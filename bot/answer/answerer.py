"""Question text and language → ranked entries with scores, or "no confident match".

The order of checks is the order of importance: emergency words first (in every language,
whatever language the user chose), then greetings, then topics the bot never answers
(unless the rest of the question is clearly about an entry), then the search itself. The
search looks at every language's texts; words of the question's own languages (the one
asked in, the one recognised, and German, whose official words migrants use in every
language) count fully, words found only in other languages a little less.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

from rapidfuzz import fuzz, process

from bot.answer.collector import collector_paused
from bot.answer.cues import Hit, PhraseMatcher, WordKeys
from bot.answer.index import (
    SearchIndex,
    is_stopword,
    language_scripts,
    token_terms,
    without_article,
)
from bot.answer.langdetect import Detection, LanguageDetector, distinctive_letters
from bot.answer.lexicon import Lexicons, Mode, Synonym, load_lexicons
from bot.answer.normalise import Script, Token, fold, tokenize
from bot.answer.result import Answer, AnswerKind, Match
from bot.answer.stemming import Stemmers
from bot.answer.transliterate import to_cyrillic, to_latin
from bot.catalog.model import Catalog

MAX_QUESTION_CHARS = 1000  # longer text is cut: no question is this long
MAX_WORDS = 60
MAX_MATCHES = 5
TOWN_WORD_CHARS = 4  # shorter parts of the town's name are not taken for it
WORD_CACHE_SIZE = 4_000  # question words whose search terms are remembered (about 3 MB)

# How strongly a question word stands for an index word it does not equal exactly.
PREFIX_STRENGTH = 0.8  # "sport" → "sportverein"
SUFFIX_STRENGTH = 0.7  # "kurs" → "deutschkurs"
COMPOUND_STRENGTH = 0.9  # "wohngeldantrag" → "wohngeld" + "antrag"
SYNONYM_STRENGTH = 0.9  # from the language's synonym list
PAIR_STRENGTH = 1.0  # two words in a row, as in a title or question
PAIR_GAP_STRENGTH = 0.8  # the same with one other word between them
PAIR_ALTERNATIVES = 4  # stand-ins (typo, prefix …) per word tried in pairs
TRANSLIT_STRENGTH = 0.8  # "бюргергелд" → "burgergeld"
PREFIX_MIN_CHARS = 4
SUFFIX_MIN_CHARS = 4
COMPOUND_MIN_CHARS = 8
COMPOUND_PART_CHARS = 4
SPLIT_COMPOUND_STRENGTH = 0.9  # "sozial wohnung" → "sozialwohnung"
COMPOUND_HEAD_CHARS = 4  # a German compound's last word, known without its first part ...
COMPOUND_FIRST_CHARS = 5  # ... after a first part at least this long
COMPOUND_HEAD_STRENGTH = 0.8  # "ingenieursdiplom" → "diplom": a kind of diploma
AFFIX_LIMIT = 24  # prefix/suffix relatives considered per word
FUZZY_MIN_CHARS = 5
FUZZY_CUTOFF = 80.0  # rapidfuzz ratio: about one wrong letter in a word of six
FUZZY_SHORT_CHARS = 5  # up to this length ...
FUZZY_SHORT_CUTOFF = 85.0  # ... a letter too many or too few, not a different letter
ARABIC_FUZZY_CUTOFF = 88.0  # written without vowels, a letter more is often another word
TRANSLIT_CUTOFF = 80.0
SHORT_WORD_CHARS = 2  # words this short count half: "da", "ok", "b1" is an exception
SHORT_WORD_WEIGHT = 0.5
MINOR_WORD_WEIGHT = 0.5  # words that say who a question is about ("children"), not what
OTHER_LANGUAGE_WEIGHT = 0.8  # a word found only in a language the question is not in
OTHER_LANGUAGE_LOOSE = 0.3  # the same for a prefix, typo or transliteration match
IDF_FULL = 1.5  # below this rarity a word's weight falls faster
STRONG_MATCH = 0.5  # a match at least this good (title, question) makes a word less telling

# Calibration (on the "tune" questions): raw score → confidence, and the decisions.
CONFIDENCE_SCALE = 2.5  # confidence = 1 - exp(-raw / scale)
MIN_SCORE = 1.6  # below this the bot says it does not know
MIN_SCORE_ONE_IDEA = 2.0  # the same when only one word of the question points to the entry
SUPPORT_MIN_SCORE = 0.5  # a word adding less than this does not count as pointing there
MAX_SPREAD = 1.8  # a specific idea points to no more entries than this
MIN_GENERIC_SUPPORT = 3  # ... or this many generic ideas agree
AGREEING_LEAD = 0.7  # ... or two, when no other entry reaches this share of the best score
CLOSE_RATIO = 0.9  # a runner-up this close to the best makes a "did you mean"
EMERGENCY_CLOSE_RATIO = 0.7  # the same when the best is the emergency card (found by search)
EMERGENCY_TIE_RATIO = 0.85  # another entry this close to the emergency card comes first
SHORT_QUESTION_WORDS = 3  # up to this many words, a known but vague question gets options
MIN_SCORE_SUGGEST = 0.8  # ... if its best entry reaches this
SUGGEST_RATIO = 0.7  # ... offering the entries at least this close to the best
MIN_SUGGESTIONS = 1  # ... ("did you mean Schimmel?" for "schimel" is one)
OFF_TOPIC_OVERRIDE = 4.0  # with a topic the bot never answers, the rest must score this much


@dataclass
class _Unit:
    """One idea of the question: the index words that stand for it, with their strength.

    A loose match (prefix, typo, transliteration) counts in the question's own languages;
    in any other language it is mostly coincidence ("gelernt" is not Turkish "gelen").
    """

    terms: dict[str, tuple[float, bool]] = field(default_factory=dict)  # term → strength, loose
    weight: float = 1.0

    def add(self, term: str, strength: float, loose: bool = False) -> None:
        if strength > self.terms.get(term, (0.0, False))[0]:
            self.terms[term] = (strength, loose)


class _Ranked(NamedTuple):
    slug: str
    score: float  # the raw sum of the ideas' contributions
    support: int  # ideas adding at least SUPPORT_MIN_SCORE
    specific: bool  # one of them points to few entries


def _by_namespace(terms: list[tuple[str, float]]) -> dict[str, list[tuple[str, float]]]:
    """A word's pair terms by stemmer ("" for folded words): pairs join within one."""
    grouped: dict[str, list[tuple[str, float]]] = {}
    for term, strength in terms:
        namespace, _, value = term.rpartition(":")
        grouped.setdefault(namespace, []).append((value, strength))
    return grouped


_T = TypeVar("_T")


def _once(groups: Iterable[Sequence[_T]]) -> list[_T]:
    """The items of all groups, each once: a language that includes another ("de-simple"
    includes "de") holds the very same items, and every list applies to every question."""
    return list({id(item): item for group in groups for item in group}.values())


def default_locales_dir(catalog: Catalog) -> Path:
    return Path(catalog.directory).parent / "locales"


class Answerer:
    """Built once per content load; ``answer`` is pure and fast."""

    def __init__(self, catalog: Catalog, lexicons: Lexicons | None = None) -> None:
        with collector_paused():  # many small objects, none in a cycle
            self._build(catalog, lexicons)

    def _build(self, catalog: Catalog, lexicons: Lexicons | None) -> None:
        if lexicons is None:
            locales = default_locales_dir(catalog)
            lexicons = load_lexicons(locales, catalog.languages) if locales.is_dir() else Lexicons()
        self.catalog = catalog
        self.lexicons = lexicons
        self.scripts = language_scripts(catalog, lexicons)
        self.stemmers = Stemmers(catalog.languages, lexicons, self.scripts)
        self.index = SearchIndex(catalog, self.stemmers, lexicons)
        texts = dict(self.index.texts_by_language)
        for lexicon in lexicons.all():
            words = " ".join(lexicon.stopwords)
            texts[lexicon.code] = texts.get(lexicon.code, "") + "\n" + words
        self.detector = LanguageDetector(
            catalog.languages, self.scripts, lexicons, distinctive_letters(texts, self.scripts)
        )
        everyone = lexicons.all()
        keys: WordKeys = {}  # the same words recur in all four lists
        self.emergency = PhraseMatcher(_once(lx.emergency for lx in everyone), self.stemmers, keys)
        self.greetings = PhraseMatcher(_once(lx.greetings for lx in everyone), self.stemmers, keys)
        self.out_of_scope = PhraseMatcher(
            _once(lx.out_of_scope for lx in everyone), self.stemmers, keys
        )
        self._synonyms: list[Synonym] = _once(lx.synonyms for lx in everyone)
        self.synonyms = PhraseMatcher([s.phrase for s in self._synonyms], self.stemmers, keys)
        self._synonym_of = {id(s.phrase): s for s in self._synonyms}
        self.spellings = {written: meant for lx in everyone for written, meant in lx.spellings}
        self._heads = self._compound_heads()
        emergency = catalog.emergency
        self.emergency_slug = emergency.slug if emergency else None
        # "Bad" of "Bad Homburg" or "am" of "Frankfurt am Main" are words of their own.
        town = tokenize(catalog.town)
        self.town_words = frozenset(t.folded for t in town if len(t.folded) >= TOWN_WORD_CHARS)
        self._term_cache: dict[str, set[str]] = {}
        self._alternative_cache: dict[str, list[_Unit]] = {}
        self._target_cache: dict[str, list[_Unit]] = {}

    # -- words -------------------------------------------------------------------------

    def _terms(self, token: Token) -> set[str]:
        terms = self._term_cache.get(token.raw)
        if terms is None:
            if len(self._term_cache) > WORD_CACHE_SIZE:  # bounded: questions are endless
                self._term_cache.clear()
            terms = token_terms(token, self.stemmers)
            self._term_cache[token.raw] = terms
        return terms

    def _units_for(self, token: Token) -> list[_Unit]:
        """The unit of one question word (two for a compound the index only knows in parts)."""
        cached = self._alternative_cache.get(token.raw)
        if cached is not None:
            return cached
        if len(self._alternative_cache) > WORD_CACHE_SIZE:
            self._alternative_cache.clear()
        index = self.index
        word = token.folded
        unit = _Unit(weight=SHORT_WORD_WEIGHT if len(word) <= SHORT_WORD_CHARS else 1.0)
        if any(c.isdigit() for c in word):
            unit.weight = 1.0  # "b1", "c1": short but telling
        for term in self._terms(token):
            if term in index.postings:
                unit.add(term, 1.0)
        exact = bool(unit.terms)
        if len(word) >= PREFIX_MIN_CHARS:
            for other in index.words_starting(word, AFFIX_LIMIT):
                unit.add(other, PREFIX_STRENGTH, loose=True)
        if len(word) >= SUFFIX_MIN_CHARS and token.script is Script.LATIN:
            for other in index.words_ending(word, AFFIX_LIMIT):
                unit.add(other, SUFFIX_STRENGTH, loose=True)
        units = [unit]
        if not exact:
            # A word that begins a known longer word ("nebenkosten" → "nebenkostenabrechnung")
            # is that word shortened, not a compound to take apart ("neben" + "kosten").
            parts = [] if unit.terms else self._compound_parts(word)
            if parts:
                units = [_Unit({part: (COMPOUND_STRENGTH, True)}) for part in parts]
            elif len(word) >= FUZZY_MIN_CHARS:
                head = self._compound_head(word) if token.script is Script.LATIN else None
                if head:
                    # The head's own forms only: a "Krankenhaus" is a kind of "Haus", not
                    # of every word that starts with it ("Hausaufgabenhilfe").
                    for found in self._units_for(Token(head, head, Script.LATIN)):
                        for term, (strength, loose) in found.terms.items():
                            if not loose:
                                unit.add(term, strength * COMPOUND_HEAD_STRENGTH, loose=True)
                # In a short word one wrong letter is another word ("يتعلم", "يتكلم"): there
                # only a missing or extra letter counts as a typo.
                cutoff = FUZZY_CUTOFF if len(word) > FUZZY_SHORT_CHARS else FUZZY_SHORT_CUTOFF
                if token.script is Script.ARABIC:
                    cutoff = max(cutoff, ARABIC_FUZZY_CUTOFF)
                self._add_fuzzy(unit, word, index.fuzzy_buckets.get(word[0]), cutoff)
            if token.script in (Script.CYRILLIC, Script.ARABIC) and len(word) >= FUZZY_MIN_CHARS:
                # "الكاوتسيون" is "the Kaution": the German word is the one without the article.
                bare = without_article(token)
                for form in (word, bare.folded) if bare else (word,):
                    latin = to_latin(form)
                    bucket = index.source_words.get(latin[:1])
                    self._add_fuzzy(unit, latin, bucket, TRANSLIT_CUTOFF, TRANSLIT_STRENGTH)
            if token.script is Script.LATIN and len(word) >= FUZZY_MIN_CHARS:
                self._add_cyrillic(unit, word)
        units = [u for u in units if u.terms]
        self._alternative_cache[token.raw] = units
        return units

    @staticmethod
    def _add_fuzzy(
        unit: _Unit, word: str, bucket: list[str] | None, cutoff: float, top: float = 1.0
    ) -> None:
        if not bucket:
            return
        for other, ratio, _ in process.extract(
            word, bucket, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
        ):
            unit.add(other, top * (ratio / 100.0 - 0.1), loose=True)

    def _add_cyrillic(self, unit: _Unit, word: str) -> None:
        """Russian or Ukrainian typed in Latin letters ("kvartiru") found in Cyrillic."""
        cyrillic = fold(to_cyrillic(word))
        token = Token(cyrillic, cyrillic, Script.CYRILLIC)
        found = [t for t in self._terms(token) if t in self.index.postings]
        for term in found:
            unit.add(term, TRANSLIT_STRENGTH)
        if not found:
            bucket = self.index.fuzzy_buckets.get(cyrillic[0])
            self._add_fuzzy(unit, cyrillic, bucket, FUZZY_CUTOFF, TRANSLIT_STRENGTH)

    def _spelled(self, token: Token) -> set[str]:
        """The terms of the word a differently written word stands for ("nich" → "nicht")."""
        meant = self.spellings.get(token.folded)
        return self._terms(Token(meant, meant, token.script)) if meant else set()

    def _cyrillic_terms(self, token: Token) -> set[str]:
        """The terms of a Latin-letter word read as Russian or Ukrainian ("zhitelstvo")."""
        cyrillic = fold(to_cyrillic(token.folded))
        return self._terms(Token(cyrillic, cyrillic, Script.CYRILLIC)) if cyrillic else set()

    def _compound_parts(self, word: str) -> list[str]:
        """``word`` as two indexed words ("wohngeldantrag"), allowing a linking "s"."""
        if len(word) < COMPOUND_MIN_CHARS:
            return []
        known = self.index.word_set
        for cut in range(len(word) - COMPOUND_PART_CHARS, COMPOUND_PART_CHARS - 1, -1):
            head, tail = word[:cut], word[cut:]
            if head not in known:
                continue
            if tail in known:
                return [head, tail]
            if tail.startswith("s") and tail[1:] in known and len(tail) > COMPOUND_PART_CHARS:
                return [head, tail[1:]]
        return []

    def _compound_heads(self) -> dict[str, str]:
        """German words that can end a compound, each with the indexed word it stands for:
        the texts' own words, and the German synonyms of one word ("club" → "verein")."""
        heads = {word: word for word in self.index.source_word_set}
        for code in self.index.source_family:
            for synonym in self.lexicons.get(code).synonyms:
                words = synonym.phrase.words
                if (
                    len(words) != 1
                    or words[0].mode is not Mode.WORD
                    or words[0].alternatives
                    or len(synonym.targets) != 1
                ):
                    continue
                target = tokenize(synonym.targets[0])
                if len(target) == 1 and target[0].folded in self.index.word_set:
                    heads.setdefault(words[0].text, target[0].folded)
        return heads

    def _compound_head(self, word: str) -> str | None:
        """The indexed word for the longest German word ``word`` ends with ("tischtennisclub").

        In a German compound the last word says what it is; the first parts only narrow
        it down, so the last word alone is a fair stand-in when the whole is unknown.
        """
        if len(word) < COMPOUND_MIN_CHARS:
            return None
        # The first part must be long enough to be a word of its own: "ver-gessen" is
        # no kind of "essen".
        for cut in range(COMPOUND_FIRST_CHARS, len(word) - COMPOUND_HEAD_CHARS + 1):
            head = self._heads.get(word[cut:])
            if head is not None:
                return head
        return None

    def _synonym_units(self, synonym: Synonym) -> list[_Unit]:
        """One unit per word the synonym stands for, as if the user had typed those words."""
        key = synonym.phrase.where
        units = self._target_cache.get(key)
        if units is None:
            units = []
            for target in synonym.targets:
                for token in tokenize(target):
                    for found in self._units_for(token):
                        unit = _Unit(weight=found.weight)
                        for term, (strength, loose) in found.terms.items():
                            unit.add(term, strength * SYNONYM_STRENGTH, loose)
                        units.append(unit)
            self._target_cache[key] = units
        return units

    def vocabulary_warnings(self) -> list[str]:
        """Synonyms that stand for a word no entry contains (a typo, or content that changed)."""
        warnings = []
        for lexicon in self.lexicons.all():
            for synonym in lexicon.synonyms:
                if synonym.phrase.language != lexicon.code:
                    continue  # included from another language's file: reported there
                for target in synonym.targets:
                    if not any(
                        term in self.index.postings
                        for token in tokenize(target)
                        for term in self._terms(token)
                    ):
                        warnings.append(
                            f"{synonym.phrase.where}: '{synonym.phrase.text}' stands for "
                            f"'{target}', which no entry contains"
                        )
        return warnings

    # -- the question ------------------------------------------------------------------

    def _word_lists(
        self, detection: Detection, asked: str | None
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Stop words and minor words of the question's language and of German; of every
        language of the question's script when its language is open."""
        code = detection.language or asked
        if code:
            codes = [code, self.catalog.source_language]
        else:
            codes = [lang for lang, script in self.scripts.items() if script is detection.script]
        stopwords: frozenset[str] = frozenset()
        minor: frozenset[str] = frozenset()
        for lang in codes:
            stopwords |= self.lexicons.get(lang).stopwords
            minor |= self.lexicons.get(lang).minor
        return stopwords, minor

    def _names_town(self, token: Token) -> bool:
        """The town's own name, in any script: every entry is about the town, so it says
        nothing ("is this the bot of Lampertheim?", "لامبرتهايم")."""
        word = token.folded
        if word in self.town_words:
            return True
        if len(word) < FUZZY_MIN_CHARS:
            return False
        latin = word if token.script is Script.LATIN else to_latin(word)
        return any(fuzz.ratio(latin, town) >= TRANSLIT_CUTOFF for town in self.town_words)

    def _question_stemmers(self, detection: Detection, asked: str | None) -> frozenset[str] | None:
        """The stemmers of the question's languages; None (all) when they are not known."""
        codes = {code for code in (asked, detection.language) if code}
        if not codes:
            return None
        by_language = self.stemmers.by_language
        return frozenset(by_language[code].key for code in codes if code in by_language)

    def _own_languages(self, detection: Detection, asked: str | None) -> set[int]:
        """Indexes of the languages whose words count fully for this question."""
        codes = set(self.index.source_family)
        for code in (asked, detection.language):
            if code:
                codes.add(code)
        return {i for i, code in enumerate(self.index.languages) if code in codes}

    def answer(self, text: str, language: str | None = None) -> Answer:
        words = tokenize(text[:MAX_QUESTION_CHARS])[:MAX_WORDS]
        # Numbers count for the emergency words alone ("Fieber 40,8"), never for the search.
        tokens = [t for t in words if not t.is_number]
        if not tokens:
            return Answer(AnswerKind.NONE)
        asked = language if language in self.catalog.language_by_code else None
        detection = self.detector.detect(tokens, asked)
        found_language = detection.language
        word_terms = [self._terms(t) for t in words]
        codes = (found_language, asked)
        if any(self.scripts.get(code) is Script.CYRILLIC for code in codes if code):
            # "vid na zhitelstvo": Russian without a Cyrillic keyboard is still Russian, for
            # the emergency words and the synonyms too; also when it looks like Polish to the
            # language model and the user chose Ukrainian ("dytyna zgubylas").
            word_terms = [
                terms | self._cyrillic_terms(t) if t.script is Script.LATIN else terms
                for t, terms in zip(words, word_terms, strict=True)
            ]
        # "atmet nich", "rührt sich nimmer": the word lists read a word as people write it
        # as the word it is. The search does not: there the words of the entries decide.
        word_terms = [terms | self._spelled(t) for t, terms in zip(words, word_terms, strict=True)]
        if self.emergency_slug and self.emergency.match(words, word_terms):
            return Answer(AnswerKind.EMERGENCY, (Match(self.emergency_slug, 1.0),), found_language)
        terms = [ts for t, ts in zip(words, word_terms, strict=True) if not t.is_number]
        stopwords, minor = self._word_lists(detection, asked)
        greeted: set[int] = set()
        plainly_greeted = False
        for hit in self.greetings.match(tokens, terms):
            # "moin moin" is one greeting; but "sorry, my German is bad" says nothing of
            # the "German" in "… where is a German course?"
            greeted |= hit.everywhere if len(hit.phrase.words) == 1 else hit.positions
            plainly_greeted = plainly_greeted or hit.as_written(tokens)
        synonym_hits = self.synonyms.match(tokens, terms)
        # "I need help" opens a chat; "I need help right now" holds a phrase of its own.
        beyond_greeting = any(h.positions & greeted and h.positions - greeted for h in synonym_hits)
        rest = [
            i
            for i, t in enumerate(tokens)
            if i not in greeted and not is_stopword(t, stopwords) and not self._names_town(t)
        ]
        if greeted and not rest and not beyond_greeting:
            return Answer(AnswerKind.GREETING, (), found_language)
        off_topic: set[int] = set()
        question_stemmers = self._question_stemmers(detection, asked)
        for hit in self.out_of_scope.match(tokens, terms, question_stemmers):
            off_topic |= hit.positions
        if off_topic:
            # A topic the bot never answers ("cooking") declines the question, unless the
            # rest of it is clearly about an entry: "I can cook and would like to volunteer".
            rest = [i for i in rest if i not in off_topic]
        units, unknown = self._units(tokens, terms, rest, minor, synonym_hits)
        ranked = self._rank(units, self._own_languages(detection, asked))
        if off_topic and not (
            ranked and ranked[0].score >= OFF_TOPIC_OVERRIDE and ranked[0].support >= 2
        ):
            return Answer(AnswerKind.NONE, (), found_language)
        # A short question whose every word is known, like "Deutschkurs", is on topic
        # even when no single entry stands out: then the bot asks which one is meant.
        on_topic = 0 < len(rest) <= SHORT_QUESTION_WORDS and unknown == 0 and not off_topic
        answer = self._decide(ranked, found_language, on_topic)
        if plainly_greeted and answer.kind is AnswerKind.NONE and not off_topic:
            # "Good evening, sorry to disturb so late": a greeting and nothing the bot
            # knows is an opener, better met with the menu than with "I don't know".
            return Answer(AnswerKind.GREETING, (), found_language)
        return answer

    def _units(
        self,
        tokens: Sequence[Token],
        terms: Sequence[set[str]],
        rest: list[int],
        minor: frozenset[str],
        synonym_hits: Sequence[Hit],
    ) -> tuple[list[_Unit], int]:
        """The ideas of the question, and how many of its words the index does not know."""
        by_position: dict[int, list[_Unit]] = {}
        weights: dict[int, float] = {}
        for i in rest:
            # "football for children" is about football: who it is for counts less.
            weights[i] = MINOR_WORD_WEIGHT if tokens[i].folded in minor else 1.0
            by_position[i] = [
                _Unit(dict(u.terms), u.weight * weights[i]) for u in self._units_for(tokens[i])
            ]
        self._join_split_compounds(tokens, rest, by_position, weights)
        known = {i for i, units in by_position.items() if units}
        extra: list[_Unit] = []
        seen: set[tuple[frozenset[int], tuple[str, ...]]] = set()
        for hit in synonym_hits:
            synonym = self._synonym_of[id(hit.phrase)]
            targets = self._synonym_units(synonym)
            # "работа", "работу" and "робота" in three files all say "Arbeit": once is enough.
            if not targets or (hit.positions, synonym.targets) in seen:
                continue
            seen.add((hit.positions, synonym.targets))
            positions = sorted(hit.positions)
            if len(positions) == 1 and positions[0] not in by_position:
                continue  # a stop word or greeting: "بعمل" ("I do") is no "عمل" (work)
            if len(hit.phrase.words) == 1 and len(targets) == 1:
                # A word and its synonym are one idea: the better of the two counts.
                own = by_position[positions[0]]
                if not own:
                    own.append(_Unit(weight=weights[positions[0]]))
                for term, (strength, loose) in targets[0].terms.items():
                    own[0].add(term, strength, loose)
            else:
                extra.extend(_Unit(dict(u.terms), u.weight) for u in targets)
            known.update(positions)
        # Two words in a row that stand together in a title or question count once more,
        # also when one of them was misspelt ("intergration course"); with one word between
        # them a little less ("look for a cheap flat" is still about looking for a flat).
        postings = self.index.postings
        firsts = {i: self._pair_terms(terms[i], by_position[i]) for i in rest}
        seconds = {i: _by_namespace(firsts[i]) for i in rest}
        spans = [(pair, PAIR_STRENGTH) for pair in itertools.pairwise(rest)]
        spans += [((a, b), PAIR_GAP_STRENGTH) for a, b in zip(rest, rest[2:], strict=False)]
        for (first, second), span_strength in spans:
            # A pair counts no more than its lesser word: "kids" in "football for kids".
            pair = _Unit(weight=min(weights[first], weights[second]))
            following = seconds[second]
            for a, strength_a in firsts[first]:
                for value, strength_b in following.get(a.rpartition(":")[0], ()):
                    key = f"{a} {value}"  # as pair_keys makes them
                    if key in postings:
                        pair.add(key, span_strength * min(strength_a, strength_b))
            if pair.terms:
                extra.append(pair)
        units = [u for units in by_position.values() for u in units] + extra
        return units, len(set(rest) - known)

    def _join_split_compounds(
        self,
        tokens: Sequence[Token],
        rest: list[int],
        by_position: dict[int, list[_Unit]],
        weights: dict[int, float],
    ) -> None:
        """Two words that the texts write as one ("sozial wohnung", "wohn geld") stand for it.

        Learners often split German compounds; each half then also means the whole word.
        """
        known = self.index.word_set
        for first, second in itertools.pairwise(rest):
            a, b = tokens[first], tokens[second]
            if second != first + 1 or a.script is not Script.LATIN or b.script is not a.script:
                continue
            joined = a.folded + b.folded
            if len(joined) < COMPOUND_MIN_CHARS:
                continue
            # The texts' own word, or the word a German synonym stands for ("stellen
            # angebote" → "Stellenangebote" → "Jobbörse").
            word = joined if joined in known else self._heads.get(joined)
            if word is None:
                continue
            for i in (first, second):
                units = by_position[i]
                if not units:
                    units.append(_Unit(weight=weights[i]))
                units[0].add(word, SPLIT_COMPOUND_STRENGTH, loose=True)

    @staticmethod
    def _pair_terms(exact: set[str], units: list[_Unit]) -> list[tuple[str, float]]:
        """A word's own terms and its closest stand-ins, for pairs with the next word."""
        found = {term: 1.0 for term in exact}
        alternatives = sorted(
            ((t, s) for u in units for t, (s, _) in u.terms.items() if t not in found),
            key=lambda item: (-item[1], item[0]),  # the same order in every process
        )
        found.update(alternatives[:PAIR_ALTERNATIVES])
        return list(found.items())

    def _rank(self, units: list[_Unit], own_languages: set[int]) -> list[_Ranked]:
        """Entries by score, best first, with what supports each.

        An idea supports an entry when it adds enough to its score; it is specific when it
        points to few entries. Generic words alone ("today", "new") never make a confident
        answer, however many of them agree.
        """
        count = len(self.index.slugs)
        languages = range(len(self.index.languages))
        exact_factor = [1.0 if i in own_languages else OTHER_LANGUAGE_WEIGHT for i in languages]
        loose_factor = [1.0 if i in own_languages else OTHER_LANGUAGE_LOOSE for i in languages]
        totals = [0.0] * count
        support = [0] * count
        specific = [False] * count
        postings = self.index.postings
        for unit in units:
            best: dict[int, float] = {}
            for term, (strength, loose) in unit.terms.items():
                factor = loose_factor if loose else exact_factor
                for posting in postings.get(term, ()):
                    value = strength * posting.weight * factor[posting.language]
                    if value > best.get(posting.entry, 0.0):
                        best[posting.entry] = value
            if not best:
                continue
            # How many entries the idea stands for: only strong matches count, since an
            # answer text mentions neighbouring topics ("ask the Jobcenter about it").
            spread = max(sum(v for v in best.values() if v >= STRONG_MATCH), 1.0)
            idf = math.log((count + 1) / (spread + 0.5))
            # Words found in many entries ("Lampertheim", "help") count much less again.
            idf *= min(1.0, idf / IDF_FULL) * unit.weight
            for entry, value in best.items():
                totals[entry] += idf * value
                if idf * value >= SUPPORT_MIN_SCORE:
                    support[entry] += 1
                    specific[entry] = specific[entry] or spread <= MAX_SPREAD
        ranked = sorted(
            (
                _Ranked(self.index.slugs[i], score, support[i], specific[i])
                for i, score in enumerate(totals)
                if score > 0
            ),
            key=lambda item: -item.score,
        )
        return ranked[:MAX_MATCHES]

    def _decide(self, ranked: list[_Ranked], language: str | None, on_topic: bool) -> Answer:
        if not ranked:
            return Answer(AnswerKind.NONE, (), language)
        # "An interpreter for the doctor": another topic about as strong as the emergency
        # card (found by search, not by an emergency word) is what the question is about;
        # the card stays among the matches but does not make it a "did you mean".
        first_two = [r.slug for r in ranked[:2]]
        yielded = (
            len(ranked) > 1
            and self.emergency_slug in first_two
            and min(ranked[0].score, ranked[1].score)
            >= EMERGENCY_TIE_RATIO * max(ranked[0].score, ranked[1].score)
        )
        if yielded:
            card, other = sorted(ranked[:2], key=lambda r: r.slug != self.emergency_slug)
            ranked = [other, card._replace(score=min(card.score, other.score)), *ranked[2:]]
        top = ranked[0]
        best_raw = top.score
        confidence = 1.0 - math.exp(-best_raw / CONFIDENCE_SCALE)
        matches = tuple(Match(r.slug, round(confidence * r.score / best_raw, 4)) for r in ranked)
        # One idea alone must be strong; two that agree may each be weaker. Generic ideas
        # need one specific idea beside them, or many of them agreeing.
        needed = MIN_SCORE if top.support >= 2 else MIN_SCORE_ONE_IDEA
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        # Two generic ideas that agree on one entry, well ahead of every other, are telling
        # too ("find" and "flat": only one entry is about finding a flat).
        agreeing = top.support >= 2 and runner_up <= AGREEING_LEAD * best_raw
        telling = top.specific or top.support >= MIN_GENERIC_SUPPORT or agreeing
        if not telling or best_raw < needed:
            candidates = [
                m
                for r, m in zip(ranked[:3], matches[:3], strict=True)
                if r.score >= SUGGEST_RATIO * best_raw
            ]
            if on_topic and best_raw >= MIN_SCORE_SUGGEST and len(candidates) >= MIN_SUGGESTIONS:
                return Answer(AnswerKind.AMBIGUOUS, tuple(candidates), language)
            return Answer(AnswerKind.NONE, matches, language)
        emergency = matches[0].slug == self.emergency_slug
        # Without an emergency word, the emergency card needs a clear lead: "nächste Woche"
        # is no "Wochenende" doctor. Otherwise it is one of the options.
        ratio = EMERGENCY_CLOSE_RATIO if emergency else CLOSE_RATIO
        close = [
            m
            for r, m in zip(ranked[1:3], matches[1:3], strict=True)
            if r.score >= ratio * best_raw and not (yielded and r.slug == self.emergency_slug)
        ]
        if emergency and not close:
            return Answer(AnswerKind.EMERGENCY, matches[:1], language)
        if close:
            return Answer(AnswerKind.AMBIGUOUS, (matches[0], *close), language)
        return Answer(AnswerKind.MATCH, matches, language)
