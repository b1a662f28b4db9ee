"""A person's side of mentoring: read about a programme, consent, answer a short profile by
taps, and later answer a proposal, the monthly check-ins and the closing questions.

Buttons carry `mt:<step>:<value>`; the sign-up so far lives in `user_data["mentoring"]`.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.core.arguments import parse_number
from bot.core.safe_text import neutralise
from bot.mentoring.office import MentoringOffice, Notice
from bot.mentoring.programmes import Programme
from bot.mentoring.vocabulary import CHOICES, MULTIPLE, TYPED
from bot.storage.mentoring import SignUp
from bot.telegram_channel.conversation import (
    NO_PREVIEW,
    language_of,
    send_text,
    services,
    user_data,
)

logger = logging.getLogger(__name__)

MAX_TYPED_CHARS = 200


def office_of(context: ContextTypes.DEFAULT_TYPE) -> MentoringOffice | None:
    """Return the mentoring office, or None when no programmes file is configured."""
    return services(context).mentoring


async def send_notices(context: ContextTypes.DEFAULT_TYPE, notices: list[Notice]) -> None:
    """Send the office's messages; one person who blocked the bot does not stop the rest."""
    for notice in notices:
        rows = [[InlineKeyboardButton(label, callback_data=data)] for label, data in
                notice.buttons]
        try:
            await context.bot.send_message(
                notice.chat_id, html.escape(notice.text, quote=False),
                parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                reply_markup=InlineKeyboardMarkup(rows) if rows else None)
        except (BadRequest, Forbidden) as exc:
            logger.warning("a mentoring message was refused (%s)", type(exc).__name__)


async def start_signup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the programmes a person can join (/mentor)."""
    lang = await language_of(update, context)
    office = office_of(context)
    if office is None or not office.programmes.programmes:
        await send_text(update, context, lang, "mt_not_available")
        return
    rows = [[InlineKeyboardButton(p.name[lang], callback_data=f"mt:p:{p.id}")]
            for p in office.programmes.programmes]
    await send_text(update, context, lang, "mt_choose_programme", InlineKeyboardMarkup(rows))


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                value: str) -> None:
    """Act on a tapped `mt:` button."""
    lang = await language_of(update, context)
    office = office_of(context)
    user = update.effective_user
    if office is None or user is None:
        await send_text(update, context, lang, "mt_not_available")
        return
    if step in ("a", "cm", "ch", "cq", "fa"):
        await _answer(context, office, user.id, step, value)
        return
    if step == "p":
        await _show_programme(update, context, office, lang, value)
        return
    if step == "r":
        programme_id, _, role = value.partition(":")
        programme = office.programmes.programme(programme_id)
        if programme is None or programme.role(role) is None:
            await send_text(update, context, lang, "booking_restart")
            return
        user_data(context)["mentoring"] = {"programme": programme_id, "role": role,
                                           "profile": {}, "index": 0}
        pack = office.kb.packs[lang]
        await send_text(update, context, lang, "mt_consent", InlineKeyboardMarkup([
            [InlineKeyboardButton(pack.text("mt_button_agree"), callback_data="mt:c:")],
            [InlineKeyboardButton(pack.text("button_cancel"), callback_data="mt:x:")]]))
        return
    state: dict[str, Any] | None = user_data(context).get("mentoring")
    if step == "x" or state is None:
        user_data(context).pop("mentoring", None)
        await send_text(update, context, lang, "mt_stopped" if step == "x" else
                        "booking_restart")
        return
    if step == "t":
        await _toggle(update, context, office, lang, state, value)
        return
    question = _current(office, state)
    if step == "v" and question is not None:
        state["profile"][question] = value
    if step in ("v", "d", "s") and question is not None:
        state["index"] += 1
    await _ask_next(update, context, office, lang, state)


async def _show_programme(update: Update, context: ContextTypes.DEFAULT_TYPE,
                          office: MentoringOffice, lang: str, programme_id: str) -> None:
    programme = office.programmes.programme(programme_id)
    if programme is None:
        await send_text(update, context, lang, "booking_restart")
        return
    low, high = programme.hours_per_month
    await send_text(update, context, lang, "mt_about", name=programme.name[lang],
                    about=programme.about[lang], months=str(programme.months),
                    hours=f"{low}–{high}")
    rows = [[InlineKeyboardButton(r.label[lang], callback_data=f"mt:r:{programme.id}:{r.id}")]
            for r in programme.roles]
    await send_text(update, context, lang, "mt_choose_role", InlineKeyboardMarkup(rows))


def _programme(office: MentoringOffice, state: dict[str, Any]) -> Programme:
    programme = office.programmes.programme(state["programme"])
    assert programme is not None
    return programme


def _current(office: MentoringOffice, state: dict[str, Any]) -> str | None:
    role = _programme(office, state).role(state["role"])
    asks = role.asks if role else ()
    return asks[state["index"]] if state["index"] < len(asks) else None


def _choices(office: MentoringOffice, state: dict[str, Any], question: str) -> tuple[str, ...]:
    programme = _programme(office, state)
    if question == "languages":
        return programme.languages
    if question == "municipality":
        return (*programme.municipalities, "other")
    return CHOICES.get(question, ())


def _markup(office: MentoringOffice, state: dict[str, Any], lang: str, question: str
            ) -> InlineKeyboardMarkup:
    pack = office.kb.packs[lang]
    chosen = state["profile"].get(question) or []
    rows = []
    for choice in _choices(office, state, question):
        label = pack.text("mt_option_other") if choice == "other" and question in (
            "municipality",) else office.label(lang, question, choice)
        if question in MULTIPLE:
            rows.append([InlineKeyboardButton(("✅ " if choice in chosen else "") + label,
                                              callback_data=f"mt:t:{choice}")])
        else:
            rows.append([InlineKeyboardButton(label, callback_data=f"mt:v:{choice}")])
    if question in MULTIPLE:
        rows.append([InlineKeyboardButton(pack.text("mt_button_ready"), callback_data="mt:d:")])
    rows.append([InlineKeyboardButton(pack.text("button_skip"), callback_data="mt:s:")])
    return InlineKeyboardMarkup(rows)


async def _toggle(update: Update, context: ContextTypes.DEFAULT_TYPE, office: MentoringOffice,
                  lang: str, state: dict[str, Any], choice: str) -> None:
    question = _current(office, state)
    if question not in MULTIPLE or choice not in _choices(office, state, question):
        return
    chosen: list[str] = state["profile"].setdefault(question, [])
    if choice in chosen:
        chosen.remove(choice)
    else:
        chosen.append(choice)
    query = update.callback_query
    if query is not None:
        try:
            await query.edit_message_reply_markup(_markup(office, state, lang, question))
        except BadRequest as exc:
            logger.info("could not update the choices (%s)", type(exc).__name__)


async def _ask_next(update: Update, context: ContextTypes.DEFAULT_TYPE,
                    office: MentoringOffice, lang: str, state: dict[str, Any]) -> None:
    question = _current(office, state)
    if question is None:
        await _finish(update, context, office, lang, state)
        return
    state["awaiting_text"] = question in TYPED
    if question in TYPED:
        pack = office.kb.packs[lang]
        await send_text(update, context, lang, f"mt_ask_{question}", InlineKeyboardMarkup(
            [[InlineKeyboardButton(pack.text("button_skip"), callback_data="mt:s:")]]))
        return
    await send_text(update, context, lang, f"mt_ask_{question}",
                    _markup(office, state, lang, question))


async def take_typed_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Use a text message as the answer to a typed profile question, if one is waiting."""
    state = (context.user_data or {}).get("mentoring")
    message = update.effective_message
    office = office_of(context)
    if not state or not state.get("awaiting_text") or message is None or not message.text \
            or office is None:
        return False
    question = _current(office, state)
    if question is not None:
        state["profile"][question] = neutralise(message.text)[:MAX_TYPED_CHARS]
        state["index"] += 1
    await _ask_next(update, context, office, await language_of(update, context), state)
    return True


