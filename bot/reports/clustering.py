"""Group similar short texts, given any way of turning texts into vectors.

The default vectors are character n-gram TF-IDF (numpy only), which groups typos, word
forms and near-repeats of the same question. A sentence encoder plugs in as another
`Vectorise`: anything that maps n texts to an (n, d) array.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from bot.core.normalising import fold

Vectorise = Callable[[Sequence[str]], NDArray[np.float32]]
"""Turn n texts into an (n, d) array of vectors; similar texts get similar vectors."""

NGRAM_SIZES = (2, 3, 4)
HASHED_DIMENSIONS = 2 ** 12
"""Character n-grams are hashed into this many columns (collisions cost little here)."""
SIMILAR = 0.4
"""Cosine similarity from which a text joins a group (tuned on paraphrases of our topics)."""
_PLACEHOLDER = re.compile(r"\[[a-z-]+\]")
"""What the scrubber left, e.g. [phone]: the same in many texts, so it must not make them alike."""


def char_ngram_tfidf(texts: Sequence[str]) -> NDArray[np.float32]:
    """Return L2-normalised TF-IDF vectors of the texts' character 2- to 4-grams."""
    counts = np.zeros((len(texts), HASHED_DIMENSIONS), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in fold(_PLACEHOLDER.sub(" ", text)).split():
            padded = f" {word} "
            for size in NGRAM_SIZES:
                for start in range(max(len(padded) - size + 1, 0)):
                    column = zlib.crc32(padded[start:start + size].encode()) % HASHED_DIMENSIONS
                    counts[row, column] += 1
    documents = np.count_nonzero(counts, axis=0)
    idf = np.log((1 + len(texts)) / (1 + documents)) + 1
    return normalised(np.log1p(counts) * idf.astype(np.float32))


def normalised(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Scale each row to length 1 (rows of zeros stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def group_similar(texts: Sequence[str], vectorise: Vectorise = char_ngram_tfidf,
                  similar: float = SIMILAR) -> list[list[int]]:
    """Return groups of indexes of similar texts, largest group first.

    Each text joins the group whose centre it is most similar to, if at least `similar`,
    else starts a group of its own; a group's centre follows its members.
    """
    if not texts:
        return []
    return group_vectors(np.asarray(vectorise(texts), dtype=np.float32), similar)


def group_vectors(vectors: NDArray[np.float32], similar: float = SIMILAR) -> list[list[int]]:
    """Group the rows of `vectors` as `group_similar` groups texts."""
    vectors = normalised(vectors)
    sums: list[NDArray[np.float32]] = []
    groups: list[list[int]] = []
    centres = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    for index, vector in enumerate(vectors):
        if groups:
            closeness = centres @ vector
            best = int(np.argmax(closeness))
            if closeness[best] >= similar:
                groups[best].append(index)
                sums[best] = sums[best] + vector
                centres[best] = normalised(sums[best][None, :])[0]
                continue
        groups.append([index])
        sums.append(vector.copy())
        centres = np.vstack([centres, vector[None, :]])
    return sorted(groups, key=lambda g: (-len(g), g[0]))
