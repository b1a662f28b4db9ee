"""The watchdog through the real `ohjaamo run`: an unreachable Bot API is noticed, reported and
told to the coordinator afterwards; `ohjaamo health` tells a supervisor."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.booking_support import COORDINATOR_CHAT, EXAMPLE_COACHES
from tests.conftest import REPO
from tests.e2e_support import BotProcess, Person
from tests.loopback_api import LoopbackBotApi

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def health(bot: BotProcess) -> tuple[int, str]:
    """Run `ohjaamo health` as a supervisor would; return its exit code and output."""
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "health"], cwd=REPO,
        env=bot.environment(), capture_output=True, text=True, timeout=60, check=False)
    return result.returncode, result.stdout + result.stderr


async def test_an_outage_is_noticed_reported_and_told_to_the_coordinator(
        tmp_path: Path) -> None:
    async with LoopbackBotApi() as api:
        api.add_chat(COORDINATOR_CHAT, "supergroup")
        bot = BotProcess(api, tmp_path / "bot.db", EXAMPLE_COACHES,
                         env={"OHJAAMO_WATCHDOG_SECONDS": "3"})
        await bot.start()
        try:
            await asyncio.sleep(1.5)
            healthy_before = await health(bot)

            api.go_offline()
            await asyncio.sleep(6)
            during = await health(bot)
            person = Person(api)
            api.user_sends_text(person.id, "hello")  # waits at Telegram during the outage
            api.go_online()
            answered = await person._expect(0, 1)
            told = await api.wait_for(lambda c: c.method == "sendMessage" and c.params.get(
                "chat_id") == COORDINATOR_CHAT, timeout=30)
            await asyncio.sleep(2.5)
            healthy_after = await health(bot)
        finally:
            log = await bot.stop()

    assert healthy_before[0] == 0, healthy_before
    assert during[0] == 1, during
    assert healthy_after[0] == 0, healthy_after
    assert answered
    assert any(" ERROR " in line and "getUpdates" in line for line in log.splitlines()), log
    assert told[0].time > answered[0].time - 5  # told after the API came back
