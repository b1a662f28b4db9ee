"""The coordinators' desk: /mentoring for a programme's coordinators only. New sign-ups,
interviews (booked as appointments, with their reminders), outcomes with a private note,
match suggestions with reasons, proposals, pairs to end or re-match, and the figures.

Buttons carry `md:<step>:<value>`; every tap is checked against the programme's coordinators.
"""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.booking.formatting import format_slot_button, format_when
from bot.booking.slots import Slot
from bot.core.arguments import parse_number
from bot.core.safe_text import neutralise, user_text_html
from bot.mentoring.office import MentoringOffice
from bot.mentoring.programmes import Programme
from bot.mentoring.reporting import figures, report_lines
from bot.mentoring.vocabulary import END_REASONS, OUTCOMES
from bot.storage.bookings import BookingCapReached, BookingRequest, SlotTaken, iso, parse_iso
from bot.storage.mentoring import Participant
from bot.telegram_channel.conversation import language_of, send_text, services, user_data
from bot.telegram_channel.mentoring_flow import office_of, send_notices

logger = logging.getLogger(__name__)
MAX_NOTE_CHARS = 500


def _buttons(*rows: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]
                                 for label, data in rows])


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, html_text: str,
                markup: InlineKeyboardMarkup | None = None) -> None:
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, html_text, parse_mode=ParseMode.HTML,
                                       reply_markup=markup)


async def open_desk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show each programme the sender coordinates, with its queues; `stats` shows figures."""
    office, user = office_of(context), update.effective_user
    mine = office.programmes.coordinated_by(user.id) if office and user else ()
    if office is None or not mine:
        await send_text(update, context, await language_of(update, context), "mt_desk_only")
        logger.warning("refused /mentoring from someone who coordinates no programme")
        return
    if context.args and context.args[0].lower() == "stats":
        for programme in mine:
            await _stats(update, context, office, programme)
        return
    pack = office.staff_pack()
    for programme in mine:
        new = await office.store.participants(programme.id, ["new", "not_now"])
        seekers = await office.store.participants(programme.id, ["accepted"],
                                                  programme.seeker().id)
        pairs = await office.store.pairs(programme.id, ["proposed", "active"])
        await _send(update, context, f"<b>{html.escape(programme.name[office.staff_lang])}</b>",
                    _buttons((pack.text("mt_desk_signups", count=str(len(new))),
                              f"md:n:{programme.id}"),
                             (pack.text("mt_desk_matching", count=str(len(seekers))),
                              f"md:m:{programme.id}"),
                             (pack.text("mt_desk_pairs", count=str(len(pairs))),
                              f"md:p:{programme.id}"),
                             (pack.text("mt_desk_stats"), f"md:s:{programme.id}")))


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                value: str) -> None:
    """Act on a tapped `md:` button, for the programme's coordinators only."""
    query, office = update.callback_query, office_of(context)
    if query is None:
        return
    programme = await _programme_of(office, step, value) if office else None
    if office is None or programme is None or not programme.is_coordinator(query.from_user.id):
        lang = await language_of(update, context)
        await query.answer(services(context).assistant.kb.packs[lang].text("mt_desk_only"),
                           show_alert=True)
        logger.warning("refused a coordinator's button from someone else")
        return
    await query.answer()
    head, _, rest = value.partition(":")
    number = parse_number(head)
    if step == "n":
        await _list_signups(update, context, office, programme)
    elif step == "m":
        await _list_matches(update, context, office, programme)
    elif step == "p":
        await _list_pairs(update, context, office, programme)
    elif step == "s":
        await _stats(update, context, office, programme)
    elif step == "i" and number is not None:
        await _offer_interview(update, context, office, programme, number)
    elif step == "b" and number is not None:
        await _book_interview(update, context, office, number, parse_number(rest))
    elif step == "o" and number is not None and rest in OUTCOMES:
        await _record_outcome(update, context, office, number, rest)
    elif step == "r" and number is not None and parse_number(rest) is not None:
        await _propose(update, context, office, programme, number, int(rest))
    elif step == "e" and number is not None:
        pack = office.staff_pack()
        await _send(update, context, html.escape(pack.text("mt_desk_end_why")), _buttons(
            *((pack.text(f"mt_end_{r}"), f"md:q:{number}:{r}") for r in END_REASONS)))
    elif step == "q" and number is not None and rest in END_REASONS:
        await send_notices(context, await office.end_pair(number, rest, rematch=False))
        await send_text(update, context, office.staff_lang, "mt_desk_ended")
    elif step == "x" and number is not None:
        await _rematch(update, context, office, programme, number)


