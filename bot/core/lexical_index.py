"""The lexical matcher's two inverted indexes, and how they are stored between starts.

    WordIndex     which documents contain which stems, weighted by how rare each stem is
    NgramIndex    TF-IDF over character n-grams, one vector per question

Building them (stemming and cutting n-grams from every example of every language) is most
of the bot's start-up, so `Matcher` keeps them in the cache folder as plain arrays
(`to_arrays`, `from_arrays`), keyed by the content's texts and the code that builds them.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from bot.core.normalising import char_ngrams

FUZZY_CUTOFF = 80
"""rapidfuzz ratio (0-100) above which an unknown word counts as a misspelt known word."""

Arrays = dict[str, NDArray[np.generic]]


class WordIndex:
    """Which documents contain which stems, weighted by how rare each stem is."""

    def __init__(self, size: int, postings: dict[str, NDArray[np.int32]]) -> None:
        """`postings` maps each stem to the sorted documents (of `size`) that contain it."""
        self.size = size
        self.postings = postings
        self.vocabulary = sorted(postings)
        self.idf = {t: math.log(1 + size / len(d)) for t, d in postings.items()}
        self.unknown_idf = math.log(1 + size)

    @classmethod
    def build(cls, docs: list[list[list[str]]]) -> WordIndex:
        """Index documents given as lists of sentences, each a list of stems."""
        postings: dict[str, set[int]] = defaultdict(set)
        for index, doc in enumerate(docs):
            for sentence in doc:
                for term in sentence:
                    postings[term].add(index)
        return cls(len(docs), {t: np.fromiter(sorted(d), dtype=np.int32)
                               for t, d in postings.items()})

    def to_arrays(self, prefix: str) -> Arrays:
        """Return the index as named arrays (see `from_arrays`)."""
        lengths = [len(self.postings[t]) for t in self.vocabulary]
        documents = (np.concatenate([self.postings[t] for t in self.vocabulary])
                     if self.vocabulary else np.zeros(0, dtype=np.int32))
        return {prefix + "size": np.array(self.size),
                prefix + "terms": np.array(self.vocabulary, dtype=str),
                prefix + "bounds": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                prefix + "documents": documents.astype(np.int32)}

    @classmethod
    def from_arrays(cls, arrays: Arrays, prefix: str) -> WordIndex:
        """Rebuild the index that `to_arrays` stored under `prefix`."""
        bounds = arrays[prefix + "bounds"].tolist()
        documents = np.asarray(arrays[prefix + "documents"], dtype=np.int32)
        terms = arrays[prefix + "terms"].tolist()
        return cls(int(arrays[prefix + "size"]),
                   {t: documents[bounds[i]:bounds[i + 1]] for i, t in enumerate(terms)})

    def coverage(self, tokens: list[set[str]]) -> NDArray[np.float64]:
        """Return, per document, the IDF-weighted share of the message's words it contains."""
        covered = np.zeros(self.size)
        total = 0.0
        unknown = [t for t in tokens if not any(v in self.idf for v in t)]
        fuzzy = self._fuzzy(unknown)
        for variants in tokens:
            known = [v for v in variants if v in self.idf]
            if known:
                weight = max(self.idf[v] for v in known)
                hits = np.zeros(self.size)
                for term in known:
                    hits[self.postings[term]] = 1.0
            else:
                matches = fuzzy.get(frozenset(variants), [])
                weight = max((self.idf[t] for t, _ in matches), default=self.unknown_idf)
                hits = np.zeros(self.size)
                for term, similarity in matches:
                    np.maximum.at(hits, self.postings[term], similarity)
            covered += weight * hits
            total += weight
        return covered / total if total else covered

    def _fuzzy(self, tokens: list[set[str]]) -> dict[frozenset[str], list[tuple[str, float]]]:
        """Match unknown words to known ones: misspellings, and compounds sharing a stem."""
        result: dict[frozenset[str], list[tuple[str, float]]] = {}
        queries = sorted({v for t in tokens for v in t if len(v) >= 4})
        if not queries or not self.vocabulary:
            return result
        matrix = process.cdist(queries, self.vocabulary, scorer=fuzz.ratio,
                               score_cutoff=FUZZY_CUTOFF, dtype=np.uint8, workers=1)
        by_variant: dict[str, list[tuple[str, float]]] = {}
        for row, query in enumerate(queries):
            columns = np.flatnonzero(matrix[row])
            found = [(self.vocabulary[c], matrix[row, c] / 100.0) for c in columns]
            found += [(term, 0.9) for term in self._sharing_prefix(query)]
            by_variant[query] = sorted(found, key=lambda x: -x[1])[:5]
        for variants in tokens:
            merged = [m for v in variants for m in by_variant.get(v, [])]
            if merged:
                result[frozenset(variants)] = merged
        return result

    def _sharing_prefix(self, word: str) -> list[str]:
        """Return known stems that begin `word` or that `word` begins (at least 5 letters)."""
        found = [word[:n] for n in range(5, len(word)) if word[:n] in self.idf]
        if len(word) >= 5:
            start = bisect.bisect_left(self.vocabulary, word)
            for term in self.vocabulary[start:start + 20]:
                if not term.startswith(word):
                    break
                found.append(term)
        return found


