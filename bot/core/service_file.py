"""Read `content/service.yaml`: the guidance point's profile and the registry of help numbers.

The file has two parts. The profile (name, address, hours, languages, and the `area` with its
wellbeing services county and medical helpline) is the operator's own; another organisation
replaces it. `numbers:` holds the national help lines, one record per line. Every record says
what the number is for, in which languages and when it answers, and on which official page it
was verified on which day.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

from bot.core.links import RETIRED_DOMAINS, is_https_url, retired_domain
from bot.core.problems import LineDict, LineList, Problem, read_yaml
from bot.core.profile import (
    AREA_TEXTS,
    PROFILE_PLACEHOLDERS,
    WEEKDAYS,
    Area,
    OpeningHours,
    ServiceProfile,
)
from bot.core.registry import KEY_PATTERN, NUMBER_PATTERN, HelpNumber, is_stale

NUMBER_FIELDS = ("number", "for", "languages", "hours", "source", "verified", "open",
                 "chat_open", "confirmed", "note")
REQUIRED_NUMBER_FIELDS = ("number", "for", "languages", "hours")
REQUIRED_IN_PLACEHOLDERS = ("emergency", "medical_helpline", "crisis_line", "violence_line")
"""Help lines the program's own strings rely on; every service file must have them."""


def load_service_file(path: Path, problems: list[Problem],
                      today: dt.date | None = None) -> ServiceProfile | None:
    """Read the profile and the number registry; add every problem, return None on errors."""
    today = today or dt.date.today()
    data = read_yaml(path, problems)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(path, 1, "the file must be a mapping of settings",
                                "start with 'name: ...' as in the example in content/README.md"))
        return None
    before = _errors(problems)
    texts = {key: _text(data, key, path, problems) for key in
             ("name", "organisation", "venue", "address", "timezone")}
    walk_in = _hours(data, "walk_in", path, problems)
    duty = _hours(data, "duty", path, problems)
    coach_languages = _string_list(data, "coach_languages", path, problems)
    verified, verified_with = _profile_verification(data, path, problems, today)
    area, area_numbers = _area(data, path, problems, today)
    numbers = _numbers(data, path, problems, today)
    for key, record in area_numbers.items():
        if key in numbers:
            problems.append(Problem(path, record.line, f"help number '{key}' is defined twice",
                                    "keep area numbers under 'area:' and national ones under "
                                    "'numbers:', each key once"))
        numbers[key] = record
    written = set(_keys(data.get("numbers"))) | set(_keys(data.get("area")))
    for key in REQUIRED_IN_PLACEHOLDERS:
        if key not in written:
            problems.append(Problem(path, data.line_of("numbers"), f"help number '{key}' is "
                                    "missing", f"add '{key}: {{number: ..., ...}}' (the crisis "
                                    "reply and several answers use it)"))
    if _errors(problems) > before or area is None:
        return None
    return ServiceProfile(walk_in=walk_in, duty=duty, coach_languages=tuple(coach_languages),
                          area=area, numbers=numbers, verified=verified,
                          verified_with=verified_with, **texts)


def _keys(mapping: Any) -> list[str]:
    return list(mapping) if isinstance(mapping, dict) else []


def _errors(problems: list[Problem]) -> int:
    return sum(p.severity == "error" for p in problems)


# --- The profile -------------------------------------------------------------------------------


def _text(data: LineDict, key: str, path: Path, problems: list[Problem]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(path, data.line_of(key), f"'{key}' is missing",
                                f"write '{key}: ...' (see the comments in the file)"))
        return ""
    return value.strip()


def _string_list(data: LineDict, key: str, path: Path, problems: list[Problem]) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        problems.append(Problem(path, data.line_of(key), f"'{key}' is missing or empty",
                                f"write '{key}: [fi, en]'"))
        return []
    return [str(x) for x in value]


