"""Live duty chat through the real PTB stack and the loopback Bot API, in every language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.booking.formatting import format_when
from bot.core.assistant import Assistant
from tests.booking_support import (
    COACH_IDS,
    COORDINATOR_CHAT,
    EXAMPLE_COACHES,
    MONDAY_MORNING,
    FakeClock,
)
from tests.conftest import LANGUAGES
from tests.duty_support import (
    DUTY_COACH,
    MONDAY_DUTY,
    STAFF_GROUP,
    STRANGER,
    coach_writes,
    copies_to,
    in_topic,
    live,
    start_app,
    stop_app,
    topics,
)
from tests.live_support import LiveBot, data_of
from tests.loopback_api import Call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_DUTY)


@pytest_asyncio.fixture
async def desk(tmp_path: Path, assistant: Assistant, clock: FakeClock
               ) -> AsyncIterator[LiveBot]:
    async for running in live(tmp_path, assistant, EXAMPLE_COACHES, clock):
        yield running


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


async def open_chat(bot: LiveBot, user: int, lang: str) -> tuple[list[Call], int]:
    """A person asks something the bot can't answer, taps the chat button; return the replies
    and the conversation's topic."""
    await bot.commands(user, "start", lang, lang=lang)
    unknown = await bot.says(user, "tell me about football", lang)
    offer = next(c for c in unknown if "chat:" in data_of(c))
    replies = await bot.taps(user, offer, "chat:", lang)
    thread = int(topics(bot.api)[-1].result["message_thread_id"])
    return replies, thread


def card_of(bot: LiveBot, thread: int) -> Call:
    return next(c for c in in_topic(bot.api, thread) if any(
        d.startswith("dc:t:") for d in data_of(c)))


@LANGUAGES
async def test_a_person_chats_with_the_duty_coach_and_rates_it(
        desk: LiveBot, assistant: Assistant, lang: str) -> None:
    pack = assistant.kb.packs[lang]
    user, coach = 401, COACH_IDS[DUTY_COACH[lang]]
    replies, thread = await open_chat(desk, user, lang)

    assert "dc:e:" in data_of(replies[-1])  # the person can end the chat at any time
    card = card_of(desk, thread)
    assert "tell me about football" in text_of(card)  # the last questions, for context
    assert lang in text_of(card)
    if lang == "ru":  # nobody speaks Russian on duty on Monday: plain Finnish + interpreter
        assert assistant.kb.packs["fi"].text("flag_interpreter") in text_of(card)
    await desk.taps(coach, card, data_of(card)[0], "fi")
    joined = desk.received(user)[-1]
    assert text_of(joined) == pack.text("duty_joined", coach=DUTY_COACH[lang].title())

    # The person writes: copied to the topic, and the bot itself says nothing.
    assert await desk.says(user, "I got a letter from Kela", lang) == []
    desk.api.user_sends_photo(user, caption="the letter")
    desk.api.user_sends_voice(user)
    desk.api.user_sends_document(user, "letter.pdf")
    await desk.pump()
    assert len([c for c in in_topic(desk.api, thread) if c.method == "copyMessage"]) == 4
    assert desk.received(user)[-1] == joined  # still silent

    # The coach answers in the topic: text, a photo, a voice message and a document.
    for kind in ("text", "photo", "voice", "document"):
        coach_writes(desk, coach, thread, **({"text": "Hello, I can help"} if kind == "text"
                                            else {"kind": kind}))
    await desk.pump()
    copied = copies_to(desk.api, user)
    assert len(copied) == 4
    assert {"text", "photo", "voice", "document"} <= {
        key for c in copied for key in desk.api._messages[(user, c.result["message_id"])]}

    # A crisis message still gets the emergency numbers first, and the coach is flagged.
    crisis = await desk.says(user, pack.crisis.phrases[1], lang)
    assert text_of(crisis[0]).startswith("🚨") or "112" in text_of(crisis[0])
    staff = assistant.kb.packs["fi"]
    assert any(staff.text("duty_crisis_alert") == text_of(c) for c in in_topic(desk.api, thread))

    # The person ends the chat and rates it; the topic loses the name and is closed.
    ended = await desk.taps(user, replies[-1], "dc:e:", lang)
    assert ended[-1].params["text"] == pack.text("duty_ended_by_you")
    await desk.taps(user, ended[-1], f"dc:r:{data_of(ended[-1])[0].split(':')[2]}:1", lang)
    database = desk.app.bot_data["services"].database
    async with database.connection.execute(
            "SELECT status, rating, crisis, voice FROM duty_chats") as cursor:
        assert [tuple(r) for r in await cursor.fetchall()] == [("closed", 1, 1, 1)]
    topic = desk.api.topics[(STAFF_GROUP, thread)]
    assert topic["closed"]
    assert "Test" not in topic["name"]
    assert await desk.says(user, "tell me about football", lang)  # the bot answers again
    assert desk.errors == []


