"""The bot SIGKILLed in the middle of a live duty chat loses no message (a subprocess)."""

from __future__ import annotations

from bench.duty_kill import run


async def test_a_sigkill_in_a_conversation_loses_nothing_and_keeps_the_order() -> None:
    outcome = await run(messages=40, kill_after=20)

    assert outcome.sent == 40
    assert outcome.lost == 0
    assert outcome.out_of_order == 0
    assert outcome.duplicates <= 2  # at least once: a copy cut off by the kill may repeat
