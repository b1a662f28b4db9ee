"""The duty rota: when each language has live chat, and which coaches are on duty then.

Two owners, one answer. The editors' service profile (`content/service.yaml`, `duty:`)
says which languages the duty desk serves when; the operator's coaches file (`duty:`)
says which coaches sit at it when. A language has live chat at a moment when both agree,
outside the coaches file's holidays and the coach's absences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.booking.coaches import Coach, CoachBook, time_range
from bot.core.problems import ContentError, LineDict, Problem, read_yaml
from bot.core.profile import WEEKDAYS, OpeningHours

FALLBACK_LANGUAGES = ("fi", "en")
"""When nobody on duty speaks a person's language, plain Finnish or English with an
interpreter need noted (the service's own fallback)."""
SEARCH_DAYS = 21
Shifts = dict[int, tuple[tuple[dt.time, dt.time], ...]]


@dataclass(frozen=True)
class DutyRota:
    """The `duty:` section of the coaches file, with the profile's duty hours."""

    staff_chat_id: int
    """The staff group (a forum supergroup) where each conversation gets its own topic."""
    minutes_per_chat: int
    """A typical chat's length, for an honest wait estimate."""
    shifts: dict[str, Shifts]
    """coach id -> weekday (0 = Monday) -> time ranges on duty."""
    desk_hours: tuple[OpeningHours, ...]
    """The profile's duty hours per language; empty means the shifts alone decide."""
    book: CoachBook

    def desk_open(self, lang: str, local: dt.datetime) -> bool:
        """Tell whether the profile's duty hours serve `lang` at local time `local`."""
        if not self.desk_hours:
            return True
        return any(local.weekday() in block.days and block.start <= local.time() < block.end
                   and (not block.languages or lang in block.languages)
                   for block in self.desk_hours)

    def on_duty(self, now: dt.datetime, lang: str | None = None) -> tuple[Coach, ...]:
        """Return the coaches on duty at `now` (for `lang`, when given)."""
        local = now.astimezone(self.book.timezone)
        if local.date() in self.book.holidays:
            return ()
        found = []
        for coach in self.book.coaches:
            if coach.away_on(local.date()) or (lang is not None and lang not in coach.languages):
                continue
            if lang is not None and not self.desk_open(lang, local):
                continue
            ranges = self.shifts.get(coach.id, {}).get(local.weekday(), ())
            if any(start <= local.time() < end for start, end in ranges):
                found.append(coach)
        return tuple(found)

    def chat_language(self, lang: str, now: dt.datetime) -> tuple[str, bool] | None:
        """Return (language of the chat, interpreter needed) if someone can chat now."""
        if self.on_duty(now, lang):
            return lang, False
        for fallback in FALLBACK_LANGUAGES:
            if fallback != lang and self.on_duty(now, fallback):
                return fallback, True
        return None

    def next_duty(self, lang: str, now: dt.datetime) -> dt.datetime | None:
        """Return when live chat next opens for `lang` (or plain Finnish/English)."""
        zone = self.book.timezone
        first = now.astimezone(zone).date()
        for offset in range(SEARCH_DAYS + 1):
            day = first + dt.timedelta(days=offset)
            starts = sorted(
                dt.datetime.combine(day, moment, zone)
                for coach in self.book.coaches
                for start, end in self.shifts.get(coach.id, {}).get(day.weekday(), ())
                for moment in self._starts(day, start, end))
            for start in starts:
                if start > now and self.chat_language(lang, start) is not None:
                    return start.astimezone(dt.UTC)
        return None

    def _starts(self, day: dt.date, start: dt.time, end: dt.time) -> list[dt.time]:
        """Candidate opening moments inside a shift: its start and every desk opening in it."""
        moments = [start] + [block.start for block in self.desk_hours
                             if day.weekday() in block.days and start < block.start < end]
        return moments


class DutyFileError(ContentError):
    """The coaches file's `duty:` section has errors; `ohjaamo coaches check` lists them."""


def load_rota(path: Path, book: CoachBook, desk_hours: tuple[OpeningHours, ...]
              ) -> DutyRota | None:
    """Read the coaches file's `duty:` section; None when it has none (duty chat off)."""
    problems: list[Problem] = []
    data = read_yaml(path, problems)
    if not isinstance(data, LineDict) or "duty" not in data:
        return None
    rota = parse_rota(path, data, book, desk_hours, problems)
    if rota is None or any(p.severity == "error" for p in problems):
        raise DutyFileError(problems)
    return rota


def parse_rota(path: Path, data: LineDict, book: CoachBook,
               desk_hours: tuple[OpeningHours, ...], problems: list[Problem]) -> DutyRota | None:
    """Check the `duty:` section, adding a `path:line` problem for each mistake."""
    section = data.get("duty")
    if not isinstance(section, LineDict):
        problems.append(Problem(path, data.line_of("duty"), "'duty' must be a mapping",
                                "see the duty section of examples/coaches.yaml"))
        return None

    def problem(key: str, message: str, fix: str, line: int | None = None) -> None:
        problems.append(Problem(path, line or section.line_of(key), f"duty: {message}", fix))

    chat_id = section.get("staff_chat_id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool) or chat_id >= 0:
        problem("staff_chat_id", f"'staff_chat_id' must be a group's negative chat id "
                f"(got {chat_id!r})", "write the id of the staff group with topics turned on, "
                "e.g. staff_chat_id: -1001234567899")
        chat_id = 0
    minutes = section.get("minutes_per_chat", 10)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 120:
        problem("minutes_per_chat", f"'minutes_per_chat' must be 1-120 (got {minutes!r})",
                "write e.g. minutes_per_chat: 10")
        minutes = 10
    shifts: dict[str, Shifts] = {}
    raw = section.get("shifts")
    if not isinstance(raw, LineDict) or not raw:
        problem("shifts", "'shifts' is missing or empty",
                "list coaches by id with their duty hours, e.g. amina: {mon: [\"13:00-15:00\"]}")
        raw = LineDict()
    for coach_id, days in raw.items():
        line = raw.line_of(coach_id)
        if book.coach(coach_id) is None:
            problem("shifts", f"unknown coach '{coach_id}'",
                    "use an id from the coaches list below", line)
            continue
        parsed = _shifts(coach_id, days, line, problem)
        if parsed is not None:
            shifts[coach_id] = parsed
    return DutyRota(staff_chat_id=chat_id, minutes_per_chat=minutes, shifts=shifts,
                    desk_hours=desk_hours, book=book)


def _shifts(coach_id: str, days: Any, line: int, problem: Any) -> Shifts | None:
    if not isinstance(days, dict) or not days:
        problem("shifts", f"coach '{coach_id}': duty hours must be a mapping of days",
                "write e.g. mon: [\"13:00-15:00\"]", line)
        return None
    result: Shifts = {}
    for day, ranges in days.items():
        day_line = days.line_of(day) if isinstance(days, LineDict) else line
        if day not in WEEKDAYS:
            problem("shifts", f"coach '{coach_id}': unknown day {day!r}",
                    f"use {', '.join(WEEKDAYS)}", day_line)
            return None
        parsed = [time_range(r) for r in (ranges if isinstance(ranges, list) else [ranges])]
        if None in parsed:
            problem("shifts", f"coach '{coach_id}': bad hours for {day}: {ranges!r}",
                    "write ranges in quotes as \"HH:MM-HH:MM\", start before end", day_line)
            return None
        result[WEEKDAYS.index(day)] = tuple(r for r in parsed if r is not None)
    return result
