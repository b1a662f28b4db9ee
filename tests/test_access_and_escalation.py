"""Who may act on an alert, how often a person in crisis can alert the coaches, odd input,
and escalation that counts working time: through the real PTB stack and the loopback API."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli import main
from bot.core.assistant import Assistant
from tests.booking_support import COACH_IDS, COORDINATOR, COORDINATOR_CHAT, EXAMPLE_COACHES
from tests.live_support import LiveBot, book, data_of, start_live_bot

AMINA, REZA, OLGA = COACH_IDS["amina"], COACH_IDS["reza"], COACH_IDS["olga"]
MONDAY = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
"""Monday 1 March 2027; Helsinki is UTC+2. Amina works 09-12 and 13-16, Reza 10-16."""


def helsinki(day: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    return day + dt.timedelta(hours=hour - 2, minutes=minute)


class Clock:
    """A clock the test sets by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(helsinki(MONDAY, 10))


@pytest_asyncio.fixture
async def live(tmp_path: Path, assistant: Assistant, clock: Clock) -> AsyncIterator[LiveBot]:
    async for running in start_live_bot(tmp_path, assistant, EXAMPLE_COACHES, clock):
        yield running


def toasts(live: LiveBot, count: int) -> list[str]:
    return [str(c.params.get("text")) for c in live.answers()[-count:]]


# --- 5. Access and abuse ----------------------------------------------------------------------


async def test_only_the_alerts_own_coach_or_a_coordinator_may_acknowledge_it(
        live: LiveBot, clock: Clock, assistant: Assistant) -> None:
    await book(live, 401, "so")  # Somali: Amina's client
    [alert] = await live.run_job("deliver_alerts")
    assert alert.params["chat_id"] == AMINA
    acknowledge = next(d for d in data_of(alert) if d.startswith("al:a:"))
    staff = assistant.kb.packs["fi"]

    await live.taps(REZA, alert, acknowledge, "fi", crafted=True)  # another coach
    await live.taps(REZA, alert, "al:a:0123456789ab", "fi", crafted=True)  # no such alert
    await live.taps(REZA, alert, "al:a:' OR '1'='1", "fi", crafted=True)
    clock.now += dt.timedelta(minutes=61)
    await live.run_job("escalate_unacknowledged")
    escalated = await live.run_job("deliver_alerts")

    assert toasts(live, 3) == [staff.text("not_allowed"), staff.text("alert_unknown"),
                               staff.text("alert_unknown")]
    assert [c.params["chat_id"] for c in escalated] == [COORDINATOR_CHAT]  # not silenced
    copy = escalated[0]
    await live.taps(COORDINATOR, copy, next(d for d in data_of(copy) if d.startswith("al:a:")))
    assert toasts(live, 1) == [staff.text("alert_acknowledged")]
    clock.now += dt.timedelta(hours=3)
    await live.run_job("escalate_unacknowledged")
    assert await live.run_job("deliver_alerts") == []  # the coordinator's ack ends the chain
    assert live.errors == []


async def test_let_a_coach_contact_me_is_deduplicated_capped_and_its_button_removed(
        live: LiveBot, assistant: Assistant) -> None:
    pack = assistant.kb.packs["so"]
    await live.commands(402, "start", "so", lang="so")
    crisis = await live.says(402, pack.crisis.phrases[0], "so")
    consent = await live.taps(402, crisis[0], "contact:", "so")
    replies = await live.taps(402, consent[-1], "ct:yes:", "so")
    for _ in range(9):  # an old client, or a fast thumb, taps the used-up button again
        replies += await live.taps(402, consent[-1], "ct:yes:", "so", crafted=True)
    first = await live.run_job("deliver_alerts")

    assert sorted(c.params["chat_id"] for c in first) == sorted([COORDINATOR_CHAT, AMINA])
    assert [c.params["text"] for c in replies] == [pack.text("contact_me_done")] + [
        pack.text("contact_me_already")] * 9
    shown = next(m for m in live.api.messages_to(402)
                 if m["message_id"] == consent[-1].result["message_id"])
    assert not shown.get("reply_markup")  # the yes button is gone

    # Once a coach acknowledges, the person may ask again, up to three times a day.
    requests = 1
    for _ in range(4):
        for alert in [c for c in live.api.sent if c.method == "sendMessage"
                      and c.params.get("chat_id") == AMINA][-1:]:
            await live.taps(AMINA, alert, next(d for d in data_of(alert)
                                               if d.startswith("al:a:")), "fi")
        again = await live.taps(402, consent[-1], "ct:yes:", "so", crafted=True)
        requests += again[-1].params["text"] == pack.text("contact_me_done")
        await live.run_job("deliver_alerts")
    to_coordinator = [c for c in live.api.sent if c.method == "sendMessage"
                      and c.params.get("chat_id") == COORDINATOR_CHAT]
    assert requests == 3
    assert len(to_coordinator) == 3
    assert live.errors == []


