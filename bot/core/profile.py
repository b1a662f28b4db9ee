"""The guidance point's profile (`content/service.yaml`), rendered into each language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from babel.dates import format_skeleton, get_day_names
from babel.lists import format_list

from bot.core.languages import BABEL_LOCALES

if TYPE_CHECKING:
    from bot.core.registry import HelpNumber

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningHours:
    """Days of the week and a daily time range, optionally with languages spoken."""

    days: tuple[int, ...]  # 0 = Monday
    start: dt.time
    end: dt.time
    languages: tuple[str, ...] = ()


AREA_TEXTS = ("municipality", "wellbeing_county", "wellbeing_county_site", "emergency_department")
"""The text fields of `area:` in service.yaml, in the order of `Area`'s fields."""


@dataclass(frozen=True)
class Area:
    """Where the guidance point is: who runs public health and social services there."""

    municipality: str
    wellbeing_county: str
    wellbeing_county_site: str
    emergency_department: str


@dataclass(frozen=True)
class ServiceProfile:
    """The editor-owned facts about the guidance point, and the help numbers it gives."""

    name: str
    organisation: str
    venue: str
    address: str
    timezone: str
    walk_in: tuple[OpeningHours, ...]
    duty: tuple[OpeningHours, ...]
    coach_languages: tuple[str, ...]
    area: Area
    numbers: Mapping[str, HelpNumber] = field(default_factory=dict)
    verified: dt.date | None = None
    verified_with: str = ""

    def placeholders(self, lang: str, plain_finnish_name: str) -> dict[str, str]:
        """Return the values of every `{placeholder}` answers may use, written for `lang`."""
        values = {
            "service_name": self.name,
            "organisation": self.organisation,
            "venue": self.venue,
            "address": self.address,
            "walk_in_hours": format_hours(self.walk_in, lang, plain_finnish_name),
            "duty_hours": format_hours(self.duty, lang, plain_finnish_name),
            "coach_languages": language_list(self.coach_languages, lang, plain_finnish_name),
            "municipality": self.area.municipality,
            "wellbeing_county": self.area.wellbeing_county,
            "wellbeing_county_site": self.area.wellbeing_county_site,
            "emergency_department": self.area.emergency_department,
        }
        for key, record in self.numbers.items():
            values[key] = record.number
            if record.phone_open:
                values[f"{key}_hours"] = format_hours(record.phone_open, lang, plain_finnish_name)
            if record.chat_open:
                values[f"{key}_chat_hours"] = format_hours(record.chat_open, lang,
                                                           plain_finnish_name)
        return values

    def placeholder_names(self) -> frozenset[str]:
        """Return the name of every placeholder this profile fills."""
        return frozenset(self.placeholders("en", "plain Finnish"))


PROFILE_PLACEHOLDERS = (
    "service_name", "organisation", "venue", "address", "walk_in_hours", "duty_hours",
    "coach_languages", *AREA_TEXTS,
)
"""The placeholders of the profile itself; each help number adds `{its_key}` (and hours)."""


def language_list(codes: tuple[str, ...], lang: str, plain_finnish_name: str) -> str:
    """Name languages in `lang`, e.g. 'plain Finnish, English and Somali'."""
    locale = BABEL_LOCALES[lang]
    from babel import Locale

    names = Locale.parse(locale).languages
    shown = [plain_finnish_name if code == "fi" else names.get(code, code) for code in codes]
    return format_list(shown, locale=locale)


def format_hours(hours: tuple[OpeningHours, ...], lang: str, plain_finnish_name: str) -> str:
    """Write opening hours in `lang`, e.g. 'Mon–Thu 10:00–16:00'."""
    locale = BABEL_LOCALES[lang]
    day_names = get_day_names("abbreviated", locale=locale)
    parts = []
    for block in hours:
        days = _day_span(block.days, day_names)
        times = f"{format_skeleton('Hm', block.start, locale=locale)}–" + format_skeleton(
            "Hm", block.end, locale=locale
        )
        text = f"{days} {times}"
        if block.languages:
            text += f" ({language_list(block.languages, lang, plain_finnish_name)})"
        parts.append(text)
    return "; ".join(parts)


def _day_span(days: tuple[int, ...], names: object) -> str:
    """Write consecutive days as a range ('Mon–Thu') and others as a list."""
    ordered = sorted(days)
    label = [str(names[d]) for d in ordered]  # type: ignore[index]
    consecutive = ordered == list(range(ordered[0], ordered[-1] + 1))
    if len(ordered) > 2 and consecutive:
        return f"{label[0]}–{label[-1]}"
    return ", ".join(label)