async def _finish(update: Update, context: ContextTypes.DEFAULT_TYPE, office: MentoringOffice,
                  lang: str, state: dict[str, Any]) -> None:
    user, chat = update.effective_user, update.effective_chat
    user_data(context).pop("mentoring", None)
    if user is None or chat is None:
        return
    programme = _programme(office, state)
    profile = {k: v for k, v in state["profile"].items() if v not in (None, "", [])}
    stored = await office.store.sign_up(SignUp(
        programme=programme.id, role=state["role"], user_id=user.id, chat_id=chat.id,
        first_name=user.first_name, username=user.username, lang=lang, profile=profile),
        office.clock())
    if stored is None:
        await send_text(update, context, lang, "mt_already")
        return
    await office.alert_coordinators(programme, "mt_alert_signup", name=user.first_name,
                                    role=stored.role)
    await send_text(update, context, lang, "mt_signed_up", name=programme.name[lang])


async def _answer(context: ContextTypes.DEFAULT_TYPE, office: MentoringOffice, user_id: int,
                  step: str, value: str) -> None:
    parts = value.split(":")
    numbers = [parse_number(p) for p in parts[:2]]
    if numbers[0] is None:
        return
    pair_id = numbers[0]
    if step == "a":
        notices = await office.answer_proposal(pair_id, user_id, value.endswith(":1"))
    elif step == "fa" and len(parts) == 3 and numbers[1] is not None:
        notices = await office.answer_closing(pair_id, numbers[1], user_id, parts[2])
    elif len(parts) == 3 and numbers[1] is not None:
        notices = await office.answer_checkin(pair_id, numbers[1], user_id, step, parts[2])
    else:
        notices = []
    await send_notices(context, notices)


async def forget(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """Delete the person's mentoring data; their partners get a neutral notice."""
    office = office_of(context)
    if office is not None:
        await send_notices(context, await office.forget(user_id))


async def send_support(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Background job: monthly check-ins, quiet-pair alerts, closing feedback."""
    office = office_of(context)
    if office is not None:
        await send_notices(context, await office.support_due())


async def purge_old_profiles(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Background job: delete profiles and notes the configured number of days after."""
    office = office_of(context)
    if office is not None:
        await office.purge()
