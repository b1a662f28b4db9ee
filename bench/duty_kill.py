"""Messages lost when the bot is SIGKILLed in the middle of a live duty chat.

    python bench/duty_kill.py [--messages 100] [--kill-after 50] [--write]

The bot runs as a subprocess (`--serve`: the real Application polling the loopback Bot API
over HTTP, the example coaches file, a SQLite file in a temporary folder). A person opens a
chat, the coach takes it, and they write `--messages` messages in turns (person, coach, ...)
every 20 ms. After `--kill-after` of them the bot gets SIGKILL; the rest are sent while it is
down; then it is started again. Every message must reach the other side at least once and
in the order it was sent; copies beyond the first are counted as duplicates. With --write the
figures replace the duty section of docs/reliability.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.core.assistant import Assistant  # noqa: E402
from bot.telegram_channel.application import ChannelConfig, build_application  # noqa: E402
from tests.booking_support import COACH_IDS, EXAMPLE_COACHES, FakeClock  # noqa: E402
from tests.duty_support import MONDAY_DUTY, STAFF_GROUP, prepare  # noqa: E402
from tests.loopback_api import LoopbackBotApi  # noqa: E402

DOC = REPO / "docs" / "reliability.md"
MARK_START = "<!-- duty-kill:start -->"
MARK_END = "<!-- duty-kill:end -->"
PERSON = 810001
COACH = COACH_IDS["amina"]


class RunningClock(FakeClock):
    """Monday's duty time, running in real time from the process start."""

    def __call__(self) -> dt.datetime:
        return self.now + dt.timedelta(seconds=time.monotonic() - STARTED)


STARTED = time.monotonic()


@dataclass(frozen=True)
class Outcome:
    """What arrived of a conversation across a SIGKILL."""

    sent: int
    lost: int
    duplicates: int
    out_of_order: int
    seconds_to_all: float


async def serve(url: str, token: str, folder: Path) -> None:
    """Run the bot until killed (the subprocess side)."""
    assistant = Assistant.from_content(REPO / "content", cache_dir=REPO / ".cache" / "vectors")
    config = ChannelConfig(
        token=token, api_url=url, database=folder / "bot.db", coaches=EXAMPLE_COACHES,
        content=assistant.kb.root, topics_spec=None, webhook_url="", webhook_secret="",
        webhook_listen="127.0.0.1", webhook_port=8443, send_retries=0, retention_days=30,
        heartbeat=folder / "heartbeat.json", paced=False)
    app = build_application(config, assistant, clock=RunningClock(MONDAY_DUTY))
    await app.initialize()
    assert app.post_init is not None
    assert app.updater is not None
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    print("ready", flush=True)
    await asyncio.Event().wait()


