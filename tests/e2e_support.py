"""A real `ohjaamo run` process and simulated people talking to it over the loopback API."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.loopback_api import Call, LoopbackBotApi

_users = itertools.count(5000)


class BotProcess:
    """`python -m bot run` as a child process, pointed at the loopback server."""

    def __init__(self, api: LoopbackBotApi, database: Path, coaches: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.api, self.database = api, database
        self.coaches = coaches or database.parent / "no-coaches.yaml"
        self.env = env or {}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": self.api.token,
               "TELEGRAM_API_URL": self.api.url, "OHJAAMO_DB": str(self.database),
               "OHJAAMO_COACHES": str(self.coaches),
               "OHJAAMO_LAST_GOOD_CONTENT": str(self.database.parent / "last-good-content"),
               "OHJAAMO_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **self.env}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        # Ready when the command menu is registered (post_init ran) and polling began.
        polls = len([c for c in self.api.calls if c.method == "getUpdates"])
        await self.api.wait_for(lambda c: c.method == "getUpdates", count=polls + 1,
                                timeout=60)

    async def stop(self, kill: bool = False) -> str:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        _, stderr = await asyncio.wait_for(self.process.communicate(), 30)
        return stderr.decode(errors="replace")


class Person:
    """A Telegram user chatting with the bot through the loopback server."""

    def __init__(self, api: LoopbackBotApi, language_code: str = "en") -> None:
        self.api, self.id, self.language_code = api, next(_users), language_code

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
        self.api.user_sends_text(self.id, text, language_code=self.language_code)
        return await self._expect(before, replies)

    async def commands(self, name: str, args: str = "", replies: int = 1) -> list[Call]:
        before = len(self._received())
        self.api.user_sends_command(self.id, name, args, language_code=self.language_code)
        return await self._expect(before, replies)

    async def taps(self, message: Call, data: str, replies: int = 1) -> list[Call]:
        before = len(self._received())
        update = self.api.user_presses_button(self.id, message, data,
                                              language_code=self.language_code)
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


