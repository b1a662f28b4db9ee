"""Live duty chat in Telegram: the person's private chat <-> one forum topic per conversation.

Why forum topics (not the coach's private chat): a topic is a conversation's own thread
that every coach on duty and the coordinator can see, take, transfer and close, and
several of them side by side never mix, which a private chat can only imitate with
reply threading. The staff group is a supergroup with topics on; the bot is an admin
there (manage topics), so it sees coaches' messages.

Relaying is at least once: a message is written to SQLite before it is copied, the copy
is marked done only after Telegram accepted it, and `relay_pending` retries the rest
(after a restart too). Every call goes through the same retrying rate limiter as the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.core.replies import Action, Button, Message, Reply, ReplyKind
from bot.duty.desk import DutyDesk
from bot.duty.store import AlreadyChatting, DutyChat
from bot.telegram_channel import duty_relay
from bot.telegram_channel.conversation import (
    language_of,
    send_reply,
    send_text,
    services,
)
from bot.telegram_channel.duty_relay import TO_PERSON, TO_STAFF

logger = logging.getLogger(__name__)

RELAY_SECONDS = 2.0
TOPIC_SECONDS = 5.0
DUTY_END_SECONDS = 60.0
CRISIS_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duty-crisis")
"""One worker thread for live chats' crisis checks: they take turns on one CPU (the first
in a burst is done at once, not when all are), and relaying keeps the other."""
CRISIS_CHECKS = "duty_crisis_checks"
"""bot_data key of the crisis checks running beside live chats."""
OFFERED_IN = (ReplyKind.MENU, ReplyKind.FALLBACK, ReplyKind.HANDOFF, ReplyKind.CANDIDATES)
"""Replies that carry the chat button during duty (the menu, "I don't know", the handoff)."""


def _desk(context: ContextTypes.DEFAULT_TYPE) -> DutyDesk | None:
    return services(context).duty


# --- The person's side ------------------------------------------------------------------------


async def send_with_chat_offer(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply,
                               note: str | None = None) -> None:
    """Send a reply; add the chat button during duty, or name the next duty after it."""
    desk = _desk(context)
    if desk is None or reply.kind not in OFFERED_IN:
        await send_reply(update, context, reply, note)
        return
    pack = services(context).assistant.kb.packs[reply.lang]
    if desk.available(reply.lang) is not None:
        row = (Button(pack.text("button_chat_now"), Action.CHAT),)
        await send_reply(update, context, replace(reply, buttons=(row, *reply.buttons)), note)
        return
    await send_reply(update, context, reply, note)
    if reply.kind in (ReplyKind.FALLBACK, ReplyKind.HANDOFF):
        await _tell_next_duty(update, context, reply.lang, "duty_next")


async def _tell_next_duty(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str,
                          key: str) -> None:
    desk = _desk(context)
    pack = services(context).assistant.kb.packs[lang]
    markup = InlineKeyboardMarkup([[duty_relay.button(pack.text("button_coach"), "coach:")],
                                   [duty_relay.button(pack.text("button_contact_me"), "contact:")]])
    await send_text(update, context, lang, key, markup,
                    when=desk.next_duty_text(lang) if desk else "–")


async def start_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open a chat with the duty desk: say who is coming or the place in the queue."""
    desk, user, chat = _desk(context), update.effective_user, update.effective_chat
    lang = await language_of(update, context)
    if desk is None or user is None or chat is None:
        await send_text(update, context, lang, "booking_not_available")
        return
    voice = bool((context.user_data or {}).get("voice_message"))
    try:
        arrival = await desk.start(user.id, chat.id, user.first_name, lang, voice)
    except AlreadyChatting:
        await send_text(update, context, lang, "duty_already", _end_markup(context, lang))
        return
    if arrival is None:
        await _tell_next_duty(update, context, lang, "duty_next")
        return
    if arrival.wait_minutes == 0:
        names = ", ".join(c.name for c in desk.rota.on_duty(desk.clock(),
                                                             arrival.chat.chat_lang))
        await send_text(update, context, lang, "duty_coming", _end_markup(context, lang),
                        coach=names)
    else:
        await send_text(update, context, lang, "duty_waiting", _end_markup(context, lang),
                        position=str(arrival.position), minutes=str(arrival.wait_minutes))
    await duty_relay.open_topic(context, desk, arrival.chat, arrival.position)


