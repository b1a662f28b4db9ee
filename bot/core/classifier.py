"""Multinomial logistic regression on sentence vectors, in numpy.

A few thousand example messages of a few dozen classes, 384 numbers each: full-batch
gradient descent with Nesterov momentum converges in well under a second, so the
assistant needs no scikit-learn (and its scipy) for one small model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class SoftmaxClassifier:
    """Class probabilities for unit vectors: softmax(x @ weights + bias)."""

    labels: tuple[str, ...]
    weights: FloatArray
    bias: FloatArray
    center: FloatArray
    scale: FloatArray

    @classmethod
    def fit(cls, vectors: FloatArray, labels: Sequence[str], *, l2: float = 1e-3,
            steps: int = 200, rate: float = 0.5,
            sample_weight: NDArray[np.float64] | None = None) -> SoftmaxClassifier:
        """Train on `vectors` (n, d) with one label each; classes are balanced by weight."""
        names = tuple(sorted(set(labels)))
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[label] for label in labels])
        n, d = vectors.shape
        k = len(names)
        # Sentence vectors all point roughly the same way; centred and scaled, the problem is
        # well conditioned and plain gradient descent converges in a few hundred steps.
        center = vectors.mean(axis=0)
        scale = vectors.std(axis=0) + 1e-6
        x = ((vectors - center) / scale).astype(np.float64)
        target = np.zeros((n, k))
        target[np.arange(n), y] = 1.0
        # Each class weighs the same in total, however many examples it has.
        counts = np.bincount(y, minlength=k).astype(np.float64)
        weight = (n / (k * counts))[y]
        if sample_weight is not None:
            weight = weight * sample_weight
        weight = weight / weight.sum()
        w = np.zeros((d, k))
        b = np.zeros(k)
        vw, vb = np.zeros_like(w), np.zeros_like(b)
        momentum = 0.9
        for _ in range(steps):
            lw, lb = w + momentum * vw, b + momentum * vb  # Nesterov look-ahead
            p = _softmax(x @ lw + lb)
            error = (p - target) * weight[:, None]
            grad_w = x.T @ error + l2 * lw
            grad_b = error.sum(axis=0)
            vw = momentum * vw - rate * grad_w
            vb = momentum * vb - rate * grad_b
            w += vw
            b += vb
        return cls(names, w.astype(np.float32), b.astype(np.float32),
                   center.astype(np.float32), scale.astype(np.float32))

    def to_arrays(self, prefix: str) -> dict[str, NDArray[np.generic]]:
        """Return the model as named arrays (for `numpy.savez`)."""
        return {prefix + "labels": np.array(self.labels), prefix + "weights": self.weights,
                prefix + "bias": self.bias, prefix + "center": self.center,
                prefix + "scale": self.scale}

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[np.generic]],
                    prefix: str) -> SoftmaxClassifier:
        """Rebuild a model saved with `to_arrays`."""
        labels = tuple(str(x) for x in arrays[prefix + "labels"])
        weights = np.asarray(arrays[prefix + "weights"], dtype=np.float32)
        if weights.shape[1] != len(labels):
            raise ValueError("labels and weights disagree")
        return cls(labels, weights, *(np.asarray(arrays[prefix + k], dtype=np.float32)
                                      for k in ("bias", "center", "scale")))

    def probabilities(self, vectors: FloatArray) -> FloatArray:
        """Return (n, classes) probabilities, columns in the order of `labels`."""
        x = (vectors - self.center) / self.scale
        return _softmax(x @ self.weights + self.bias).astype(np.float32)


def _softmax(z: NDArray[np.floating]) -> NDArray[np.floating]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    result: NDArray[np.floating] = e / e.sum(axis=1, keepdims=True)
    return result
