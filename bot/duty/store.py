"""What the duty chat stores: conversations, the queue, and the message mapping (SQLite)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bot.storage.bookings import iso, parse_iso
from bot.storage.database import Database

LIVE = ("waiting", "open")


@dataclass(frozen=True)
class DutyChat:
    """One conversation between a person and the duty desk."""

    id: int
    user_id: int
    chat_id: int
    first_name: str
    lang: str
    chat_lang: str
    interpreter: bool
    crisis: bool
    voice: bool
    status: str
    coach_id: str | None
    topic_id: int | None
    topic_done: bool
    started_at: dt.datetime
    taken_at: dt.datetime | None

    @property
    def live(self) -> bool:
        """Tell whether the conversation is waiting or open."""
        return self.status in LIVE


@dataclass(frozen=True)
class Relay:
    """One message to copy to the other side (copy_message is None until it is)."""

    id: int
    duty_chat_id: int
    direction: str
    from_chat: int
    from_message: int
    attempts: int


@dataclass(frozen=True)
class LanguageFigures:
    """The duty desk's figures for one language."""

    started: int
    waited_in_vain: int
    served: int
    median_wait_seconds: float | None
    median_first_response_seconds: float | None


class AlreadyChatting(Exception):
    """The person already has a live conversation."""


def _chat(row: Any) -> DutyChat:
    return DutyChat(
        id=row["id"], user_id=row["user_id"], chat_id=row["chat_id"],
        first_name=row["first_name"], lang=row["lang"], chat_lang=row["chat_lang"],
        interpreter=bool(row["interpreter"]), crisis=bool(row["crisis"]),
        voice=bool(row["voice"]), status=row["status"], coach_id=row["coach_id"],
        topic_id=row["topic_id"], topic_done=bool(row["topic_done"]),
        started_at=parse_iso(row["started_at"]),
        taken_at=parse_iso(row["taken_at"]) if row["taken_at"] else None)