async def _rematch(update: Update, context: ContextTypes.DEFAULT_TYPE, office: MentoringOffice,
                   programme: Programme, pair_id: int) -> None:
    """End a pair so its seeker gets a new partner; show the seeker's new suggestions."""
    notices = await office.end_pair(pair_id, "rematch", rematch=True)
    pair = await office.store.pair(pair_id)
    seeker = await office.store.participant(pair.seeker_id) if pair and notices else None
    if seeker is None:
        await send_text(update, context, office.staff_lang, "booking_restart")
        return
    await send_notices(context, notices)
    await send_text(update, context, office.staff_lang, "mt_desk_rematched",
                    name=seeker.first_name)
    await _list_matches(update, context, office, programme, only=seeker.id)


async def _programme_of(office: MentoringOffice, step: str, value: str) -> Programme | None:
    """Find the programme a button is about: by id, by participant or by pair."""
    head = value.partition(":")[0]
    number = parse_number(head)
    if step in ("n", "m", "p", "s"):
        return office.programmes.programme(head)
    if step in ("i", "b", "o", "r") and number is not None:
        found = await office.store.participant(number)
        return office.programmes.programme(found.programme) if found else None
    if step in ("e", "q", "x") and number is not None:
        pair = await office.store.pair(number)
        return office.programmes.programme(pair.programme) if pair else None
    return None


def _who(participant: Participant) -> str:
    return (f"#{participant.id} <a href=\"tg://user?id={participant.user_id}\">"
            f"{user_text_html(participant.first_name[:64])}</a>")


async def _list_signups(update: Update, context: ContextTypes.DEFAULT_TYPE,
                        office: MentoringOffice, programme: Programme) -> None:
    pack = office.staff_pack()
    waiting = await office.store.participants(programme.id, ["new", "not_now"])
    if not waiting:
        await send_text(update, context, office.staff_lang, "mt_desk_nothing")
    for person in waiting:
        lines = [f"<b>{_who(person)}</b> · {html.escape(person.role)} · "
                 f"{html.escape(person.lang)} · {html.escape(person.status)}",
                 office.profile_text(person, office.staff_lang)]
        if person.note:
            lines.append(f"📝 {user_text_html(person.note)}")
        await _send(update, context, "\n".join(lines), _buttons(
            (pack.text("mt_desk_interview"), f"md:i:{person.id}"),
            *((pack.text(f"mt_outcome_{o}"), f"md:o:{person.id}:{o}") for o in OUTCOMES)))


async def _offer_interview(update: Update, context: ContextTypes.DEFAULT_TYPE,
                           office: MentoringOffice, programme: Programme,
                           participant_id: int) -> None:
    appointments = services(context).appointments
    if appointments is None:
        await send_text(update, context, office.staff_lang, "booking_not_available")
        return
    slots = await appointments.free_slots_of(programme.interviewers, limit=6)
    if not slots:
        await send_text(update, context, office.staff_lang, "booking_no_times")
        return
    user_data(context)["mt_slots"] = [(s.coach_id, iso(s.starts_at), iso(s.ends_at))
                                      for s in slots]
    zone = appointments.coaches.timezone
    await send_text(update, context, office.staff_lang, "mt_desk_pick_time", _buttons(
        *((format_slot_button(s.starts_at, office.staff_lang, zone) + " · " + s.coach_id,
           f"md:b:{participant_id}:{i}") for i, s in enumerate(slots))))


async def _book_interview(update: Update, context: ContextTypes.DEFAULT_TYPE,
                          office: MentoringOffice, participant_id: int,
                          index: int | None) -> None:
    appointments = services(context).appointments
    slots = user_data(context).get("mt_slots") or []
    person = await office.store.participant(participant_id)
    if appointments is None or person is None or index is None or index >= len(slots):
        await send_text(update, context, office.staff_lang, "booking_restart")
        return
    coach_id, starts, ends = slots[index]
    coach = appointments.coaches.coach(coach_id)
    meeting_lang = person.lang if coach and person.lang in coach.languages else "fi"
    programme = office.programmes.programme(person.programme)
    try:
        booking = await appointments.book(BookingRequest(
            user_id=person.user_id, chat_id=person.chat_id, first_name=person.first_name,
            lang=person.lang, meeting_lang=meeting_lang, interpreter=False, voice=0,
            mode="visit", topic=None, note=(programme.name["en"] if programme else None),
            slot=Slot(parse_iso(starts), coach_id, parse_iso(ends))))
    except (SlotTaken, BookingCapReached):
        await send_text(update, context, office.staff_lang, "booking_taken")
        return
    await office.store.record_interview(person.id, booking.id, office.clock())
    zone = appointments.coaches.timezone
    pack = office.kb.packs[person.lang]
    await send_notices(context, [office.notice(person, pack.text(
        "mt_interview_booked", when=format_when(booking.starts_at, person.lang, zone),
        coach=coach.name if coach else ""))])
    await send_text(update, context, office.staff_lang, "mt_desk_interview_booked",
                    when=format_when(booking.starts_at, office.staff_lang, zone),
                    number=str(booking.id))


