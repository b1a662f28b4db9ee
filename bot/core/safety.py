"""Recognise a message about danger right now, in any of our languages, before anything else.

Editors list short crisis phrases per language in `crisis.yaml`. A message is a
crisis when the words of any phrase of any language appear in it in the same order
and close together, allowing other word forms and (in longer words) typos. Only very
common words ("I", "to", "my") may be missing. Missing a crisis is far worse than
showing emergency numbers once too often, so the rule leans towards recall; keeping
the words in order and close keeps ordinary questions from tripping it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.content import KnowledgeBase
from bot.core.normalising import stems

COMMON_SHARE = 0.3
"""A stem in more than this share of a language's documents may be missing from a message."""
NEGATIONS = {
    "fi": ("en", "et", "ei", "emme", "ette", "eivät", "eikä"),
    "en": ("not", "no", "never", "don't", "dont", "can't", "cannot", "won't"),
    "ru": ("не", "нет", "ни", "ne"),
    "ar": ("لا", "لم", "لن", "ما", "مش", "مو"),
    "fa": ("نه", "نمی", "نمیخواهم", "نمیخوام"),
    "so": ("ma", "aan", "maya"),
}
"""Never optional, however common: "I don't want to live" is not "I want to live"."""
TYPO_MIN_LENGTH = 6
"""Shorter words must match exactly or as a word form: short words differ by one letter."""
TYPO_CUTOFF = 85
EXTRA_WORDS = 3
"""How many other words may stand between a phrase's words."""
_ARABIC_CONJUNCTIONS = ("و", "ف")
"""Arabic "and" and "so", written joined to the next word."""


@dataclass(frozen=True)
class CrisisPhrase:
    """A crisis phrase as stems: the words that must appear, and its full length."""

    required: tuple[str, ...]
    length: int


class CrisisDetector:
    """Tell whether a message is about someone in danger."""

    def __init__(self, kb: KnowledgeBase,
                 document_share: Callable[[str], dict[str, float]]) -> None:
        self.phrases: dict[str, list[CrisisPhrase]] = {}
        for lang, pack in kb.packs.items():
            share = document_share(lang)
            negations = {s for word in NEGATIONS.get(lang, ()) for s in stems(word, lang)}
            phrases = []
            for phrase in pack.crisis.phrases:
                words = [w for w in stems(phrase, lang) if w]
                informative = [w for w in words
                               if w in negations or share.get(w, 0.0) <= COMMON_SHARE]
                if words:
                    phrases.append(CrisisPhrase(tuple(informative or words), len(words)))
            self.phrases[lang] = phrases

    def is_crisis(self, text: str) -> bool:
        """Return True when `text` matches a crisis phrase of any language."""
        for lang, phrases in self.phrases.items():
            for reading in _readings(text, lang):
                words = [w for w in stems(reading, lang) if w]
                if not words:
                    continue
                found = _Words(words)  # one per reading: every phrase shares its lookups
                if any(_appears(phrase, found) for phrase in phrases):
                    return True
        return False


class _Words:
    """A message's stems, and where each phrase word was found among them (asked once per
    message, not once per phrase: thousands of phrases share their words)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self._found: dict[str, list[int]] = {}

    def positions(self, needle: str) -> list[int]:
        """Return, in order, the positions of the words that are `needle` (see _same_word)."""
        found = self._found.get(needle)
        if found is None:
            found = self._found[needle] = [i for i, word in enumerate(self.words)
                                           if _same_word(needle, word)]
        return found


def _readings(text: str, lang: str) -> list[str]:
    """Return `text`, and for Arabic also with "and"/"so" (و, ف) taken off the front of each
    word: they are written joined to the next word ("ومعه سكين", and he has a knife), and
    the stemmer leaves them on, so a phrase "معه سكين" would not be found."""
    if lang != "ar":
        return [text]
    unjoined = " ".join(word[1:] if word[:1] in _ARABIC_CONJUNCTIONS and len(word) >= 4
                        else word for word in text.split())
    return [text, unjoined] if unjoined != text else [text]


def _appears(phrase: CrisisPhrase, words: _Words) -> bool:
    """Tell whether the phrase's words occur in order within a short span of `words`."""
    window = phrase.length + EXTRA_WORDS
    for start in words.positions(phrase.required[0]):
        position = start
        for needle in phrase.required[1:]:
            position = next((i for i in words.positions(needle)
                             if position < i < start + window), -1)
            if position < 0:
                break
        else:
            return True
    return False


def _same_word(needle: str, word: str) -> bool:
    if needle == word:
        return True
    if len(needle) >= 4 and word.startswith(needle):  # another form of the same word
        return True
    return (len(needle) >= TYPO_MIN_LENGTH
            and fuzz.ratio(needle, word, score_cutoff=TYPO_CUTOFF) > 0)
