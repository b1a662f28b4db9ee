"""What the bot does for each thing a person sends. Each handler reads the update, makes one
core call, and renders the result."""

from __future__ import annotations

import html
import logging
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import NetworkError
from telegram.ext import ContextTypes

from bot.core.languages import SUPPORTED, from_telegram_code
from bot.core.replies import Action, Button, Message
from bot.telegram_channel import (
    booking_flow,
    coach_desk,
    counting,
    duty_chat,
    mentoring_desk,
    mentoring_flow,
    whats_on,
    whats_on_desk,
)
from bot.telegram_channel.conversation import (
    language_of,
    send_text,
    services,
    user_data,
)
from bot.telegram_channel.rendering import (
    LANGUAGE_ACTION,
    keyboard,
    language_keyboard,
    parse_callback_data,
)

logger = logging.getLogger(__name__)

LONG_MESSAGE_CHARS = 1000
"""Past this, the reply says that only the beginning was read."""


def _language_names(context: ContextTypes.DEFAULT_TYPE) -> dict[str, str]:
    packs = services(context).assistant.kb.packs
    return {code: packs[code].language_name for code in SUPPORTED}


# --- Commands -------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, say what the bot does, and offer the language picker; a deep link picks one."""
    user = update.effective_user
    chosen = context.args[0].lower() if context.args else ""
    if user is not None and chosen in SUPPORTED:
        await services(context).database.set_language(user.id, chosen)
        await _welcome(update, context, chosen)
        return
    if await coach_desk.greet_staff(update, context, "staff_start"):
        return
    stored = await services(context).database.language_of(user.id) if user else None
    lang = stored or from_telegram_code(user.language_code if user else None)
    if lang is None:
        await choose_language_prompt(update, context)
        return
    await send_text(update, context, lang, "intro",
                    language_keyboard(_language_names(context)))


async def choose_language_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the language picker with its prompt in every language."""
    chat = update.effective_chat
    if chat is None:
        return
    packs = services(context).assistant.kb.packs
    prompt = "\n".join(html.escape(packs[code].text("choose_language"), quote=False)
                       for code in SUPPORTED)
    await context.bot.send_message(chat.id, prompt, parse_mode=ParseMode.HTML,
                                   reply_markup=language_keyboard(_language_names(context)))


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the category menu."""
    lang = await language_of(update, context)
    menu = services(context).assistant.menu(lang)
    office = services(context).mentoring
    if office is not None and office.programmes.programmes:  # mentoring, where it exists
        label = services(context).assistant.kb.packs[lang].text("button_mentoring")
        menu = replace(menu, buttons=(*menu.buttons, (Button(label, Action.MENTORING),)))
    await duty_chat.send_with_chat_offer(update, context,
                                         whats_on.with_events_button(context, menu))


async def show_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what is stored, why, for how long and who sees it."""
    lang = await language_of(update, context)
    await send_text(update, context, lang, "privacy",
                    retention_days=str(services(context).retention_days))
    await send_text(update, context, lang, "privacy_questions",
                    question_days=str(services(context).unanswered_days))
    duty_note = duty_chat.privacy_note(context, lang)
    if duty_note is not None:
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, duty_note)
    office = services(context).mentoring
    if office is not None:
        await send_text(update, context, lang, "mt_privacy",
                        days=str(office.retention_days))
    if whats_on.board_of(context) is not None:
        await send_text(update, context, lang, "privacy_whats_on",
                        days=str(services(context).retention_days))


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to use the bot (to a coach: the coaches' commands; to a mentoring
    coordinator also the desk's); /mentor and /events are listed only where they exist."""
    office, user = services(context).mentoring, update.effective_user
    if not await coach_desk.greet_staff(update, context, "staff_help"):
        lang = await language_of(update, context)
        pack, chat = services(context).assistant.kb.packs[lang], update.effective_chat
        extras = [key for key, on in (("help_mentoring", office is not None),
                                      ("help_events", whats_on.board_of(context) is not None))
                  if on]
        if not extras:
            await send_text(update, context, lang, "help")
        elif chat is not None:
            await context.bot.send_message(chat.id, "\n".join(
                [pack.text("help").rstrip("\n"), *(pack.text(key) for key in extras)]))
    if office is not None and user is not None and office.programmes.coordinated_by(user.id):
        await send_text(update, context, office.staff_lang, "staff_help_mentoring")


# --- Messages -------------------------------------------------------------------------------


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message (or an edited one); during a booking it may be the coach's note."""
    message = update.effective_message
    if message is None or not message.text:
        return
    if await booking_flow.take_note(update, context):
        return
    if await mentoring_flow.take_typed_answer(update, context):
        return
    if await mentoring_desk.take_note(update, context):
        return
    if await whats_on_desk.take_text(update, context):
        return
    lang = await language_of(update, context)
    user = update.effective_user
    reply = await services(context).assistant.handle(
        Message(message.text, lang, str(user.id) if user else None))
    if reply.topic and services(context).assistant.kb.has_topic(reply.topic):
        user_data(context)["last_topic"] = reply.topic
    if user is not None and services(context).appointments is not None:
        # The coach sees a person's last few questions with their booking (purged later).
        await services(context).store.remember_question(
            user.id, message.text, str(reply.kind), reply.topic)
    note = None
    if len(message.text) > LONG_MESSAGE_CHARS:
        pack = services(context).assistant.kb.packs[reply.lang]
        note = html.escape(pack.text("too_long"), quote=False)
    await duty_chat.send_with_chat_offer(update, context, reply, note)
    await counting.count_message(update, context, message.text, reply)  # after: no delay
    await whats_on.offer_after_answer(update, context, reply)  # once, after a first answer


