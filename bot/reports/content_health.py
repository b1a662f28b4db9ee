"""What in the content needs an editor's attention, per language."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from bot.core.content import Entry, KnowledgeBase

REVIEW_MONTHS = 6
"""An entry is due for review this long after its 'reviewed' date."""
LONG_ANSWER_CHARS = 900
"""Answers longer than this are listed: the limit is 1200, and a phone screen holds ~600."""
FEWEST = 5


@dataclass(frozen=True)
class LanguageHealth:
    """The entries of one language that need attention."""

    lang: str
    past_review: list[tuple[Entry, dt.date]] = field(default_factory=list)
    """(entry, the day it was due), oldest first."""
    behind_finnish: list[tuple[Entry, dt.date]] = field(default_factory=list)
    """(translation, the Finnish entry's later 'reviewed' date)."""
    long_answers: list[Entry] = field(default_factory=list)
    fewest_questions: list[Entry] = field(default_factory=list)
    not_translated: list[str] = field(default_factory=list)
    """Ids written in other languages but not yet in this one."""


def review_due(entry: Entry) -> dt.date:
    """Return the day an entry should be checked again: REVIEW_MONTHS after 'reviewed'."""
    months = entry.reviewed.month - 1 + REVIEW_MONTHS
    year, month = entry.reviewed.year + months // 12, months % 12 + 1
    last_day = calendar.monthrange(year, month)[1]  # 31 August + 6 months is 28 February
    return dt.date(year, month, min(entry.reviewed.day, last_day))


def content_health(kb: KnowledgeBase, today: dt.date, long_chars: int = LONG_ANSWER_CHARS,
                   fewest: int = FEWEST) -> dict[str, LanguageHealth]:
    """Return, per language, what needs an editor's attention."""
    result = {}
    finnish = kb.packs["fi"].entries if "fi" in kb.packs else {}
    for lang, pack in kb.packs.items():
        entries = list(pack.entries.values())
        due = sorted(((e, review_due(e)) for e in entries if review_due(e) < today),
                     key=lambda pair: (pair[1], pair[0].id))
        behind = [(e, finnish[e.id].reviewed) for e in entries
                  if lang != "fi" and e.id in finnish and e.reviewed < finnish[e.id].reviewed]
        long = sorted((e for e in entries if len(e.answer) > long_chars),
                      key=lambda e: (-len(e.answer), e.id))
        few = sorted(entries, key=lambda e: (len(e.questions), e.id))[:fewest]
        missing = [i for i in kb.topic_ids if i not in pack.entries]
        result[lang] = LanguageHealth(lang, due, behind, long, few, missing)
    return result
