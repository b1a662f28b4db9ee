"""Done when: one duty coach serves three people in three languages at once from Telegram;
each has a real conversation, told honestly when a human is there, the bot silent meanwhile.
Then the day's duty figures are in the statistics report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.core.assistant import Assistant
from bot.reports.figures import Period, compute_figures, csv_text, duty_figures, figures_table
from tests.booking_support import COACH_IDS, EXAMPLE_COACHES, FakeClock
from tests.conftest import LANGUAGES
from tests.duty_support import MONDAY_DUTY, coach_writes, copies_to, in_topic, live
from tests.live_support import LiveBot, data_of
from tests.test_duty_chat import card_of, open_chat, text_of

PEOPLE = {481: "so", 482: "ar", 483: "en"}


@pytest_asyncio.fixture
async def desk(tmp_path: Path, assistant: Assistant) -> AsyncIterator[LiveBot]:
    async for running in live(tmp_path, assistant, EXAMPLE_COACHES, FakeClock(MONDAY_DUTY)):
        yield running


def relayed_text(bot: LiveBot, chat: int, call: object) -> str:
    return str(bot.api._messages[(chat, call.result["message_id"])].get("text", ""))  # type: ignore[attr-defined]


async def test_one_coach_serves_three_people_in_three_languages_at_once(
        desk: LiveBot, assistant: Assistant) -> None:
    amina = COACH_IDS["amina"]
    threads = {}
    for user, lang in PEOPLE.items():
        replies, threads[user] = await open_chat(desk, user, lang)
        # Honest from the first moment: who is coming, and a way out.
        assert text_of(replies[-1]) == assistant.kb.packs[lang].text("duty_coming",
                                                                     coach="Amina, Reza"
                                                                     if lang == "en"
                                                                     else "Amina")
        assert "dc:e:" in data_of(replies[-1])
    assert len(set(threads.values())) == 3

    for user, lang in PEOPLE.items():  # the coach takes all three from their topics' cards
        card = card_of(desk, threads[user])
        await desk.taps(amina, card, data_of(card)[0], "fi")
        assert text_of(desk.received(user)[-1]) == assistant.kb.packs[lang].text(
            "duty_joined", coach="Amina")

    for round_ in range(3):  # interleaved, as a coach with three conversations writes
        for user in PEOPLE:
            assert await desk.says(user, f"question {round_} from {user}", PEOPLE[user]) == []
            coach_writes(desk, amina, threads[user], text=f"answer {round_} for {user}")
        await desk.pump()

    for user in PEOPLE:
        to_person = [relayed_text(desk, user, c) for c in copies_to(desk.api, user)]
        assert to_person == [f"answer {r} for {user}" for r in range(3)]
        in_thread = [c for c in in_topic(desk.api, threads[user]) if c.method == "copyMessage"]
        assert [c.params["from_chat_id"] for c in in_thread] == [user] * 3
        # Only the joining note came from the bot itself: it stayed silent in the chat.
        assert [text_of(c) for c in desk.received(user)][-1] == assistant.kb.packs[
            PEOPLE[user]].text("duty_joined", coach="Amina")

    # The coach closes the Somali chat: that person is asked 👍/👎, the others still chat.
    card = card_of(desk, threads[481])
    await desk.taps(amina, card, next(d for d in data_of(card) if d.startswith("dc:c:")), "fi")
    assert text_of(desk.received(481)[-1]) == assistant.kb.packs["so"].text(
        "duty_ended_by_coach")
    assert await desk.says(481, "tell me about football", "so")  # the bot answers again
    assert await desk.says(482, "still here", "ar") == []  # a human still has this one

    database = desk.app.bot_data["services"].database
    zone = desk.app.bot_data["services"].duty.rota.book.timezone
    figures = compute_figures(Period.month("2027-03"), [], {},
                              await duty_figures(database, Period.month("2027-03"), zone))
    assert set(figures.duty) == {"so", "ar", "en"}
    assert all(f.started == 1 and f.served == 1 for f in figures.duty.values())
    assert all(f.median_first_response_seconds is not None for f in figures.duty.values())
    assert "Live duty chat by language" in figures_table(figures)
    assert "duty_served,so,1" in csv_text(figures)
    assert desk.errors == []


@LANGUAGES
async def test_privacy_explains_the_duty_chat(desk: LiveBot, assistant: Assistant,
                                              lang: str) -> None:
    await desk.commands(491, "start", lang, lang=lang)
    shown = " ".join(text_of(c) for c in await desk.commands(491, "privacy", lang=lang))

    assert assistant.kb.packs[lang].text("privacy_duty_chat") in shown
    assert desk.errors == []
