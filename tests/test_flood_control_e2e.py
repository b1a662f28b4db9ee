"""Telegram's flood limits through the real `ohjaamo run`: 429s honoured, nothing lost, no one
held up by someone else's flood."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.replies import Message, ReplyKind
from tests.e2e_support import BotProcess, Person, text_of
from tests.loopback_api import Call, LoopbackBotApi

pytestmark = pytest.mark.asyncio(loop_scope="function")


def direct_questions(assistant: Assistant, count: int) -> list[tuple[str, str]]:
    """Return (question, title) pairs the assistant answers directly, one per topic."""
    found = []
    for entry in assistant.kb.packs["en"].entries.values():
        reply = assistant.reply_to(Message(entry.questions[0], "en"))
        if reply.kind == ReplyKind.ANSWER and reply.topic == entry.id:
            found.append((entry.questions[0], entry.title))
    assert len(found) >= count
    return found[:count]


def replies_to(api: LoopbackBotApi, person: Person) -> list[Call]:
    return [c for c in api.sent if c.method == "sendMessage" and not c.failed
            and c.params.get("chat_id") == person.id]


async def test_a_flood_is_answered_in_order_without_holding_up_others(
        tmp_path: Path, assistant: Assistant) -> None:
    questions = direct_questions(assistant, 12)
    async with LoopbackBotApi() as api:
        bot = BotProcess(api, tmp_path / "bot.db", env={"OHJAAMO_FLOOD_LIMITS": "on"})
        await bot.start()
        api.limit_rate(per_chat=1.0, chat_burst=3, overall=30.0, overall_burst=30)
        flooder, others = Person(api), [Person(api) for _ in range(10)]
        asked: dict[int, list[tuple[float, str]]] = {}

        def ask(person: Person, question: str) -> None:
            api.user_sends_text(person.id, question, language_code="en")
            asked.setdefault(person.id, []).append(
                (asyncio.get_running_loop().time(), question))

        async def talk(person: Person, mine: list[tuple[str, str]]) -> None:
            await asyncio.sleep(random.uniform(0, 2))
            for question, _ in mine:
                ask(person, question)
                await asyncio.sleep(1.0)

        try:
            for question, _ in questions:  # all at once
                ask(flooder, question)
            await asyncio.gather(*(talk(p, random.sample(questions, 3)) for p in others))
            everyone = [flooder, *others]
            await api.wait_for(lambda c: c.method == "sendMessage" and not c.failed,
                               count=sum(len(asked[p.id]) for p in everyone), timeout=90)
            await asyncio.sleep(1)
        finally:
            log = await bot.stop()

    titles = dict(questions)
    flood_replies = [text_of(c) for c in replies_to(api, flooder)]
    assert len(flood_replies) == len(questions), flood_replies  # none lost, no apology
    for (question, title), reply in zip(questions, flood_replies, strict=True):
        assert title in reply, (question, reply)  # in the order they were asked
    latencies = []
    for person in others:
        replies = replies_to(api, person)
        assert [titles[q] in text_of(r) for (_, q), r in zip(
            asked[person.id], replies, strict=True)] == [True] * 3
        latencies += [r.time - at for (at, _), r in zip(asked[person.id], replies, strict=True)]
    latencies.sort()
    assert latencies[int(0.95 * len(latencies)) - 1] < 2.0, latencies
    assert api.sends_during_retry_after() == []
    assert "error while handling update" not in log
