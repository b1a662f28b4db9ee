"""One chat's updates in the order they came, different chats side by side.

With python-telegram-bot's plain concurrent updates, a person who sends ten messages at once
gets ten handlers racing each other, and their replies in any order. This update processor
queues each chat's updates behind one another, so replies keep the order of the questions and
a flood from one person takes one turn at a time, while everyone else's updates run beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

QUEUE_LIMIT = 100_000
"""Updates that may wait at once (PTB's semaphore); what runs is bounded by `running`."""


class PerChatOrder(BaseUpdateProcessor):
    """Process each chat's updates one after another, at most `running` chats at a time."""

    def __init__(self, running: int = 64) -> None:
        super().__init__(QUEUE_LIMIT)
        self._running = asyncio.Semaphore(running)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates holding it

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then for a free slot, then process."""
        chat = _chat_of(update)
        if chat is None:
            async with self._running:
                await coroutine
            return
        lock, waiting = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, waiting + 1)
        try:
            async with lock, self._running:
                await coroutine
        finally:
            lock, waiting = self._chats[chat]
            if waiting <= 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
