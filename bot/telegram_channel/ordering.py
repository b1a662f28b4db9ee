"""One conversation's updates in the order they came, different conversations side by side.

With python-telegram-bot's plain concurrent updates, a person who sends ten messages at once
gets ten handlers racing each other, and their replies in any order. This update processor
queues each conversation's updates behind one another, so replies keep the order of the
questions and a flood from one person takes one turn at a time, while everyone else's updates
run beside it. A conversation is a chat, or one forum topic of a group (the duty desk's staff
group holds a topic per person: coaches answering in different topics do not wait for each
other, while each topic keeps its order).

It also keeps the `UpdateLedger`: which updates fetched from Telegram are not finished yet.
The polling transport waits for them (a few seconds at most) before the next getUpdates, whose
offset tells Telegram they are done; a bot killed in the middle of a batch gets the unfinished
updates again after its restart (at least once) instead of losing them. A handler whose work
is written down early (the duty relay, before it copies anything) says so with
`written_down`, so slow work after that (a crisis check) does not hold up the next poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

QUEUE_LIMIT = 100_000
"""Updates that may wait at once (PTB's semaphore); what runs is bounded by `running`."""
ACK_HOLD_SECONDS = 3.0
"""How long the next getUpdates waits for unfinished updates before confirming them anyway
(a handler stuck on a long Telegram pause must not stop everyone's polling)."""


class UpdateLedger:
    """Update ids fetched but not yet fully handled, of the updates worth holding a poll for.

    `watch` picks those from the raw updates (the duty desk's: messages that are relayed);
    others are confirmed by the next poll as before, so a slow answer (a person's flood paced
    at one message a second) never holds up everyone's polling. Without `watch`, none.
    """

    def __init__(self) -> None:
        self._open: set[int] = set()
        self._settled = asyncio.Event()
        self._settled.set()
        self.watch: Callable[[dict[str, Any]], bool] | None = None

    def received(self, updates: list[dict[str, Any]]) -> None:
        """Note the watched updates a getUpdates answer brought."""
        watch = self.watch
        held = [u["update_id"] for u in updates if watch is not None and watch(u)]
        if held:
            self._open.update(held)
            self._settled.clear()

    def finished(self, update_id: int) -> None:
        """Note an update whose handlers have all run."""
        self._open.discard(update_id)
        if not self._open:
            self._settled.set()

    @property
    def unfinished(self) -> int:
        """Return how many fetched updates are still being handled."""
        return len(self._open)

    async def settled(self) -> bool:
        """Wait until every fetched update is handled; False if ACK_HOLD_SECONDS passed."""
        try:
            async with asyncio.timeout(ACK_HOLD_SECONDS):
                while self._open:
                    await self._settled.wait()
        except TimeoutError:
            return False
        return True


class PerChatOrder(BaseUpdateProcessor):
    """Process each conversation's updates one after another, at most `running` at a time."""

    def __init__(self, running: int = 64, *, per_topic: bool = True,
                 ledger: UpdateLedger | None = None) -> None:
        super().__init__(QUEUE_LIMIT)
        self._running = asyncio.Semaphore(running)
        self._per_topic = per_topic
        self.ledger = ledger or UpdateLedger()
        self._lanes: dict[Hashable, tuple[asyncio.Lock, int]] = {}  # lock, updates holding it

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the conversation's earlier updates, then for a free slot, then process."""
        try:
            await self._in_turn(order_key(update, self._per_topic), coroutine)
        finally:
            if isinstance(update, Update):
                self.ledger.finished(update.update_id)

    async def _in_turn(self, key: Hashable | None, coroutine: Awaitable[Any]) -> None:
        if key is None:
            async with self._running:
                await coroutine
            return
        lock, waiting = self._lanes.get(key, (asyncio.Lock(), 0))
        self._lanes[key] = (lock, waiting + 1)
        try:
            async with lock, self._running:
                await coroutine
        finally:
            lock, waiting = self._lanes[key]
            if waiting <= 1:
                del self._lanes[key]
            else:
                self._lanes[key] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def written_down(application: Any, update: Update) -> None:
    """Tell the ledger an update's effect is safe in SQLite already (the rest may follow later):
    the next poll need not wait for its handler to finish."""
    processor = getattr(application, "update_processor", None)
    if isinstance(processor, PerChatOrder):
        processor.ledger.finished(update.update_id)


def order_key(update: object, per_topic: bool = True) -> Hashable | None:
    """Return what an update keeps its order within: its chat, or its chat's forum topic."""
    if not isinstance(update, Update):
        return None
    message = update.effective_message
    if per_topic and message is not None and message.is_topic_message \
            and message.message_thread_id is not None:
        return (message.chat_id, message.message_thread_id)
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
