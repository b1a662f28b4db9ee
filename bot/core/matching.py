"""Find the topic a message is about, across all six languages, tolerant of typos.

Every entry (and every intent: greeting, handoff, ...) of every language is a
document. A message is compared with each document in two ways and the two
scores are averaged:

- word coverage: how much of the message's information (IDF-weighted stems) the
  document's questions, title and keywords contain; unknown words are matched to
  the vocabulary with rapidfuzz (`process.cdist`) so typos still count;
- character n-grams: TF-IDF cosine of 3- and 4-grams against each single question or
  phrasing, the best one counting; this absorbs typos, word forms and compounds.

Both run on inverted indexes built once at load time, so a reply costs little
even when the knowledge base is a hundred times larger. Russian, Arabic and
Persian questions are also indexed in Latin letters, for people who type them so.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from bot.core.content import KnowledgeBase
from bot.core.normalising import (
    char_ngrams,
    consonant_skeleton,
    fold,
    script_of,
    stems,
    transliterate,
)

INTENT_PREFIX = "@"
"""Intent documents have ids like '@greeting', so they never clash with entry ids."""

FUZZY_CUTOFF = 80
"""rapidfuzz ratio (0-100) above which an unknown word counts as a misspelt known word."""
TRANSLITERATION_WEIGHT = 0.85
"""Latin-letter matches of Russian, Arabic or Persian are less certain than native ones."""
TRANSLITERATED = ("ru", "ar", "fa")
SKELETON_LANGUAGES = ("ar", "fa")
"""Arabic script writes few vowels, so Latin-letter Arabic and Persian meet on consonants."""
MIN_TRANSLITERATED_WORDS = 2
MIN_SKELETON_LETTERS = 8
"""Latin-letter Russian, Arabic or Persian is looked for only in messages this long."""
OTHER_LANGUAGE_WEIGHT = 0.97
"""A document in a language other than the chosen or detected one breaks ties."""


@dataclass(frozen=True)
class Document:
    """One entry or intent in one language, as the matcher sees it."""

    topic: str
    lang: str


@dataclass(frozen=True)
class Match:
    """A topic (or '@intent') with its score in [0, 1] and the language that matched best."""

    topic: str
    score: float
    lang: str

    @property
    def is_intent(self) -> bool:
        """Tell whether this is an intent such as '@greeting' rather than an entry."""
        return self.topic.startswith(INTENT_PREFIX)


class Matcher:
    """Rank topics for a message; built once from the knowledge base."""

    def __init__(self, kb: KnowledgeBase, word_weight: float = 0.3) -> None:
        self.word_weight = word_weight
        self.documents: list[Document] = []
        texts: list[list[str]] = []
        phrasings: list[list[str]] = []
        for lang, pack in kb.packs.items():
            for entry in pack.entries.values():
                self.documents.append(Document(entry.id, lang))
                texts.append([*entry.questions, entry.title, *entry.keywords])
                phrasings.append(list(pack.phrasings.get(entry.id, ())))
            for name, examples in pack.intents.items():
                self.documents.append(Document(INTENT_PREFIX + name, lang))
                texts.append(list(examples))
                phrasings.append([])
            if pack.crisis.phrases:
                self.documents.append(Document(INTENT_PREFIX + "crisis", lang))
                texts.append(list(pack.crisis.phrases))
                phrasings.append([])
        # One index per language: how common a word or n-gram is depends on the language,
        # and a phrase every Arabic question shares must not look rare next to Finnish ones.
        self.languages = list(kb.packs)
        self.slices: dict[str, slice] = {}
        self.words_by_lang: dict[str, _WordIndex] = {}
        self.native: dict[str, _NgramIndex] = {}
        self.latin: dict[str, _NgramIndex] = {}
        for lang in self.languages:
            members = [i for i, d in enumerate(self.documents) if d.lang == lang]
            self.slices[lang] = slice(members[0], members[-1] + 1)
            docs = [texts[i] for i in members]
            # Word coverage reads the questions, title and keywords: a document holding every
            # word of thirty stories would cover any message. Each phrasing is one more
            # question for the n-gram similarity, which takes the best single one.
            everything = [texts[i] + phrasings[i] for i in members]
            self.words_by_lang[lang] = _WordIndex([[stems(t, lang) for t in d] for d in docs])
            self.native[lang] = _NgramIndex([[fold(t) for t in d] for d in everything])
            if lang in TRANSLITERATED:
                self.latin[lang] = _NgramIndex([[_latin_form(t, lang) for t in d]
                                                for d in everything])

    def document_share(self, lang: str) -> dict[str, float]:
        """Return, for each stem, the share of `lang`'s documents that contain it."""
        index = self.words_by_lang[lang]
        return {term: len(docs) / max(index.size, 1) for term, docs in index.postings.items()}

    def rank(self, text: str, prefer: Sequence[str] = (), limit: int = 5) -> list[Match]:
        """Return the best distinct topics for `text`, best first."""
        folded = fold(text)
        if not folded:
            return []
        scores = np.zeros(len(self.documents))
        latin_forms = self._latin_forms(text, folded)
        for lang in self.languages:
            # Each language's documents were stemmed with its own stemmer; so is the message.
            tokens = [{stem} for stem in stems(text, lang) if stem]
            coverage = self.words_by_lang[lang].coverage(tokens)
            ngram = self.native[lang].similarity(folded)
            part = self.word_weight * coverage + (1 - self.word_weight) * ngram
            if latin_forms and lang in self.latin:
                form = latin_forms[1] if lang in SKELETON_LANGUAGES else latin_forms[0]
                if form:
                    part = np.maximum(part, TRANSLITERATION_WEIGHT
                                      * self.latin[lang].similarity(form))
            if prefer and lang not in prefer:
                part = part * OTHER_LANGUAGE_WEIGHT
            scores[self.slices[lang]] = part
        best: dict[str, Match] = {}
        for index in np.argsort(-scores)[: limit * 12]:
            doc = self.documents[int(index)]
            if doc.topic not in best:
                best[doc.topic] = Match(doc.topic, float(scores[index]), doc.lang)
            if len(best) >= limit:
                break
        return list(best.values())

    def _latin_forms(self, text: str, folded: str) -> tuple[str, str] | None:
        """Return the message as typed and as a consonant skeleton, if it may be transliterated."""
        # A short message has too few letters to tell transliteration from chance:
        # "moi" would become "m" and match Persian questions.
        if script_of(text) != "latin" or len(folded.split()) < MIN_TRANSLITERATED_WORDS:
            return None
        skeleton = consonant_skeleton(folded)
        long_enough = len(skeleton.replace(" ", "")) >= MIN_SKELETON_LETTERS
        return folded, skeleton if long_enough else ""