async def press_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Act on a tapped button: a topic, a category, plain Finnish, feedback, a language."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback_data(query.data)
    if parsed is None:
        await query.answer()
        return
    action, value = parsed
    database = services(context).database
    if action == LANGUAGE_ACTION and value in SUPPORTED:
        await query.answer()
        await database.set_language(query.from_user.id, value)
        await _welcome(update, context, value)
        return
    if action == "al":  # a coach's alert buttons; answered by the coach desk itself
        step, _, rest = value.partition(":")
        await coach_desk.handle_alert_button(update, context, step, rest)
        return
    if action == "dc":  # the duty chat's buttons (person and staff); answered there
        await duty_chat.press(update, context, value)
        return
    if action == "md":  # the mentoring coordinators' desk; it answers (or refuses) itself
        step, _, rest = value.partition(":")
        await mentoring_desk.press(update, context, step, rest)
        return
    if action == "ed":  # the what's-on coordinators' desk; it answers (or refuses) itself
        step, _, rest = value.partition(":")
        await whats_on_desk.press(update, context, step, rest)
        return
    lang = await language_of(update, context)
    assistant = services(context).assistant
    if action in (Action.HELPED, Action.NOT_HELPED) and assistant.kb.has_topic(value):
        await database.record_feedback(value, lang, action == Action.HELPED)
        if action == Action.NOT_HELPED:
            await counting.keep_unhelpful(update, context, value, lang)
        await query.answer(assistant.kb.packs[lang].text("feedback_thanks"))
        return
    await query.answer()
    step, _, rest = value.partition(":")
    if action == "bk":
        await booking_flow.continue_booking(update, context, step, rest)
        return
    if action == "mt":
        await mentoring_flow.press(update, context, step, rest)
        return
    if action == "mb":
        await booking_flow.change_booking(update, context, step, rest)
        return
    if action == "ev":
        await whats_on.press(update, context, step, rest)
        return
    if action == Action.EVENTS:
        await whats_on.show_events(update, context)
        return
    if action == "ct" and step == "yes":
        await booking_flow.let_a_coach_contact(update, context)
        return
    if action == "fg":
        if step == "yes":
            await duty_chat.forget_person(update, context)
            await booking_flow.forget_me(update, context)
        return
    if action == Action.COACH:
        await booking_flow.start_booking(update, context)
        return
    if action == Action.CONTACT_ME:
        await booking_flow.ask_consent_to_contact(update, context)
        return
    if action == Action.MENTORING:
        await mentoring_flow.start_signup(update, context)
        return
    if action == Action.CHAT:
        await duty_chat.start_chat(update, context)
        return
    reply = whats_on.with_events_button(context, assistant.press(Action(action), value, lang))
    await duty_chat.send_with_chat_offer(update, context, reply)
    if action == Action.TOPIC:
        await counting.count_tap(update, context, reply)


async def _welcome(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    assistant = services(context).assistant
    await send_text(update, context, lang, "language_set")
    menu = whats_on.with_events_button(context, assistant.menu(lang))
    await send_text(update, context, lang, "intro", keyboard(menu.buttons))


async def answer_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say kindly that the bot can't listen, and offer a coach who can (and will hear it)."""
    message = update.effective_message
    if message is not None and (message.voice or message.audio or message.video_note):
        user_data(context)["voice_message"] = message.message_id  # forwarded with a booking
    await _media_reply(update, context, "voice_message")


async def answer_picture(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say that the bot can't read pictures or documents, and offer a coach."""
    await _media_reply(update, context, "photo")


async def answer_sticker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a sticker with a smile and the menu."""
    lang = await language_of(update, context)
    await send_text(update, context, lang, "sticker",
                    keyboard(services(context).assistant.menu(lang).buttons))


async def answer_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the bot does not need a location, and where the guidance point is."""
    await send_text(update, context, await language_of(update, context), "location")


async def answer_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say that the bot does not know this command, and point to /help."""
    await send_text(update, context, await language_of(update, context), "unknown_command")


async def answer_anything_else(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for text when a person sends something the bot cannot read."""
    await _media_reply(update, context, "unsupported")


async def _media_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    lang = await language_of(update, context)
    pack = services(context).assistant.kb.packs[lang]
    await send_text(update, context, lang, key, keyboard((
        (Button(pack.text("button_coach"), Action.COACH),),
        (Button(pack.text("button_menu"), Action.MENU),))))


async def invite_to_private_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, explain that questions belong in a private chat, with a link to one."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    lang = await language_of(update, context)
    username = context.bot.username
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(
        "💬 " + context.bot.first_name, url=f"https://t.me/{username}?start={lang}")]])
    await send_text(update, context, lang, "group_chat", markup)


async def note_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every update that arrives is contact with Telegram (the webhook's only sign of life)."""
    watchdog = services(context).watchdog
    if watchdog is not None:
        watchdog.contact()


# --- Errors ---------------------------------------------------------------------------------


async def apologise_for_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error without personal data, and tell the person something went wrong."""
    error = context.error
    if not isinstance(update, Update) and isinstance(error, NetworkError):
        # The updater retries polling by itself; a passing network error is no bug.
        logger.warning("polling for updates failed (%s); retrying", type(error).__name__)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("error while handling update %s: %s", update_id, type(error).__name__,
                 exc_info=(type(error), error, error.__traceback__) if error else None)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        lang = await language_of(update, context)
        await send_text(update, context, lang, "error")
    except Exception:  # the apology must never raise in its turn
        logger.exception("could not send the apology for update %s", update_id)
