"""What's on, the coordinators' side: /activities (sign-up lists with first names and
languages, attendance, cancelling an occurrence) and /announce (the text per language, an
optional activity, then a broadcast to everyone who opted in). Coordinators only, every tap.

Buttons carry `ed:<step>:<value>`; an announcement being written lives in
`user_data["announce"]`, and the coordinator's typed texts are taken by `take_text`.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.activities.board import ActivityBoard
from bot.activities.cards import format_day
from bot.core.arguments import parse_number
from bot.core.content import LanguagePack
from bot.core.languages import DEFAULT, SUPPORTED
from bot.core.safe_text import neutralise
from bot.storage.activities import PLACE, WAITING
from bot.telegram_channel.conversation import language_of, send_text, services, user_data
from bot.telegram_channel.rendering import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

MAX_ANNOUNCEMENT_CHARS = 3000
"""Per language; with the header and the note it stays within one Telegram message."""
ATTENDANCE_BUTTONS = 24


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=data)


async def _desk(update: Update, context: ContextTypes.DEFAULT_TYPE
                ) -> tuple[ActivityBoard, LanguagePack] | None:
    """Return the board and the staff language's texts for a coordinator; refuse others."""
    found, user = services(context), update.effective_user
    board, appointments = found.activities, found.appointments
    if board is not None and appointments is not None and user is not None and \
            user.id in appointments.coaches.coordinators:
        return board, found.assistant.kb.packs[board.staff_lang]
    lang = await language_of(update, context)
    await send_text(update, context, lang, "coordinators_only")
    logger.warning("refused a what's-on coordinator action from another account")
    return None


