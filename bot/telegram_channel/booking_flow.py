"""The client's side of booking a coach: choose, book, see, move, cancel; consent and forget.

Buttons carry `bk:<step>:<value>`; the choices so far live in `user_data["booking"]`. If the
bot restarted mid-way, the person is asked kindly to start again.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.booking.formatting import appointment_card, calendar_file, format_slot_button, format_when
from bot.booking.slots import Slot
from bot.core.arguments import parse_number
from bot.core.languages import BABEL_LOCALES
from bot.core.safe_text import neutralise
from bot.storage.bookings import BookingCapReached, BookingRequest, SlotTaken, iso, parse_iso
from bot.storage.usage import DESCRIPTIONS
from bot.telegram_channel import mentoring_flow, whats_on
from bot.telegram_channel.conversation import language_of, send_text, services, user_data

logger = logging.getLogger(__name__)

MAX_NOTE_CHARS = 300


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label, callback_data=data)]


async def start_booking(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Begin booking: say when humans are available, then ask for the meeting language."""
    lang = await language_of(update, context)
    appointments = services(context).appointments
    if appointments is None:
        await send_text(update, context, lang, "booking_not_available")
        return
    pack = services(context).assistant.kb.packs[lang]
    user = update.effective_user
    if user is not None and await appointments.at_cap(user.id):
        # Said at the first step, not after six taps: moving a booking is the way on.
        await send_text(update, context, lang, "booking_cap",
                        count=str(appointments.coaches.max_upcoming_per_person))
        return
    user_data(context)["booking"] = {"topic": user_data(context).get("last_topic")}
    if not appointments.coaches.working_now(appointments.clock()):
        following = appointments.next_human_time()
        if following is not None:
            await send_text(update, context, lang, "humans_next", when=format_when(
                following, lang, appointments.coaches.timezone))
    options = appointments.meeting_options(lang)
    rows = []
    for code, interpreter in options:
        name = services(context).assistant.kb.packs[code].language_name
        label = pack.text("booking_with_interpreter", language=name) if interpreter else name
        rows.append(_button(label, f"bk:l:{code}:{int(interpreter)}"))
    if options and options[0][1]:
        own = Locale.parse(BABEL_LOCALES[lang]).languages.get(lang, pack.language_name)
        await send_text(update, context, lang, "booking_no_coach_language", language=own)
    await send_text(update, context, lang, "booking_language", InlineKeyboardMarkup(rows))


async def continue_booking(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                           value: str) -> None:
    """Take the next booking step for a tapped `bk:` button."""
    lang = await language_of(update, context)
    appointments = services(context).appointments
    state: dict[str, Any] | None = user_data(context).get("booking")
    if appointments is None or state is None:
        await send_text(update, context, lang, "booking_restart")
        return
    pack = services(context).assistant.kb.packs[lang]
    if step == "x":
        user_data(context).pop("booking", None)
        await send_text(update, context, lang, "booking_stopped")
    elif step == "l":
        code, _, interpreter = value.partition(":")
        if (code, interpreter == "1") not in appointments.meeting_options(lang):
            await send_text(update, context, lang, "booking_restart")
            return
        state.update(meeting_lang=code, interpreter=interpreter == "1")
        modes = appointments.modes_for(code)
        rows = [_button(pack.text(f"mode_{m}"), f"bk:m:{m}") for m in modes]
        await send_text(update, context, lang, "booking_mode", InlineKeyboardMarkup(rows))
    elif step == "m":
        if value not in appointments.modes_for(state.get("meeting_lang", "")):
            await send_text(update, context, lang, "booking_restart")
            return
        state["mode"] = value
        topic = state.get("topic")
        kb = services(context).assistant.kb
        rows = [_button(kb.title(topic, lang), f"bk:t:{topic}")] if topic and \
            kb.has_topic(topic) else []
        rows.append(_button(pack.text("booking_topic_other"), "bk:t:-"))
        await send_text(update, context, lang, "booking_topic", InlineKeyboardMarkup(rows))
    elif step == "t":
        known = services(context).assistant.kb.has_topic(value)
        state["topic"] = value if known else None
        state["awaiting_note"] = True
        await send_text(update, context, lang, "booking_note",
                        InlineKeyboardMarkup([_button(pack.text("button_skip"), "bk:n:")]))
    elif step == "n":
        state["awaiting_note"] = False
        await ask_what_describes(update, context)
    elif step == "d":
        state["describes"] = value if value in DESCRIPTIONS else "rather_not"
        await offer_times(update, context)
    elif step == "s":
        await _confirm(update, context, state, value)
    elif step == "c":
        await _book(update, context, state)


