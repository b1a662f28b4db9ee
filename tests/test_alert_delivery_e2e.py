"""Coach alerts through the real `ohjaamo run`: failing, hanging and refused sends stall nothing."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.booking_support import COACH_IDS, EXAMPLE_COACHES, queue_alerts
from tests.e2e_support import BotProcess
from tests.loopback_api import Call, Fault, LoopbackBotApi

pytestmark = pytest.mark.asyncio(loop_scope="function")
COACHES = list(COACH_IDS.values())
ALERT_ID = re.compile(r"#([0-9a-f]{12})")
HUNG = 6.5  # longer than python-telegram-bot's default 5 s read timeout


def booking_of(call: Call) -> int | None:
    found = re.search(r"Booking (\d+)\b", str(call.params.get("text")))
    return int(found[1]) if found else None


def faults() -> dict[int, Fault]:
    """The first send of some alerts fails: 5xx, hangs before or after delivery, 429."""
    return {1: Fault(502), 2: Fault(500), 3: Fault(504, hold=HUNG), 4: Fault(hold=HUNG),
            5: Fault(429, retry_after=3)}


async def test_alerts_arrive_once_each_although_sends_fail_and_hang(tmp_path: Path) -> None:
    first_tries: set[int] = set()
    planned = faults()

    def plan(call: Call) -> Fault | None:
        booking = booking_of(call)
        if call.method != "sendMessage" or booking is None or booking in first_tries:
            return None
        first_tries.add(booking)
        return planned.get(booking)

    async with LoopbackBotApi() as api:
        for coach in COACHES:
            api.add_chat(coach)
        bot = BotProcess(api, tmp_path / "bot.db", EXAMPLE_COACHES, env={
            "OHJAAMO_FLOOD_LIMITS": "on", "OHJAAMO_SEND_TIMEOUT": "1",
            "OHJAAMO_SEND_PATIENCE": "15", "OHJAAMO_ALERT_RETRY_SECONDS": "1"})
        await bot.start()
        try:
            api.inject(plan)
            await queue_alerts(bot.database, COACHES, 12)

            delivered = await api.wait_for(
                lambda c: c.method == "sendMessage" and booking_of(c) is not None, count=12,
                timeout=60)
            await asyncio.sleep(HUNG)  # let any copy of a hung send arrive
        finally:
            await bot.stop()

    copies = [c for c in api.sent if c.method == "sendMessage" and not c.failed
              and booking_of(c) is not None]
    assert sorted(booking_of(c) or 0 for c in copies) == list(range(1, 13))  # once each
    assert all(ALERT_ID.search(str(c.params["text"])) for c in copies)
    # Nothing waited in line behind a hanging send: the chat's next alerts went on meanwhile.
    for hung in (3, 4):
        first = min((c for c in api.calls if booking_of(c) == hung), key=lambda c: c.time)
        after = [c for c in delivered if c.params["chat_id"] == first.params["chat_id"]
                 and booking_of(c) not in planned]
        assert after
        assert all(c.time < first.time + HUNG for c in after), [
            (booking_of(c), round(c.time - first.time, 1)) for c in after]
    assert api.sends_during_retry_after() == []  # the 429's retry_after held for its chat
    assert api.errors == []


async def test_a_copy_that_may_repeat_an_unanswered_one_carries_its_id_and_says_so(
        tmp_path: Path) -> None:
    unanswered: set[int] = set()

    def plan(call: Call) -> Fault | None:
        booking = booking_of(call)
        if call.method != "sendMessage" or booking is None or booking in unanswered:
            return None
        unanswered.add(booking)
        return Fault(hold=6)  # Telegram takes it, but the answer comes after our patience

    async with LoopbackBotApi() as api:
        api.add_chat(COACHES[0])
        bot = BotProcess(api, tmp_path / "bot.db", EXAMPLE_COACHES, env={
            "OHJAAMO_FLOOD_LIMITS": "on", "OHJAAMO_SEND_TIMEOUT": "1",
            "OHJAAMO_SEND_PATIENCE": "2", "OHJAAMO_ALERT_RETRY_SECONDS": "1"})
        await bot.start()
        try:
            api.inject(plan)
            await queue_alerts(bot.database, COACHES[:1], 1)
            copies = await api.wait_for(lambda c: booking_of(c) == 1, count=2, timeout=60)
        finally:
            await bot.stop()

    first, second = (str(c.params["text"]) for c in copies)
    alert_id = ALERT_ID.search(first)
    assert alert_id
    assert f"#{alert_id[1]}</i>" in first
    assert f"#{alert_id[1]} 🔁</i>" in second  # the same id, marked as a possible repeat
    assert copies[1].time - copies[0].time >= 2  # not sent again before the patience ran out