def _hours(data: LineDict, key: str, path: Path, problems: list[Problem],
           required: bool = True) -> tuple[OpeningHours, ...]:
    blocks = data.get(key)
    if blocks is None and not required:
        return ()
    if not isinstance(blocks, list) or not blocks:
        problems.append(Problem(path, data.line_of(key), f"'{key}' is missing or empty",
                                "list blocks of days and hours, e.g. days: [mon, tue] and "
                                "hours: \"10:00-16:00\""))
        return ()
    lines = blocks.item_lines if isinstance(blocks, LineList) else [data.line_of(key)] * len(
        blocks)
    result = []
    for line, block in zip(lines, blocks, strict=True):
        parsed = _hours_block(block, key, path, line, problems)
        if parsed is not None:
            result.append(parsed)
    return tuple(result)


def _hours_block(block: Any, key: str, path: Path, line: int,
                 problems: list[Problem]) -> OpeningHours | None:
    if not isinstance(block, dict):
        problems.append(Problem(path, line, f"each '{key}' block must have days and hours",
                                "write days: [mon, tue] and hours: \"10:00-16:00\""))
        return None
    days = block.get("days")
    bad_days = [d for d in days or [] if d not in WEEKDAYS] if isinstance(days, list) else [1]
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", str(block.get("hours")))
    if not days or bad_days:
        problems.append(Problem(path, line, f"bad days {days!r}",
                                f"use a list of {', '.join(WEEKDAYS)}"))
        return None
    if not match:
        problems.append(Problem(path, line, f"bad hours {block.get('hours')!r}",
                                "write hours in quotes as \"HH:MM-HH:MM\""))
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError:
        start = end = dt.time(0)
    if start >= end:
        problems.append(Problem(path, line, f"hours {block.get('hours')!r} are not a range",
                                "the start must be before the end, e.g. \"10:00-16:00\""))
        return None
    langs = block.get("languages") or []
    return OpeningHours(tuple(WEEKDAYS.index(d) for d in days), start, end,
                        tuple(str(x) for x in langs))


def _profile_verification(data: LineDict, path: Path, problems: list[Problem],
                          today: dt.date) -> tuple[dt.date | None, str]:
    verified = data.get("verified")
    verified_with = data.get("verified_with")
    line = data.line_of("verified")
    how = ("confirm the name, address, hours, languages and services with the organisation, "
           "then write 'verified: YYYY-MM-DD' and what you confirmed them with in "
           "'verified_with:'")
    if verified is None:
        problems.append(Problem(path, line, "the profile has no 'verified' date", how,
                                severity="warning"))
        return None, str(verified_with or "")
    if not isinstance(verified, dt.date) or isinstance(verified, dt.datetime):
        problems.append(Problem(path, line, f"bad 'verified' date {verified!r}",
                                "write the day as YYYY-MM-DD"))
        return None, ""
    if verified > today:
        problems.append(Problem(path, line, f"'verified' date {verified} is in the future",
                                "write the day the profile was really confirmed"))
    elif is_stale(verified, today):
        problems.append(Problem(path, line, f"the profile was verified on {verified}, more "
                                "than 90 days ago", how, severity="warning"))
    if not isinstance(verified_with, str) or not verified_with.strip():
        problems.append(Problem(path, data.line_of("verified_with"),
                                "'verified_with' is missing", how, severity="warning"))
        return verified, ""
    return verified, verified_with.strip()


def _area(data: LineDict, path: Path, problems: list[Problem],
          today: dt.date) -> tuple[Area | None, dict[str, HelpNumber]]:
    area = data.get("area")
    if not isinstance(area, LineDict):
        problems.append(Problem(path, data.line_of("area"), "'area' is missing",
                                "write 'area:' with " + ", ".join(AREA_TEXTS)
                                + " and medical_helpline"))
        return None, {}
    texts = [_text(area, key, path, problems) for key in AREA_TEXTS]
    numbers = {}
    for key, value in area.items():
        if key in AREA_TEXTS:
            continue
        record = _number(key, value, area.line_of(key), path, problems, today)
        if record is not None:
            numbers[key] = record
    if any(not text for text in texts):
        return None, numbers
    return Area(*texts), numbers


# --- The registry of help numbers --------------------------------------------------------------


