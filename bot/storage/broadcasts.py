"""Announcements and the deliveries table: one row per recipient, each with a state.

    pending ──claim──▶ sending ──delivered──▶ sent
       ▲                  ├──refused──▶ blocked (the person blocked the bot: opted out too)
       │                  │             failed  (Telegram refuses it for good, or retries ran out)
       └──── postpone ◀───┘ (429: after retry_after; 5xx, no answer: backoff)

A row is claimed in its own transaction before its send, and settled after it. A restart
puts rows left `sending` back to `pending`: only a send cut off by the crash itself (at most
the few in flight) can be repeated; nothing is skipped. The same table carries one-off notices
(a place freed up, an activity cancelled), so they survive restarts too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database, iso
from bot.storage.outbox import AlertDraft, insert_alerts
from bot.storage.usage import UsageStore

TOPICS = ("events", "urgent")
MAX_ATTEMPTS = 6
"""Sends of one row that fail without an answer (5xx, timeouts) before it counts as failed."""


@dataclass(frozen=True)
class Delivery:
    """One message to one person: an announcement's copy, or a notice with its own text."""

    id: int
    announcement_id: int | None
    user_id: int | None
    chat_id: int
    lang: str
    kind: str
    text: str | None
    buttons: list[list[str]]
    """Rows of [label, callback data] (a notice's own buttons)."""
    attempts: int

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        """Build a Delivery from a database row."""
        return cls(id=row["id"], announcement_id=row["announcement_id"], user_id=row["user_id"],
                   chat_id=row["chat_id"], lang=row["lang"], kind=row["kind"], text=row["text"],
                   buttons=json.loads(row["buttons"]) if row["buttons"] else [],
                   attempts=row["attempts"])


@dataclass(frozen=True)
class Announcement:
    """What a coordinator sent: the texts per language, the topic, an optional activity."""

    id: int
    topic: str
    texts: dict[str, str]
    occurrence: str | None
    coordinator_chat: int


@dataclass(frozen=True)
class Tally:
    """How an announcement's deliveries ended (or stand)."""

    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    waiting: int = 0

    @property
    def total(self) -> int:
        """Return every recipient."""
        return self.delivered + self.blocked + self.failed + self.waiting


ReportFor = Callable[[Announcement, Tally], Sequence[AlertDraft]]


