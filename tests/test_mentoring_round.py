"""Mentoring, the rest of a programme's life through the real PTB stack and the loopback Bot
API: the coordinator ends and re-matches pairs, professionals sign up as peers, /help and
/privacy name mentoring, old profiles and pairs are deleted while the figures stay, and one
whole round runs from the first sign-ups to the report with the two sides in two languages."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot import cli
from bot.core.assistant import Assistant
from bot.mentoring.programmes import Programme, ProgrammesFileError, load_programmes
from bot.mentoring.reporting import figures, report_lines
from tests.booking_support import EXAMPLE_COACHES
from tests.conftest import LANGUAGES
from tests.live_support import LiveBot, data_of, start_live_bot
from tests.loopback_api import Call
from tests.mentoring_support import (
    COORDINATOR,
    EXAMPLE_PROGRAMMES,
    MENTEE,
    MENTOR,
    MENTOR_PROFILE,
    MONDAY_10,
    NURSE_IN_KEMI,
    OTHER_MENTOR,
    Clock,
    mentoring_bot,
    office,
    pair_up,
    sign_up,
    texts,
    with_data,
)

PEER_IN_KEMI: dict[str, Any] = {
    "organisation": "Kemin kaupunki", "themes": ["resources", "communication"],
    "languages": ["fi", "en"], "municipality": "Kemi", "availability": ["weekdays"]}
PEER_IN_ROVANIEMI: dict[str, Any] = {
    "organisation": "Lapin hyvinvointialue", "themes": ["communication", "planning"],
    "languages": ["fi"], "municipality": "Rovaniemi", "availability": ["weekdays"]}
PEER_SAME_ORGANISATION: dict[str, Any] = {
    "organisation": "kemin kaupunki ", "themes": ["resources", "communication"],
    "languages": ["fi", "en"], "municipality": "Kemi", "availability": ["weekdays"]}


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10)


@pytest_asyncio.fixture
async def live(tmp_path: Path, assistant: Assistant, clock: Clock) -> AsyncIterator[LiveBot]:
    async for running in mentoring_bot(tmp_path, assistant, clock):
        yield running


def programme(live: LiveBot, programme_id: str = "fika") -> Programme:
    found = office(live).programmes.programme(programme_id)
    assert found is not None
    return found


async def desk_tap(live: LiveBot, *path: str) -> list[Call]:
    """The coordinator opens /mentoring and taps buttons in turn, each in the last replies."""
    replies = await live.commands(COORDINATOR, "mentoring", lang="fi")
    for data in path:
        replies = await live.taps(COORDINATOR, with_data(replies, data), data, "fi")
    return replies


async def accept_from_desk(live: LiveBot, programme_id: str, participant_id: int) -> None:
    await desk_tap(live, f"md:n:{programme_id}", f"md:o:{participant_id}:accepted")


def after(live: LiveBot, chat: int, count: int) -> str:
    return texts(live.received(chat)[count:])


@LANGUAGES
async def test_the_coordinator_rematches_a_mentee_then_ends_the_new_pair(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    first = await pair_up(live, lang)
    await sign_up(live, OTHER_MENTOR, "ru", "mentor", MENTOR_PROFILE)
    [other] = await office(live).store.participants("fika", ["new"])
    await accept_from_desk(live, "fika", other.id)
    seen = {chat: len(live.received(chat)) for chat in (MENTEE, MENTOR, OTHER_MENTOR)}

    rematched = await desk_tap(live, "md:p:fika", f"md:x:{first}")

    assert after(live, MENTEE, seen[MENTEE]) == assistant.kb.packs[lang].text(
        "mt_rematch_seeker")
    assert after(live, MENTOR, seen[MENTOR]) == assistant.kb.packs["en"].text("mt_pair_ended")
    fi = assistant.kb.packs["fi"]
    [mentee] = await office(live).store.of_user(MENTEE)
    assert texts(rematched[:1]) == fi.text("mt_desk_rematched", name=mentee.first_name)
    offered = [d for c in rematched for d in data_of(c) if d.startswith("md:r:")]
    assert offered == [f"md:r:{mentee.id}:{other.id}"]  # not the mentor they just left
    await live.taps(COORDINATOR, with_data(rematched, offered[0]), offered[0], "fi")
    [second] = await office(live).store.pairs("fika", ["proposed"])
    for user, user_lang in ((MENTEE, lang), (OTHER_MENTOR, "ru")):
        await live.taps(user, with_data(live.received(user), f"mt:a:{second.id}:1"),
                        f"mt:a:{second.id}:1", user_lang)
    seen = {chat: len(live.received(chat)) for chat in (MENTEE, OTHER_MENTOR)}

    ended = await desk_tap(live, "md:p:fika", f"md:e:{second.id}", f"md:q:{second.id}:moved")

    assert texts(ended) == fi.text("mt_desk_ended")
    assert after(live, MENTEE, seen[MENTEE]) == assistant.kb.packs[lang].text("mt_pair_ended")
    assert after(live, OTHER_MENTOR, seen[OTHER_MENTOR]) == assistant.kb.packs["ru"].text(
        "mt_pair_ended")
    people = {p.user_id: p.status for p in await office(live).store.participants(
        "fika", ["accepted", "finished", "paired"])}
    assert people == {MENTEE: "finished", MENTOR: "accepted", OTHER_MENTOR: "finished"}
    found = await figures(programme(live), office(live).store)
    assert (found.pairs_formed, found.active, found.ended_early) == (
        2, 0, {"rematch": 1, "moved": 1})
    assert live.errors == []


@LANGUAGES
async def test_professionals_sign_up_as_peers_and_are_paired_across_organisations(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    peers = programme(live, "peer-professionals")
    done = await sign_up(live, MENTEE, lang, "peer", PEER_IN_KEMI, "peer-professionals")
    await sign_up(live, MENTOR, "fi", "peer", PEER_IN_ROVANIEMI, "peer-professionals")
    await sign_up(live, OTHER_MENTOR, "en", "peer", PEER_SAME_ORGANISATION,
                  "peer-professionals")
    store = office(live).store
    signed = await store.participants("peer-professionals", ["new"])
    for person in signed:
        await accept_from_desk(live, "peer-professionals", person.id)
    me, colleague, same_office = signed

    matches = await desk_tap(live, "md:m:peer-professionals")
    mine = with_data(matches, f"md:r:{me.id}:{colleague.id}")
    await live.taps(COORDINATOR, mine, f"md:r:{me.id}:{colleague.id}", "fi")
    [pair] = await store.pairs("peer-professionals", ["proposed"])
    for user, user_lang in ((MENTEE, lang), (MENTOR, "fi")):
        await live.taps(user, with_data(live.received(user), f"mt:a:{pair.id}:1"),
                        f"mt:a:{pair.id}:1", user_lang)

    pack = assistant.kb.packs[lang]
    assert texts(done) == pack.text("mt_signed_up", name=peers.name[lang])
    assert peers.about[lang][:40] in texts(live.received(MENTEE))
    assert me.lang == lang
    assert me.profile == PEER_IN_KEMI
    assert f"md:r:{me.id}:{same_office.id}" not in data_of(mine)  # the same organisation
    assert pack.text("mt_reason_themes", values=pack.text("mt_themes_communication")) in \
        texts(live.received(MENTEE))
    assert peers.first_meeting[lang] in texts(live.received(MENTEE))
    assert peers.first_meeting["fi"] in texts(live.received(MENTOR))
    assert f"tg://user?id={MENTOR}" in texts(live.received(MENTEE))
    active = await store.pair(pair.id)
    assert active is not None
    assert active.status == "active"
    assert live.errors == []


@LANGUAGES
async def test_help_and_privacy_tell_about_mentoring_where_it_exists(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    await live.commands(MENTEE, "start", lang, lang=lang)

    helped = await live.commands(MENTEE, "help", lang=lang)
    privacy = await live.commands(MENTEE, "privacy", lang=lang)

    pack = assistant.kb.packs[lang]
    assert texts(helped) == pack.text("help").rstrip("\n") + "\n" + pack.text("help_mentoring")
    assert pack.text("mt_privacy", days=str(office(live).retention_days)) in texts(privacy)
    assert live.errors == []


async def test_a_coordinators_help_names_the_mentoring_desk(live: LiveBot,
                                                            assistant: Assistant) -> None:
    helped = await live.commands(COORDINATOR, "help", lang="fi")

    assert texts(helped[-1:]) == assistant.kb.packs["fi"].text("staff_help_mentoring")
    assert live.errors == []


@LANGUAGES
async def test_the_topics_menu_leads_to_the_programmes(live: LiveBot, assistant: Assistant,
                                                        lang: str) -> None:
    await live.commands(MENTEE, "start", lang, lang=lang)

    menu = await live.commands(MENTEE, "menu", lang=lang)
    listing = await live.taps(MENTEE, with_data(menu, "mentoring:"), "mentoring:", lang)

    button = next(b for row in menu[-1].params["reply_markup"]["inline_keyboard"] for b in row
                  if b["callback_data"] == "mentoring:")
    assert button["text"] == assistant.kb.packs[lang].text("button_mentoring")
    assert texts(listing) == assistant.kb.packs[lang].text("mt_choose_programme")
    assert data_of(listing[-1]) == ["mt:p:fika", "mt:p:peer-professionals"]
    assert live.errors == []


async def test_without_programmes_help_and_the_menu_do_not_offer_mentoring(
        tmp_path: Path, assistant: Assistant) -> None:
    async for bot in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, Clock(MONDAY_10)):
        bot.api.add_chat(MENTEE)
        helped = await bot.commands(MENTEE, "help", lang="so")
        assert texts(helped) == assistant.kb.packs["so"].text("help").rstrip("\n")
        assert "mentor" not in {c["command"] for c in bot.api.commands_for("so")}
        menu = await bot.commands(MENTEE, "menu", lang="so")
        assert "mentoring:" not in [d for c in menu for d in data_of(c)]
        assert bot.errors == []


async def test_old_profiles_notes_and_pairs_are_deleted_and_the_figures_stay(
        live: LiveBot, clock: Clock) -> None:
    pair_id = await pair_up(live, "fa")
    await sign_up(live, OTHER_MENTOR, "en", "mentor", MENTOR_PROFILE)
    [unsuited] = await office(live).store.participants("fika", ["new"])
    await desk_tap(live, "md:n:fika", f"md:o:{unsuited.id}:not_suitable")
    await live.says(COORDINATOR, "Ei sovi tähän ohjelmaan", "fi")
    clock.now += dt.timedelta(days=30, hours=1)
    await live.run_job("send_support")
    await live.taps(MENTEE, with_data(live.received(MENTEE), f"mt:cm:{pair_id}:1:1"),
                    f"mt:cm:{pair_id}:1:1", "fa")
    clock.now = MONDAY_10 + dt.timedelta(days=6 * 30 + 1)
    await live.run_job("send_support")
    await live.taps(MENTEE, with_data(live.received(MENTEE), f"mt:fa:{pair_id}:0:yes"),
                    f"mt:fa:{pair_id}:0:yes", "fa")
    store, fika = office(live).store, programme(live)
    noted = await store.participant(unsuited.id)
    assert noted is not None
    assert noted.note == "Ei sovi tähän ohjelmaan"
    before = report_lines(fika, await figures(fika, store))
    retention = dt.timedelta(days=office(live).retention_days)

    clock.now += retention - dt.timedelta(days=1)
    await live.run_job("purge_old_profiles")
    kept = {p.user_id for p in await store.participants("fika", ["finished",
                                                                  "not_suitable"])}
    kept_pairs = len(await store.pairs("fika", ["completed"]))
    clock.now += dt.timedelta(days=2)
    await live.run_job("purge_old_profiles")

    assert kept == {MENTEE, MENTOR}  # the unsuited candidate's part ended a year ago
    assert kept_pairs == 1
    assert await store.participants("fika", ["new", "accepted", "not_now", "not_suitable",
                                             "paired", "finished"]) == []
    assert await store.pairs("fika", ["proposed", "active", "declined", "ended",
                                      "completed"]) == []
    async with store.database.connection.execute(
            "SELECT COUNT(*) FROM mentoring_checkins") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    assert report_lines(fika, await figures(fika, store)) == before
    assert "Check-ins: met 1" in "\n".join(before)
    assert live.errors == []


async def test_a_programmes_data_goes_the_retention_time_after_its_last_day(
        tmp_path: Path, assistant: Assistant) -> None:
    ending = tmp_path / "programmes.yaml"
    ending.write_text(EXAMPLE_PROGRAMMES.read_text(encoding="utf-8").replace(
        "    months: 6\n", "    months: 6\n    ends: 2027-03-31\n"), encoding="utf-8")
    clock = Clock(MONDAY_10)
    async for live in mentoring_bot(tmp_path, assistant, clock, ending):
        await sign_up(live, MENTEE, "so", "mentee", NURSE_IN_KEMI)
        await sign_up(live, MENTOR, "fi", "peer", PEER_IN_KEMI, "peer-professionals")
        [waiting] = await office(live).store.participants("fika", ["new"])
        await accept_from_desk(live, "fika", waiting.id)
        last_day = dt.datetime(2027, 3, 31, 20, 59, tzinfo=dt.UTC)  # 23:59 in Helsinki (EEST)
        retention = dt.timedelta(days=office(live).retention_days)

        clock.now = last_day + retention
        await live.run_job("purge_old_profiles")
        kept = await office(live).store.of_user(MENTEE)
        clock.now = last_day + retention + dt.timedelta(minutes=2)
        await live.run_job("purge_old_profiles")

        assert [p.status for p in kept] == ["accepted"]
        assert await office(live).store.of_user(MENTEE) == []
        assert len(await office(live).store.of_user(MENTOR)) == 1  # an ongoing programme
        found = await figures(programme(live), office(live).store)
        assert (found.signups, found.outcomes["accepted"]) == ({"mentee": 1, "mentor": 0}, 1)
        assert live.errors == []


async def read_report(monkeypatch: pytest.MonkeyPatch, database: Path, *args: str) -> str:
    """Run `ohjaamo report mentoring ...` on the bot's database; return what it printed."""
    monkeypatch.setenv("OHJAAMO_DB", str(database))
    monkeypatch.setenv("OHJAAMO_PROGRAMMES", str(EXAMPLE_PROGRAMMES))
    printed = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(printed):
            return cli.main(["report", "mentoring", "--programme", "fika", *args])

    assert await asyncio.to_thread(run) == 0
    return printed.getvalue()


