"""Appointment times, cards and calendar files, written in each person's language."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from icalendar import Calendar, Event

from bot.core.content import LanguagePack
from bot.core.languages import BABEL_LOCALES
from bot.storage.bookings import Booking

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_LEADING_SYMBOLS = re.compile(r"^\W+")
"""An emoji and spaces before a title: calendars show them as boxes."""


def format_when(moment: dt.datetime, lang: str, zone: ZoneInfo) -> str:
    """Write a moment as weekday, date and time in `lang`, in the guidance point's time zone."""
    local = moment.astimezone(zone)
    pattern = "EEEE d.M. HH:mm" if lang == "fi" else "EEEE d MMMM HH:mm"
    text = format_datetime(local, pattern, locale=BABEL_LOCALES[lang])
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def format_slot_button(moment: dt.datetime, lang: str, zone: ZoneInfo) -> str:
    """Write a slot briefly for a button: short weekday, day and month, time."""
    local = moment.astimezone(zone)
    pattern = "EEE d.M. HH:mm" if lang == "fi" else "EEE d MMM HH:mm"
    text = format_datetime(local, pattern, locale=BABEL_LOCALES[lang])
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def mode_label(pack: LanguagePack, mode: str) -> str:
    """Return the meeting mode's name in the pack's language."""
    return pack.text(f"mode_{mode}")


def appointment_card(booking: Booking, coach_name: str, own: LanguagePack, finnish: LanguagePack,
                     address: str, zone: ZoneInfo, video_link: str | None = None) -> str:
    """Write the appointment card in the person's language and in Finnish (for reception)."""
    sections = [_card(booking, coach_name, own, address, zone, video_link)]
    if own.lang != "fi":
        sections.append(_card(booking, coach_name, finnish, address, zone, video_link))
    return "\n\n— — —\n\n".join(sections)


def meeting_place(booking: Booking, pack: LanguagePack, address: str,
                  video_link: str | None) -> str:
    """Say where the meeting is: the address, a Telegram call, or the video link."""
    if booking.mode == "visit":
        return address
    if booking.mode == "video":
        return video_link or pack.text("card_video")
    return pack.text("card_phone")


def _card(booking: Booking, coach_name: str, pack: LanguagePack, address: str,
          zone: ZoneInfo, video_link: str | None) -> str:
    where = meeting_place(booking, pack, address, video_link)
    lines = [
        pack.text("card_title"),
        f"{pack.text('card_when')}: {format_when(booking.starts_at, pack.lang, zone)}",
        f"{pack.text('card_where')}: {mode_label(pack, booking.mode)} — {where}",
        f"{pack.text('card_coach')}: {coach_name}",
        f"{pack.text('card_number')}: {booking.id}",
        pack.text("card_bring"),
        pack.text("card_change"),
    ]
    return "\n".join(lines)


def calendar_file(booking: Booking, coach_name: str, pack: LanguagePack, address: str,
                  video_link: str | None = None) -> bytes:
    """Return an iCalendar (.ics) file with the appointment, for the phone's calendar.

    The summary is plain text (no emoji); the description says who, how and what to
    bring; the location is the real address, the video link, or "Telegram" for a call.
    """
    title = _LEADING_SYMBOLS.sub("", pack.text("card_title"))
    where = meeting_place(booking, pack, address, video_link)
    return one_event_calendar(
        "appointment", f"ohjaamo-booking-{booking.id}", booking.starts_at, booking.ends_at,
        summary=f"{title} #{booking.id} — {coach_name}",
        location={"visit": address, "video": video_link or where}.get(booking.mode,
                                                                      "Telegram"),
        description="\n".join([
            f"{pack.text('card_coach')}: {coach_name}",
            f"{pack.text('card_where')}: {mode_label(pack, booking.mode)} — {where}",
            f"{pack.text('card_number')}: {booking.id}",
            pack.text("card_bring"),
            pack.text("card_change")]),
        url=video_link if booking.mode == "video" else None)


def one_event_calendar(product: str, uid: str, starts_at: dt.datetime, ends_at: dt.datetime,
                       summary: str, location: str, description: str,
                       url: str | None = None) -> bytes:
    """Return an iCalendar (.ics) file holding one event (an appointment, an activity)."""
    calendar = Calendar()
    calendar.add("prodid", f"-//ohjaamo-bot//{product}//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{uid}@ohjaamo-bot")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