class BroadcastStore:
    """Reads and writes announcements and deliveries; each write one IMMEDIATE transaction."""

    def __init__(self, database: Database, usage: UsageStore | None = None) -> None:
        self.database = database
        self.usage = usage

    async def announce(self, topic: str, texts: dict[str, str], occurrence: str | None,
                       coordinator_chat: int, now: dt.datetime) -> tuple[int, int]:
        """Store an announcement and one delivery per person opted in to `topic`, each in
        their current language; return (announcement id, recipients)."""
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        async with self.database.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO announcements (topic, texts, occurrence, coordinator_chat, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (topic, json.dumps(texts, ensure_ascii=False), occurrence, coordinator_chat,
                 iso(now)))
            announcement_id = int(cursor.lastrowid or 0)
            cursor = await db.execute(
                "INSERT INTO deliveries (announcement_id, user_id, chat_id, lang, kind, "
                f"next_attempt_at) SELECT ?, s.user_id, s.chat_id, COALESCE(u.lang, s.lang), "
                f"'announcement', ? FROM subscriptions s LEFT JOIN users u ON u.user_id = "
                f"s.user_id WHERE s.{topic} = 1 ORDER BY s.user_id",
                (announcement_id, iso(now)))
            return announcement_id, cursor.rowcount

    async def audience(self, topic: str) -> int:
        """Count the people opted in to `topic`."""
        if topic not in TOPICS:
            return 0
        async with self.database.connection.execute(
                f"SELECT COUNT(*) FROM subscriptions WHERE {topic} = 1") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def resume(self) -> int:
        """After a restart: rows cut off mid-send go back to pending; return how many."""
        async with self.database.transaction() as db:
            cursor = await db.execute("UPDATE deliveries SET state = 'pending' WHERE state = "
                                      "'sending'")
            return cursor.rowcount

    async def due(self, now: dt.datetime, limit: int) -> list[Delivery]:
        """Return pending deliveries whose time has come: notices first, then in order."""
        async with self.database.connection.execute(
                "SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? "
                "ORDER BY announcement_id IS NOT NULL, id LIMIT ?", (iso(now), limit)) as cursor:
            rows = await cursor.fetchall()
        return [Delivery.from_row(r) for r in rows]

    async def claim(self, delivery_id: int) -> bool:
        """Mark a row as being sent; False if another round took it first."""
        async with self.database.transaction() as db:
            cursor = await db.execute("UPDATE deliveries SET state = 'sending' WHERE id = ? AND "
                                      "state = 'pending'", (delivery_id,))
            return bool(cursor.rowcount)

    async def delivered(self, delivery: Delivery, now: dt.datetime) -> None:
        """Record that Telegram accepted the message."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE deliveries SET state = 'sent', sent_at = ?, attempts = "
                             "attempts + 1 WHERE id = ?", (iso(now), delivery.id))
            if delivery.announcement_id is not None and self.usage is not None:
                await self.usage.count_in(db, "announcement_delivered", lang=delivery.lang)

    async def refused(self, delivery: Delivery, blocked: bool) -> None:
        """Give up on a row: the person blocked the bot (then they are opted out), or the
        message is refused for good."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE deliveries SET state = ?, attempts = attempts + 1 WHERE "
                             "id = ?", ("blocked" if blocked else "failed", delivery.id))
            if blocked and delivery.user_id is not None:
                await db.execute("UPDATE subscriptions SET events = 0, urgent = 0 WHERE "
                                 "user_id = ?", (delivery.user_id,))

    async def postpone(self, delivery: Delivery, until: dt.datetime, attempt: bool) -> None:
        """Try again no earlier than `until`; an `attempt` that failed counts towards
        MAX_ATTEMPTS (a 429 does not: the message was not taken)."""
        async with self.database.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = CASE WHEN ? AND attempts + 1 >= ? THEN 'failed' "
                "ELSE 'pending' END, attempts = attempts + ?, next_attempt_at = ? WHERE id = ?",
                (int(attempt), MAX_ATTEMPTS, int(attempt), iso(until), delivery.id))

    async def announcement(self, announcement_id: int) -> Announcement | None:
        """Return one announcement."""
        async with self.database.connection.execute(
                "SELECT * FROM announcements WHERE id = ?", (announcement_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return Announcement(id=row["id"], topic=row["topic"], texts=json.loads(row["texts"]),
                            occurrence=row["occurrence"],
                            coordinator_chat=row["coordinator_chat"])

    async def tally(self, announcement_id: int) -> Tally:
        """Count an announcement's deliveries by how they ended."""
        async with self.database.connection.execute(
                "SELECT state, COUNT(*) FROM deliveries WHERE announcement_id = ? GROUP BY state",
                (announcement_id,)) as cursor:
            counts = {str(r[0]): int(r[1]) for r in await cursor.fetchall()}
        return Tally(delivered=counts.get("sent", 0), blocked=counts.get("blocked", 0),
                     failed=counts.get("failed", 0),
                     waiting=counts.get("pending", 0) + counts.get("sending", 0))

    async def finish(self, now: dt.datetime, report_for: ReportFor) -> list[Announcement]:
        """Close announcements with nothing left to send, queueing each report to its
        coordinator in the same transaction (so it is sent once, also across restarts)."""
        async with self.database.connection.execute(
                "SELECT id FROM announcements WHERE status = 'sending' AND NOT EXISTS (SELECT 1 "
                "FROM deliveries WHERE announcement_id = announcements.id AND state IN "
                "('pending', 'sending'))") as cursor:
            done = [int(r[0]) for r in await cursor.fetchall()]
        finished = []
        for announcement_id in done:
            announcement = await self.announcement(announcement_id)
            assert announcement is not None
            tally = await self.tally(announcement_id)
            async with self.database.transaction() as db:
                cursor = await db.execute("UPDATE announcements SET status = 'done', finished_at "
                                          "= ? WHERE id = ? AND status = 'sending'",
                                          (iso(now), announcement_id))
                if cursor.rowcount:
                    await insert_alerts(db, None, None, report_for(announcement, tally))
                    if self.usage is not None:
                        await self.usage.count_in(db, "announcement_sent",
                                                  subject=announcement.topic)
                    finished.append(announcement)
        return finished