async def take_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Use a text message as the note for the coach, if the booking is waiting for one."""
    state = user_data(context).get("booking")
    message = update.effective_message
    if not state or not state.get("awaiting_note") or message is None or not message.text:
        return False
    state["note"] = neutralise(message.text)[:MAX_NOTE_CHARS]
    state["awaiting_note"] = False
    await ask_what_describes(update, context)
    return True


async def ask_what_describes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask the optional 'which describes you best' (the ESR start form's groups); skippable.

    The answer is only counted, per month, when the booking is made: never stored with it.
    """
    lang = await language_of(update, context)
    pack = services(context).assistant.kb.packs[lang]
    rows = [_button(pack.text(f"describe_{choice}"), f"bk:d:{choice}") for choice in DESCRIPTIONS]
    await send_text(update, context, lang, "describe_question", InlineKeyboardMarkup(rows))


async def offer_times(update: Update, context: ContextTypes.DEFAULT_TYPE,
                      intro: str = "booking_times") -> None:
    """Offer the earliest free times as buttons, in the person's language and Finnish time."""
    lang = await language_of(update, context)
    appointments = services(context).appointments
    state = user_data(context).get("booking")
    if appointments is None or not state or "mode" not in state:
        await send_text(update, context, lang, "booking_restart")
        return
    slots = await appointments.free_slots(state["meeting_lang"], state["mode"])
    if not slots:
        await send_text(update, context, lang, "booking_no_times")
        return
    state["slots"] = [(s.coach_id, iso(s.starts_at), iso(s.ends_at)) for s in slots]
    zone = appointments.coaches.timezone
    rows = [_button(format_slot_button(s.starts_at, lang, zone), f"bk:s:{i}")
            for i, s in enumerate(slots)]
    pack = services(context).assistant.kb.packs[lang]
    rows.append(_button(pack.text("button_cancel"), "bk:x:"))
    await send_text(update, context, lang, intro, InlineKeyboardMarkup(rows))


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                   value: str) -> None:
    lang = await language_of(update, context)
    appointments = services(context).appointments
    assert appointments is not None
    index = parse_number(value)
    slots = state.get("slots") or []
    if index is None or index >= len(slots):
        await send_text(update, context, lang, "booking_restart")
        return
    coach_id, starts, ends = slots[index]
    state["chosen"] = (coach_id, starts, ends)
    coach = appointments.coaches.coach(coach_id)
    pack = services(context).assistant.kb.packs[lang]
    rows = [_button(pack.text("button_confirm"), "bk:c:"),
            _button(pack.text("button_cancel"), "bk:x:")]
    await send_text(update, context, lang, "booking_confirm", InlineKeyboardMarkup(rows),
                    when=format_when(parse_iso(starts), lang, appointments.coaches.timezone),
                    mode=pack.text(f"mode_{state['mode']}"),
                    coach=coach.name if coach else "")


async def _book(update: Update, context: ContextTypes.DEFAULT_TYPE,
                state: dict[str, Any]) -> None:
    lang = await language_of(update, context)
    appointments = services(context).appointments
    user, chat = update.effective_user, update.effective_chat
    assert appointments is not None
    if "chosen" not in state or user is None or chat is None:
        await send_text(update, context, lang, "booking_restart")
        return
    coach_id, starts, ends = state["chosen"]
    slot = Slot(parse_iso(starts), coach_id, parse_iso(ends))
    try:
        if not await appointments.still_free(slot):
            raise SlotTaken
        if "reschedule" in state:
            old = await appointments.store.get(state["reschedule"])
            if old is None or old.user_id != user.id:
                raise LookupError
            booking = await appointments.reschedule(old, slot)
        else:
            booking = await appointments.book(BookingRequest(
                user_id=user.id, chat_id=chat.id, first_name=user.first_name, lang=lang,
                meeting_lang=state["meeting_lang"], interpreter=state["interpreter"],
                voice=int(user_data(context).get("voice_message", 0)),
                mode=state["mode"], topic=state.get("topic"), note=state.get("note"),
                slot=slot))
    except SlotTaken:
        await offer_times(update, context, intro="booking_taken")
        return
    except BookingCapReached:
        await send_text(update, context, lang, "booking_cap",
                        count=str(appointments.coaches.max_upcoming_per_person))
        return
    except LookupError:
        await send_text(update, context, lang, "booking_restart")
        return
    user_data(context).pop("booking", None)
    if "reschedule" not in state:
        # Counted for the month, not the day, so that it cannot be matched with the booking.
        usage = services(context).usage
        await usage.count("describes", detail=state.get("describes") or "rather_not",
                          day=usage.today().replace(day=1))
    await send_card(update, context, booking.id)


async def send_card(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int) -> None:
    """Send the appointment card in two languages, and the calendar file."""
    appointments = services(context).appointments
    chat = update.effective_chat
    assert appointments is not None
    booking = await appointments.store.get(booking_id)
    if booking is None or chat is None:
        return
    kb = services(context).assistant.kb
    coach = appointments.coaches.coach(booking.coach_id)
    coach_name, link = (coach.name, coach.video_link) if coach else ("", None)
    address = kb.profile.address if kb.profile else ""
    card = appointment_card(booking, coach_name, kb.packs[booking.lang], kb.packs["fi"],
                            address, appointments.coaches.timezone, link)
    await context.bot.send_message(chat.id, html.escape(card, quote=False),
                                   parse_mode=ParseMode.HTML)
    ics = calendar_file(booking, coach_name, kb.packs[booking.lang], address, link)
    await context.bot.send_document(chat.id, InputFile(ics, filename=f"appointment-{booking.id}"
                                                       ".ics"))


