"""The alert outbox: alerts written in the same transaction as what they are about, then
delivered at least once by a background job (see `bot.telegram_channel.outbox`).

    pending ──start_sending──▶ (copy going out) ──mark_sent──▶ sent ──acknowledge──▶ acknowledged
                                                                 (a whole chain: see escalations)
       ▲                               │                          └──escalate──▶ a copy for the
       └─────────── postpone ◀─────────┘ (error, 429, no answer)                  coordinator
    pending ──mark_failed──▶ failed (Telegram refuses it for good)
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.database import Database, iso, parse_iso

BLANKED = "blanked"
"""The kind of an alert whose delivered copy is to be edited to leave the person out."""


@dataclass(frozen=True)
class AlertDraft:
    """An alert to write into the outbox: to whom, what, and whether it has buttons."""

    kind: str
    chat_id: int
    text: str
    buttons: bool = True


@dataclass(frozen=True)
class Alert:
    """An alert in the outbox."""

    id: str
    booking_id: int | None
    kind: str
    chat_id: int
    text: str
    buttons: bool
    status: str
    attempts: int
    user_id: int | None = None
    parent_id: str | None = None
    """The alert this one copies: an escalation, or a coach's copy of a contact request."""
    escalations: int = 0
    sent_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    message_id: int | None = None
    """The delivered copy; an alert that has one is delivered again by editing it."""
    unconfirmed: int = 0
    """Copies that may have arrived although Telegram's answer never came."""


class Outbox:
    """Reads and writes the alert outbox; every write is one IMMEDIATE transaction."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def due_alerts(self, now: dt.datetime, limit: int = 20) -> list[Alert]:
        """Return pending alerts whose time has come, oldest first."""
        async with self.database.connection.execute(
                "SELECT * FROM alerts WHERE status = 'pending' AND next_attempt_at <= ? "
                "ORDER BY created_at, rowid LIMIT ?", (iso(now), limit)) as cursor:
            rows = await cursor.fetchall()
        return [alert_from_row(r) for r in rows]

    async def first_due_per_chat(self, now: dt.datetime, limit: int) -> list[Alert]:
        """Return the oldest due alert of each chat, oldest first: one chat's backlog never
        hides another chat's alerts."""
        async with self.database.connection.execute(
                "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY chat_id ORDER BY "
                "created_at, rowid) AS place FROM alerts WHERE status = 'pending' AND "
                "next_attempt_at <= ?) WHERE place = 1 ORDER BY created_at, rowid LIMIT ?",
                (iso(now), limit)) as cursor:
            rows = await cursor.fetchall()
        return [alert_from_row(r) for r in rows]

    async def start_sending(self, alert_id: str, lease_until: dt.datetime) -> Alert | None:
        """Note that a copy is going out; nobody picks the alert up again before
        `lease_until`. A copy still marked going out from before (a crash) counts as
        unconfirmed. Return the alert, or None if it is no longer pending."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE alerts SET unconfirmed = unconfirmed + in_flight, "
                             "in_flight = 1, next_attempt_at = ? WHERE id = ? AND status = "
                             "'pending'", (iso(lease_until), alert_id))
            async with db.execute("SELECT * FROM alerts WHERE id = ? AND status = 'pending'",
                                  (alert_id,)) as cursor:
                row = await cursor.fetchone()
        return alert_from_row(row) if row else None

    async def mark_sent(self, alert_id: str, now: dt.datetime,
                        message_id: int | None = None) -> bool:
        """Record that Telegram accepted the alert; False if another copy already had."""
        async with self.database.transaction() as db:
            cursor = await db.execute(
                "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                "in_flight = 0, message_id = COALESCE(?, message_id) WHERE id = ? AND "
                "status = 'pending'", (iso(now), message_id, alert_id))
            return bool(cursor.rowcount)

    async def postpone(self, alert_id: str, until: dt.datetime,
                       maybe_delivered: bool = False) -> None:
        """Try the alert again no earlier than `until`; `maybe_delivered` when the copy
        may have arrived although no answer came."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ?, "
                             "in_flight = 0, unconfirmed = unconfirmed + ? WHERE id = ?",
                             (iso(until), int(maybe_delivered), alert_id))

    async def mark_failed(self, alert_id: str) -> None:
        """Give up on an alert that Telegram refuses for good (e.g. the coach blocked the bot)."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE alerts SET status = 'failed' WHERE id = ?", (alert_id,))

    async def escalate(self, alert: Alert, draft: AlertDraft, now: dt.datetime) -> bool:
        """Count one more escalation of the alert and queue the coordinator's copy, atomically.

        The copy points to the alert it repeats (acknowledging either stops both; see
        `bot.storage.escalations`). Returns False when another run escalated the alert first,
        or for a copy (its root escalates).
        """
        if alert.parent_id is not None:
            return False
        async with self.database.transaction() as db:
            cursor = await db.execute(
                "UPDATE alerts SET escalated_at = ?, escalations = escalations + 1 WHERE id = ? "
                "AND escalations = ?", (iso(now), alert.id, alert.escalations))
            if not cursor.rowcount:
                return False
            booking_id = alert.booking_id
            if booking_id is not None:
                async with db.execute("SELECT 1 FROM bookings WHERE id = ?",
                                      (booking_id,)) as rows:
                    if await rows.fetchone() is None:
                        booking_id = None
            await insert_alert(db, draft, booking_id, alert.user_id, parent_id=alert.id)
            return True


async def insert_alert(db: aiosqlite.Connection, draft: AlertDraft, booking_id: int | None,
                       user_id: int | None, parent_id: str | None = None,
                       created_at: dt.datetime | None = None) -> str:
    """Put one alert into the outbox (inside the caller's transaction); return its id."""
    alert_id = uuid.uuid4().hex[:12]
    await db.execute(
        "INSERT INTO alerts (id, booking_id, user_id, kind, chat_id, text, buttons, parent_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%SZ', "
        "'now')))", (alert_id, booking_id, user_id, draft.kind, draft.chat_id, draft.text,
                     int(draft.buttons), parent_id, iso(created_at) if created_at else None))
    return alert_id


async def insert_alerts(db: aiosqlite.Connection, booking_id: int | None, user_id: int | None,
                        drafts: Sequence[AlertDraft], parent_id: str | None = None) -> None:
    """Write alerts into the outbox inside the caller's transaction."""
    for draft in drafts:
        await insert_alert(db, draft, booking_id, user_id, parent_id)


def alert_from_row(row: Any) -> Alert:
    """Build an Alert from a database row."""
    return Alert(id=row["id"], booking_id=row["booking_id"], kind=row["kind"],
                 chat_id=row["chat_id"], text=row["text"], buttons=bool(row["buttons"]),
                 status=row["status"], attempts=row["attempts"], user_id=row["user_id"],
                 parent_id=row["parent_id"], escalations=row["escalations"],
                 sent_at=parse_iso(row["sent_at"]) if row["sent_at"] else None,
                 escalated_at=parse_iso(row["escalated_at"]) if row["escalated_at"] else None,
                 message_id=row["message_id"], unconfirmed=row["unconfirmed"])
