"""Which of the catalog's languages a question is written in, said only when confident.

py3langid's model, restricted to the catalog's languages, is combined with cues that need
no model: the script (Arabic, Cyrillic, Latin), letters only one language of that script
uses (ş, ą, ї, پ …; learnt from the content), and the language's stop words. Short or mixed
messages ("wbs?", "salut") stay undecided: then the conversation keeps its language.
"""

from __future__ import annotations

import logging
import lzma
import math
import shutil
import tempfile
import threading
import unicodedata
import zipfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE

from bot.answer.lexicon import Lexicons
from bot.answer.normalise import Script, Token, script_of_char
from bot.catalog.model import Language

log = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.9  # posterior of the best language; below it the language stays open
MIN_LETTERS = 6  # fewer letters in the question's main script say too little
STOPWORD_WEIGHT = 1.2  # log-odds added per stop word of a language found in the question
LETTER_WEIGHT = 1.5  # log-odds per letter only this language (of its script) uses
LETTER_RATIO = 20.0  # "only this language": this many times more frequent than in any other
MIN_LETTER_COUNT = 3  # a letter seen fewer times in a language's texts proves nothing

_model_lock = threading.Lock()
_models: dict[frozenset[str], LangidModel | None] = {}
STATE_BITS = 16  # the state table is kept as 16 bits per entry plus one extra bit
CHUNK_ENTRIES = 1 << 16  # large arrays of the model are read in pieces this big


def _npy_header(stream: IO[bytes]) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if fortran or dtype.hasobject or not shape:
        raise ValueError("unexpected language model layout")
    return shape, dtype


def _npy_chunks(
    stream: IO[bytes], shape: tuple[int, ...], dtype: np.dtype, rows: int
) -> Iterator[np.ndarray]:
    """A stored array read a few rows at a time, so that no large buffer is ever needed.

    (A large temporary allocation raises the C library's thresholds, and the memory it
    leaves behind would stay with the process.)
    """
    row_shape = tuple(shape[1:])
    row_bytes = int(np.prod(row_shape, dtype=np.int64)) * dtype.itemsize
    left = shape[0]
    while left:
        count = min(rows, left)
        data = stream.read(count * row_bytes)
        if len(data) != count * row_bytes:
            raise ValueError("the language model file is truncated")
        yield np.frombuffer(data, dtype=dtype).reshape((count, *row_shape))
        left -= count


