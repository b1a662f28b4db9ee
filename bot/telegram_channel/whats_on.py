"""What's on, the person's side: /events and the menu button, sign-up, reminders, .ics,
cancel, /myevents, and /subscribe to announcements (asked once, after a first answer).

Buttons carry `ev:<step>:<value>`: s sign up, r remind me, i calendar file, c cancel a
sign-up, t subscribe to topics, u stop announcements. The coordinators' side is
`whats_on_desk`; delivering announcements and notices is `broadcasting`.
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.activities.board import ActivityBoard
from bot.activities.cards import calendar_file, occurrence_card
from bot.activities.catalogue import Occurrence
from bot.core.arguments import parse_number
from bot.core.languages import SUPPORTED
from bot.core.replies import Action, Button, Reply, ReplyKind
from bot.storage.activities import PLACE, REMINDER, WAITING, ActivityCancelled, Signup
from bot.telegram_channel.conversation import NO_PREVIEW, language_of, send_text, services

logger = logging.getLogger(__name__)

MAX_SHOWN = 12
"""Occurrences listed by /events (two weeks of a small guidance point fit easily)."""


def board_of(context: ContextTypes.DEFAULT_TYPE) -> ActivityBoard | None:
    """Return the what's-on board, or None when no activities file is configured."""
    return services(context).activities


