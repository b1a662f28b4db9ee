"""Sign-ups for activities (places, waiting list, reminders) and who opted in to announcements.

    ActivityFull       (internal) the trigger refused a place: the person waits in line
    ActivityCancelled  the coordinator cancelled this occurrence; nobody can sign up

A place is taken in one IMMEDIATE transaction, and the database's triggers refuse a place
past the occurrence's places whatever the code does: 100 people tapping at once for 10
places leave exactly 10 signed up and 90 waiting. A cancelled place goes to the first in
line in the same transaction, with the notice to them written into the deliveries table.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.database import Database, iso, parse_iso
from bot.storage.outbox import AlertDraft, insert_alerts
from bot.storage.usage import UsageStore

PLACE, WAITING, REMINDER = "place", "waiting", "reminder"
AT_ONCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""The due time of a notice that goes out with the next delivery round."""


class ActivityCancelled(Exception):
    """The occurrence was cancelled by a coordinator."""


@dataclass(frozen=True)
class OccurrenceSlot:
    """What the store needs to know of an occurrence (from the activities file)."""

    activity: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    places: int | None
    category: str = ""


@dataclass(frozen=True)
class Signup:
    """One person's sign-up (a place, a place in line, or only a reminder)."""

    id: int
    activity: str
    starts_at: dt.datetime
    user_id: int
    chat_id: int
    first_name: str
    lang: str
    kind: str
    status: str
    attended: bool | None

    @classmethod
    def from_row(cls, row: Any) -> Signup:
        """Build a Signup from a database row."""
        return cls(id=row["id"], activity=row["activity"], starts_at=parse_iso(row["starts_at"]),
                   user_id=row["user_id"], chat_id=row["chat_id"], first_name=row["first_name"],
                   lang=row["lang"], kind=row["kind"], status=row["status"],
                   attended=None if row["attended"] is None else bool(row["attended"]))


@dataclass(frozen=True)
class Notice:
    """A message to one person, written into the deliveries table (see storage.broadcasts)."""

    chat_id: int
    user_id: int | None
    lang: str
    kind: str
    text: str
    buttons: str | None = None
    """JSON rows of [label, callback data], or None."""


NoticeFor = Callable[[Signup], Notice]
FullAlert = Callable[[OccurrenceSlot], Sequence[AlertDraft]]


