"""Booking a coach through the real PTB stack, in every language, with a controllable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram.ext import CallbackContext

from bot.core.assistant import Assistant
from bot.telegram_channel import coach_desk, delivery
from tests.booking_support import (
    COACH_IDS,
    COORDINATOR_CHAT,
    EXAMPLE_COACHES,
    FakeClock,
)
from tests.conftest import LANGUAGES
from tests.telegram_support import Bot, assert_telegram_accepts, command, message, start_bot, tap
from tests.telegram_support import text as text_update

COACH_OF = {"so": "amina", "ar": "amina", "fa": "reza", "ru": "olga"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def desk(tmp_path: Path, assistant: Assistant, clock: FakeClock) -> AsyncIterator[Bot]:
    """A bot with the example coaches file and a clock the test moves."""
    async for running in start_bot(tmp_path, assistant, EXAMPLE_COACHES, clock):
        yield running


async def run_job(bot: Bot, job: Any) -> list[dict[str, Any]]:
    """Run a background job once; return the messages it sent."""
    before = len(bot.request.sent())
    await job(CallbackContext(bot.app))
    return bot.request.sent()[before:]


def data_of(bot: Bot, sent: dict[str, Any]) -> list[str]:
    return [d for _, d in bot.buttons(sent)]


async def book(bot: Bot, user: int, lang: str, note: str = "Kela letter") -> dict[str, Any]:
    """Walk the whole booking flow by taps; return the card message."""
    await bot.send(tap(user, f"lang:{lang}"))
    fallback = await bot.send(text_update(user, "tell me about football", lang))
    assert "coach:" in data_of(bot, fallback[-1])
    languages = await bot.send(tap(user, "coach:", lang))
    choice = next(d for d in data_of(bot, languages[-1]) if d.startswith("bk:l:"))
    modes = await bot.send(tap(user, choice, lang))
    topics = await bot.send(tap(user, data_of(bot, modes[-1])[0], lang))
    note_prompt = await bot.send(tap(user, data_of(bot, topics[-1])[-1], lang))
    assert "bk:n:" in data_of(bot, note_prompt[-1])
    question = await bot.send(text_update(user, note, lang))
    # The optional "which describes you best" (counted for the funder, not stored with it).
    assert [d for d in data_of(bot, question[-1])] == [
        f"bk:d:{d}" for d in ("working", "studying", "jobseeker", "outside", "rather_not")]
    times = await bot.send(tap(user, "bk:d:working", lang))
    slot = next(d for d in data_of(bot, times[-1]) if d.startswith("bk:s:"))
    await bot.send(tap(user, slot, lang))
    card = await bot.send(tap(user, "bk:c:", lang))
    assert_telegram_accepts([m for m in card if "text" in m])
    return card[0]


@LANGUAGES
async def test_a_person_books_a_coach_and_the_coach_is_alerted(desk: Bot, assistant: Assistant,
                                                               lang: str) -> None:
    card = await book(desk, 301, lang)

    own, finnish = assistant.kb.packs[lang], assistant.kb.packs["fi"]
    assert own.text("card_title") in card["text"]
    assert finnish.text("card_title") in card["text"]  # a Finnish copy for the reception
    assert "Lapintie 11–13, 94100 Kemi" in card["text"]
    documents = desk.request.sent("sendDocument")
    assert documents
    alerts = await run_job(desk, delivery.deliver_alerts)
    coach = COACH_OF.get(lang)
    recipients = {m["chat_id"] for m in alerts}
    assert recipients == {COACH_IDS[coach]} if coach else recipients <= set(COACH_IDS.values())
    assert "Person" not in alerts[0]["text"]  # the client's own first name is used
    assert "Amina" in alerts[0]["text"]  # the client's first name from Telegram
    assert "Kela letter" in alerts[0]["text"]  # the note
    assert "tell me about football" in alerts[0]["text"]  # recent questions
    assert_telegram_accepts(alerts)
    assert desk.errors == []


@LANGUAGES
async def test_a_booking_counts_for_the_funders_figures_without_the_person(
        desk: Bot, lang: str) -> None:
    await book(desk, 304, lang)

    usage = desk.app.bot_data["services"].usage
    today = usage.today()
    counted = {(c.day, c.event, c.detail): c.count
               for c in await usage.counts(today.replace(day=1), today)}
    assert counted[(today.replace(day=1), "describes", "working")] == 1  # per month only
    assert [(event, n) for (_, event, _), n in counted.items() if event.startswith("booking")] \
        == [("booking_made", 1)]


@LANGUAGES
async def test_the_coach_acknowledges_and_marks_the_appointment_done(
        desk: Bot, lang: str) -> None:
    await book(desk, 302, lang)
    alert = (await run_job(desk, delivery.deliver_alerts))[0]
    coach_id = alert["chat_id"]
    buttons = data_of(desk, alert)
    acknowledge = next(d for d in buttons if d.startswith("al:a:"))
    done = next(d for d in buttons if d.startswith("al:d:"))

    await desk.send(tap(coach_id, acknowledge, "fi"))
    await desk.send(tap(coach_id, done, "fi"))

    store = desk.app.bot_data["services"].store
    booking = await store.get(int(done.rsplit(":", 1)[1]))
    assert booking.status == "done"
    async with store.database.connection.execute("SELECT status FROM alerts") as cursor:
        assert [r[0] for r in await cursor.fetchall()] == ["acknowledged"]
    assert desk.errors == []


@LANGUAGES
async def test_a_person_moves_and_cancels_an_appointment(desk: Bot, lang: str) -> None:
    await book(desk, 303, lang)
    listing = await desk.send(command(303, "mybooking", lang))
    move = next(d for m in listing for d in data_of(desk, m) if d.startswith("mb:r:"))
    times = await desk.send(tap(303, move, lang))
    later = [d for d in data_of(desk, times[-1]) if d.startswith("bk:s:")][-1]
    await desk.send(tap(303, later, lang))
    await desk.send(tap(303, "bk:c:", lang))

    store = desk.app.bot_data["services"].store
    upcoming = await store.upcoming_for_user(303, desk.app.bot_data["services"]
                                             .appointments.clock())
    assert len(upcoming) == 1
    assert upcoming[0].id == int(move.rsplit(":", 1)[1])  # a moved booking keeps its number
    cancelled = await desk.send(tap(303, f"mb:c:{upcoming[0].id}", lang))
    assert cancelled
    assert await store.upcoming_for_user(303, desk.app.bot_data["services"]
                                         .appointments.clock()) == []
    kinds = [r[0] for r in await (await store.database.connection.execute(
        "SELECT kind FROM alerts ORDER BY created_at, rowid")).fetchall()]
    # A move to another coach also tells the first coach ('cancelled' for them).
    assert kinds[:2] == ["new", "moved"]
    assert set(kinds[2:]) == {"cancelled"}


@LANGUAGES
async def test_reminders_come_the_day_before_and_an_hour_before(
        desk: Bot, clock: FakeClock, assistant: Assistant, lang: str) -> None:
    await book(desk, 304, lang)
    booking = (await desk.app.bot_data["services"].store.upcoming_for_user(304, clock()))[0]

    assert await run_job(desk, delivery.send_reminders) == []
    clock.now = booking.starts_at - dt.timedelta(hours=23)
    day_before = await run_job(desk, delivery.send_reminders)
    clock.now = booking.starts_at - dt.timedelta(minutes=50)
    hour_before = await run_job(desk, delivery.send_reminders)
    again = await run_job(desk, delivery.send_reminders)

    pack = assistant.kb.packs[lang]
    assert [m["chat_id"] for m in day_before + hour_before] == [304, 304]
    assert pack.text("reminder_day_before").split("{")[0][:15] in day_before[0]["text"]
    assert pack.text("reminder_hour_before").split("{")[0][:15] in hour_before[0]["text"]
    assert again == []


async def test_an_unacknowledged_alert_goes_to_the_coordinator(desk: Bot,
                                                               clock: FakeClock) -> None:
    await book(desk, 305, "so")
    clock.now = clock.now.replace(hour=8)  # 10:00 in Helsinki: Amina is at work
    await run_job(desk, delivery.deliver_alerts)
    clock.advance(minutes=59)
    await run_job(desk, coach_desk.escalate_unacknowledged)
    early = await run_job(desk, delivery.deliver_alerts)
    clock.advance(minutes=2)

    await run_job(desk, coach_desk.escalate_unacknowledged)
    escalated = await run_job(desk, delivery.deliver_alerts)

    assert early == []
    assert [m["chat_id"] for m in escalated] == [COORDINATOR_CHAT]


async def test_an_acknowledged_alert_does_not_go_to_the_coordinator(
        desk: Bot, clock: FakeClock) -> None:
    await book(desk, 306, "so")
    alert = (await run_job(desk, delivery.deliver_alerts))[0]
    acknowledge = next(d for d in data_of(desk, alert) if d.startswith("al:a:"))
    await desk.send(tap(alert["chat_id"], acknowledge, "fi"))
    clock.now = clock.now.replace(hour=8) + dt.timedelta(minutes=90)

    await run_job(desk, coach_desk.escalate_unacknowledged)

    assert await run_job(desk, delivery.deliver_alerts) == []


async def test_someone_who_is_not_a_coach_is_refused_everywhere(desk: Bot) -> None:
    await book(desk, 307, "ru")
    alert = (await run_job(desk, delivery.deliver_alerts))[0]
    done = next(d for d in data_of(desk, alert) if d.startswith("al:d:"))
    stranger = 999

    await desk.send(tap(stranger, done, "en"))
    for name in ("today", "week", "block", "cancel"):
        refused = await desk.send(command(stranger, name, "en"))
        assert refused[0]["text"] == "Sorry, this is only for coaches."

    answers = desk.request.sent("answerCallbackQuery")
    assert answers[-1]["text"] == "Sorry, this is only for coaches."
    booking = await desk.app.bot_data["services"].store.get(int(done.rsplit(":", 1)[1]))
    assert booking.status == "active"


async def test_a_coach_sees_the_week_blocks_time_and_cancels_with_a_message(
        desk: Bot, clock: FakeClock) -> None:
    await book(desk, 308, "ru")
    booking = (await desk.app.bot_data["services"].store.upcoming_for_user(308, clock()))[0]
    olga = COACH_IDS["olga"]

    week = await desk.send(command(olga, "week", "fi"))
    blocked = await desk.send(command(olga, "block", "fi", args="2027-03-09 10:00-12:00"))
    cancelled = await desk.send(command(olga, "cancel", "fi",
                                        args=f"{booking.id} Olen sairas <b>anteeksi</b>"))

    assert f"#{booking.id}" in week[0]["text"]
    assert "Amina" in week[0]["text"]
    assert blocked
    told = next(m for m in cancelled if m["chat_id"] == 308)
    assert "&lt;b&gt;anteeksi&lt;/b&gt;" in told["text"]  # the coach's text is escaped
    slots = await desk.app.bot_data["services"].appointments.free_slots("ru", "visit",
                                                                       limit=40)
    local = [s.starts_at.astimezone(dt.UTC) for s in slots]
    assert not any(dt.datetime(2027, 3, 9, 8, 0, tzinfo=dt.UTC) <= t
                   < dt.datetime(2027, 3, 9, 10, 0, tzinfo=dt.UTC) for t in local)


@LANGUAGES
async def test_after_a_crisis_a_coach_contacts_the_person_only_with_consent(
        desk: Bot, clock: FakeClock, lang: str) -> None:
    clock.now = clock.now.replace(hour=9)  # 11:00 in Helsinki, coaches at work
    await desk.send(tap(309, f"lang:{lang}"))
    crisis_text = desk.app.bot_data["services"].assistant.kb.packs[lang].crisis.phrases[0]
    crisis = await desk.send(text_update(309, crisis_text, lang))
    assert "contact:" in data_of(desk, crisis[0])
    consent = await desk.send(tap(309, "contact:", lang))
    assert await run_job(desk, delivery.deliver_alerts) == []  # nothing without a yes

    await desk.send(tap(309, data_of(desk, consent[-1])[0], lang))
    alerts = await run_job(desk, delivery.deliver_alerts)

    assert COORDINATOR_CHAT in {m["chat_id"] for m in alerts}
    assert any(m["chat_id"] in COACH_IDS.values() for m in alerts)
    assert all("tg://user?id=309" in m["text"] for m in alerts)


async def test_forget_deletes_the_person_and_tells_the_coach(desk: Bot) -> None:
    await book(desk, 310, "fa")
    await run_job(desk, delivery.deliver_alerts)
    confirm = await desk.send(command(310, "forget", "fa"))
    await desk.send(tap(310, data_of(desk, confirm[-1])[0], "fa"))

    # One alert per chat at a time: the coach's earlier alert is blanked, then the notice.
    notices = await run_job(desk, delivery.deliver_alerts)
    notices += await run_job(desk, delivery.deliver_alerts)

    assert [m["chat_id"] for m in notices] == [COACH_IDS["reza"]]
    assert "Amina" not in notices[0]["text"]
    blanked = desk.request.sent("editMessageText")
    assert [m["chat_id"] for m in blanked] == [COACH_IDS["reza"]]
    assert "Amina" not in blanked[0]["text"]
    assert "tg://user" not in blanked[0]["text"]
    connection = desk.app.bot_data["services"].database.connection
    for table in ("users", "bookings", "history", "reminders"):
        async with connection.execute(f"SELECT COUNT(*) FROM {table}") as cursor:
            assert (await cursor.fetchone())[0] == 0, table


async def test_a_voice_message_is_forwarded_to_the_coach_with_the_booking(desk: Bot) -> None:
    voice = message(311, "so", voice={"file_id": "v", "file_unique_id": "v", "duration": 3})
    await desk.send(voice)
    await book(desk, 311, "so")

    await run_job(desk, delivery.deliver_alerts)

    forwarded = desk.request.sent("forwardMessage")
    assert forwarded == [{"chat_id": COACH_IDS["amina"], "from_chat_id": 311,
                          "message_id": voice["message"]["message_id"]}]
