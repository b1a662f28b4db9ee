"""Load the content folder once, check every rule, and build the KnowledgeBase."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.core.content import (
    INTENT_NAMES,
    Category,
    Entry,
    KeepUnknown,
    KnowledgeBase,
    LanguagePack,
)
from bot.core.coverage import check_coverage
from bot.core.languages import SUPPORTED
from bot.core.problems import ContentError, LineDict, LineList, Problem, read_yaml
from bot.core.profile import PROFILE_PLACEHOLDERS, WEEKDAYS, OpeningHours, ServiceProfile

MAX_ANSWER_CHARS = 1200
"""An answer must fit on one phone screen; Telegram's own limit is 4096."""
MAX_TITLE_CHARS = 40
MIN_QUESTIONS = 8
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENTRY_FIELDS = ("id", "category", "title", "questions", "keywords", "answer", "sources",
                "reviewed", "related")
RESERVED_FILES = ("ui.yaml", "intents.yaml")

UI_KEYS: dict[str, tuple[str, ...]] = {
    # key: the placeholders of its own (besides the service profile's)
    "greeting": (), "thanks": (), "fallback": (), "candidates": (), "handoff": (),
    "crisis": (), "empty_message": (), "menu": (), "category": ("category",),
    "plain_finnish_header": (), "source": (),
    "button_menu": (), "button_coach": (), "button_plain_finnish": (), "button_helped_yes": (),
    "button_helped_no": (), "button_back": (), "button_none_of_these": (),
    "button_contact_me": (),
    "intro": (), "choose_language": (), "language_set": (), "feedback_thanks": (),
    "voice_message": (), "photo": (), "sticker": (), "location": (), "unsupported": (),
    "group_chat": (), "too_long": (), "error": (), "help": (), "privacy": ("retention_days",),
    "command_start": (), "command_menu": (), "command_language": (), "command_coach": (),
    "command_privacy": (), "command_help": (), "command_mybooking": (), "command_forget": (),
    # Booking a coach
    "booking_language": (), "booking_no_coach_language": ("language",),
    "booking_with_interpreter": ("language",), "booking_mode": (), "mode_visit": (),
    "mode_phone": (), "mode_video": (), "booking_topic": (), "booking_topic_other": (),
    "booking_note": (), "button_skip": (), "booking_times": (), "booking_no_times": (),
    "booking_confirm": ("when", "mode", "coach"), "button_confirm": (), "button_cancel": (),
    "booking_stopped": (), "booking_taken": (), "booking_cap": ("count",),
    "booking_restart": (), "booking_not_available": (), "humans_next": ("when",),
    "card_title": (), "card_when": (), "card_where": (), "card_coach": (), "card_number": (),
    "card_phone": (), "card_video": (), "card_bring": (), "card_change": (),
    "mybooking_none": (), "mybooking_list": (), "button_move": (),
    "button_cancel_booking": (), "booking_cancelled": ("when",),
    "reminder_day_before": ("coach", "when"), "reminder_hour_before": ("coach", "when"),
    "coach_cancelled_client": ("when", "message"), "contact_me_confirm": (),
    "button_yes_contact": (), "contact_me_done": (), "forget_confirm": (),
    "button_forget": (), "forget_done": (), "not_allowed": (),
    # The coaches' side
    "alert_new": (), "alert_moved": (), "alert_cancelled": (), "alert_contact": (),
    "alert_escalated": (), "alert_client": (), "alert_language": (), "alert_meeting": (),
    "alert_topic": (), "alert_note": (), "alert_time": (), "alert_flags": (),
    "alert_questions": (), "flag_interpreter": (), "flag_voice": (), "button_ack": (),
    "button_done": (), "button_no_show": (), "alert_acknowledged": (),
    "coach_marked": ("status",), "coach_today": (), "coach_week": (), "coach_nothing": (),
    "coach_block_usage": (), "coach_blocked": ("when",), "coach_cancel_usage": (),
    "coach_cancel_done": (),
    # The editors' and operators' loop
    "not_translated": (), "button_english": (), "english_header": (),
    "privacy_questions": ("question_days",), "coordinators_only": (), "reload_done": (),
    "reload_refused": (), "reload_on_snapshot": (),
    "stats_summary": ("period", "conversations", "people", "messages", "languages", "answered",
                      "candidates", "fallback", "crisis", "contacts", "booked", "held",
                      "cancelled", "no_shows", "response", "topics"),
    "chart_messages": (), "chart_quality": (), "quality_answered": (),
    "quality_candidates": (), "quality_fallback": (), "quality_other": (),
    "unanswered_title": ("days",), "unanswered_none": (),
    "unanswered_group": ("count", "languages", "topic"), "describe_question": (),
    "describe_working": (), "describe_studying": (), "describe_jobseeker": (),
    "describe_outside": (), "describe_rather_not": (),
}
"""Every UI string the program uses; each language's ui.yaml must define them all."""

