"""Deliver the alert outbox to coaches: side by side, with one retry layer, nothing in line.

Each round (a job every second) starts the due alerts, at most one per chat and
`concurrency` in all. A send holds its chat's turn for at most `send_timeout`; after that the
next alerts go ahead and Telegram's late answer is still awaited, up to `patience`:

    due ──▶ send ──answer──▶ sent (its message id kept: /forget can blank it later)
             │  └─ 429, 5xx, refused connection ──▶ postponed: retry_after, or backoff + jitter
             └──── no answer within patience ─────▶ postponed; the copy may have arrived

The outbox is the only retry layer: the flood control raises at once for these sends
(`NO_RETRY`), after pausing the chat for everyone on a 429. Delivery is at least once. A copy
that may already have arrived makes the next one carry the same id and 🔁, so the coach can
tell; if a late answer shows that another copy was recorded first, this one is deleted, so
the coach keeps one. An alert whose copy was delivered is delivered again by editing that copy
(how /forget blanks the person out of earlier alerts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.booking.appointments import AppointmentBook
from bot.core.content import LanguagePack
from bot.storage.outbox import BLANKED, Alert
from bot.telegram_channel.flood_control import NO_RETRY, SendPolicy, retry_seconds

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(minutes=10)
ROUND_WAIT = 0.9
"""Seconds a round waits for its sends before returning (the job runs every second)."""
REPEAT_MARK = "🔁"


@dataclass
class Courier:
    """Sends due alerts concurrently; remembers which are out and which chats are busy."""

    send_timeout: float = 5.0
    patience: float = 60.0
    concurrency: int = 8
    retry_seconds: float = 2.0
    _turns: dict[int, str] = field(default_factory=dict)  # chat -> alert holding its turn
    _out: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # alert id -> send

    async def deliver_due(self, bot: ExtBot[Any], appointments: AppointmentBook,
                          staff: LanguagePack) -> None:
        """Start every due alert that has a free turn; wait a moment for their answers."""
        now = appointments.clock()
        lease = now + dt.timedelta(seconds=self.patience + self.send_timeout + 5)
        started = []
        for alert in await appointments.store.first_due_per_chat(now, self.concurrency * 4):
            if len(self._turns) >= self.concurrency or len(self._out) >= self.concurrency * 4:
                break
            if alert.id in self._out or alert.chat_id in self._turns:
                continue
            fresh = await appointments.store.start_sending(alert.id, lease)
            if fresh is None:
                continue  # acknowledged or forgotten meanwhile
            self._turns[alert.chat_id] = alert.id
            task = asyncio.create_task(self._deliver(bot, appointments, staff, fresh))
            self._out[alert.id] = task
            asyncio.get_running_loop().call_later(self.send_timeout, self._end_turn, fresh)
            started.append(task)
        if started:
            await asyncio.wait(started, timeout=min(self.send_timeout, ROUND_WAIT))

    async def close(self) -> None:
        """Stop waiting for answers; unanswered alerts are sent again after a restart."""
        for task in self._out.values():
            task.cancel()
        await asyncio.gather(*self._out.values(), return_exceptions=True)

    def _end_turn(self, alert: Alert) -> None:
        if self._turns.get(alert.chat_id) == alert.id:
            del self._turns[alert.chat_id]

    async def _deliver(self, bot: ExtBot[Any], appointments: AppointmentBook,
                       staff: LanguagePack, alert: Alert) -> None:
        store, clock = appointments.store, appointments.clock
        try:
            message = await self._send(bot, staff, alert)
        except RetryAfter as exc:
            wait = dt.timedelta(seconds=retry_seconds(exc) + random.uniform(0.1, 1.0))
            await store.postpone(alert.id, clock() + wait)
        except (Forbidden, BadRequest) as exc:
            await self._refused(appointments, alert, exc)
        except NetworkError as exc:  # 5xx, timeouts, resets
            maybe = _maybe_delivered(exc)
            delay = min(MAX_BACKOFF, dt.timedelta(
                seconds=self.retry_seconds * 2 ** min(alert.attempts, 12)))
            delay *= random.uniform(0.5, 1.5)
            logger.warning("alert %s not delivered (%s%s); retrying in %.0f s", alert.id,
                           type(exc).__name__, ", may have arrived" if maybe else "",
                           delay.total_seconds())
            await store.postpone(alert.id, clock() + delay, maybe_delivered=maybe)
        else:
            message_id = message.message_id if isinstance(message, Message) else None
            if await store.mark_sent(alert.id, clock(), message_id):
                await self._forward_voice(bot, appointments, alert)
            elif message_id is not None and alert.kind != BLANKED:
                await self._delete_extra_copy(bot, alert, message_id)
        finally:
            self._out.pop(alert.id, None)
            self._end_turn(alert)

    async def _send(self, bot: ExtBot[Any], staff: LanguagePack, alert: Alert
                    ) -> Message | bool:
        rated = cast("ExtBot[SendPolicy]", bot)
        mark = f" {REPEAT_MARK}" if alert.unconfirmed else ""
        text = f"{alert.text}\n<i>#{alert.id}{mark}</i>"
        if alert.message_id is not None:  # a delivered copy: edit it in place
            try:
                return await rated.edit_message_text(
                    text, alert.chat_id, alert.message_id, parse_mode=ParseMode.HTML,
                    read_timeout=self.patience, rate_limit_args=NO_RETRY)
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return True
                raise
        return await rated.send_message(
            alert.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=_buttons(staff, alert),
            read_timeout=self.patience, rate_limit_args=NO_RETRY)

    async def _refused(self, appointments: AppointmentBook, alert: Alert,
                       error: Forbidden | BadRequest) -> None:
        store, clock = appointments.store, appointments.clock
        if alert.kind == BLANKED:  # too old to edit, or deleted by the coach: nothing to blank
            logger.warning("could not blank alert %s (%s)", alert.id, type(error).__name__)
            await store.mark_sent(alert.id, clock())
            return
        logger.error("alert %s refused by Telegram (%s); telling the coordinator", alert.id,
                     type(error).__name__)
        await store.mark_failed(alert.id)
        if alert.chat_id != appointments.coaches.coordinator_chat_id:
            await store.escalate(alert, appointments.escalation(alert.text), clock())

    async def _delete_extra_copy(self, bot: ExtBot[Any], alert: Alert, message_id: int) -> None:
        """Another copy of this alert was recorded first: remove this one."""
        try:
            await bot.delete_message(alert.chat_id, message_id)
        except (BadRequest, Forbidden, NetworkError) as exc:
            logger.warning("could not delete an extra copy of alert %s (%s)", alert.id,
                           type(exc).__name__)

    async def _forward_voice(self, bot: ExtBot[Any], appointments: AppointmentBook,
                             alert: Alert) -> None:
        """Forward the client's voice message to the coach with the new-booking alert."""
        if alert.kind != "new" or not alert.booking_id:
            return
        booking = await appointments.store.get(alert.booking_id)
        if booking is None or not booking.voice:
            return
        try:
            await bot.forward_message(alert.chat_id, booking.chat_id, booking.voice)
        except (BadRequest, Forbidden, NetworkError) as exc:
            logger.warning("could not forward the voice message of booking %s (%s)",
                           booking.id, type(exc).__name__)


def _buttons(staff: LanguagePack, alert: Alert) -> InlineKeyboardMarkup | None:
    if not alert.buttons:
        return None
    rows = [[InlineKeyboardButton(staff.text("button_ack"), callback_data=f"al:a:{alert.id}")]]
    if alert.booking_id:
        rows.append([
            InlineKeyboardButton(staff.text("button_done"),
                                 callback_data=f"al:d:{alert.booking_id}"),
            InlineKeyboardButton(staff.text("button_no_show"),
                                 callback_data=f"al:n:{alert.booking_id}")])
    return InlineKeyboardMarkup(rows)


def _maybe_delivered(error: NetworkError) -> bool:
    """Tell whether Telegram may have taken the message although no answer came."""
    cause = error.__cause__
    if isinstance(error, TimedOut):  # a connect or pool timeout never sent anything
        return isinstance(cause, httpx.ReadTimeout | httpx.WriteTimeout)
    return isinstance(cause, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError)
