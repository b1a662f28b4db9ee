"""Privacy through the real `ohjaamo run` at DEBUG: the log keeps no token, name, note or question,
and /forget blanks the coach's earlier alerts about the person."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from tests.booking_support import COACH_IDS, EXAMPLE_COACHES
from tests.e2e_support import BotProcess, Person, buttons, choose
from tests.loopback_api import DEFAULT_TOKEN, Call, LoopbackBotApi

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRST, LAST, USERNAME = "Zephyrine", "Quillfeather", "zq_private_handle"
QUESTION = "Where do I get a tax card for my summer job at Lidl Tornio"
NOTE = "My landlord Oberwaldner keeps the deposit"
PERSONAL = (FIRST, LAST, USERNAME, "summer job at Lidl", "Oberwaldner", DEFAULT_TOKEN,
            DEFAULT_TOKEN.split(":")[1])


@dataclass
class Scenario:
    log: str
    alert: Call
    coach_messages: list[dict[str, object]]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def scenario(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scenario]:
    """Ask, book with a note, meet failing sends, then /forget: all at DEBUG."""
    async with LoopbackBotApi() as api:
        for coach in COACH_IDS.values():
            api.add_chat(coach)
        bot = BotProcess(api, tmp_path_factory.mktemp("privacy") / "bot.db", EXAMPLE_COACHES,
                         env={"OHJAAMO_LOG_LEVEL": "DEBUG"})
        await bot.start()
        try:
            alert, coach = await _forget_after_booking(api)
        finally:
            log = await bot.stop()
        yield Scenario(log, alert, api.messages_to(coach))


async def _forget_after_booking(api: LoopbackBotApi) -> tuple[Call, int]:
    """Ask, book with a note, then /forget; return the coach's alert and chat."""
    person = Person(api, first_name=FIRST, last_name=LAST, username=USERNAME)
    await choose(person, "en")
    api.fail("sendMessage", 502)  # an nginx error page, then a retry
    await person.says(QUESTION)
    api.fail("sendMessage", 429, retry_after=1)
    fallback = await person.says("tell me a good pizza recipe")
    api.user_presses_button(person.id, fallback[-1], "coach:")
    languages = await api.wait_for(  # outside working hours, a note comes first
        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == person.id
        and any(d.startswith("bk:l:") for d in buttons(c)), timeout=30)
    choice = next(d for d in buttons(languages[-1]) if d.startswith("bk:l:"))
    modes = await person.taps(languages[-1], choice)
    topics = await person.taps(modes[-1], buttons(modes[-1])[0])
    await person.taps(topics[-1], buttons(topics[-1])[-1])
    describe = await person.says(NOTE)
    times = await person.taps(describe[-1], "bk:d:studying")  # the person's situation
    slot = next(d for d in buttons(times[-1]) if d.startswith("bk:s:"))
    confirm = await person.taps(times[-1], slot)
    await person.taps(confirm[-1], "bk:c:")
    alert = (await api.wait_for(lambda c: c.method == "sendMessage" and c.params.get(
        "chat_id") in set(COACH_IDS.values()), timeout=30))[0]
    asked = await person.commands("forget")
    await person.taps(asked[-1], "fg:yes:")
    coach = int(alert.params["chat_id"])
    with contextlib.suppress(TimeoutError):  # the test below tells if it never came
        await api.wait_for(lambda c: c.method == "editMessageText"
                           and c.params.get("chat_id") == coach, timeout=20)
    return alert, coach




async def test_debug_logs_hold_no_token_names_notes_or_questions(scenario: Scenario) -> None:
    assert " DEBUG " in scenario.log  # the scenario really ran at DEBUG
    assert "sendMessage failed (NetworkError)" in scenario.log  # the 502 was logged
    found = {secret: scenario.log.count(secret) for secret in PERSONAL}
    assert found == dict.fromkeys(PERSONAL, 0)


async def test_forget_blanks_the_coachs_earlier_alert(scenario: Scenario) -> None:
    assert FIRST in str(scenario.alert.params["text"])  # the alert as first delivered
    first_copy = next(m for m in scenario.coach_messages
                      if m["message_id"] == scenario.alert.result["message_id"])
    assert "edit_date" in first_copy
    assert not any(secret in str(first_copy["text"]) for secret in PERSONAL)
