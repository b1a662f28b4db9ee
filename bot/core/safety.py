"""Recognise a message about danger right now, in any of our languages, before anything else.

Editors list short crisis phrases per language in `intents.yaml`. A message is a
crisis when it contains the informative words of any phrase of any language
(words common across the knowledge base, like "I" or "want", are not required),
allowing typos and other word forms. Missing a crisis is far worse than showing
emergency numbers once too often, so the rule leans towards recall.
"""

from __future__ import annotations

from collections.abc import Callable

from rapidfuzz import fuzz, process

from bot.core.content import KnowledgeBase
from bot.core.normalising import stems

COMMON_SHARE = 0.15
"""A stem found in more than this share of documents is too common to identify a crisis."""
TYPO_CUTOFF = 84


class CrisisDetector:
    """Tell whether a message is about someone in danger."""

    def __init__(self, kb: KnowledgeBase, document_share: Callable[[str], dict[str, float]]
                 ) -> None:
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        for lang, pack in kb.packs.items():
            share = document_share(lang)
            phrases = []
            for phrase in pack.intents.get("crisis", ()):
                words = [w for w in stems(phrase, lang) if w]
                informative = [w for w in words if share.get(w, 0.0) <= COMMON_SHARE]
                phrases.append(tuple(informative or words))
            self.phrases[lang] = phrases

    def is_crisis(self, text: str) -> bool:
        """Return True when `text` matches a crisis phrase of any language."""
        for lang, phrases in self.phrases.items():
            words = [w for w in stems(text, lang) if w]
            if not words:
                continue
            present = set(words)
            for phrase in phrases:
                if all(_contains(word, present, words) for word in phrase):
                    return True
        return False


def _contains(needle: str, present: set[str], words: list[str]) -> bool:
    if needle in present:
        return True
    if len(needle) < 4:
        return False
    if any(w.startswith(needle) for w in words):  # another form of the same word
        return True
    return process.extractOne(needle, words, scorer=fuzz.ratio,
                              score_cutoff=TYPO_CUTOFF) is not None
