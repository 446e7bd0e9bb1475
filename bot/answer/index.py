"""The search index over every entry's title, questions and answer, in every language.

Built once per content load (it must stay fast: it happens at every reload). Each word of a
text is indexed as its folded form and as its stem under its language's stemmer; a
posting remembers entry, language and how much the place it was found counts.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from bot.answer.lexicon import Lexicons
from bot.answer.normalise import Script, Token, script_of_char, tokenize
from bot.answer.stemming import Stemmers
from bot.catalog.model import Catalog

# How much a word counts by where it stands: titles and the questions people ask say what
# an entry is about; the answer text also mentions neighbouring topics.
TITLE_WEIGHT = 1.0
QUESTION_WEIGHT = 0.8
BODY_WEIGHT = 0.3
SERVICE_WEIGHT = 0.25  # names and descriptions of the services an entry points to
MIN_WORD_CHARS = 2  # single letters are noise (the "l" of "l'ufficio")
TRANSLIT_MIN_CHARS = 4  # shorter German words are not looked for in other scripts
VOWELS = "aeiou"


class Posting(NamedTuple):
    entry: int
    language: int
    weight: float


def _field_texts(catalog: Catalog) -> Iterable[tuple[str, str, str, float]]:
    """(slug, language, text, weight) for every searchable text of the catalog."""
    for slug, entry in catalog.entries.items():
        for code, text in entry.texts.items():
            yield slug, code, text.title, TITLE_WEIGHT
            for question in text.questions:
                yield slug, code, question, QUESTION_WEIGHT
            yield slug, code, text.body, BODY_WEIGHT
        for service_id in entry.meta.services:
            service = catalog.services.get(service_id)
            if service is None:
                continue
            yield slug, entry.source_language, service.name, SERVICE_WEIGHT
            for code, description in service.description.items():
                yield slug, code, description, SERVICE_WEIGHT


def language_scripts(catalog: Catalog, lexicons: Lexicons) -> dict[str, Script]:
    """The script each language is written in, learnt from its texts (or its word lists)."""
    counts: dict[str, Counter[Script]] = defaultdict(Counter)
    for entry in catalog.entries.values():
        for code, text in entry.texts.items():
            counts[code].update(script_of_char(c) for c in text.title if c.isalpha())
    for lexicon in lexicons.all():
        if counts.get(lexicon.code):
            continue  # its titles tell; the word lists run to thousands of words
        words = [w.text for p in lexicon.greetings + lexicon.emergency for w in p.words]
        counts[lexicon.code].update(script_of_char(c) for w in words for c in w if c.isalpha())
    scripts = {}
    for lang in catalog.languages:
        counter = counts.get(lang.code, Counter())
        counter.pop(Script.OTHER, None)
        scripts[lang.code] = counter.most_common(1)[0][0] if counter else Script.LATIN
    return scripts


class SearchIndex:
    def __init__(self, catalog: Catalog, stemmers: Stemmers, lexicons: Lexicons) -> None:
        self.slugs: list[str] = list(catalog.entries)
        self.languages: list[str] = [lang.code for lang in catalog.languages]
        entry_index = {slug: i for i, slug in enumerate(self.slugs)}
        language_index = {code: i for i, code in enumerate(self.languages)}
        best: dict[str, dict[tuple[int, int], float]] = defaultdict(dict)
        letters: dict[str, list[str]] = defaultdict(list)
        word_terms: dict[tuple[str, str], tuple[str, ...]] = {}
        text_terms: dict[tuple[str, str, bool], set[str]] = {}
        for slug, code, text, weight in _field_texts(catalog):
            if code not in language_index:
                continue
            pairs = weight >= QUESTION_WEIGHT
            terms = text_terms.get((code, text, pairs))
            if terms is None:
                letters[code].append(text)
                terms = set()
                stopwords = lexicons.get(code).stopwords
                previous: tuple[str, ...] = ()
                for token in tokenize(text):
                    word = token.folded
                    if len(word) < MIN_WORD_CHARS or token.is_number:
                        continue
                    if is_stopword(token, stopwords):
                        continue
                    found = word_terms.get((code, token.raw))
                    if found is None:
                        found = (word, *stemmers.stems_in(token, code))
                        word_terms[(code, token.raw)] = found
                    terms.update(found)
                    if pairs and previous:
                        terms.update(pair_keys(previous, found))
                    previous = found
                text_terms[(code, text, pairs)] = terms
            slot = (entry_index[slug], language_index[code])
            for term in terms:
                weights = best[term]
                if weights.get(slot, 0.0) < weight:
                    weights[slot] = weight
        self.postings: dict[str, tuple[Posting, ...]] = {
            term: tuple(Posting(e, lang, w) for (e, lang), w in weights.items())
            for term, weights in best.items()
        }
        self.texts_by_language = {code: "\n".join(parts) for code, parts in letters.items()}
        source = catalog.source_language
        self.source_family = frozenset(
            lang.code
            for lang in catalog.languages
            if lang.code == source or lang.locale == catalog.language_by_code[source].locale
        )
        # Folded words (not stems or pairs), for prefixes, compounds and typos.
        words = sorted(t for t in self.postings if ":" not in t and " " not in t)
        self.words = words
        self.reversed_words = sorted(w[::-1] for w in words)
        self.word_set = frozenset(words)
        self.fuzzy_buckets: dict[str, list[str]] = defaultdict(list)
        for word in words:
            self.fuzzy_buckets[word[0]].append(word)
        source_codes = {language_index[c] for c in self.source_family}
        self.source_words: dict[str, list[str]] = defaultdict(list)
        for word in words:
            latin = script_of_char(word[0]) is Script.LATIN and len(word) >= TRANSLIT_MIN_CHARS
            if latin and any(p.language in source_codes for p in self.postings[word]):
                self.source_words[word[0]].append(word)
        self.source_word_set = frozenset(w for bucket in self.source_words.values() for w in bucket)
        # Another script spells a German vowel its own way ("Einbürgerung" is "айнбюргерунг",
        # "ainburgerung" back in Latin letters): a word beginning with a vowel is compared
        # with every German word that does.
        vowel_words = [w for vowel in VOWELS for w in self.source_words.get(vowel, ())]
        if vowel_words:
            for vowel in VOWELS:
                self.source_words[vowel] = vowel_words

    def words_starting(self, prefix: str, limit: int) -> list[str]:
        """Indexed words that begin with ``prefix`` (and are longer), at most ``limit``."""
        start = bisect.bisect_right(self.words, prefix)
        found = []
        for word in self.words[start : start + limit]:
            if not word.startswith(prefix):
                break
            found.append(word)
        return found

    def words_ending(self, suffix: str, limit: int) -> list[str]:
        """Indexed words that end with ``suffix`` (and are longer), at most ``limit``."""
        backwards = suffix[::-1]
        start = bisect.bisect_right(self.reversed_words, backwards)
        found = []
        for word in self.reversed_words[start : start + limit]:
            if not word.startswith(backwards):
                break
            found.append(word[::-1])
        return found


def pair_keys(first: Iterable[str], second: Iterable[str]) -> set[str]:
    """Index keys of two words in a row: "kira yardimi", "turkish:kira yardim".

    Two words that stand together in a title or question ("social housing") say more
    than each alone. A pair is formed from two folded words, or two stems of one stemmer.
    """
    keys = set()
    for a in first:
        namespace, _, _ = a.rpartition(":")
        for b in second:
            other, _, value = b.rpartition(":")
            if namespace == other:
                keys.add(f"{a} {value}")
    return keys


# The Arabic article with the particles written onto it ("بالسكين" is "with the knife",
# "عالجنسية" is "on the citizenship", "للمدرسة" "for the school"). The
# Snowball stemmer leaves some of these combinations on the word; a question word is also
# looked up without them.
ARABIC_ARTICLES = ("وبال", "فبال", "وال", "فال", "بال", "كال", "عال", "لل", "ال")
ARTICLE_MIN_REST = 3  # letters left after the article: "الم" is no word with an article


def without_article(token: Token) -> Token | None:
    """An Arabic-script word without its article and particles, or None if it has none."""
    if token.script is not Script.ARABIC:
        return None
    for article in ARABIC_ARTICLES:
        rest = len(token.folded) - len(article)
        if token.folded.startswith(article) and rest >= ARTICLE_MIN_REST:
            raw = token.raw[len(article) :] if token.raw.startswith(article) else token.raw
            return Token(raw, token.folded[len(article) :], token.script)
    return None


def is_stopword(token: Token, stopwords: frozenset[str]) -> bool:
    """A stop word, also with the Arabic "و" ("and") written onto it: "وعندي", "وبدي"."""
    word = token.folded
    if word in stopwords:
        return True
    return token.script is Script.ARABIC and word.startswith("و") and word[1:] in stopwords


def token_terms(token: Token, stemmers: Stemmers) -> set[str]:
    """A question word's own index terms: its folded form and its stems in every language."""
    terms = {token.folded, *stemmers.stems(token)}
    bare = without_article(token)
    if bare is not None:
        terms |= {bare.folded, *stemmers.stems(bare)}
    return terms
