"""Relay latency of the live duty chat: person -> coach and coach -> person.

    python bench/duty_relay.py [--conversations 20] [--messages 10] [--write]

The real Application polls the loopback Bot API (tests/loopback_api.py) over HTTP in this
process, with the example coaches file and a database in a temporary folder. Each of N
people opens a chat with the duty desk at the same time; then every person and the coach
of each conversation send messages at once. Latency is from the update being queued at
the server to the bot's copyMessage arriving there. With --write the figures replace the
duty section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bot.core.assistant import Assistant  # noqa: E402
from tests.booking_support import COACH_IDS, EXAMPLE_COACHES, FakeClock  # noqa: E402
from tests.duty_support import (  # noqa: E402
    MONDAY_DUTY,
    STAFF_GROUP,
    prepare,
    start_app,
    stop_app,
)
from tests.loopback_api import LoopbackBotApi  # noqa: E402

MARK_START = "<!-- duty-bench:start -->"
MARK_END = "<!-- duty-bench:end -->"
LANGS = ("so", "ar", "en", "fi", "fa")  # all served on Monday 13:30 by Amina or Reza


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class RunningClock(FakeClock):
    """Monday's duty time, running in real time (so a retry's backoff ends)."""

    def __call__(self) -> dt.datetime:
        return self.now + dt.timedelta(seconds=time.monotonic() - STARTED)


STARTED = time.monotonic()


async def measure(assistant: Assistant, conversations: int, messages: int, pause: float,
                  per_topic: bool) -> dict[str, list[float]]:
    clock = RunningClock(MONDAY_DUTY)
    with tempfile.TemporaryDirectory() as folder:
        async with LoopbackBotApi() as api:
            prepare(api)
            bot = await start_app(api, Path(folder), assistant, EXAMPLE_COACHES, clock,
                                  order_per_topic=per_topic)
            await bot.app.start()
            assert bot.app.updater is not None
            await bot.app.updater.start_polling(poll_interval=0, timeout=1)
            people = [700000 + i for i in range(conversations)]
            for user in people:
                lang = LANGS[user % len(LANGS)]
                api.user_sends_command(user, "start", lang, language_code=lang)
            await api.wait_for("setMyCommands", 7)
            await asyncio.sleep(0.5)
            for user in people:
                api.user_sends_crafted_callback(user, _any_bot_message(api, user), "chat:")
            created = await api.wait_for("createForumTopic", conversations, timeout=60)
            threads = {int(c.params["name"].split()[0].lstrip("#")): int(
                c.result["message_thread_id"]) for c in created}
            rows = await _chat_ids(bot)
            # Each coach takes their conversations first (the card's Take button), so the
            # rounds measure relaying, not the one-off joining notes.
            cards = [c for c in api.calls if c.method == "sendMessage"
                     and any(b.get("callback_data", "").startswith("dc:t:") for row in c.params.get(
                         "reply_markup", {}).get("inline_keyboard", []) for b in row)]
            for card in cards:
                number = int(card.params["text"].split("#")[1].split()[0])
                user = next(u for u, n in rows.items() if n == number)
                coach = COACH_IDS["reza" if LANGS[user % len(LANGS)] == "fa" else "amina"]
                api.user_presses_button(coach, card, f"dc:t:{number}")
            await api.wait_for(lambda c: c.method == "answerCallbackQuery"
                               and c.params.get("text") is None, conversations, timeout=60)
            await asyncio.sleep(0.5)
            queued: dict[tuple[int, int], tuple[str, float]] = {}
            for round_ in range(messages):
                for user in people:
                    update = api.user_sends_text(user, f"question {round_}")
                    queued[_source(update)] = ("p", time.monotonic())
                    coach = COACH_IDS["reza" if LANGS[user % len(LANGS)] == "fa" else "amina"]
                    reply = api.user_sends_text(coach, f"answer {round_}", chat_type="supergroup",
                                                chat_id=STAFF_GROUP,
                                                message_thread_id=threads[rows[user]])
                    queued[_source(reply)] = ("c", time.monotonic())
                await asyncio.sleep(pause)
            first: dict[tuple[int, int], float] = {}
            deadline = time.monotonic() + 180
            while len(first) < len(queued) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                for call in api.calls:
                    if call.method == "copyMessage" and not call.failed:
                        first.setdefault((call.params["from_chat_id"],
                                          call.params["message_id"]), call.time)
            copies = sum(1 for c in api.calls if c.method == "copyMessage" and not c.failed)
            to_staff: list[float] = []
            to_person: list[float] = []
            for source, arrived in first.items():
                side, started = queued[source]
                (to_staff if side == "p" else to_person).append((arrived - started) * 1000)
            print(f"per_topic={per_topic}: {len(first)} of {len(queued)} delivered, "
                  f"{copies - len(first)} duplicates", file=sys.stderr)
            await bot.app.updater.stop()
            await bot.app.stop()
            await stop_app(bot)
    return {"person → coach": to_staff, "coach → person": to_person}


def _source(update: dict[str, Any]) -> tuple[int, int]:
    message = update["message"]
    return int(message["chat"]["id"]), int(message["message_id"])


def _any_bot_message(api: LoopbackBotApi, user: int) -> dict[str, Any]:
    return next(m for m in reversed(api.messages_to(user)))


async def _chat_ids(bot: Any) -> dict[int, int]:
    database = bot.app.bot_data["services"].database
    async with database.connection.execute("SELECT user_id, id FROM duty_chats") as cursor:
        return {int(r[0]): int(r[1]) for r in await cursor.fetchall()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds between rounds (each conversation sends one message "
                        "each way per round; people type slower)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    assistant = Assistant.from_content(REPO / "content", cache_dir=REPO / ".cache" / "vectors")

    async def both() -> list[tuple[str, dict[str, list[float]]]]:
        # Alternated, so neither order always runs on the warmer (or the busier) machine.
        runs: list[tuple[str, dict[str, list[float]]]] = []
        for repeat in range(args.repeats):
            for per_topic in ((False, True) if repeat % 2 == 0 else (True, False)):
                label = "now: one order per forum topic" if per_topic else \
                    "baseline: one order for the whole staff group"
                runs.append((f"{label} (run {repeat + 1})", await measure(
                    assistant, args.conversations, args.messages, args.pause, per_topic)))
        return runs

    runs = asyncio.run(both())
    lines = [f"Command: `python bench/duty_relay.py --conversations {args.conversations} "
             f"--messages {args.messages} --pause {args.pause:g} --repeats {args.repeats} "
             "--write` "
             f"(Python {platform.python_version()}, "
             f"{platform.machine()}, {dt.date.today()}).", "",
             f"{args.conversations} simultaneous conversations, {args.messages} messages each "
             f"way per conversation (each taken by its coach first), one round every "
             f"{args.pause:g} s; both update orders in one run, one after the other; time "
             "from the message "
             "reaching the (loopback) Bot API to the bot's copyMessage arriving there, "
             "including long polling, with each text's crisis check running beside it in a "
             "worker thread:", "",
             "| update order | direction | messages | p50 ms | p95 ms | max ms |",
             "|---|---|---|---|---|---|"]
    for label, figures in runs:
        for name, values in figures.items():
            lines.append(f"| {label} | {name} | {len(values)} | "
                         f"{statistics.median(values):.1f} | "
                         f"{percentile(values, 0.95):.1f} | {max(values):.1f} |")
    print("\n".join(lines))
    if args.write:
        body = "\n".join(lines)
        write_section(f"{MARK_START}\n\n{body}\n\n{MARK_END}", MARK_START, MARK_END,
                      "Duty chat relay")


if __name__ == "__main__":
    main()
