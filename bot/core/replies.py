"""What the assistant answers, in a form every channel (console, Telegram) can render."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ReplyKind(StrEnum):
    """What sort of reply this is; channels and statistics branch on it."""

    ANSWER = "answer"
    CANDIDATES = "candidates"
    CRISIS = "crisis"
    HANDOFF = "handoff"
    GREETING = "greeting"
    FALLBACK = "fallback"
    MENU = "menu"
    UNTRANSLATED = "untranslated"
    """The topic is known, but its answer is not yet written in the reader's language."""


class Action(StrEnum):
    """What pressing a button asks the assistant for."""

    TOPIC = "topic"  # value: topic id
    CATEGORY = "category"  # value: category id
    MENU = "menu"
    COACH = "coach"
    PLAIN_FINNISH = "plain"  # value: topic id
    HELPED = "helped"  # value: topic id
    NOT_HELPED = "unhelped"  # value: topic id
    CONTACT_ME = "contact"
    CHAT = "chat"  # a live chat with the duty coach, offered by channels that have one
    ENGLISH = "english"  # value: topic id
    MENTORING = "mentoring"  # join a mentoring programme, offered by channels that have one
    EVENTS = "events"  # what's on: offered by channels that have an activities file


@dataclass(frozen=True)
class Button:
    """A tap target: a label in the reader's language and an action with a short value."""

    label: str
    action: Action
    value: str = ""


@dataclass(frozen=True)
class Message:
    """A person's message as the core sees it: text and the language they chose."""

    text: str
    lang: str
    user: str | None = None


@dataclass(frozen=True)
class Reply:
    """The assistant's reply, independent of any channel."""

    kind: ReplyKind
    lang: str
    text: str
    topic: str | None = None
    score: float = 0.0
    title: str | None = None
    sources: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    """Rows of buttons, as a chat keyboard lays them out."""

    @property
    def right_to_left(self) -> bool:
        """Tell whether the reply's language is written right to left."""
        return self.lang in ("ar", "fa")
