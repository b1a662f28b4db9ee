"""The duty chat's delivery: topics in the staff group and relaying messages at least once.

A message is written to SQLite before it is copied; the copy is marked done only after
Telegram accepted it, and `relay_pending` (duty_chat) retries the rest, after a restart too.
Split from duty_chat along the same seam as delivery.py is from booking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from typing import cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes, ExtBot

from bot.duty.desk import DutyDesk
from bot.duty.store import DutyChat, Relay
from bot.telegram_channel.conversation import services
from bot.telegram_channel.flood_control import NO_RETRY, SendPolicy, retry_seconds
from bot.telegram_channel.ordering import written_down

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(minutes=10)
TO_STAFF, TO_PERSON = "to_staff", "to_person"


def button(label: str, data: str) -> InlineKeyboardButton:
    """Return an inline button with a label Telegram shows whole."""
    return InlineKeyboardButton(label[:60], callback_data=data)


def staff_text(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, key: str,
               **values: str) -> str:
    """Return a UI string in the coaches file's language."""
    return services(context).assistant.kb.packs[desk.rota.book.coach_language].text(key,
                                                                                    **values)


# --- Topics ------------------------------------------------------------------------------------


async def open_topic(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, chat: DutyChat,
                      position: int) -> int | None:
    """Create the conversation's topic and post its context card (retried by a job)."""
    if chat.topic_id is not None:
        return chat.topic_id
    try:
        topic = await context.bot.create_forum_topic(desk.staff_chat_id, desk.topic_name(chat))
    except TelegramError as exc:
        logger.warning("could not create the topic of duty chat %s (%s); retrying later",
                       chat.id, type(exc).__name__)
        return None
    await desk.store.set_topic(chat.id, topic.message_thread_id)
    history = await services(context).store.recent_questions(chat.user_id)
    staff = services(context).assistant.kb.packs[desk.rota.book.coach_language]
    markup = InlineKeyboardMarkup([
        [button(staff.text("button_take"), f"dc:t:{chat.id}")],
        [button(staff.text("button_transfer"), f"dc:x:{chat.id}"),
         button(staff.text("button_close_chat"), f"dc:c:{chat.id}")]])
    try:
        await context.bot.send_message(
            desk.staff_chat_id, desk.context_card(chat, history, position),
            message_thread_id=topic.message_thread_id, parse_mode=ParseMode.HTML,
            reply_markup=markup)
    except TelegramError as exc:
        logger.warning("context card of duty chat %s not sent (%s)", chat.id,
                       type(exc).__name__)
    return topic.message_thread_id


