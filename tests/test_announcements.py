"""Announcements through the real PTB stack and the loopback Bot API: opting in (asked once,
after a first answer), a coordinator's announcement in six languages, one-tap opt-out,
the report, and people who blocked the bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.activities.board import ActivityBoard
from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED
from bot.core.replies import Message, ReplyKind
from tests.booking_support import COORDINATOR, EXAMPLE_COACHES, FakeClock
from tests.conftest import LANGUAGES
from tests.live_support import LiveBot, data_of, start_live_bot
from tests.loopback_api import Call
from tests.understanding_cases import TOPIC_CASES
from tests.whats_on_support import CLUB, EXAMPLE_ACTIVITIES, NOW

PEOPLE = {lang: 601 + n for n, lang in enumerate(SUPPORTED)}
TEXTS = {"fi": "Keskustelukerho alkaa tiistaina.", "en": "The conversation club starts on "
         "Tuesday.", "so": "Kooxda wada-hadalka waxay bilaabanaysaa Talaadada.",
         "fa": "باشگاه گفت‌وگو سه‌شنبه شروع می‌شود.", "ru": "Разговорный клуб начнётся во "
         "вторник."}
"""What the coordinator writes; Arabic is left out on purpose (it gets plain Finnish)."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest_asyncio.fixture
async def live(tmp_path: Path, assistant: Assistant, clock: FakeClock
               ) -> AsyncIterator[LiveBot]:
    async for running in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock,
                                        activities=EXAMPLE_ACTIVITIES):
        for chat in PEOPLE.values():
            running.api.add_chat(chat)
        yield running


def text(call: Call) -> str:
    return str(call.params.get("text"))


def ui(assistant: Assistant, lang: str, key: str, **values: str) -> str:
    return assistant.kb.packs[lang].text(key, **values)


async def subscribe(live: LiveBot, user: int, lang: str, topics: str = "10") -> None:
    await live.commands(user, "start", lang, lang=lang)
    offer = await live.commands(user, "subscribe", lang=lang)
    await live.taps(user, offer[-1], f"ev:t:{topics}", lang)