def spawn(api: LoopbackBotApi, folder: Path) -> subprocess.Popen[str]:
    """Start the bot subprocess and wait until it polls."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", api.url, api.token,
         str(folder)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError("the bot subprocess did not start")
    return process


async def run(messages: int, kill_after: int, gap: float = 0.02) -> Outcome:
    """Play the conversation with one SIGKILL in it; return what arrived."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        async with LoopbackBotApi() as api:
            prepare(api)
            process = await asyncio.to_thread(spawn, api, folder)
            try:
                api.user_sends_command(PERSON, "start", "en", language_code="en")
                await api.wait_for(lambda c: c.method == "sendMessage"
                                   and c.params.get("chat_id") == PERSON, timeout=60)
                api.user_sends_crafted_callback(PERSON, api.messages_to(PERSON)[-1], "chat:")
                [topic] = await api.wait_for("createForumTopic", timeout=60)
                thread = int(topic.result["message_thread_id"])
                [card] = await api.wait_for(lambda c: c.method == "sendMessage" and c.params.get(
                    "message_thread_id") == thread and "dc:t:" in str(c.params), timeout=30)
                api.user_presses_button(COACH, card, next(
                    b["callback_data"] for row in card.params["reply_markup"]["inline_keyboard"]
                    for b in row if b["callback_data"].startswith("dc:t:")))
                await api.wait_for("answerCallbackQuery", timeout=30)
                sources: list[tuple[int, int]] = []
                for number in range(messages):
                    if number == kill_after:
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        killed_at = time.monotonic()
                    if number % 2 == 0:
                        update = api.user_sends_text(PERSON, f"person {number}")
                    else:
                        update = api.user_sends_text(
                            COACH, f"coach {number}", chat_type="supergroup",
                            chat_id=STAFF_GROUP, message_thread_id=thread)
                    sources.append((update["message"]["chat"]["id"],
                                    update["message"]["message_id"]))
                    await asyncio.sleep(gap)
                process = await asyncio.to_thread(spawn, api, folder)
                first = await _arrivals(api, set(sources), patience=120)
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait()
    copies = [c for c in api.calls if c.method == "copyMessage" and not c.failed]
    delivered = [s for s in sources if s in first]
    out_of_order = 0
    for side in (PERSON, STAFF_GROUP):  # each side's first copies in the order sent
        sent = [s for s in delivered if s[0] == side]
        arrived = sorted(sent, key=lambda s: first[s])
        out_of_order += sum(1 for a, b in zip(sent, arrived, strict=True) if a != b)
    return Outcome(sent=len(sources), lost=len(sources) - len(delivered),
                   duplicates=len(copies) - len(first), out_of_order=out_of_order,
                   seconds_to_all=max(first.values(), default=killed_at) - killed_at)


async def _arrivals(api: LoopbackBotApi, sources: set[tuple[int, int]], patience: float
                    ) -> dict[tuple[int, int], float]:
    """Wait until every source has a copy (or `patience` s); return each first copy's time."""
    deadline = time.monotonic() + patience
    first: dict[tuple[int, int], float] = {}
    while time.monotonic() < deadline:
        for call in api.calls:
            if call.method == "copyMessage" and not call.failed:
                first.setdefault((int(call.params["from_chat_id"]),
                                  int(call.params["message_id"])), call.time)
        if sources <= first.keys():
            break
        await asyncio.sleep(0.2)
    return {k: v for k, v in first.items() if k in sources}


def write_doc(body: str) -> None:
    """Replace the duty section of docs/reliability.md (or add it)."""
    text = f"{MARK_START}\n\n{body}\n\n{MARK_END}"
    current = DOC.read_text(encoding="utf-8")
    if MARK_START in current:
        head, _, rest = current.partition(MARK_START)
        current = head + text + rest.partition(MARK_END)[2]
    else:
        current = current.rstrip() + "\n\n## Duty chat across a SIGKILL\n\n" + text + "\n"
    DOC.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--kill-after", type=int, default=50)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("URL", "TOKEN", "FOLDER"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve[0], args.serve[1], Path(args.serve[2])))
        return
    outcome = asyncio.run(run(args.messages, args.kill_after))
    body = "\n".join([
        f"Command: `python bench/duty_kill.py --messages {args.messages} --kill-after "
        f"{args.kill_after} --write` (Python {platform.python_version()}, "
        f"{platform.machine()}, {dt.date.today()}).", "",
        "The bot as a subprocess polling the loopback Bot API; one live chat, person and coach "
        "writing in turns every 20 ms; SIGKILL after "
        f"{args.kill_after} messages, the rest sent while the bot is down, then a restart.", "",
        "| messages | lost | duplicates | out of order | all arrived, s after the kill |",
        "|---|---|---|---|---|",
        f"| {outcome.sent} | {outcome.lost} | {outcome.duplicates} | {outcome.out_of_order} | "
        f"{outcome.seconds_to_all:.1f} |"])
    print(body)
    if args.write:
        write_doc(body)
    if os.environ.get("BENCH_STRICT") and (outcome.lost or outcome.out_of_order):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