async def show_activities(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the coming two weeks with sign-up counts, and any problem in the file."""
    desk, chat = await _desk(update, context), update.effective_chat
    if desk is None or chat is None:
        return
    board, pack = desk
    lines = [html.escape(pack.text("ev_desk_title"), quote=False)]
    lines += [f"⚠️ {html.escape(problem, quote=False)}" for problem in board.source.problems]
    await context.bot.send_message(chat.id, "\n".join(lines)[:MAX_MESSAGE_CHARS],
                                   parse_mode=ParseMode.HTML)
    for occurrence in board.upcoming():
        signups = await board.store.signups(occurrence.activity.id, occurrence.starts_at)
        cancelled = await board.store.is_cancelled(occurrence.activity.id, occurrence.starts_at)
        line = pack.text("ev_desk_line", title=occurrence.activity.title(pack.lang),
                         when=board.when(occurrence, pack.lang),
                         taken=str(sum(s.kind == PLACE for s in signups)),
                         places=str(occurrence.activity.places or "–"),
                         waiting=str(sum(s.kind == WAITING for s in signups)))
        if cancelled:
            line = f"❌ {line}"
        markup = None if cancelled else InlineKeyboardMarkup([[
            _button(pack.text("ev_desk_button_list"), f"ed:l:{occurrence.key}"),
            _button(pack.text("ev_desk_button_cancel"), f"ed:x:{occurrence.key}")]])
        await context.bot.send_message(chat.id, html.escape(line, quote=False),
                                       parse_mode=ParseMode.HTML, reply_markup=markup)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                value: str) -> None:
    """Act on a tapped `ed:` button, for coordinators only."""
    query = update.callback_query
    desk = await _desk(update, context)
    if query is not None:
        await query.answer()
    if desk is None:
        return
    board, pack = desk
    if step == "l":
        await _list_signups(update, context, board, pack, value)
    elif step == "x":
        occurrence = board.occurrence(value)
        if occurrence is not None:
            count = len(await board.store.signups(occurrence.activity.id, occurrence.starts_at))
            await _say(update, context, pack, "ev_desk_cancel_confirm", InlineKeyboardMarkup(
                [[_button(pack.text("ev_desk_button_confirm_cancel"), f"ed:y:{value}")]]),
                title=occurrence.activity.title(pack.lang),
                when=board.when(occurrence, pack.lang), count=str(count))
    elif step == "y":
        occurrence = board.occurrence(value)
        if occurrence is not None:
            told = await board.cancel_occurrence(occurrence)
            await _say(update, context, pack, "ev_desk_cancelled", count=str(told))
    elif step == "a":
        number = parse_number(value)
        if number is not None and await board.store.mark_attended(number) is not None:
            await _say(update, context, pack, "ev_desk_attended")
    else:
        await _continue_announcement(update, context, board, pack, step, value)


async def _list_signups(update: Update, context: ContextTypes.DEFAULT_TYPE,
                        board: ActivityBoard, pack: LanguagePack, key: str) -> None:
    """Show first names and languages only: places in order, then the waiting list."""
    occurrence, chat = board.catalogue.occurrence(key), update.effective_chat
    if occurrence is None or chat is None:
        return
    signups = await board.store.signups(occurrence.activity.id, occurrence.starts_at)
    places = [s for s in signups if s.kind == PLACE]
    waiting = [s for s in signups if s.kind == WAITING]
    lines = [pack.text("ev_desk_list", title=occurrence.activity.title(pack.lang),
                       when=board.when(occurrence, pack.lang))]
    lines += [f"{n}. {s.first_name} ({s.lang}){' ✅' if s.attended else ''}"
              for n, s in enumerate(places, 1)] or [pack.text("ev_desk_nobody")]
    if waiting:
        lines.append(pack.text("ev_desk_waiting"))
        lines += [f"{n}. {s.first_name} ({s.lang})" for n, s in enumerate(waiting, 1)]
    buttons = [_button(pack.text("ev_desk_button_attended", name=s.first_name), f"ed:a:{s.id}")
               for s in places if not s.attended][:ATTENDANCE_BUTTONS]
    markup = InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)]) \
        if buttons else None
    text = html.escape("\n".join(lines), quote=False)[:MAX_MESSAGE_CHARS]
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


# --- Announcements ----------------------------------------------------------------------


async def start_announcement(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/announce: ask what the announcement is about."""
    desk = await _desk(update, context)
    if desk is None:
        return
    _, pack = desk
    user_data(context)["announce"] = {"texts": {}}
    await _say(update, context, pack, "ev_desk_topic", InlineKeyboardMarkup([
        [_button(pack.text("ev_button_topic_events"), "ed:t:events")],
        [_button(pack.text("ev_button_topic_urgent"), "ed:t:urgent")]]))


async def _continue_announcement(update: Update, context: ContextTypes.DEFAULT_TYPE,
                                 board: ActivityBoard, pack: LanguagePack, step: str,
                                 value: str) -> None:
    state: dict[str, Any] | None = user_data(context).get("announce")
    if state is None:
        return
    if step == "t" and value in ("events", "urgent"):
        state["topic"] = value
        rows = [[_button(f"{o.activity.title(pack.lang)} · "
                         f"{format_day(o.starts_at, pack.lang, board.catalogue.timezone)}",
                         f"ed:k:{o.key}")] for o in board.upcoming() if o.activity.signup]
        rows.append([_button(pack.text("ev_desk_no_link"), "ed:k:-")])
        await _say(update, context, pack, "ev_desk_link", InlineKeyboardMarkup(rows[-13:]))
    elif step == "k":
        state["occurrence"] = value if board.occurrence(value) is not None else None
        await _ask_next_text(update, context, pack, state)
    elif step == "n" and state.get("asking") not in (None, DEFAULT):
        state["asking"] = _after(state["asking"])
        await _ask_next_text(update, context, pack, state)
    elif step == "g" and "topic" in state and DEFAULT in state["texts"]:
        user_data(context).pop("announce", None)
        chat = update.effective_chat
        number, count = await board.broadcasts.announce(
            state["topic"], state["texts"], state.get("occurrence"),
            chat.id if chat else 0, board.clock())
        await _say(update, context, pack, "ev_desk_sending", number=str(number),
                   count=str(count))
    elif step == "q":
        user_data(context).pop("announce", None)
        await _say(update, context, pack, "ev_desk_stopped")


async def take_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Take a coordinator's typed text as the announcement in the language asked for."""
    state = (context.user_data or {}).get("announce")
    message = update.effective_message
    if not state or not state.get("asking") or message is None or not message.text:
        return False
    desk = await _desk(update, context)
    if desk is None:
        return True
    state["texts"][state["asking"]] = neutralise(message.text)[:MAX_ANNOUNCEMENT_CHARS]
    state["asking"] = _after(state["asking"])
    await _ask_next_text(update, context, desk[1], state)
    return True


def _after(lang: str) -> str | None:
    index = SUPPORTED.index(lang) + 1
    return SUPPORTED[index] if index < len(SUPPORTED) else None


async def _ask_next_text(update: Update, context: ContextTypes.DEFAULT_TYPE,
                         pack: LanguagePack, state: dict[str, Any]) -> None:
    """Ask for the next language's text (plain Finnish first), or show what is ready."""
    packs = services(context).assistant.kb.packs
    if "asking" not in state:
        state["asking"] = DEFAULT
        await _say(update, context, pack, "ev_desk_ask_finnish")
        return
    asking = state["asking"]
    if asking is not None:
        await _say(update, context, pack, "ev_desk_ask_text", InlineKeyboardMarkup(
            [[_button(pack.text("button_skip"), "ed:n:")]]),
            language=packs[asking].language_name)
        return
    board = services(context).activities
    assert board is not None
    written = [packs[code].language_name for code in SUPPORTED if code in state["texts"]]
    missing = [packs[code].language_name for code in SUPPORTED if code not in state["texts"]]
    await _say(update, context, pack, "ev_desk_preview", InlineKeyboardMarkup([
        [_button(pack.text("ev_desk_button_send"), "ed:g:")],
        [_button(pack.text("button_cancel"), "ed:q:")]]),
        count=str(await board.broadcasts.audience(state["topic"])),
        written=", ".join(written), missing=", ".join(missing) or "–")


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, pack: LanguagePack,
               key: str, markup: InlineKeyboardMarkup | None = None, **values: str) -> None:
    await send_text(update, context, pack.lang, key, markup, **values)
