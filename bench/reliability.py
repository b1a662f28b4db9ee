"""Reliability under faults: the real `ohjaamo run` against the loopback Bot API.

    python bench/reliability.py [--only alerts|flood|outage|privacy] [--alerts 500] [--write]

Faults are injected at the HTTP level by tests/loopback_api.py (no part of the bot is
mocked); each scenario starts its own bot process with the default settings unless said:

- alerts: N coach alerts in the outbox, 30 % of the sends failing (10 % 500, 5 % 502, 7.5 %
  answered only after 7-30 s and then 504, 7.5 % taking effect and answered only after
  7-30 s) and one 429 with retry_after=5;
- flood: one person sends 40 messages at once while 40 others send 3 each, a second apart,
  starting within the first 4 s; the server enforces 1 message/s per chat and 30/s overall
  with 429s, once with bursts of 3 in a chat (Telegram's published limits), once without;
- outage: every connection to the Bot API is reset for 150 s (messages sent meanwhile wait
  at "Telegram"), then it answers again;
- privacy: people with distinctive names ask questions, book with notes, meet failing sends
  and /forget, all at OHJAAMO_LOG_LEVEL=DEBUG; the whole log is searched.

With --write each scenario's figures replace its own section of docs/reliability.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.core.assistant import Assistant  # noqa: E402
from bot.core.replies import Message, ReplyKind  # noqa: E402
from bot.settings import content_root, topics_spec  # noqa: E402
from tests.booking_support import (  # noqa: E402
    COACH_IDS,
    COORDINATOR_CHAT,
    EXAMPLE_COACHES,
    queue_alerts,
)
from tests.e2e_support import BotProcess, Person, buttons, choose, text_of  # noqa: E402
from tests.loopback_api import DEFAULT_TOKEN, Call, Fault, LoopbackBotApi  # noqa: E402

DOCS = REPO / "docs" / "reliability.md"
MARK_END = "<!-- reliability-bench:end -->"
"""Sections are added before this marker, each between its own markers."""
SCENARIOS = ("alerts", "flood", "outage", "privacy")
ALERT_ID = re.compile(r"#([0-9a-f]{12})( 🔁)?</i>")
COACHES = list(COACH_IDS.values())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def with_bot(folder: Path, env: dict[str, str], body: Callable[
        [LoopbackBotApi, BotProcess], Awaitable[list[str]]], coaches: bool = True) -> list[str]:
    """Run `body` with a fresh loopback server and bot process; always stop the bot."""
    async with LoopbackBotApi() as api:
        for chat in COACHES:
            api.add_chat(chat)
        api.add_chat(COORDINATOR_CHAT, "supergroup")
        bot = BotProcess(api, folder / "bot.db", EXAMPLE_COACHES if coaches else None,
                         env={"OHJAAMO_FLOOD_LIMITS": "on", **env})
        await bot.start()
        try:
            return await body(api, bot)
        finally:
            await bot.stop()


# --- 1. Alerts ---------------------------------------------------------------------------


async def alerts(folder: Path, count: int) -> list[str]:
    rng = random.Random(4)
    sends = [0]
    kinds = dict.fromkeys(("500", "502", "hung then 504", "taken, answered 7-30 s late",
                           "429 retry_after=5"), 0)

    def plan(call: Call) -> Fault | None:
        if call.method != "sendMessage" or call.params.get("chat_id") not in COACHES:
            return None
        sends[0] += 1
        roll, hold = rng.random(), rng.uniform(7, 30)
        kind, fault = "", None
        if sends[0] == 100:
            kind, fault = "429 retry_after=5", Fault(429, retry_after=5)
        elif roll < 0.10:
            kind, fault = "500", Fault(500)
        elif roll < 0.15:
            kind, fault = "502", Fault(502)
        elif roll < 0.225:  # a timeout before Telegram took the message
            kind, fault = "hung then 504", Fault(504, hold=hold)
        elif roll < 0.30:  # a timeout after Telegram took it
            kind, fault = "taken, answered 7-30 s late", Fault(hold=hold)
        if kind:
            kinds[kind] += 1
        return fault

    async def body(api: LoopbackBotApi, bot: BotProcess) -> list[str]:
        api.inject(plan)
        await queue_alerts(bot.database, COACHES, count)
        start = time.monotonic()
        first_copy: dict[str, float] = {}
        while len(first_copy) < count and time.monotonic() - start < 900:
            await asyncio.sleep(1)
            for call in delivered(api):
                first_copy.setdefault(alert_id(call), call.time - start)
        await asyncio.sleep(35)  # any copy still on its way arrives
        copies = delivered(api)
        ids = [alert_id(c) for c in copies]
        duplicates = len(ids) - len(set(ids))
        marked = sum(1 for c in copies if "🔁" in str(c.params["text"]))
        same_id = all(len({str(c.params["text"]) for c in copies if alert_id(c) == i}) <= 2
                      for i in set(ids))
        in_ten = sum(1 for t in first_copy.values() if t <= 600)
        strict = api.sends_during_retry_after(grace=0.0)
        faults = ", ".join(f"{n} × {kind}" for kind, n in kinds.items())
        return [
            "### Coach alerts through failing sends", "",
            f"{count} alerts to 3 coaches; of {sends[0]} sends {sum(kinds.values())} failed "
            f"or hung ({faults}).", "",
            "| figure | target | measured |", "|---|---|---|",
            f"| delivered within 10 minutes | 100 % | **{in_ten / count:.1%}** "
            f"({in_ten}/{count}; all by {max(first_copy.values(), default=0):.0f} s) |",
            f"| sends to a chat inside its retry_after | 0 | **{len(strict)}** |",
            f"| duplicates | ≤ 1 % | **{duplicates / count:.1%}** ({duplicates}; "
            f"{marked} copies marked 🔁) |",
            f"| every copy carries its alert's id | yes | {'yes' if same_id else 'NO'} |"]

    return await with_bot(folder, {}, body)


def delivered(api: LoopbackBotApi) -> list[Call]:
    return [c for c in api.calls if c.method == "sendMessage" and c.status == 200
            and c.params.get("chat_id") in COACHES and ALERT_ID.search(str(c.params["text"]))]


def alert_id(call: Call) -> str:
    found = ALERT_ID.search(str(call.params["text"]))
    return found[1] if found else ""


# --- 2. Flood ----------------------------------------------------------------------------


def direct_questions(assistant: Assistant, count: int) -> list[tuple[str, str]]:
    found = []
    for entry in assistant.kb.packs["en"].entries.values():
        for question in entry.questions[:3]:
            reply = assistant.reply_to(Message(question, "en"))
            if reply.kind == ReplyKind.ANSWER and reply.topic == entry.id:
                found.append((question, entry.title))
    return (found * (count // max(1, len(found)) + 1))[:count]


async def flood(folder: Path, assistant: Assistant) -> list[str]:
    """Run the flood twice: Telegram's published limits, then a stricter server."""
    published = await flood_once(Path(tempfile.mkdtemp(dir=folder)), assistant, chat_burst=3)
    strict = await flood_once(Path(tempfile.mkdtemp(dir=folder)), assistant, chat_burst=1)
    rows = [("429s from the server", "rare"),
            ("sends to a chat inside its retry_after (arriving ≥ 0.25 s after the 429)", "0"),
            ("same, counting sends already on their way", "–"),
            ("replies lost or replaced by an apology", "0"),
            ("people whose replies came in the order they asked", "41/41"),
            ("others' reply latency p50 / p95 / max", "p95 < 2 s"),
            ("the flooder's 40th reply after its first message", "–")]
    return ["### One person floods, forty others ask", "",
            "The server enforces 1 message/s per chat and 30/s overall; first with bursts of "
            "3 in a chat, as Telegram publishes, then with no bursts at all (stricter than "
            "Telegram, so that 429s come and must be honoured).", "",
            "| figure | target | bursts of 3 | no bursts |", "|---|---|---|---|",
            *(f"| {name} | {target} | {a} | {b} |"
              for (name, target), a, b in zip(rows, published, strict, strict=True))]


