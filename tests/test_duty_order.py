"""A conversation's messages arrive in the order they were sent, though updates run side by
side (PTB concurrent updates) and a failed copy waits for its retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.core.assistant import Assistant
from tests.booking_support import COACH_IDS, EXAMPLE_COACHES, FakeClock
from tests.duty_support import MONDAY_DUTY, STAFF_GROUP, coach_writes, copies_to, live
from tests.live_support import LiveBot, data_of
from tests.loopback_api import Call, Fault
from tests.test_duty_chat import card_of, open_chat


@pytest_asyncio.fixture
async def desk(tmp_path: Path, assistant: Assistant) -> AsyncIterator[LiveBot]:
    async for running in live(tmp_path, assistant, EXAMPLE_COACHES, FakeClock(MONDAY_DUTY)):
        yield running


async def all_at_once(bot: LiveBot) -> None:
    """Fetch the queued updates and hand them all to the update processor at once, as
    polling with concurrent updates does."""
    updates = await bot.app.bot.get_updates(offset=bot._offset, timeout=0)
    if updates:
        bot._offset = updates[-1].update_id + 1
    processor = bot.app.update_processor
    await asyncio.gather(*(processor.process_update(u, bot.app.process_update(u))
                           for u in updates))


def delivered(bot: LiveBot, to_topic: int | None = None, to_chat: int | None = None
              ) -> list[int]:
    """Return the original message ids of the copies that succeeded, in the order made."""
    return [int(c.params["message_id"]) for c in bot.api.calls
            if c.method == "copyMessage" and not c.failed and (
                str(c.params.get("message_thread_id")) == str(to_topic)
                if to_topic is not None else str(c.params.get("chat_id")) == str(to_chat))]


async def test_messages_keep_their_order_under_concurrency_and_a_failed_copy(
        desk: LiveBot, assistant: Assistant) -> None:
    user, coach = 471, COACH_IDS["amina"]
    _, thread = await open_chat(desk, user, "so")
    card = card_of(desk, thread)
    await desk.taps(coach, card, data_of(card)[0], "fi")
    other_user = 472
    _, other_thread = await open_chat(desk, other_user, "ar")

    failed: list[Call] = []

    def first_copy_of_this_conversation_fails(call: Call) -> Fault | None:
        # Only this conversation's first copy fails (the other conversation's copies may run
        # first under concurrency); it is retried.
        ours = str(call.params.get("chat_id")) == str(user) or \
            str(call.params.get("message_thread_id")) == str(thread)
        if call.method == "copyMessage" and ours and not failed:
            failed.append(call)
            return Fault(status=502)
        return None

    desk.api.inject(first_copy_of_this_conversation_fails)
    sent_by_person = [desk.api.user_sends_text(user, f"p{i}")["message"]["message_id"]
                      for i in range(6)]
    sent_by_coach = []
    for i in range(6):
        coach_writes(desk, coach, thread, text=f"c{i}")
        coach_writes(desk, coach, other_thread, text=f"other {i}")
    sent_by_coach = [m["message_id"] for (chat, _), m in desk.api._messages.items()
                     if chat == STAFF_GROUP and m.get("message_thread_id") == thread
                     and m.get("text", "").startswith("c")]
    await all_at_once(desk)
    clock = desk.app.bot_data["services"].duty.clock
    clock.advance(seconds=10)
    await desk.run_job("relay_pending")

    # The failed copy was retried (at once with the next message, or by the retry job) and
    # no later message of its side overtook it: each side's successful copies are exactly
    # its messages, once each, in the order they were sent.
    assert len(failed) == 1
    assert delivered(desk, to_topic=thread) == sent_by_person
    assert delivered(desk, to_chat=user) == sent_by_coach
    assert len(copies_to(desk.api, other_user)) == 6  # the other conversation stays apart
    assert desk.errors == []
