"""Background jobs: deliver handoff alerts, send reminders, purge (escalation: coach_desk),
and keep watch over the contact with Telegram.

Alerts are read from the outbox table, so they survive restarts; `outbox.Courier` delivers
them (at least once, every copy with the same alert id).
"""

from __future__ import annotations

import logging
import time

from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot import health
from bot.booking.formatting import format_when
from bot.storage.bookings import AlertDraft
from bot.telegram_channel.conversation import services
from bot.telegram_channel.watchdog import Watchdog, notify_systemd, outage_notice

logger = logging.getLogger(__name__)

DELIVERY_SECONDS = 1.0
REMINDER_SECONDS = 30.0
PURGE_SECONDS = 6 * 3600.0


async def deliver_alerts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the due alerts of the outbox to coaches and the coordinator chat."""
    appointments = services(context).appointments
    if appointments is None:
        return
    staff = services(context).assistant.kb.packs[appointments.coaches.coach_language]
    await services(context).courier.deliver_due(context.bot, appointments, staff)


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


async def keep_watch(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check for contact with Telegram, report an outage and its end, write the heartbeat."""
    watchdog = services(context).watchdog
    if watchdog is None:
        return
    if watchdog.mode == "webhook" and watchdog.silent_for() > watchdog.limit / 2:
        await _ask_about_the_webhook(context, watchdog)
    silent = watchdog.silent_for()
    if silent > watchdog.limit and watchdog.outage_since is None:
        watchdog.outage_since = watchdog.last_contact or watchdog.started_at
        what = "no getUpdates has succeeded" if watchdog.mode == "polling" else \
            "Telegram has not reached the webhook"
        logger.error("watchdog: %s for %.0f s (limit %.0f s); is the Bot API reachable?",
                     what, silent, watchdog.limit)
    elif silent <= watchdog.limit and watchdog.outage_since is not None:
        start, end = watchdog.outage_since, watchdog.last_contact or time.time()
        watchdog.outage_since = None
        logger.warning("watchdog: Telegram reached again after %.0f s", end - start)
        await _tell_the_coordinator(context, start, end)
    healthy, _ = health.judge(watchdog.beat())
    if healthy:
        notify_systemd("WATCHDOG=1")


async def _ask_about_the_webhook(context: ContextTypes.DEFAULT_TYPE,
                                 watchdog: Watchdog) -> None:
    """After a quiet spell: if Telegram holds no updates for us, silence is just silence."""
    try:
        info = await context.bot.get_webhook_info(read_timeout=10)
    except TelegramError as exc:
        logger.warning("watchdog: getWebhookInfo failed (%s)", type(exc).__name__)
        return
    if info.pending_update_count == 0:
        watchdog.contact()
    elif info.last_error_message:
        logger.warning("watchdog: Telegram cannot deliver %d update(s) to the webhook: %s",
                       info.pending_update_count, info.last_error_message)


async def _tell_the_coordinator(context: ContextTypes.DEFAULT_TYPE, start: float,
                                end: float) -> None:
    appointments = services(context).appointments
    if appointments is None:
        return  # no coaches file, so no coordinator chat: the log says it
    text = outage_notice(start, end, appointments.coaches.timezone)
    await appointments.store.add_alerts(None, [AlertDraft(
        "outage", appointments.coaches.coordinator_chat_id, text, buttons=False)])