@pytest.mark.parametrize(("who", "probe"), [
    ("coach", "/cancel ² hi"), ("coach", "/cancel 99999999999999999999999 hi"),
    ("coach", "/cancel ٣ hi"), ("coach", "/block ٢٠٢٧-٠٣-٠٩ 10:00-12:00"),
    ("coach", "al:d:²"), ("coach", "al:n:99999999999999999999999"), ("coach", "al:a:²"),
    ("client", "mb:c:²"), ("client", "mb:r:99999999999999999999999"), ("client", "bk:s:²"),
    ("client", "bk:s:99999999999999999999999"), ("client", "bk:m:teleport"),
    ("client", "bk:l:xx:1"),
])
async def test_digit_like_input_in_commands_and_buttons_never_raises(
        live: LiveBot, assistant: Assistant, who: str, probe: str) -> None:
    user, lang = (OLGA, "fi") if who == "coach" else (403, "en")
    await live.commands(user, "start", "fi" if who == "coach" else lang, lang=lang)
    anchor = (await live.commands(user, "today" if who == "coach" else "coach", lang=lang))[-1]

    if probe.startswith("/"):
        name, _, args = probe[1:].partition(" ")
        replies = await live.commands(user, name, args, lang=lang)
    else:
        await live.taps(user, anchor, probe, lang, crafted=True)
        replies = live.received(user)[-1:]

    assert live.errors == []
    apology = assistant.kb.packs[lang].text("error")
    assert all(c.params["text"] != apology for c in live.received(user))
    assert replies or live.answers()


# --- 6. Escalation in working time, repeated a bounded number of times ------------------------


async def test_a_night_alert_escalates_after_working_time_and_repeats_a_bounded_number(
        live: LiveBot, clock: Clock, assistant: Assistant) -> None:
    sunday_night = helsinki(MONDAY - dt.timedelta(days=1), 23)
    clock.now = sunday_night
    await book(live, 404, "so")
    [alert] = await live.run_job("deliver_alerts")
    assert alert.params["chat_id"] == AMINA

    sent_at: dict[str, int] = {}
    for hour, minute in [(9, 1), (9, 59), (10, 0), (10, 59), (11, 0), (12, 0), (13, 0),
                         (15, 59)]:
        clock.now = helsinki(MONDAY, hour, minute)
        await live.run_job("escalate_unacknowledged")
        for copy in await live.run_job("deliver_alerts"):
            assert copy.params["chat_id"] == COORDINATOR_CHAT
            sent_at[f"{hour:02}:{minute:02}"] = len(sent_at) + 1

    # Not at 09:01 (as if ten night hours counted), but 60 working minutes after 09:00,
    # then every 60 working minutes, twice (examples/coaches.yaml's defaults).
    assert list(sent_at) == ["10:00", "11:00", "12:00"]
    staff = assistant.kb.packs["fi"]
    copies = live.received(COORDINATOR_CHAT)
    assert staff.text("alert_escalated") in copies[0].params["text"]
    assert staff.text("alert_escalated_again", count="2", total="2") in copies[2].params["text"]
    booking_number = alert.params["text"].split("#", 1)[1].split("\n", 1)[0]
    assert all(f"#{booking_number}" in c.params["text"] for c in copies)
    assert live.errors == []


def test_escalation_settings_are_checked_with_path_and_line(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    coaches = tmp_path / "coaches.yaml"
    coaches.write_text(EXAMPLE_COACHES.read_text(encoding="utf-8").replace(
        "escalation_repeat_minutes: 60", "escalation_repeat_minutes: soon").replace(
        "escalation_repeats: 2", "escalation_repeats: 99"), encoding="utf-8")

    status = main(["coaches", "check", "--path", str(coaches)])

    written = coaches.read_text(encoding="utf-8").splitlines()
    minutes_line = 1 + next(i for i, line in enumerate(written)
                            if line.startswith("escalation_repeat_minutes:"))
    repeats_line = 1 + next(i for i, line in enumerate(written)
                            if line.startswith("escalation_repeats:"))
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert any(line.startswith(f"{coaches}:{minutes_line}: 'escalation_repeat_minutes' must be "
                               "a whole number from 1 to") for line in lines), lines
    assert f"{coaches}:{repeats_line}: 'escalation_repeats' must be a whole number from 0 to 10" \
        " (got 99) (write e.g. 'escalation_repeats: 2', or leave it out for 2)" in lines