class DutyStore:
    """Reads and writes the duty chat's tables; every write is one transaction."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def _one(self, query: str, args: tuple[Any, ...]) -> DutyChat | None:
        rows = list(await self.database.connection.execute_fetchall(query, args))
        return _chat(rows[0]) if rows else None

    async def _many(self, query: str, args: tuple[Any, ...] = ()) -> list[DutyChat]:
        # One trip to the database thread (execute, fetch and close in one call).
        return [_chat(r) for r in await self.database.connection.execute_fetchall(query, args)]

    async def start(self, user_id: int, chat_id: int, first_name: str, lang: str,
                    chat_lang: str, interpreter: bool, voice: bool, now: dt.datetime
                    ) -> DutyChat:
        """Queue a new conversation; raise AlreadyChatting if one is live."""
        try:
            async with self.database.transaction() as connection:
                cursor = await connection.execute(
                    "INSERT INTO duty_chats (user_id, chat_id, first_name, lang, chat_lang, "
                    "interpreter, voice, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (user_id, chat_id, first_name[:64], lang, chat_lang, int(interpreter),
                     int(voice), iso(now)))
                new_id = cursor.lastrowid
        except sqlite3.IntegrityError:
            raise AlreadyChatting from None
        found = await self.get(int(new_id or 0))
        assert found is not None
        return found

    async def get(self, chat_id: int) -> DutyChat | None:
        """Return a conversation by its number."""
        return await self._one("SELECT * FROM duty_chats WHERE id = ?", (chat_id,))

    async def live_for(self, user_id: int) -> DutyChat | None:
        """Return the person's waiting or open conversation, if any."""
        return await self._one(
            "SELECT * FROM duty_chats WHERE user_id = ? AND status IN ('waiting', 'open')",
            (user_id,))

    async def by_topic(self, topic_id: int) -> DutyChat | None:
        """Return the conversation of a forum topic in the staff group."""
        return await self._one("SELECT * FROM duty_chats WHERE topic_id = ? ORDER BY id DESC",
                               (topic_id,))

    async def live(self) -> list[DutyChat]:
        """Return every waiting or open conversation, oldest first."""
        return await self._many(
            "SELECT * FROM duty_chats WHERE status IN ('waiting', 'open') ORDER BY id")

    async def needing_topic_work(self) -> list[DutyChat]:
        """Return conversations without a topic yet, or ended ones whose topic is still open."""
        return await self._many(
            "SELECT * FROM duty_chats WHERE (status IN ('waiting', 'open') AND topic_id IS NULL)"
            " OR (status IN ('closed', 'unserved') AND topic_id IS NOT NULL AND topic_done = 0)"
            " ORDER BY id")

    async def queue_position(self, chat: DutyChat) -> int:
        """Return the conversation's place among those waiting in its language (1 = next)."""
        async with self.database.connection.execute(
                "SELECT COUNT(*) FROM duty_chats WHERE status = 'waiting' AND chat_lang = ? "
                "AND id <= ?", (chat.chat_lang, chat.id)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 1

    async def _update(self, chat_id: int, assignments: str, args: tuple[Any, ...],
                      condition: str = "1") -> bool:
        async with self.database.transaction() as connection:
            cursor = await connection.execute(
                f"UPDATE duty_chats SET {assignments} WHERE id = ? AND {condition}",
                (*args, chat_id))
            return cursor.rowcount > 0

    async def set_topic(self, chat_id: int, topic_id: int) -> None:
        """Remember the forum topic created for a conversation."""
        await self._update(chat_id, "topic_id = ?", (topic_id,), "topic_id IS NULL")

    async def topic_finished(self, chat_id: int) -> None:
        """Note that an ended conversation's topic is renamed and closed."""
        await self._update(chat_id, "topic_done = 1", ())

    async def take(self, chat_id: int, coach_id: str, now: dt.datetime) -> bool:
        """Give a waiting or open conversation to a coach; False if it has ended."""
        return await self._update(
            chat_id, "coach_id = ?, status = 'open', taken_at = COALESCE(taken_at, ?)",
            (coach_id, iso(now)), "status IN ('waiting', 'open')")

    async def requeue(self, chat_id: int, chat_lang: str, interpreter: bool) -> bool:
        """Put a conversation back in the queue of another language (a transfer)."""
        return await self._update(
            chat_id, "coach_id = NULL, status = 'waiting', chat_lang = ?, interpreter = ?",
            (chat_lang, int(interpreter)), "status IN ('waiting', 'open')")

    async def flag(self, chat_id: int, crisis: bool = False, voice: bool = False) -> None:
        """Raise the crisis or voice flag of a conversation."""
        await self._update(chat_id, "crisis = MAX(crisis, ?), voice = MAX(voice, ?)",
                           (int(crisis), int(voice)))

    async def end(self, chat_id: int, now: dt.datetime, status: str = "closed") -> bool:
        """End a live conversation ('closed', or 'unserved' when duty ended first)."""
        return await self._update(chat_id, "status = ?, ended_at = ?", (status, iso(now)),
                                  "status IN ('waiting', 'open')")

    async def rate(self, chat_id: int, user_id: int, helped: bool) -> bool:
        """Record the person's 👍/👎 once."""
        return await self._update(chat_id, "rating = ?", (int(helped),),
                                  f"user_id = {int(user_id)} AND rating IS NULL "
                                  "AND status = 'closed'")

    # --- The relay: at least once ---------------------------------------------------------

    async def receive(self, chat: DutyChat, direction: str, from_chat: int, from_message: int,
                      now: dt.datetime, text: str | None) -> int | None:
        """Write down a message to relay before sending it; None if it is already known."""
        try:
            relay_id, _ = await self.database.write(
                "INSERT INTO duty_relay (duty_chat_id, direction, from_chat, from_message, "
                "next_attempt_at, received_at, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (chat.id, direction, from_chat, from_message, iso(now), time.time(), text))
        except sqlite3.IntegrityError:
            return None  # a redelivered update: the first copy is on its way or done
        return relay_id

    async def delivered(self, relay: Relay, copy_message: int, now: dt.datetime) -> None:
        """Mark a relayed message delivered (and note a coach's first answer, once)."""
        if relay.direction == "to_person":  # before the mark: a crash between costs no figure
            await self.database.write(
                "UPDATE duty_chats SET first_response_at = ? WHERE id = ? AND "
                "first_response_at IS NULL", (iso(now), relay.duty_chat_id))
        await self.database.write(
            "UPDATE duty_relay SET copy_message = ?, delivered_at = ? WHERE id = ?",
            (copy_message, time.time(), relay.id))

    async def postpone(self, relay_id: int, until: dt.datetime) -> None:
        """Try a relay again later."""
        async with self.database.transaction() as connection:
            await connection.execute(
                "UPDATE duty_relay SET attempts = attempts + 1, next_attempt_at = ? "
                "WHERE id = ?", (iso(until), relay_id))

    async def drop(self, relay_id: int) -> None:
        """Give up a relay Telegram refuses for good (the message was deleted)."""
        async with self.database.transaction() as connection:
            await connection.execute("DELETE FROM duty_relay WHERE id = ?", (relay_id,))

    async def due_lanes(self, now: dt.datetime) -> list[tuple[int, str]]:
        """Return (conversation, direction) pairs with an undelivered relay due, oldest first."""
        async with self.database.connection.execute(
                "SELECT duty_chat_id, direction, MIN(id) AS first FROM duty_relay "
                "WHERE copy_message IS NULL AND next_attempt_at <= ? "
                "GROUP BY duty_chat_id, direction ORDER BY first", (iso(now),)) as cursor:
            rows = await cursor.fetchall()
        return [(int(row[0]), str(row[1])) for row in rows]

    async def undelivered(self, duty_chat_id: int, direction: str
                          ) -> list[tuple[Relay, dt.datetime]]:
        """Return one side's undelivered relays in the order they came, with their due time."""
        rows = await self.database.connection.execute_fetchall(
            "SELECT id, duty_chat_id, direction, from_chat, from_message, attempts, "
            "next_attempt_at FROM duty_relay WHERE copy_message IS NULL AND "
            "duty_chat_id = ? AND direction = ? ORDER BY id", (duty_chat_id, direction))
        return [(Relay(*row[:6]), parse_iso(row[6])) for row in rows]

    async def original_of(self, copy_chat: int, copy_message: int) -> tuple[int, int] | None:
        """Return (chat, message) a copy came from, for reply threading."""
        for row in await self.database.connection.execute_fetchall(
                "SELECT r.from_chat, r.from_message, r.direction, c.chat_id FROM duty_relay r "
                "JOIN duty_chats c ON c.id = r.duty_chat_id WHERE r.copy_message = ?",
                (copy_message,)):
            if (row[2] == "to_person") == (row[3] == copy_chat):
                return int(row[0]), int(row[1])
        return None

    # --- Privacy and figures -------------------------------------------------------------

    async def forget(self, user_id: int) -> list[DutyChat]:
        """Remove the person's mappings and name; return their conversations (to close)."""
        chats = await self._many("SELECT * FROM duty_chats WHERE user_id = ?", (user_id,))
        async with self.database.transaction() as connection:
            await connection.execute(
                "DELETE FROM duty_relay WHERE duty_chat_id IN (SELECT id FROM duty_chats "
                "WHERE user_id = ?)", (user_id,))
            # The row stays for the figures, without anything that points to the person.
            await connection.execute(
                "UPDATE duty_chats SET user_id = -id, chat_id = 0, first_name = '', "
                "status = CASE WHEN status IN ('waiting', 'open') THEN 'closed' ELSE status END,"
                " ended_at = COALESCE(ended_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
                "WHERE user_id = ?", (user_id,))
        return chats

    async def purge(self, now: dt.datetime, transcript_days: int) -> None:
        """Drop mappings of conversations ended a day ago, and transcripts past retention."""
        async with self.database.transaction() as connection:
            await connection.execute(
                "DELETE FROM duty_relay WHERE copy_message IS NOT NULL AND duty_chat_id IN "
                "(SELECT id FROM duty_chats WHERE ended_at < ?)",
                (iso(now - dt.timedelta(days=max(1, transcript_days))),))
            await connection.execute(
                "UPDATE duty_chats SET first_name = '' WHERE ended_at < ?",
                (iso(now - dt.timedelta(days=1)),))

    async def figures(self, since: dt.datetime, until: dt.datetime | None = None
                      ) -> dict[str, LanguageFigures]:
        """Return chats started, waited in vain, served, median wait and first response,
        by the person's language, for conversations started in [since, until)."""
        rows = await self.database.connection.execute_fetchall(
            "SELECT lang, status, started_at, taken_at, first_response_at FROM duty_chats "
            "WHERE started_at >= ? AND started_at < ?",
            (iso(since), iso(until) if until else "9999"))
        by_lang: dict[str, list[Any]] = {}
        for row in rows:
            by_lang.setdefault(str(row[0]), []).append(row)
        return {lang: _figures(items) for lang, items in sorted(by_lang.items())}


def _figures(rows: list[Any]) -> LanguageFigures:
    def seconds(later: str | None, start: str) -> float | None:
        return (parse_iso(later) - parse_iso(start)).total_seconds() if later else None

    waits = [s for r in rows if (s := seconds(r[3], r[2])) is not None]
    firsts = [s for r in rows if (s := seconds(r[4], r[2])) is not None]
    return LanguageFigures(
        started=len(rows), waited_in_vain=sum(1 for r in rows if r[1] == "unserved"),
        served=sum(1 for r in rows if r[3] is not None),
        median_wait_seconds=statistics.median(waits) if waits else None,
        median_first_response_seconds=statistics.median(firsts) if firsts else None)
