"""The lexical matcher's index is kept in the cache folder: read back when the content and
the code are unchanged, built again when either changes or the file is unusable."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest

from bot.core.assistant import Assistant
from bot.core.content import KnowledgeBase
from bot.core.encoding import EmbeddingCache
from bot.core.matching import Match, Matcher

MESSAGES = ("where do I get a tax card", "verokortti kesätyöhön", "asumistuki hakemus",
            "kak poluchit nalogovuyu kartochku", "ana badi kart dariba",
            "waxaan rabaa kaarka canshuurta", "کارت مالیات از کجا بگیرم",
            "Где получить налоговую карту?", "أين أحصل على بطاقة الضريبة")


def rankings(matcher: Matcher) -> list[list[tuple[str, float, str]]]:
    def rounded(matches: list[Match]) -> list[tuple[str, float, str]]:
        return [(m.topic, round(m.score, 9), m.lang) for m in matches]
    return [rounded(matcher.rank(text)) for text in MESSAGES]


def index_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("lexical-*.npz"))


@pytest.fixture(scope="module")
def built(assistant: Assistant) -> Matcher:
    """The matcher built from the content, without any cache."""
    return Matcher(assistant.kb)


def test_a_restart_reads_the_index_it_stored_and_ranks_exactly_as_when_built(
        assistant: Assistant, built: Matcher, tmp_path: Path) -> None:
    first = Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))
    [stored] = index_files(tmp_path)
    written = stored.stat().st_mtime_ns

    again = Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))  # as after a restart

    assert index_files(tmp_path) == [stored]
    assert stored.stat().st_mtime_ns == written
    assert rankings(first) == rankings(built)
    assert rankings(again) == rankings(built)


def test_the_restart_really_uses_the_stored_index(
        assistant: Assistant, built: Matcher, tmp_path: Path) -> None:
    """Blank the stored n-gram weights: a matcher that read the file ranks differently."""
    Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))
    [stored] = index_files(tmp_path)
    with np.load(stored) as arrays:
        blanked = {name: np.zeros_like(arrays[name]) if name.endswith(".weights")
                   else arrays[name] for name in arrays.files}
    np.savez(stored, **blanked)

    assert rankings(Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))) != rankings(built)


def with_question(kb: KnowledgeBase, lang: str, entry_id: str, question: str) -> KnowledgeBase:
    pack = kb.packs[lang]
    entry = pack.entries[entry_id]
    changed = dataclasses.replace(entry, questions=(*entry.questions, question))
    return dataclasses.replace(kb, packs={**kb.packs, lang: dataclasses.replace(
        pack, entries={**pack.entries, entry_id: changed})})


def test_one_changed_question_builds_the_index_again(
        assistant: Assistant, tmp_path: Path) -> None:
    Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))
    word = "zorblax"  # a word no content has
    changed = with_question(assistant.kb, "en", "tax-card", f"{word} card for summer work")

    matcher = Matcher(changed, cache=EmbeddingCache(tmp_path))

    assert len(index_files(tmp_path)) == 2
    assert matcher.rank(f"{word} card")[0].topic == "tax-card"
    assert word in matcher.words_by_lang["en"].idf


def test_an_unreadable_index_file_is_built_again_and_said_once(
        assistant: Assistant, built: Matcher, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))
    [stored] = index_files(tmp_path)
    stored.write_bytes(b"not an npz file")

    with caplog.at_level(logging.WARNING):
        matcher = Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))

    assert rankings(matcher) == rankings(built)
    assert [r for r in caplog.records if stored.name in r.getMessage()]
    with np.load(stored) as arrays:  # written again, whole
        assert "languages" in arrays.files


def test_a_stored_index_missing_a_part_is_built_again(
        assistant: Assistant, built: Matcher, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))
    [stored] = index_files(tmp_path)
    with np.load(stored) as arrays:
        kept = {name: arrays[name] for name in arrays.files if not name.startswith("so.")}
    np.savez(stored, **kept)

    with caplog.at_level(logging.WARNING):
        matcher = Matcher(assistant.kb, cache=EmbeddingCache(tmp_path))

    assert rankings(matcher) == rankings(built)
    assert any("lexical index" in r.getMessage() for r in caplog.records)


def test_the_assistant_keeps_its_index_beside_the_vectors(assistant: Assistant) -> None:
    from tests.conftest import VECTOR_CACHE

    assert index_files(VECTOR_CACHE)
