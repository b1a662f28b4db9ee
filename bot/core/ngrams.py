"""A learned reading of how words are spelt: logistic regression on character n-grams.

The lexical matcher compares a message with each example by hand-made similarities; the
encoder reads meaning but knows Somali, Latin-letter Arabic and Persian and many Finnish
office words only poorly. This model learns from every example message of the content,
in all six languages at once, *which pieces of words* tell the topics apart: TF-IDF
weighted character 2-5-grams of each folded word (word edges marked) and whole words, a
multinomial logistic regression over the same labels as the topic model.

Its probabilities are blended into the lexical scores (`Tuning.ngram_weight`); with the
weight chosen by cross-validation on the content, held-out direct answers rose most where
the encoder is weakest (docs/benchmarks.md, "the sixth round").

It is fitted with scikit-learn in a child process, only when the content changed; applying
it needs only numpy, so the bot itself never loads scikit-learn and a start from the cache
stays fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bot.core.normalising import char_ngrams, fold

NGRAM_SIZES = (2, 3, 4, 5)
MIN_DOCUMENTS = 2
"""A character n-gram seen in fewer example messages than this is not a feature."""
REGULARISATION = 10.0
"""scikit-learn's C (inverse L2 strength)."""
PASSES = 30
"""Passes of the SAGA solver over the examples. SAGA keeps one gradient per example, not
ten copies of every weight as L-BFGS does: on the full content (about 25,000 examples,
130,000 features, 60 labels) it trains in about 17 s with a peak of about 330 MB, where
L-BFGS took 55 s and 2 GB. Thirty passes stop short of full convergence, on purpose:
cross-validated on the content, held-out top-1 is the same as L-BFGS run to the end."""
SETTINGS = f"ngrams={NGRAM_SIZES},min_df={MIN_DOCUMENTS},C={REGULARISATION},saga={PASSES}"
"""Part of the cache key of a trained model."""


def character_features(text: str) -> list[str]:
    """Return the character n-grams of each folded word of `text` (edges marked)."""
    return char_ngrams(fold(text), NGRAM_SIZES)


def word_features(text: str) -> list[str]:
    """Return the folded words of `text` of two letters or more."""
    return [w for w in fold(text).split() if len(w) > 1]


@dataclass(frozen=True)
class _Block:
    """One group of features: its vocabulary and inverse document frequencies."""

    columns: dict[str, int]
    idf: NDArray[np.float32]
    offset: int

    def row(self, tokens: list[str]) -> tuple[list[int], NDArray[np.float32]]:
        """Return the columns and L2-normalised sublinear TF-IDF values of `tokens`."""
        counts = Counter(t for t in tokens if t in self.columns)
        if not counts:
            return [], np.zeros(0, dtype=np.float32)
        local = [self.columns[t] for t in counts]
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32))) * self.idf[local]
        values /= float(np.linalg.norm(values)) or 1.0
        return [c + self.offset for c in local], values.astype(np.float32)


