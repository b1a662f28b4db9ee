"""The programmes file: each mentoring programme's roles, questions, matching and timetable.

Operator-owned YAML (see examples/programmes.yaml), checked like the content: every problem
is reported as `path:line: what is wrong (how to fix it)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.languages import SUPPORTED
from bot.core.problems import ContentError, LineDict, LineList, Problem, read_yaml
from bot.mentoring.vocabulary import CRITERIA, QUESTIONS

GOOD_PRACTICE_HEADINGS = ("purpose", "target_groups", "resources", "description",
                          "dissemination", "challenges")
"""The good-practice form's free-text parts; evaluation and results come from the data."""
PRACTICE_LANGUAGES = ("en", "fi")
"""A part is plain text (English) or written per language: `purpose: {fi: ..., en: ...}`."""


@dataclass(frozen=True)
class Role:
    """One side of a pair: who signs up as it, what they are asked, whom they are paired with."""

    id: str
    seeks: str
    label: dict[str, str]
    """The sign-up button in each language ("I would like a mentor")."""
    asks: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackQuestion:
    """A closing question, put to one role (or to everyone) in each language."""

    id: str
    role: str | None
    text: dict[str, str]


@dataclass(frozen=True)
class Programme:
    """One mentoring programme."""

    id: str
    name: dict[str, str]
    about: dict[str, str]
    """What the programme is and is not, in plain words, in each language."""
    coordinators: tuple[int, ...]
    interviewers: tuple[str, ...]
    """Coach ids (from the coaches file) whose free time is offered for interviews."""
    months: int
    hours_per_month: tuple[int, int]
    checkin_every_days: int
    alert_after_days_without_meeting: int
    meeting_languages: tuple[str, ...]
    languages: tuple[str, ...]
    municipalities: tuple[str, ...]
    roles: tuple[Role, ...]
    weights: dict[str, int]
    different_organisation: bool
    feedback: tuple[FeedbackQuestion, ...]
    first_meeting: dict[str, str]
    feedback_event: dict[str, str]
    good_practice: dict[str, dict[str, str]]
    ends: dt.date | None = None
    """The programme's last day, if it has one: OHJAAMO_MENTORING_RETENTION_DAYS after it,
    everything personal of the programme is deleted (the figures stay)."""
    """The good-practice description's free-text parts: heading -> {language: text}."""

    def role(self, role_id: str) -> Role | None:
        """Return the role with this id, if the programme has it."""
        return next((r for r in self.roles if r.id == role_id), None)

    def is_coordinator(self, telegram_id: int) -> bool:
        """Tell whether a Telegram user coordinates this programme."""
        return telegram_id in self.coordinators

    def seeker(self) -> Role:
        """Return the role matches are suggested for: the first listed (mentee, or peer)."""
        return self.roles[0]


@dataclass(frozen=True)
class ProgrammeBook:
    """Every programme in the file."""

    programmes: tuple[Programme, ...]

    def programme(self, programme_id: str) -> Programme | None:
        """Return the programme with this id, if any."""
        return next((p for p in self.programmes if p.id == programme_id), None)

    def coordinated_by(self, telegram_id: int) -> tuple[Programme, ...]:
        """Return the programmes this Telegram user coordinates."""
        return tuple(p for p in self.programmes if p.is_coordinator(telegram_id))


class ProgrammesFileError(ContentError):
    """The programmes file has errors; `ohjaamo programmes check` lists them."""


def load_programmes(path: Path, coach_ids: frozenset[str] | None = None) -> ProgrammeBook:
    """Read and check the programmes file; raise ProgrammesFileError listing every problem."""
    problems: list[Problem] = []
    data = read_yaml(path, problems)
    if data is None:
        raise ProgrammesFileError(problems)
    items = data.get("programmes") if isinstance(data, LineDict) else None
    if not isinstance(items, LineList) or not items:
        raise ProgrammesFileError([Problem(path, getattr(data, "line", 1) or 1,
                                           "'programmes' is missing or empty",
                                           "start from examples/programmes.yaml")])
    found: list[Programme] = []
    for line, item in zip(items.item_lines, items, strict=True):
        programme = _programme(path, line, item, problems, coach_ids)
        if programme is not None and programme.id in {p.id for p in found}:
            problems.append(Problem(path, line, f"programme '{programme.id}' is listed twice",
                                    "give each programme its own id"))
        elif programme is not None:
            found.append(programme)
    if any(p.severity == "error" for p in problems):
        raise ProgrammesFileError(problems)
    return ProgrammeBook(tuple(found))


