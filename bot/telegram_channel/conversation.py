"""What every handler shares: the services, the person's language, and sending replies."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.activities.board import ActivityBoard
from bot.booking.appointments import AppointmentBook
from bot.core.assistant import Assistant
from bot.core.languages import DEFAULT, from_telegram_code
from bot.core.live_content import LiveContent
from bot.core.replies import Reply
from bot.duty.desk import DutyDesk
from bot.mentoring.office import MentoringOffice
from bot.storage import Database
from bot.storage.bookings import BookingStore
from bot.storage.usage import UsageStore
from bot.telegram_channel.outbox import Courier

if TYPE_CHECKING:
    from bot.telegram_channel.broadcasting import Broadcaster
from bot.telegram_channel.rendering import keyboard, reply_html
from bot.telegram_channel.watchdog import Watchdog

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class Services:
    """What handlers need, created once in `post_init` and closed in `post_shutdown`."""

    content: LiveContent
    database: Database
    retention_days: int
    store: BookingStore
    appointments: AppointmentBook | None
    """None when no coaches file is configured: booking then says how to come in person."""
    usage: UsageStore
    unanswered_days: int
    cache_dir: Path | None = None
    """Where the content's sentence vectors are kept (for grouping unanswered questions)."""
    duty: DutyDesk | None = None
    """None when the coaches file has no `duty:` section: live chat is off."""
    mentoring: MentoringOffice | None = None
    """None without a programmes file (or without a coaches file: interviews need one)."""
    watchdog: Watchdog | None = None
    """Notices when Telegram is no longer reached; writes the heartbeat (None: not watched)."""
    courier: Courier = field(default_factory=Courier)
    """Delivers the alert outbox."""
    activities: ActivityBoard | None = None
    """None without an activities file: /events says there is nothing to show."""
    broadcaster: Broadcaster | None = None
    """Delivers announcements and what's-on notices (with the activities file)."""

    @property
    def assistant(self) -> Assistant:
        """Return the assistant in service; a content reload swaps it between two updates."""
        return self.content.assistant


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