async def _record_outcome(update: Update, context: ContextTypes.DEFAULT_TYPE,
                          office: MentoringOffice, participant_id: int, outcome: str) -> None:
    person = await office.store.record_outcome(participant_id, outcome, office.clock())
    if person is None:
        await send_text(update, context, office.staff_lang, "booking_restart")
        return
    if outcome == "accepted":
        await send_notices(context, [office.notice(person, office.kb.packs[person.lang].text(
            "mt_accepted"))])
    user_data(context)["mt_note_for"] = person.id
    await send_text(update, context, office.staff_lang, "mt_desk_outcome_saved",
                    outcome=office.staff_pack().text(f"mt_outcome_{outcome}"))


async def take_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Keep a coordinator's next text as the private note on the participant just decided."""
    office, message = office_of(context), update.effective_message
    participant_id = (context.user_data or {}).pop("mt_note_for", None)
    if office is None or participant_id is None or message is None or not message.text:
        return False
    await office.store.write_note(participant_id, neutralise(message.text)[:MAX_NOTE_CHARS])
    await send_text(update, context, office.staff_lang, "mt_desk_note_saved")
    return True


async def _list_matches(update: Update, context: ContextTypes.DEFAULT_TYPE,
                        office: MentoringOffice, programme: Programme,
                        only: int | None = None) -> None:
    """Show each accepted seeker without an open pair (or `only` that one), with suggestions."""
    pack = office.staff_pack()
    busy = await office.store.in_open_pairs(programme.id)
    seekers = [s for s in await office.store.participants(programme.id, ["accepted"],
                                                          programme.seeker().id)
               if s.id not in busy and only in (None, s.id)]
    if not seekers:
        await send_text(update, context, office.staff_lang, "mt_desk_nothing")
    for seeker in seekers:
        found = await office.suggestions(programme, seeker)
        lines = [f"<b>{_who(seeker)}</b>", office.profile_text(seeker, office.staff_lang)]
        if not found:
            lines.append(html.escape(pack.text("mt_desk_no_match")))
        for rank, (candidate, suggestion) in enumerate(found, start=1):
            lines.append(f"{rank}. {_who(candidate)} ({suggestion.score}): " + html.escape(
                office.reasons_text(suggestion.reasons, office.staff_lang)))
        await _send(update, context, "\n".join(lines), _buttons(*(
            (pack.text("mt_desk_propose", name=c.first_name[:32]), f"md:r:{seeker.id}:{c.id}")
            for c, _ in found)) if found else None)


async def _propose(update: Update, context: ContextTypes.DEFAULT_TYPE, office: MentoringOffice,
                   programme: Programme, seeker_id: int, partner_id: int) -> None:
    seeker = await office.store.participant(seeker_id)
    partner = await office.store.participant(partner_id)
    notices = await office.propose(programme, seeker, partner) if seeker and partner and \
        partner.programme == programme.id else None
    if notices is None:
        await send_text(update, context, office.staff_lang, "mt_desk_cannot_propose")
        return
    await send_notices(context, notices)
    await send_text(update, context, office.staff_lang, "mt_desk_proposed")


async def _list_pairs(update: Update, context: ContextTypes.DEFAULT_TYPE,
                      office: MentoringOffice, programme: Programme) -> None:
    pack = office.staff_pack()
    pairs = await office.store.pairs(programme.id, ["proposed", "active"])
    if not pairs:
        await send_text(update, context, office.staff_lang, "mt_desk_nothing")
    for pair in pairs:
        people = [await office.store.participant(i) for i in (pair.seeker_id, pair.partner_id)]
        names = " + ".join(_who(p) for p in people if p is not None)
        since = format_when(pair.started_at, office.staff_lang, office.timezone) \
            if pair.started_at else "–"
        await _send(update, context, f"<b>{pair.id}</b> {names} · "
                    f"{html.escape(pack.text(f'mt_status_{pair.status}'))} · {html.escape(since)}",
                    _buttons((pack.text("mt_desk_end"), f"md:e:{pair.id}"),
                             (pack.text("mt_desk_rematch"), f"md:x:{pair.id}")))


async def _stats(update: Update, context: ContextTypes.DEFAULT_TYPE, office: MentoringOffice,
                 programme: Programme) -> None:
    lines = report_lines(programme, await figures(programme, office.store), office.staff_lang)
    await _send(update, context, html.escape("\n".join(lines), quote=False))
