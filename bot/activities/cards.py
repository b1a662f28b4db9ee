"""An occurrence written for a person: the card in their language, and its .ics file."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

from bot.activities.catalogue import Occurrence
from bot.booking.formatting import format_when, one_event_calendar
from bot.core.content import LanguagePack
from bot.core.languages import BABEL_LOCALES

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def format_span(occurrence: Occurrence, lang: str, zone: ZoneInfo) -> str:
    """Write weekday, date and start–end time in `lang` (Babel), local time."""
    end = format_time(occurrence.ends_at.astimezone(zone), "HH:mm", locale=BABEL_LOCALES[lang])
    end = end.translate(_PERSIAN_DIGITS) if lang == "fa" else end
    return f"{format_when(occurrence.starts_at, lang, zone)}–{end}"


def format_day(moment: dt.datetime, lang: str, zone: ZoneInfo) -> str:
    """Write a short weekday and date for a button."""
    text = format_datetime(moment.astimezone(zone), "EEE d.M.", locale=BABEL_LOCALES[lang])
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def language_list(codes: tuple[str, ...], names: dict[str, str]) -> str:
    """Name the languages spoken there, each in its own script (as in the language picker)."""
    return ", ".join(names.get(code, code) for code in codes)


def occurrence_card(occurrence: Occurrence, pack: LanguagePack, zone: ZoneInfo,
                    names: dict[str, str], places_left: int | None) -> str:
    """Write the occurrence in the person's language (plain text; the channel escapes it)."""
    activity, lang = occurrence.activity, pack.lang
    lines = [f"{pack.text('ev_category_' + activity.category)} · {activity.title(lang)}"]
    if not activity.written_in(lang):
        lines.append(pack.text("ev_not_translated"))
    lines.append(f"🕒 {format_span(occurrence, lang, zone)}")
    lines.append(f"📍 {activity.online or activity.place}")
    if activity.descriptions:
        lines.append(activity.description(lang))
    lines.append(pack.text("ev_languages", languages=language_list(activity.languages, names)))
    if activity.signup and places_left is not None:
        lines.append(pack.text("ev_places_left", left=str(places_left),
                               places=str(activity.places)) if places_left > 0
                     else pack.text("ev_full"))
    elif not activity.signup:
        lines.append(pack.text("ev_no_signup"))
    lines.append(pack.text("ev_contact", contact=activity.contact))
    return "\n".join(lines)


def calendar_file(occurrence: Occurrence, lang: str) -> bytes:
    """Return an iCalendar (.ics) file with the occurrence, for the phone's calendar."""
    activity = occurrence.activity
    description = activity.description(lang) if activity.descriptions else ""
    return one_event_calendar(
        "activity", f"ohjaamo-activity-{occurrence.key.replace(':', '-')}",
        occurrence.starts_at, occurrence.ends_at, summary=activity.title(lang),
        location=activity.online or activity.place,
        description="\n".join(filter(None, [description, activity.contact])),
        url=activity.online)