@LANGUAGES
async def test_announcements_are_offered_once_after_the_first_answered_question(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    user = PEOPLE[lang]
    answered = [m for _, m, _ in TOPIC_CASES[lang]
                if (await assistant.handle(Message(m, lang))).kind == ReplyKind.ANSWER]
    await live.commands(user, "start", lang, lang=lang)
    first = await live.says(user, answered[0], lang)
    offer = first[-1]
    assert text(offer) == ui(assistant, lang, "ev_subscribe_question")
    assert data_of(offer) == ["ev:t:10", "ev:t:01", "ev:t:11", "ev:t:00"]
    second = await live.says(user, answered[-1], lang)
    assert all(text(c) != ui(assistant, lang, "ev_subscribe_question") for c in second)

    done = await live.taps(user, offer, "ev:t:11", lang)

    assert text(done[-1]).startswith(ui(assistant, lang, "ev_subscribed", topics="")[:12])
    assert await board(live).store.subscription(user) == (True, True)
    assert live.errors == []


def board(live: LiveBot) -> ActivityBoard:
    found = live.app.bot_data["services"].activities
    assert isinstance(found, ActivityBoard)
    return found


async def test_a_coordinator_announces_in_six_languages_and_sees_the_report(
        live: LiveBot, assistant: Assistant) -> None:
    for lang, user in PEOPLE.items():
        await subscribe(live, user, lang)

    step = await live.commands(COORDINATOR, "announce", lang="fi")
    step = await live.taps(COORDINATOR, step[-1], "ed:t:events", "fi")
    step = await live.taps(COORDINATOR, step[-1], f"ed:k:{CLUB}", "fi")
    for lang in SUPPORTED:
        if lang in TEXTS:
            step = await live.says(COORDINATOR, TEXTS[lang], "fi")
        else:
            step = await live.taps(COORDINATOR, step[-1], "ed:n:", "fi")
    preview = text(step[-1])
    assert "6" in preview
    assert "العربية" in preview.rsplit(":", 1)[1]  # the missing language is named
    await live.taps(COORDINATOR, step[-1], "ed:g:", "fi")
    sent = await live.run_job("deliver_announcements")

    for lang, user in PEOPLE.items():
        [copy] = [c for c in sent if c.params["chat_id"] == user]
        assert TEXTS.get(lang, TEXTS["fi"]) in text(copy)
        assert (ui(assistant, lang, "ev_announcement_untranslated") in text(copy)) == (
            lang == "ar")
        assert data_of(copy) == [f"ev:s:{CLUB}", "ev:u:"]  # sign-up, and one-tap opt-out
    report = [c for c in await live.run_job("deliver_alerts") if c.params["chat_id"]
              == COORDINATOR]
    assert ui(assistant, "fi", "ev_desk_report", number="1", delivered="6", blocked="0",
              failed="0") in text(report[-1])

    stop = next(c for c in sent if c.params["chat_id"] == PEOPLE["so"])
    stopped = await live.taps(PEOPLE["so"], stop, "ev:u:", "so")
    assert text(stopped[-1]) == ui(assistant, "so", "ev_stopped")
    assert await board(live).store.subscription(PEOPLE["so"]) == (False, False)
    assert live.errors == []


async def test_urgent_notices_go_only_to_people_who_chose_them(live: LiveBot) -> None:
    await subscribe(live, PEOPLE["fi"], "fi", "10")
    await subscribe(live, PEOPLE["ru"], "ru", "01")
    await board(live).broadcasts.announce("urgent", {"fi": "Tärkeä tiedote."}, None,
                                          COORDINATOR, board(live).clock())
    sent = await live.run_job("deliver_announcements")
    assert [c.params["chat_id"] for c in sent] == [PEOPLE["ru"]]
    assert data_of(sent[0]) == ["ev:u:"]


async def test_a_person_who_blocked_the_bot_is_counted_and_not_retried(
        live: LiveBot, assistant: Assistant) -> None:
    await subscribe(live, PEOPLE["en"], "en")
    await subscribe(live, PEOPLE["fa"], "fa")
    live.api.user_blocks_bot(PEOPLE["fa"])
    await board(live).broadcasts.announce("events", {"fi": "Tervetuloa!"}, None, COORDINATOR,
                                          board(live).clock())

    await live.run_job("deliver_announcements")
    await live.run_job("deliver_announcements")

    tries = [c for c in live.api.calls if c.method == "sendMessage"
             and c.params.get("chat_id") == PEOPLE["fa"] and "Tervetuloa" in text(c)]
    assert len(tries) == 1  # refused once, never again
    tally = await board(live).broadcasts.tally(1)
    assert (tally.delivered, tally.blocked, tally.failed) == (1, 1, 0)
    assert await board(live).store.subscription(PEOPLE["fa"]) == (False, False)
    report = [c for c in await live.run_job("deliver_alerts") if c.params["chat_id"]
              == COORDINATOR]
    assert ui(assistant, "fi", "ev_desk_report", number="1", delivered="1", blocked="1",
              failed="0") in text(report[-1])


async def test_the_monthly_figures_count_sign_ups_announcements_and_opt_outs(
        live: LiveBot, assistant: Assistant) -> None:
    await subscribe(live, PEOPLE["en"], "en")
    cards = await live.commands(PEOPLE["en"], "events")
    await live.taps(PEOPLE["en"], next(c for c in cards if f"ev:s:{CLUB}" in data_of(c)),
                    f"ev:s:{CLUB}")
    await board(live).broadcasts.announce("events", {"fi": "Tervetuloa!"}, None, COORDINATOR,
                                          board(live).clock())
    [copy] = await live.run_job("deliver_announcements")
    await live.taps(PEOPLE["en"], copy, "ev:u:")
    await live.run_job("deliver_announcements")  # nothing left: the announcement is closed

    stats = await live.commands(COORDINATOR, "stats", lang="fi")

    assert ui(assistant, "fi", "stats_whats_on", signups="1", waiting="0", attended="0",
              announcements="1", delivered="1", opt_outs="1") in text(stats[0])
    assert live.errors == []


async def test_done_when_a_coordinator_adds_next_week_announces_and_people_sign_up(
        tmp_path: Path, assistant: Assistant, clock: FakeClock) -> None:
    """The issue's "done when": a coordinator, as a new user would, adds next week's
    conversation club and digital help day, announces them in six languages, and sees people
    sign up and get reminded in their own language."""
    activities = tmp_path / "activities.yaml"
    activities.write_text("activities: []\n", encoding="utf-8")
    async for live in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock,
                                     activities=activities):
        for chat in PEOPLE.values():
            live.api.add_chat(chat)
        for lang, user in PEOPLE.items():
            await subscribe(live, user, lang)
        # The coordinator copies the example's two activities into the file and saves it.
        activities.write_text(EXAMPLE_ACTIVITIES.read_text(encoding="utf-8"), encoding="utf-8")
        listing = await live.commands(COORDINATOR, "activities", lang="fi")
        assert any(f"ed:l:{CLUB}" in data_of(c) for c in listing)

        step = await live.commands(COORDINATOR, "announce", lang="fi")
        step = await live.taps(COORDINATOR, step[-1], "ed:t:events", "fi")
        step = await live.taps(COORDINATOR, step[-1], f"ed:k:{CLUB}", "fi")
        for lang in SUPPORTED:
            step = await live.says(COORDINATOR, f"[{lang}] Keskustelukerho ja digiapu", "fi")
        await live.taps(COORDINATOR, step[-1], "ed:g:", "fi")
        copies = await live.run_job("deliver_announcements")
        for lang, user in PEOPLE.items():
            [copy] = [c for c in copies if c.params["chat_id"] == user]
            assert f"[{lang}]" in text(copy)
            signed = await live.taps(user, copy, f"ev:s:{CLUB}", lang)
            assert text(signed[-1]).startswith(ui(assistant, lang, "ev_signed_up", title="",
                                                  when="")[:6])

        listing = await live.commands(COORDINATOR, "activities", lang="fi")
        names = await live.taps(COORDINATOR, next(c for c in listing if f"ed:l:{CLUB}"
                                                  in data_of(c)), f"ed:l:{CLUB}", "fi")
        assert all(f"({lang})" in text(names[-1]) for lang in SUPPORTED)
        occurrence = board(live).occurrence(CLUB)
        assert occurrence is not None
        clock.now = occurrence.starts_at - dt.timedelta(hours=20)
        reminders = await live.run_job("send_activity_reminders")
        for lang, user in PEOPLE.items():
            [reminder] = [c for c in reminders if c.params["chat_id"] == user]
            assert text(reminder) == ui(assistant, lang, "ev_reminder",
                                        title=occurrence.activity.title(lang),
                                        when=board(live).when(occurrence, lang),
                                        where=occurrence.activity.place)
        assert live.errors == []