async def _note(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, chat: DutyChat, key: str,
                markup: InlineKeyboardMarkup | None = None, **values: str) -> None:
    """Post a note in the coaches' language into the conversation's topic."""
    await duty_relay.to_topic(context, desk, chat,
                              duty_relay.staff_text(context, desk, key, **values), markup)


def _end_markup(context: ContextTypes.DEFAULT_TYPE, lang: str) -> InlineKeyboardMarkup:
    pack = services(context).assistant.kb.packs[lang]
    return InlineKeyboardMarkup([[duty_relay.button(pack.text("button_end_chat"), "dc:e:")]])


async def relay_from_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """While a person chats with a human, relay what they send and keep the bot quiet."""
    desk, message, user = _desk(context), update.message, update.effective_user
    if desk is None or message is None or user is None:
        return
    chat = await desk.store.live_for(user.id)
    if chat is None:
        desk.chatting.discard(user.id)
        return  # no human chat: the bot answers as always
    if message.voice or message.audio or message.video_note:
        await desk.store.flag(chat.id, voice=True)
    await duty_relay.relay(context, desk, chat, TO_STAFF, message.chat_id, message.message_id,
                           message.text or message.caption, update=update)
    if message.text:
        # The crisis layer never waits for a human: the numbers come at once and the coach
        # is flagged. It runs beside the conversation (the encoder in a worker thread), so
        # neither this person's next message nor anyone else's relay waits for it.
        checks: set[asyncio.Task[None]] = context.application.bot_data.setdefault(
            CRISIS_CHECKS, set())
        task = asyncio.create_task(_crisis_check(update, context, chat, message.text))
        checks.add(task)  # held until done (and awaited on shutdown)
        task.add_done_callback(checks.discard)
    raise ApplicationHandlerStop


async def _crisis_check(update: Update, context: ContextTypes.DEFAULT_TYPE, chat: DutyChat,
                        text: str) -> None:
    desk = _desk(context)
    if desk is None:
        return
    try:
        reply = await asyncio.get_running_loop().run_in_executor(
            CRISIS_WORKER, services(context).assistant.reply_to,
            Message(text, chat.lang, str(chat.user_id)))
    except Exception:
        logger.exception("the crisis check of duty chat %s failed", chat.id)
        return
    if reply.kind is ReplyKind.CRISIS:
        await send_reply(update, context, replace(reply, buttons=()))
        await desk.store.flag(chat.id, crisis=True)
        await _note(context, desk, chat, "duty_crisis_alert")


