"""Webhook mode through the real `ohjaamo run` behind a reverse proxy that passes the public
URL's path through unchanged, with Telegram (the loopback server) pushing the updates."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from tests.e2e_support import BotProcess, Person, text_of
from tests.loopback_api import LoopbackBotApi
from tests.reverse_proxy import ReverseProxy

pytestmark = pytest.mark.asyncio(loop_scope="function")
SECRET = "Xq7-webhook-Secret_4fJ2pLmN8rT"
PUBLIC_URL = "https://bot.example.org/ohjaamo/telegram-updates"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_updates_reach_the_bot_on_the_public_path_through_a_proxy(
        tmp_path: Path, assistant: Assistant) -> None:
    port = free_port()
    async with LoopbackBotApi() as api, ReverseProxy(f"http://127.0.0.1:{port}") as proxy:
        bot = BotProcess(api, tmp_path / "bot.db", env={
            "OHJAAMO_WEBHOOK_URL": PUBLIC_URL, "OHJAAMO_WEBHOOK_SECRET": SECRET,
            "OHJAAMO_WEBHOOK_PORT": str(port)})
        await bot.start(wait_for_polling=False)
        try:
            registered = await api.wait_for("setWebhook", timeout=60)
            api.push_webhooks_via(proxy.url)
            person = Person(api)
            entry = assistant.kb.entry("tax-card", "en")
            replies = await person.says(entry.questions[0])
        finally:
            log = await bot.stop()

    assert registered[0].params["url"] == PUBLIC_URL
    assert registered[0].params["secret_token"] == SECRET
    assert entry.title in text_of(replies[0])
    assert any('"POST /ohjaamo/telegram-updates HTTP/1.1" 200' in line
               for line in proxy.access_log), proxy.access_log
    pieces = {SECRET[i:i + 6] for i in range(len(SECRET) - 5)}
    logged = "\n".join(proxy.access_log) + log
    assert not [piece for piece in pieces if piece in logged]  # no part of the secret
