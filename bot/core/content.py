"""The knowledge base as the rest of the program sees it: loaded, validated, rendered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from bot.core.profile import ServiceProfile

DEFAULT_ZONE = "Europe/Helsinki"
INTENT_NAMES = ("handoff", "greeting", "thanks", "out_of_scope")
"""Lists in every `intents.yaml`."""
CRISIS_KINDS = ("suicide-direct", "suicide-indirect", "self-harm", "violence-at-home",
                "sexual-assault", "child-in-danger", "medical-emergency", "fire-smoke",
                "weapon-threat", "trafficking", "accident")
"""The kinds of danger `crisis.yaml` gives examples of."""


@dataclass(frozen=True)
class Entry:
    """One answer in one language, with placeholders already filled in."""

    id: str
    lang: str
    category: str
    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    reviewed: dt.date
    review_by: dt.date
    related: tuple[str, ...]
    path: Path
    line: int


@dataclass(frozen=True)
class Category:
    """A menu button: a category id with its emoji."""

    id: str
    emoji: str


@dataclass(frozen=True)
class CrisisExamples:
    """One language's `crisis.yaml`: phrase rules, whole example messages, and near misses."""

    phrases: tuple[str, ...] = ()
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_crisis: tuple[str, ...] = ()

    def all_examples(self) -> tuple[str, ...]:
        """Return every example message of every kind."""
        return tuple(text for kind in self.examples.values() for text in kind)


@dataclass(frozen=True)
class LanguagePack:
    """Everything one language folder holds."""

    lang: str
    language_name: str
    entries: dict[str, Entry]
    category_names: dict[str, str]
    strings: dict[str, str]
    intents: dict[str, tuple[str, ...]]
    phrasings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """More ways people ask about each entry (`phrasings.yaml`), by entry id."""
    crisis: CrisisExamples = field(default_factory=CrisisExamples)

    def examples_of(self, entry_id: str) -> tuple[str, ...]:
        """Return every example message of an entry: its questions and its phrasings."""
        entry = self.entries[entry_id]
        return entry.questions + self.phrasings.get(entry_id, ())

    def text(self, key: str, **values: str) -> str:
        """Return UI string `key`, filling its own placeholders such as `{category}`."""
        template = self.strings[key]
        return template.format_map(KeepUnknown(values)) if values else template


@dataclass(frozen=True)
class KnowledgeBase:
    """All languages' content plus the shared category menu."""

    packs: dict[str, LanguagePack]
    categories: tuple[Category, ...]
    root: Path
    topic_ids: tuple[str, ...] = field(default=())
    profile: ServiceProfile | None = None

    @property
    def zone(self) -> ZoneInfo:
        """Return the service's time zone (service.yaml), Helsinki when it is not known."""
        try:
            return ZoneInfo(self.profile.timezone if self.profile else DEFAULT_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(DEFAULT_ZONE)

    def entry(self, topic_id: str, lang: str) -> Entry:
        """Return the entry for `topic_id` in `lang`."""
        return self.packs[lang].entries[topic_id]

    def has_topic(self, topic_id: str) -> bool:
        """Tell whether `topic_id` is a known entry id (in at least one language)."""
        return topic_id in self.topic_ids

    def has_entry(self, topic_id: str, lang: str) -> bool:
        """Tell whether `topic_id` is written in `lang`; a new entry may not be translated yet."""
        pack = self.packs.get(lang)
        return pack is not None and topic_id in pack.entries

    def languages_of(self, topic_id: str) -> tuple[str, ...]:
        """Return the languages `topic_id` is written in, in menu order."""
        return tuple(lang for lang, pack in self.packs.items() if topic_id in pack.entries)

    def title(self, topic_id: str, lang: str) -> str:
        """Return the entry's title in `lang`, else in plain Finnish, English or any other."""
        for code in (lang, "fi", "en", *self.languages_of(topic_id)):
            if self.has_entry(topic_id, code):
                return self.packs[code].entries[topic_id].title
        raise KeyError(topic_id)

    def entries_in(self, category_id: str, lang: str) -> list[Entry]:
        """Return the entries of one category in content order."""
        return [e for e in self.packs[lang].entries.values() if e.category == category_id]


class KeepUnknown(dict[str, str]):
    """A format mapping that leaves unknown `{names}` as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