async def test_forget_deletes_sign_ups_and_the_choice_and_the_next_in_line_moves_up(
        tmp_path: Path, assistant: Assistant, clock: FakeClock) -> None:
    from tests.whats_on_support import SMALL, small_group

    async for live in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock,
                                     activities=small_group(tmp_path, 1)):
        first, second = PEOPLE["fi"], PEOPLE["ar"]
        for user, lang in ((first, "fi"), (second, "ar")):
            live.api.add_chat(user)
            await subscribe(live, user, lang)
            cards = await live.commands(user, "events", lang=lang)
            card = next(c for c in cards if f"ev:s:{SMALL}" in data_of(c))
            await live.taps(user, card, f"ev:s:{SMALL}", lang)
        privacy = await live.commands(first, "privacy", lang="fi")
        assert any(ui(assistant, "fi", "privacy_whats_on", days="30") == text(c)
                   for c in privacy)

        ask = await live.commands(first, "forget", lang="fi")
        await live.taps(first, ask[-1], "fg:yes:", "fi")
        told = await live.run_job("deliver_announcements")

        assert await board(live).store.subscription(first) is None
        assert await board(live).store.upcoming_for_user(first, clock()) == []
        assert [c.params["chat_id"] for c in told] == [second]  # moved up, and told
        assert live.errors == []
