"""Free appointment times: the coaches' hours, less holidays, absences, blocks and bookings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from bot.booking.coaches import Coach, CoachBook


@dataclass(frozen=True, order=True)
class Slot:
    """One bookable time of one coach, in UTC."""

    starts_at: dt.datetime
    coach_id: str
    ends_at: dt.datetime


@dataclass(frozen=True)
class Busy:
    """A time when a coach is taken: a booking or a block."""

    coach_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def free_slots(book: CoachBook, coaches: Collection[Coach], now: dt.datetime,
               busy: Collection[Busy], limit: int = 6, per_day: int = 2) -> list[Slot]:
    """Return the earliest free slots of `coaches`, at most `per_day` a day for a short list."""
    earliest = now + dt.timedelta(hours=book.min_notice_hours)
    last_day = (now.astimezone(book.timezone) + dt.timedelta(days=book.book_ahead_days)).date()
    found: list[Slot] = []
    day_counts: dict[dt.date, int] = {}
    for slot in sorted(_all_slots(book, coaches, now.astimezone(book.timezone).date(), last_day)):
        if slot.starts_at < earliest or _overlaps(slot, busy, book.buffer_minutes):
            continue
        day = slot.starts_at.astimezone(book.timezone).date()
        if day_counts.get(day, 0) >= per_day:
            continue
        if any(s.starts_at == slot.starts_at for s in found):
            continue  # one button per time; the first free coach takes it
        day_counts[day] = day_counts.get(day, 0) + 1
        found.append(slot)
        if len(found) >= limit:
            break
    return found


def is_bookable(book: CoachBook, slot: Slot, now: dt.datetime,
                busy: Collection[Busy]) -> bool:
    """Tell whether `slot` is still a real, free slot of its coach."""
    coach = book.coach(slot.coach_id)
    if coach is None or slot.starts_at < now + dt.timedelta(hours=book.min_notice_hours):
        return False
    day = slot.starts_at.astimezone(book.timezone).date()
    return slot in set(_all_slots(book, [coach], day, day)) and not _overlaps(
        slot, [b for b in busy if b.starts_at != slot.starts_at or b.coach_id != slot.coach_id],
        book.buffer_minutes)


def _all_slots(book: CoachBook, coaches: Collection[Coach], first: dt.date,
               last: dt.date) -> Iterator[Slot]:
    length = dt.timedelta(minutes=book.slot_minutes)
    step = length + dt.timedelta(minutes=book.buffer_minutes)
    day = first
    while day <= last:
        if day not in book.holidays:
            for coach in coaches:
                if coach.away_on(day):
                    continue
                for start, end in coach.hours.get(day.weekday(), ()):
                    moment = dt.datetime.combine(day, start, book.timezone)
                    closing = dt.datetime.combine(day, end, book.timezone)
                    while moment + length <= closing:
                        yield Slot(moment.astimezone(dt.UTC), coach.id,
                                   (moment + length).astimezone(dt.UTC))
                        moment += step
        day += dt.timedelta(days=1)


def _overlaps(slot: Slot, busy: Collection[Busy], buffer_minutes: int) -> bool:
    gap = dt.timedelta(minutes=buffer_minutes)
    return any(b.coach_id == slot.coach_id and b.starts_at < slot.ends_at + gap
               and slot.starts_at < b.ends_at + gap for b in busy)