async def end_by_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The person taps End chat: end it, tell the coach, ask 👍/👎."""
    desk, user = _desk(context), update.effective_user
    lang = await language_of(update, context)
    chat = await desk.store.live_for(user.id) if desk and user else None
    if desk is None or chat is None or not await desk.store.end(chat.id, desk.clock()):
        await send_text(update, context, lang, "duty_not_chatting")
        return
    await _note(context, desk, chat, "duty_closed_by_person")
    await duty_relay.finish_topic(context, desk, chat)
    await _ask_rating(context, chat, "duty_ended_by_you")


async def _ask_rating(context: ContextTypes.DEFAULT_TYPE, chat: DutyChat, key: str) -> None:
    pack = services(context).assistant.kb.packs[chat.lang]
    markup = InlineKeyboardMarkup([[
        duty_relay.button(pack.text("button_helped_yes"), f"dc:r:{chat.id}:1"),
        duty_relay.button(pack.text("button_helped_no"), f"dc:r:{chat.id}:0")]])
    await duty_relay.safe_send(context, chat.chat_id, pack.text(key), markup)


# --- The duty coach's side ----------------------------------------------------------------------


async def relay_from_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Relay a coach's message in a conversation's topic to the person; ignore anyone else."""
    desk, message, user = _desk(context), update.message, update.effective_user
    if desk is None or message is None or user is None or message.message_thread_id is None \
            or (message.text or "").startswith("/"):
        return  # the General topic and commands are the staff's own
    chat = await desk.store.by_topic(message.message_thread_id)
    if chat is None or not chat.live:
        return
    if not desk.may_relay(user.id):
        logger.warning("ignored a message from a non-staff member of the staff group")
        return
    coach = desk.coach_of(user.id)
    if chat.status == "waiting" and coach is not None:
        await _take(context, desk, chat, coach.id, coach.name)
    reply_to = message.reply_to_message
    original = await desk.store.original_of(message.chat_id, reply_to.message_id) \
        if reply_to is not None else None
    await duty_relay.relay(context, desk, chat, TO_PERSON, message.chat_id, message.message_id,
                           message.text or message.caption, original, update)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    """Act on a `dc:` button: end or rate (the person); take, transfer, close (staff)."""
    query, desk = update.callback_query, _desk(context)
    if query is None:
        return
    step, _, rest = value.partition(":")
    if desk is None:
        await query.answer()
        return
    if step == "e":
        await query.answer()
        await end_by_person(update, context)
        return
    if step == "r":
        number, _, helped = rest.partition(":")
        lang = await language_of(update, context)
        if number.isdigit():
            await desk.store.rate(int(number), query.from_user.id, helped == "1")
        await query.answer(services(context).assistant.kb.packs[lang].text("feedback_thanks"))
        return
    staff = services(context).assistant.kb.packs[desk.rota.book.coach_language]
    number, _, target = rest.partition(":")
    chat = await desk.store.get(int(number)) if number.isdigit() else None
    if not desk.may_relay(query.from_user.id) or query.message is None \
            or query.message.chat.id != desk.staff_chat_id:
        await query.answer(staff.text("not_allowed"), show_alert=True)
        logger.warning("refused a duty-chat staff button from a non-staff account")
        return
    if chat is None or not chat.live:
        await query.answer(staff.text("duty_chat_gone"), show_alert=True)
        return
    await query.answer()
    await _staff_action(context, desk, chat, step, target, query.from_user.id)


async def _staff_action(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, chat: DutyChat,
                        step: str, target: str, telegram_id: int) -> None:
    coach = desk.coach_of(telegram_id)
    actor = coach.name if coach else "–"
    if step == "t" and coach is not None:
        await _take(context, desk, chat, coach.id, coach.name)
    elif step == "x":
        coaches, languages = desk.transfer_targets(chat)
        rows = [[duty_relay.button(f"→ {c.name}", f"dc:g:{chat.id}:{c.id}")] for c in coaches]
        rows += [[duty_relay.button(f"→ {lang}", f"dc:l:{chat.id}:{lang}")] for lang in languages]
        await _note(context, desk, chat, "duty_transfer_to",
                    InlineKeyboardMarkup(rows) if rows else None)
    elif step == "g" and (other := desk.rota.book.coach(target)) is not None:
        await _take(context, desk, chat, other.id, other.name, transfer=True)
    elif step == "l" and target in services(context).assistant.kb.packs:
        if await desk.store.requeue(chat.id, target, interpreter=target != chat.lang):
            await duty_relay.to_topic(context, desk, chat, duty_relay.staff_text(
                context, desk, "duty_requeued_staff", language=target))
            await duty_relay.safe_send(context, chat.chat_id, services(context).assistant.kb.packs[
                chat.lang].text("duty_requeued"))
    elif step == "c" and await desk.store.end(chat.id, desk.clock()):
        await _note(context, desk, chat, "duty_closed_by_staff", coach=actor)
        await duty_relay.finish_topic(context, desk, chat)
        await _ask_rating(context, chat, "duty_ended_by_coach")