class NgramClassifier:
    """Label probabilities of a message from its character n-grams and words."""

    def __init__(self, labels: tuple[str, ...], characters: tuple[str, ...],
                 character_idf: NDArray[np.float32], words: tuple[str, ...],
                 word_idf: NDArray[np.float32], weights: NDArray[np.float32],
                 bias: NDArray[np.float32]) -> None:
        """`weights` has one row per feature (the characters' first, then the words')."""
        if weights.shape != (len(characters) + len(words), len(labels)):
            raise ValueError("features, labels and weights disagree")
        self.labels = labels
        self._characters = _Block({t: i for i, t in enumerate(characters)},
                                  np.asarray(character_idf, dtype=np.float32), 0)
        self._words = _Block({t: i for i, t in enumerate(words)},
                             np.asarray(word_idf, dtype=np.float32), len(characters))
        self.weights = weights
        self.bias = bias

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> NgramClassifier:
        """Learn from `texts`, one label each (about 20 s on the full content).

        Trained in a child Python process (`python -m bot.core.ngrams`): scikit-learn and
        scipy take about 95 MB once imported, and a bot that trained after an editor's change
        would otherwise keep them for good. RuntimeError if the training fails."""
        with tempfile.TemporaryDirectory(prefix="ohjaamo-ngrams-") as folder:
            examples, model = Path(folder) / "examples.json", Path(folder) / "model.npz"
            examples.write_text(json.dumps({"texts": list(texts), "labels": list(labels)}),
                                encoding="utf-8")
            done = subprocess.run(
                [sys.executable, "-m", "bot.core.ngrams", str(examples), str(model)],
                capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError("training the character n-gram model failed: "
                                   + (done.stderr.strip().splitlines() or ["no output"])[-1])
            with np.load(model, allow_pickle=False) as stored:
                return cls.from_arrays({name: stored[name] for name in stored.files}, "")

    def probabilities(self, text: str) -> NDArray[np.float32]:
        """Return the probability of each label for `text`, in the order of `labels`."""
        scores = self.bias.astype(np.float64)
        for block, tokens in ((self._characters, character_features(text)),
                              (self._words, word_features(text))):
            columns, values = block.row(tokens)
            if columns:
                scores = scores + values @ self.weights[columns]
        e = np.exp(scores - scores.max())
        result: NDArray[np.float32] = (e / e.sum()).astype(np.float32)
        return result

    def to_arrays(self, prefix: str) -> dict[str, NDArray[np.generic]]:
        """Return the model as named arrays (for `numpy.savez`)."""
        # A block's columns are numbered in the order of its vocabulary (dicts keep it).
        return {prefix + "labels": np.array(self.labels),
                prefix + "characters": np.array(list(self._characters.columns), dtype=str),
                prefix + "character_idf": self._characters.idf,
                prefix + "words": np.array(list(self._words.columns), dtype=str),
                prefix + "word_idf": self._words.idf,
                prefix + "weights": self.weights, prefix + "bias": self.bias}

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[np.generic]],
                    prefix: str) -> NgramClassifier:
        """Rebuild a model saved with `to_arrays` (KeyError or ValueError if it cannot)."""
        def strings(name: str) -> tuple[str, ...]:
            return tuple(str(x) for x in arrays[prefix + name])

        def floats(name: str) -> NDArray[np.float32]:
            return np.asarray(arrays[prefix + name], dtype=np.float32)
        return cls(strings("labels"), strings("characters"), floats("character_idf"),
                   strings("words"), floats("word_idf"), floats("weights"), floats("bias"))


def _fit_arrays(texts: list[str], labels: list[str]) -> dict[str, NDArray[np.generic]]:
    """Fit the model with scikit-learn and return it as arrays (runs in the child process)."""
    from scipy.sparse import hstack
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    characters = TfidfVectorizer(analyzer=character_features, min_df=MIN_DOCUMENTS,
                                 sublinear_tf=True, dtype=np.float32)
    words = TfidfVectorizer(analyzer=word_features, sublinear_tf=True, dtype=np.float32)
    x = hstack([characters.fit_transform(texts), words.fit_transform(texts)]).tocsr()
    model = LogisticRegression(C=REGULARISATION, solver="saga", max_iter=PASSES, tol=1e-3,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # PASSES stops it on purpose
        model.fit(x, labels)
    weights, bias = model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32)
    if len(model.classes_) == 2:  # scikit-learn keeps one column for two classes
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
    return {"labels": np.array([str(c) for c in model.classes_]),
            "characters": characters.get_feature_names_out().astype(str),
            "character_idf": characters.idf_.astype(np.float32),
            "words": words.get_feature_names_out().astype(str),
            "word_idf": words.idf_.astype(np.float32),
            "weights": np.ascontiguousarray(weights), "bias": bias}


if __name__ == "__main__":  # the child process of NgramClassifier.fit: EXAMPLES.json MODEL.npz
    given = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    np.savez(sys.argv[2], allow_pickle=False, **_fit_arrays(given["texts"], given["labels"]))