def with_events_button(context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> Reply:
    """Add "What's on" under the main menu when there is an activities file."""
    # The main menu is the one with the coach row (other rows, e.g. mentoring, may follow it).
    coach_row = next((i for i, row in enumerate(reply.buttons)
                      if row and row[0].action == Action.COACH), None)
    if board_of(context) is None or reply.kind != ReplyKind.MENU or coach_row is None:
        return reply
    pack = services(context).assistant.kb.packs[reply.lang]
    row = (Button(pack.text("ev_button_menu"), Action.EVENTS),)
    return replace(reply, buttons=(*reply.buttons[:coach_row], row,
                                   *reply.buttons[coach_row:]))


def _names(context: ContextTypes.DEFAULT_TYPE) -> dict[str, str]:
    packs = services(context).assistant.kb.packs
    return {code: packs[code].language_name for code in SUPPORTED}


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


async def show_events(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List this week's and next week's activities, each with its buttons."""
    lang = await language_of(update, context)
    board, chat = board_of(context), update.effective_chat
    upcoming = [o for o in board.upcoming()
                if not await board.store.is_cancelled(o.activity.id, o.starts_at)] \
        if board else []
    if board is None or chat is None or not upcoming:
        await send_text(update, context, lang, "ev_none")
        return
    await send_text(update, context, lang, "ev_title")
    pack = services(context).assistant.kb.packs[lang]
    order = {"work": 0, "education": 1, "language": 2, "digital": 3, "open": 4}
    for occurrence in sorted(upcoming[:MAX_SHOWN], key=lambda o: (
            order.get(o.activity.category, 9), o.starts_at)):
        left = await board.places_left(occurrence)
        card = occurrence_card(occurrence, pack, board.catalogue.timezone, _names(context),
                               left)
        key = occurrence.key
        first = [_button(pack.text("ev_button_signup"), f"ev:s:{key}")] \
            if occurrence.activity.signup else []
        first.append(_button(pack.text("ev_button_remind"), f"ev:r:{key}"))
        markup = InlineKeyboardMarkup([first, [_button(pack.text("ev_button_calendar"),
                                                       f"ev:i:{key}")]])
        await context.bot.send_message(chat.id, html.escape(card, quote=False),
                                       parse_mode=ParseMode.HTML, reply_markup=markup,
                                       link_preview_options=NO_PREVIEW)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                value: str) -> None:
    """Act on a tapped `ev:` button."""
    lang = await language_of(update, context)
    board = board_of(context)
    if board is None:
        await send_text(update, context, lang, "ev_none")
    elif step in ("s", "r"):
        await _sign_up(update, context, board, value, PLACE if step == "s" else REMINDER)
    elif step == "i":
        await _send_calendar(update, context, board, value)
    elif step == "c":
        await _cancel(update, context, board, value)
    elif step == "t":
        await _subscribe(update, context, board, value)
    elif step == "u":
        user = update.effective_user
        if user is not None:
            await board.store.opt_out(user.id)
        await send_text(update, context, lang, "ev_stopped")


async def _sign_up(update: Update, context: ContextTypes.DEFAULT_TYPE, board: ActivityBoard,
                   key: str, wanted: str) -> None:
    lang = await language_of(update, context)
    user, chat = update.effective_user, update.effective_chat
    occurrence = board.occurrence(key)
    if occurrence is None or user is None or chat is None or (
            wanted == PLACE and not occurrence.activity.signup):
        await send_text(update, context, lang, "ev_gone")
        return
    try:
        signup = await board.sign_up(occurrence, user.id, chat.id, user.first_name, lang,
                                     wanted)
    except ActivityCancelled:
        await send_text(update, context, lang, "ev_gone")
        return
    await _tell_status(update, context, board, occurrence, signup)


async def _tell_status(update: Update, context: ContextTypes.DEFAULT_TYPE,
                       board: ActivityBoard, occurrence: Occurrence, signup: Signup) -> None:
    lang = await language_of(update, context)
    pack = services(context).assistant.kb.packs[lang]
    values = {"title": occurrence.activity.title(lang), "when": board.when(occurrence, lang)}
    cancel = InlineKeyboardMarkup([[_button(pack.text("ev_button_cancel"),
                                            f"ev:c:{signup.id}")]])
    if signup.kind == WAITING:
        await send_text(update, context, lang, "ev_waiting", cancel,
                        number=str(await board.store.place_in_line(signup)), **values)
    else:
        key = "ev_signed_up" if signup.kind == PLACE else "ev_remind_set"
        await send_text(update, context, lang, key, cancel, **values)


async def _send_calendar(update: Update, context: ContextTypes.DEFAULT_TYPE,
                         board: ActivityBoard, key: str) -> None:
    lang = await language_of(update, context)
    occurrence, chat = board.occurrence(key), update.effective_chat
    if occurrence is None or chat is None:
        await send_text(update, context, lang, "ev_gone")
        return
    ics = calendar_file(occurrence, lang)
    name = f"{occurrence.activity.id}-{occurrence.starts_at:%Y%m%d}.ics"
    await context.bot.send_document(chat.id, InputFile(ics, filename=name))


async def _cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, board: ActivityBoard,
                  value: str) -> None:
    lang = await language_of(update, context)
    user, number = update.effective_user, parse_number(value)
    done = await board.cancel(number, user.id) if user and number is not None else None
    if done is None:
        await send_text(update, context, lang, "ev_my_none")
        return
    cancelled, _ = done
    await send_text(update, context, lang, "ev_cancelled_by_you",
                    title=board.title_of(cancelled.activity, lang),
                    when=board.when(cancelled, lang))


async def show_my_events(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the person signed up for, each with a cancel button."""
    lang = await language_of(update, context)
    board, user, chat = board_of(context), update.effective_user, update.effective_chat
    signups = await board.store.upcoming_for_user(user.id, board.clock()) \
        if board and user else []
    if board is None or chat is None or not signups:
        await send_text(update, context, lang, "ev_my_none")
        return
    pack = services(context).assistant.kb.packs[lang]
    await send_text(update, context, lang, "ev_my_list")
    for signup in signups:
        line = " · ".join([board.title_of(signup.activity, lang), board.when(signup, lang),
                           pack.text(f"ev_status_{signup.kind}")])
        markup = InlineKeyboardMarkup([[_button(pack.text("ev_button_cancel"),
                                                f"ev:c:{signup.id}")]])
        await context.bot.send_message(chat.id, html.escape(line, quote=False),
                                       parse_mode=ParseMode.HTML, reply_markup=markup)


# --- Announcements: opting in and out -----------------------------------------------------


async def ask_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe: offer the announcement topics (events, urgent notices, both, none)."""
    lang = await language_of(update, context)
    if board_of(context) is None:
        await send_text(update, context, lang, "ev_none")
        return
    pack = services(context).assistant.kb.packs[lang]
    markup = InlineKeyboardMarkup([
        [_button(pack.text("ev_button_topic_events"), "ev:t:10")],
        [_button(pack.text("ev_button_topic_urgent"), "ev:t:01")],
        [_button(pack.text("ev_button_topic_both"), "ev:t:11")],
        [_button(pack.text("ev_button_no_thanks"), "ev:t:00")]])
    await send_text(update, context, lang, "ev_subscribe_question", markup)


async def offer_after_answer(update: Update, context: ContextTypes.DEFAULT_TYPE,
                             reply: Reply) -> None:
    """After a person's first answered question, ask once whether they want announcements."""
    board, user, chat = board_of(context), update.effective_user, update.effective_chat
    if board is None or user is None or chat is None or reply.kind != ReplyKind.ANSWER:
        return
    if await board.store.subscription(user.id) is not None:
        return
    # Asked is remembered as "nothing chosen yet", so the question never comes twice.
    await board.store.subscribe(user.id, chat.id, reply.lang, events=False, urgent=False)
    await ask_topics(update, context)


async def _subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE, board: ActivityBoard,
                     value: str) -> None:
    lang = await language_of(update, context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or value not in ("10", "01", "11", "00"):
        return
    events, urgent = value[0] == "1", value[1] == "1"
    await board.store.subscribe(user.id, chat.id, lang, events, urgent)
    if not (events or urgent):
        await send_text(update, context, lang, "ev_not_subscribed")
        return
    pack = services(context).assistant.kb.packs[lang]
    chosen = [pack.text(key) for key, on in (("ev_button_topic_events", events),
                                             ("ev_button_topic_urgent", urgent)) if on]
    await send_text(update, context, lang, "ev_subscribed", topics=", ".join(chosen))


# --- Reminders and forgetting -----------------------------------------------------------


async def send_activity_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind people of their activity the day before, in their own language."""
    board = board_of(context)
    if board is None:
        return
    now = board.clock()
    for signup in await board.store.due_reminders(now):
        if await board.store.is_cancelled(signup.activity, signup.starts_at):
            continue
        try:
            await context.bot.send_message(signup.chat_id, board.reminder_text(signup))
        except (BadRequest, Forbidden) as exc:
            logger.warning("activity reminder %s refused (%s)", signup.id, type(exc).__name__)
        except NetworkError:
            continue  # the next run tries again
        await board.store.mark_reminded(signup.id, now)


async def forget(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """Delete the person's sign-ups and subscription; their places go to the next in line."""
    board = board_of(context)
    if board is not None:
        await board.store.forget(user_id, board.moved_up_notice)



async def purge_old_signups(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete sign-ups and delivered messages the configured number of days later."""
    board = board_of(context)
    if board is not None:
        await board.store.purge(board.clock(), services(context).retention_days)
