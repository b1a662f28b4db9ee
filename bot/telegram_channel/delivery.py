"""Background jobs: deliver handoff alerts, send reminders, purge (escalation: coach_desk).

Alerts are read from the outbox table, so they survive restarts. Delivery is at least
once: an alert is marked sent only after Telegram accepted it, and every copy carries
the same alert id, so a coach can recognise a duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from bot.booking.appointments import AppointmentBook
from bot.booking.formatting import format_when
from bot.storage.bookings import Alert
from bot.telegram_channel.conversation import services

logger = logging.getLogger(__name__)

DELIVERY_SECONDS = 2.0
REMINDER_SECONDS = 30.0
PURGE_SECONDS = 6 * 3600.0
MAX_BACKOFF = dt.timedelta(minutes=10)


async def deliver_alerts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send every due alert in the outbox to its coach or coordinator chat."""
    appointments = services(context).appointments
    if appointments is None:
        return
    for alert in await appointments.store.due_alerts(appointments.clock()):
        await _deliver(context, appointments, alert)


async def _deliver(context: ContextTypes.DEFAULT_TYPE, appointments: AppointmentBook,
                   alert: Alert) -> None:
    store = appointments.store
    pack = services(context).assistant.kb.packs[appointments.coaches.coach_language]
    rows = []
    if alert.buttons:
        rows.append([InlineKeyboardButton(pack.text("button_ack"),
                                          callback_data=f"al:a:{alert.id}")])
        if alert.booking_id:
            rows.append([
                InlineKeyboardButton(pack.text("button_done"),
                                     callback_data=f"al:d:{alert.booking_id}"),
                InlineKeyboardButton(pack.text("button_no_show"),
                                     callback_data=f"al:n:{alert.booking_id}")])
    try:
        await context.bot.send_message(
            alert.chat_id, f"{alert.text}\n<i>#{alert.id}</i>", parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        await store.postpone(alert.id, appointments.clock() + dt.timedelta(seconds=seconds))
        return
    except (Forbidden, BadRequest) as exc:
        logger.error("alert %s refused by Telegram (%s); telling the coordinator", alert.id,
                     type(exc).__name__)
        await store.mark_failed(alert.id)
        if alert.chat_id != appointments.coaches.coordinator_chat_id:
            await store.escalate(alert, appointments.escalation(alert.text), appointments.clock())
        return
    except NetworkError as exc:
        delay = min(MAX_BACKOFF, dt.timedelta(seconds=2 ** min(alert.attempts, 9)))
        delay *= random.uniform(0.5, 1.5)
        logger.warning("alert %s not delivered (%s); retrying in %s", alert.id,
                       type(exc).__name__, delay)
        await store.postpone(alert.id, appointments.clock() + delay)
        return
    await store.mark_sent(alert.id, appointments.clock())
    await _forward_voice(context, appointments, alert)


async def _forward_voice(context: ContextTypes.DEFAULT_TYPE, appointments: AppointmentBook,
                         alert: Alert) -> None:
    """Forward the client's voice message to the coach with the new-booking alert."""
    if alert.kind != "new" or not alert.booking_id:
        return
    booking = await appointments.store.get(alert.booking_id)
    if booking is None or not booking.voice:
        return
    try:
        await context.bot.forward_message(alert.chat_id, booking.chat_id, booking.voice)
    except (BadRequest, Forbidden, NetworkError) as exc:
        logger.warning("could not forward the voice message of booking %s (%s)", booking.id,
                       type(exc).__name__)


async def send_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind people of their appointment the day before and an hour before."""
    appointments = services(context).appointments
    if appointments is None:
        return
    now = appointments.clock()
    kb = services(context).assistant.kb
    for booking, kind in await appointments.store.due_reminders(now):
        coach = appointments.coaches.coach(booking.coach_id)
        text = kb.packs[booking.lang].text(
            f"reminder_{kind}", coach=coach.name if coach else "",
            when=format_when(booking.starts_at, booking.lang, appointments.coaches.timezone))
        try:
            await context.bot.send_message(booking.chat_id, text)
        except (BadRequest, Forbidden) as exc:
            logger.warning("reminder for booking %s refused (%s)", booking.id,
                           type(exc).__name__)
        except NetworkError:
            continue  # the next run tries again
        await appointments.store.mark_reminded(booking.id, kind, now)


async def purge_old_data(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete notes and question histories the configured number of days later."""
    appointments = services(context).appointments
    if appointments is not None:
        await appointments.store.purge(appointments.clock(), services(context).retention_days)
