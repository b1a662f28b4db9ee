"""Helpers for mentoring tests: the example programmes, and people who sign up by taps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.live_support import LiveBot, data_of
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