def _latin_form(text: str, lang: str) -> str:
    latin = transliterate(text)
    return consonant_skeleton(latin) if lang in SKELETON_LANGUAGES else latin


class _WordIndex:
    """Which documents contain which stems, weighted by how rare each stem is."""

    def __init__(self, docs: list[list[list[str]]]) -> None:
        self.size = len(docs)
        postings: dict[str, set[int]] = defaultdict(set)
        for index, doc in enumerate(docs):
            for sentence in doc:
                for term in sentence:
                    postings[term].add(index)
        self.vocabulary = sorted(postings)
        self.postings = {t: np.fromiter(sorted(d), dtype=np.int32) for t, d in postings.items()}
        self.idf = {t: math.log(1 + self.size / len(d)) for t, d in postings.items()}
        self.unknown_idf = math.log(1 + self.size)

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
            import bisect

            start = bisect.bisect_left(self.vocabulary, word)
            for term in self.vocabulary[start:start + 20]:
                if not term.startswith(word):
                    break
                found.append(term)
        return found


class _NgramIndex:
    """TF-IDF over character n-grams, one vector per question, best question per document.

    The postings are kept as one sorted array per kind (compressed sparse columns: the
    questions and weights of n-gram `i` are `rows[starts[i]:starts[i + 1]]`), built with a
    few numpy passes: building it is most of the bot's start-up."""

    def __init__(self, docs: list[list[str]]) -> None:
        self.size = len(docs)
        self.ids: dict[str, int] = {}
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
                    gram_ids.extend(self.ids.setdefault(g, len(self.ids)) for g in grams)
                    counts.extend(grams.values())
        self.owners = np.array(owners, dtype=np.int32)
        # Questions are stored document by document, so each document's questions are one
        # contiguous run; the best of a run is a fast reduceat instead of a slow maximum.at.
        self.with_questions, self.starts = np.unique(self.owners, return_index=True)
        ids = np.array(gram_ids, dtype=np.int64)
        row_of = np.repeat(np.arange(len(owners)), lengths)
        document_frequency = np.bincount(ids, minlength=len(self.ids))
        count = max(len(owners), 1)
        self.idf = np.log1p(count / np.maximum(document_frequency, 1))
        self.unknown_idf = math.log(1 + count)
        weights = np.array(counts, dtype=np.float64) * self.idf[ids]
        norms = np.sqrt(np.bincount(row_of, weights=weights * weights, minlength=len(owners)))
        weights /= norms[row_of] if len(owners) else 1.0
        order = np.argsort(ids, kind="stable")
        self.rows = row_of[order].astype(np.int32)
        self.weights = weights[order].astype(np.float32)
        self.bounds = np.concatenate([[0], np.cumsum(document_frequency)])

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
