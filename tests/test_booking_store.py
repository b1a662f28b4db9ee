"""What the database guarantees about bookings, whatever the code above it does."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database
from bot.storage.bookings import AlertDraft, BookingCapReached, BookingStore, SlotTaken
from bot.storage.escalations import Escalations
from bot.storage.schema import MIGRATIONS
from tests.booking_support import request, slot_at

FUTURE = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)


def no_alerts(booking: object, event: str) -> list[AlertDraft]:
    return []


async def open_store(path: Path) -> BookingStore:
    database = Database(path)
    await database.open()
    return BookingStore(database)


async def test_two_hundred_people_racing_for_one_slot_get_it_exactly_once(
        tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    first = await open_store(path)
    stores = [first] + [await open_store(path) for _ in range(199)]  # separate connections
    slot = slot_at(FUTURE)

    async def attempt(index: int) -> str:
        try:
            await stores[index].book(request(1000 + index, slot), no_alerts)
        except SlotTaken:
            return "taken"
        return "booked"

    outcomes = await asyncio.gather(*(attempt(i) for i in range(200)))

    assert outcomes.count("booked") == 1
    assert outcomes.count("taken") == 199
    async with first.database.connection.execute(
            "SELECT COUNT(*) FROM bookings WHERE status = 'active'") as cursor:
        assert (await cursor.fetchone())[0] == 1
    for store in stores:
        await store.database.close()


async def test_the_database_itself_refuses_a_second_booking_of_a_slot(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    await store.book(request(1, slot_at(FUTURE)), no_alerts)

    with pytest.raises(sqlite3.IntegrityError):
        await store.database.connection.execute(
            "INSERT INTO bookings (user_id, chat_id, first_name, lang, meeting_lang, mode, "
            "coach_id, starts_at, ends_at) SELECT 2, 2, 'B', 'so', 'so', 'visit', coach_id, "
            "starts_at, ends_at FROM bookings")
    await store.database.close()


async def test_a_cancelled_slot_can_be_booked_again(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    booking = await store.book(request(1, slot_at(FUTURE)), no_alerts)
    await store.cancel(booking.id, "cancelled", no_alerts)

    again = await store.book(request(2, slot_at(FUTURE)), no_alerts)

    assert again.user_id == 2
    await store.database.close()


async def test_a_person_over_the_booking_cap_is_refused(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    await store.set_cap(2)
    for hours in (0, 2):
        await store.book(request(7, slot_at(FUTURE + dt.timedelta(hours=hours))), no_alerts)

    with pytest.raises(BookingCapReached):
        await store.book(request(7, slot_at(FUTURE + dt.timedelta(hours=4))), no_alerts)
    other = await store.book(request(8, slot_at(FUTURE + dt.timedelta(hours=4))), no_alerts)

    assert other.user_id == 8
    await store.database.close()


async def test_a_booking_and_its_alert_and_reminders_are_written_together(
        tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")

    def failing_alerts(booking: object, event: str) -> list[AlertDraft]:
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError):
        await store.book(request(1, slot_at(FUTURE)), failing_alerts)
    booking = await store.book(request(1, slot_at(FUTURE)),
                               lambda b, e: [AlertDraft(e, 100001, "hello")])

    alerts = await store.due_alerts(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert [(a.booking_id, a.kind) for a in alerts] == [(booking.id, "new")]
    async with store.database.connection.execute(
            "SELECT COUNT(*) FROM bookings") as cursor:
        assert (await cursor.fetchone())[0] == 1  # the failed attempt left nothing behind
    async with store.database.connection.execute(
            "SELECT kind FROM reminders ORDER BY kind") as cursor:
        assert [r[0] for r in await cursor.fetchall()] == ["day_before", "hour_before"]
    await store.database.close()


async def test_forget_leaves_no_row_about_the_person(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    person = 4242
    await store.database.set_language(person, "fa")
    await store.remember_question(person, "My secret question", "answer", "tax-card")
    await store.book(request(person, slot_at(FUTURE), note="private note"),
                     lambda b, e: [AlertDraft(e, 100001, "about Person4242")])
    await Escalations(store.database).request_contact(
        person, [AlertDraft("contact", 100001, "Person4242 asks")], FUTURE,
        dt.timedelta(days=1), cap=3)
    await store.book(request(99, slot_at(FUTURE + dt.timedelta(hours=2))), no_alerts)

    cancelled = await store.forget(person, lambda b: [AlertDraft("cancelled", 100001,
                                                                  f"#{b.id} cancelled")])

    assert len(cancelled) == 1
    connection = store.database.connection
    async with connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as c:
        tables = [r[0] for r in await c.fetchall()]
    for table in tables:
        async with connection.execute(f"SELECT * FROM {table}") as cursor:
            for row in await cursor.fetchall():
                values = [str(v) for v in tuple(row)]
                assert str(person) not in values, (table, values)
                assert not any("Person4242" in v or "secret" in v or "private note" in v
                               for v in values), (table, values)
    async with connection.execute("SELECT COUNT(*) FROM bookings") as cursor:
        assert (await cursor.fetchone())[0] == 1  # the other person's booking stays
    await store.database.close()


async def test_forget_keeps_delivered_alerts_only_as_blanked_edits(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    person, now = 4343, dt.datetime.now(dt.UTC)
    booking = await store.book(request(person, slot_at(FUTURE), note="private note"),
                               lambda b, e: [AlertDraft(e, 100001, "Person4343: private note")])
    delivered = (await store.due_alerts(now + dt.timedelta(seconds=1)))[0]
    await store.start_sending(delivered.id, now + dt.timedelta(minutes=1))
    await store.mark_sent(delivered.id, now, message_id=42)

    await store.forget(person, lambda b: [], lambda a, b: f"blanked #{b.id if b else '-'}")

    due = await store.due_alerts(now + dt.timedelta(seconds=1))
    assert [(a.id, a.kind, a.message_id, a.text, a.user_id, a.buttons) for a in due] == [
        (delivered.id, "blanked", 42, f"blanked #{booking.id}", None, False)]
    async with store.database.connection.execute("PRAGMA secure_delete") as cursor:
        assert (await cursor.fetchone())[0] == 1  # deleted rows leave nothing in free pages
    await store.database.close()


async def test_a_copy_cut_off_by_a_crash_counts_as_unconfirmed(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    now = dt.datetime.now(dt.UTC)
    await store.book(request(5, slot_at(FUTURE)), lambda b, e: [AlertDraft(e, 100001, "new")])
    alert = (await store.due_alerts(now + dt.timedelta(seconds=1)))[0]

    await store.start_sending(alert.id, now)  # ... and the process dies before the answer
    again = await store.start_sending(alert.id, now + dt.timedelta(minutes=1))
    await store.postpone(alert.id, now, maybe_delivered=False)  # a 502: surely not delivered
    third = await store.start_sending(alert.id, now + dt.timedelta(minutes=1))

    assert (alert.unconfirmed, again.unconfirmed if again else None) == (0, 1)
    assert third is not None
    assert third.unconfirmed == 1
    assert await store.mark_sent(alert.id, now, message_id=7)
    assert not await store.mark_sent(alert.id, now, message_id=8)  # a later copy is extra
    await store.database.close()


async def test_one_chats_backlog_never_hides_another_chats_alerts(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    now = dt.datetime.now(dt.UTC)
    await store.add_alerts(None, [AlertDraft("contact", 100001, f"A{n}") for n in range(30)])
    await store.add_alerts(None, [AlertDraft("contact", 100002, "B0")])

    due = await store.first_due_per_chat(now + dt.timedelta(seconds=1), limit=8)

    assert [a.text for a in due] == ["A0", "B0"]
    await store.database.close()


async def test_migrations_can_run_again_without_losing_data(tmp_path: Path) -> None:
    path = tmp_path / "db.db"
    store = await open_store(path)
    await store.book(request(1, slot_at(FUTURE)), no_alerts)
    await store.database.close()

    reopened = await open_store(path)

    assert await reopened.database.schema_version() == len(MIGRATIONS)
    assert len(await reopened.upcoming_for_user(1, dt.datetime.now(dt.UTC))) == 1
    await reopened.database.close()


async def test_old_notes_and_question_histories_are_purged(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    booking = await store.book(request(5, slot_at(FUTURE), note="note"), no_alerts)
    await store.remember_question(5, "question", "answer", None)

    await store.purge(FUTURE + dt.timedelta(days=10), days=30)
    assert (await store.get(booking.id)).note == "note"  # type: ignore[union-attr]
    await store.purge(FUTURE + dt.timedelta(days=31), days=30)

    assert (await store.get(booking.id)).note is None  # type: ignore[union-attr]
    await store.database.connection.execute("UPDATE history SET created_at = "
                                            "'2020-01-01T00:00:00Z'")
    await store.purge(FUTURE + dt.timedelta(days=31), days=30)
    assert await store.recent_questions(5) == []
    await store.database.close()


async def test_two_contact_requests_at_once_queue_one(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.db")
    escalations = Escalations(store.database)
    drafts = [AlertDraft("contact", -100, "asks"), AlertDraft("contact", 100001, "asks")]

    queued = await asyncio.gather(*(escalations.request_contact(
        7, drafts, FUTURE, dt.timedelta(days=1), cap=3) for _ in range(10)))

    assert queued.count(True) == 1
    async with store.database.connection.execute(
            "SELECT COUNT(*), COUNT(parent_id) FROM alerts") as cursor:
        assert tuple(await cursor.fetchone()) == (2, 1)  # one root, one coach's copy
    await store.database.close()
