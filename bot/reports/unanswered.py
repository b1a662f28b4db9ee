"""What people asked that the bot could not answer, grouped so an editor sees the patterns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.content import KnowledgeBase
from bot.reports.clustering import Vectorise, char_ngram_tfidf, group_vectors, normalised
from bot.storage.usage import UnansweredText

EXAMPLES = 3


@dataclass(frozen=True)
class UnansweredGroup:
    """Similar questions that went unanswered, and the topic that comes closest to them."""

    texts: tuple[UnansweredText, ...]
    closest: str | None
    """The entry whose questions are most like this group's (None: nothing is alike)."""
    closeness: float

    @property
    def count(self) -> int:
        """Return how many questions the group holds."""
        return len(self.texts)

    @property
    def languages(self) -> Counter[str]:
        """Return how many of the questions came in each language."""
        return Counter(t.lang for t in self.texts)

    @property
    def reasons(self) -> Counter[str]:
        """Return how many got 'I don't know', 'did you mean' or a 👎."""
        return Counter(t.reason for t in self.texts)

    @property
    def offered(self) -> Counter[str]:
        """Return the topics the bot offered or answered with, when it offered any."""
        return Counter(t.topic for t in self.texts if t.topic)

    def examples(self, count: int = EXAMPLES) -> list[str]:
        """Return a few different texts of the group, most common first."""
        return [text for text, _ in Counter(t.text for t in self.texts).most_common(count)]


def group_unanswered(texts: Sequence[UnansweredText], kb: KnowledgeBase | None,
                     vectorise: Vectorise = char_ngram_tfidf) -> list[UnansweredGroup]:
    """Group similar unanswered questions, largest group first, each with its closest topic."""
    if not texts:
        return []
    # One call vectorises the questions asked and the entries' own questions alike.
    questions = _questions(kb, {t.lang for t in texts})
    vectors = normalised(np.asarray(
        vectorise([t.text for t in texts] + [q for _, q in questions]), dtype=np.float32))
    asked, known = vectors[:len(texts)], vectors[len(texts):]
    groups = group_vectors(asked)
    result = []
    for members in groups:
        closest, closeness = None, 0.0
        if questions:
            centre = normalised(asked[members].sum(axis=0, keepdims=True))[0]
            similarity = known @ centre
            best = int(np.argmax(similarity))
            if similarity[best] > 0:
                closest, closeness = questions[best][0], float(similarity[best])
        result.append(UnansweredGroup(tuple(texts[i] for i in members), closest, closeness))
    return result


def _questions(kb: KnowledgeBase | None, languages: set[str]) -> list[tuple[str, str]]:
    """Return (topic, question) for every question of the given languages' entries."""
    if kb is None:
        return []
    return [(entry.id, question) for lang, pack in kb.packs.items() if lang in languages
            for entry in pack.entries.values() for question in (entry.title, *entry.questions)]
