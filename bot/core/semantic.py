"""The semantic layer: what a message means, from sentence vectors, learned from the content.

Two classifiers are trained on the content's own example messages, in every language at
once (the encoder is multilingual, so a Somali phrasing also teaches the Arabic reading):

- the topic model: every entry id and the intents `@greeting`, `@thanks`, `@handoff` and
  `@out_of_scope`, so "I don't know that" is a learned answer;
- the danger model: the same classes plus one class per kind of danger (`@crisis:fire-smoke`
  ..., the examples of `crisis.yaml`), `@near_miss` (its `not_crisis` lines) and
  `@ordinary_sentence` (each sentence of an ordinary example of several sentences, as the
  reader reads it alone), with stronger weight decay. Learning each kind of danger against
  every topic recognised more held-out crisis examples at the same false-alarm rate than one
  crisis class or a crisis-or-not model (about 90 % against 85 % and 83 % at 1 % false
  alarms on held-out questions); the crisis probability is the sum over the kinds. The
  stronger decay that helps it costs the topics accuracy, hence two models. Its opinion is
  blended with a vote of the closest examples of every class (as for topics): the blend's
  weight, and separate thresholds for a whole message and for one sentence of a longer one,
  are chosen together by cross-validation (`Tuning` in understanding.py); together they
  caught about 83 % of held-out crisis examples against 76 % for the model alone at the same
  1 % false alarms. Learning the ordinary sentences let the threshold for one sentence of a
  longer message drop from 0.53 to 0.41 at the same false alarms: crisis sentences caught
  inside held-out stories rose from 67 % to 82 %.

A message is read whole and sentence by sentence: the question is often the last
sentence of a story, a greeting may stand before it, and one crisis sentence inside
a long message is enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bot.core.classifier import SoftmaxClassifier
from bot.core.content import KnowledgeBase
from bot.core.encoding import EmbeddingCache, Encoder
from bot.core.ngrams import SETTINGS as NGRAM_SETTINGS
from bot.core.ngrams import NgramClassifier
from bot.core.romanising import latin_spellings

INTENT_LABELS = ("greeting", "thanks", "handoff", "out_of_scope")
"""Intents the topic classifier learns beside the entries (as '@greeting' etc.)."""
CRISIS_PREFIX, NEAR_MISS = "@crisis:", "@near_miss"
ORDINARY_SENTENCE = "@ordinary_sentence"
"""The danger model's class for each sentence of an ordinary example of several sentences
(an entry's story, a near miss): one sentence of a long message is read alone, and a
sentence such as "the kids cried all evening" from a story about daycare hours must not
read as danger once it stands alone."""
TOPIC_L2, DANGER_L2 = 1e-3, 1e-2
"""Weight decay of the two models, chosen by cross-validation on the content."""
NEIGHBOUR_WEIGHT, NEIGHBOURS, NEIGHBOUR_TEMPERATURE = 0.5, 3, 0.01
"""The topic probabilities blend the classifier's with a nearest-neighbour vote: a softmax
over each class's mean similarity to its 3 closest examples (temperature 0.01), half and
half. Cross-validated on the content: 83.5 % top-1 against 81.4 % for the classifier alone
and 75.2 % for the neighbours alone."""
MAX_SENTENCES = 4
"""The last sentences of a long message that are also read one by one."""
MIN_SENTENCE_WORDS = 2
_SENTENCE_END = re.compile(r"(?<=[.!?؟。…])\s+|\n+|(?<=[.!?؟])(?=[^\s\d.!?؟])")


@dataclass(frozen=True)
class Reading:
    """What the semantic layer makes of one message."""

    labels: tuple[str, ...]
    whole: NDArray[np.float32]
    """Topic probabilities of the whole message, in the order of `labels`."""
    sentences: NDArray[np.float32]
    """Topic probabilities of each sentence read alone, shape (sentences, labels)."""
    danger: NDArray[np.float32]
    """Crisis probability per segment (the whole message first, then each sentence), as
    the danger model says (column 0) and as its nearest examples vote (column 1)."""
    spelling: NDArray[np.float32] | None = None
    """The character n-gram model's probabilities of the whole message, in the order of
    `labels` (None when the layer has no such model)."""

    def danger_per_segment(self, neighbour_weight: float) -> NDArray[np.float32]:
        """Return the crisis probability of the whole message, then of each sentence, the
        two opinions blended with `neighbour_weight`."""
        blended: NDArray[np.float32] = ((1 - neighbour_weight) * self.danger[:, 0]
                                        + neighbour_weight * self.danger[:, 1])
        return blended

    def crisis(self, neighbour_weight: float) -> tuple[float, float]:
        """Return the crisis probability of the whole message and the highest of any of
        its sentences."""
        blended = self.danger_per_segment(neighbour_weight)
        return float(blended[0]), float(blended[1:].max()) if len(blended) > 1 else 0.0


@dataclass(frozen=True)
class TrainingSet:
    """Example messages with their labels, and the crisis detector's examples."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    crisis_texts: tuple[str, ...]
    crisis_kinds: tuple[str, ...]
    near_misses: tuple[str, ...]
    ordinary_sentences: tuple[str, ...] = ()
    """The sentences of the ordinary examples of several sentences (see ORDINARY_SENTENCE)."""

    @classmethod
    def from_content(cls, kb: KnowledgeBase) -> TrainingSet:
        """Collect every example message of every language."""
        texts: list[str] = []
        labels: list[str] = []
        crisis: list[str] = []
        kinds: list[str] = []
        near: list[str] = []
        parts: list[str] = []
        for pack in kb.packs.values():
            def with_latin(examples: tuple[str, ...], lang: str = pack.lang) -> list[str]:
                # Latin-letter copies for languages people also type in Latin letters
                return [*examples, *(spelt for text in examples
                                     for spelt in latin_spellings(text, lang))]
            for entry_id in pack.entries:
                examples = pack.examples_of(entry_id)
                for text in with_latin(examples):
                    texts.append(text)
                    labels.append(entry_id)
                parts.extend(p for text in examples for p in sentences_read_alone(text))
            for name in INTENT_LABELS:
                for text in with_latin(pack.intents.get(name, ())):
                    texts.append(text)
                    labels.append("@" + name)
            for kind, examples in pack.crisis.examples.items():
                spelt = with_latin(tuple(examples))
                crisis.extend(spelt)
                kinds.extend([kind] * len(spelt))
            near.extend(with_latin(tuple(pack.crisis.not_crisis)))
            parts.extend(p for text in pack.crisis.not_crisis for p in sentences_read_alone(text))
        whole = {*texts, *crisis, *near}
        ordinary = tuple(p for p in dict.fromkeys(parts) if p not in whole)
        return cls(tuple(texts), tuple(labels), tuple(crisis), tuple(kinds), tuple(near),
                   ordinary)

    def model_key(self) -> tuple[str, ...]:
        """Return everything the models learn from, as the key of their cache file."""
        return (*self.all_texts(), *self.labels, f"examples={len(self.texts)}",
                *self.crisis_kinds, f"models=topics-l2={TOPIC_L2},danger-l2={DANGER_L2}",
                NGRAM_SETTINGS)

    def danger_labels(self) -> tuple[str, ...]:
        """Return the danger model's label of every text of `all_texts`."""
        return (*self.labels, *(CRISIS_PREFIX + kind for kind in self.crisis_kinds),
                *[NEAR_MISS] * len(self.near_misses),
                *[ORDINARY_SENTENCE] * len(self.ordinary_sentences))

    def all_texts(self) -> tuple[str, ...]:
        """Return every text to encode, in one fixed order (the cache's key)."""
        return self.texts + self.crisis_texts + self.near_misses + self.ordinary_sentences


class SemanticLayer:
    """Reads messages with an encoder and two classifiers trained on the content."""

    def __init__(self, encoder: Encoder, topics: SoftmaxClassifier,
                 danger: SoftmaxClassifier, examples: NDArray[np.float32],
                 example_labels: tuple[str, ...], ngrams: NgramClassifier | None = None) -> None:
        """`examples` and `example_labels` are every example the danger model learnt from
        (the topic model's come first); `ngrams` learnt from the topic model's examples."""
        self.encoder = encoder
        self.topics = topics
        self.danger = danger
        self.ngrams = ngrams
        if ngrams is not None and set(ngrams.labels) != set(topics.labels):
            raise ValueError("the n-gram model and the topic model learnt other labels")
        self._ngram_columns = ([ngrams.labels.index(label) for label in topics.labels]
                               if ngrams is not None else [])
        # One neighbour search serves both votes: the topic classes are danger classes too,
        # with the same examples.
        self._neighbours = _Neighbours(examples, example_labels, danger.labels)
        column = {label: i for i, label in enumerate(danger.labels)}
        self._topic_columns = [column[label] for label in topics.labels]
        self._crisis_columns = [i for i, label in enumerate(danger.labels)
                                if label.startswith(CRISIS_PREFIX)]
        self.labels = topics.labels

    @classmethod
    def train(cls, kb: KnowledgeBase, encoder: Encoder,
              cache: EmbeddingCache | None = None) -> SemanticLayer:
        """Encode the content's examples (from the cache when unchanged) and fit both models."""
        data = TrainingSet.from_content(kb)
        cache = cache or EmbeddingCache(None)
        texts = data.all_texts()
        vectors = cache.vectors(encoder, texts)
        # The trained models are cached too, keyed by every text and label they learnt from.
        model_key = data.model_key()
        stored = cache.arrays(encoder.name, "models", model_key)
        if stored is not None:
            try:
                return cls(encoder, SoftmaxClassifier.from_arrays(stored, "topics."),
                           SoftmaxClassifier.from_arrays(stored, "danger."),
                           vectors, data.danger_labels(),
                           NgramClassifier.from_arrays(stored, "ngrams."))
            except (KeyError, ValueError):
                pass  # an older cache format: train again
        layer = cls.fit(encoder, data, vectors)
        assert layer.ngrams is not None
        cache.store_arrays(encoder.name, "models", model_key, {
            **layer.topics.to_arrays("topics."), **layer.danger.to_arrays("danger."),
            **layer.ngrams.to_arrays("ngrams.")})
        return layer

    @classmethod
    def fit(cls, encoder: Encoder, data: TrainingSet,
            vectors: NDArray[np.float32]) -> SemanticLayer:
        """Fit the models on already encoded examples (cross-validation uses this)."""
        n = len(data.texts)
        topics = SoftmaxClassifier.fit(vectors[:n], data.labels, l2=TOPIC_L2)
        labels = data.danger_labels()
        return cls(encoder, topics, SoftmaxClassifier.fit(vectors, labels, l2=DANGER_L2),
                   vectors, labels, NgramClassifier.fit(data.texts, data.labels))

    def read(self, text: str) -> Reading:
        """Read `text` whole and, when it has several sentences, each of its last ones."""
        vectors = self.encoder.encode([text, *sentences_read_alone(text)])
        return self.read_vectors(vectors, text)

    def read_vectors(self, vectors: NDArray[np.float32], text: str | None = None) -> Reading:
        """Read already encoded segments: the whole message first, then its sentences
        (`text`, the whole message, is also read by the n-gram model)."""
        closeness = self._neighbours.closeness(vectors)
        topics = ((1 - NEIGHBOUR_WEIGHT) * self.topics.probabilities(vectors)
                  + NEIGHBOUR_WEIGHT * _vote(closeness[:, self._topic_columns]))
        columns = self._crisis_columns
        danger = np.stack([self.danger.probabilities(vectors)[:, columns].sum(axis=1),
                           danger_vote(closeness, columns)],
                          axis=1).astype(np.float32)
        spelling = (self.ngrams.probabilities(text)[self._ngram_columns]
                    if self.ngrams is not None and text is not None else None)
        return Reading(self.labels, topics[0], topics[1:], danger, spelling)


class _Neighbours:
    """The examples grouped by class, for a vote of each class's closest examples."""

    def __init__(self, examples: NDArray[np.float32], example_labels: tuple[str, ...],
                 labels: tuple[str, ...]) -> None:
        # The examples grouped by class, in the classifier's label order.
        column = {label: i for i, label in enumerate(labels)}
        classes = np.array([column[label] for label in example_labels])
        order = np.argsort(classes, kind="stable")
        self.examples = examples[order]
        counts = np.bincount(classes, minlength=len(labels))
        self._bounds = np.concatenate([[0], np.cumsum(counts)])

    def closeness(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Return, per segment and class, the mean similarity of the class's closest
        examples (-1 for a class without examples)."""
        similarity = vectors @ self.examples.T
        closeness = np.full((len(vectors), len(self._bounds) - 1), -1.0, dtype=np.float32)
        for c, (start, end) in enumerate(zip(self._bounds[:-1], self._bounds[1:],
                                             strict=True)):
            if end > start:
                k = min(NEIGHBOURS, end - start)
                nearest = np.partition(similarity[:, start:end], -k, axis=1)[:, -k:]
                closeness[:, c] = nearest.mean(axis=1)
        return closeness


def _vote(closeness: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return a softmax over classes of their closeness (temperature 0.01), per segment."""
    z = (closeness - closeness.max(axis=1, keepdims=True)) / NEIGHBOUR_TEMPERATURE
    vote = np.exp(z)
    result: NDArray[np.float32] = vote / vote.sum(axis=1, keepdims=True)
    return result


def danger_vote(closeness: NDArray[np.float32], crisis_columns: list[int]) -> NDArray[np.float32]:
    """Return the neighbours' crisis probability per segment: the kinds of danger vote as
    one class, as close as the closest kind.

    Summing each kind's own vote counts danger eleven times over for a message that is
    about as close to everything (Latin-letter Persian or Arabic often is: the encoder puts
    all such texts near each other). Cross-validated on the content, the pooled vote
    catches as many held-out crisis examples at the same false alarms."""
    others = np.delete(closeness, crisis_columns, axis=1)
    pooled = np.concatenate([closeness[:, crisis_columns].max(axis=1, keepdims=True), others],
                            axis=1)
    result: NDArray[np.float32] = _vote(pooled)[:, 0]
    return result


def sentences_read_alone(text: str) -> list[str]:
    """Return the sentences the reader also reads one by one: the last few of a message of
    several sentences, none of a message of one (it is read whole anyway)."""
    parts = sentences(text)
    return parts if len(parts) > 1 else []


def sentences(text: str) -> list[str]:
    """Split a message into its last few sentences of at least two words."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    parts = [p for p in parts if len(p.split()) >= MIN_SENTENCE_WORDS]
    return parts[-MAX_SENTENCES:]
