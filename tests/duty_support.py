"""Helpers for duty-chat tests: the staff forum group, coaches writing in topics, restarts."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram.ext import ContextTypes

from bot.core.assistant import Assistant
from bot.telegram_channel.application import ChannelConfig, build_application
from tests.booking_support import COACH_IDS, COORDINATOR, COORDINATOR_CHAT, FakeClock
from tests.live_support import LiveBot
from tests.loopback_api import Call, LoopbackBotApi

STAFF_GROUP = -1009876543210
"""The staff forum group of examples/coaches.yaml."""
STRANGER = 555001
"""A member of the staff group who is not in the coaches file."""
# Monday 2027-03-01 in Helsinki (UTC+2): Amina (so, ar, en, fi) and Reza (fa, en, fi) are
# on duty 13-15; Olga (ru) is not, so Russian speakers chat in plain Finnish.
MONDAY_DUTY = dt.datetime(2027, 3, 1, 11, 30, tzinfo=dt.UTC)
DUTY_COACH = {"fi": "amina", "en": "amina", "so": "amina", "ar": "amina", "fa": "reza",
              "ru": "amina"}


def prepare(api: LoopbackBotApi) -> None:
    """Make the coaches, the coordinator and the staff forum group known to the server."""
    for chat in (*COACH_IDS.values(), COORDINATOR):
        api.add_chat(chat)
    api.add_chat(COORDINATOR_CHAT, "supergroup", title="Coordinators")
    api.add_chat(STAFF_GROUP, "supergroup", title="Duty desk", is_forum=True)


async def start_app(api: LoopbackBotApi, tmp_path: Path, assistant: Assistant, coaches: Path,
                    clock: FakeClock, order_per_topic: bool = True) -> LiveBot:
    """Build and initialise an Application on `api` (call again for a restart)."""
    config = ChannelConfig(
        token=api.token, api_url=api.url, database=tmp_path / "bot.db", coaches=coaches,
        content=assistant.kb.root, topics_spec=None, webhook_url="", webhook_secret="",
        webhook_listen="127.0.0.1", webhook_port=8443, send_retries=0, retention_days=30,
        heartbeat=tmp_path / "heartbeat.json", paced=False,  # a loopback without limits
        order_per_topic=order_per_topic)
    app = build_application(config, assistant, clock=clock)
    errors: list[BaseException] = []

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(collect)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    return LiveBot(api, app, errors)


async def stop_app(bot: LiveBot) -> None:
    """Shut an Application down the way `ohjaamo run` does on exit."""
    assert bot.app.post_shutdown is not None
    await bot.app.post_shutdown(bot.app)
    await bot.app.shutdown()


async def live(tmp_path: Path, assistant: Assistant, coaches: Path, clock: FakeClock
               ) -> AsyncIterator[LiveBot]:
    """A live bot with the duty desk on the loopback API; asserts no handler crashed."""
    async with LoopbackBotApi() as api:
        prepare(api)
        bot = await start_app(api, tmp_path, assistant, coaches, clock)
        yield bot
        await stop_app(bot)
        assert api.errors == []


def topics(api: LoopbackBotApi) -> list[Call]:
    """Return the topics the bot created, in order."""
    return [c for c in api.calls if c.method == "createForumTopic" and not c.failed]


def in_topic(api: LoopbackBotApi, thread: int) -> list[Call]:
    """Return what the bot posted or copied into a topic of the staff group."""
    return [c for c in api.calls if not c.failed and c.method in ("sendMessage", "copyMessage")
            and c.params.get("chat_id") == STAFF_GROUP
            and c.params.get("message_thread_id") == thread]


def copies_to(api: LoopbackBotApi, chat_id: int) -> list[Call]:
    """Return the messages copied into a person's chat."""
    return [c for c in api.calls if c.method == "copyMessage" and not c.failed
            and c.params.get("chat_id") == chat_id]


def coach_writes(bot: LiveBot, coach: int, thread: int, **what: Any) -> None:
    """A coach (or anyone) writes in a topic of the staff group: text=..., or a photo etc."""
    where: Any = {"chat_type": "supergroup", "chat_id": STAFF_GROUP, "message_thread_id": thread}
    if "text" in what:
        bot.api.user_sends_text(coach, what["text"], **where)
    elif what.get("kind") == "photo":
        bot.api.user_sends_photo(coach, caption="form", **where)
    elif what.get("kind") == "voice":
        bot.api.user_sends_voice(coach, **where)
    else:
        bot.api.user_sends_document(coach, "form.pdf", **where)
