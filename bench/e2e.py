"""Throughput and latency of the real `ohjaamo run` beside a bare PTB echo bot, in one run.

    python bench/e2e.py [--users 50] [--messages 10] [--write]

Both bots run as separate processes against the same loopback Bot API server
(tests/loopback_api.py), polling it over real HTTP. Simulated users each send
real questions from the knowledge base; we measure answered messages per second
and per-message latency (from the update being queued to the reply arriving).
With --write the figures replace the e2e section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bot import settings  # noqa: E402
from bot.core.loading import load_knowledge_base  # noqa: E402
from tests.loopback_api import LoopbackBotApi  # noqa: E402

MARK_START = "<!-- e2e-bench:start -->"
MARK_END = "<!-- e2e-bench:end -->"

ECHO_BOT = """
import os
from telegram import Update
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text)

url = os.environ["TELEGRAM_API_URL"]
app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(url + "/bot")
       .base_file_url(url + "/file/bot").concurrent_updates(True).build())
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(allowed_updates=Update.ALL_TYPES)
"""


async def measure(api: LoopbackBotApi, command: list[str], env: dict[str, str],
                  questions: list[tuple[str, str]], users: int, per_user: int
                  ) -> tuple[float, list[float]]:
    """Start one bot process, drive the load, return (messages/s, latencies in ms)."""
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        polls = len([c for c in api.calls if c.method == "getUpdates"])
        await api.wait_for("getUpdates", count=polls + 1, timeout=60)
        await asyncio.sleep(0.5)  # let start-up calls settle
        rng = random.Random(5)
        base = 10_000 + len(api.calls)
        sent_at: dict[int, float] = {}
        first = time.monotonic()
        for round_ in range(per_user):
            for user in range(users):
                chat = base + user * 1000 + round_
                text, lang = rng.choice(questions)
                api.user_sends_text(chat, text, language_code=lang)
                sent_at[chat] = time.monotonic()
            await asyncio.sleep(0)
        total = users * per_user
        replies = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") in sent_at,
            count=total, timeout=600)
        elapsed = max(c.time for c in replies) - first
        latencies = [(c.time - sent_at[c.params["chat_id"]]) * 1000 for c in replies]
        return total / elapsed, latencies
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(users: int, per_user: int) -> str:
    kb = load_knowledge_base(settings.content_root())
    questions = [(q, lang) for lang, pack in kb.packs.items() for e in pack.entries.values()
                 for q in e.questions[:3]]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        echo = Path(folder) / "echo_bot.py"
        echo.write_text(ECHO_BOT, encoding="utf-8")
        for name, command in (("ohjaamo run", [sys.executable, "-m", "bot", "run"]),
                              ("bare PTB echo bot", [sys.executable, str(echo)])):
            async with LoopbackBotApi() as api:
                env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.url,
                       "OHJAAMO_DB": str(Path(folder) / f"{len(results)}.db"),
                       "OHJAAMO_LAST_GOOD_CONTENT": str(Path(folder) / "last-good-content"),
                       "OHJAAMO_LOG_LEVEL": "WARNING",
                       # Raw speed against an echo bot: the loopback server has no flood
                       # limits, so the bot's own pacing (25 messages/s) stays off here.
                       "OHJAAMO_FLOOD_LIMITS": "off"}
                results[name] = await measure(api, command, env, questions, users, per_user)
    ours, echo_rate = results["ohjaamo run"][0], results["bare PTB echo bot"][0]
    lines = [MARK_START, "", f"Command: `python bench/e2e.py --users {users} --messages "
             f"{per_user} --write` (Python {platform.python_version()}, "
             f"{time.strftime('%Y-%m-%d')}); {users * per_user} messages from {users} users "
             "per bot, both bots polling the same loopback Bot API server over HTTP.", "",
             "| bot | answered msg/s | p50 ms | p90 ms | p99 ms |", "|---|---|---|---|---|"]
    for name, (rate, latencies) in results.items():
        lines.append(f"| {name} | {rate:.0f} | {percentile(latencies, 0.5):.0f} | "
                     f"{percentile(latencies, 0.9):.0f} | {percentile(latencies, 0.99):.0f} |")
    lines += ["", f"ohjaamo answers at **{ours / echo_rate:.0%}** of the echo bot's rate "
              "(target: at least 70 %).", "", MARK_END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per user")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    text = asyncio.run(run(args.users, args.messages))
    print(text)
    if args.write:
        write_section(text, MARK_START, MARK_END, "Telegram end to end")


if __name__ == "__main__":
    main()
