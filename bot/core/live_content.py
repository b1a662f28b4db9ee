"""Content that changes while the bot runs: checked first, built off the event loop, swapped in.

The bot serves the last content that loaded without errors. Each load copies the editors'
folder into a new version under the snapshot folder and checks and builds from that copy,
so what is served is exactly what was checked, and the copy is the "last good" version a
restart falls back on when the editors' folder has errors. Layout of the snapshot folder::

    last-good-content/
      current                 the name of the version in service
      20261206-173000-123456/ a copy of content/ that loaded without errors
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.core.assistant import Assistant
from bot.core.content import KnowledgeBase
from bot.core.loading import check_content
from bot.core.problems import ContentError, Problem

logger = logging.getLogger(__name__)

AssistantFactory = Callable[[Path], Assistant]
"""Build an assistant from a content folder (e.g. `Assistant.from_content`); may take seconds."""
Checker = Callable[[Path, Path | None], tuple[KnowledgeBase | None, list[Problem]]]
Fingerprint = tuple[tuple[str, int, int], ...]
"""(relative path, size, modification time) of every file: cheap to take every few seconds."""

POINTER = "current"
KEEP_VERSIONS = 2
"""The version in service and the one before it (a reply being written may still use it)."""


@dataclass(frozen=True)
class ContentChange:
    """What happened when the content was loaded: live, refused, or started on the snapshot."""

    loaded: bool
    """True when the editors' content is now live."""
    problems: tuple[Problem, ...] = ()
    """Errors (when refused) and warnings, with the editors' own paths and lines."""
    on_snapshot: bool = False
    """True when the bot started on the last good version because the content has errors."""

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that stopped the content from loading."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Return the problems that did not stop it."""
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class LiveContent:
    """The assistant in service now, and how to replace it with a checked new one."""

    root: Path
    """The editors' content folder."""
    build: AssistantFactory
    snapshots: Path | None = None
    """Where last good versions are kept; None loads straight from `root` (no fallback)."""
    required_topics: Path | None = None
    check: Checker = check_content
    listeners: list[Callable[[Assistant], Awaitable[None]]] = field(default_factory=list)
    """Awaited after each reload that swapped the assistant (e.g. the booking desk's texts)."""
    last_change: ContentChange | None = None
    """What the last start or reload did (the start-up announcement reads it)."""
    _assistant: Assistant | None = None
    _settled: Fingerprint | None = None
    _pending: Fingerprint | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def serving(cls, assistant: Assistant, root: Path, build: AssistantFactory,
                required_topics: Path | None = None) -> LiveContent:
        """Serve an assistant built elsewhere; later reloads read `root` (tests, `ohjaamo chat`)."""
        live = cls(root, build, required_topics=required_topics)
        live._assistant = assistant
        live._settled = fingerprint(root)
        return live

    @property
    def assistant(self) -> Assistant:
        """Return the assistant in service; a reload replaces it between two messages."""
        if self._assistant is None:
            raise RuntimeError("no content is loaded yet; call start() first")
        return self._assistant

    def start(self) -> ContentChange:
        """Load the content to start with; fall back on the last good version.

        Raises ContentError when the content has errors and there is no last good version.
        """
        self._settled = fingerprint(self.root)
        assistant, change = self._load()
        if assistant is None:
            last = self.last_good()
            if last is None:
                raise ContentError(list(change.problems))
            try:
                assistant = self.build(last)
            except ContentError:
                raise ContentError(list(change.problems)) from None
            logger.error("the content in %s has %d error(s); serving the last good version "
                         "from %s until they are fixed", self.root, len(change.errors), last)
            change = replace(change, on_snapshot=True)
        self._assistant = assistant
        self.last_change = change
        return change

    async def reload(self) -> ContentChange:
        """Check and build the editors' content in a thread; swap it in if it has no errors."""
        async with self._lock:
            self._settled = await asyncio.to_thread(fingerprint, self.root)
            self._pending = None
            assistant, change = await asyncio.to_thread(self._load)
            self.last_change = change
            if assistant is not None:
                self._assistant = assistant  # one assignment: a reply sees old or new, whole
                for listener in self.listeners:
                    await listener(assistant)
            return change

    async def poll(self) -> ContentChange | None:
        """Reload when files changed since the last look and have stayed so for one more look.

        Waiting one look lets an editor (or `git pull`) finish writing several files.
        """
        now = await asyncio.to_thread(fingerprint, self.root)
        if now == self._settled:
            self._pending = None
            return None
        if now != self._pending:
            self._pending = now
            return None
        return await self.reload()

    def last_good(self) -> Path | None:
        """Return the folder of the last good version, if one was kept."""
        if self.snapshots is None:
            return None
        try:
            name = (self.snapshots / POINTER).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        folder = self.snapshots / name
        return folder if name and folder.is_dir() else None

    # --- Internals ---------------------------------------------------------------------------

    def _load(self) -> tuple[Assistant | None, ContentChange]:
        """Copy, check and build the editors' content (blocking: run it in a thread)."""
        version: Path | None = None
        try:
            if self.snapshots is None:
                return self._check_and_build(self.root, self.root)
            version = self._new_version()
            assistant, change = self._check_and_build(version, self.root)
            if assistant is not None:
                self._promote(version)
                version = None
            return assistant, change
        except Exception as exc:  # a full disk, a bug: never take the running bot down
            logger.exception("loading the content from %s failed", self.root)
            return None, ContentChange(False, (Problem(
                self.root, 1, f"the content could not be loaded ({type(exc).__name__}: {exc})",
                "the bot keeps the content it had; if this happens again, tell a developer"),))
        finally:
            if version is not None:
                shutil.rmtree(version, ignore_errors=True)

    def _check_and_build(self, folder: Path, shown: Path
                         ) -> tuple[Assistant | None, ContentChange]:
        kb, problems = self.check(folder, self.required_topics)
        problems = [_relocated(p, folder, shown) for p in problems]
        if kb is None:
            return None, ContentChange(False, tuple(problems))
        try:
            assistant = self.build(folder)
        except ContentError as exc:  # e.g. a required-topics file that changed meanwhile
            return None, ContentChange(False, tuple(_relocated(p, folder, shown)
                                                    for p in exc.problems))
        return assistant, ContentChange(True, tuple(problems))

    def _new_version(self) -> Path:
        assert self.snapshots is not None
        self.snapshots.mkdir(parents=True, exist_ok=True)
        version = self.snapshots / dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
        shutil.copytree(self.root, version, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        return version

    def _promote(self, version: Path) -> None:
        """Point `current` at `version` atomically, then drop versions nobody serves."""
        assert self.snapshots is not None
        pointer = self.snapshots / POINTER
        temporary = self.snapshots / f".{POINTER}.{secrets.token_hex(4)}"
        temporary.write_text(version.name + "\n", encoding="utf-8")
        os.replace(temporary, pointer)
        versions = sorted((p for p in self.snapshots.iterdir()
                           if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
        for old in versions[:-KEEP_VERSIONS]:
            if old != version:
                shutil.rmtree(old, ignore_errors=True)


def fingerprint(root: Path) -> Fingerprint:
    """Return what changes when any file under `root` is written, added or removed."""
    found: list[tuple[str, int, int]] = []
    for folder, directories, files in os.walk(root):
        directories[:] = sorted(d for d in directories if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            try:
                stat = path.stat()
            except OSError:  # removed while we looked: the next look sees it gone
                continue
            found.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _relocated(problem: Problem, folder: Path, shown: Path) -> Problem:
    """Name the editors' file in a problem found in the private copy of their folder."""
    if folder == shown:
        return problem
    try:
        return replace(problem, path=shown / problem.path.relative_to(folder))
    except ValueError:  # e.g. the required-topics file, which lies outside the content
        return problem
