"""Mentoring programmes through the real PTB stack and the loopback Bot API, in every
language: sign-up, interviews, suggestions, proposals, check-ins, closing, report, privacy."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.assistant import Assistant
from bot.mentoring.matching import suggest
from bot.mentoring.programmes import load_programmes
from bot.mentoring.reporting import figures, good_practice, report_lines
from tests.conftest import LANGUAGES
from tests.live_support import LiveBot
from tests.mentoring_support import (
    COORDINATOR,
    EXAMPLE_PROGRAMMES,
    MENTEE,
    MENTOR,
    MENTOR_PROFILE,
    MONDAY_10,
    NURSE_IN_KEMI,
    Clock,
    mentoring_bot,
    office,
    pair_up,
    sign_up,
    texts,
    with_data,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10)


@pytest_asyncio.fixture
async def live(tmp_path: Path, assistant: Assistant, clock: Clock) -> AsyncIterator[LiveBot]:
    async for running in mentoring_bot(tmp_path, assistant, clock):
        yield running


@LANGUAGES
async def test_a_mentee_and_a_mentor_sign_up_by_taps_in_their_language(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    done = await sign_up(live, MENTEE, lang, "mentee", NURSE_IN_KEMI)
    await sign_up(live, MENTOR, lang, "mentor", MENTOR_PROFILE)

    pack = assistant.kb.packs[lang]
    assert texts(done) == pack.text("mt_signed_up", name=office(live).programmes.programme(
        "fika").name[lang])  # type: ignore[union-attr]
    about = texts(live.received(MENTEE))
    assert "cannot promise" in office(live).programmes.programme("fika").about["en"]  # type: ignore[union-attr]
    assert office(live).programmes.programme("fika").about[lang][:40] in about  # type: ignore[union-attr]
    [mentee] = await office(live).store.participants("fika", ["new"], "mentee")
    assert mentee.lang == lang
    assert mentee.profile == NURSE_IN_KEMI
    alerts = await live.run_job("deliver_alerts")
    assert [c.params["chat_id"] for c in alerts] == [COORDINATOR, COORDINATOR]
    assert live.errors == []


@LANGUAGES
async def test_the_coordinator_books_an_interview_with_reminders_and_records_the_outcome(
        live: LiveBot, assistant: Assistant, clock: Clock, lang: str) -> None:
    await sign_up(live, MENTEE, lang, "mentee", NURSE_IN_KEMI)
    [person] = await office(live).store.participants("fika", ["new"])
    desk = await live.commands(COORDINATOR, "mentoring", lang="fi")
    listing = await live.taps(COORDINATOR, with_data(desk, "md:n:fika"), "md:n:fika", "fi")
    times = await live.taps(COORDINATOR, with_data(listing, f"md:i:{person.id}"),
                            f"md:i:{person.id}", "fi")
    before = len(live.received(MENTEE))
    await live.taps(COORDINATOR, times[-1], f"md:b:{person.id}:0", "fi")
    told = live.received(MENTEE)[before:]
    await live.taps(COORDINATOR, with_data(listing, f"md:o:{person.id}:accepted"),
                    f"md:o:{person.id}:accepted", "fi")
    await live.says(COORDINATOR, "Motivoitunut, <b>hyvä</b> suomi", "fi")

    booking = (await live.app.bot_data["services"].store.upcoming_for_user(MENTEE, clock()))[0]
    assert assistant.kb.packs[lang].text("mt_interview_booked").split("{")[0][:12] in texts(told)
    clock.now = booking.starts_at - dt.timedelta(hours=23)
    day_before = await live.run_job("send_reminders")
    clock.now = booking.starts_at - dt.timedelta(minutes=50)
    hour_before = await live.run_job("send_reminders")
    assert [c.params["chat_id"] for c in day_before + hour_before] == [MENTEE, MENTEE]
    accepted = await office(live).store.participant(person.id)
    assert accepted is not None
    assert accepted.status == "accepted"
    assert accepted.note == "Motivoitunut, <b>hyvä</b> suomi"
    assert assistant.kb.packs[lang].text("mt_accepted") in texts(live.received(MENTEE))
    assert live.errors == []


def test_suggestions_are_ranked_by_the_programmes_weighted_criteria() -> None:
    book = load_programmes(EXAMPLE_PROGRAMMES)
    fika = book.programme("fika")
    assert fika is not None
    pool = [
        (1, {"field": "tech", "municipality": "Tornio", "languages": ["en"]}),
        (2, {"field": "health", "municipality": "Tornio", "languages": ["fi", "en"]}),
        (3, {"field": "health", "municipality": "Kemi", "interests": ["nature", "cooking"],
             "languages": ["en", "ar"]}),
        (4, {"field": "health", "municipality": "Kemi", "languages": ["ru"]}),  # no language
        (5, {"field": "arts", "municipality": "Kemi", "languages": ["fi", "en"]}),
    ]

    ranked = suggest(fika, (0, NURSE_IN_KEMI), pool, limit=5)

    # field 4, municipality 3, interests 2 each, languages 1 each (fi, sv, en to meet in).
    assert [(s.candidate_id, s.score) for s in ranked] == [(3, 13), (2, 5), (5, 4), (1, 1)]
    assert [(r.criterion, r.values) for r in ranked[0].reasons] == [
        ("field", ("health",)), ("interests", ("cooking", "nature")),
        ("languages", ("en", "ar")), ("municipality", ("Kemi",))]


@LANGUAGES
async def test_a_proposal_accepted_by_both_introduces_them_with_reasons(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    pair_id = await pair_up(live, lang)

    pair = await office(live).store.pair(pair_id)
    assert pair is not None
    assert pair.status == "active"
    pack = assistant.kb.packs[lang]
    mentee_saw = texts(live.received(MENTEE))
    assert pack.text("mt_reason_field", values=pack.text("mt_field_health")) in mentee_saw
    assert "Kemi" in mentee_saw
    intro = pack.text("mt_introduction").split("{")[0]
    assert intro in mentee_saw
    assert f"tg://user?id={MENTOR}" in mentee_saw
    assert f"tg://user?id={MENTEE}" in texts(live.received(MENTOR))
    assert live.errors == []


@LANGUAGES
async def test_a_declined_proposal_returns_both_to_the_pool_kindly(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    await sign_up(live, MENTEE, lang, "mentee", NURSE_IN_KEMI)
    await sign_up(live, MENTOR, "en", "mentor", MENTOR_PROFILE)
    store = office(live).store
    people = await store.participants("fika", ["new"])
    for person in people:
        await store.record_outcome(person.id, "accepted", MONDAY_10)
    mentee = next(p for p in people if p.role == "mentee")
    mentor = next(p for p in people if p.role == "mentor")
    desk = await live.commands(COORDINATOR, "mentoring", lang="fi")
    matches = await live.taps(COORDINATOR, with_data(desk, "md:m:fika"), "md:m:fika", "fi")
    await live.taps(COORDINATOR, with_data(matches, f"md:r:{mentee.id}:{mentor.id}"),
                    f"md:r:{mentee.id}:{mentor.id}", "fi")
    [pair] = await store.pairs("fika", ["proposed"])

    yes = await live.taps(MENTOR, with_data(live.received(MENTOR), f"mt:a:{pair.id}:1"),
                          f"mt:a:{pair.id}:1", "en")
    no = await live.taps(MENTEE, with_data(live.received(MENTEE), f"mt:a:{pair.id}:0"),
                         f"mt:a:{pair.id}:0", lang)

    assert texts(yes) == assistant.kb.packs["en"].text("mt_waiting_other")
    assert texts(no) == assistant.kb.packs[lang].text("mt_declined_ok")
    assert assistant.kb.packs["en"].text("mt_partner_declined") in texts(
        live.received(MENTOR))
    assert {p.status for p in await store.participants("fika", ["accepted"])} == {"accepted"}
    assert len(await store.participants("fika", ["accepted"])) == 2
    assert f"tg://user?id={MENTEE}" not in texts(live.received(MENTOR))


@LANGUAGES
async def test_checkins_count_meetings_and_a_quiet_pair_alerts_the_coordinator(
        live: LiveBot, assistant: Assistant, clock: Clock, lang: str) -> None:
    pair_id = await pair_up(live, lang)
    await live.run_job("deliver_alerts")
    clock.now += dt.timedelta(days=30, hours=1)

    sent = await live.run_job("send_support")
    checkin = with_data([c for c in sent if c.params["chat_id"] == MENTEE],
                        f"mt:cm:{pair_id}:1:1")
    hours = await live.taps(MENTEE, checkin, f"mt:cm:{pair_id}:1:1", lang)
    mood = await live.taps(MENTEE, hours[-1], f"mt:ch:{pair_id}:1:6", lang)
    thanks = await live.taps(MENTEE, mood[-1], f"mt:cq:{pair_id}:1:good", lang)
    again = await live.taps(MENTEE, mood[-1], f"mt:cq:{pair_id}:1:good", lang)
    mentor_checkin = with_data(live.received(MENTOR), f"mt:cm:{pair_id}:1:0")
    mentor_mood = await live.taps(MENTOR, mentor_checkin, f"mt:cm:{pair_id}:1:0", "en")
    await live.taps(MENTOR, mentor_mood[-1], f"mt:cq:{pair_id}:1:problem", "en")
    problem = await live.run_job("deliver_alerts")
    quiet_before = await live.run_job("send_support")
    clock.now += dt.timedelta(days=46)
    await live.run_job("send_support")
    quiet = await live.run_job("deliver_alerts")

    assert {c.params["chat_id"] for c in sent} == {MENTEE, MENTOR}
    assert texts(thanks) == assistant.kb.packs[lang].text("mt_checkin_thanks")
    assert again == []  # one answer per check-in
    assert [c.params["chat_id"] for c in problem] == [COORDINATOR]
    assert quiet_before == []
    assert [c.params["chat_id"] for c in quiet] == [COORDINATOR]
    assert "46" in texts(quiet)
    found = await figures(office(live).programmes.programme("fika"),  # type: ignore[arg-type]
                          office(live).store)
    assert (found.checkins_met, found.checkins_not_met, found.hours, found.problems) == (
        1, 1, 6, 1)
    assert live.errors == []


@LANGUAGES
async def test_closing_feedback_comes_in_each_language_and_the_report_counts_it_exactly(
        live: LiveBot, assistant: Assistant, clock: Clock, lang: str) -> None:
    pair_id = await pair_up(live, lang)
    clock.now += dt.timedelta(days=6 * 30 + 1)

    closing = await live.run_job("send_support")
    fika = office(live).programmes.programme("fika")
    assert fika is not None
    mentee_question = with_data(live.received(MENTEE), f"mt:fa:{pair_id}:0:yes")
    mentor_question = with_data(live.received(MENTOR), f"mt:fa:{pair_id}:1:partly")
    await live.taps(MENTEE, mentee_question, f"mt:fa:{pair_id}:0:yes", lang)
    await live.taps(MENTOR, mentor_question, f"mt:fa:{pair_id}:1:partly", "en")
    await live.taps(MENTOR, mentor_question, f"mt:fa:{pair_id}:1:no", "en")  # counted once

    assert fika.feedback_event[lang] in texts([c for c in closing
                                               if c.params["chat_id"] == MENTEE])
    assert fika.feedback[0].text[lang] == mentee_question.params["text"]
    lines = report_lines(fika, await figures(fika, office(live).store))
    assert lines[1:] == [
        "Sign-ups: mentee 1, mentor 1", "Interviews booked: 0",
        "Interview outcomes: accepted 2, not_now 0, not_suitable 0",
        "Pairs proposed: 1 (declined 0)", "Pairs formed: 1; active now: 0; completed: 1",
        "Ended early: 0", "Check-ins: met 0, not met 0; hours reported: 0; problems reported: 0",
        "“Did mentoring help you settle in Finland?” (mentee, 1 answered): yes 100 %, "
        "partly 0 %, no 0 %",
        "“Would you mentor again?” (mentor, 1 answered): yes 0 %, partly 100 %, no 0 %"]
    stats = await live.commands(COORDINATOR, "mentoring", "stats", lang="fi")
    assert texts(stats[:1]).split("\n")[1:] == [  # the coordinators' language (coaches file: fi)
        "Ilmoittautumiset: mentoroitava 1, mentori 1", "Haastatteluja varattu: 0",
        "Haastattelujen tulokset: hyväksytty 2, ei nyt 0, ei sovellu 0",
        "Ehdotettuja pareja: 1 (ei suostunut 0)",
        "Pareja muodostettu: 1; nyt käynnissä: 0; päättyi suunnitellusti: 1",
        "Päättyi ennen aikaa: 0",
        "Kuulumiskyselyt: tavannut 0, ei tavannut 0; tunteja ilmoitettu: 0; "
        "ongelmia ilmoitettu: 0",
        "“Auttoiko mentorointi sinua kotoutumaan Suomeen?” (mentoroitava, 1 vastasi): "
        "kyllä 100 %, osittain 0 %, ei 0 %",
        "“Haluaisitko olla mentori uudelleen?” (mentori, 1 vastasi): kyllä 0 %, "
        "osittain 100 %, ei 0 %"]
    markdown = good_practice(fika, await figures(fika, office(live).store))
    assert "## Evaluation" in markdown
    assert "partly 100 %" in markdown
    finnish = good_practice(fika, await figures(fika, office(live).store), "fi")
    assert finnish.startswith("# Kotoutumisen mentorointi\n\n## Tarkoitus\nTukea ")
    assert "## Arviointi" in finnish
    assert "- Haluaisitko olla mentori uudelleen?" in finnish
    assert "- Pareja muodostettu: 1; nyt käynnissä: 0; päättyi suunnitellusti: 1" in finnish
    assert "mentori ei voi luvata työpaikkaa" in finnish
    assert "## Levitys\n_(koordinaattori kirjoittaa)_" in finnish


async def test_coordinator_commands_and_buttons_are_refused_to_everyone_else(
        live: LiveBot, assistant: Assistant) -> None:
    await sign_up(live, MENTEE, "so", "mentee", NURSE_IN_KEMI)
    [person] = await office(live).store.participants("fika", ["new"])
    desk = await live.commands(COORDINATOR, "mentoring", lang="fi")

    refused = await live.commands(MENTEE, "mentoring", lang="so")
    stats = await live.commands(999, "mentoring", "stats", lang="en")
    for data in (f"md:o:{person.id}:accepted", "md:n:fika", "md:s:fika", "md:m:nope"):
        await live.taps(999, desk[0], data, "en", crafted=True)

    assert texts(refused) == assistant.kb.packs["so"].text("mt_desk_only")
    assert texts(stats) == assistant.kb.packs["en"].text("mt_desk_only")
    toasts = [c.params.get("text") for c in live.answers()[-4:]]
    assert toasts == [assistant.kb.packs["en"].text("mt_desk_only")] * 4
    still = await office(live).store.participant(person.id)
    assert still is not None
    assert still.status == "new"
    assert live.received(999)[-1:] == stats  # the crafted taps sent no message
    assert live.errors == []


@LANGUAGES
async def test_forget_in_the_middle_of_a_pairing_ends_it_neutrally_for_the_partner(
        live: LiveBot, assistant: Assistant, lang: str) -> None:
    pair_id = await pair_up(live, lang)
    await live.run_job("deliver_alerts")

    confirm = await live.commands(MENTEE, "forget", lang=lang)
    before = len(live.received(MENTOR))
    await live.taps(MENTEE, with_data(confirm, "fg:yes:"), "fg:yes:", lang)

    told = live.received(MENTOR)[before:]
    assert texts(told) == assistant.kb.packs["en"].text("mt_pair_ended")
    pair = await office(live).store.pair(pair_id)
    assert pair is not None
    assert pair.status == "ended"
    assert pair.end_reason == "left"
    assert await office(live).store.of_user(MENTEE) == []
    [mentor] = await office(live).store.of_user(MENTOR)
    assert mentor.status == "accepted"  # back in the pool for a new pair
    privacy = await live.commands(MENTOR, "privacy", lang="en")
    assert assistant.kb.packs["en"].text("mt_privacy", days="180") in texts(privacy)
    assert live.errors == []


async def test_mentor_is_in_the_command_menu_of_every_language(live: LiveBot,
                                                               assistant: Assistant) -> None:
    for lang in ("fi", "en", "ar", "so", "fa", "ru"):
        commands = {c["command"]: c["description"] for c in live.api.commands_for(lang)}
        assert commands["mentor"] == assistant.kb.packs[lang].text("command_mentor")
