"""Booking through the real `ohjaamo run` process: failing deliveries and a killed process."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.storage import Database
from bot.storage.bookings import AlertDraft, BookingStore
from tests.booking_support import COACH_IDS, EXAMPLE_COACHES, request, slot_at
from tests.e2e_support import BotProcess, Person, buttons, choose
from tests.loopback_api import Call, LoopbackBotApi

pytestmark = pytest.mark.asyncio(loop_scope="function")
COACH = COACH_IDS["amina"]
ALERT_ID = re.compile(r"#([0-9a-f]{12})</i>")


def delivered(api: LoopbackBotApi) -> list[Call]:
    return [c for c in api.calls if c.method == "sendMessage" and not c.failed
            and c.params.get("chat_id") == COACH]


async def queue_alerts(path: Path, count: int) -> None:
    """Write bookings with their alerts into the bot's database from another connection."""
    database = Database(path)
    await database.open()
    store = BookingStore(database)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    for index in range(count):
        await store.book(request(700 + index, slot_at(start + dt.timedelta(hours=index))),
                         lambda b, e: [AlertDraft(e, COACH, f"Booking {b.id}")])
    await database.close()


async def test_alerts_survive_5xx_timeouts_and_429_and_keep_their_id(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    async with LoopbackBotApi() as api:
        api.add_chat(COACH)
        bot = BotProcess(api, database, EXAMPLE_COACHES)
        await bot.start()
        api.fail("sendMessage", 502, times=2)
        api.fail("sendMessage", 429, retry_after=3)
        api.delay("sendMessage", 7.0)  # longer than PTB's read timeout: a timeout, then a retry
        await queue_alerts(database, 4)

        calls = await api.wait_for(lambda c: c.method == "sendMessage" and not c.failed
                                   and c.params.get("chat_id") == COACH, count=4, timeout=90)
        await asyncio.sleep(3)  # let any duplicate of a timed-out send arrive
        await bot.stop()

    ids = [ALERT_ID.search(c.params["text"]).group(1) for c in delivered(api)]  # type: ignore[union-attr]
    assert len(set(ids)) == 4  # every alert arrived
    assert all(f"Booking {n}" in "".join(c.params["text"] for c in calls) for n in range(1, 5))
    refused = [c for c in api.calls if c.method == "sendMessage" and c.status == 429]
    assert refused
    after = [c for c in delivered(api) if c.time > refused[0].time]
    assert min(c.time for c in after) - refused[0].time >= 3.0  # nothing before retry_after
    for alert_id in set(ids):  # duplicates (after a timeout) carry the same alert id
        texts = {c.params["text"] for c in delivered(api) if alert_id in c.params["text"]}
        assert len(texts) == 1


async def test_a_killed_bot_loses_no_booking_alert_or_reminder(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    async with LoopbackBotApi() as api:
        api.add_chat(COACH)
        for coach in COACH_IDS.values():
            api.add_chat(coach)
        bot = BotProcess(api, database, EXAMPLE_COACHES)
        await bot.start()
        people = [Person(api) for _ in range(6)]

        async def book(person: Person, index: int) -> None:
            await choose(person, "so")
            # Outside working hours a note on when people answer comes first.
            api.user_sends_command(person.id, "coach")
            languages = await api.wait_for(
                lambda c: c.method == "sendMessage" and c.params.get("chat_id") == person.id
                and any(d.startswith("bk:l:") for d in buttons(c)), timeout=30)
            choice = next(d for d in buttons(languages[-1]) if d.startswith("bk:l:"))
            modes = await person.taps(languages[-1], choice)
            topics = await person.taps(modes[-1], buttons(modes[-1])[0])
            note = await person.taps(topics[-1], buttons(topics[-1])[-1])
            describe = await person.taps(note[-1], "bk:n:")
            times = await person.taps(describe[-1], "bk:d:rather_not")
            slots = [d for d in buttons(times[-1]) if d.startswith("bk:s:")]
            slot = slots[index % len(slots)]
            confirm = await person.taps(times[-1], slot)
            await person.taps(confirm[-1], "bk:c:", replies=1)

        tasks = [asyncio.create_task(book(p, i)) for i, p in enumerate(people)]
        await api.wait_for(lambda c: c.method == "sendDocument", count=2, timeout=90)
        await bot.stop(kill=True)  # SIGKILL while other bookings are half-way
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            bookings = db.execute("SELECT id, starts_at FROM bookings").fetchall()
            with_alert = {r[0] for r in db.execute("SELECT booking_id FROM alerts")}
            assert bookings
            assert {b[0] for b in bookings} <= with_alert  # each booking kept its alert
            # Make one reminder due now, as if the day-before time passed while the bot was down.
            db.execute("UPDATE reminders SET due_at = '2000-01-01T00:00:00Z' WHERE kind = "
                       "'day_before' AND booking_id = ?", (bookings[0][0],))

        await bot.start()
        reminded = await api.wait_for(
            lambda c: c.method == "sendMessage" and not c.failed and "⏰" in str(
                c.params.get("text")), timeout=60)
        alerts = await api.wait_for(
            lambda c: c.method == "sendMessage" and not c.failed and str(
                c.params.get("chat_id")) in {str(v) for v in COACH_IDS.values()},
            count=len(bookings), timeout=60)
        await bot.stop()

    assert reminded
    ids = {ALERT_ID.search(c.params["text"]).group(1) for c in alerts}  # type: ignore[union-attr]
    assert len(ids) >= len(bookings)


@pytest.mark.parametrize("lang", ["fi", "en", "ar", "so", "fa", "ru"])
async def test_the_whole_booking_flow_through_the_process(tmp_path: Path, lang: str,
                                                          assistant: Assistant) -> None:
    async with LoopbackBotApi() as api:
        for coach in COACH_IDS.values():
            api.add_chat(coach)
        bot = BotProcess(api, tmp_path / "bot.db", EXAMPLE_COACHES)
        await bot.start()
        person = Person(api)
        await choose(person, lang)
        fallback = await person.says("tell me a good pizza recipe")
        assert "coach:" in buttons(fallback[-1])
        person_before = len(person._received())
        api.user_presses_button(person.id, fallback[-1], "coach:")
        languages = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == person.id
            and any(d.startswith("bk:l:") for d in buttons(c)), timeout=30)
        assert len(person._received()) > person_before
        choice = next(d for d in buttons(languages[-1]) if d.startswith("bk:l:"))
        modes = await person.taps(languages[-1], choice)
        topics = await person.taps(modes[-1], buttons(modes[-1])[0])
        note = await person.taps(topics[-1], buttons(topics[-1])[-1])
        describe = await person.says("Kela letter")
        del note
        times = await person.taps(describe[-1], "bk:d:studying")
        slot = next(d for d in buttons(times[-1]) if d.startswith("bk:s:"))
        confirm = await person.taps(times[-1], slot)
        card = await person.taps(confirm[-1], "bk:c:")
        await api.wait_for("sendDocument", timeout=30)
        # Move it: the booking keeps its number, and the coach hears the old and new time.
        listing = await person.commands("mybooking", replies=2)
        move = next(d for d in buttons(listing[-1]) if d.startswith("mb:r:"))
        times = await person.taps(listing[-1], move)
        later = [d for d in buttons(times[-1]) if d.startswith("bk:s:")][-1]
        confirm = await person.taps(times[-1], later)
        moved_card = await person.taps(confirm[-1], "bk:c:")
        staff = assistant.kb.packs["fi"]
        alert = (await api.wait_for(
            lambda c: c.method == "sendMessage" and not c.failed and c.params.get("chat_id")
            in set(COACH_IDS.values()) and staff.text("alert_moved") in c.params["text"],
            timeout=30))[0]
        coach = int(alert.params["chat_id"])
        acknowledge = next(d for d in buttons(alert) if d.startswith("al:a:"))
        done = next(d for d in buttons(alert) if d.startswith("al:d:"))
        api.user_presses_button(coach, alert, acknowledge, language_code="fi")
        api.user_presses_button(coach, alert, done, language_code="fi")
        answered = await api.wait_for(lambda c: c.method == "answerCallbackQuery"
                                      and bool(c.params.get("text")), count=2, timeout=30)
        await bot.stop()

    assert "Kela letter" in alert.params["text"]
    assert "pizza" in alert.params["text"]  # the person's recent question
    assert staff.text("alert_moved_from").split("{")[0] in alert.params["text"]
    for shown in (card, moved_card):
        card_text = str(shown[0].params["text"])
        for pack in (assistant.kb.packs[lang], assistant.kb.packs["fi"]):  # own + Finnish
            assert f"{pack.text('card_number')}: 1" in card_text
        assert "Lapintie 11–13, 94100 Kemi" in card_text
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT id, status FROM bookings").fetchall() == [(1, "done")]
        assert ("moved", "acknowledged") in db.execute("SELECT kind, status FROM alerts")
    assert len(answered) == 2
