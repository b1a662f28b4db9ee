"""Deliver announcements and notices from the deliveries table, within Telegram's limits.

Every send goes through the flood control (about 30 messages a second overall, paced below
it), which raises a 429 at once here (`BROADCAST`): this module is the retry layer. A 429
pauses every send until its `retry_after` (for a broadcast it means the overall limit), also
those already waiting for their turn, and the row waits its turn again. A person who blocked
the bot is counted and opted out, never retried; other sends that fail without an answer back
off, a few times at most.
Rows are read a few dozen at a time, so memory stays flat for any number of recipients.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import random
import time
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes, ExtBot

from bot.activities.board import ActivityBoard
from bot.core.languages import DEFAULT
from bot.storage.broadcasts import Announcement, Delivery
from bot.telegram_channel.conversation import NO_PREVIEW, services
from bot.telegram_channel.flood_control import BROADCAST, SendPolicy, retry_seconds

logger = logging.getLogger(__name__)

DELIVERY_SECONDS = 1.0
CONCURRENCY = 8
"""Sends in flight at once: enough to keep the overall pace full over a slow network."""
RETRY_SECONDS = 2.0


class Broadcaster:
    """Sends due deliveries side by side; one run at a time; remembers a 429's pause."""

    def __init__(self, board: ActivityBoard, concurrency: int = CONCURRENCY) -> None:
        self.board = board
        self.concurrency = concurrency
        self._running = False
        self._resumed = False
        self._paused_until = 0.0  # time.monotonic()
        self._announcements: dict[int, Announcement | None] = {}

    async def deliver_due(self, bot: ExtBot[Any]) -> int:
        """Send everything due now (returns how many rows were tried), then close finished
        announcements with their reports."""
        if self._running:
            return 0
        self._running = True
        tried = 0
        try:
            if not self._resumed:
                self._resumed = True
                if cut := await self.board.broadcasts.resume():
                    logger.warning("%d delivery(ies) were cut off by a restart: sending again",
                                   cut)
            slots = asyncio.Semaphore(self.concurrency)
            while batch := await self.board.broadcasts.due(self.board.clock(),
                                                           self.concurrency * 4):
                tried += len(batch)
                await asyncio.gather(*(self._send_in_turn(bot, slots, d) for d in batch))
            await self.board.broadcasts.finish(self.board.clock(), self.board.report_for)
        finally:
            self._running = False
        return tried

    async def _send_in_turn(self, bot: ExtBot[Any], slots: asyncio.Semaphore,
                            delivery: Delivery) -> None:
        async with slots:
            for _ in range(10):  # another 429 may lengthen the pause while this one waits
                wait = self._paused_until - time.monotonic()
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if not await self.board.broadcasts.claim(delivery.id):
                return
            await self._send(bot, delivery)

    async def _send(self, bot: ExtBot[Any], delivery: Delivery) -> None:
        store, clock = self.board.broadcasts, self.board.clock
        try:
            text, markup = await self._render(delivery)
            await cast("ExtBot[SendPolicy]", bot).send_message(
                delivery.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                link_preview_options=NO_PREVIEW, rate_limit_args=BROADCAST)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            self._paused_until = max(self._paused_until, time.monotonic() + wait)
            logger.warning("Telegram asked to wait %.0f s: the broadcast pauses", wait)
            await store.postpone(delivery, clock() + dt.timedelta(seconds=wait), attempt=False)
        except Forbidden:  # blocked the bot, or deleted the account: never retried
            await store.refused(delivery, blocked=True)
        except BadRequest as exc:
            logger.warning("delivery %s refused (%s)", delivery.id, type(exc).__name__)
            await store.refused(delivery, blocked=False)
        except NetworkError as exc:
            delay = RETRY_SECONDS * 2 ** min(delivery.attempts, 8) * random.uniform(0.5, 1.5)
            logger.warning("delivery %s failed (%s); retrying in %.0f s", delivery.id,
                           type(exc).__name__, delay)
            await store.postpone(delivery, clock() + dt.timedelta(seconds=delay), attempt=True)
        else:
            await store.delivered(delivery, clock())

    async def _render(self, delivery: Delivery) -> tuple[str, InlineKeyboardMarkup | None]:
        """Write the message in the recipient's language, with its buttons."""
        if delivery.announcement_id is None:
            rows = [[InlineKeyboardButton(label, callback_data=data)]
                    for label, data in delivery.buttons]
            return html.escape(delivery.text or "", quote=False), \
                InlineKeyboardMarkup(rows) if rows else None
        announcement = await self._announcement(delivery.announcement_id)
        assert announcement is not None
        pack = self.board.kb.packs[delivery.lang]
        lines = [pack.text("ev_announcement_urgent" if announcement.topic == "urgent"
                           else "ev_announcement_events")]
        text = announcement.texts.get(delivery.lang)
        if text is None:
            lines.append(pack.text("ev_announcement_untranslated"))
            text = announcement.texts[DEFAULT]
        lines.append(text)
        rows = []
        occurrence = self.board.occurrence(announcement.occurrence) \
            if announcement.occurrence else None
        if occurrence is not None and occurrence.activity.signup:
            rows.append([InlineKeyboardButton(pack.text("ev_button_signup"),
                                              callback_data=f"ev:s:{occurrence.key}")])
        rows.append([InlineKeyboardButton(pack.text("ev_button_stop"), callback_data="ev:u:")])
        return html.escape("\n\n".join(lines), quote=False), InlineKeyboardMarkup(rows)

    async def _announcement(self, announcement_id: int) -> Announcement | None:
        if announcement_id not in self._announcements:
            if len(self._announcements) > 100:
                self._announcements.clear()
            self._announcements[announcement_id] = \
                await self.board.broadcasts.announcement(announcement_id)
        return self._announcements[announcement_id]


async def deliver_announcements(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the due announcements and notices (a job; one run at a time)."""
    found = services(context).broadcaster
    if found is not None:
        await found.deliver_due(context.bot)
