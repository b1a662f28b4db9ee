"""The coaches' side: alert buttons, commands to run their day, their own /start and /help,
and escalating what nobody acknowledged. Staff only, every time."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.booking.appointments import Acknowledgement, AppointmentBook
from bot.booking.formatting import format_when, mode_label
from bot.core.arguments import parse_alert_id, parse_number
from bot.core.content import LanguagePack
from bot.core.safe_text import user_text_html
from bot.storage.bookings import Booking
from bot.telegram_channel.conversation import language_of, send_text, services

logger = logging.getLogger(__name__)

ESCALATION_SECONDS = 30.0
_BLOCK = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\s+([0-9]{1,2}:[0-9]{2})\s*-\s*"
                    r"([0-9]{1,2}:[0-9]{2})$", re.ASCII)
_ACKNOWLEDGED = {Acknowledgement.DONE: "alert_acknowledged",
                 Acknowledgement.ALREADY: "alert_acknowledged",
                 Acknowledgement.UNKNOWN: "alert_unknown",
                 Acknowledgement.NOT_ALLOWED: "not_allowed"}


async def _staff_only(update: Update, context: ContextTypes.DEFAULT_TYPE
                      ) -> AppointmentBook | None:
    """Return the appointment book if the sender is a configured coach or coordinator."""
    appointments = services(context).appointments
    user = update.effective_user
    if appointments is not None and user is not None and appointments.coaches.is_staff(user.id):
        return appointments
    if update.callback_query is not None:
        lang = await language_of(update, context)
        await update.callback_query.answer(
            services(context).assistant.kb.packs[lang].text("not_allowed"), show_alert=True)
    else:
        await send_text(update, context, await language_of(update, context), "not_allowed")
    logger.warning("refused a staff action from a non-staff account")
    return None


def _staff_pack(context: ContextTypes.DEFAULT_TYPE, appointments: AppointmentBook
                ) -> LanguagePack:
    return services(context).assistant.kb.packs[appointments.coaches.coach_language]


async def handle_alert_button(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                              value: str) -> None:
    """Acknowledge an alert (`a`), or mark its booking done (`d`) or no-show (`n`)."""
    appointments = await _staff_only(update, context)
    query = update.callback_query
    if appointments is None or query is None:
        return
    pack = _staff_pack(context, appointments)
    if step == "a":
        alert_id = parse_alert_id(value)
        outcome = await appointments.acknowledge(query.from_user.id, alert_id) if alert_id \
            else Acknowledgement.UNKNOWN
        if outcome == Acknowledgement.NOT_ALLOWED:
            logger.warning("refused to acknowledge an alert of another coach")
        await query.answer(pack.text(_ACKNOWLEDGED[outcome]),
                           show_alert=outcome == Acknowledgement.NOT_ALLOWED)
        return
    number = parse_number(value)
    if step in ("d", "n") and number is not None:
        booking = await appointments.store.get(number)
        if booking is None or not appointments.coaches.may_manage(query.from_user.id,
                                                                  booking.coach_id):
            await query.answer(pack.text("not_allowed"), show_alert=True)
            return
        status = "done" if step == "d" else "no_show"
        await appointments.store.set_status(booking.id, status)
        label = pack.text("button_done" if step == "d" else "button_no_show")
        await query.answer(pack.text("coach_marked", status=label))
        return
    await query.answer()


async def show_today(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the coach's appointments today (a coordinator sees everyone's)."""
    await _show_days(update, context, days=1, title="coach_today")


