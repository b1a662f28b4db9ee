"""Shared fixtures: the real content, the real assistant, and copies of content to break."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED

REPO = Path(__file__).resolve().parent.parent
CONTENT = Path(os.environ.get("OHJAAMO_TEST_CONTENT", REPO / "content"))
TOPICS_SPEC = REPO.parent / "shared" / "spec" / "topics.yaml"
DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"

LANGUAGES = pytest.mark.parametrize("lang", SUPPORTED)
"""Parametrise a test over all six languages."""


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    """Return the assistant built from the real content (built once: it takes a second)."""
    return Assistant.from_content(CONTENT, TOPICS_SPEC if TOPICS_SPEC.exists() else None)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """Return a private copy of the real content folder that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target
