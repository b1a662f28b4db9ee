"""What every handler shares: the services, the person's language, and sending replies."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.booking.appointments import AppointmentBook
from bot.core.assistant import Assistant
from bot.core.languages import DEFAULT, from_telegram_code
from bot.core.replies import Reply
from bot.storage import Database
from bot.storage.bookings import BookingStore
from bot.telegram_channel.outbox import Courier
from bot.telegram_channel.rendering import keyboard, reply_html
from bot.telegram_channel.watchdog import Watchdog

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class Services:
    """What handlers need, created once in `post_init` and closed in `post_shutdown`."""

    assistant: Assistant
    database: Database
    retention_days: int
    store: BookingStore
    appointments: AppointmentBook | None
    """None when no coaches file is configured: booking then says how to come in person."""
    watchdog: Watchdog
    """Notices when Telegram is no longer reached; writes the heartbeat."""
    courier: Courier = field(default_factory=Courier)
    """Delivers the alert outbox."""


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the application's services."""
    found = context.application.bot_data["services"]
    assert isinstance(found, Services)
    return found


def user_data(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    """Return the per-person scratch space (choices half-way through a booking)."""
    data = context.user_data
    if data is None:  # only updates without a user lack it, and those never book
        raise RuntimeError("this update has no user")
    return data


async def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Return the person's chosen language, else their Telegram language, else the default."""
    user = update.effective_user
    if user is None:
        return DEFAULT
    stored = await services(context).database.language_of(user.id)
    return stored or from_telegram_code(user.language_code) or DEFAULT


async def send_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply,
                     note: str | None = None) -> None:
    """Send a core reply as HTML messages; the buttons go under the last one."""
    chat = update.effective_chat
    if chat is None:
        return
    pack = services(context).assistant.kb.packs[reply.lang]
    messages = reply_html(reply, pack.text("source"))
    if note:
        messages[0] = f"{note}\n\n{messages[0]}"
    for index, text in enumerate(messages):
        last = index == len(messages) - 1
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
            reply_markup=keyboard(reply.buttons) if last else None)


async def send_text(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, key: str,
                    markup: InlineKeyboardMarkup | None = None, **values: str) -> None:
    """Send one UI string of the person's language."""
    chat = update.effective_chat
    if chat is None:
        return
    pack = services(context).assistant.kb.packs[lang]
    text = html.escape(pack.text(key, **values), quote=False)
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML,
                                   link_preview_options=NO_PREVIEW, reply_markup=markup)


