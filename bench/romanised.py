"""Does learning from Latin-letter copies help read Latin-letter Arabic, Persian and Russian?

    python bench/romanised.py

Holds out every hand-written Latin-letter topic example of ar, fa and ru in the content,
trains the topic model on the rest (a) as written and (b) with the Latin-letter copies
`bot.core.romanising` adds, and prints the top-1 accuracy on the held-out examples per
language. Content only; no evaluation file is read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot import settings  # noqa: E402
from bot.core.encoding import EmbeddingCache, Encoder, load_encoder  # noqa: E402
from bot.core.loading import load_knowledge_base  # noqa: E402
from bot.core.normalising import script_of  # noqa: E402
from bot.core.romanising import ROMANISED_LANGUAGES, latin_spellings  # noqa: E402
from bot.core.semantic import INTENT_LABELS, SemanticLayer, TrainingSet  # noqa: E402


def accuracy(layer: SemanticLayer, encoder: Encoder, texts: list[str],
             labels: list[str]) -> float:
    """Top-1 accuracy of the layer's topic reading."""
    vectors = encoder.encode(texts)
    right = 0
    for i, label in enumerate(labels):
        reading = layer.read_vectors(vectors[i:i + 1])
        right += reading.labels[int(np.argmax(reading.whole))] == label
    return right / len(labels) if labels else 0.0


def main() -> int:
    kb = load_knowledge_base(REPO / "content")
    encoder = load_encoder()
    if encoder is None:
        print("the encoder cannot load here")
        return 1
    cache = EmbeddingCache(settings.cache_dir())
    written: list[tuple[str, str, str]] = []  # text, label, lang
    for pack in kb.packs.values():
        for entry_id in pack.entries:
            written += [(t, entry_id, pack.lang) for t in pack.examples_of(entry_id)]
        for name in INTENT_LABELS:
            written += [(t, "@" + name, pack.lang) for t in pack.intents.get(name, ())]
    held = [w for w in written if w[2] in ROMANISED_LANGUAGES
            and script_of(w[0]) == "latin" and not w[1].startswith("@")]
    train = [w for w in written if w not in set(held)]
    full = TrainingSet.from_content(kb)
    for name, rows in (("as written", [(t, label) for t, label, _ in train]),
                       ("with Latin-letter copies",
                        [(s, label) for t, label, lang in train
                         for s in (t, *latin_spellings(t, lang))])):
        data = TrainingSet(tuple(t for t, _ in rows), tuple(label for _, label in rows),
                           full.crisis_texts, full.crisis_kinds, full.near_misses)
        layer = SemanticLayer.fit(encoder, data, cache.vectors(encoder, data.all_texts()))
        figures = []
        for lang in ROMANISED_LANGUAGES:
            mine = [w for w in held if w[2] == lang]
            score = accuracy(layer, encoder, [w[0] for w in mine], [w[1] for w in mine])
            figures.append(f"{lang} {score:.1%} of {len(mine)}")
        print(f"{name}: {len(rows)} training examples; held-out Latin-letter top-1: "
              + ", ".join(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