async def flood_once(folder: Path, assistant: Assistant, chat_burst: int) -> list[str]:
    questions = direct_questions(assistant, 40)
    rng = random.Random(8)

    async def body(api: LoopbackBotApi, bot: BotProcess) -> list[str]:
        api.limit_rate(per_chat=1.0, chat_burst=chat_burst, overall=30.0, overall_burst=30)
        flooder, others = Person(api), [Person(api) for _ in range(40)]
        asked: dict[int, list[tuple[float, str]]] = {}

        def ask(person: Person, question: str) -> None:
            api.user_sends_text(person.id, question, language_code="en")
            asked.setdefault(person.id, []).append((time.monotonic(), question))

        async def talk(person: Person) -> None:
            await asyncio.sleep(rng.uniform(0, 4))
            for question, _ in rng.sample(questions, 3):
                ask(person, question)
                await asyncio.sleep(1.0)

        start = time.monotonic()
        for question, _ in questions:
            ask(flooder, question)
        await asyncio.gather(*(talk(p) for p in others))
        total = sum(len(v) for v in asked.values())
        with contextlib.suppress(TimeoutError):  # what is missing is counted below
            await api.wait_for(lambda c: c.method == "sendMessage" and not c.failed,
                               count=total, timeout=180)
        await asyncio.sleep(2)
        titles = dict(questions)
        lost = in_order = 0
        latencies: list[float] = []
        flooder_done = 0.0
        for person in [flooder, *others]:
            replies = [c for c in api.calls if c.method == "sendMessage" and c.status == 200
                       and c.params.get("chat_id") == person.id]
            mine = asked[person.id]
            lost += max(0, len(mine) - len(replies))
            good = [titles[q] in text_of(r) for (_, q), r in zip(mine, replies, strict=False)]
            in_order += all(good) and len(good) == len(mine)
            if person is flooder:
                flooder_done = max((r.time for r in replies), default=start) - start
            else:
                latencies += [r.time - t for (t, _), r in zip(mine, replies, strict=False)]
        return [str(sum(1 for c in api.calls if c.status == 429)),
                f"**{len(api.sends_during_retry_after())}**",
                str(len(api.sends_during_retry_after(grace=0.0))), f"**{lost}**",
                f"{in_order}/41",
                f"{percentile(latencies, 0.5):.2f} / **{percentile(latencies, 0.95):.2f}** / "
                f"{max(latencies, default=0):.2f} s", f"{flooder_done:.0f} s"]

    return await with_bot(folder, {}, body, coaches=False)


