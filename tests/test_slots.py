"""Free times follow the coaches' hours, holidays, absences, notice, buffers and bookings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.booking.coaches import load_coaches
from bot.booking.slots import Busy, free_slots
from bot.core.problems import ContentError
from tests.booking_support import EXAMPLE_COACHES, MONDAY_MORNING

BOOK = load_coaches(EXAMPLE_COACHES)
HELSINKI = BOOK.timezone


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(HELSINKI)


def test_slots_lie_inside_working_hours_after_the_notice_period() -> None:
    somali = BOOK.speakers_of("so")
    slots = free_slots(BOOK, somali, MONDAY_MORNING, [], limit=40, per_day=40)

    assert slots
    for slot in slots:
        start, end = local(slot.starts_at), local(slot.ends_at)
        ranges = BOOK.coach(slot.coach_id).hours[start.weekday()]  # type: ignore[union-attr]
        assert any(a <= start.time() and end.time() <= b for a, b in ranges)
        assert slot.starts_at >= MONDAY_MORNING + dt.timedelta(hours=BOOK.min_notice_hours)
        assert (end - start) == dt.timedelta(minutes=BOOK.slot_minutes)


def test_only_coaches_who_speak_the_language_are_offered() -> None:
    slots = free_slots(BOOK, BOOK.speakers_of("ru"), MONDAY_MORNING, [], limit=20)

    assert {s.coach_id for s in slots} == {"olga"}


def test_a_booked_or_blocked_time_and_its_buffer_are_not_offered() -> None:
    coaches = BOOK.speakers_of("fa")
    first = free_slots(BOOK, coaches, MONDAY_MORNING, [], limit=1)[0]
    busy = [Busy(first.coach_id, first.starts_at, first.ends_at)]

    later = free_slots(BOOK, coaches, MONDAY_MORNING, busy, limit=3, per_day=3)

    gap = dt.timedelta(minutes=BOOK.buffer_minutes)
    assert first.starts_at not in [s.starts_at for s in later]
    assert all(s.starts_at >= first.ends_at + gap or s.coach_id != first.coach_id
               for s in later)


def test_holidays_and_absences_have_no_slots() -> None:
    christmas_eve = dt.datetime(2026, 12, 21, 6, 0, tzinfo=dt.UTC)
    slots = free_slots(BOOK, BOOK.coaches, christmas_eve, [], limit=200, per_day=200)
    days = {local(s.starts_at).date() for s in slots}

    assert not days & set(BOOK.holidays)
    amina_days = {local(s.starts_at).date() for s in slots if s.coach_id == "amina"}
    assert not any(dt.date(2026, 12, 28) <= d <= dt.date(2027, 1, 2) for d in amina_days)


def test_nothing_is_offered_beyond_the_booking_horizon() -> None:
    slots = free_slots(BOOK, BOOK.coaches, MONDAY_MORNING, [], limit=1000, per_day=1000)

    last = local(MONDAY_MORNING).date() + dt.timedelta(days=BOOK.book_ahead_days)
    assert max(local(s.starts_at).date() for s in slots) <= last


def test_times_stay_in_helsinki_local_time_across_daylight_saving() -> None:
    before_change = dt.datetime(2027, 3, 26, 6, 0, tzinfo=dt.UTC)  # DST starts 28 March
    slots = free_slots(BOOK, BOOK.speakers_of("fa"), before_change, [], limit=50, per_day=50)

    assert {local(s.starts_at).time() for s in slots} <= {
        dt.time(h, m) for h in range(10, 16) for m in (0,)}


@pytest.mark.parametrize(("old", "new", "message"), [
    ("telegram_id: 100002", "telegram_id: reza", "coach 'reza': 'telegram_id' must be a number"),
    ('mon: ["10:00-16:00"]', 'mon: ["16:00-10:00"]', "coach 'reza': bad hours for mon"),
    ("slot_minutes: 45", "slot_minutes: soon", "'slot_minutes' must be a whole number"),
    ("timezone: Europe/Helsinki", "timezone: Mars/Base", "unknown time zone 'Mars/Base'"),
])
def test_a_broken_coaches_file_names_the_line(tmp_path: Path, old: str, new: str,
                                              message: str) -> None:
    text = EXAMPLE_COACHES.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "coaches.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(i for i, row in enumerate(broken.read_text().splitlines(), 1) if new in row)

    with pytest.raises(ContentError) as caught:
        load_coaches(broken)

    assert any(str(p).startswith(f"{broken}:{line}:") and message in str(p)
               for p in caught.value.problems), [str(p) for p in caught.value.problems]


def test_the_example_coaches_file_is_valid() -> None:
    assert {c.id for c in BOOK.coaches} == {"amina", "reza", "olga"}
    assert dataclasses.asdict(BOOK.coaches[0])["languages"] == ("so", "ar", "en", "fi")
