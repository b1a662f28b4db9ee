"""The coaches file: who coaches in which languages, when, and the booking rules."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.languages import SUPPORTED
from bot.core.loading import is_https_url
from bot.core.problems import ContentError, LineDict, LineList, Problem, read_yaml
from bot.core.profile import WEEKDAYS

MODES = ("visit", "phone", "video")
"""visit = at the guidance point; phone = a Telegram call to the person's account."""
MAX_ESCALATION_REPEATS = 10
"""An escalation nobody acknowledges is repeated at most this often (a bound, not a pager)."""
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Coach:
    """One coach: languages spoken, meeting modes, weekly hours and absences."""

    id: str
    name: str
    telegram_id: int
    languages: tuple[str, ...]
    modes: tuple[str, ...]
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]]  # weekday (0 = Monday) -> ranges
    absences: tuple[tuple[dt.date, dt.date], ...]
    video_link: str | None = None
    """The coach's own video meeting room, if they have a fixed one."""

    def away_on(self, day: dt.date) -> bool:
        """Tell whether the coach is absent on `day`."""
        return any(start <= day <= end for start, end in self.absences)


@dataclass(frozen=True)
class CoachBook:
    """Everything the coaches file says."""

    timezone: ZoneInfo
    slot_minutes: int
    buffer_minutes: int
    min_notice_hours: int
    book_ahead_days: int
    max_upcoming_per_person: int
    ack_timeout_minutes: int
    escalation_repeat_minutes: int
    """Working minutes between repeats of an escalation nobody acknowledged."""
    escalation_repeats: int
    """How many times an unacknowledged escalation is repeated to the coordinator."""
    coordinator_chat_id: int
    coordinators: tuple[int, ...]
    coach_language: str
    holidays: frozenset[dt.date]
    coaches: tuple[Coach, ...]

    def coach(self, coach_id: str) -> Coach | None:
        """Return the coach with `coach_id`, if any."""
        return next((c for c in self.coaches if c.id == coach_id), None)

    def coach_of_user(self, telegram_id: int) -> Coach | None:
        """Return the coach whose Telegram account this is, if any."""
        return next((c for c in self.coaches if c.telegram_id == telegram_id), None)

    def is_staff(self, telegram_id: int) -> bool:
        """Tell whether a Telegram user is a configured coach or coordinator."""
        return telegram_id in self.coordinators or self.coach_of_user(telegram_id) is not None

    def may_manage(self, telegram_id: int, coach_id: str) -> bool:
        """Tell whether a Telegram user may act on a booking of `coach_id`: its coach or a
        coordinator."""
        coach = self.coach_of_user(telegram_id)
        return telegram_id in self.coordinators or (coach is not None and coach.id == coach_id)

    def speakers_of(self, lang: str) -> tuple[Coach, ...]:
        """Return the coaches who speak `lang`."""
        return tuple(c for c in self.coaches if lang in c.languages)

    def working_now(self, now: dt.datetime) -> tuple[Coach, ...]:
        """Return the coaches within their working hours at `now`."""
        local = now.astimezone(self.timezone)
        if local.date() in self.holidays:
            return ()
        return tuple(c for c in self.coaches if not c.away_on(local.date()) and any(
            start <= local.time() < end for start, end in c.hours.get(local.weekday(), ())))


class CoachesFileError(ContentError):
    """The coaches file has errors; `ohjaamo coaches check` lists them."""


def load_coaches(path: Path) -> CoachBook:
    """Read and check the coaches file; raise CoachesFileError listing every problem."""
    problems: list[Problem] = []
    data = read_yaml(path, problems)
    if data is None:
        raise CoachesFileError(problems)
    if not isinstance(data, LineDict):
        raise CoachesFileError([Problem(path, 1, "the file must be a mapping of settings",
                                        "start from examples/coaches.yaml")])
    book = _parse(path, data, problems)
    if book is None or any(p.severity == "error" for p in problems):
        raise CoachesFileError(problems)
    return book


def _parse(path: Path, data: LineDict, problems: list[Problem]) -> CoachBook | None:
    def problem(key: str, message: str, fix: str, line: int | None = None) -> None:
        problems.append(Problem(path, line or data.line_of(key), message, fix))

    def number(key: str, minimum: int = 0) -> int:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            problem(key, f"'{key}' must be a whole number of at least {minimum} (got {value!r})",
                    f"write e.g. '{key}: {max(minimum, 1)}'")
            return minimum
        return value

    def optional_number(key: str, default: int, minimum: int, maximum: int) -> int:
        if key not in data:
            return default
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not (
                minimum <= value <= maximum):
            problem(key, f"'{key}' must be a whole number from {minimum} to {maximum} "
                    f"(got {value!r})", f"write e.g. '{key}: {default}', or leave it out for "
                    f"{default}")
            return default
        return value

    try:
        zone = ZoneInfo(str(data.get("timezone", "Europe/Helsinki")))
    except (ZoneInfoNotFoundError, ValueError):
        problem("timezone", f"unknown time zone {data.get('timezone')!r}",
                "write 'timezone: Europe/Helsinki'")
        zone = ZoneInfo("Europe/Helsinki")
    coach_language = str(data.get("coach_language", "fi"))
    if coach_language not in SUPPORTED:
        problem("coach_language", f"unknown language {coach_language!r}",
                f"use one of {', '.join(SUPPORTED)}")
    holidays = data.get("holidays") or []
    if not isinstance(holidays, list) or not all(isinstance(d, dt.date) for d in holidays):
        problem("holidays", "'holidays' must be a list of dates", "write [2026-12-24, ...]")
        holidays = []
    coordinators = data.get("coordinators") or []
    if not isinstance(coordinators, list) or not all(isinstance(i, int) for i in coordinators):
        problem("coordinators", "'coordinators' must be a list of Telegram user ids",
                "write coordinators: [123456789]")
        coordinators = []
    coordinator_chat = data.get("coordinator_chat_id")
    if not isinstance(coordinator_chat, int):
        problem("coordinator_chat_id", "'coordinator_chat_id' is missing",
                "write the Telegram chat id that gets alerts no coach picks up")
        coordinator_chat = 0
    coaches = _coaches(path, data, problems)
    return CoachBook(
        timezone=zone, slot_minutes=number("slot_minutes", 10),
        buffer_minutes=number("buffer_minutes"), min_notice_hours=number("min_notice_hours"),
        book_ahead_days=number("book_ahead_days", 1),
        max_upcoming_per_person=number("max_upcoming_per_person", 1),
        ack_timeout_minutes=number("ack_timeout_minutes", 1),
        escalation_repeat_minutes=optional_number("escalation_repeat_minutes", 60, 1, 7 * 24 * 60),
        escalation_repeats=optional_number("escalation_repeats", 2, 0, MAX_ESCALATION_REPEATS),
        coordinator_chat_id=coordinator_chat, coordinators=tuple(coordinators),
        coach_language=coach_language, holidays=frozenset(holidays), coaches=tuple(coaches))


