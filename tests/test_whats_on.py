"""What's on through the real PTB stack and the loopback Bot API, in every language:
browsing, sign-up, the waiting list, reminders, cancelling, and the coordinators' side."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.activities.board import ActivityBoard
from bot.activities.catalogue import Occurrence
from bot.core.assistant import Assistant
from bot.storage import Database
from bot.storage.activities import PLACE, WAITING, ActivityStore, OccurrenceSlot
from tests.booking_support import COORDINATOR, COORDINATOR_CHAT, EXAMPLE_COACHES, FakeClock
from tests.conftest import LANGUAGES
from tests.live_support import LiveBot, data_of, start_live_bot
from tests.loopback_api import Call
from tests.mentoring_support import EXAMPLE_PROGRAMMES
from tests.whats_on_support import CLUB, EXAMPLE_ACTIVITIES, HELP_DAY, NOW, SMALL, small_group

PERSON, OTHER, THIRD = 401, 402, 403


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def _live(tmp_path: Path, assistant: Assistant, clock: FakeClock,
                activities: Path) -> AsyncIterator[LiveBot]:
    async for running in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock,
                                        activities=activities):
        for chat in (PERSON, OTHER, THIRD, 999):
            running.api.add_chat(chat)
        yield running


@pytest_asyncio.fixture
async def live(tmp_path: Path, assistant: Assistant, clock: FakeClock
               ) -> AsyncIterator[LiveBot]:
    """A bot with the example coaches and activities files."""
    async for running in _live(tmp_path, assistant, clock, EXAMPLE_ACTIVITIES):
        yield running


@pytest_asyncio.fixture
async def one_place(tmp_path: Path, assistant: Assistant, clock: FakeClock
                    ) -> AsyncIterator[LiveBot]:
    """A bot whose only activity has one place."""
    async for running in _live(tmp_path, assistant, clock, small_group(tmp_path, 1)):
        yield running


def board(live: LiveBot) -> ActivityBoard:
    found = live.app.bot_data["services"].activities
    assert isinstance(found, ActivityBoard)
    return found


def occurrence_of(live: LiveBot, key: str) -> Occurrence:
    found = board(live).occurrence(key)
    assert found is not None
    return found


def text(call: Call) -> str:
    return str(call.params.get("text"))


def with_data(calls: list[Call], data: str) -> Call:
    return next(c for c in calls if data in data_of(c))


def ui(assistant: Assistant, lang: str, key: str, **values: str) -> str:
    return assistant.kb.packs[lang].text(key, **values)


async def browse(live: LiveBot, user: int, lang: str) -> list[Call]:
    await live.commands(user, "start", lang, lang=lang)
    return await live.commands(user, "events", lang=lang)


@LANGUAGES
async def test_a_person_sees_what_is_on_signs_up_and_saves_it_in_the_calendar(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    cards = await browse(live, PERSON, lang)

    assert text(cards[0]) == ui(assistant, lang, "ev_title")
    club = with_data(cards, f"ev:s:{CLUB}")
    activity = occurrence_of(live, CLUB).activity
    assert activity.title(lang) in text(club)
    assert ui(assistant, lang, "ev_category_language") in text(club)
    assert ui(assistant, lang, "ev_places_left", left="12", places="12") in text(club)
    help_day = with_data(cards, f"ev:r:{HELP_DAY}")
    assert f"ev:s:{HELP_DAY}" not in data_of(help_day)  # drop-in: no sign-up, a reminder

    signed = await live.taps(PERSON, club, f"ev:s:{CLUB}", lang)
    assert text(signed[-1]) == ui(assistant, lang, "ev_signed_up", title=activity.title(lang),
                                  when=board(live).when(occurrence_of(live, CLUB), lang))
    await live.taps(PERSON, club, f"ev:i:{CLUB}", lang)
    [document] = [c for c in live.api.calls if c.method == "sendDocument"]
    assert document.params["chat_id"] == PERSON
    mine = await live.commands(PERSON, "myevents", lang=lang)
    assert activity.title(lang) in text(mine[-1])
    assert ui(assistant, lang, "ev_status_place") in text(mine[-1])
    menu = await live.commands(PERSON, "menu", lang=lang)
    assert "events:" in data_of(menu[-1])  # "What's on" under the menu, before the coach
    again = await live.taps(PERSON, menu[-1], "events:", lang)
    assert text(again[0]) == ui(assistant, lang, "ev_title")
    assert live.errors == []


@LANGUAGES
async def test_the_waiting_list_moves_up_and_the_person_is_told_in_their_language(
        one_place: LiveBot, assistant: Assistant, lang: str) -> None:
    first = await browse(one_place, PERSON, "en")
    await one_place.taps(PERSON, with_data(first, f"ev:s:{SMALL}"), f"ev:s:{SMALL}", "en")
    second = await browse(one_place, OTHER, lang)
    waiting = await one_place.taps(OTHER, with_data(second, f"ev:s:{SMALL}"), f"ev:s:{SMALL}",
                                   lang)
    assert ui(assistant, lang, "ev_full") in text(with_data(second, f"ev:s:{SMALL}"))
    title = board(one_place).title_of("interview-practice", lang)
    when = board(one_place).when(occurrence_of(one_place, SMALL), lang)
    assert text(waiting[-1]) == ui(assistant, lang, "ev_waiting", number="1", title=title,
                                   when=when)

    mine = await one_place.commands(PERSON, "myevents")
    await one_place.taps(PERSON, mine[-1], data_of(mine[-1])[0], "en")  # one tap: cancel
    told = await one_place.run_job("deliver_announcements")

    assert [text(c) for c in told if c.params["chat_id"] == OTHER] == [
        ui(assistant, lang, "ev_moved_up", title=title, when=when)]
    signups = await board(one_place).store.signups(
        "interview-practice", occurrence_of(one_place, SMALL).starts_at)
    assert [(s.user_id, s.kind) for s in signups] == [(OTHER, PLACE)]
    alerts = await one_place.run_job("deliver_alerts")
    assert any("Interview" in text(c) or "Työhaastattelu" in text(c) for c in alerts
               if c.params["chat_id"] == COORDINATOR_CHAT)  # it filled up: the coordinator knew
    assert one_place.errors == []


@LANGUAGES
async def test_a_reminder_comes_the_day_before_in_the_person_s_language(
        live: LiveBot, assistant: Assistant, clock: FakeClock, lang: str) -> None:
    cards = await browse(live, PERSON, lang)
    await live.taps(PERSON, with_data(cards, f"ev:r:{HELP_DAY}"), f"ev:r:{HELP_DAY}", lang)
    assert await live.run_job("send_activity_reminders") == []  # Monday: not yet

    occurrence = board(live).occurrence(HELP_DAY)
    assert occurrence is not None
    clock.now = occurrence.starts_at - dt.timedelta(hours=20)
    reminded = await live.run_job("send_activity_reminders")
    again = await live.run_job("send_activity_reminders")

    assert [text(c) for c in reminded if c.params["chat_id"] == PERSON] == [
        ui(assistant, lang, "ev_reminder", title=occurrence.activity.title(lang),
           when=board(live).when(occurrence, lang), where=occurrence.activity.place)]
    assert again == []  # once
    assert live.errors == []


@LANGUAGES
async def test_a_coordinator_cancels_an_activity_and_everyone_is_told_in_their_language(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    cards = await browse(live, PERSON, lang)
    await live.taps(PERSON, with_data(cards, f"ev:s:{CLUB}"), f"ev:s:{CLUB}", lang)
    listing = await live.commands(COORDINATOR, "activities", lang="fi")
    ask = await live.taps(COORDINATOR, with_data(listing, f"ed:x:{CLUB}"), f"ed:x:{CLUB}", "fi")
    await live.taps(COORDINATOR, ask[-1], f"ed:y:{CLUB}", "fi")
    told = await live.run_job("deliver_announcements")

    occurrence = board(live).occurrence(CLUB)
    assert occurrence is not None
    assert [text(c) for c in told if c.params["chat_id"] == PERSON] == [
        ui(assistant, lang, "ev_activity_cancelled", title=occurrence.activity.title(lang),
           when=board(live).when(occurrence, lang))]
    again = await live.taps(PERSON, with_data(cards, f"ev:s:{CLUB}"), f"ev:s:{CLUB}", lang)
    assert text(again[-1]) == ui(assistant, lang, "ev_gone")
    assert live.errors == []


async def test_the_sign_up_list_shows_first_names_and_languages_and_records_attendance(
        live: LiveBot) -> None:
    for user, lang in ((PERSON, "so"), (OTHER, "fa")):
        cards = await browse(live, user, lang)
        await live.taps(user, with_data(cards, f"ev:s:{CLUB}"), f"ev:s:{CLUB}", lang)
    listing = await live.commands(COORDINATOR, "activities", lang="fi")
    names = await live.taps(COORDINATOR, with_data(listing, f"ed:l:{CLUB}"), f"ed:l:{CLUB}",
                            "fi")

    assert "1. Test (so)" in text(names[-1])
    assert "2. Test (fa)" in text(names[-1])
    attended = [d for d in data_of(names[-1]) if d.startswith("ed:a:")]
    await live.taps(COORDINATOR, names[-1], attended[0], "fi")
    usage = live.app.bot_data["services"].usage
    counted: dict[str, int] = {}
    for count in await usage.counts(usage.today(), usage.today()):
        counted[count.event] = counted.get(count.event, 0) + count.count
    assert counted["activity_place"] == 2
    assert counted["activity_attended"] == 1
    assert live.errors == []


async def test_coordinator_actions_are_refused_to_everyone_else(
        live: LiveBot, assistant: Assistant) -> None:
    cards = await browse(live, PERSON, "ar")
    for command in ("activities", "announce"):
        refused = await live.commands(PERSON, command, lang="ar")
        assert [text(c) for c in refused] == [ui(assistant, "ar", "coordinators_only")]
    crafted = await live.taps(PERSON, cards[-1], f"ed:y:{CLUB}", "ar", crafted=True)
    assert [text(c) for c in crafted] == [ui(assistant, "ar", "coordinators_only")]
    occurrence = board(live).occurrence(CLUB)
    assert occurrence is not None
    assert not await board(live).store.is_cancelled("conversation-club", occurrence.starts_at)
    assert live.errors == []


async def test_a_hundred_people_signing_up_at_once_for_ten_places_leave_ninety_waiting(
        tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.db")
    await database.open()
    store = ActivityStore(database)
    start = NOW + dt.timedelta(days=2)
    slot = OccurrenceSlot("interview-practice", start, start + dt.timedelta(hours=1), 10)
    other = Database(tmp_path / "bot.db")  # a second connection, as a second process would
    await other.open()
    stores = (store, ActivityStore(other))

    signups = await asyncio.gather(*(stores[n % 2].sign_up(
        slot, 1000 + n, 1000 + n, f"P{n}", "so", PLACE) for n in range(100)))

    assert sum(s.kind == PLACE for s in signups) == 10
    assert sum(s.kind == WAITING for s in signups) == 90
    assert await store.taken("interview-practice", start) == 10
    await other.close()
    await database.close()


def _bad_activities(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("activities:\n  - id: Bad Id\n    category: sports\n    title: {en: x}\n"
                    "    when: {weekly: [tue], time: '15-14'}\n    languages: [fi]\n"
                    "    contact: Hanna\n", encoding="utf-8")
    return path


def test_a_broken_activities_file_is_explained_line_by_line(tmp_path: Path) -> None:
    from bot.activities.catalogue import ActivitiesFileError, load_catalogue

    with pytest.raises(ActivitiesFileError) as caught:
        load_catalogue(_bad_activities(tmp_path))
    shown = [str(p) for p in caught.value.problems]
    assert any(":2: activity 'Bad Id': bad id" in p for p in shown), shown
    assert any(":3:" in p and "unknown category 'sports'" in p for p in shown), shown
    assert any(":4:" in p and "no plain-Finnish" in p for p in shown), shown
    assert any(":5:" in p and "bad time" in p for p in shown), shown
    assert any("'where' is missing" in p for p in shown), shown


async def test_an_edited_activities_file_is_picked_up_without_a_restart(
        tmp_path: Path, assistant: Assistant, clock: FakeClock) -> None:
    path = small_group(tmp_path, 3)
    async for live in _live(tmp_path, assistant, clock, path):
        path.write_text(path.read_text().replace("places: 3", "places: 5"), encoding="utf-8")
        cards = await browse(live, PERSON, "en")
        assert "Places left: 5 of 5" in text(with_data(cards, f"ev:s:{SMALL}"))
        path.write_text("activities: [", encoding="utf-8")  # a broken save keeps the last good
        cards = await browse(live, PERSON, "en")
        assert "Places left: 5 of 5" in text(with_data(cards, f"ev:s:{SMALL}"))
        assert board(live).source.problems
        assert live.errors == []



def test_activities_check_lists_the_problems_and_passes_the_example(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["activities", "check", "--path", str(_bad_activities(tmp_path))]) == 1
    assert "bad.yaml:3: activity 'Bad Id': unknown category 'sports'" in capsys.readouterr().out
    assert main(["activities", "check", "--path", str(EXAMPLE_ACTIVITIES)]) == 0
    assert "has 3 activit" in capsys.readouterr().out


@LANGUAGES
async def test_help_names_the_events_where_there_is_an_activities_file(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    await live.commands(PERSON, "start", lang, lang=lang)

    helped = await live.commands(PERSON, "help", lang=lang)

    pack = assistant.kb.packs[lang]
    assert [text(c) for c in helped] == [pack.text("help").rstrip("\n") + "\n"
                                         + pack.text("help_events")]
    assert live.errors == []


async def test_with_mentoring_too_the_menu_offers_both_and_help_names_both(
        tmp_path: Path, assistant: Assistant, clock: FakeClock) -> None:
    async for bot in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock,
                                    programmes=EXAMPLE_PROGRAMMES,
                                    activities=EXAMPLE_ACTIVITIES):
        bot.api.add_chat(PERSON)
        menu = await bot.commands(PERSON, "menu", lang="ar")
        helped = await bot.commands(PERSON, "help", lang="ar")

        offered = [d for c in menu for d in data_of(c)]
        assert "events:" in offered
        assert "mentoring:" in offered
        pack = assistant.kb.packs["ar"]
        assert [text(c) for c in helped] == ["\n".join(
            [pack.text("help").rstrip("\n"), pack.text("help_mentoring"),
             pack.text("help_events")])]
        assert bot.errors == []
