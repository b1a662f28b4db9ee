"""The flood control paces sends, pauses a chat for everyone on a 429, and retries replies."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time

import pytest
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.telegram_channel.flood_control import NO_RETRY, FloodControl, SendPolicy
from bot.telegram_channel.ordering import PerChatOrder


class Calls:
    """A Bot API call that raises the queued errors, then succeeds; records when it ran."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.times: list[float] = []

    async def __call__(self) -> dict[str, bool]:
        self.times.append(time.monotonic())
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def send(control: FloodControl, call: Calls, chat: int | None = 1,
               policy: SendPolicy | None = None) -> object:
    data = {} if chat is None else {"chat_id": chat}
    return await control.process_request(call, (), {}, "sendMessage", data, policy)


async def test_a_429_pauses_every_send_to_that_chat_but_not_other_chats() -> None:
    control = FloodControl(3, paced=False)
    refused = Calls(RetryAfter(dt.timedelta(seconds=0.4)))
    same_chat, other_chat = Calls(), Calls()

    first = asyncio.create_task(send(control, refused, chat=1))
    await asyncio.sleep(0.05)  # the 429 has come back
    await asyncio.gather(send(control, same_chat, chat=1), send(control, other_chat, chat=2),
                         first)

    assert other_chat.times[0] - refused.times[0] < 0.2  # another chat went at once
    assert same_chat.times[0] - refused.times[0] >= 0.4  # the same chat waited it out
    assert refused.times[1] - refused.times[0] >= 0.4  # and so did the retry


async def test_429s_for_several_chats_pause_everything() -> None:
    control = FloodControl(0, paced=False)
    for chat in (1, 2, 3):
        with pytest.raises(RetryAfter):
            await send(control, Calls(RetryAfter(dt.timedelta(seconds=0.3))), chat=chat)

    assert control.paused_for(4) > 0.2  # a chat that never had a 429 waits too


async def test_sends_to_one_chat_keep_about_one_a_second_after_a_short_burst() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    control = FloodControl(clock=lambda: now[0], sleep=sleep)
    times = []
    for _ in range(5):
        await send(control, Calls(), chat=7)
        times.append(now[0])

    assert times[:2] == [0.0, 0.0]  # a burst of two
    assert [round(b - a, 2) for a, b in itertools.pairwise(times[1:])] == [1.0] * 3


async def test_network_errors_back_off_and_a_bad_request_is_not_retried() -> None:
    control = FloodControl(3, paced=False, base_delay=0.01)
    flaky = Calls(NetworkError("Bad Gateway"), TimedOut())
    wrong = Calls(BadRequest("Message is too long"))

    assert await send(control, flaky) == {"ok": True}
    with pytest.raises(BadRequest):
        await send(control, wrong)
    assert (len(flaky.times), len(wrong.times)) == (3, 1)


async def test_the_outbox_gets_errors_at_once_but_the_pause_still_holds() -> None:
    control = FloodControl(5, paced=False)

    with pytest.raises(RetryAfter):
        await send(control, Calls(RetryAfter(dt.timedelta(seconds=2))), policy=NO_RETRY)
    with pytest.raises(NetworkError):
        await send(control, Calls(NetworkError("502")), chat=2, policy=NO_RETRY)
    assert control.paused_for(1) > 1.5


async def test_one_chats_updates_run_in_order_while_other_chats_run_beside_them() -> None:
    order = PerChatOrder(running=8)
    events: list[str] = []

    def update(chat: int, update_id: int) -> Update:
        return Update.de_json({"update_id": update_id, "message": {
            "message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"},
            "text": "hi"}}, None)  # type: ignore[arg-type]

    async def handle(name: str, seconds: float) -> None:
        events.append(f"{name} starts")
        await asyncio.sleep(seconds)
        events.append(f"{name} ends")

    await asyncio.gather(
        order.process_update(update(1, 1), handle("1a", 0.2)),
        order.process_update(update(1, 2), handle("1b", 0.0)),
        order.process_update(update(2, 3), handle("2a", 0.0)))

    assert events.index("1a ends") < events.index("1b starts")  # same chat: in order
    assert events.index("2a ends") < events.index("1a ends")  # another chat: not held up
