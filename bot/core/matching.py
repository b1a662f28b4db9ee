"""Find the topic a message is about, across all six languages, tolerant of typos.

Every entry (and every intent: greeting, handoff, ...) of every language is a
document. A message is compared with each document in two ways and the two
scores are averaged:

- word coverage: how much of the message's information (IDF-weighted stems) the
  document's questions, title and keywords contain; unknown words are matched to
  the vocabulary with rapidfuzz (`process.cdist`) so typos still count;
- character n-grams: TF-IDF cosine of 3- and 4-grams against each single question or
  phrasing, the best one counting; this absorbs typos, word forms and compounds.

Both run on inverted indexes (`bot.core.lexical_index`) built at load time and kept in
the cache folder, so a reply costs little even when the knowledge base is a hundred times
larger, and a restart with unchanged content and code does not build them again. Russian,
Arabic and Persian questions are also indexed in Latin letters, for people who type them so.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from bot.core.content import KnowledgeBase
from bot.core.encoding import EmbeddingCache
from bot.core.lexical_index import Arrays, NgramIndex, WordIndex
from bot.core.normalising import consonant_skeleton, fold, script_of, stems, transliterate

log = logging.getLogger(__name__)

INTENT_PREFIX = "@"
"""Intent documents have ids like '@greeting', so they never clash with entry ids."""

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

    def __init__(self, kb: KnowledgeBase, word_weight: float = 0.3,
                 cache: EmbeddingCache | None = None) -> None:
        """Index `kb`; with a `cache` whose folder holds the indexes of the same content
        (built by the same code), read them instead of building them again."""
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
        members: dict[str, list[int]] = {}
        for lang in self.languages:
            members[lang] = [i for i, d in enumerate(self.documents) if d.lang == lang]
            self.slices[lang] = slice(members[lang][0], members[lang][-1] + 1)
        self.words_by_lang: dict[str, WordIndex] = {}
        self.native: dict[str, NgramIndex] = {}
        self.latin: dict[str, NgramIndex] = {}
        key = self._index_key(texts, phrasings)
        stored = cache.arrays(INDEX_CACHE_NAME, "lexical", key) if cache is not None else None
        if stored is not None:
            try:
                self._read_indexes(stored)
                return
            except (KeyError, ValueError, IndexError) as error:
                log.warning("The stored lexical index is unusable (%s); building it again.",
                            error)
        for lang in self.languages:
            docs = [texts[i] for i in members[lang]]
            # Word coverage reads the questions, title and keywords: a document holding every
            # word of thirty stories would cover any message. Each phrasing is one more
            # question for the n-gram similarity, which takes the best single one.
            everything = [texts[i] + phrasings[i] for i in members[lang]]
            self.words_by_lang[lang] = WordIndex.build([[stems(t, lang) for t in d]
                                                        for d in docs])
            self.native[lang] = NgramIndex.build([[fold(t) for t in d] for d in everything])
            if lang in TRANSLITERATED:
                self.latin[lang] = NgramIndex.build([[_latin_form(t, lang) for t in d]
                                                     for d in everything])
        if cache is not None:
            cache.store_arrays(INDEX_CACHE_NAME, "lexical", key, self._index_arrays())

    def _index_key(self, texts: list[list[str]], phrasings: list[list[str]]) -> list[str]:
        """Return what the indexes are built from: every document's texts, and the code."""
        key = [f"code={_INDEX_CODE}"]
        for document, own, more in zip(self.documents, texts, phrasings, strict=True):
            key += [f"{document.lang}/{document.topic}", *own, "\x01", *more]
        return key

    def _index_arrays(self) -> Arrays:
        arrays: Arrays = {"languages": np.array(self.languages, dtype=str)}
        for lang in self.languages:
            arrays |= self.words_by_lang[lang].to_arrays(f"{lang}.words.")
            arrays |= self.native[lang].to_arrays(f"{lang}.native.")
            if lang in self.latin:
                arrays |= self.latin[lang].to_arrays(f"{lang}.latin.")
        return arrays

    def _read_indexes(self, stored: Arrays) -> None:
        if stored["languages"].tolist() != self.languages:
            raise ValueError("the stored index has other languages")
        for lang in self.languages:
            self.words_by_lang[lang] = WordIndex.from_arrays(stored, f"{lang}.words.")
            self.native[lang] = NgramIndex.from_arrays(stored, f"{lang}.native.")
            if lang in TRANSLITERATED:
                self.latin[lang] = NgramIndex.from_arrays(stored, f"{lang}.latin.")

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


def _code_version() -> str:
    """Return a digest of the code that builds the indexes: a changed stemmer, folding
    rule or index format must not read an index that older code built."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for module in ("matching.py", "lexical_index.py", "normalising.py"):
        digest.update((here / module).read_bytes())
    for package in ("snowballstemmer", "anyascii"):
        try:
            digest.update(metadata.version(package).encode())
        except metadata.PackageNotFoundError:
            digest.update(b"?")
    return digest.hexdigest()[:16]


INDEX_CACHE_NAME = "lexical-index"
"""The lexical indexes' namespace in the cache folder (the encoder's name, for vectors)."""
_INDEX_CODE = _code_version()


def _latin_form(text: str, lang: str) -> str:
    latin = transliterate(text)
    return consonant_skeleton(latin) if lang in SKELETON_LANGUAGES else latin