@LANGUAGES
async def test_outside_duty_hours_the_button_is_absent_and_the_next_duty_is_named(
        desk: LiveBot, assistant: Assistant, clock: FakeClock, lang: str) -> None:
    clock.now = MONDAY_MORNING  # 08:00 in Helsinki: duty starts at 10:00
    await desk.commands(402, "start", lang, lang=lang)
    replies = await desk.says(402, "qqq zzz", lang)

    assert not any("chat:" in data_of(c) for c in replies)
    zone = desk.app.bot_data["services"].duty.rota.book.timezone
    when = format_when(MONDAY_MORNING.replace(hour=8), lang, zone)
    assert replies[-1].params["text"] == assistant.kb.packs[lang].text("duty_next", when=when)
    assert {"coach:", "contact:"} <= set(data_of(replies[-1]))
    menu = await desk.commands(402, "menu", lang=lang)
    assert not any("chat:" in data_of(c) for c in menu)
    assert desk.errors == []


async def test_two_people_with_one_coach_stay_separate(desk: LiveBot) -> None:
    amina = COACH_IDS["amina"]
    _, first = await open_chat(desk, 411, "so")
    _, second = await open_chat(desk, 412, "ar")
    assert first != second

    coach_writes(desk, amina, first, text="for the first")
    coach_writes(desk, amina, second, text="for the second")
    await desk.pump()

    to_first, to_second = copies_to(desk.api, 411), copies_to(desk.api, 412)
    assert len(to_first) == len(to_second) == 1
    assert desk.api._messages[(411, to_first[0].result["message_id"])]["text"] == "for the first"
    assert desk.api._messages[(412, to_second[0].result["message_id"])]["text"] == \
        "for the second"
    await desk.says(411, "thanks", "so")
    copied = [c for c in in_topic(desk.api, first) if c.method == "copyMessage"]
    assert len(copied) == 1
    assert not [c for c in in_topic(desk.api, second)
                                     if c.method == "copyMessage"]
    assert desk.errors == []


async def test_a_non_staff_member_of_the_group_cannot_reach_a_person(desk: LiveBot,
                                                                     assistant: Assistant
                                                                     ) -> None:
    _, thread = await open_chat(desk, 421, "en")
    coach_writes(desk, STRANGER, thread, text="give me your address")
    await desk.pump()
    refused = await desk.taps(STRANGER, card_of(desk, thread), data_of(card_of(desk, thread))[0])

    assert copies_to(desk.api, 421) == []
    assert refused == []
    assert desk.answers()[-1].params.get("show_alert") is True
    async with desk.app.bot_data["services"].database.connection.execute(
            "SELECT status FROM duty_chats") as cursor:
        assert [r[0] for r in await cursor.fetchall()] == ["waiting"]
    assert desk.errors == []


