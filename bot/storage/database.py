"""The one connection to the SQLite file, its transactions and its migrations."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 5000
BEGIN_RETRIES = 20


class Database:
    """An aiosqlite connection in WAL mode; writers take turns through one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: aiosqlite.Connection | None = None
        # aiosqlite runs one thread per connection; the lock keeps two tasks from
        # interleaving statements inside one transaction on it.
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open (creating the folder and file if needed) and bring the schema up to date."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows are overwritten, not left in free pages: /forget leaves nothing behind
        # on any SQLite build (some builds default to this, others do not).
        await connection.execute("PRAGMA secure_delete = ON")
        self._connection = connection
        await self._migrate()

    async def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    @property
    def connection(self) -> aiosqlite.Connection:
        """Return the open connection."""
        if self._connection is None:
            raise RuntimeError("the database is not open; call open() first")
        return self._connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a writing transaction: BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on error."""
        async with self._lock:
            connection = self.connection
            await self._begin_immediate(connection)
            try:
                yield connection
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")

    async def write(self, statement: str, args: tuple[object, ...] = ()) -> tuple[int, int]:
        """Run one writing statement as its own transaction; return (lastrowid, rowcount).

        One trip to the connection's thread instead of three (BEGIN, the statement, COMMIT),
        for the hot paths, such as relaying a duty chat's messages: taking the writers' lock
        keeps it out of another task's open transaction.
        """
        async with self._lock:
            cursor = await self.connection.execute(statement, args)
            return int(cursor.lastrowid or 0), int(cursor.rowcount)

    async def _begin_immediate(self, connection: aiosqlite.Connection) -> None:
        """Take the write lock; when other processes hold it past busy_timeout, wait and retry."""
        for attempt in range(BEGIN_RETRIES):
            try:
                await connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == BEGIN_RETRIES - 1:
                    raise
                await asyncio.sleep(random.uniform(0.01, 0.05) * (attempt + 1))

    async def schema_version(self) -> int:
        """Return the file's `PRAGMA user_version`."""
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        for version, script in enumerate(MIGRATIONS, start=1):
            async with self.transaction() as connection:
                async with connection.execute("PRAGMA user_version") as cursor:
                    row = await cursor.fetchone()
                if row is not None and int(row[0]) >= version:
                    continue
                for statement in _statements(script):
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {version}")

    # --- People's preferences and feedback -----------------------------------------------

    async def language_of(self, user_id: int) -> str | None:
        """Return the language a person chose, or None if they never chose."""
        async with self.connection.execute(
                "SELECT lang FROM users WHERE user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_language(self, user_id: int, lang: str) -> None:
        """Remember a person's language."""
        async with self.transaction() as connection:
            await connection.execute(
                "INSERT INTO users (user_id, lang) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE "
                "SET lang = excluded.lang, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (user_id, lang))

    async def record_feedback(self, topic: str, lang: str, helped: bool) -> None:
        """Count one 'did this help?' answer, without who gave it."""
        async with self.transaction() as connection:
            await connection.execute(
                "INSERT INTO feedback (topic, lang, helped) VALUES (?, ?, ?)",
                (topic, lang, int(helped)))

    async def feedback_counts(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Return {(topic, lang): (helped, not helped)} for editors."""
        query = ("SELECT topic, lang, SUM(helped), SUM(1 - helped) FROM feedback "
                 "GROUP BY topic, lang")
        async with self.connection.execute(query) as cursor:
            rows = await cursor.fetchall()
        return {(str(r[0]), str(r[1])): (int(r[2]), int(r[3])) for r in rows}


def iso(moment: dt.datetime) -> str:
    """Write a moment as UTC text that sorts correctly and matches SQLite's strftime."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> dt.datetime:
    """Read a moment written by `iso`."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _statements(script: str) -> list[str]:
    """Split a migration into whole statements (a trigger body holds semicolons too)."""
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements
