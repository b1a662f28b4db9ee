"""Load the content folder once, check every rule, and build the KnowledgeBase."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.content import (
    INTENT_NAMES,
    Category,
    CrisisExamples,
    Entry,
    KeepUnknown,
    KnowledgeBase,
    LanguagePack,
)
from bot.core.coverage import check_coverage, read_required_topics
from bot.core.entry_rules import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, MIN_QUESTIONS, parse_entry
from bot.core.example_files import (
    CRISIS_FILE,
    PHRASINGS_FILE,
    check_phrasings,
    read_crisis,
    read_phrasings,
)
from bot.core.languages import SUPPORTED
from bot.core.links import is_https_url
from bot.core.problems import ContentError, LineDict, LineList, Problem, read_yaml
from bot.core.profile import ServiceProfile
from bot.core.registry import HelpNumber
from bot.core.service_file import load_service_file
from bot.core.text_rules import Place, TextRules

__all__ = ["MAX_ANSWER_CHARS", "MAX_TITLE_CHARS", "MIN_QUESTIONS", "UI_KEYS", "check_content",
           "is_https_url", "load_knowledge_base", "read_required_topics"]

RESERVED_FILES = ("ui.yaml", "intents.yaml", CRISIS_FILE)

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
    # Hardening: contact requests, escalation, moves, blocks, staff and unknown commands
    "contact_me_already": (), "contact_me_done_later": ("when",), "alert_unknown": (),
    "alert_escalated_again": ("count", "total"), "alert_moved_from": ("when",),
    "alert_moved_away": (), "coach_block_conflict": ("when", "number"),
    "coach_block_not_coach": (), "staff_start": (), "staff_help": (), "unknown_command": (),
    # Live duty chat
    "button_chat_now": (), "duty_next": ("when",), "duty_coming": ("coach",),
    "duty_waiting": ("position", "minutes"), "duty_already": (), "button_end_chat": (),
    "duty_joined": ("coach",), "duty_transferred": ("coach",), "duty_requeued": (),
    "duty_ended_by_you": (), "duty_ended_by_coach": (), "duty_not_chatting": (),
    "duty_unserved": ("when",), "privacy_duty_chat": (), "privacy_duty_transcripts": ("days",),
    "duty_new_chat": (), "duty_queue_place": ("position",), "duty_flag_crisis": (),
    "duty_topic_ended": (), "button_take": (), "button_transfer": (), "button_close_chat": (),
    "duty_taken_by": ("coach",), "duty_transferred_staff": ("coach",), "duty_transfer_to": (),
    "duty_requeued_staff": ("language",), "duty_closed_by_staff": ("coach",),
    "duty_closed_by_person": (), "duty_crisis_alert": (), "duty_left_report": ("count",),
    "duty_chat_gone": (), "duty_unserved_staff": (),
    # Mentoring programmes (issue 13): the person's side, then the coordinators' desk
    "command_mentor": (), "mt_not_available": (), "mt_choose_programme": (),
    "mt_about": ("about", "hours", "months", "name"), "mt_choose_role": (), "mt_consent": (),
    "mt_button_agree": (), "mt_stopped": (), "mt_ask_field": (), "mt_ask_education": (),
    "mt_ask_interests": (), "mt_ask_languages": (), "mt_ask_municipality": (),
    "mt_ask_availability": (), "mt_ask_goals": (), "mt_ask_themes": (),
    "mt_ask_organisation": (), "mt_ask_hopes": (), "mt_option_other": (), "mt_button_ready": (),
    "mt_already": (), "mt_signed_up": ("name",), "mt_field_health": (), "mt_field_social": (),
    "mt_field_education": (), "mt_field_tech": (), "mt_field_business": (),
    "mt_field_trades": (), "mt_field_hospitality": (), "mt_field_arts": (),
    "mt_field_other": (), "mt_education_basic": (), "mt_education_vocational": (),
    "mt_education_higher": (), "mt_interests_sport": (), "mt_interests_nature": (),
    "mt_interests_culture": (), "mt_interests_cooking": (), "mt_interests_crafts": (),
    "mt_interests_music": (), "mt_interests_digital": (), "mt_availability_weekdays": (),
    "mt_availability_evenings": (), "mt_availability_weekends": (), "mt_goals_work": (),
    "mt_goals_studies": (), "mt_goals_language": (), "mt_goals_social": (),
    "mt_goals_hobbies": (), "mt_themes_planning": (), "mt_themes_resources": (),
    "mt_themes_priorities": (), "mt_themes_communication": (), "mt_themes_involvement": (),
    "mt_reason_field": ("values",), "mt_reason_education": ("values",),
    "mt_reason_interests": ("values",), "mt_reason_languages": ("values",),
    "mt_reason_municipality": ("values",), "mt_reason_availability": ("values",),
    "mt_reason_goals": ("values",), "mt_reason_themes": ("values",),
    "mt_proposal": ("hours", "months", "name", "reasons"), "mt_button_accept_pair": (),
    "mt_button_decline_pair": (), "mt_declined_ok": (), "mt_partner_declined": (),
    "mt_waiting_other": (), "mt_introduction": ("contact", "first_meeting", "name"),
    "mt_checkin_met": ("name",), "mt_answer_yes": (), "mt_answer_no": (),
    "mt_answer_partly": (), "mt_checkin_hours": (), "mt_hours": ("hours",),
    "mt_checkin_mood": (), "mt_mood_good": (), "mt_mood_unsure": (), "mt_mood_problem": (),
    "mt_checkin_thanks": (), "mt_checkin_problem_thanks": (), "mt_pair_ended": (),
    "mt_closing": ("event", "months"), "mt_closing_thanks": (),
    "mt_interview_booked": ("coach", "when"), "mt_accepted": (), "mt_privacy": ("days",),
    "mt_alert_signup": ("name", "programme", "role"),
    "mt_alert_declined": ("name", "programme"), "mt_alert_pair_formed": ("name", "programme"),
    "mt_alert_not_met": ("days", "name", "programme"),
    "mt_alert_problem": ("name", "programme"), "mt_alert_left": ("name", "programme"),
    "mt_desk_only": (), "mt_desk_signups": ("count",), "mt_desk_matching": ("count",),
    "mt_desk_pairs": ("count",), "mt_desk_stats": (), "mt_desk_nothing": (),
    "mt_desk_interview": (), "mt_outcome_accepted": (), "mt_outcome_not_now": (),
    "mt_outcome_not_suitable": (), "mt_desk_pick_time": (),
    "mt_desk_interview_booked": ("number", "when"), "mt_desk_outcome_saved": ("outcome",),
    "mt_desk_note_saved": (), "mt_desk_no_match": (), "mt_desk_propose": ("name",),
    "mt_desk_cannot_propose": (), "mt_desk_proposed": (), "mt_desk_end": (),
    "mt_desk_rematch": (), "mt_desk_end_why": (), "mt_end_schedule": (), "mt_end_mismatch": (),
    "mt_end_moved": (), "mt_end_goals_reached": (), "mt_end_other": (), "mt_desk_ended": (),
    "mt_status_proposed": (), "mt_status_active": (),
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
    # Mentoring, finished (issue 13): /help names /mentor; a coordinator's re-match
    "help_mentoring": (), "mt_rematch_seeker": (), "mt_desk_rematched": ("name",),
    "staff_help_mentoring": (), "button_mentoring": (),
    # What's on: activities, sign-ups and announcements (people's side, then coordinators')
    "command_events": (), "command_myevents": (), "command_subscribe": (),
    "ev_button_menu": (), "ev_title": (), "ev_none": (), "ev_category_work": (),
    "ev_category_education": (), "ev_category_language": (), "ev_category_digital": (),
    "ev_category_open": (), "ev_not_translated": (), "ev_languages": ("languages",),
    "ev_places_left": ("left", "places"), "ev_full": (), "ev_no_signup": (),
    "ev_contact": ("contact",), "ev_button_signup": (), "ev_button_remind": (),
    "ev_button_calendar": (), "ev_button_cancel": (), "ev_signed_up": ("title", "when"),
    "ev_waiting": ("number", "title", "when"), "ev_remind_set": ("title", "when"),
    "ev_gone": (), "ev_cancelled_by_you": ("title", "when"), "ev_moved_up": ("title", "when"),
    "ev_activity_cancelled": ("title", "when"), "ev_reminder": ("title", "when", "where"),
    "ev_my_none": (), "ev_my_list": (), "ev_status_place": (), "ev_status_waiting": (),
    "ev_status_reminder": (), "ev_subscribe_question": (), "ev_button_topic_events": (),
    "ev_button_topic_urgent": (), "ev_button_topic_both": (), "ev_button_no_thanks": (),
    "ev_subscribed": ("topics",), "ev_not_subscribed": (), "ev_button_stop": (),
    "ev_stopped": (), "ev_announcement_events": (), "ev_announcement_urgent": (),
    "ev_announcement_untranslated": (), "privacy_whats_on": ("days",),
    "ev_desk_title": (), "ev_desk_line": ("title", "when", "taken", "places", "waiting"),
    "ev_desk_button_list": (), "ev_desk_button_cancel": (), "ev_desk_list": ("title", "when"),
    "ev_desk_waiting": (), "ev_desk_nobody": (), "ev_desk_button_attended": ("name",),
    "ev_desk_attended": (), "ev_desk_cancel_confirm": ("title", "when", "count"),
    "ev_desk_button_confirm_cancel": (), "ev_desk_cancelled": ("count",),
    "ev_desk_full": ("title", "when", "places"), "ev_desk_topic": (), "ev_desk_link": (),
    "ev_desk_no_link": (), "ev_desk_ask_finnish": (), "ev_desk_ask_text": ("language",),
    "ev_desk_preview": ("count", "written", "missing"), "ev_desk_button_send": (),
    "ev_desk_sending": ("number", "count"), "ev_desk_stopped": (),
    "ev_desk_report": ("number", "delivered", "blocked", "failed"),
    "stats_whats_on": ("signups", "waiting", "attended", "announcements", "delivered",
                       "opt_outs"),
    # /help names /events where there is an activities file
    "help_events": (),
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


@dataclass(frozen=True)
class _Checks:
    """What the service file tells the checks of every language folder."""

    placeholders: frozenset[str] | None
    """Every placeholder the profile fills; None when the service file itself is broken."""
    numbers: Mapping[str, HelpNumber]
    today: dt.date


def check_content(
    root: Path, required_topics: Path | None = None, today: dt.date | None = None
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Return the knowledge base (None if any error) and every problem found."""
    problems: list[Problem] = []
    today = today or dt.date.today()
    if not root.is_dir():
        problems.append(Problem(root, 1, "the content folder does not exist",
                                "set OHJAAMO_CONTENT to the folder that holds service.yaml"))
        return None, problems
    profile = load_service_file(root / "service.yaml", problems, today)
    checks = _Checks(profile.placeholder_names() if profile else None,
                     profile.numbers if profile else {}, today)
    categories = _load_categories(root / "categories.yaml", problems)
    # An unreadable category file is one problem, not one per entry naming a category.
    category_ids = {c.id for c in categories} if categories is not None else _EveryCategory()
    _check_language_folders(root, problems)

    raw_packs: dict[str, _RawPack] = {}
    for lang in SUPPORTED:
        raw_packs[lang] = _load_language(root / lang, lang, category_ids, checks, problems)
    check_coverage(root, raw_packs, required_topics, problems)

    if profile is None or categories is None or any(
            p.severity == "error" and p.blocks_loading for p in problems):
        return None, problems
    packs = {lang: raw.build(profile) for lang, raw in raw_packs.items()}
    # An entry not yet translated everywhere is still a topic, served where it exists.
    topic_ids = tuple(dict.fromkeys(i for pack in packs.values() for i in pack.entries))
    return KnowledgeBase(packs, tuple(categories), root, topic_ids, profile), problems


class _EveryCategory(set[str]):
    """Stands in for the category ids when categories.yaml could not be read."""

    def __contains__(self, item: object) -> bool:
        return True


# --- The category menu ----------------------------------------------------------------------


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
        self.phrasings: dict[str, tuple[str, ...]] = {}
        self.crisis = CrisisExamples()
        self.unreadable: list[Path] = []
        """Files whose entries could not be read; their ids are not reported missing."""
        self.rejected: set[str] = set()
        """Ids of entries refused for their own errors; not reported missing either."""

    def note_unreadable(self, path: Path) -> None:
        """Remember a file that could not be read, if it could have held entries."""
        if path.name not in (*RESERVED_FILES, PHRASINGS_FILE):
            self.unreadable.append(path)

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
                review_by=raw["review_by"], related=tuple(raw["related"]), path=raw["path"],
                line=raw["line"])
            for entry_id, raw in self.entries.items()
        }
        strings = {key: fill(text).strip() for key, text in self.strings.items()}
        intents = {name: tuple(fill(x) for x in items) for name, items in self.intents.items()}
        return LanguagePack(self.lang, self.language_name, entries, self.category_names,
                            strings, intents, self.phrasings, self.crisis)


def _filler(values: dict[str, str]) -> Any:
    mapping = KeepUnknown(values)

    def fill(text: str) -> str:
        return text.format_map(mapping)

    return fill


def _load_language(folder: Path, lang: str, category_ids: set[str], checks: _Checks,
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
            raw.note_unreadable(path)
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
            raw.note_unreadable(path)
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if path.name == "ui.yaml":
            _read_ui(path, data, raw, category_ids, checks, lines, problems)
        elif path.name == "intents.yaml":
            _read_intents(path, data, raw, problems)
        elif path.name == PHRASINGS_FILE:
            raw.phrasings = read_phrasings(path, data, lang, problems)
        elif path.name == CRISIS_FILE:
            raw.crisis = read_crisis(path, data, lang, problems)
        else:
            _read_entries(path, data, raw, category_ids, checks, lines, problems)
    # Phrasings of an entry refused for its own error are not reported a second time.
    check_phrasings(folder / PHRASINGS_FILE,
                    {i: texts for i, texts in raw.phrasings.items() if i not in raw.rejected},
                    {i: len(e["questions"]) for i, e in raw.entries.items()}, lang, problems)
    for name in RESERVED_FILES:
        if not (folder / name).exists():
            problems.append(Problem(folder / name, 1, "the file is missing",
                                    f"copy content/en/{name} and translate it", lang=lang))
    return raw


def _read_entries(path: Path, data: LineDict, raw: _RawPack, category_ids: set[str],
                  checks: _Checks, lines: list[str], problems: list[Problem]) -> None:
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
        parsed = parse_entry(path, item, file_category, category_ids, lang,
                             TextRules(checks.placeholders, checks.numbers), checks.today,
                             lines, problems)
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


def _read_ui(path: Path, data: LineDict, raw: _RawPack, category_ids: set[str],
             checks: _Checks, lines: list[str], problems: list[Problem]) -> None:
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
    rules = TextRules(checks.placeholders, checks.numbers)
    for key, own in UI_KEYS.items():
        value = strings.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(path, strings.line, f"UI string '{key}' is missing",
                                    f"add '{key}:' under 'strings:' (see content/en/ui.yaml)",
                                    lang=lang))
            continue
        rules.check(value, Place(path, strings.line_of(key), lines, lang,
                                 prefix=f"UI string '{key}': "), problems, own)
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