async def test_a_restart_in_the_middle_loses_nothing(tmp_path: Path, assistant: Assistant,
                                                     clock: FakeClock) -> None:
    async for bot in live(tmp_path, assistant, EXAMPLE_COACHES, clock):
        _, thread = await open_chat(bot, 431, "fa")
        bot.api.fail("copyMessage", 502, times=3)  # Telegram is down for a moment ...
        await bot.says(431, "one", "fa")
        coach_writes(bot, COACH_IDS["reza"], thread, text="two")
        await bot.pump()
        await stop_app(bot)  # ... and the bot is restarted before it retries
        again = await start_app(bot.api, tmp_path, assistant, EXAMPLE_COACHES, clock)
        bot.app = again.app
        for _ in range(2):  # the third failure is still Telegram's; backoff, then success
            clock.advance(seconds=10)
            await bot.run_job("relay_pending")

        assert len(copies_to(bot.api, 431)) == 1
        assert len([c for c in in_topic(bot.api, thread) if c.method == "copyMessage"]) == 1
        again.errors.clear()
        assert bot.errors == []


async def test_the_queue_and_the_end_of_duty_message(desk: LiveBot, assistant: Assistant,
                                                     clock: FakeClock) -> None:
    fa = assistant.kb.packs["fa"]
    first, _ = await open_chat(desk, 441, "fa")
    second, _ = await open_chat(desk, 442, "fa")
    assert first[-1].params["text"] == fa.text("duty_coming", coach="Reza")
    assert second[-1].params["text"] == fa.text("duty_waiting", position="2", minutes="10")

    clock.advance(hours=4)  # 17:30: duty is over, nobody took them
    await desk.run_job("end_of_duty")

    zone = desk.app.bot_data["services"].duty.rota.book.timezone
    # Tuesday 10:00: Olga is on duty; Persian speakers then chat in plain Finnish or English.
    when = format_when(MONDAY_DUTY.replace(day=2, hour=8, minute=0), "fa", zone)
    for user in (441, 442):
        assert desk.received(user)[-1].params["text"] == fa.text("duty_unserved", when=when)
    report = desk.received(COORDINATOR_CHAT)[-1]
    assert "#1" in text_of(report)
    assert "#2" in text_of(report)
    assert all(t["closed"] for t in desk.api.topics.values())
    assert await desk.says(441, "tell me about football", "fa")  # the bot answers again
    assert desk.errors == []


async def test_a_coach_transfers_a_chat_to_another_coach(desk: LiveBot,
                                                         assistant: Assistant) -> None:
    _, thread = await open_chat(desk, 451, "en")
    card = card_of(desk, thread)
    await desk.taps(COACH_IDS["amina"], card, next(d for d in data_of(card)
                                                   if d.startswith("dc:x:")))
    targets = [c for c in in_topic(desk.api, thread) if any(
        d.startswith("dc:g:") for d in data_of(c))][-1]
    told = await desk.taps(COACH_IDS["amina"], targets, next(
        d for d in data_of(targets) if d.endswith(":reza")))

    assert told == []
    assert desk.received(451)[-1].params["text"] == assistant.kb.packs[
        "en"].text("duty_transferred", coach="Reza")
    coach_writes(desk, COACH_IDS["reza"], thread, text="Reza here")
    await desk.pump()
    assert len(copies_to(desk.api, 451)) == 1
    assert desk.errors == []


async def test_forget_closes_the_chat_and_removes_the_mapping(desk: LiveBot) -> None:
    _replies, thread = await open_chat(desk, 461, "en")
    await desk.says(461, "hello", "en")
    confirm = await desk.commands(461, "forget")
    await desk.taps(461, confirm[-1], "fg:yes:")

    database = desk.app.bot_data["services"].database
    async with database.connection.execute("SELECT COUNT(*) FROM duty_relay") as cursor:
        assert (await cursor.fetchone())[0] == 0
    async with database.connection.execute(
            "SELECT user_id > 0, first_name, status FROM duty_chats") as cursor:
        assert [tuple(r) for r in await cursor.fetchall()] == [(0, "", "closed")]
    assert desk.api.topics[(STAFF_GROUP, thread)]["closed"]
    assert desk.errors == []
