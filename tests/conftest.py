"""Shared fixtures: the real content, the real assistant, and copies of content to break."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED
from bot.core.registry import HelpNumber
from tests.telegram_support import Bot, start_bot

REPO = Path(__file__).resolve().parent.parent
CONTENT = Path(os.environ.get("OHJAAMO_TEST_CONTENT", REPO / "content"))
TOPICS_SPEC = REPO.parent / "shared" / "spec" / "topics.yaml"
DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"
STYLED_SET = REPO.parent / "shared" / "eval" / "dev-styled.jsonl"
VECTOR_CACHE = Path(os.environ.setdefault("OHJAAMO_CACHE", str(REPO / ".cache" / "vectors")))
"""The content's vectors are encoded once (about two minutes on a fresh clone) and then
read back by every test and every `ohjaamo` process the tests start."""

LANGUAGES = pytest.mark.parametrize("lang", SUPPORTED)
"""Parametrise a test over all six languages."""


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    """Return the assistant built from the real content and the real encoder (built once)."""
    return Assistant.from_content(CONTENT, TOPICS_SPEC if TOPICS_SPEC.exists() else None,
                                  cache_dir=VECTOR_CACHE)


@pytest.fixture(scope="session", autouse=True)
def warm_vector_cache(assistant: Assistant) -> None:
    """Encode the content once before any test, so no `ohjaamo` process a test starts
    has to (on a fresh clone that takes minutes, longer than a process may run)."""


@pytest.fixture(scope="session")
def lexical_assistant(assistant: Assistant) -> Assistant:
    """Return the assistant as it answers when the encoder cannot load: lexical matching only."""
    return Assistant(assistant.kb, matcher=assistant.matcher)


def registry(assistant: Assistant) -> Mapping[str, HelpNumber]:
    """Return the help numbers of the content the assistant was built from."""
    assert assistant.kb.profile is not None
    return assistant.kb.profile.numbers


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """Return a private copy of the real content folder that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest_asyncio.fixture
async def bot(tmp_path: Path, assistant: Assistant) -> AsyncIterator[Bot]:
    """A bot on the real PTB stack with a recording transport, without a coaches file."""
    async for running in start_bot(tmp_path, assistant):
        yield running
