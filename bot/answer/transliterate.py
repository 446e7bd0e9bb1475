"""German words written in Cyrillic or Arabic letters, spelt back in Latin letters.

Migrants write "бюргергелд" or "آوسبیلدونگ"; spelt the German way ("burgergeld",
"ausbildung") they can be compared with the German words of the content.
"""

from __future__ import annotations

_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "w", "г": "g", "д": "d", "е": "e", "ж": "sch", "з": "s",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "z", "ч": "tsch",
        "ш": "sch", "щ": "scht", "ъ": "", "ь": "", "ю": "u", "я": "ja", "ё": "jo", "є": "je",
        "ї": "ji", "і": "i", "ы": "i", "э": "e", "ґ": "g",
    }
)  # fmt: skip

# Arabic script has no short vowels: "آنملدونگ" becomes "anmldung", close to "anmeldung".
_ARABIC = str.maketrans(
    {
        "ا": "a", "آ": "a", "ب": "b", "پ": "p", "ت": "t", "ث": "s", "ج": "j", "چ": "tsch",
        "ح": "h", "خ": "ch", "د": "d", "ذ": "s", "ر": "r", "ز": "s", "ژ": "j", "س": "s",
        "ش": "sch", "ص": "s", "ض": "d", "ط": "t", "ظ": "s", "ع": "", "غ": "g", "ف": "f",
        "ق": "k", "ك": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n", "و": "u", "ه": "e",
        "ي": "i", "ئ": "i", "ڤ": "w",
    }
)  # fmt: skip


def to_latin(word: str) -> str:
    """A folded Cyrillic or Arabic-script word in German-like Latin spelling."""
    if word[:1] == "و":  # at the start of a word, "و" is a consonant: "وونگلد"
        word = "w" + word[1:]
    return word.translate(_CYRILLIC).translate(_ARABIC)


# Russian and Ukrainian typed in Latin letters ("kvartiru", "dopomoga"), spelt back in
# Cyrillic; longest letter groups first. The result is folded like any word, which also
# merges the Ukrainian and Russian spellings of "i" and "y".
_LATIN_GROUPS = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"),
    ("ts", "ц"), ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("ye", "е"), ("ju", "ю"),
    ("ja", "я"), ("jo", "ё"), ("ie", "е"),
)  # fmt: skip
_LATIN_LETTERS = str.maketrans(
    {
        "a": "а", "b": "б", "v": "в", "w": "в", "g": "г", "h": "х", "d": "д", "e": "е",
        "z": "з", "i": "и", "j": "й", "y": "ы", "k": "к", "q": "к", "l": "л", "m": "м",
        "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф",
        "c": "ц", "x": "кс",
    }
)  # fmt: skip


def to_cyrillic(word: str) -> str:
    """A Latin-letter word in Cyrillic, as someone without a Cyrillic keyboard means it."""
    for group, letter in _LATIN_GROUPS:
        word = word.replace(group, letter)
    if word.endswith("y") and len(word) > 1 and word[-2] in "aeiou":
        word = word[:-1] + "й"  # "novyi", "moy": a final y after a vowel
    return word.translate(_LATIN_LETTERS)