class ActivityStore:
    """Reads and writes sign-ups and subscriptions; every write is one IMMEDIATE transaction."""

    def __init__(self, database: Database, usage: UsageStore | None = None) -> None:
        self.database = database
        self.usage = usage

    # --- Sign-ups --------------------------------------------------------------------------

    async def sign_up(self, slot: OccurrenceSlot, user_id: int, chat_id: int, first_name: str,
                      lang: str, wanted: str, full_alert: FullAlert | None = None) -> Signup:
        """Take a place (or a place in line when full), or ask only for a reminder.

        Signing up again returns the sign-up the person already has (a reminder becomes a
        place when they now want one).
        """
        async with self.database.transaction() as db:
            await db.execute(
                "INSERT INTO activity_occurrences (activity, starts_at, ends_at, places) VALUES "
                "(?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (slot.activity, iso(slot.starts_at), iso(slot.ends_at), slot.places))
            if await self._status(db, slot.activity, iso(slot.starts_at)) == "cancelled":
                raise ActivityCancelled
            existing = await self._active_of(db, slot, user_id)
            if existing is not None and (existing.kind != REMINDER or wanted == REMINDER):
                return existing
            if existing is not None:
                await db.execute("UPDATE activity_signups SET status = 'cancelled' WHERE id = ?",
                                 (existing.id,))
            values = (slot.activity, iso(slot.starts_at), user_id, chat_id, first_name, lang)
            try:
                signup_id = await self._insert(db, values, wanted)
            except sqlite3.IntegrityError as exc:
                if "activity full" not in str(exc):
                    raise
                signup_id = await self._insert(db, values, WAITING)
            signup = await self._get(db, signup_id)
            assert signup is not None
            await self._count(db, f"activity_{signup.kind}", lang, slot.category)
            if signup.kind == PLACE and full_alert is not None:
                await self._tell_when_full(db, slot, full_alert)
            return signup

    async def cancel(self, signup_id: int, user_id: int, moved_up: NoticeFor,
                     category: str = "") -> tuple[Signup, Signup | None] | None:
        """Cancel a person's sign-up; a freed place goes to the first in line, who is told.

        Returns (cancelled, moved up or None), or None if it was not theirs or not active.
        """
        async with self.database.transaction() as db:
            signup = await self._get(db, signup_id)
            if signup is None or signup.user_id != user_id or signup.status != "active":
                return None
            await db.execute("UPDATE activity_signups SET status = 'cancelled' WHERE id = ?",
                             (signup_id,))
            await self._count(db, "activity_cancelled", signup.lang, category)
            promoted = await self._move_up(db, signup, moved_up) if signup.kind == PLACE \
                else None
            return signup, promoted

    async def cancel_occurrence(self, slot: OccurrenceSlot, notice: NoticeFor) -> int:
        """Cancel an occurrence; everyone signed up (or waiting, or reminded) is told."""
        async with self.database.transaction() as db:
            await db.execute(
                "INSERT INTO activity_occurrences (activity, starts_at, ends_at, places) VALUES "
                "(?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (slot.activity, iso(slot.starts_at), iso(slot.ends_at), slot.places))
            await db.execute("UPDATE activity_occurrences SET status = 'cancelled' WHERE "
                             "activity = ? AND starts_at = ?",
                             (slot.activity, iso(slot.starts_at)))
            async with db.execute("SELECT * FROM activity_signups WHERE activity = ? AND "
                                  "starts_at = ? AND status = 'active' ORDER BY id",
                                  (slot.activity, iso(slot.starts_at))) as cursor:
                signups = [Signup.from_row(r) for r in await cursor.fetchall()]
            await db.execute("UPDATE activity_signups SET status = 'cancelled' WHERE activity = ? "
                             "AND starts_at = ? AND status = 'active'",
                             (slot.activity, iso(slot.starts_at)))
            for signup in signups:
                await insert_notice(db, notice(signup))
            await self._count(db, "activity_cancelled_by_coordinator", "", slot.category)
            return len(signups)

    async def mark_attended(self, signup_id: int) -> Signup | None:
        """Record that a person came (a coordinator's tap); counted once."""
        async with self.database.transaction() as db:
            cursor = await db.execute("UPDATE activity_signups SET attended = 1 WHERE id = ? "
                                      "AND kind = 'place' AND attended IS NULL", (signup_id,))
            signup = await self._get(db, signup_id)
            if cursor.rowcount and signup is not None:
                await self._count(db, "activity_attended", signup.lang, "")
            return signup

    async def is_cancelled(self, activity: str, starts_at: dt.datetime) -> bool:
        """Tell whether a coordinator cancelled this occurrence."""
        return await self._status(self.database.connection, activity,
                                  iso(starts_at)) == "cancelled"

    async def taken(self, activity: str, starts_at: dt.datetime) -> int:
        """Return how many places of an occurrence are taken."""
        async with self.database.connection.execute(
                "SELECT COUNT(*) FROM activity_signups WHERE activity = ? AND starts_at = ? AND "
                "kind = 'place' AND status = 'active'", (activity, iso(starts_at))) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def signups(self, activity: str, starts_at: dt.datetime) -> list[Signup]:
        """Return an occurrence's active sign-ups: places first, then the line, in order."""
        return await self._signups(
            "WHERE activity = ? AND starts_at = ? AND status = 'active' ORDER BY CASE kind WHEN "
            "'place' THEN 0 WHEN 'waiting' THEN 1 ELSE 2 END, id", (activity, iso(starts_at)))

    async def get(self, signup_id: int) -> Signup | None:
        """Return one sign-up."""
        return await self._get(self.database.connection, signup_id)

    async def upcoming_for_user(self, user_id: int, now: dt.datetime) -> list[Signup]:
        """Return a person's active sign-ups that have not started yet."""
        return await self._signups("WHERE user_id = ? AND status = 'active' AND starts_at > ? "
                                   "ORDER BY starts_at", (user_id, iso(now)))

    async def place_in_line(self, signup: Signup) -> int:
        """Return the 1-based place of a waiting sign-up in its line."""
        async with self.database.connection.execute(
                "SELECT COUNT(*) FROM activity_signups WHERE activity = ? AND starts_at = ? AND "
                "kind = 'waiting' AND status = 'active' AND id <= ?",
                (signup.activity, iso(signup.starts_at), signup.id)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def due_reminders(self, now: dt.datetime) -> list[Signup]:
        """Return sign-ups (places and reminders) whose day-before reminder is due."""
        return await self._signups(
            "WHERE status = 'active' AND kind IN ('place', 'reminder') AND reminded_at IS NULL "
            "AND starts_at > ? AND starts_at <= ?", (iso(now), iso(now + dt.timedelta(days=1))))

    async def mark_reminded(self, signup_id: int, now: dt.datetime) -> None:
        """Record that the reminder was sent."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE activity_signups SET reminded_at = ? WHERE id = ?",
                             (iso(now), signup_id))

    # --- Subscriptions ---------------------------------------------------------------------

    async def subscription(self, user_id: int) -> tuple[bool, bool] | None:
        """Return (events, urgent notices) a person opted in to, or None if never asked."""
        async with self.database.connection.execute(
                "SELECT events, urgent FROM subscriptions WHERE user_id = ?",
                (user_id,)) as cursor:
            row = await cursor.fetchone()
        return (bool(row[0]), bool(row[1])) if row else None

    async def subscribe(self, user_id: int, chat_id: int, lang: str, events: bool,
                        urgent: bool) -> None:
        """Record what a person opted in to (both False: asked, and said no)."""
        async with self.database.transaction() as db:
            await db.execute(
                "INSERT INTO subscriptions (user_id, chat_id, lang, events, urgent) VALUES "
                "(?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, "
                "lang = excluded.lang, events = excluded.events, urgent = excluded.urgent, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (user_id, chat_id, lang, int(events), int(urgent)))
            if events or urgent:
                await self._count(db, "announcement_opt_in", lang, "")

    async def opt_out(self, user_id: int) -> bool:
        """Stop every announcement to a person (one tap); False if they had none."""
        async with self.database.transaction() as db:
            cursor = await db.execute("UPDATE subscriptions SET events = 0, urgent = 0, "
                                      "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE "
                                      "user_id = ? AND (events = 1 OR urgent = 1)", (user_id,))
            if cursor.rowcount:
                await self._count(db, "announcement_opt_out", "", "")
            return bool(cursor.rowcount)

    async def forget(self, user_id: int, moved_up: NoticeFor) -> None:
        """Delete a person's sign-ups, subscription and pending messages (their places move up)."""
        async with self.database.transaction() as db:
            async with db.execute("SELECT * FROM activity_signups WHERE user_id = ? AND status = "
                                  "'active' AND kind = 'place'", (user_id,)) as cursor:
                places = [Signup.from_row(r) for r in await cursor.fetchall()]
            await db.execute("DELETE FROM activity_signups WHERE user_id = ?", (user_id,))
            for signup in places:
                await self._move_up(db, signup, moved_up)
            await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM deliveries WHERE user_id = ? AND state IN ('pending', "
                             "'sending')", (user_id,))
            await db.execute("UPDATE deliveries SET user_id = NULL, text = NULL WHERE user_id = ?",
                             (user_id,))

    async def purge(self, now: dt.datetime, days: int) -> None:
        """Delete sign-ups and delivered messages `days` after the activity (or the send);
        the figures stay in the usage counters, with nobody in them."""
        cutoff = iso(now - dt.timedelta(days=days))
        async with self.database.transaction() as db:
            await db.execute("DELETE FROM activity_signups WHERE starts_at < ?", (cutoff,))
            await db.execute("DELETE FROM deliveries WHERE state NOT IN ('pending', 'sending') "
                             "AND COALESCE(sent_at, next_attempt_at) < ?", (cutoff,))

    # --- Internals -------------------------------------------------------------------------

    async def _move_up(self, db: aiosqlite.Connection, freed: Signup,
                       moved_up: NoticeFor) -> Signup | None:
        async with db.execute("SELECT id FROM activity_signups WHERE activity = ? AND "
                              "starts_at = ? AND kind = 'waiting' AND status = 'active' ORDER BY "
                              "id LIMIT 1", (freed.activity, iso(freed.starts_at))) as cursor:
            row = await cursor.fetchone()
        if row is None or await self._status(db, freed.activity, iso(freed.starts_at)) != "on":
            return None
        try:
            await db.execute("UPDATE activity_signups SET kind = 'place' WHERE id = ?", (row[0],))
        except sqlite3.IntegrityError:  # the places were lowered meanwhile: stay in line
            return None
        promoted = await self._get(db, int(row[0]))
        assert promoted is not None
        await insert_notice(db, moved_up(promoted))
        await self._count(db, "activity_moved_up", promoted.lang, "")
        return promoted

    async def _tell_when_full(self, db: aiosqlite.Connection, slot: OccurrenceSlot,
                              full_alert: FullAlert) -> None:
        cursor = await db.execute(
            "UPDATE activity_occurrences SET full_told = 1 WHERE activity = ? AND starts_at = ? "
            "AND full_told = 0 AND places IS NOT NULL AND places <= (SELECT COUNT(*) FROM "
            "activity_signups WHERE activity = ? AND starts_at = ? AND kind = 'place' AND "
            "status = 'active')", (slot.activity, iso(slot.starts_at), slot.activity,
                                   iso(slot.starts_at)))
        if cursor.rowcount:
            await insert_alerts(db, None, None, full_alert(slot))

    async def _insert(self, db: aiosqlite.Connection, values: tuple[Any, ...],
                      kind: str) -> int:
        cursor = await db.execute(
            "INSERT INTO activity_signups (activity, starts_at, user_id, chat_id, first_name, "
            "lang, kind) VALUES (?, ?, ?, ?, ?, ?, ?)", (*values, kind))
        return int(cursor.lastrowid or 0)

    async def _active_of(self, db: aiosqlite.Connection, slot: OccurrenceSlot,
                         user_id: int) -> Signup | None:
        async with db.execute("SELECT * FROM activity_signups WHERE activity = ? AND starts_at = ? "
                              "AND user_id = ? AND status = 'active'",
                              (slot.activity, iso(slot.starts_at), user_id)) as cursor:
            row = await cursor.fetchone()
        return Signup.from_row(row) if row else None

    async def _status(self, db: aiosqlite.Connection, activity: str, starts_at: str) -> str:
        async with db.execute("SELECT status FROM activity_occurrences WHERE activity = ? AND "
                              "starts_at = ?", (activity, starts_at)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else "on"

    async def _get(self, db: aiosqlite.Connection, signup_id: int) -> Signup | None:
        async with db.execute("SELECT * FROM activity_signups WHERE id = ?",
                              (signup_id,)) as cursor:
            row = await cursor.fetchone()
        return Signup.from_row(row) if row else None

    async def _signups(self, where: str, parameters: tuple[Any, ...]) -> list[Signup]:
        async with self.database.connection.execute(
                f"SELECT * FROM activity_signups {where}", parameters) as cursor:
            rows = await cursor.fetchall()
        return [Signup.from_row(r) for r in rows]

    async def _count(self, db: aiosqlite.Connection, event: str, lang: str,
                     subject: str) -> None:
        if self.usage is not None:
            await self.usage.count_in(db, event, lang=lang, subject=subject)


async def insert_notice(db: aiosqlite.Connection, notice: Notice,
                        due: dt.datetime = AT_ONCE, announcement_id: int | None = None) -> None:
    """Queue one message to a person in the deliveries table (inside the caller's transaction)."""
    await db.execute(
        "INSERT INTO deliveries (announcement_id, user_id, chat_id, lang, kind, text, buttons, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (announcement_id, notice.user_id, notice.chat_id, notice.lang, notice.kind, notice.text,
         notice.buttons, iso(due)))
