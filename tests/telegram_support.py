"""Drive the real PTB Application with updates, recording what it sends (no network)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.booking.appointments import Clock, system_clock
from bot.core.assistant import Assistant
from bot.telegram_channel.application import ChannelConfig, build_application
from bot.telegram_channel.rendering import MAX_CALLBACK_BYTES, MAX_MESSAGE_CHARS
from tests.loopback_api import parse_html
from tests.recording_request import RecordingRequest

_ids = itertools.count(1)


class Bot:
    """A test Application with its recorder and the errors its handlers raised."""

    def __init__(self, app: Application, request: RecordingRequest,  # type: ignore[type-arg]
                 errors: list[BaseException], database: Path) -> None:
        self.app, self.request, self.errors, self.database = app, request, errors, database

    async def send(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Process one update; return the messages the bot sent for it."""
        before = len(self.request.sent())
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.request.sent()[before:]

    def buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        markup = message.get("reply_markup")
        if markup is None:
            return []
        rows = markup.to_dict()["inline_keyboard"] if hasattr(markup, "to_dict") else markup[
            "inline_keyboard"]
        return [(b["text"], b.get("callback_data") or b.get("url", "")) for row in rows
                for b in row]


async def start_bot(tmp_path: Path, assistant: Assistant, coaches: Path | None = None,
                    clock: Clock = system_clock) -> AsyncIterator[Bot]:
    """Build, initialise and finally shut down a test Application."""
    config = ChannelConfig(
        token="123:TEST", api_url="http://127.0.0.1:9", database=tmp_path / "bot.db",
        coaches=coaches or tmp_path / "no-coaches.yaml", content=assistant.kb.root,
        topics_spec=None, webhook_url="", webhook_secret="", webhook_listen="127.0.0.1",
        webhook_port=8443, send_retries=0, retention_days=30,
        heartbeat=tmp_path / "heartbeat.json", paced=False)  # no Telegram behind: no pacing
    request = RecordingRequest()
    app = build_application(config, assistant, request=request, clock=clock)
    async with running(app) as errors:
        yield Bot(app, request, errors, config.database)


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[list[BaseException]]:  # type: ignore[type-arg]
    """Initialise the Application and its services, collecting what its handlers raise."""
    errors: list[BaseException] = []

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(collect)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    try:
        yield errors
    finally:
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()


def user(user_id: int, lang: str = "en") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Amina", "language_code": lang}


def message(user_id: int, lang: str = "en", chat_type: str = "private",
            **content: Any) -> dict[str, Any]:
    chat = {"id": user_id if chat_type == "private" else -100, "type": chat_type}
    return {"update_id": next(_ids), "message": {
        "message_id": next(_ids), "date": 1_700_000_000, "chat": chat,
        "from": user(user_id, lang), **content}}


def text(user_id: int, body: str, lang: str = "en", **extra: Any) -> dict[str, Any]:
    return message(user_id, lang, text=body, **extra)


def command(user_id: int, name: str, lang: str = "en", args: str = "") -> dict[str, Any]:
    body = f"/{name}" + (f" {args}" if args else "")
    return text(user_id, body, lang, entities=[{"type": "bot_command", "offset": 0,
                                                "length": len(name) + 1}])


def tap(user_id: int, data: str, lang: str = "en") -> dict[str, Any]:
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": user(user_id, lang), "chat_instance": "1", "data": data,
        "message": {"message_id": 1, "date": 1_700_000_000,
                    "chat": {"id": user_id, "type": "private"}, "text": "…"}}}


def assert_telegram_accepts(sent: list[dict[str, Any]]) -> None:
    """Check each message as Telegram would: HTML, length, button data."""
    for params in sent:
        plain, _ = parse_html(params["text"])  # raises like Telegram on bad HTML
        assert 0 < len(plain) <= MAX_MESSAGE_CHARS
        markup = params.get("reply_markup")
        if markup is not None:
            rows = markup.to_dict() if hasattr(markup, "to_dict") else markup
            for row in rows["inline_keyboard"]:
                for button in row:
                    data = button.get("callback_data")
                    if data is not None:
                        assert len(data.encode()) <= MAX_CALLBACK_BYTES