# --- My bookings ----------------------------------------------------------------------------


async def show_my_bookings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the person's upcoming appointments with buttons to move or cancel each."""
    lang = await language_of(update, context)
    appointments = services(context).appointments
    user = update.effective_user
    if appointments is None or user is None:
        await send_text(update, context, lang, "booking_not_available")
        return
    upcoming = await appointments.store.upcoming_for_user(user.id, appointments.clock())
    if not upcoming:
        await send_text(update, context, lang, "mybooking_none")
        return
    pack = services(context).assistant.kb.packs[lang]
    await send_text(update, context, lang, "mybooking_list")
    for booking in upcoming:
        when = format_when(booking.starts_at, lang, appointments.coaches.timezone)
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(pack.text("button_move"), callback_data=f"mb:r:{booking.id}"),
            InlineKeyboardButton(pack.text("button_cancel_booking"),
                                 callback_data=f"mb:c:{booking.id}")]])
        await context.bot.send_message(
            update.effective_chat.id if update.effective_chat else user.id,
            f"#{booking.id} · {html.escape(when)} · "
            f"{html.escape(pack.text('mode_' + booking.mode))}",
            parse_mode=ParseMode.HTML, reply_markup=markup)


async def change_booking(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                         value: str) -> None:
    """Cancel (`c`) or move (`r`) one of the person's bookings."""
    lang = await language_of(update, context)
    appointments = services(context).appointments
    user = update.effective_user
    number = parse_number(value)
    if appointments is None or user is None or number is None:
        await send_text(update, context, lang, "booking_restart")
        return
    booking = await appointments.store.get(number)
    if booking is None or booking.user_id != user.id or booking.status != "active":
        await send_text(update, context, lang, "mybooking_none")
        return
    if step == "c":
        await appointments.cancel(booking)
        await send_text(update, context, lang, "booking_cancelled", when=format_when(
            booking.starts_at, lang, appointments.coaches.timezone))
        return
    user_data(context)["booking"] = {
        "reschedule": booking.id, "meeting_lang": booking.meeting_lang,
        "interpreter": booking.interpreter, "mode": booking.mode, "topic": booking.topic}
    await offer_times(update, context)


# --- Consent to be contacted, and forgetting ------------------------------------------------


async def ask_consent_to_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a crisis reply: ask whether a coach may write to the person."""
    lang = await language_of(update, context)
    if services(context).appointments is None:
        await send_text(update, context, lang, "booking_not_available")
        return
    pack = services(context).assistant.kb.packs[lang]
    await send_text(update, context, lang, "contact_me_confirm", InlineKeyboardMarkup(
        [_button(pack.text("button_yes_contact"), "ct:yes:")]))


async def let_a_coach_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """With the person's consent, alert the coaches on duty and the coordinator, once."""
    lang = await language_of(update, context)
    appointments = services(context).appointments
    user = update.effective_user
    if update.callback_query is not None:
        try:  # the yes button is used up: a second tap must not alert anyone again
            await update.callback_query.edit_message_reply_markup(reply_markup=None)
        except BadRequest as exc:
            logger.info("could not remove the contact button (%s)", type(exc).__name__)
    if appointments is None or user is None:
        return
    if not await appointments.request_contact(user.id, user.first_name, lang):
        await send_text(update, context, lang, "contact_me_already")
        return
    await services(context).usage.count("contact_request", lang=lang)
    if appointments.coaches.working_now(appointments.clock()):
        await send_text(update, context, lang, "contact_me_done")
        return
    following = appointments.next_human_time()
    await send_text(update, context, lang, "contact_me_done_later", when=format_when(
        following, lang, appointments.coaches.timezone) if following else "–")


async def ask_to_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before deleting everything about the person."""
    lang = await language_of(update, context)
    pack = services(context).assistant.kb.packs[lang]
    await send_text(update, context, lang, "forget_confirm", InlineKeyboardMarkup([
        _button(pack.text("button_forget"), "fg:yes:"),
        _button(pack.text("button_cancel"), "fg:no:")]))


async def forget_me(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete every row about the person; their coaches get an anonymous cancellation."""
    lang = await language_of(update, context)
    user = update.effective_user
    if user is None:
        return
    appointments = services(context).appointments
    store = services(context).store
    if appointments is None:
        await store.forget(user.id, lambda booking: [])
    else:  # the coaches' earlier alerts about the person are edited to leave them out
        await store.forget(user.id, appointments.cancellation_notice,
                           appointments.blanked_alert)
    await mentoring_flow.forget(context, user.id)
    await whats_on.forget(context, user.id)
    user_data(context).clear()
    await send_text(update, context, lang, "forget_done")