@pytest.mark.parametrize(("mentee_lang", "mentor_lang"), [("ar", "fi"), ("so", "en"),
                                                          ("fa", "ru")])
async def test_a_whole_programme_round_from_telegram_in_two_languages(
        live: LiveBot, assistant: Assistant, clock: Clock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, mentee_lang: str, mentor_lang: str) -> None:
    fika = programme(live)
    mentee_pack, mentor_pack = (assistant.kb.packs[x] for x in (mentee_lang, mentor_lang))
    # Sign-ups, each in their own language.
    await sign_up(live, MENTEE, mentee_lang, "mentee", NURSE_IN_KEMI)
    await sign_up(live, MENTOR, mentor_lang, "mentor", MENTOR_PROFILE)
    assert fika.about[mentee_lang] in texts(live.received(MENTEE))
    assert fika.about[mentor_lang] in texts(live.received(MENTOR))
    alerts = await live.run_job("deliver_alerts")
    assert [c.params["chat_id"] for c in alerts] == [COORDINATOR, COORDINATOR]
    # Interviews booked from the desk (appointments with reminders), outcome and a note.
    for person in await office(live).store.participants("fika", ["new"]):
        times = await desk_tap(live, "md:n:fika", f"md:i:{person.id}")
        await live.taps(COORDINATOR, times[-1], f"md:b:{person.id}:0", "fi")
        await desk_tap(live, "md:n:fika", f"md:o:{person.id}:accepted")
        await live.says(COORDINATOR, "Haastateltu, motivoitunut", "fi")
    for user, pack in ((MENTEE, mentee_pack), (MENTOR, mentor_pack)):
        told = texts(live.received(user))
        assert pack.text("mt_interview_booked").split("{")[0] in told
        assert pack.text("mt_accepted") in told
    # A suggestion with reasons, proposed; both say yes in their own language.
    matches = await desk_tap(live, "md:m:fika")
    assert "Kemi" in texts(matches)
    proposal = next(d for c in matches for d in data_of(c) if d.startswith("md:r:"))
    await live.taps(COORDINATOR, with_data(matches, proposal), proposal, "fi")
    [pair] = await office(live).store.pairs("fika", ["proposed"])
    for user, user_lang in ((MENTEE, mentee_lang), (MENTOR, mentor_lang)):
        await live.taps(user, with_data(live.received(user), f"mt:a:{pair.id}:1"),
                        f"mt:a:{pair.id}:1", user_lang)
    assert fika.first_meeting[mentee_lang] in texts(live.received(MENTEE))
    assert fika.first_meeting[mentor_lang] in texts(live.received(MENTOR))
    # A month later: the check-in, by taps, in each language.
    clock.now += dt.timedelta(days=30, hours=1)
    checkins = await live.run_job("send_support")
    for user, pack in ((MENTEE, mentee_pack), (MENTOR, mentor_pack)):
        [checkin] = [c for c in checkins if c.params["chat_id"] == user]
        assert str(checkin.params["text"]).startswith(pack.text("mt_checkin_met").split(
            "{")[0])
    for user, user_lang in ((MENTEE, mentee_lang), (MENTOR, mentor_lang)):
        hours = await live.taps(user, with_data(checkins, f"mt:cm:{pair.id}:1:1"),
                                f"mt:cm:{pair.id}:1:1", user_lang)
        mood = await live.taps(user, hours[-1], f"mt:ch:{pair.id}:1:4", user_lang)
        await live.taps(user, mood[-1], f"mt:cq:{pair.id}:1:good", user_lang)
    # The end: closing questions and the feedback event, each in their own language.
    clock.now = MONDAY_10 + dt.timedelta(days=6 * 30 + 1)
    await live.run_job("send_support")
    assert fika.feedback_event[mentee_lang] in texts(live.received(MENTEE))
    assert fika.feedback_event[mentor_lang] in texts(live.received(MENTOR))
    for user, user_lang, index in ((MENTEE, mentee_lang, 0), (MENTOR, mentor_lang, 1)):
        question = with_data(live.received(user), f"mt:fa:{pair.id}:{index}:yes")
        assert question.params["text"] == fika.feedback[index].text[user_lang]
        await live.taps(user, question, f"mt:fa:{pair.id}:{index}:yes", user_lang)
    # The report: in Telegram (the coordinators' Finnish) and from the command line.
    stats = await live.commands(COORDINATOR, "mentoring", "stats", lang="fi")
    report = await read_report(monkeypatch, tmp_path / "bot.db")

    assert texts(stats[:1]).split("\n")[1:] == [
        "Ilmoittautumiset: mentoroitava 1, mentori 1", "Haastatteluja varattu: 2",
        "Haastattelujen tulokset: hyväksytty 2, ei nyt 0, ei sovellu 0",
        "Ehdotettuja pareja: 1 (ei suostunut 0)",
        "Pareja muodostettu: 1; nyt käynnissä: 0; päättyi suunnitellusti: 1",
        "Päättyi ennen aikaa: 0",
        "Kuulumiskyselyt: tavannut 2, ei tavannut 0; tunteja ilmoitettu: 8; "
        "ongelmia ilmoitettu: 0",
        "“Auttoiko mentorointi sinua kotoutumaan Suomeen?” (mentoroitava, 1 vastasi): "
        "kyllä 100 %, osittain 0 %, ei 0 %",
        "“Haluaisitko olla mentori uudelleen?” (mentori, 1 vastasi): kyllä 100 %, "
        "osittain 0 %, ei 0 %"]
    assert report.splitlines()[:9] == [
        "Integration mentoring (fika)", "Sign-ups: mentee 1, mentor 1", "Interviews booked: 2",
        "Interview outcomes: accepted 2, not_now 0, not_suitable 0",
        "Pairs proposed: 1 (declined 0)", "Pairs formed: 1; active now: 0; completed: 1",
        "Ended early: 0",
        "Check-ins: met 2, not met 0; hours reported: 8; problems reported: 0",
        "“Did mentoring help you settle in Finland?” (mentee, 1 answered): yes 100 %, "
        "partly 0 %, no 0 %"]
    practice = await read_report(monkeypatch, tmp_path / "bot.db", "--practice", "--lang", "fi")
    assert practice.startswith("# Kotoutumisen mentorointi")
    assert "- Kuulumiskyselyt: tavannut 2, ei tavannut 0; tunteja ilmoitettu: 8" in practice
    assert live.errors == []