def _programme(path: Path, line: int, item: Any, problems: list[Problem],
               coach_ids: frozenset[str] | None) -> Programme | None:
    if not isinstance(item, LineDict):
        problems.append(Problem(path, line, "a programme must be a mapping",
                                "start each programme with '- id: name'"))
        return None
    before = len(problems)
    label = str(item.get("id") or f"#{line}")

    def problem(key: str, message: str, fix: str, at: LineDict | None = None) -> None:
        place = at if at is not None else item
        problems.append(Problem(path, place.line_of(key), f"programme '{label}': {message}",
                                fix))

    def texts(key: str, at: LineDict | None = None) -> dict[str, str]:
        where = at if at is not None else item
        value = where.get(key)
        if not isinstance(value, dict):
            problem(key, f"'{key}' must give a text in each language",
                    f"write '{key}:' and under it {', '.join(SUPPORTED)}", where)
            return {}
        missing = [lang for lang in SUPPORTED if not str(value.get(lang) or "").strip()]
        if missing:
            problem(key, f"'{key}' has no text in {', '.join(missing)}",
                    "write one in every language (fi = plain Finnish)", where)
        return {lang: str(value.get(lang) or "").strip() for lang in SUPPORTED}

    def number(key: str, minimum: int, maximum: int) -> int:
        value = item.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not (
                minimum <= value <= maximum):
            problem(key, f"'{key}' must be a whole number from {minimum} to {maximum} "
                    f"(got {value!r})", f"write e.g. '{key}: {minimum}'")
            return minimum
        return value

    def words(key: str, required: bool = True, example: str = "[fi, sv, en]"
              ) -> tuple[str, ...]:
        value = item.get(key)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v.strip() for v in value):
            problem(key, f"'{key}' must be a list of words", f"write e.g. '{key}: {example}'")
            return ()
        return tuple(str(v).strip() for v in value)

    if not isinstance(item.get("id"), str) or not item["id"].strip():
        problem("id", "'id' is missing", "write 'id: fika' (English kebab-case)")
    coordinators = item.get("coordinators")
    if not isinstance(coordinators, list) or not coordinators or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in coordinators):
        problem("coordinators", "'coordinators' must list Telegram user ids",
                "write 'coordinators: [200001]'")
        coordinators = []
    interviewers = words("interviewers", example="[amina] (coach ids)")
    unknown = [c for c in interviewers if coach_ids is not None and c not in coach_ids]
    if unknown:
        problem("interviewers", f"no coach {', '.join(unknown)} in the coaches file",
                "use coach ids from the coaches file; interviews are booked in their hours")
    hours = item.get("hours_per_month")
    if not (isinstance(hours, list) and len(hours) == 2 and all(
            isinstance(h, int) and h > 0 for h in hours) and hours[0] <= hours[1]):
        problem("hours_per_month", f"'hours_per_month' must be [least, most] (got {hours!r})",
                "write e.g. 'hours_per_month: [4, 8]'")
        hours = [1, 1]
    roles = _roles(path, item, problems, label)
    weights = _weights(path, item, problems, label)
    feedback = _feedback(item, problems, label, texts, problem)
    practice = _practice(item, problem)
    programme = Programme(
        id=label, name=texts("name"), about=texts("about"),
        coordinators=tuple(coordinators), interviewers=interviewers,
        months=number("months", 1, 36), hours_per_month=(hours[0], hours[1]),
        checkin_every_days=number("checkin_every_days", 7, 92),
        alert_after_days_without_meeting=number("alert_after_days_without_meeting", 7, 180),
        meeting_languages=words("meeting_languages"), languages=words("languages"),
        municipalities=words("municipalities", required=False), roles=roles,
        weights=weights, different_organisation=bool(item.get("different_organisation")),
        feedback=feedback, first_meeting=texts("first_meeting"),
        feedback_event=texts("feedback_event"),
        good_practice=practice, ends=_end_date(item, problem))
    return programme if len(problems) == before else None


