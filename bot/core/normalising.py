"""Turn what people type into comparable tokens, whatever their keyboard or spelling.

Folding makes spelling variants equal: case, Latin diacritics (ä → a), Russian ё,
Arabic and Persian letter variants (أ إ آ → ا, ي ی ى → ي, ك ک → ك, ة → ه), vowel marks,
tatweel, zero-width joiners and direction marks, and non-ASCII digits. Stemming
(Snowball for fi, en, ar, fa, ru; a small suffix list for Somali) makes word forms equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer
from anyascii import anyascii

_SNOWBALL = {"fi": "finnish", "en": "english", "ar": "arabic", "fa": "persian", "ru": "russian"}
_LETTERS = str.maketrans({
    "ى": "ي", "ی": "ي", "ئ": "ي", "ك": "ك", "ک": "ك", "ة": "ه", "ۀ": "ه", "ھ": "ه",
    "ؤ": "و", "ٱ": "ا", "ـ": None, "‌": None, "‍": None,
})
_TO_ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})
_TO_PERSIAN = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_WORD = re.compile(r"\w+")
_PERSIAN_PREFIX = re.compile(r"(?<!\S)(ن?می)\s+(?=\S)")

SCRIPT_LANGUAGES = {"latin": ("fi", "en", "so"), "arabic": ("ar", "fa"), "cyrillic": ("ru",)}
"""Which of our languages are written in each script."""

_SOMALI_SUFFIXES = tuple(sorted((
    "kayga", "tayda", "kaaga", "taada", "kiisa", "tiisa", "keeda", "teeda", "kayaga", "kooda",
    "tooda", "kiina", "yada", "yaal", "yaasha", "yada", "ooyinka", "yinka", "yaha", "aha",
    "ada", "ado", "ka", "ta", "ga", "ha", "da", "ku", "tu", "ya", "ii",
), key=len, reverse=True))


def fold(text: str) -> str:
    """Return `text` lower-cased, without marks or letter variants, words separated by spaces."""
    text = _PERSIAN_PREFIX.sub(r"\1", unicodedata.normalize("NFKC", text))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn" or category == "Cf":
            continue
        if category == "Nd":
            char = str(unicodedata.digit(char))
        kept.append(char)
    folded = unicodedata.normalize("NFC", "".join(kept)).translate(_LETTERS)
    return " ".join(_WORD.findall(folded.replace("_", " ")))


def script_of(text: str) -> str:
    """Return the main script of `text`: latin, arabic, cyrillic or other."""
    counts = {"latin": 0, "arabic": 0, "cyrillic": 0}
    for char in text:
        if not char.isalpha():
            continue
        if "\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff":
            counts["arabic"] += 1
        elif "\u0400" <= char <= "\u04ff":
            counts["cyrillic"] += 1
        elif char.isascii() or "\u00c0" <= char <= "\u024f":
            counts["latin"] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "other"


def words(text: str, lang: str) -> list[str]:
    """Split `text` into words lightly normalised for `lang`'s stemmer (marks still on)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if lang == "fa":
        text = _PERSIAN_PREFIX.sub(r"\1", text).translate(_TO_PERSIAN)
    elif lang == "ar":
        text = text.translate(_TO_ARABIC)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf") and c != "ـ")
    return _WORD.findall(text.replace("_", " "))


def stems(text: str, lang: str) -> list[str]:
    """Return the folded stems of the words in `text`, read as language `lang`."""
    return [stem(word, lang) for word in words(text, lang)]


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """Return the folded stem of one word in `lang`."""
    if lang == "so":
        base = _somali_stem(word)
    elif lang == "ar":
        base = _stemmer(lang).stemWord(_arabic_proclitics(word))
    elif lang in _SNOWBALL:
        base = _stemmer(lang).stemWord(word)
    else:
        base = word
    return fold(base) or fold(word)


def transliterate(text: str) -> str:
    """Write Cyrillic or Arabic-script text in Latin letters, folded."""
    return fold(anyascii(text))


def consonant_skeleton(text: str) -> str:
    """Drop vowels (and w, y) so that 'kart maliyati' and Arabic-script 'krt mlyty' meet."""
    return " ".join(
        w for w in (re.sub(r"[aeiouwy']", "", word) for word in text.split()) if w
    )


def char_ngrams(text: str, sizes: Iterable[int] = (3, 4)) -> list[str]:
    """Return the character n-grams of each folded word, padded so word edges count."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for size in sizes:
            if len(padded) < size:
                continue
            grams.extend(padded[i:i + size] for i in range(len(padded) - size + 1))
    return grams


_ARABIC_PROCLITICS = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال")


def _arabic_proclitics(word: str) -> str:
    """Strip 'and/with/for + the' prefixes that Snowball leaves on, e.g. بالحزن → حزن."""
    for prefix in _ARABIC_PROCLITICS:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix):]
    return word


def _somali_stem(word: str) -> str:
    for suffix in _SOMALI_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(_SNOWBALL[lang])