async def show_week(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the coach's appointments for the next seven days."""
    await _show_days(update, context, days=7, title="coach_week")


async def _show_days(update: Update, context: ContextTypes.DEFAULT_TYPE, days: int,
                     title: str) -> None:
    appointments = await _staff_only(update, context)
    chat, user = update.effective_chat, update.effective_user
    if appointments is None or chat is None or user is None:
        return
    pack = _staff_pack(context, appointments)
    zone = appointments.coaches.timezone
    start = dt.datetime.combine(appointments.clock().astimezone(zone).date(), dt.time(),
                                zone)
    end = start + dt.timedelta(days=days)
    coach = appointments.coaches.coach_of_user(user.id)
    coaches = [coach] if coach else list(appointments.coaches.coaches)
    lines = [f"<b>{html.escape(pack.text(title))}</b>"]
    for person in coaches:
        for booking in await appointments.store.for_coach(person.id, start, end):
            lines.append(_listing(booking, pack, appointments)
                         + ("" if coach else f" · {html.escape(person.name)}"))
    if len(lines) == 1:
        lines.append(html.escape(pack.text("coach_nothing")))
    await context.bot.send_message(chat.id, "\n".join(lines), parse_mode=ParseMode.HTML)


async def block_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Block a time so nobody can book it: /block 2026-12-01 10:00-12:00."""
    appointments = await _staff_only(update, context)
    user = update.effective_user
    if appointments is None or user is None:
        return
    pack = _staff_pack(context, appointments)
    coach = appointments.coaches.coach_of_user(user.id)
    match = _BLOCK.match(" ".join(context.args or []))
    if coach is None:
        await send_text(update, context, pack.lang, "coach_block_not_coach")
        return
    if match is None:
        await send_text(update, context, pack.lang, "coach_block_usage")
        return
    zone = appointments.coaches.timezone
    try:
        day = dt.date.fromisoformat(match[1])
        start = dt.datetime.combine(day, dt.time.fromisoformat(match[2].zfill(5)), zone)
        end = dt.datetime.combine(day, dt.time.fromisoformat(match[3].zfill(5)), zone)
    except ValueError:
        start = end = dt.datetime.now(dt.UTC)
    if end <= start:
        await send_text(update, context, pack.lang, "coach_block_usage")
        return
    when = f"{format_when(start, pack.lang, zone)}–{end.strftime('%H:%M')}"
    clashing = await appointments.block_time(coach.id, start, end)
    if clashing:
        # Nothing is blocked over a client's appointment: the coach cancels it with a
        # message first (the client is told), then blocks.
        head = html.escape(pack.text("coach_block_conflict", when=when,
                                     number=str(clashing[0].id)), quote=False)
        lines = [_listing(booking, pack, appointments) for booking in clashing]
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, "\n".join([head, *lines]),
                                           parse_mode=ParseMode.HTML)
        return
    await send_text(update, context, pack.lang, "coach_blocked", when=when)


def _listing(booking: Booking, pack: LanguagePack, appointments: AppointmentBook) -> str:
    """One appointment as a line of /today, /week and /block: number, time, client, mode."""
    when = format_when(booking.starts_at, pack.lang, appointments.coaches.timezone)
    return (f"#{booking.id} {html.escape(when)} · {user_text_html(booking.first_name)} · "
            f"{html.escape(mode_label(pack, booking.mode))} · "
            f"{html.escape(booking.meeting_lang)}")


async def cancel_appointment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Cancel an appointment with a message to the client: /cancel 12 I am ill, sorry."""
    appointments = await _staff_only(update, context)
    user = update.effective_user
    if appointments is None or user is None:
        return
    pack = _staff_pack(context, appointments)
    args = context.args or []
    number = parse_number(args[0]) if args else None
    booking = await appointments.store.get(number) if number is not None else None
    allowed = booking is not None and booking.status == "active" and \
        appointments.coaches.may_manage(user.id, booking.coach_id)
    if booking is None or not allowed or len(args) < 2:
        await send_text(update, context, pack.lang, "coach_cancel_usage")
        return
    await appointments.cancel(booking)
    client = services(context).assistant.kb.packs[booking.lang]
    text = client.text("coach_cancelled_client",
                       when=format_when(booking.starts_at, booking.lang,
                                        appointments.coaches.timezone), message="{message}")
    head, _, tail = html.escape(text, quote=False).partition("{message}")
    await context.bot.send_message(booking.chat_id,
                                   head + user_text_html(" ".join(args[1:])[:500]) + tail,
                                   parse_mode=ParseMode.HTML)
    await send_text(update, context, pack.lang, "coach_cancel_done")


async def greet_staff(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> bool:
    """Give a coach or coordinator their own /start or /help (`key`); False for anyone else."""
    appointments = services(context).appointments
    user = update.effective_user
    if appointments is None or user is None or not appointments.coaches.is_staff(user.id):
        return False
    await send_text(update, context, appointments.coaches.coach_language, key)
    return True


async def escalate_unacknowledged(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the coordinator what nobody acknowledged in working time, and repeat it (bounded)."""
    appointments = services(context).appointments
    if appointments is not None:
        await appointments.escalate_due()