# --- 3. Outage ---------------------------------------------------------------------------


async def outage(folder: Path, seconds: float) -> list[str]:
    async def body(api: LoopbackBotApi, bot: BotProcess) -> list[str]:
        def health() -> int:
            return subprocess.run([sys.executable, "-m", "bot", "health"], cwd=REPO,
                                  env=bot.environment(), capture_output=True,
                                  timeout=60, check=False).returncode

        await asyncio.sleep(12)
        before = await asyncio.to_thread(health)
        people = [Person(api) for _ in range(3)]
        down = time.monotonic()
        api.go_offline()
        unhealthy_at = None
        for person in people:  # they wait at "Telegram" until the bot reaches it again
            api.user_sends_text(person.id, "hello")
        while time.monotonic() - down < seconds:
            await asyncio.sleep(min(10.0, seconds - (time.monotonic() - down)))
            if unhealthy_at is None and await asyncio.to_thread(health) == 1:
                unhealthy_at = time.monotonic() - down
        during = await asyncio.to_thread(health)
        api.go_online()
        up = time.monotonic()
        polled = await api.wait_for(lambda c: c.method == "getUpdates" and c.time > up,
                                    timeout=120)
        answers = [await person._expect(0, 1) for person in people]
        told = await api.wait_for(lambda c: c.method == "sendMessage" and c.status == 200
                                  and c.params.get("chat_id") == COORDINATOR_CHAT,
                                  timeout=120)
        await asyncio.sleep(12)
        after = await asyncio.to_thread(health)
        log = bot.log.read_text(encoding="utf-8", errors="replace")
        errors = [line for line in log.splitlines() if " ERROR " in line and "watchdog" in line]
        answered = max(a[0].time for a in answers) - up
        return [
            f"### The Bot API unreachable for {seconds:.0f} s", "",
            "| figure | target | measured |", "|---|---|---|",
            f"| first successful getUpdates after recovery | – | {polled[0].time - up:.1f} s |",
            f"| messages sent during the outage answered | within 60 s | **{answered:.1f} s** "
            "after recovery |",
            f"| watchdog ERROR during the outage | yes | {len(errors)} line(s); "
            f"`ohjaamo health` exit 1 from {unhealthy_at or 0:.0f} s into the outage |",
            f"| coordinator told after recovery | yes | {told[0].time - up:.1f} s after "
            "recovery |",
            f"| `ohjaamo health` before / during / after | 0 / 1 / 0 | {before} / {during} / "
            f"{after} |"]

    return await with_bot(folder, {}, body)


# --- 4. Privacy --------------------------------------------------------------------------