def _numbers(data: LineDict, path: Path, problems: list[Problem],
             today: dt.date) -> dict[str, HelpNumber]:
    numbers = data.get("numbers")
    if not isinstance(numbers, LineDict):
        problems.append(Problem(path, data.line_of("numbers"), "'numbers' is missing",
                                "list the help numbers under 'numbers:', one record per line "
                                "(see content/README.md)"))
        return {}
    result = {}
    for key, value in numbers.items():
        record = _number(key, value, numbers.line_of(key), path, problems, today)
        if record is not None:
            result[key] = record
    return result


def _number(key: str, value: Any, line: int, path: Path, problems: list[Problem],
            today: dt.date) -> HelpNumber | None:
    before = _errors(problems)

    def problem(message: str, fix: str, severity: str = "error") -> None:
        problems.append(Problem(path, line, f"help number '{key}': {message}", fix,
                                severity=severity))  # type: ignore[arg-type]

    if not KEY_PATTERN.match(key):
        problem("bad key", "use lowercase words joined by '_', such as 'poison_info'")
    elif key in PROFILE_PLACEHOLDERS:
        problem("the key is a profile placeholder", "give the number another key")
    if not isinstance(value, dict):
        problem("the record must be a mapping", "write "
                f"{key}: {{number: \"...\", for: ..., languages: [fi], hours: ..., "
                "source: https://..., verified: YYYY-MM-DD}")
        return None
    for field in value:
        if field not in NUMBER_FIELDS:
            close = difflib.get_close_matches(str(field), NUMBER_FIELDS, n=1)
            problem(f"unknown field '{field}'", f"did you mean '{close[0]}'?" if close else
                    f"fields are: {', '.join(NUMBER_FIELDS)}")
    for field in REQUIRED_NUMBER_FIELDS:
        if value.get(field) in (None, "", []):
            problem(f"'{field}' is missing", "every number says what it is for, in which "
                    "languages and when it answers")
    number = str(value.get("number") or "").strip()
    if number and not NUMBER_PATTERN.match(number):
        problem(f"bad number {number!r}", "write digits and spaces only, in quotes, "
                "e.g. \"0800 147 111\"")
    source = value.get("source")
    if not source:
        problem("'source' is missing", "name the https:// page of the official service "
                "where you verified the number")
    elif not is_https_url(source):
        problem(f"bad source link {source!r}", "write a full https:// link")
    elif retired := retired_domain(str(source)):
        problem(f"the source is on {retired}, which is retired", RETIRED_DOMAINS[retired])
    verified = value.get("verified")
    if verified is None:
        problem("'verified' is missing", "write the day you checked the number on its "
                "source page, as YYYY-MM-DD")
    elif not isinstance(verified, dt.date) or isinstance(verified, dt.datetime):
        problem(f"bad 'verified' date {verified!r}", "write the day as YYYY-MM-DD")
    elif verified > today:
        problem(f"'verified' date {verified} is in the future", "write the day the number "
                "was really checked")
    elif is_stale(verified, today):
        problem(f"verified on {verified}, more than 90 days ago", f"check {number} on "
                f"{source} again and update 'verified'", "warning")
    confirmed = value.get("confirmed", True)
    if confirmed is not True:
        problem(f"{number} is not confirmed: {value.get('note') or 'no note'}",
                "confirm it with the service, then remove 'confirmed: false'", "warning")
    holder = value if isinstance(value, LineDict) else LineDict(value)
    if not isinstance(value, LineDict):
        holder.line, holder.key_lines = line, {k: line for k in value}
    phone_open = _hours(holder, "open", path, problems, required=False)
    chat_open = _hours(holder, "chat_open", path, problems, required=False)
    if _errors(problems) > before or not isinstance(verified, dt.date):
        return None
    languages = value.get("languages")
    return HelpNumber(
        key=key, number=number, purpose=str(value["for"]),
        languages=tuple(str(x) for x in languages) if isinstance(languages, list)
        else (str(languages),), hours=str(value["hours"]), source=str(source),
        verified=verified, line=line, phone_open=phone_open, chat_open=chat_open,
        confirmed=confirmed is True, note=str(value.get("note") or ""))
