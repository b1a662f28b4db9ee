"""The defects a new user, a coach and an operator met (newcomer review, 2026-12), each
checked through the real PTB stack against the loopback Bot API, in every language."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from bidi import get_display
from icalendar import Calendar

from bot.booking.formatting import format_when
from bot.core.assistant import Assistant
from tests.booking_support import COACH_IDS, EXAMPLE_COACHES
from tests.conftest import LANGUAGES, REPO
from tests.live_support import LiveBot, book, data_of, start_live_bot
from tests.loopback_api import parse_html
from tests.test_access_and_escalation import MONDAY, Clock, helsinki
from tests.test_cli import ohjaamo

AMINA, OLGA = COACH_IDS["amina"], COACH_IDS["olga"]
SUNDAY_EVENING = helsinki(MONDAY - dt.timedelta(days=1), 17, 30)
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]+")


@pytest.fixture
def clock() -> Clock:
    return Clock(helsinki(MONDAY, 10))


@pytest_asyncio.fixture
async def live(tmp_path: Path, assistant: Assistant, clock: Clock) -> AsyncIterator[LiveBot]:
    async for running in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock):
        yield running


def texts(calls: list[Any]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls)


def zone(live: LiveBot) -> Any:
    return live.app.bot_data["services"].appointments.coaches.timezone


# --- Right-to-left answers ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "fa"])
async def test_finnish_words_stay_whole_in_arabic_and_persian_answers(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    entries = [e for e in assistant.kb.packs[lang].entries.values()
               if any(not w.isascii() for w in LATIN_WORD.findall(e.answer))]
    assert len(entries) >= 10  # verokortti, Työmarkkinatori, henkilötunnus ...
    await live.commands(501, "start", lang, lang=lang)
    menu = await live.commands(501, "menu", lang=lang)
    scrambled = []
    for entry in entries:
        category = await live.taps(501, menu[-1], f"category:{entry.category}", lang)
        answer = await live.taps(501, category[-1], f"topic:{entry.id}", lang)
        plain, _ = parse_html(str(answer[0].params["text"]))
        shown = get_display(plain, base_dir="R")  # the Unicode bidi algorithm, as a phone
        scrambled += [(entry.id, word) for word in LATIN_WORD.findall(entry.answer)
                      if not word.isascii() and word not in shown]
    assert scrambled == []
    assert live.errors == []


# --- Booking ---------------------------------------------------------------------------------


async def test_block_over_an_appointment_is_refused_and_lists_it(
        live: LiveBot, assistant: Assistant, clock: Clock) -> None:
    await book(live, 502, "ru")  # Russian: Olga's client
    [booking] = await live.app.bot_data["services"].store.upcoming_for_user(502, clock())
    local = booking.starts_at.astimezone(zone(live))
    span = f"{local:%Y-%m-%d} {local:%H}:00-{local.hour + 2:02}:00"

    reply = await live.commands(OLGA, "block", span, lang="fi")

    staff = assistant.kb.packs["fi"]
    assert staff.text("coach_block_conflict").split(":")[0] in texts(reply)
    assert f"#{booking.id} " in texts(reply)
    assert f"/cancel {booking.id}" in texts(reply)
    free = await live.app.bot_data["services"].appointments.free_slots("ru", "visit", limit=40)
    assert booking.starts_at not in [s.starts_at for s in free]  # still booked, not blocked
    rows = await (await live.app.bot_data["services"].database.connection.execute(
        "SELECT COUNT(*) FROM blocks")).fetchone()
    assert rows[0] == 0
    assert live.errors == []


@LANGUAGES
async def test_a_phone_appointment_says_the_call_comes_through_telegram(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    card = await book(live, 503, lang, mode="phone")

    own = assistant.kb.packs[lang]
    assert own.text("card_phone") in texts(card)
    telegram = {"ar": "تيليجرام", "fa": "تلگرام"}.get(lang, "Telegram")
    assert telegram in own.text("card_phone")  # no number is asked: it is a Telegram call
    assert own.text("mode_phone") in texts(card)
    [alert] = await live.run_job("deliver_alerts")
    assert assistant.kb.packs["fi"].text("mode_phone") in alert.params["text"]
    assert "tg://user?id=503" in alert.params["text"]  # the coach calls from the chat link
    assert live.errors == []


@LANGUAGES
async def test_a_moved_booking_keeps_its_number_and_the_coach_sees_both_times(
        live: LiveBot, assistant: Assistant, clock: Clock, lang: str) -> None:
    card = await book(live, 504, lang)
    [first] = await live.run_job("deliver_alerts")
    [booking] = await live.app.bot_data["services"].store.upcoming_for_user(504, clock())

    listing = await live.commands(504, "mybooking", lang=lang)
    times = await live.taps(504, listing[-1], f"mb:r:{booking.id}", lang)
    later = [d for d in data_of(times[-1]) if d.startswith("bk:s:")][-1]
    confirm = await live.taps(504, times[-1], later, lang)
    moved_card = await live.taps(504, confirm[-1], "bk:c:", lang)
    alerts = await live.run_job("deliver_alerts")

    number = f"{assistant.kb.packs[lang].text('card_number')}: {booking.id}"
    assert number in texts(card)
    assert number in texts(moved_card)
    [moved] = await live.app.bot_data["services"].store.upcoming_for_user(504, clock())
    assert (moved.id, moved.starts_at > booking.starts_at) == (booking.id, True)
    staff = assistant.kb.packs["fi"]
    was = format_when(booking.starts_at, "fi", zone(live))
    notice = next(c for c in alerts if staff.text("alert_moved") in c.params["text"])
    assert f"#{booking.id}" in notice.params["text"]
    assert staff.text("alert_moved_from", when=was) in notice.params["text"]
    assert format_when(moved.starts_at, "fi", zone(live)) in notice.params["text"]
    if moved.coach_id != booking.coach_id:  # the first coach hears the booking left them
        assert first.params["chat_id"] in [c.params["chat_id"] for c in alerts]
    assert live.errors == []


@LANGUAGES
async def test_the_booking_cap_is_told_at_coach_not_at_the_last_tap(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    await book(live, 505, lang, slot=0)
    await book(live, 505, lang, slot=1)

    reply = await live.commands(505, "coach", lang=lang)

    assert texts(reply) == assistant.kb.packs[lang].text("booking_cap", count="2")
    assert not [d for c in reply for d in data_of(c)]
    assert live.errors == []


@LANGUAGES
async def test_next_human_time_is_a_coachs_real_start_time(
        live: LiveBot, assistant: Assistant, clock: Clock, lang: str) -> None:
    clock.now = helsinki(MONDAY - dt.timedelta(days=1), 19, 14)  # Sunday evening

    reply = await live.commands(506, "coach", lang=lang)

    monday_nine = format_when(helsinki(MONDAY, 9), lang, zone(live))  # Amina starts at 9
    expected = assistant.kb.packs[lang].text("humans_next", when=monday_nine)
    assert expected in texts(reply)
    assert live.errors == []


# --- Crisis contact, coaches, commands, menu ------------------------------------------------


@LANGUAGES
async def test_crisis_contact_outside_hours_says_when_a_coach_will_answer(
        live: LiveBot, assistant: Assistant, clock: Clock, lang: str) -> None:
    clock.now = SUNDAY_EVENING
    pack = assistant.kb.packs[lang]
    await live.commands(507, "start", lang, lang=lang)
    crisis = await live.says(507, pack.crisis.phrases[0], lang)
    consent = await live.taps(507, crisis[0], "contact:", lang)

    done = await live.taps(507, consent[-1], "ct:yes:", lang)

    monday_nine = format_when(helsinki(MONDAY, 9), lang, zone(live))
    assert texts(done) == pack.text("contact_me_done_later", when=monday_nine)
    assert "112" in texts(done)
    assert live.errors == []


async def test_coaches_get_a_staff_start_and_help_and_clients_do_not(
        live: LiveBot, assistant: Assistant) -> None:
    staff = assistant.kb.packs["fi"]
    start = await live.commands(AMINA, "start", lang="fi")
    help_ = await live.commands(AMINA, "help", lang="fi")
    client = await live.commands(508, "help", lang="fi")

    assert texts(start) == staff.text("staff_start")
    assert texts(help_) == staff.text("staff_help")
    for command in ("/today", "/week", "/block", "/cancel"):
        assert command in texts(help_)
    assert texts(client) == staff.text("help")
    assert live.errors == []


@LANGUAGES
async def test_an_unknown_command_is_called_unknown_and_points_to_help(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    await live.commands(509, "start", lang, lang=lang)

    reply = await live.commands(509, "unknowncommand", lang=lang)

    assert texts(reply) == assistant.kb.packs[lang].text("unknown_command")
    assert "/help" in texts(reply)
    assert live.errors == []


@LANGUAGES
async def test_the_menu_offers_a_coach(live: LiveBot, assistant: Assistant, lang: str) -> None:
    await live.commands(510, "start", lang, lang=lang)
    menu = await live.commands(510, "menu", lang=lang)

    assert "coach:" in data_of(menu[-1])
    booking = await live.taps(510, menu[-1], "coach:", lang)
    assert any(d.startswith("bk:l:") for d in data_of(booking[-1]))
    assert live.errors == []


@LANGUAGES
async def test_source_links_of_one_site_can_be_told_apart(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    await live.commands(511, "start", lang, lang=lang)
    menu = await live.commands(511, "menu", lang=lang)
    category = await live.taps(511, menu[-1], "category:family", lang)
    answer = await live.taps(511, category[-1], "topic:child-benefit", lang)

    links = re.findall(r"🔗[^<]*<a href=\"([^\"]+)\">([^<]+)</a>", texts(answer))
    assert len(links) == len(assistant.kb.entry("child-benefit", lang).sources) >= 2
    assert len({name for _, name in links}) == len({url for url, _ in links})
    assert live.errors == []


@LANGUAGES
async def test_the_apology_asks_to_send_again_and_promises_nothing_else(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    pack = assistant.kb.packs[lang]
    await live.commands(512, "start", lang, lang=lang)
    live.api.fail("sendMessage", 400, description="Bad Request: injected")

    reply = await live.says(512, pack.entries["tax-card"].questions[0], lang)

    assert texts(reply) == pack.text("error")
    # The failed message is not retried, so the apology must not say it was kept.
    for claim in ("not lost", "ei kadonnut", "لم تضِع", "ma lumin", "گم نشده", "не потерялось"):
        assert claim not in texts(reply)
    await live.pump()
    assert live.received(512)[-1].params["text"] == pack.text("error")


# --- Calendar file and privacy ----------------------------------------------------------------


def _calendar(live: LiveBot) -> Any:
    [document] = [c for c in live.api.calls if c.method == "sendDocument"][-1:]
    return next(iter(Calendar.from_ical(document.params["document"].data).walk("VEVENT")))


@LANGUAGES
async def test_the_calendar_file_says_who_how_where_and_what_to_bring(
        tmp_path: Path, assistant: Assistant, clock: Clock, lang: str) -> None:
    room = "https://video.example.org/amina"
    coaches = tmp_path / "coaches.yaml"
    coaches.write_text(EXAMPLE_COACHES.read_text(encoding="utf-8").replace(
        "    # video_link: https://meet.example.org/amina", f"    video_link: {room}"),
        encoding="utf-8")
    pack = assistant.kb.packs[lang]
    async for live in start_live_bot(tmp_path, assistant, coaches, clock):
        await book(live, 513, lang)
        visit = _calendar(live)
        await book(live, 514, "so", mode="video")
        video = _calendar(live)
        assert live.errors == []

    assert str(visit["location"]) == "Lapintie 11–13, 94100 Kemi"
    description = str(visit["description"])
    assert pack.text("card_bring") in description
    assert pack.text("mode_visit") in description
    assert f"{pack.text('card_coach')}: " in description
    assert not str(visit["summary"]).startswith("✅")
    assert str(video["location"]) == room
    assert str(video["url"]) == room


async def test_privacy_tells_that_the_last_questions_are_kept_and_who_sees_them(
        live: LiveBot, assistant: Assistant) -> None:
    for lang in ("fi", "en", "ar", "so", "fa", "ru"):
        text = assistant.kb.packs[lang].text("privacy", retention_days="30")
        assert "5" in text or "۵" in text
    for number in range(7):
        await live.says(515, f"question {number} about the tax card")
    privacy = await live.commands(515, "privacy")

    kept = await live.app.bot_data["services"].store.recent_questions(515)
    assert len(kept) == 5  # what /privacy says is what is stored
    assert "last 5 questions" in texts(privacy)
    assert live.errors == []


# --- The command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--batch", "{batch}"], ["--lang", "en", "tax card"]])
def test_ask_piped_into_head_exits_quietly(tmp_path: Path, args: list[str]) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text("".join('{"text": "How do I get a tax card?", "lang": "en"}\n'
                             for _ in range(400)), encoding="utf-8")
    command = " ".join(f"'{a.format(batch=batch)}'" for a in args)
    pipeline = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m bot ask {command} | head -n 1; "
                       "echo \"exit ${PIPESTATUS[0]}\" >&2"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False)

    assert pipeline.stdout.count("\n") == 1
    assert pipeline.stderr == "exit 0\n"  # no traceback, no 'Broken pipe' message


def test_a_broken_coaches_file_points_to_coaches_check(tmp_path: Path) -> None:
    broken = tmp_path / "coaches.yaml"
    broken.write_text("slot_minutes: [\n", encoding="utf-8")

    result = ohjaamo("run", env={"TELEGRAM_BOT_TOKEN": "123:TEST",
                                 "TELEGRAM_API_URL": "http://127.0.0.1:9",
                                 "OHJAAMO_COACHES": str(broken),
                                 "OHJAAMO_DB": str(tmp_path / "bot.db")})

    assert result.returncode == 1
    assert "ohjaamo coaches check" in result.stderr
    assert "ohjaamo content check" not in result.stderr
