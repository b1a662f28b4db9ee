"""Bookings, their alerts (an outbox written in the same transaction) and reminders.

    SlotTaken            the coach's slot already holds an active booking (unique index)
    BookingCapReached    the person already holds the maximum of upcoming bookings (trigger)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.booking.slots import Busy, Slot
from bot.storage.database import Database, iso, parse_iso
from bot.storage.outbox import (
    BLANKED,
    Alert,
    AlertDraft,
    Outbox,
    alert_from_row,
    insert_alert,
    insert_alerts,
)
from bot.storage.usage import UsageStore

__all__ = [
    "Alert",
    "AlertDraft",
    "Booking",
    "BookingCapReached",
    "BookingRequest",
    "BookingStore",
    "SlotTaken",
    "alert_from_row",
    "insert_alert",
    "iso",
    "parse_iso",
]

REMINDERS = (("day_before", dt.timedelta(days=1)), ("hour_before", dt.timedelta(hours=1)))


class SlotTaken(Exception):
    """Someone else booked this slot a moment earlier."""


class BookingCapReached(Exception):
    """The person already holds as many upcoming bookings as allowed."""


@dataclass(frozen=True)
class BookingRequest:
    """What a person asked for, before it is a booking."""

    user_id: int
    chat_id: int
    first_name: str
    lang: str
    meeting_lang: str
    interpreter: bool
    voice: int
    """The message id of a voice message the person sent (to forward to the coach), or 0."""
    mode: str
    topic: str | None
    note: str | None
    slot: Slot


@dataclass(frozen=True)
class Booking:
    """A stored booking."""

    id: int
    user_id: int
    chat_id: int
    first_name: str
    lang: str
    meeting_lang: str
    interpreter: bool
    voice: int
    mode: str
    topic: str | None
    note: str | None
    coach_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str

    @classmethod
    def from_row(cls, row: Any) -> Booking:
        """Build a Booking from a database row."""
        return cls(id=row["id"], user_id=row["user_id"], chat_id=row["chat_id"],
                   first_name=row["first_name"], lang=row["lang"],
                   meeting_lang=row["meeting_lang"], interpreter=bool(row["interpreter"]),
                   voice=int(row["voice"]), mode=row["mode"], topic=row["topic"],
                   note=row["note"], coach_id=row["coach_id"],
                   starts_at=parse_iso(row["starts_at"]), ends_at=parse_iso(row["ends_at"]),
                   status=row["status"])


BlankedAlert = Callable[[Alert, Booking | None], str]
"""Render what a delivered alert says once the person it was about is forgotten."""

AlertsFor = Callable[[Booking, str], Sequence[AlertDraft]]
"""Render the alerts for a booking and an event ('new', 'cancelled', 'moved' ...)."""


class BookingStore(Outbox):
    """Reads and writes bookings (and, as an Outbox, their alerts); every write is one
    IMMEDIATE transaction."""

    def __init__(self, database: Database, usage: UsageStore | None = None) -> None:
        super().__init__(database)
        self.usage = usage
        """Counts bookings and alert answers for the monthly figures, in the same transactions."""

    async def set_cap(self, maximum: int) -> None:
        """Keep the database's booking cap in step with the coaches file."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE limits SET value = ? WHERE name = "
                             "'max_upcoming_per_person'", (maximum,))

    async def book(self, request: BookingRequest, alerts_for: AlertsFor) -> Booking:
        """Store a booking with its alerts and reminders, or raise SlotTaken/BookingCapReached."""
        async with self.database.transaction() as db:
            return await self._insert_with_alerts(db, request, "new", alerts_for)

    async def reschedule(self, booking_id: int, slot: Slot, alerts_for: AlertsFor) -> Booking:
        """Move an active booking to another slot, keeping its number, in one transaction."""
        async with self.database.transaction() as db:
            old = await self._get(db, booking_id)
            if old is None or old.status != "active":
                raise LookupError(f"booking {booking_id} is not active")
            try:
                await db.execute("UPDATE bookings SET coach_id = ?, starts_at = ?, ends_at = ? "
                                 "WHERE id = ?", (slot.coach_id, iso(slot.starts_at),
                                                  iso(slot.ends_at), booking_id))
            except sqlite3.IntegrityError as exc:
                raise SlotTaken from exc
            moved = await self._get(db, booking_id)
            assert moved is not None
            await db.execute("DELETE FROM reminders WHERE booking_id = ?", (booking_id,))
            await self._add_reminders(db, moved)
            await self._add_alerts(db, moved, alerts_for(moved, "moved"))
            await self._count(db, "booking_moved", moved)
            return moved

    async def cancel(self, booking_id: int, event: str, alerts_for: AlertsFor) -> Booking:
        """Cancel an active booking and queue the alerts about it."""
        async with self.database.transaction() as db:
            cancelled = await self._cancel_active(db, booking_id)
            await self._add_alerts(db, cancelled, alerts_for(cancelled, event))
            await self._count(db, "booking_cancelled", cancelled)
        return cancelled

    async def set_status(self, booking_id: int, status: str) -> Booking | None:
        """Mark a booking done or no-show (by its coach)."""
        async with self.database.transaction() as db:
            before = await self._get(db, booking_id)
            await db.execute("UPDATE bookings SET status = ? WHERE id = ?",
                             (status, booking_id))
            after = await self._get(db, booking_id)
            if before is not None and after is not None and before.status != status:
                await self._count(db, f"booking_{status}", after)
            return after

    async def get(self, booking_id: int) -> Booking | None:
        """Return one booking."""
        return await self._get(self.database.connection, booking_id)

    async def upcoming_for_user(self, user_id: int, now: dt.datetime) -> list[Booking]:
        """Return a person's active bookings that have not started yet."""
        return await self._bookings(
            "WHERE user_id = ? AND status = 'active' AND starts_at > ? ORDER BY starts_at",
            (user_id, iso(now)))

    async def for_coach(self, coach_id: str, start: dt.datetime,
                        end: dt.datetime) -> list[Booking]:
        """Return a coach's active bookings starting in [start, end)."""
        return await self._bookings(
            "WHERE coach_id = ? AND status = 'active' AND starts_at >= ? AND starts_at < ? "
            "ORDER BY starts_at", (coach_id, iso(start), iso(end)))

    async def busy(self, start: dt.datetime, end: dt.datetime) -> list[Busy]:
        """Return every active booking and block overlapping [start, end)."""
        query = ("SELECT coach_id, starts_at, ends_at FROM bookings WHERE status = 'active' "
                 "AND ends_at > ? AND starts_at < ? UNION ALL SELECT coach_id, starts_at, "
                 "ends_at FROM blocks WHERE ends_at > ? AND starts_at < ?")
        async with self.database.connection.execute(
                query, (iso(start), iso(end), iso(start), iso(end))) as cursor:
            rows = await cursor.fetchall()
        return [Busy(r[0], parse_iso(r[1]), parse_iso(r[2])) for r in rows]

    async def block(self, coach_id: str, start: dt.datetime, end: dt.datetime) -> None:
        """Block a coach's time so nobody can book it."""
        async with self.database.transaction() as db:
            await db.execute("INSERT INTO blocks (coach_id, starts_at, ends_at) VALUES (?, ?, ?)",
                             (coach_id, iso(start), iso(end)))

    # --- The outbox -------------------------------------------------------------------------

    async def add_alerts(self, booking: Booking | None, drafts: Sequence[AlertDraft],
                         user_id: int | None = None) -> None:
        """Queue alerts that belong to no new booking (e.g. a crisis contact request)."""
        async with self.database.transaction() as db:
            await self._add_alerts(db, booking, drafts, user_id)

    # --- Reminders, history, privacy --------------------------------------------------------

    async def due_reminders(self, now: dt.datetime) -> list[tuple[Booking, str]]:
        """Return (booking, kind) for reminders whose time has come."""
        query = ("SELECT b.*, r.kind AS reminder FROM reminders r JOIN bookings b ON "
                 "b.id = r.booking_id WHERE r.sent_at IS NULL AND r.due_at <= ? AND "
                 "b.status = 'active' AND b.starts_at > ?")
        async with self.database.connection.execute(query, (iso(now), iso(now))) as cursor:
            rows = await cursor.fetchall()
        return [(Booking.from_row(r), str(r["reminder"])) for r in rows]

    async def mark_reminded(self, booking_id: int, kind: str, now: dt.datetime) -> None:
        """Record that a reminder was sent."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE reminders SET sent_at = ? WHERE booking_id = ? AND kind = ?",
                             (iso(now), booking_id, kind))

    async def remember_question(self, user_id: int, question: str, reply_kind: str,
                                topic: str | None, keep: int = 5) -> None:
        """Keep a person's last few questions, for the coach who will help them."""
        async with self.database.transaction() as db:
            await db.execute("INSERT INTO history (user_id, question, reply_kind, topic) VALUES "
                             "(?, ?, ?, ?)", (user_id, question[:500], reply_kind, topic))
            await db.execute("DELETE FROM history WHERE user_id = ? AND id NOT IN (SELECT id "
                             "FROM history WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                             (user_id, user_id, keep))

    async def recent_questions(self, user_id: int) -> list[tuple[str, str, str | None]]:
        """Return (question, reply kind, topic) for a person's recent questions, oldest first."""
        async with self.database.connection.execute(
                "SELECT question, reply_kind, topic FROM history WHERE user_id = ? ORDER BY id",
                (user_id,)) as cursor:
            rows = await cursor.fetchall()
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    async def forget(self, user_id: int, notices_for: Callable[[Booking], Sequence[AlertDraft]],
                     blanked: BlankedAlert | None = None) -> list[Booking]:
        """Delete every row about a person; coaches of their bookings get anonymous notices.

        Alerts already delivered about the person stay only as a note to edit the coach's
        copy with `blanked` (what it says without the person), then that is all they hold.
        """
        async with self.database.transaction() as db:
            async with db.execute("SELECT * FROM bookings WHERE user_id = ? AND status = "
                                  "'active'", (user_id,)) as cursor:
                active = [Booking.from_row(r) for r in await cursor.fetchall()]
            if blanked is not None:
                await self._blank_delivered_alerts(db, user_id, blanked)
            for table in ("alerts", "history"):
                await db.execute(f"DELETE FROM {table} WHERE user_id = ?",
                                 (user_id,))
            await db.execute("DELETE FROM bookings WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            for booking in active:
                await self._add_alerts(db, None, notices_for(booking))
                await self._count(db, "booking_cancelled", booking)
        return active

    async def purge(self, now: dt.datetime, days: int) -> None:
        """Delete notes and question histories `days` after the appointment (or question)."""
        cutoff = iso(now - dt.timedelta(days=days))
        async with self.database.transaction() as db:
            await db.execute("UPDATE bookings SET note = NULL WHERE ends_at < ? AND note IS NOT "
                             "NULL", (cutoff,))
            await db.execute("DELETE FROM history WHERE created_at < ? AND user_id NOT IN ("
                             "SELECT user_id FROM bookings WHERE status = 'active' AND ends_at "
                             ">= ?)", (cutoff, cutoff))

    # --- Internals --------------------------------------------------------------------------

    async def _blank_delivered_alerts(self, db: aiosqlite.Connection, user_id: int,
                                      blanked: BlankedAlert) -> None:
        async with db.execute("SELECT * FROM alerts WHERE user_id = ? AND message_id IS NOT "
                              "NULL", (user_id,)) as cursor:
            delivered = [alert_from_row(r) for r in await cursor.fetchall()]
        for alert in delivered:
            booking = await self._get(db, alert.booking_id) if alert.booking_id else None
            await db.execute(
                "UPDATE alerts SET kind = ?, text = ?, buttons = 0, status = 'pending', "
                "user_id = NULL, booking_id = NULL, attempts = 0, in_flight = 0, "
                "unconfirmed = 0, next_attempt_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                "WHERE id = ?", (BLANKED, blanked(alert, booking), alert.id))

    async def _insert_with_alerts(self, db: aiosqlite.Connection, request: BookingRequest,
                                  event: str, alerts_for: AlertsFor) -> Booking:
        booking = await self._insert(db, request)
        await self._add_alerts(db, booking, alerts_for(booking, event))
        await self._add_reminders(db, booking)
        await self._count(db, "booking_made", booking)
        return booking

    async def _cancel_active(self, db: aiosqlite.Connection, booking_id: int) -> Booking:
        booking = await self._get(db, booking_id)
        if booking is None or booking.status != "active":
            raise LookupError(f"booking {booking_id} is not active")
        await db.execute("UPDATE bookings SET status = 'cancelled' WHERE id = ?", (booking_id,))
        return dataclasses.replace(booking, status="cancelled")

    async def _insert(self, db: aiosqlite.Connection, request: BookingRequest) -> Booking:
        try:
            cursor = await db.execute(
                "INSERT INTO bookings (user_id, chat_id, first_name, lang, meeting_lang, "
                "interpreter, voice, mode, topic, note, coach_id, starts_at, ends_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (request.user_id, request.chat_id, request.first_name, request.lang,
                 request.meeting_lang, int(request.interpreter), request.voice,
                 request.mode, request.topic, request.note, request.slot.coach_id,
                 iso(request.slot.starts_at), iso(request.slot.ends_at)))
        except sqlite3.IntegrityError as exc:
            if "booking cap" in str(exc):
                raise BookingCapReached from exc
            raise SlotTaken from exc
        booking = await self._get(db, int(cursor.lastrowid or 0))
        assert booking is not None
        return booking

    async def _add_alerts(self, db: aiosqlite.Connection, booking: Booking | None,
                          drafts: Sequence[AlertDraft], user_id: int | None = None,
                          parent_id: str | None = None) -> None:
        await insert_alerts(db, booking.id if booking else None,
                            booking.user_id if booking else user_id, drafts, parent_id)

    async def _count(self, db: aiosqlite.Connection, event: str, booking: Booking) -> None:
        """Count a booking event today, by meeting language and mode (nothing about who)."""
        if self.usage is not None:
            await self.usage.count_in(db, event, lang=booking.meeting_lang, detail=booking.mode)

    async def _add_reminders(self, db: aiosqlite.Connection, booking: Booking) -> None:
        for kind, before in REMINDERS:
            await db.execute("INSERT INTO reminders (booking_id, kind, due_at) VALUES (?, ?, ?)",
                             (booking.id, kind, iso(booking.starts_at - before)))

    async def _get(self, db: aiosqlite.Connection, booking_id: int) -> Booking | None:
        async with db.execute("SELECT * FROM bookings WHERE id = ?", (booking_id,)) as cursor:
            row = await cursor.fetchone()
        return Booking.from_row(row) if row else None

    async def _bookings(self, where: str, parameters: tuple[Any, ...]) -> list[Booking]:
        async with self.database.connection.execute(
                f"SELECT * FROM bookings {where}", parameters) as cursor:
            rows = await cursor.fetchall()
        return [Booking.from_row(r) for r in rows]