def _roles(path: Path, item: LineDict, problems: list[Problem], label: str
           ) -> tuple[Role, ...]:
    raw = item.get("roles")
    if not isinstance(raw, LineList) or not raw:
        problems.append(Problem(path, item.line_of("roles"), f"programme '{label}': 'roles' "
                                "is missing", "list the roles, e.g. mentee and mentor"))
        return ()
    roles: list[Role] = []
    for line, role in zip(raw.item_lines, raw, strict=True):
        if not isinstance(role, LineDict) or not isinstance(role.get("id"), str):
            problems.append(Problem(path, line, f"programme '{label}': a role needs an 'id'",
                                    "write '- id: mentee'"))
            continue
        asks = role.get("asks") or []
        unknown = [a for a in asks if a not in QUESTIONS] if isinstance(asks, list) else [asks]
        if unknown:
            problems.append(Problem(path, role.line_of("asks"), f"programme '{label}': role "
                                    f"'{role['id']}' asks unknown question(s) {unknown}",
                                    f"use {', '.join(QUESTIONS)}"))
        label_texts = role.get("label")
        if not isinstance(label_texts, dict) or any(not label_texts.get(x) for x in SUPPORTED):
            problems.append(Problem(path, role.line_of("label"), f"programme '{label}': role "
                                    f"'{role['id']}' needs a 'label' in every language",
                                    f"write the sign-up button in {', '.join(SUPPORTED)}"))
            label_texts = {}
        roles.append(Role(str(role["id"]), str(role.get("seeks") or role["id"]),
                          {k: str(v) for k, v in label_texts.items()},
                          tuple(str(a) for a in asks) if isinstance(asks, list) else ()))
    ids = {r.id for r in roles}
    for role, line in zip(roles, raw.item_lines, strict=False):
        if role.seeks not in ids:
            problems.append(Problem(path, line, f"programme '{label}': role '{role.id}' seeks "
                                    f"'{role.seeks}', which is not a role here",
                                    f"use one of {', '.join(sorted(ids))}"))
    return tuple(roles)


def _weights(path: Path, item: LineDict, problems: list[Problem], label: str
             ) -> dict[str, int]:
    raw = item.get("matching")
    if not isinstance(raw, LineDict) or not raw:
        problems.append(Problem(path, item.line_of("matching"), f"programme '{label}': "
                                "'matching' is missing", "write criteria and weights, e.g. "
                                "'field: 3'"))
        return {}
    weights: dict[str, int] = {}
    for key, value in raw.items():
        if key not in CRITERIA or not isinstance(value, int) or isinstance(value, bool) \
                or value < 0:
            problems.append(Problem(path, raw.line_of(key), f"programme '{label}': bad "
                                    f"matching criterion {key}: {value!r}",
                                    f"use {', '.join(CRITERIA)} with a weight of 0 or more"))
            continue
        weights[key] = value
    return weights


def _feedback(item: LineDict, problems: list[Problem], label: str, texts: Any,
              problem: Any) -> tuple[FeedbackQuestion, ...]:
    raw = item.get("feedback_questions")
    if not isinstance(raw, list) or not raw:
        problem("feedback_questions", "'feedback_questions' is missing",
                "list the closing questions, e.g. 'did mentoring help you settle in?'")
        return ()
    questions = []
    for question in raw:
        if not isinstance(question, LineDict) or not isinstance(question.get("id"), str):
            problem("feedback_questions", "each closing question needs an 'id'",
                    "write '- id: helped-settle'")
            continue
        questions.append(FeedbackQuestion(question["id"], question.get("role"),
                                          texts("text", question)))
    return tuple(questions)


def _practice(item: LineDict, problem: Any) -> dict[str, dict[str, str]]:
    raw = item.get("good_practice") or {}
    if not isinstance(raw, dict):
        problem("good_practice", "'good_practice' must be a mapping",
                f"write {', '.join(GOOD_PRACTICE_HEADINGS)} under it")
        return {}
    parts: dict[str, dict[str, str]] = {}
    for heading in GOOD_PRACTICE_HEADINGS:
        value = raw.get(heading)
        if isinstance(value, dict) and set(value) <= set(PRACTICE_LANGUAGES):
            parts[heading] = {k: str(v or "").strip() for k, v in value.items()}
        elif value is None or isinstance(value, str):
            parts[heading] = {"en": str(value or "").strip()}
        else:
            problem(heading, f"good_practice '{heading}' must be text, or texts in "
                    f"{', '.join(PRACTICE_LANGUAGES)}", f"write '{heading}: {{fi: ..., en: ...}}'",
                    raw if isinstance(raw, LineDict) else None)
    return parts


def _end_date(item: LineDict, problem: Any) -> dt.date | None:
    value = item.get("ends")
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problem("ends", f"'ends' must be a date (got {value!r})",
                "write e.g. 'ends: 2027-09-30', or leave it out for an ongoing programme")
        return None
