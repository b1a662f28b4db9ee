"""An announcement to many subscribers: the real `ohjaamo run` against the loopback Bot API
with Telegram's limits enforced (30 messages/s overall, 1/s per chat, 429 past them).

    python bench/broadcast.py [--subscribers 10000]

Prints the rate as a share of 30 messages/s (from the coordinator's tap to the last copy),
429s, duplicates, misses, the report, and the bot's resident memory through the broadcast.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.storage import Database  # noqa: E402
from bot.storage.broadcasts import BroadcastStore  # noqa: E402
from tests.booking_support import COORDINATOR, EXAMPLE_COACHES  # noqa: E402
from tests.e2e_support import BotProcess  # noqa: E402
from tests.loopback_api import Call, LoopbackBotApi  # noqa: E402

TELEGRAM_RATE = 30.0
MARK = "Digiapu-päivä torstaina"


def _is_copy(call: Call) -> bool:
    return call.method == "sendMessage" and MARK in str(call.params.get("text"))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(subscribers: int) -> None:
    users = [400_000 + n for n in range(subscribers)]
    with tempfile.TemporaryDirectory() as folder:
        async with LoopbackBotApi() as api:
            for chat in (*users, COORDINATOR):
                api.add_chat(chat)
            api.limit_rate(per_chat=1.0, chat_burst=3, overall=TELEGRAM_RATE,
                           overall_burst=int(TELEGRAM_RATE))
            bot = BotProcess(api, Path(folder) / "bot.db", EXAMPLE_COACHES, env={
                "OHJAAMO_FLOOD_LIMITS": "on",
                "OHJAAMO_ACTIVITIES": str(REPO / "examples" / "activities.yaml")})
            database = Database(bot.database)
            await database.open()
            async with database.transaction() as db:
                await db.executemany("INSERT INTO subscriptions (user_id, chat_id, lang, events) "
                                     "VALUES (?, ?, ?, 1)", [(u, u, "fi") for u in users])
            await bot.start()
            assert bot.process is not None
            pid = bot.process.pid
            before = _rss_mib(pid)
            tapped = time.monotonic()
            await BroadcastStore(database).announce("events", {"fi": MARK}, None, COORDINATOR,
                                                    dt.datetime.now(dt.UTC))
            await database.close()
            memory: list[tuple[int, float]] = []
            while (done := sum(1 for c in api.calls if _is_copy(c) and not c.failed)) < \
                    subscribers:
                memory.append((done, _rss_mib(pid)))
                await asyncio.sleep(1.0)
            report = await api.wait_for(lambda c: c.method == "sendMessage" and c.params.get(
                "chat_id") == COORDINATOR, timeout=60)
            await bot.stop()
    copies = [c for c in api.calls if _is_copy(c) and not c.failed]
    first, last = copies[0].time, copies[-1].time
    per_chat: dict[int, int] = {}
    for call in copies:
        per_chat[call.params["chat_id"]] = per_chat.get(call.params["chat_id"], 0) + 1
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    misses = sum(1 for u in users if u not in per_chat)
    rate = len(copies) / (last - tapped)
    steady = (len(copies) - 1) / (last - first)
    throttled = sum(1 for c in api.calls if c.status == 429)

    def at(share: float) -> float:
        return next((m for n, m in memory if n >= share * subscribers), memory[-1][1])

    print(f"broadcast to {subscribers} subscribers, Telegram's limits enforced "
          f"({TELEGRAM_RATE:g}/s overall, 1/s per chat); Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"  from the tap to the last copy  {last - tapped:8.1f} s   {rate:6.2f} msg/s  "
          f"= {rate / TELEGRAM_RATE:6.1%} of 30/s")
    print(f"  first to last copy (steady)    {last - first:8.1f} s   {steady:6.2f} msg/s  "
          f"= {steady / TELEGRAM_RATE:6.1%} of 30/s")
    print(f"  429s from the server           {throttled:8d}")
    print(f"  duplicates                     {duplicates:8d}")
    print(f"  misses                         {misses:8d}")
    steps = ", ".join(f"{share:.0%} {at(share):.0f}" for share in
                      (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9))
    print(f"  bot RSS (MiB): before {before:.0f}; after {steps} of the copies; "
          f"peak {max(m for _, m in memory):.0f}")
    print(f"  report: {report[0].params['text']!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().subscribers))


if __name__ == "__main__":
    main()
