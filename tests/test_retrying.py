"""Telegram calls that fail for passing reasons are retried; the rest are not."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.telegram_channel.retrying import RetryingLimiter


class Flaky:
    """A Bot API call that raises the queued errors, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> dict[str, bool]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


def limiter(slept: list[float], retries: int = 3) -> RetryingLimiter:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return RetryingLimiter(retries=retries, base_delay=1.0, sleep=sleep)


async def call(rate: RetryingLimiter, flaky: Flaky, endpoint: str = "sendMessage") -> object:
    return await rate.process_request(flaky, (), {}, endpoint, {}, None)


async def test_a_429_waits_exactly_as_long_as_telegram_asks() -> None:
    slept: list[float] = []
    flaky = Flaky(RetryAfter(7))

    assert await call(limiter(slept), flaky) == {"ok": True}
    assert slept == [7.0]


async def test_network_errors_back_off_exponentially_with_jitter() -> None:
    slept: list[float] = []
    flaky = Flaky(NetworkError("Bad Gateway"), TimedOut(), NetworkError("502"))

    assert await call(limiter(slept), flaky) == {"ok": True}
    assert flaky.calls == 4
    assert [0.5 <= slept[0] <= 1.5, 1.0 <= slept[1] <= 3.0, 2.0 <= slept[2] <= 6.0] == [True] * 3


async def test_a_bad_request_is_not_retried() -> None:
    slept: list[float] = []
    flaky = Flaky(BadRequest("Message is too long"))

    with pytest.raises(BadRequest):
        await call(limiter(slept), flaky)
    assert (flaky.calls, slept) == (1, [])


async def test_it_gives_up_after_the_configured_retries() -> None:
    slept: list[float] = []
    flaky = Flaky(*[NetworkError("down")] * 5)

    with pytest.raises(NetworkError):
        await call(limiter(slept, retries=2), flaky)
    assert flaky.calls == 3


async def test_get_updates_is_left_to_the_updaters_own_retry_loop() -> None:
    slept: list[float] = []
    flaky = Flaky(TimedOut())

    with pytest.raises(TimedOut):
        await call(limiter(slept), flaky, endpoint="getUpdates")
    assert slept == []