def test_the_programmes_file_reports_each_problem_at_its_line(tmp_path: Path) -> None:
    lines = EXAMPLE_PROGRAMMES.read_text(encoding="utf-8").splitlines()

    def line_of(text: str, start: int = 0) -> int:
        return next(i for i in range(start, len(lines)) if lines[i].strip().startswith(text))

    peers = line_of("- id: peer-professionals")
    asks = line_of("asks: [organisation", peers)
    lines[asks] = lines[asks].replace("organisation", "salary")
    months = line_of("months:", peers)
    lines[months] = "    months: 0"
    name_ru = line_of("ru:", line_of("name:"))
    lines[name_ru] = "      ru: ''"
    challenges = line_of("challenges:", peers)
    lines[challenges] = "      challenges: [one, two]"
    lines[months] += "\n    ends: 31.3.2027"  # the next line; the lines after it move down one
    broken = tmp_path / "programmes.yaml"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(ProgrammesFileError) as raised:
        load_programmes(broken, frozenset({"amina"}))

    messages = "\n".join(str(p) for p in raised.value.problems)
    for line, words in ((line_of("name:"), "'name' has no text in ru"),  # the key's line
                        (asks + 1, "role 'peer' asks unknown question(s) ['salary']"),
                        (months, "'months' must be a whole number from 1 to 36"),
                        (challenges + 1, "good_practice 'challenges' must be text"),
                        (months + 1, "'ends' must be a date (got '31.3.2027')"),
                        (line_of("interviewers: [amina, reza]"), "no coach reza")):
        assert f"programmes.yaml:{line + 1}: programme '" in messages
        assert any(f":{line + 1}: " in m and words in m for m in messages.splitlines()), words
