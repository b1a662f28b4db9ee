"""A real `ohjaamo run` process and simulated people talking to it over the loopback API."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from pathlib import Path
from typing import Any, Unpack

from tests.conftest import REPO
from tests.loopback_api import Call, LoopbackBotApi, Sender

_users = itertools.count(5000)


class BotProcess:
    """`python -m bot run` as a child process, pointed at the loopback server.

    `env` adds or overrides settings; the process's log (stderr) goes to `log`, a file beside
    the database, so that even a DEBUG run never blocks on a full pipe.
    """

    def __init__(self, api: LoopbackBotApi, database: Path, coaches: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.api, self.database = api, database
        self.coaches = coaches or database.parent / "no-coaches.yaml"
        self.env = env or {}
        self.log = database.parent / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    def environment(self) -> dict[str, str]:
        """Return the environment the bot process runs with."""
        return {**os.environ, "TELEGRAM_BOT_TOKEN": self.api.token,
                "TELEGRAM_API_URL": self.api.url, "OHJAAMO_DB": str(self.database),
                "OHJAAMO_COACHES": str(self.coaches),
                "OHJAAMO_LAST_GOOD_CONTENT": str(self.database.parent / "last-good-content"),
                "OHJAAMO_HEARTBEAT": str(self.database.parent / "heartbeat.json"),
                "OHJAAMO_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
                # The loopback server has no flood limits unless a test sets them (and then
                # turns these on): simulated people tap faster than anyone could.
                "OHJAAMO_FLOOD_LIMITS": "off", **self.env}

    async def start(self, wait_for_polling: bool = True) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=REPO, env=self.environment(),
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        if wait_for_polling:
            # Ready when the command menu is registered (post_init ran) and polling began.
            polls = len([c for c in self.api.calls if c.method == "getUpdates"])
            await self.api.wait_for(lambda c: c.method == "getUpdates", count=polls + 1,
                                    timeout=60)

    async def stop(self, kill: bool = False) -> str:
        """Stop the process (SIGINT, or SIGKILL) and return its whole log."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        await asyncio.wait_for(self.process.wait(), 30)
        return self.log.read_text(encoding="utf-8", errors="replace")


class Person:
    """A Telegram user chatting with the bot through the loopback server."""

    def __init__(self, api: LoopbackBotApi, language_code: str = "en",
                 **sender: Unpack[Sender]) -> None:
        self.api, self.id, self.language_code = api, next(_users), language_code
        self.sender = sender

    def _received(self) -> list[Call]:
        return [c for c in self.api.calls if c.method == "sendMessage" and not c.failed
                and c.params.get("chat_id") == self.id]

    async def _expect(self, before: int, count: int) -> list[Call]:
        calls = await self.api.wait_for(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == self.id,
            count=before + count, timeout=30)
        return calls[before:]

    async def says(self, text: str, replies: int = 1) -> list[Call]:
        before = len(self._received())
        self.api.user_sends_text(self.id, text, language_code=self.language_code,
                                 **self.sender)
        return await self._expect(before, replies)

    async def commands(self, name: str, args: str = "", replies: int = 1) -> list[Call]:
        before = len(self._received())
        self.api.user_sends_command(self.id, name, args, language_code=self.language_code,
                                    **self.sender)
        return await self._expect(before, replies)

    async def taps(self, message: Call, data: str, replies: int = 1) -> list[Call]:
        before = len(self._received())
        update = self.api.user_presses_button(self.id, message, data,
                                              language_code=self.language_code, **self.sender)
        if replies == 0:
            query = update["callback_query"]["id"]
            return await self.api.wait_for(lambda c: c.method == "answerCallbackQuery"
                                           and c.params.get("callback_query_id") == query,
                                           timeout=30)
        return await self._expect(before, replies)

    async def sends_voice(self) -> list[Call]:
        before = len(self._received())
        self.api.user_sends_voice(self.id, language_code=self.language_code)
        return await self._expect(before, 1)


def buttons(call: Call) -> list[str]:
    markup: Any = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def text_of(call: Call) -> str:
    return str(call.result["text"])


async def choose(person: Person, lang: str) -> list[Call]:
    start = await person.commands("start")
    assert any(d.startswith("lang:") for d in buttons(start[0]))
    welcome = await person.taps(start[0], f"lang:{lang}", replies=2)
    assert any(d.startswith("category:") for d in buttons(welcome[1]))
    return welcome


