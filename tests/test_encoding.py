"""Filling the vector cache on two threads: the same vectors, in the same order, as one by one.

The real e5 encoder encodes real example texts of the content. The cache is given small
chunks so that a fill of a hundred texts already counts as large (the bot's chunks are 256
texts and a fill goes parallel from about a thousand).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot import settings
from bot.core.assistant import Assistant
from bot.core.encoding import (
    MAX_ENCODED_CHARS,
    PARALLEL_FROM_CHUNKS,
    E5Encoder,
    EmbeddingCache,
    Vectors,
)
from bot.core.semantic import TrainingSet

CHUNK = 16
"""The test caches' chunk: a fill of PARALLEL_FROM_CHUNKS * CHUNK = 64 texts goes parallel."""
TWO_CORES = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one thread")


@pytest.fixture(scope="module")
def e5() -> E5Encoder:
    """The real encoder, loaded once for this module."""
    return E5Encoder()


@pytest.fixture(scope="module")
def texts(assistant: Assistant) -> list[str]:
    """96 example texts spread over the whole content (every language), and two repeated."""
    every = list(dict.fromkeys(TrainingSet.from_content(assistant.kb).all_texts()))
    chosen = [every[i * len(every) // 96] for i in range(96)]
    return [*chosen[:50], chosen[3], *chosen[50:], chosen[70]]


@pytest.fixture(scope="module")
def one_by_one(e5: E5Encoder, texts: list[str]) -> Vectors:
    """The vectors of `texts`, each encoded in a call of its own (the bot's reply path)."""
    return np.concatenate([e5.encode([text]) for text in texts])


class RecordingEncoder:
    """The real encoder, recording the thread and size of every call.

    With `meet=True` the first two calls wait for each other, which only two threads
    encoding at the same time can do.
    """

    def __init__(self, real: E5Encoder, thread_safe: bool = True, meet: bool = False) -> None:
        self._real = real
        self.name, self.dim = real.name, real.dim
        self.thread_safe = thread_safe
        self.calls: list[tuple[int, int]] = []  # (thread id, texts)
        self._lock = threading.Lock()
        self._meeting = threading.Barrier(2, timeout=30) if meet else None

    def encode(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            self.calls.append((threading.get_ident(), len(texts)))
            first_two = len(self.calls) <= 2
        if self._meeting is not None and first_two:
            self._meeting.wait()  # BrokenBarrierError after 30 s when calls never overlap
        return self._real.encode(texts)

    @property
    def threads(self) -> set[int]:
        return {thread for thread, _ in self.calls}

    @property
    def encoded(self) -> int:
        return sum(size for _, size in self.calls)


@TWO_CORES
def test_a_large_fill_runs_on_two_threads_and_gives_the_vectors_of_one_by_one(
        e5: E5Encoder, texts: list[str], one_by_one: Vectors, tmp_path: Path) -> None:
    encoder = RecordingEncoder(e5, meet=True)

    filled = EmbeddingCache(tmp_path, threads=2, chunk=CHUNK).vectors(encoder, texts)

    assert len(set(texts)) >= PARALLEL_FROM_CHUNKS * CHUNK
    np.testing.assert_array_equal(filled, one_by_one)  # identical, row for row
    assert len(encoder.threads) == 2
    assert threading.get_ident() not in encoder.threads
    assert max(size for _, size in encoder.calls) == CHUNK // 2  # one chunk's texts at a time
    assert encoder.encoded == len(set(texts))  # each distinct text once


@TWO_CORES
def test_a_parallel_fill_is_reused_after_a_restart_and_only_changed_texts_are_encoded(
        e5: E5Encoder, texts: list[str], one_by_one: Vectors, tmp_path: Path) -> None:
    EmbeddingCache(tmp_path, threads=2, chunk=CHUNK).vectors(RecordingEncoder(e5), texts)

    restarted = RecordingEncoder(e5)
    again = EmbeddingCache(tmp_path, threads=2, chunk=CHUNK).vectors(restarted, texts)
    assert restarted.encoded == 0
    np.testing.assert_array_equal(again, one_by_one)

    edited = [f"{text}?" if i % 10 == 0 else text for i, text in enumerate(texts)]
    changed = RecordingEncoder(e5)
    rebuilt = EmbeddingCache(tmp_path, threads=2, chunk=CHUNK).vectors(changed, edited)
    assert changed.encoded == len(set(edited) - set(texts))
    kept = [i for i, text in enumerate(edited) if text == texts[i]]
    np.testing.assert_array_equal(rebuilt[kept], one_by_one[kept])


@pytest.mark.parametrize(("thread_safe", "threads", "store"), [
    (False, 2, True),   # an encoder that does not say it is thread-safe
    (True, 1, True),    # OHJAAMO_ENCODE_THREADS=1
    (True, 2, False),   # people's questions, never stored
])
def test_otherwise_the_cache_encodes_on_the_calling_thread(
        e5: E5Encoder, texts: list[str], one_by_one: Vectors, tmp_path: Path,
        thread_safe: bool, threads: int, store: bool) -> None:
    encoder = RecordingEncoder(e5, thread_safe=thread_safe)
    part = texts[:40]  # 40 texts in chunks of 8: five chunks, a large fill

    vectors = EmbeddingCache(tmp_path, threads=threads, chunk=8).vectors(encoder, part, store)

    assert encoder.threads == {threading.get_ident()}
    np.testing.assert_array_equal(vectors, one_by_one[:40])


def test_the_encode_threads_setting_is_at_least_one() -> None:
    assert settings.encode_threads({}) == 2
    assert settings.encode_threads({"OHJAAMO_ENCODE_THREADS": "1"}) == 1
    with pytest.raises(settings.SettingError, match="OHJAAMO_ENCODE_THREADS"):
        settings.encode_threads({"OHJAAMO_ENCODE_THREADS": "0"})


def test_the_token_count_grows_with_the_text_and_stops_where_encoding_stops(e5: E5Encoder) -> None:
    """The benchmark's cost per token counts what the model reads: more words, more tokens,
    and nothing past the characters the encoder keeps."""
    short = e5.token_count("Miten haen Kela-korttia?")
    longer = e5.token_count("Miten haen Kela-korttia, kun olen juuri muuttanut Kemiin?")
    assert 3 < short < longer
    too_long = "kysymys " * MAX_ENCODED_CHARS
    assert e5.token_count(too_long) == e5.token_count(too_long[:MAX_ENCODED_CHARS]) > longer
