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


async def measure(conversations: int, messages: int, pause: float
                  ) -> dict[str, list[float]]:
    assistant = Assistant.from_content(REPO / "content", cache_dir=REPO / ".cache" / "vectors")
    clock = FakeClock(MONDAY_DUTY)
    with tempfile.TemporaryDirectory() as folder:
        async with LoopbackBotApi() as api:
            prepare(api)
            bot = await start_app(api, Path(folder), assistant, EXAMPLE_COACHES, clock)
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
            copies = await api.wait_for(lambda c: c.method == "copyMessage",
                                        2 * conversations * messages, timeout=120)
            to_staff: list[float] = []
            to_person: list[float] = []
            for call in copies:
                side, started = queued[(call.params["from_chat_id"], call.params["message_id"])]
                (to_staff if side == "p" else to_person).append((call.time - started) * 1000)
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
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.conversations, args.messages, args.pause))
    lines = [f"Command: `python bench/duty_relay.py --conversations {args.conversations} "
             f"--messages {args.messages} --pause {args.pause:g} --write` "
             f"(Python {platform.python_version()}, "
             f"{platform.machine()}, {dt.date.today()}).", "",
             f"{args.conversations} simultaneous conversations, {args.messages} messages each "
             f"way per conversation, one round every {args.pause:g} s; time from the message "
             "reaching the (loopback) Bot API to the bot's copyMessage arriving there, "
             "including long polling, with each text's crisis check running beside it in a "
             "worker thread:", "",
             "| direction | messages | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for name, values in figures.items():
        lines.append(f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
                     f"{percentile(values, 0.95):.1f} | {max(values):.1f} |")
    print("\n".join(lines))
    if args.write:
        body = "\n".join(lines)
        write_section(f"{MARK_START}\n\n{body}\n\n{MARK_END}", MARK_START, MARK_END,
                      "Duty chat relay")


if __name__ == "__main__":
    main()
