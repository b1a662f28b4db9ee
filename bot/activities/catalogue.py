"""The activities file: what the guidance point offers, when, where and in which languages.

Editor-owned YAML, checked with `path:line` problems like the content. Recurring activities
are expanded into concrete occurrences in the file's time zone (Europe/Helsinki), so a weekly
club is at 14:00 local time in summer and in winter alike.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.booking.coaches import time_range
from bot.core.languages import DEFAULT, SUPPORTED
from bot.core.loading import is_https_url
from bot.core.problems import ContentError, LineDict, LineList, Problem, read_yaml
from bot.core.profile import WEEKDAYS

CATEGORIES = ("work", "education", "language", "digital", "open")
"""work, education (trainings, cards), language (clubs), digital help, open activities."""
MAX_ID_CHARS = 32
"""An id travels in button data with a date (Telegram allows 64 bytes)."""
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ActivitiesFileError(ContentError):
    """The activities file has errors; `ohjaamo activities check` lists them."""


@dataclass(frozen=True)
class Activity:
    """One activity as the file describes it."""

    id: str
    category: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    start: dt.time
    end: dt.time
    dates: tuple[dt.date, ...]
    """One-off dates (empty for a weekly activity)."""
    weekdays: tuple[int, ...]
    """0 = Monday; empty for a one-off activity."""
    first: dt.date | None
    last: dt.date | None
    place: str
    online: str | None
    languages: tuple[str, ...]
    places: int | None
    signup: bool
    contact: str
    skipped: frozenset[dt.date] = frozenset()

    def title(self, lang: str) -> str:
        """Return the title in `lang`, else plain Finnish, else English (honest fallback)."""
        return _in(self.titles, lang)

    def description(self, lang: str) -> str:
        """Return the short description in `lang`, else plain Finnish, else English."""
        return _in(self.descriptions, lang)

    def written_in(self, lang: str) -> bool:
        """Tell whether the title is written in `lang` (else the fallback is shown)."""
        return lang in self.titles


@dataclass(frozen=True)
class Occurrence:
    """One date of an activity, as a concrete start and end moment."""

    activity: Activity
    day: dt.date
    """The local date (Europe/Helsinki)."""
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def key(self) -> str:
        """Return `<activity id>:<YYYYMMDD>` (the local date), short enough for button data."""
        return occurrence_key(self.activity.id, self.day)


@dataclass(frozen=True)
class Catalogue:
    """Everything the activities file says."""

    timezone: ZoneInfo
    activities: tuple[Activity, ...]

    def activity(self, activity_id: str) -> Activity | None:
        """Return the activity with this id, if any."""
        return next((a for a in self.activities if a.id == activity_id), None)

    def occurrences(self, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
        """Return every occurrence starting in [start, end), earliest first."""
        found = []
        first_day = start.astimezone(self.timezone).date()
        last_day = end.astimezone(self.timezone).date()
        for activity in self.activities:
            day = first_day
            while day <= last_day:
                if _happens_on(activity, day):
                    occurrence = self._on(activity, day)
                    if start <= occurrence.starts_at < end:
                        found.append(occurrence)
                day += dt.timedelta(days=1)
        return sorted(found, key=lambda o: (o.starts_at, o.activity.id))

    def occurrence(self, key: str) -> Occurrence | None:
        """Return the occurrence named by `key` (see Occurrence.key), if the file has it."""
        activity_id, _, day_text = key.partition(":")
        activity = self.activity(activity_id)
        try:
            day = dt.datetime.strptime(day_text, "%Y%m%d").date()
        except ValueError:
            return None
        if activity is None or not _happens_on(activity, day):
            return None
        return self._on(activity, day)

    def this_and_next_week(self, now: dt.datetime) -> list[Occurrence]:
        """Return the occurrences from now to the end of next week (Sunday), local time."""
        local = now.astimezone(self.timezone)
        monday = local.date() - dt.timedelta(days=local.weekday())
        end = dt.datetime.combine(monday + dt.timedelta(days=14), dt.time(), self.timezone)
        return self.occurrences(now, end)

    def _on(self, activity: Activity, day: dt.date) -> Occurrence:
        starts = dt.datetime.combine(day, activity.start, self.timezone)
        ends = dt.datetime.combine(day, activity.end, self.timezone)
        return Occurrence(activity, day, starts.astimezone(dt.UTC), ends.astimezone(dt.UTC))

    def key_of(self, activity_id: str, starts_at: dt.datetime) -> str:
        """Return the occurrence key of an activity starting at `starts_at`."""
        return occurrence_key(activity_id, starts_at.astimezone(self.timezone).date())


def occurrence_key(activity_id: str, day: dt.date) -> str:
    """Write `<activity id>:<YYYYMMDD>`."""
    return f"{activity_id}:{day.strftime('%Y%m%d')}"


def _happens_on(activity: Activity, day: dt.date) -> bool:
    if day in activity.skipped:
        return False
    if activity.dates:
        return day in activity.dates
    if (activity.first and day < activity.first) or (activity.last and day > activity.last):
        return False
    return day.weekday() in activity.weekdays


def _in(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get(DEFAULT) or texts.get("en") or next(iter(texts.values()))


def load_catalogue(path: Path) -> Catalogue:
    """Read and check the activities file; raise ActivitiesFileError listing every problem."""
    problems: list[Problem] = []
    catalogue = check_catalogue(path, problems)
    if catalogue is None or any(p.severity == "error" for p in problems):
        raise ActivitiesFileError(problems)
    return catalogue


def check_catalogue(path: Path, problems: list[Problem]) -> Catalogue | None:
    """Read the activities file, adding every problem found; None when unreadable."""
    data = read_yaml(path, problems)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(path, 1, "the file must be a mapping with 'activities:'",
                                "start from examples/activities.yaml"))
        return None
    try:
        zone = ZoneInfo(str(data.get("timezone", "Europe/Helsinki")))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(path, data.line_of("timezone"),
                                f"unknown time zone {data.get('timezone')!r}",
                                "write 'timezone: Europe/Helsinki'"))
        zone = ZoneInfo("Europe/Helsinki")
    items = data.get("activities")
    if not isinstance(items, LineList):
        problems.append(Problem(path, data.line_of("activities"), "'activities' is missing",
                                "list the activities under 'activities:' (see "
                                "examples/activities.yaml)"))
        return None
    activities: list[Activity] = []
    for line, item in zip(items.item_lines, items, strict=True):
        activity = _activity(path, line, item, problems)
        if activity is None:
            continue
        if any(a.id == activity.id for a in activities):
            problems.append(Problem(path, line, f"activity '{activity.id}' is listed twice",
                                    "give each activity its own id"))
            continue
        activities.append(activity)
    return Catalogue(zone, tuple(activities))


def _activity(path: Path, line: int, item: Any, problems: list[Problem]) -> Activity | None:
    if not isinstance(item, LineDict):
        problems.append(Problem(path, line, "an activity must be a mapping",
                                "start each activity with '- id: kebab-case-name'"))
        return None
    before = len(problems)
    label = str(item.get("id") or f"#{line}")

    def problem(key: str, message: str, fix: str) -> None:
        problems.append(Problem(path, item.line_of(key), f"activity '{label}': {message}", fix))

    activity_id = item.get("id")
    if not isinstance(activity_id, str) or not _ID.match(activity_id) or \
            len(activity_id) > MAX_ID_CHARS:
        problem("id", f"bad id {activity_id!r}",
                f"write an English kebab-case id of at most {MAX_ID_CHARS} characters, "
                "e.g. 'conversation-club'")
    category = item.get("category")
    if category not in CATEGORIES:
        problem("category", f"unknown category {category!r}",
                f"use one of {', '.join(CATEGORIES)}")
    titles = _texts(item, "title", problem, required=True)
    descriptions = _texts(item, "description", problem, required=False)
    when = item.get("when")
    start = end = None
    dates: list[dt.date] = []
    weekdays: list[int] = []
    first = last = None
    skipped: list[dt.date] = []
    if not isinstance(when, LineDict):
        problem("when", "'when' is missing",
                "write when: {weekly: [tue], time: \"14:00-15:30\"} or "
                "when: {date: 2027-03-10, time: \"10:00-14:00\"}")
    else:
        hours = time_range(when.get("time"))
        if hours is None:
            problem("when", f"bad time {when.get('time')!r}",
                    "write the time in quotes as \"HH:MM-HH:MM\", start before end")
        else:
            start, end = hours
        raw_dates = when.get("dates", [when["date"]] if "date" in when else [])
        weekly = when.get("weekly", [])
        if not isinstance(raw_dates, list) or not all(isinstance(d, dt.date) for d in raw_dates):
            problem("when", "'date'/'dates' must be dates", "write date: 2027-03-10")
        else:
            dates = list(raw_dates)
        if not isinstance(weekly, list) or any(day not in WEEKDAYS for day in weekly):
            problem("when", f"bad 'weekly' days {weekly!r}", f"use {', '.join(WEEKDAYS)}")
        else:
            weekdays = [WEEKDAYS.index(day) for day in weekly]
        if bool(dates) == bool(weekdays):
            problem("when", "say either 'date'/'dates' (one-off) or 'weekly' (recurring)",
                    "write date: 2027-03-10, or weekly: [tue]")
        first, last = when.get("from"), when.get("until")
        for key, value in (("from", first), ("until", last)):
            if value is not None and not isinstance(value, dt.date):
                problem("when", f"'{key}' must be a date (got {value!r})",
                        f"write {key}: 2027-01-07")
        raw_skipped = when.get("except") or []
        if not isinstance(raw_skipped, list) or not all(isinstance(d, dt.date)
                                                         for d in raw_skipped):
            problem("when", "'except' must be a list of dates", "write except: [2027-04-06]")
        else:
            skipped = list(raw_skipped)
    place, online = item.get("where"), item.get("online")
    if not (isinstance(place, str) and place.strip()) and online is None:
        problem("where", "'where' is missing", "write the address, or 'online: https://...'")
    if online is not None and not is_https_url(online):
        problem("online", f"bad online link {online!r}", "write the full https:// link")
    languages = item.get("languages")
    if not isinstance(languages, list) or not languages or \
            any(not isinstance(code, str) or len(code) > 3 for code in languages):
        problem("languages", "'languages' (spoken there) is missing",
                "write languages: [fi, ar] with language codes")
        languages = []
    places = item.get("places")
    if places is not None and (not isinstance(places, int) or isinstance(places, bool)
                               or places < 1):
        problem("places", f"'places' must be a whole number of at least 1 (got {places!r})",
                "write places: 12, or leave it out when anyone may come")
    signup = item.get("signup", places is not None)
    if not isinstance(signup, bool):
        problem("signup", f"'signup' must be true or false (got {signup!r})",
                "write signup: true")
    contact = item.get("contact")
    if not isinstance(contact, str) or not contact.strip():
        problem("contact", "'contact' (who to ask) is missing",
                "write e.g. contact: Hanna, 040 123 4567")
    if len(problems) > before or start is None or end is None:
        return None
    return Activity(
        id=str(activity_id), category=str(category), titles=titles, descriptions=descriptions,
        start=start, end=end, dates=tuple(sorted(dates)), weekdays=tuple(sorted(weekdays)),
        first=first if isinstance(first, dt.date) else None,
        last=last if isinstance(last, dt.date) else None,
        place=str(place or "").strip(), online=str(online) if online else None,
        languages=tuple(str(c) for c in languages), places=places if isinstance(places, int)
        else None, signup=bool(signup), contact=str(contact).strip(),
        skipped=frozenset(skipped))


def _texts(item: LineDict, key: str, problem: Any, required: bool) -> dict[str, str]:
    texts = item.get(key)
    if texts is None and not required:
        return {}
    if not isinstance(texts, dict) or not texts:
        problem(key, f"'{key}' is missing",
                f"write {key}: with one line per language, e.g. fi: ...")
        return {}
    unknown = [lang for lang in texts if lang not in SUPPORTED]
    if unknown:
        problem(key, f"unknown language(s) {unknown}", f"use {', '.join(SUPPORTED)}")
    empty = [lang for lang, text in texts.items() if not isinstance(text, str) or not text.strip()]
    if empty:
        problem(key, f"empty text in {empty}", "write the text, or leave the language out")
    if required and DEFAULT not in texts:
        problem(key, f"no plain-Finnish ({DEFAULT}) {key}",
                f"write {DEFAULT}: ... (people whose language is missing see it)")
    return {str(lang): str(text).strip() for lang, text in texts.items()
            if lang in SUPPORTED and isinstance(text, str)}
