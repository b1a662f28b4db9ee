"""What in the content needs an editor's attention, per language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.core.content import Entry, KnowledgeBase
from bot.core.freshness import stale_entries

LONG_ANSWER_CHARS = 900
"""Answers longer than this are listed: the limit is 1200, and a phone screen holds ~600."""
FEWEST = 5


@dataclass(frozen=True)
class LanguageHealth:
    """The entries of one language that need attention."""

    lang: str
    past_review: list[Entry] = field(default_factory=list)
    """Entries whose 'review_by' day has passed, oldest first."""
    behind_finnish: list[tuple[Entry, dt.date]] = field(default_factory=list)
    """(translation, the Finnish entry's later 'reviewed' date)."""
    long_answers: list[Entry] = field(default_factory=list)
    fewest_examples: list[tuple[Entry, int]] = field(default_factory=list)
    """(entry, its questions plus phrasings), fewest first: what the models learn it from."""
    not_translated: list[str] = field(default_factory=list)
    """Ids written in other languages but not yet in this one."""


def content_health(kb: KnowledgeBase, today: dt.date, long_chars: int = LONG_ANSWER_CHARS,
                   fewest: int = FEWEST) -> dict[str, LanguageHealth]:
    """Return, per language, what needs an editor's attention."""
    result = {}
    finnish = kb.packs["fi"].entries if "fi" in kb.packs else {}
    stale = stale_entries(kb, today)
    for lang, pack in kb.packs.items():
        entries = list(pack.entries.values())
        behind = [(e, finnish[e.id].reviewed) for e in entries
                  if lang != "fi" and e.id in finnish and e.reviewed < finnish[e.id].reviewed]
        long = sorted((e for e in entries if len(e.answer) > long_chars),
                      key=lambda e: (-len(e.answer), e.id))
        examples = sorted(((e, len(pack.examples_of(e.id))) for e in entries),
                          key=lambda pair: (pair[1], pair[0].id))[:fewest]
        missing = [i for i in kb.topic_ids if i not in pack.entries]
        result[lang] = LanguageHealth(lang, stale.get(lang, []), behind, long, examples,
                                      missing)
    return result