class NgramIndex:
    """TF-IDF over character n-grams, one vector per question, best question per document.

    The postings are kept as one sorted array per kind (compressed sparse columns: the
    questions and weights of n-gram `i` are `rows[bounds[i]:bounds[i + 1]]`), built with a
    few numpy passes."""

    def __init__(self, size: int, grams: list[str], owners: NDArray[np.int32],
                 rows: NDArray[np.int32], weights: NDArray[np.float32],
                 idf: NDArray[np.float64], bounds: NDArray[np.int64]) -> None:
        """`owners[q]` is the document of question `q`; n-gram `grams[i]` has the IDF
        `idf[i]` and occurs in questions `rows[bounds[i]:bounds[i + 1]]` with those
        `weights` (TF-IDF, each question's vector of unit length)."""
        self.size = size
        self.ids = {gram: i for i, gram in enumerate(grams)}
        self.owners = owners
        # Questions are stored document by document, so each document's questions are one
        # contiguous run; the best of a run is a fast reduceat instead of a slow maximum.at.
        self.with_questions, self.starts = np.unique(owners, return_index=True)
        self.rows = rows
        self.weights = weights
        self.idf = idf
        self.bounds = bounds
        self.unknown_idf = math.log(1 + max(len(owners), 1))

    @classmethod
    def build(cls, docs: list[list[str]]) -> NgramIndex:
        """Index documents given as lists of folded questions."""
        ids: dict[str, int] = {}
        owners: list[int] = []
        lengths: list[int] = []
        gram_ids: list[int] = []
        counts: list[int] = []
        for index, doc in enumerate(docs):
            for text in doc:
                grams = Counter(char_ngrams(text))
                if grams:
                    owners.append(index)
                    lengths.append(len(grams))
                    gram_ids.extend(ids.setdefault(g, len(ids)) for g in grams)
                    counts.extend(grams.values())
        gram_array = np.array(gram_ids, dtype=np.int64)
        row_of = np.repeat(np.arange(len(owners)), lengths)
        document_frequency = np.bincount(gram_array, minlength=len(ids))
        idf = np.log1p(max(len(owners), 1) / np.maximum(document_frequency, 1))
        weights = np.array(counts, dtype=np.float64) * idf[gram_array]
        norms = np.sqrt(np.bincount(row_of, weights=weights * weights, minlength=len(owners)))
        weights /= norms[row_of] if len(owners) else 1.0
        order = np.argsort(gram_array, kind="stable")
        return cls(len(docs), list(ids), np.array(owners, dtype=np.int32),
                   row_of[order].astype(np.int32), weights[order].astype(np.float32), idf,
                   np.concatenate([[0], np.cumsum(document_frequency)]).astype(np.int64))

    def to_arrays(self, prefix: str) -> Arrays:
        """Return the index as named arrays (see `from_arrays`)."""
        return {prefix + "size": np.array(self.size),
                prefix + "grams": np.array(list(self.ids), dtype=str),
                prefix + "owners": self.owners, prefix + "rows": self.rows,
                prefix + "weights": self.weights, prefix + "idf": self.idf,
                prefix + "bounds": self.bounds}

    @classmethod
    def from_arrays(cls, arrays: Arrays, prefix: str) -> NgramIndex:
        """Rebuild the index that `to_arrays` stored under `prefix`."""
        return cls(int(arrays[prefix + "size"]), arrays[prefix + "grams"].tolist(),
                   np.asarray(arrays[prefix + "owners"], dtype=np.int32),
                   np.asarray(arrays[prefix + "rows"], dtype=np.int32),
                   np.asarray(arrays[prefix + "weights"], dtype=np.float32),
                   np.asarray(arrays[prefix + "idf"], dtype=np.float64),
                   np.asarray(arrays[prefix + "bounds"], dtype=np.int64))

    def similarity(self, folded: str) -> NDArray[np.float64]:
        """Return, per document, the best cosine similarity of `folded` with its questions."""
        result = np.zeros(self.size)
        grams = Counter(char_ngrams(folded))
        if not grams or not len(self.owners):
            return result
        known = {g: self.ids.get(g) for g in grams}
        weights = {g: tf * (self.unknown_idf if known[g] is None else float(self.idf[known[g]]))
                   for g, tf in grams.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        rows, values = [], []
        for gram, weight in weights.items():
            gram_id = known[gram]
            if gram_id is not None:
                start, end = self.bounds[gram_id], self.bounds[gram_id + 1]
                rows.append(self.rows[start:end])
                values.append(self.weights[start:end] * (weight / norm))
        if not rows:
            return result
        per_question = np.bincount(np.concatenate(rows), weights=np.concatenate(values),
                                   minlength=len(self.owners))
        result[self.with_questions] = np.maximum.reduceat(per_question, self.starts)
        return result