async def _take(context: ContextTypes.DEFAULT_TYPE, desk: DutyDesk, chat: DutyChat,
                coach_id: str, name: str, transfer: bool = False) -> None:
    if not await desk.store.take(chat.id, coach_id, desk.clock()):
        return
    key = "duty_transferred_staff" if transfer else "duty_taken_by"
    await _note(context, desk, chat, key, coach=name)
    pack = services(context).assistant.kb.packs[chat.lang]
    await duty_relay.safe_send(context, chat.chat_id, pack.text(
        "duty_transferred" if transfer else "duty_joined", coach=name))


# --- Jobs, privacy -------------------------------------------------------------------------------


async def finish_crisis_checks(application: object) -> None:
    """On shutdown: let crisis checks still running send their numbers first."""
    checks = getattr(application, "bot_data", {}).get(CRISIS_CHECKS)
    if checks:
        await asyncio.gather(*list(checks), return_exceptions=True)


def relayed(desk: DutyDesk) -> Callable[[dict[str, Any]], bool]:
    """Return which raw updates are messages to relay (the next poll waits till they are
    written down): messages in the staff group, and those of people in a live chat."""
    def check(update: dict[str, Any]) -> bool:
        message = update.get("message")
        if not isinstance(message, dict):
            return False
        chat, sender = message.get("chat") or {}, message.get("from") or {}
        if chat.get("id") == desk.staff_chat_id:
            return True
        return chat.get("type") == "private" and sender.get("id") in desk.chatting \
            and not str(message.get("text", "")).startswith("/")
    return check


async def relay_pending(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver every relayed message not yet accepted by Telegram (after a restart too)."""
    desk = _desk(context)
    if desk is not None:
        for duty_chat_id, direction in await desk.store.due_lanes(desk.clock()):
            await duty_relay.flush(context, desk, duty_chat_id, direction)


async def tend_topics(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Create topics that failed to open, and close the topics of ended conversations."""
    desk = _desk(context)
    if desk is None:
        return
    for chat in await desk.store.needing_topic_work():
        if chat.live:
            await duty_relay.open_topic(context, desk, chat, await desk.store.queue_position(chat))
        else:
            await duty_relay.finish_topic(context, desk, chat)


async def end_of_duty(context: ContextTypes.DEFAULT_TYPE) -> None:
    """When duty ends, tell each person still waiting honestly; report them to the coordinator."""
    desk = _desk(context)
    if desk is None:
        return
    left = await desk.unserved_at_duty_end()
    kb = services(context).assistant.kb
    for chat in left:
        pack = kb.packs[chat.lang]
        markup = InlineKeyboardMarkup([
            [duty_relay.button(pack.text("button_coach"), "coach:")],
            [duty_relay.button(pack.text("button_contact_me"), "contact:")]])
        await duty_relay.safe_send(context, chat.chat_id, pack.text(
            "duty_unserved", when=desk.next_duty_text(chat.lang)), markup)
        await _note(context, desk, chat, "duty_unserved_staff")
        await duty_relay.finish_topic(context, desk, chat)
    if left:
        try:
            await context.bot.send_message(desk.rota.book.coordinator_chat_id,
                                           desk.left_report(left), parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            logger.error("the coordinator's end-of-duty report failed (%s)", type(exc).__name__)


async def purge_relays(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop message mappings of ended conversations, and transcripts past their retention."""
    desk = _desk(context)
    if desk is not None:
        await desk.store.purge(desk.clock(), desk.transcript_days)


async def forget_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """For /forget: close the person's live chat and its topic, and remove every mapping."""
    desk, user = _desk(context), update.effective_user
    if desk is None or user is None:
        return
    live = await desk.store.live_for(user.id)
    if live is not None:
        await _note(context, desk, live, "duty_closed_by_person")
    for chat in await desk.store.forget(user.id):
        await duty_relay.finish_topic(context, desk, chat)


def privacy_note(context: ContextTypes.DEFAULT_TYPE, lang: str) -> str | None:
    """Return what /privacy adds about the duty chat, if it is on."""
    desk = _desk(context)
    if desk is None:
        return None
    pack = services(context).assistant.kb.packs[lang]
    if desk.transcript_days > 0:
        return pack.text("privacy_duty_transcripts", days=str(desk.transcript_days))
    return pack.text("privacy_duty_chat")