def _coaches(path: Path, data: LineDict, problems: list[Problem]) -> list[Coach]:
    items = data.get("coaches")
    if not isinstance(items, LineList) or not items:
        problems.append(Problem(path, data.line_of("coaches"), "'coaches' is missing or empty",
                                "list at least one coach (see examples/coaches.yaml)"))
        return []
    result: list[Coach] = []
    seen: set[str] = set()
    for line, item in zip(items.item_lines, items, strict=True):
        coach = _coach(path, line, item, problems)
        if coach is None:
            continue
        if coach.id in seen or coach.telegram_id in {c.telegram_id for c in result}:
            problems.append(Problem(path, line, f"coach '{coach.id}' is listed twice",
                                    "give each coach their own id and Telegram id"))
            continue
        seen.add(coach.id)
        result.append(coach)
    return result


def _coach(path: Path, line: int, item: Any, problems: list[Problem]) -> Coach | None:
    if not isinstance(item, LineDict):
        problems.append(Problem(path, line, "a coach must be a mapping",
                                "start each coach with '- id: name'"))
        return None
    before = len(problems)
    label = str(item.get("id") or f"#{line}")

    def problem(key: str, message: str, fix: str, line: int | None = None) -> None:
        problems.append(Problem(path, line or item.line_of(key), f"coach '{label}': {message}",
                                fix))

    for key in ("id", "name"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            problem(key, f"'{key}' is missing", f"write '{key}: ...'")
    telegram_id = item.get("telegram_id")
    if not isinstance(telegram_id, int) or isinstance(telegram_id, bool):
        problem("telegram_id", f"'telegram_id' must be a number (got {telegram_id!r})",
                "write the coach's numeric Telegram user id")
    languages = item.get("languages")
    if not isinstance(languages, list) or not languages:
        problem("languages", "'languages' is missing", "write languages: [fi, en]")
        languages = []
    modes = item.get("modes") or list(MODES)
    bad_modes = [m for m in modes if m not in MODES] if isinstance(modes, list) else [modes]
    if bad_modes:
        problem("modes", f"unknown meeting mode(s) {bad_modes}", f"use {', '.join(MODES)}")
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
    raw_hours = item.get("hours")
    if not isinstance(raw_hours, dict) or not raw_hours:
        problem("hours", "'hours' is missing", "write e.g. mon: [\"09:00-12:00\"]")
        raw_hours = {}
    for day, ranges in raw_hours.items():
        day_line = raw_hours.line_of(day) if isinstance(raw_hours, LineDict) else None
        if day not in WEEKDAYS:
            problem("hours", f"unknown day {day!r}", f"use {', '.join(WEEKDAYS)}", day_line)
            continue
        parsed = [time_range(r) for r in (ranges if isinstance(ranges, list) else [ranges])]
        if None in parsed:
            problem("hours", f"bad hours for {day}: {ranges!r}",
                    "write ranges in quotes as \"HH:MM-HH:MM\", start before end", day_line)
            continue
        hours[WEEKDAYS.index(day)] = tuple(r for r in parsed if r is not None)
    absences = []
    for absence in item.get("absences") or []:
        start, end = (absence.get("from"), absence.get("to")) if isinstance(absence, dict) \
            else (None, None)
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
            problem("absences", f"bad absence {absence!r}",
                    "write '- from: 2026-12-01' and 'to: 2026-12-05'")
            continue
        absences.append((start, end))
    video_link = item.get("video_link")
    if video_link is not None and not is_https_url(video_link):
        problem("video_link", f"bad video link {video_link!r}",
                "write the full https:// link of the coach's meeting room, or leave it out")
    if len(problems) > before or not isinstance(telegram_id, int):
        return None
    return Coach(id=str(item["id"]), name=str(item["name"]), telegram_id=telegram_id,
                 languages=tuple(str(x) for x in languages), modes=tuple(modes), hours=hours,
                 absences=tuple(absences), video_link=str(video_link) if video_link else None)


def time_range(text: object) -> tuple[dt.time, dt.time] | None:
    match = _RANGE.match(str(text).strip())
    if not match:
        return None
    try:
        start = dt.time(int(match[1]), int(match[2]))
        end = dt.time(int(match[3]), int(match[4]))
    except ValueError:
        return None
    return (start, end) if start < end else None