async def privacy(folder: Path) -> list[str]:
    people_data = [(f"Zephyrine{n}", f"Quillfeather{n}", f"zq_handle_{n}",
                    f"Where do I get a tax card for my summer job at Lidl number {n}",
                    f"My landlord Oberwaldner{n} keeps the deposit") for n in range(4)]
    secrets = [DEFAULT_TOKEN, DEFAULT_TOKEN.split(":")[1]]
    for first, last, username, question, note in people_data:
        secrets += [first, last, username, question, note]

    async def body(api: LoopbackBotApi, bot: BotProcess) -> list[str]:
        for index, (first, last, username, question, note) in enumerate(people_data):
            person = Person(api, first_name=first, last_name=last, username=username)
            await choose(person, "en")
            api.fail("sendMessage", 502)
            await person.says(question)
            api.fail("sendMessage", 429, retry_after=1)
            fallback = await person.says("tell me a good pizza recipe")
            api.user_presses_button(person.id, fallback[-1], "coach:")
            languages = await api.wait_for(
                lambda c, p=person: c.method == "sendMessage" and c.params.get("chat_id")
                == p.id and any(d.startswith("bk:l:") for d in buttons(c)), timeout=60)
            choice = next(d for d in buttons(languages[-1]) if d.startswith("bk:l:"))
            modes = await person.taps(languages[-1], choice)
            topics = await person.taps(modes[-1], buttons(modes[-1])[0])
            await person.taps(topics[-1], buttons(topics[-1])[-1])
            times = await person.says(note)
            slots = [d for d in buttons(times[-1]) if d.startswith("bk:s:")]
            confirm = await person.taps(times[-1], slots[index % len(slots)])
            await person.taps(confirm[-1], "bk:c:")
            if index % 2 == 0:
                asked = await person.commands("forget")
                await person.taps(asked[-1], "fg:yes:")
        await api.wait_for("editMessageText", count=2, timeout=60)
        await asyncio.sleep(3)
        log = bot.log.read_text(encoding="utf-8", errors="replace")
        found = {s: log.count(s) for s in secrets}
        lines = log.splitlines()
        return [
            "### Everything at DEBUG", "",
            f"4 people with distinctive names asked, booked with notes (each meeting a 502 "
            f"and a 429), 2 of them used /forget; {len(lines)} log lines "
            f"({sum(1 for line in lines if ' DEBUG ' in line)} at DEBUG).", "",
            "| figure | target | measured |", "|---|---|---|",
            f"| occurrences of the token, names, usernames, notes or questions | 0 | "
            f"**{sum(found.values())}** |"]

    return await with_bot(folder, {"OHJAAMO_LOG_LEVEL": "DEBUG"}, body)


# --- The report --------------------------------------------------------------------------


async def run(only: str | None, count: int, outage_seconds: float) -> dict[str, str]:
    """Run the scenarios; return each one's section of the report."""
    assistant = Assistant.from_content(content_root(), topics_spec())
    sections: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in SCENARIOS:
            if only not in (None, name):
                continue
            scenario = Path(folder) / name
            scenario.mkdir()
            began = time.monotonic()
            if name == "alerts":
                lines = await alerts(scenario, count)
            elif name == "flood":
                lines = await flood(scenario, assistant)
            elif name == "outage":
                lines = await outage(scenario, outage_seconds)
            else:
                lines = await privacy(scenario)
            command = f"python bench/reliability.py --only {name} --write"
            lines += ["", f"Command: `{command}` (Python {platform.python_version()}, "
                      f"{platform.machine()}, {time.strftime('%Y-%m-%d')}, "
                      f"{time.monotonic() - began:.0f} s)."]
            sections[name] = "\n".join(lines)
            print(sections[name] + "\n", flush=True)
    return sections


def write(sections: dict[str, str]) -> None:
    """Put each scenario's section between its own markers in docs/reliability.md."""
    current = DOCS.read_text(encoding="utf-8")
    for name, text in sections.items():
        start, end = f"<!-- reliability:{name}:start -->", f"<!-- reliability:{name}:end -->"
        if start not in current:
            current = current.replace(MARK_END, f"{start}\n{end}\n\n{MARK_END}")
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        current = f"{head}{start}\n{text}\n{end}{tail}"
    DOCS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SCENARIOS)
    parser.add_argument("--alerts", type=int, default=500, help="alerts in the outbox")
    parser.add_argument("--outage", type=float, default=150, help="seconds unreachable")
    parser.add_argument("--write", action="store_true", help="update docs/reliability.md")
    args = parser.parse_args()
    sections = asyncio.run(run(args.only, args.alerts, args.outage))
    if args.write:
        write(sections)


if __name__ == "__main__":
    main()
