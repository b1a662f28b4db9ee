"""An announcement to 1,000 subscribers through the real `ohjaamo run`, with Telegram's limits
on: a 429 in the middle and a SIGKILL halfway. Everyone gets it exactly once, nothing goes out
inside the 429's retry_after, people who blocked the bot are counted once, and the coordinator's
report is right."""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path

import pytest

from bot.storage import Database
from bot.storage.broadcasts import BroadcastStore
from tests.booking_support import COORDINATOR, EXAMPLE_COACHES
from tests.e2e_support import BotProcess
from tests.loopback_api import Call, Fault, LoopbackBotApi
from tests.whats_on_support import EXAMPLE_ACTIVITIES

pytestmark = pytest.mark.asyncio(loop_scope="function")
SUBSCRIBERS = [300_000 + n for n in range(1000)]
BLOCKED = set(SUBSCRIBERS[::200])  # five people blocked the bot long ago
MARK = "Kerho alkaa tiistaina"
THROTTLED_AT, KILLED_AT, RETRY_AFTER = 300, 500, 2


def announcement(call: Call) -> bool:
    return call.method == "sendMessage" and MARK in str(call.params.get("text"))


async def seed(path: Path) -> None:
    """Write the subscribers into the bot's database, as /subscribe would have."""
    database = Database(path)
    await database.open()
    async with database.transaction() as db:
        await db.executemany("INSERT INTO subscriptions (user_id, chat_id, lang, events) VALUES "
                             "(?, ?, ?, 1)", [(u, u, "fi") for u in SUBSCRIBERS])
    await database.close()


async def announce(path: Path) -> None:
    """Queue the announcement from another connection, as the coordinator's tap does."""
    database = Database(path)
    await database.open()
    await BroadcastStore(database).announce("events", {"fi": MARK}, None, COORDINATOR,
                                            dt.datetime.now(dt.UTC))
    await database.close()


async def test_a_broadcast_survives_a_429_and_a_sigkill_and_reaches_everyone_once(
        tmp_path: Path) -> None:
    accepted: list[int] = []
    throttled: list[float] = []
    killed: list[float] = []
    async with LoopbackBotApi() as api:
        for chat in (*SUBSCRIBERS, COORDINATOR):
            api.add_chat(chat)
        for user in BLOCKED:
            api.user_blocks_bot(user)
        bot = BotProcess(api, tmp_path / "bot.db", EXAMPLE_COACHES, env={
            "OHJAAMO_FLOOD_LIMITS": "on", "OHJAAMO_ACTIVITIES": str(EXAMPLE_ACTIVITIES)})
        await seed(bot.database)

        def plan(call: Call) -> Fault | None:
            if not announcement(call) or call.params["chat_id"] in BLOCKED:
                return None
            if len(accepted) == THROTTLED_AT and not throttled:
                throttled.append(call.time)
                return Fault(429, retry_after=RETRY_AFTER)
            if len(accepted) == KILLED_AT and not killed and bot.process:
                killed.append(call.time)
                bot.process.send_signal(signal.SIGKILL)  # mid-send: this one never lands
                return Fault(502)
            accepted.append(call.params["chat_id"])
            return None

        api.inject(plan)
        await bot.start()
        try:
            await announce(bot.database)
            await api.wait_for(announcement, count=KILLED_AT, timeout=120)
            await bot.process.wait()  # type: ignore[union-attr]
            await bot.start()  # the restart resumes the broadcast
            report = await api.wait_for(lambda c: c.method == "sendMessage" and c.params.get(
                "chat_id") == COORDINATOR and "#1" in str(c.params.get("text")), timeout=120)
        finally:
            await bot.stop()

    delivered = [c.params["chat_id"] for c in api.calls if announcement(c) and not c.failed]
    assert sorted(delivered) == sorted(set(SUBSCRIBERS) - BLOCKED)  # each once, nobody missed
    refused = [c.params["chat_id"] for c in api.calls if announcement(c) and c.status == 403]
    assert sorted(refused) == sorted(BLOCKED)  # counted, never retried
    [at] = throttled
    early = [c for c in api.calls if announcement(c) and at + 0.25 < c.time < at + RETRY_AFTER]
    assert early == []  # nothing inside the retry_after (0.25 s: sends already on their way)
    assert "995" in str(report[0].params["text"])
    assert "5" in str(report[0].params["text"]).split("995", 1)[1]
    assert api.errors == []
