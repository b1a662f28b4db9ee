"""Acknowledgement chains of coach alerts, and the cap on crisis-contact requests.

An alert that asks someone to act (a new or moved booking, a crisis-contact request) is
the root of a chain. The coordinator's copies of it ("not acknowledged in time" and its
bounded repeats) and the coaches' copies of one contact request point to the root with
`parent_id`. Acknowledging any alert of a chain acknowledges all of it, which stops it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.storage.bookings import Alert, AlertDraft, alert_from_row, insert_alert, iso, parse_iso
from bot.storage.database import Database
from bot.storage.outbox import BLANKED
from bot.storage.usage import UsageStore

ROOT_KINDS = ("new", "moved", "contact")
"""Alerts that wait for an acknowledgement and escalate without one."""


class Escalations:
    """Reads and writes alert chains in the outbox; every write is one transaction."""

    def __init__(self, database: Database, usage: UsageStore | None = None) -> None:
        self.database = database
        self.usage = usage
        """Counts how soon chains are acknowledged, for the monthly figures."""

    async def chain(self, alert_id: str) -> list[Alert]:
        """Return the chain an alert belongs to, root first; empty for an unknown id."""
        connection = self.database.connection
        async with connection.execute("SELECT COALESCE(parent_id, id) FROM alerts WHERE id = ?",
                                      (alert_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return []
        async with connection.execute(
                "SELECT * FROM alerts WHERE id = ? OR parent_id = ? ORDER BY parent_id IS NOT "
                "NULL, created_at, rowid", (row[0], row[0])) as cursor:
            rows = await cursor.fetchall()
        return [alert_from_row(r) for r in rows]

    async def acknowledge(self, root_id: str, now: dt.datetime) -> bool:
        """Acknowledge a chain; copies not yet sent are then never sent. False if it was.

        The minutes from the root's delivery to the acknowledgement are counted once per chain.
        """
        async with self.database.transaction() as db:
            cursor = await db.execute(
                "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ? WHERE (id = ? "
                "OR parent_id = ?) AND status IN ('pending', 'sent') AND kind != ?",
                (iso(now), root_id, root_id, BLANKED))
            if not cursor.rowcount:
                return False
            async with db.execute("SELECT kind, sent_at FROM alerts WHERE id = ?",
                                  (root_id,)) as rows:
                root = await rows.fetchone()
            if self.usage is not None and root is not None and root["sent_at"]:
                minutes = (now - parse_iso(root["sent_at"])).total_seconds() // 60
                await self.usage.count_in(db, "alert_answered", subject=root["kind"],
                                          detail=str(max(0, int(minutes))))
            return True

    async def open_chains(self) -> list[Alert]:
        """Return the roots nobody acknowledged: sent, or failed and already escalated.

        A booking's chain is open only while the booking is active, and only for its latest
        alert (a moved booking's earlier alert is replaced by the 'moved' one).
        """
        query = (
            "SELECT a.* FROM alerts a LEFT JOIN bookings b ON b.id = a.booking_id "
            "WHERE a.parent_id IS NULL AND a.kind IN ('new', 'moved', 'contact') "
            "AND (a.status = 'sent' OR (a.status = 'failed' AND a.escalations > 0)) "
            "AND (a.booking_id IS NULL OR (b.status = 'active' AND a.rowid = ("
            "  SELECT MAX(o.rowid) FROM alerts o WHERE o.booking_id = a.booking_id "
            "  AND o.parent_id IS NULL AND o.kind IN ('new', 'moved')))) "
            "ORDER BY a.created_at, a.rowid")
        async with self.database.connection.execute(query) as cursor:
            rows = await cursor.fetchall()
        return [alert_from_row(r) for r in rows]

    async def request_contact(self, user_id: int, drafts: Sequence[AlertDraft],
                              now: dt.datetime, window: dt.timedelta, cap: int) -> bool:
        """Queue one crisis-contact request (the first draft is its root), unless the person
        has one still unacknowledged or `cap` of them within `window`; tell whether queued."""
        if not drafts:
            return False
        since = iso(now - window)
        async with self.database.transaction() as db:
            async with db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(status IN ('pending', 'sent')), 0) FROM "
                    "alerts WHERE user_id = ? AND kind = 'contact' AND parent_id IS NULL AND "
                    "created_at >= ?", (user_id, since)) as cursor:
                row = await cursor.fetchone()
            made, still_open = (int(row[0]), int(row[1])) if row else (0, 0)
            if still_open or made >= cap:
                return False
            root = await insert_alert(db, drafts[0], None, user_id, created_at=now)
            for draft in drafts[1:]:
                await insert_alert(db, draft, None, user_id, parent_id=root, created_at=now)
        return True