async def to_topic(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, chat: DutyChat,
                    text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    fresh = await desk.store.get(chat.id)
    if fresh is None or fresh.topic_id is None:
        return
    try:
        await context.bot.send_message(desk.staff_chat_id, text,
                                       message_thread_id=fresh.topic_id, reply_markup=markup)
    except TelegramError as exc:
        logger.warning("note to the topic of duty chat %s not sent (%s)", chat.id,
                       type(exc).__name__)


async def finish_topic(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk,
                        chat: DutyChat) -> None:
    """Rename an ended conversation's topic without the person's name, and close it."""
    fresh = await desk.store.get(chat.id)
    if fresh is None or fresh.topic_id is None or fresh.topic_done:
        return
    try:
        await context.bot.edit_forum_topic(desk.staff_chat_id, fresh.topic_id,
                                           name=desk.topic_name(fresh, ended=True))
        await context.bot.close_forum_topic(desk.staff_chat_id, fresh.topic_id)
    except BadRequest as exc:
        if "TOPIC_NOT_MODIFIED" not in str(exc) and "not found" not in str(exc):
            logger.warning("topic of duty chat %s not closed (%s)", chat.id, exc)
            return
    except TelegramError as exc:
        logger.warning("topic of duty chat %s not closed yet (%s)", chat.id,
                       type(exc).__name__)
        return
    await desk.store.topic_finished(chat.id)


# --- Relaying -----------------------------------------------------------------------------------


async def relay(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, chat: DutyChat,
                direction: str, from_chat: int, from_message: int, text: str | None,
                original: tuple[int, int] | None = None, update: Update | None = None) -> None:
    """Write a message down, then deliver it after every earlier one of its side."""
    keep = text if desk.transcript_days > 0 else None
    relay_id = await desk.store.receive(chat, direction, from_chat, from_message, desk.clock(),
                                        keep)
    if update is not None:  # in SQLite now: the retry job delivers it even after a crash
        written_down(context.application, update)
    if relay_id is not None:
        await flush(context, desk, chat.id, direction, {relay_id: original} if original else {},
                    chat)


async def flush(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, duty_chat_id: int,
                direction: str, originals: dict[int, tuple[int, int]] | None = None,
                chat: DutyChat | None = None) -> None:
    """Deliver one side of a conversation in the order its messages came.

    One lane (conversation, direction) delivers one message at a time, oldest first, and
    stops at the first that must wait (a retry later): a later message never overtakes an
    earlier one, whether it came through a handler or the retry job.
    """
    lanes: dict[tuple[int, str], tuple[asyncio.Lock, int]] = \
        context.application.bot_data.setdefault("duty_relay_lanes", {})
    key = (duty_chat_id, direction)
    lock, users = lanes.get(key, (asyncio.Lock(), 0))
    lanes[key] = (lock, users + 1)
    try:
        async with lock:
            now = desk.clock()
            for relay, due in await desk.store.undelivered(duty_chat_id, direction):
                if due > now or not await deliver(context, desk, relay,
                                                  (originals or {}).get(relay.id), chat):
                    break
    finally:
        lock, users = lanes[key]
        if users <= 1:
            del lanes[key]
        else:
            lanes[key] = (lock, users - 1)


async def deliver(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, relay: Relay,
                  original: tuple[int, int] | None = None, known: DutyChat | None = None
                  ) -> bool:
    """Copy one message to the other side; False when it must be tried again later."""
    chat = known if known is not None and known.topic_id is not None \
        else await desk.store.get(relay.duty_chat_id)
    if chat is None:
        await desk.store.drop(relay.id)
        return True
    if relay.direction == TO_STAFF:
        topic = chat.topic_id or await open_topic(context, desk, chat, 1)
        if topic is None:
            await desk.store.postpone(relay.id, desk.clock() + dt.timedelta(seconds=2))
            return False
        target, thread = desk.staff_chat_id, topic
    else:
        target, thread = chat.chat_id, None
    reply = ReplyParameters(original[1], allow_sending_without_reply=True) \
        if original and original[0] == target else None
    try:
        # The relay table is this copy's retry layer: the flood control paces it with every
        # other send, records a 429's pause for the chat, and raises at once (NO_RETRY).
        rated = cast("ExtBot[SendPolicy]", context.bot)
        copied = await rated.copy_message(target, relay.from_chat, relay.from_message,
                                          message_thread_id=thread, reply_parameters=reply,
                                          rate_limit_args=NO_RETRY)
    except RetryAfter as exc:
        seconds = retry_seconds(exc)
        await desk.store.postpone(relay.id, desk.clock() + dt.timedelta(seconds=seconds))
        return False
    except (BadRequest, Forbidden) as exc:
        logger.error("duty relay %s refused by Telegram (%s); dropped", relay.id,
                     type(exc).__name__)
        await desk.store.drop(relay.id)
        return True
    except NetworkError as exc:
        delay = min(MAX_BACKOFF, dt.timedelta(seconds=2 ** min(relay.attempts, 9)))
        logger.warning("duty relay %s not delivered (%s); retrying", relay.id,
                       type(exc).__name__)
        await desk.store.postpone(relay.id, desk.clock() + delay * random.uniform(0.5, 1.5))
        return False
    await desk.store.delivered(relay, copied.message_id, desk.clock())
    return True


async def safe_send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str,
                     markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError as exc:
        logger.warning("duty chat message not delivered (%s)", type(exc).__name__)