PLAIN_FINNISH_NAMES = {
    "fi": "selkosuomi", "en": "plain Finnish", "ar": "الفنلندية المبسطة",
    "so": "Af-Finnish fudud", "fa": "فنلاندی ساده", "ru": "простой финский",
}
"""How `fi` is named in language lists: coaches speak plain Finnish, not office Finnish."""


def load_knowledge_base(root: Path, required_topics: Path | None = None) -> KnowledgeBase:
    """Load `root` (the content folder) or raise ContentError listing every error."""
    kb, problems = check_content(root, required_topics)
    if kb is None:
        raise ContentError(problems)
    return kb


def check_content(
    root: Path, required_topics: Path | None = None
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Return the knowledge base (None if any error) and every problem found."""
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(root, 1, "the content folder does not exist",
                                "set OHJAAMO_CONTENT to the folder that holds service.yaml"))
        return None, problems
    profile = _load_profile(root / "service.yaml", problems)
    categories = _load_categories(root / "categories.yaml", problems)
    # An unreadable category file is one problem, not one per entry naming a category.
    category_ids = {c.id for c in categories} if categories is not None else _EveryCategory()
    _check_language_folders(root, problems)

    raw_packs: dict[str, _RawPack] = {}
    for lang in SUPPORTED:
        raw_packs[lang] = _load_language(root / lang, lang, category_ids, problems)
    check_coverage(root, raw_packs, required_topics, problems)

    if profile is None or categories is None or any(p.severity == "error" for p in problems):
        return None, problems
    packs = {lang: raw.build(profile) for lang, raw in raw_packs.items()}
    # An entry not yet translated everywhere is still a topic, served where it exists.
    topic_ids = tuple(dict.fromkeys(i for pack in packs.values() for i in pack.entries))
    return KnowledgeBase(packs, tuple(categories), root, topic_ids, profile), problems


class _EveryCategory(set[str]):
    """Stands in for the category ids when categories.yaml could not be read."""

    def __contains__(self, item: object) -> bool:
        return True


# --- The service profile and the category menu -------------------------------------------


def _load_profile(path: Path, problems: list[Problem]) -> ServiceProfile | None:
    data = read_yaml(path, problems)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(path, 1, "the file must be a mapping of settings",
                                "start with 'name: ...' as in the example in content/README.md"))
        return None
    before = len(problems)
    texts = {key: _text(data, key, path, problems) for key in
             ("name", "organisation", "venue", "address", "timezone")}
    walk_in = _hours(data, "walk_in", path, problems)
    duty = _hours(data, "duty", path, problems)
    coach_languages = _string_list(data, "coach_languages", path, problems)
    helplines_raw = data.get("helplines")
    helplines: dict[str, str] = {}
    if not isinstance(helplines_raw, dict):
        problems.append(Problem(path, data.line_of("helplines"), "'helplines' is missing",
                                "list emergency, medical_helpline, crisis_line and violence_line"))
    else:
        for key in ("emergency", "medical_helpline", "crisis_line", "violence_line"):
            value = helplines_raw.get(key)
            if not isinstance(value, str | int) or not str(value).strip():
                problems.append(Problem(path, data.line_of("helplines"),
                                        f"help line '{key}' is missing",
                                        "write the phone number in quotes"))
            else:
                helplines[key] = str(value)
    if len(problems) > before:
        return None
    return ServiceProfile(walk_in=walk_in, duty=duty, coach_languages=tuple(coach_languages),
                          helplines=helplines, **texts)


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


def _hours(data: LineDict, key: str, path: Path, problems: list[Problem]) -> tuple[OpeningHours,
                                                                                  ...]:
    blocks = data.get(key)
    if not isinstance(blocks, LineList) or not blocks:
        problems.append(Problem(path, data.line_of(key), f"'{key}' is missing or empty",
                                "list blocks of days and hours, e.g. days: [mon, tue] and "
                                "hours: \"10:00-16:00\""))
        return ()
    result = []
    for line, block in zip(blocks.item_lines, blocks, strict=True):
        if not isinstance(block, dict):
            problems.append(Problem(path, line, f"each '{key}' block must have days and hours",
                                    "write days: [mon, tue] and hours: \"10:00-16:00\""))
            continue
        days = block.get("days")
        bad_days = [d for d in days or [] if d not in WEEKDAYS] if isinstance(days, list) else [1]
        match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", str(block.get("hours")))
        if not days or bad_days:
            problems.append(Problem(path, line, f"bad days {days!r}",
                                    f"use a list of {', '.join(WEEKDAYS)}"))
            continue
        if not match:
            problems.append(Problem(path, line, f"bad hours {block.get('hours')!r}",
                                    "write hours in quotes as \"HH:MM-HH:MM\""))
            continue
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            start = end = dt.time(0)
        if start >= end:
            problems.append(Problem(path, line, f"hours {block.get('hours')!r} are not a range",
                                    "the start must be before the end, e.g. \"10:00-16:00\""))
            continue
        langs = block.get("languages") or []
        result.append(OpeningHours(tuple(WEEKDAYS.index(d) for d in days), start, end,
                                   tuple(str(x) for x in langs)))
    return tuple(result)


def _load_categories(path: Path, problems: list[Problem]) -> list[Category] | None:
    """Return the categories, or None when the file cannot be read at all."""
    data = read_yaml(path, problems)
    if data is None:
        return None
    items = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(items, LineList) or not items:
        problems.append(Problem(path, 1, "'categories' is missing or empty",
                                "list categories with an id and an emoji each"))
        return []
    result = []
    for line, item in zip(items.item_lines, items, strict=True):
        if not isinstance(item, dict) or not item.get("id") or not item.get("emoji"):
            problems.append(Problem(path, line, "a category needs an 'id' and an 'emoji'",
                                    "write '- id: work' and 'emoji: \"💼\"'"))
            continue
        result.append(Category(str(item["id"]), str(item["emoji"])))
    return result


def _check_language_folders(root: Path, problems: list[Problem]) -> None:
    for child in sorted(root.iterdir()):
        if child.is_dir() and child.name not in SUPPORTED and not child.name.startswith("."):
            problems.append(Problem(child, 1, f"unknown language folder '{child.name}'",
                                    f"use one of {', '.join(SUPPORTED)}, or ask a developer to "
                                    "add the language"))


# --- One language folder --------------------------------------------------------------------


class _RawPack:
    """What one language folder says, before placeholders are filled in."""

    def __init__(self, lang: str, folder: Path) -> None:
        self.lang = lang
        self.folder = folder
        self.entries: dict[str, dict[str, Any]] = {}
        self.language_name = lang
        self.category_names: dict[str, str] = {}
        self.strings: dict[str, str] = {}
        self.intents: dict[str, tuple[str, ...]] = {}
        self.unreadable: list[Path] = []
        """Files whose entries could not be read; their ids are not reported missing."""
        self.rejected: set[str] = set()
        """Ids of entries refused for their own errors; not reported missing either."""

    def build(self, profile: ServiceProfile) -> LanguagePack:
        """Fill in the profile's placeholders for this language."""
        values = profile.placeholders(self.lang, PLAIN_FINNISH_NAMES[self.lang])
        fill = _filler(values)
        entries = {
            entry_id: Entry(
                id=entry_id, lang=self.lang, category=raw["category"], title=fill(raw["title"]),
                questions=tuple(fill(q) for q in raw["questions"]),
                keywords=tuple(raw["keywords"]), answer=fill(raw["answer"]).strip(),
                sources=tuple(raw["sources"]), reviewed=raw["reviewed"],
                related=tuple(raw["related"]), path=raw["path"], line=raw["line"])
            for entry_id, raw in self.entries.items()
        }
        strings = {key: fill(text).strip() for key, text in self.strings.items()}
        intents = {name: tuple(fill(x) for x in items) for name, items in self.intents.items()}
        return LanguagePack(self.lang, self.language_name, entries, self.category_names,
                            strings, intents)


def _filler(values: dict[str, str]) -> Any:
    mapping = KeepUnknown(values)

    def fill(text: str) -> str:
        return text.format_map(mapping)

    return fill


def _load_language(folder: Path, lang: str, category_ids: set[str],
                   problems: list[Problem]) -> _RawPack:
    raw = _RawPack(lang, folder)
    if not folder.is_dir():
        problems.append(Problem(folder, 1, f"the language folder for '{lang}' is missing",
                                "create it with ui.yaml, intents.yaml and the answer files",
                                lang=lang))
        return raw
    for path in sorted(folder.glob("*.y*ml")):
        before = len(problems)
        data = read_yaml(path, problems, lang)
        if not isinstance(data, LineDict):
            raw.unreadable.append(path)
            if len(problems) == before:  # not a YAML error (that is reported): empty or a list
                problems.append(Problem(path, 1, "the file must start with 'language: " + lang
                                        + "'", "see content/README.md for the layout",
                                        lang=lang))
            continue
        declared = data.get("language")
        if declared != lang:
            unknown = declared not in SUPPORTED
            problems.append(Problem(
                path, data.line_of("language"),
                f"unknown language {declared!r}" if unknown else
                f"the file says language {declared!r} but lies in the '{lang}' folder",
                f"write 'language: {lang}' as the first line" + (
                    f" (languages: {', '.join(SUPPORTED)})" if unknown else ""), lang=lang))
            raw.unreadable.append(path)
            continue
        if path.name == "ui.yaml":
            _read_ui(path, data, raw, category_ids, problems)
        elif path.name == "intents.yaml":
            _read_intents(path, data, raw, problems)
        else:
            _read_entries(path, data, raw, category_ids, problems)
    for name in RESERVED_FILES:
        if not (folder / name).exists():
            problems.append(Problem(folder / name, 1, "the file is missing",
                                    f"copy content/en/{name} and translate it", lang=lang))
    return raw


def _read_entries(path: Path, data: LineDict, raw: _RawPack, category_ids: set[str],
                  problems: list[Problem]) -> None:
    lang = raw.lang
    file_category = data.get("category")
    entries = data.get("entries")
    if not isinstance(entries, LineList):
        problems.append(Problem(path, data.line_of("entries"), "'entries' is missing",
                                "list the answers under 'entries:'", lang=lang))
        raw.unreadable.append(path)
        return
    for line, item in zip(entries.item_lines, entries, strict=True):
        if not isinstance(item, LineDict):
            problems.append(Problem(path, line, "an entry must be a mapping",
                                    "start each entry with '- id: ...'", lang=lang))
            raw.unreadable.append(path)
            continue
        parsed = _parse_entry(path, item, file_category, category_ids, lang, problems)
        if parsed is None:
            if isinstance(item.get("id"), str):
                raw.rejected.add(item["id"])
            continue
        if parsed["id"] in raw.entries:
            first = raw.entries[parsed["id"]]
            problems.append(Problem(path, item.line, "the id is used twice in this language",
                                    f"it is already used at {first['path'].name}:"
                                    f"{first['line']}; give each entry its own id",
                                    entry=parsed["id"], lang=lang))
            continue
        raw.entries[parsed["id"]] = parsed


def _parse_entry(path: Path, item: LineDict, file_category: Any, category_ids: set[str],
                 lang: str, problems: list[Problem]) -> dict[str, Any] | None:
    entry_id = item.get("id")
    label = str(entry_id) if entry_id else f"#{item.line}"
    before = len(problems)

    def problem(key: str, message: str, fix: str, severity: str = "error") -> None:
        problems.append(Problem(path, item.line_of(key), message, fix, entry=label,
                                severity=severity, lang=lang))  # type: ignore[arg-type]

    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        problem("id", f"bad or missing id {entry_id!r}",
                "use English kebab-case such as 'tax-card', the same in every language")
    for key in item:
        if key not in ENTRY_FIELDS:
            close = difflib.get_close_matches(key, ENTRY_FIELDS, n=1)
            problem(key, f"unknown field '{key}'",
                    f"did you mean '{close[0]}'?" if close else
                    f"fields are: {', '.join(ENTRY_FIELDS)}")
    category = item.get("category", file_category)
    if category not in category_ids:
        problem("category", f"unknown category {category!r}",
                f"use one of {', '.join(sorted(category_ids))} (content/categories.yaml)")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        problem("title", "'title' is missing", "every entry needs a short title for its button")
    elif len(title) > MAX_TITLE_CHARS:
        problem("title", f"'title' is {len(title)} characters long",
                f"keep it under {MAX_TITLE_CHARS} so it fits on a button")
    questions = item.get("questions")
    if not isinstance(questions, list) or not questions or not all(
            isinstance(q, str) and q.strip() for q in questions):
        problem("questions", "'questions' is missing or has an empty line",
                "every entry needs questions and an answer: list how people ask")
        questions = []
    elif len(questions) < MIN_QUESTIONS:
        problem("questions", f"only {len(questions)} questions",
                f"add at least {MIN_QUESTIONS} ways people really ask", "warning")
    keywords = item.get("keywords") or []
    if not isinstance(keywords, list):
        problem("keywords", "'keywords' must be a list", "write keywords: [word, other word]")
        keywords = []
    answer = item.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        problem("answer", "'answer' is missing", "every entry needs questions and an answer")
    elif len(answer.strip()) > MAX_ANSWER_CHARS:
        problem("answer", f"'answer' is {len(answer.strip())} characters long",
                f"shorten it to at most {MAX_ANSWER_CHARS} so it fits on a phone screen")
    for key in ("title", "answer"):
        text = item.get(key)
        if isinstance(text, str):
            _check_placeholders(text, (), lambda m, f, k=key: problem(k, m, f))
    for text in questions:
        _check_placeholders(text, (), lambda m, f: problem("questions", m, f))
    sources = item.get("sources")
    if not isinstance(sources, list) or not sources:
        problem("sources", "'sources' is missing",
                "name at least one official https:// link the answer is based on")
        sources = []
    for url in sources:
        if not is_https_url(url):
            problem("sources", f"bad source link {url!r}", "write a full https:// link")
    reviewed = item.get("reviewed")
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        problem("reviewed", f"bad or missing 'reviewed' date {reviewed!r}",
                "write the day the facts were checked as YYYY-MM-DD")
    elif reviewed > dt.date.today():
        problem("reviewed", f"'reviewed' date {reviewed} is in the future",
                "write the day the facts were really checked")
    related = item.get("related") or []
    if not isinstance(related, list):
        problem("related", "'related' must be a list", "write related: [other-id, third-id]")
        related = []
    if len(problems) > before and any(p.severity == "error" for p in problems[before:]):
        return None
    return {"id": entry_id, "category": category, "title": title, "questions": questions,
            "keywords": [str(k) for k in keywords], "answer": answer, "sources": sources,
            "reviewed": reviewed, "related": [str(r) for r in related], "path": path,
            "line": item.line, "related_line": item.line_of("related")}


def is_https_url(url: object) -> bool:
    """Tell whether `url` is a full https:// link with a host name."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parsed = urlparse(url)
    return parsed.scheme == "https" and "." in parsed.netloc


def _check_placeholders(text: str, own: Iterable[str], report: Any) -> None:
    allowed = set(PROFILE_PLACEHOLDERS) | set(own)
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        report("a lone '{' or '}'", "write a placeholder as {address}, or a bracket as {{ }}")
        return
    for name in names:
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            report(f"unknown placeholder {{{name}}}",
                   f"did you mean {{{close[0]}}}?" if close else
                   "see the list of placeholders in content/README.md")


def _read_ui(path: Path, data: LineDict, raw: _RawPack, category_ids: set[str],
             problems: list[Problem]) -> None:
    lang = raw.lang
    name = data.get("language_name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(path, data.line, "'language_name' is missing",
                                "write the language's name in its own script", lang=lang))
    else:
        raw.language_name = name.strip()
    names = data.get("categories")
    if not isinstance(names, LineDict):
        names = LineDict()
        names.line, names.key_lines = data.line, {}
    for category in sorted(category_ids):
        if not isinstance(names.get(category), str):
            problems.append(Problem(path, names.line,
                                    f"the name of category '{category}' is missing",
                                    f"add '{category}: ...' under 'categories:'", lang=lang))
    raw.category_names = {k: str(v) for k, v in names.items()}
    strings = data.get("strings")
    if not isinstance(strings, LineDict):
        problems.append(Problem(path, data.line_of("strings"), "'strings' is missing",
                                "copy the strings from content/en/ui.yaml", lang=lang))
        return
    for key, own in UI_KEYS.items():
        value = strings.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(path, strings.line, f"UI string '{key}' is missing",
                                    f"add '{key}:' under 'strings:' (see content/en/ui.yaml)",
                                    lang=lang))
            continue
        _check_placeholders(value, own, lambda m, f, k=key: problems.append(
            Problem(path, strings.line_of(k), f"UI string '{k}': {m}", f, lang=lang)))
        raw.strings[key] = value
    for key in strings:
        if key not in UI_KEYS:
            problems.append(Problem(path, strings.line_of(key), f"UI string '{key}' is not used",
                                    "remove it, or check its spelling", severity="warning",
                                    lang=lang))


def _read_intents(path: Path, data: LineDict, raw: _RawPack, problems: list[Problem]) -> None:
    for name in INTENT_NAMES:
        items = data.get(name)
        if items is None and name == "out_of_scope":
            continue
        if not isinstance(items, list) or not items or not all(
                isinstance(x, str) and x.strip() for x in items):
            problems.append(Problem(path, data.line_of(name),
                                    f"'{name}' is missing or has an empty line",
                                    f"list example messages under '{name}:'", lang=raw.lang))
            continue
        raw.intents[name] = tuple(items)
