"""Shared helpers for booking tests: a coaches file, a controllable clock, requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.booking.slots import Slot
from bot.storage.bookings import BookingRequest

COACH_IDS = {"amina": 100001, "reza": 100002, "olga": 100003}
COORDINATOR = 200001
COORDINATOR_CHAT = -1001234567890
EXAMPLE_COACHES = Path(__file__).resolve().parent.parent / "examples" / "coaches.yaml"

# A Monday morning in Helsinki, far from holidays: 2027-03-01 08:00 local = 06:00 UTC.
MONDAY_MORNING = dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: dt.datetime = field(default=MONDAY_MORNING)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def request(user_id: int, slot: Slot, lang: str = "so", note: str | None = None
            ) -> BookingRequest:
    """Return a booking request as the flow builds it."""
    return BookingRequest(user_id=user_id, chat_id=user_id, first_name=f"Person{user_id}",
                          lang=lang, meeting_lang=lang, interpreter=False, voice=0,
                          mode="visit", topic="tax-card", note=note, slot=slot)


def slot_at(starts: dt.datetime, coach: str = "amina", minutes: int = 45) -> Slot:
    return Slot(starts, coach, starts + dt.timedelta(minutes=minutes))


async def queue_alerts(path: Path, chats: list[int], count: int) -> None:
    """Write `count` bookings with one alert each ("Booking N"), to `chats` in turn, into the
    bot's database from another connection (as the running bot's own handlers would)."""
    from bot.storage import Database
    from bot.storage.bookings import AlertDraft, BookingStore

    database = Database(path)
    await database.open()
    store = BookingStore(database)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    for index in range(count):
        chat = chats[index % len(chats)]
        await store.book(request(700 + index, slot_at(start + dt.timedelta(hours=index))),
                         lambda b, e, chat=chat: [AlertDraft(e, chat, f"Booking {b.id}")])
    await database.close()
