"""A real SQLite file with known usage in November 2026, written through the real stores."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.storage import Database
from bot.storage.bookings import AlertDraft, BookingStore, insert_alert
from bot.storage.escalations import Escalations
from bot.storage.usage import Turn, UsageStore

HELSINKI = ZoneInfo("Europe/Helsinki")


@dataclass
class SetClock:
    """A clock a test sets to the moment it needs."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def on(self, day: str, hour: int = 10) -> None:
        """Move to `hour` o'clock Helsinki time on `day` (YYYY-MM-DD)."""
        self.now = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), HELSINKI)


# (day, person, language, reply kind, topic, new conversation, event), in time order
TURNS = [
    ("2026-10-31", 3, "ar", "answer", "tax-card", True, "message"),      # the month before
    ("2026-11-02", 1, "fi", "answer", "tax-card", True, "message"),
    ("2026-11-02", 1, "fi", "answer", "tax-card", False, "message"),
    ("2026-11-02", 1, "fi", "fallback", None, False, "message"),
    ("2026-11-02", 2, "en", "candidates", "bank-account", True, "message"),
    ("2026-11-02", 2, "en", "crisis", "crisis", False, "message"),
    ("2026-11-10", 1, "fi", "answer", "kela-coverage", True, "message"),
    ("2026-11-10", 3, "ar", "fallback", None, True, "message"),
    ("2026-11-10", 3, "ar", "answer", "tax-card", False, "message"),
    ("2026-11-10", 3, "ar", "answer", "tax-card", False, "tap"),
    ("2026-11-30", 2, "en", "greeting", None, True, "message"),
    ("2026-12-01", 1, "fi", "answer", "tax-card", True, "message"),      # the month after
]


async def write_known_usage(path: Path) -> None:
    """Write TURNS, a tap, a contact request, the ESR answers, bookings and alert answers."""
    clock = SetClock()
    database = Database(path)
    await database.open()
    usage = UsageStore(database, HELSINKI, clock)
    store = BookingStore(database, usage)
    escalations = Escalations(database, usage)
    for day, person, lang, kind, topic, new, event in TURNS:
        clock.on(day)
        await usage.record_turn(Turn(lang, kind, topic, event=event, person=person,
                                     new_conversation=new,
                                     text=f"question of person {person}"))
    clock.on("2026-11-02", 12)
    await usage.count("contact_request", lang="en")
    for answer in ("working", "working", "jobseeker"):
        await usage.count("describes", detail=answer, day=dt.date(2026, 11, 1))
    for lang, mode, outcome in [("fi", "visit", "made"), ("fi", "visit", "made"),
                                ("ar", "phone", "made"), ("fi", "visit", "cancelled"),
                                ("fi", "visit", "done"), ("ar", "phone", "no_show")]:
        await usage.count(f"booking_{outcome}", lang=lang, detail=mode)
    for minutes in (10, 20, 90):  # alerts acknowledged this long after delivery
        async with database.transaction() as db:
            await insert_alert(db, AlertDraft("new", 100001, "alert"), None, 7)
        (alert,) = await store.due_alerts(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        sent = clock()
        await store.mark_sent(alert.id, sent)
        await escalations.acknowledge(alert.id, sent + dt.timedelta(minutes=minutes, seconds=30))
    await database.close()
