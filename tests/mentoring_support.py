"""Helpers for mentoring tests: the example programmes, a running bot with a clock the test
holds, people who sign up by taps, and a pair formed from the desk."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.core.assistant import Assistant
from bot.mentoring.office import MentoringOffice
from tests.booking_support import EXAMPLE_COACHES
from tests.live_support import LiveBot, data_of, start_live_bot
from tests.loopback_api import Call

EXAMPLE_PROGRAMMES = Path(__file__).resolve().parent.parent / "examples" / "programmes.yaml"
COORDINATOR = 200001

NURSE_IN_KEMI: dict[str, Any] = {
    "field": "health", "education": "higher", "interests": ["cooking", "nature"],
    "languages": ["en", "ar"], "municipality": "Kemi", "availability": ["evenings"],
    "goals": ["work", "language"], "hopes": "Learn how nursing works here"}


def with_data(calls: list[Call], data: str) -> Call:
    """Return the last message that carries a button with this data."""
    return next(c for c in reversed(calls) if data in data_of(c))


async def sign_up(bot: LiveBot, user: int, lang: str, role: str,
                  answers: dict[str, Any], programme: str = "fika") -> list[Call]:
    """Walk the sign-up from /mentor by taps (typed answers as text); return the last replies."""
    await bot.commands(user, "start", lang, lang=lang)
    listing = await bot.commands(user, "mentor", lang=lang)
    roles = await bot.taps(user, with_data(listing, f"mt:p:{programme}"), f"mt:p:{programme}",
                           lang)
    consent = await bot.taps(user, with_data(roles, f"mt:r:{programme}:{role}"),
                             f"mt:r:{programme}:{role}", lang)
    replies = await bot.taps(user, with_data(consent, "mt:c:"), "mt:c:", lang)
    typed_answers = [str(answers[k]) for k in ("hopes", "organisation") if k in answers]
    while replies and "mt:s:" in data_of(replies[-1]):
        question = replies[-1]
        buttons = data_of(question)
        values = _answer_for(buttons, answers)
        if any(b.startswith("mt:t:") for b in buttons):
            for value in values:
                await bot.taps(user, question, f"mt:t:{value}", lang)
            replies = await bot.taps(user, question, "mt:d:", lang)
        elif any(b.startswith("mt:v:") for b in buttons):
            data = f"mt:v:{values[0]}" if values else "mt:s:"
            replies = await bot.taps(user, question, data, lang)
        else:  # a typed question (each programme asks one: hopes or organisation)
            typed = typed_answers.pop(0) if typed_answers else None
            replies = await bot.says(user, typed, lang) if typed else await bot.taps(
                user, question, "mt:s:", lang)
    return replies


def _answer_for(buttons: list[str], answers: dict[str, Any]) -> list[str]:
    offered = {b.split(":", 2)[2] for b in buttons if b.startswith(("mt:t:", "mt:v:"))}
    for value in answers.values():
        values = value if isinstance(value, list) else [value]
        if values and all(str(v) in offered for v in values):
            return [str(v) for v in values]
    return []


MONDAY_10 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
"""Monday 1 March 2027, 10:00 in Helsinki: the interviewers are at work this week."""
MENTEE, MENTOR, OTHER_MENTOR = 501, 502, 503
MENTOR_PROFILE: dict[str, Any] = {
    "field": "health", "education": "higher", "interests": ["nature"],
    "languages": ["fi", "en", "ar"], "municipality": "Kemi", "availability": ["evenings"],
    "goals": ["work"], "hopes": "I was a nurse for 30 years"}


class Clock:
    """A clock the test sets by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def mentoring_bot(tmp_path: Path, assistant: Assistant, clock: Clock,
                        programmes: Path = EXAMPLE_PROGRAMMES) -> AsyncIterator[LiveBot]:
    """A running bot with the example coaches and programmes, and the test's people."""
    async for running in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock,
                                        programmes):
        for chat in (MENTEE, MENTOR, OTHER_MENTOR, 999):
            running.api.add_chat(chat)
        yield running


def office(live: LiveBot) -> MentoringOffice:
    found = live.app.bot_data["services"].mentoring
    assert isinstance(found, MentoringOffice)
    return found


def texts(calls: list[Any]) -> str:
    return "\n".join(str(c.params.get("text")) for c in calls)


async def pair_up(live: LiveBot, lang: str) -> int:
    """Sign up a mentee (in `lang`) and a mentor (in English), accept both, propose, say yes."""
    await sign_up(live, MENTEE, lang, "mentee", NURSE_IN_KEMI)
    await sign_up(live, MENTOR, "en", "mentor", MENTOR_PROFILE)
    store = office(live).store
    for person in await store.participants("fika", ["new"]):
        signups = await live.commands(COORDINATOR, "mentoring", lang="fi")
        listing = await live.taps(COORDINATOR, with_data(signups, "md:n:fika"), "md:n:fika",
                                  "fi")
        card = with_data(listing, f"md:o:{person.id}:accepted")
        await live.taps(COORDINATOR, card, f"md:o:{person.id}:accepted", "fi")
    desk = await live.commands(COORDINATOR, "mentoring", lang="fi")
    matches = await live.taps(COORDINATOR, with_data(desk, "md:m:fika"), "md:m:fika", "fi")
    propose = next(d for c in matches for d in data_of(c) if d.startswith("md:r:"))
    await live.taps(COORDINATOR, with_data(matches, propose), propose, "fi")
    [pair] = await store.pairs("fika", ["proposed"])
    for user, user_lang in ((MENTEE, lang), (MENTOR, "en")):
        asked = [c for c in live.received(user) if f"mt:a:{pair.id}:1" in data_of(c)]
        await live.taps(user, asked[-1], f"mt:a:{pair.id}:1", user_lang)
    return pair.id
