"""What people asked that the bot could not answer, grouped so an editor sees the patterns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bot.core.content import KnowledgeBase
from bot.core.encoding import EmbeddingCache, Encoder
from bot.reports.clustering import SIMILAR, Vectorise, char_ngram_tfidf, group_vectors, normalised
from bot.storage.usage import UnansweredText

EXAMPLES = 3
SENTENCE_SIMILAR = 0.45
"""The similarity from which a question joins a group when the sentence encoder vectorises
(centred vectors). On samples of the content's phrasings about nine in ten of a group's
members were of one topic, and a group gathered two to five times more of a topic's
rephrasings than character n-grams did."""


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


@dataclass(frozen=True)
class Grouping:
    """How questions are compared: their vectors, the similarity that joins a group, a name."""

    vectorise: Vectorise
    similar: float
    name: str


def grouping(kb: KnowledgeBase | None, encoder: Encoder | None,
             cache: EmbeddingCache) -> Grouping:
    """Compare by meaning with the sentence encoder when there is one, else by spelling."""
    if kb is None or encoder is None:
        return Grouping(char_ngram_tfidf, SIMILAR, "spelling (character n-grams)")
    return Grouping(sentence_vectoriser(kb, encoder, cache), SENTENCE_SIMILAR,
                    f"meaning (sentence encoder {encoder.name})")


def sentence_vectoriser(kb: KnowledgeBase, encoder: Encoder, cache: EmbeddingCache) -> Vectorise:
    """Return texts -> sentence vectors centred on the mean of the content's questions.

    Raw e5 vectors of any two messages are close (cosines of 0.8 and more), so their common
    part is taken away first. The content's vectors come from the bot's cache; the people's
    questions are encoded but never written to it.
    """
    questions = [question for pack in kb.packs.values() for entry in pack.entries.values()
                 for question in entry.questions]
    mean: NDArray[np.float32] = cache.vectors(encoder, questions).mean(axis=0)

    def vectorise(texts: Sequence[str]) -> NDArray[np.float32]:
        centred: NDArray[np.float32] = cache.vectors(encoder, texts, store=False) - mean
        return centred

    return vectorise


def group_unanswered(texts: Sequence[UnansweredText], kb: KnowledgeBase | None,
                     vectorise: Vectorise = char_ngram_tfidf,
                     similar: float = SIMILAR) -> list[UnansweredGroup]:
    """Group similar unanswered questions, largest group first, each with its closest topic."""
    if not texts:
        return []
    # One call vectorises the questions asked and the entries' own questions alike.
    questions = _questions(kb, {t.lang for t in texts})
    vectors = normalised(np.asarray(
        vectorise([t.text for t in texts] + [q for _, q in questions]), dtype=np.float32))
    asked, known = vectors[:len(texts)], vectors[len(texts):]
    groups = group_vectors(asked, similar)
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