def _packed_states(stream: IO[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The state table (next state per state row and byte) as 16 bits plus one bit.

    There are about 105,000 states, one bit too many for 16; keeping the 17th bit apart
    halves the table (40 MB → 21 MB).
    """
    shape, dtype = _npy_header(stream)
    size = shape[0]
    low = np.empty(size, dtype=np.uint16)
    high = np.empty((size + 7) // 8, dtype=np.uint8)
    done = 0
    for chunk in _npy_chunks(stream, shape, dtype, CHUNK_ENTRIES):  # a multiple of 8
        if int(chunk.max()) >= 1 << (STATE_BITS + 1):
            raise ValueError("unexpected language model layout")
        count = len(chunk)
        low[done : done + count] = chunk & 0xFFFF
        bits = np.packbits(((chunk >> STATE_BITS) & 1).astype(np.uint8))
        high[done // 8 : done // 8 + len(bits)] = bits
        done += count
    return low, high


class LangidModel:
    """py3langid's naive Bayes model, cut down to the catalog's languages.

    The same computation as ``py3langid.langid.LanguageIdentifier`` with normalised
    probabilities, reading the model file directly: the stock loader keeps all 97
    languages' tables and a 32-bit state table, about 100 MB at its peak.
    """

    def __init__(self, codes: frozenset[str]) -> None:
        with tempfile.TemporaryFile(suffix=".npz") as tmp:
            with lzma.open(MODEL_DIR / MODEL_FILE) as source:
                shutil.copyfileobj(source, tmp, length=1 << 20)
            tmp.seek(0)
            with zipfile.ZipFile(tmp) as archive:
                classes = [str(c) for c in np.load(archive.open("classes.npy")).tolist()]
                keep = [i for i, c in enumerate(classes) if c in codes]
                with archive.open("ptc.npy") as stream:
                    shape, dtype = _npy_header(stream)
                    self.ptc = np.empty((shape[0], len(keep)), dtype=np.float32)
                    done = 0
                    for rows in _npy_chunks(stream, shape, dtype, CHUNK_ENTRIES // 64):
                        self.ptc[done : done + len(rows)] = rows[:, keep]
                        done += len(rows)
                self.pc = np.asarray(np.load(archive.open("pc.npy"))[keep], dtype=np.float32)
                with archive.open("nextmove.npy") as stream:
                    low, high = _packed_states(stream)
                rows = np.load(archive.open("nextmove_row.npy"))
                output = np.load(archive.open("out_feat.npy")).astype(np.int32)
        self.classes = [classes[i] for i in keep]
        self._low = memoryview(low)
        self._high = memoryview(high)
        # 100,000 row offsets: packed, not as Python ints (3 MB less).
        self._rowbase = array("q", (int(r) << 8 for r in rows.tolist()))
        self._output = memoryview(output)

    def _features(self, data: bytes) -> Counter[int]:
        low, high, rowbase, output = self._low, self._high, self._rowbase, self._output
        state = 0
        found: Counter[int] = Counter()
        for byte in data:
            i = rowbase[state] + byte
            state = low[i] | (((high[i >> 3] >> (7 - (i & 7))) & 1) << STATE_BITS)
            feature = output[state]
            if feature >= 0:
                found[feature] += 1
        return found

    def rank(self, text: str) -> dict[str, float]:
        """Probability per language (they sum to 1); uniform when the text says nothing."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf-8", errors="replace")
        found = self._features(data)
        if not found or not self.classes:
            return {c: 1.0 / max(len(self.classes), 1) for c in self.classes}
        index = np.fromiter(found.keys(), dtype=np.intp, count=len(found))
        counts = np.fromiter(found.values(), dtype=np.float32, count=len(found))
        scores = np.log1p(counts) @ self.ptc[index] + self.pc
        scores *= 1.0 / math.sqrt(len(data))  # py3langid's calibration across lengths
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return dict(zip(self.classes, scores.tolist(), strict=True))


def identifier_for(codes: Iterable[str]) -> LangidModel | None:
    """The (cached, shared) model for these py3langid codes; loaded once per process."""
    key = frozenset(codes)
    with _model_lock:
        if key not in _models:
            try:
                _models[key] = LangidModel(key)
            except (OSError, ValueError, KeyError, lzma.LZMAError, zipfile.BadZipFile) as exc:
                log.error("language identification unavailable: %s", exc)
                _models[key] = None
        return _models[key]


@dataclass(frozen=True)
class Detection:
    language: str | None  # a catalog code, or None when not confident
    confidence: float
    script: Script


def _langid_code(lang: Language) -> str:
    return lang.locale.split("_")[0].lower()


def distinctive_letters(texts: dict[str, str], scripts: dict[str, Script]) -> dict[str, frozenset]:
    """Per language, the letters that (among languages of its script) practically only it uses."""
    counts = {code: Counter(c for c in text if c.isalpha()) for code, text in texts.items()}
    totals = {code: max(sum(c.values()), 1) for code, c in counts.items()}
    found: dict[str, frozenset] = {}
    for code, counter in counts.items():
        letters = set()
        for letter, n in counter.items():
            if n < MIN_LETTER_COUNT or script_of_char(letter) is not scripts.get(code):
                continue
            share = n / totals[code]
            others = [
                counts[other][letter] / totals[other]
                for other in counts
                if other != code and scripts.get(other) is scripts.get(code)
            ]
            if all(share >= LETTER_RATIO * o for o in others):
                letters.add(letter)
        found[code] = frozenset(letters)
    return found


class LanguageDetector:
    def __init__(
        self,
        languages: Sequence[Language],
        scripts: dict[str, Script],
        lexicons: Lexicons,
        letters: dict[str, frozenset],
    ) -> None:
        self.languages = list(languages)
        self.scripts = scripts
        self.stopwords = {lang.code: lexicons.get(lang.code).stopwords for lang in languages}
        self.letters = letters
        self.langid_code = {lang.code: _langid_code(lang) for lang in languages}
        self.identifier = identifier_for(set(self.langid_code.values()))
        known = set(self.identifier.classes) if self.identifier else set()
        self.known = {code for code, base in self.langid_code.items() if base in known}

    def _model_scores(self, text: str, candidates: list[str]) -> dict[str, float]:
        """py3langid's probabilities, renormalised over the candidates it knows."""
        uniform = {code: 1.0 / len(candidates) for code in candidates}
        if not self.identifier or not any(c in self.known for c in candidates):
            return uniform
        ranked = self.identifier.rank(text)
        probs = {c: ranked.get(self.langid_code[c], 0.0) for c in candidates if c in self.known}
        total = sum(probs.values())
        if total <= 0:
            return uniform
        # A language the model does not know gets an even share of the doubt.
        unknown_share = 1.0 / len(candidates)
        return {c: probs[c] / total if c in probs else unknown_share for c in candidates}

    def detect(self, tokens: Sequence[Token], asked: str | None = None) -> Detection:
        letters = Counter(script_of_char(c) for t in tokens for c in t.raw if c.isalpha())
        letters.pop(Script.OTHER, None)
        if not letters:
            return Detection(None, 0.0, Script.OTHER)
        # The script of most words, not letters: "де получить Aufenthaltstitel" is Russian
        # with one long German word in it.
        words = Counter(t.script for t in tokens if t.script is not Script.OTHER)
        script = max(letters, key=lambda s: (words[s], letters[s]))
        count = letters[script]
        # One representative per py3langid code: de and de-simple read alike.
        candidates: list[str] = []
        for lang in self.languages:
            if self.scripts.get(lang.code) is not script:
                continue
            twin = next(
                (c for c in candidates if self.langid_code[c] == self.langid_code[lang.code]), None
            )
            if twin is None:
                candidates.append(lang.code)
        if not candidates:
            return Detection(None, 0.0, script)
        own = [t for t in tokens if t.script is script]
        text = " ".join(t.raw for t in own)
        probs = self._model_scores(text, candidates)
        logits = {}
        for code in candidates:
            twins = [c for c in self.stopwords if self.langid_code[c] == self.langid_code[code]]
            stops = sum(1 for t in own if any(t.folded in self.stopwords[c] for c in twins))
            special = sum(1 for t in own for ch in t.raw if ch in self.letters.get(code, ()))
            logits[code] = (
                math.log(probs[code] + 1e-6) + STOPWORD_WEIGHT * stops + LETTER_WEIGHT * special
            )
        top = max(logits.values())
        total = sum(math.exp(v - top) for v in logits.values())
        best = max(logits, key=lambda c: logits[c])
        confidence = 1.0 / total
        if count < MIN_LETTERS or confidence < MIN_CONFIDENCE:
            return Detection(None, confidence, script)
        # The asked language wins over its twin: a de-simple user writing German stays there.
        if asked in self.langid_code and self.langid_code[asked] == self.langid_code[best]:
            best = asked
        return Detection(best, confidence, script)
