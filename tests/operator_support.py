"""The real Application talking HTTP to the loopback Bot API, with a coaches file: a desk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes

from bot.core.assistant import Assistant
from bot.core.live_content import LiveContent
from bot.core.loading import load_knowledge_base
from bot.telegram_channel.application import ChannelConfig, build_application
from tests.booking_support import COORDINATOR_CHAT, EXAMPLE_COACHES
from tests.loopback_api import Call, LoopbackBotApi
from tests.telegram_support import running


def lexical(root: Path) -> Assistant:
    """Build an assistant from a content folder (what the tests reload with)."""
    return Assistant(load_knowledge_base(root))


class Desk:
    """An Application on the loopback API; people and coordinators send it updates."""

    def __init__(self, api: LoopbackBotApi, app: Application,  # type: ignore[type-arg]
                 errors: list[BaseException]) -> None:
        self.api, self.app, self.errors = api, app, errors

    async def process(self, update: dict[str, Any]) -> list[Call]:
        """Handle one update the loopback API queued; return the calls the bot made for it."""
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.api.calls[before:]

    async def says(self, user_id: int, text: str, lang: str = "en",
                   **sender: Any) -> list[Call]:
        return await self.process(self.api.user_sends_text(user_id, text, language_code=lang,
                                                           **sender))

    async def commands(self, user_id: int, name: str, lang: str = "en") -> list[Call]:
        return await self.process(self.api.user_sends_command(user_id, name,
                                                              language_code=lang))

    async def taps(self, user_id: int, message: Call, data: str, lang: str = "en") -> list[Call]:
        return await self.process(self.api.user_presses_button(user_id, message, data,
                                                               language_code=lang))

    def context(self) -> ContextTypes.DEFAULT_TYPE:
        """Return a context like the one a background job gets."""
        return CallbackContext(self.app)


def config_for(api: LoopbackBotApi, folder: Path, content: Path) -> ChannelConfig:
    return ChannelConfig(
        token=api.token, api_url=api.url, database=folder / "bot.db", coaches=EXAMPLE_COACHES,
        content=content, topics_spec=None, webhook_url="", webhook_secret="",
        webhook_listen="127.0.0.1", webhook_port=8443, send_retries=0, retention_days=30,
        last_good_content=folder / "last-good", reload_seconds=0, unanswered_days=30,
        heartbeat=folder / "heartbeat.json", paced=False)  # a loopback without limits


@asynccontextmanager
async def desk(folder: Path, content: LiveContent | Assistant) -> AsyncIterator[Desk]:
    """Run the bot's Application against a fresh loopback API until the block ends."""
    async with LoopbackBotApi() as api:
        api.add_chat(COORDINATOR_CHAT, "supergroup", title="Coordinators")
        root = content.root if isinstance(content, LiveContent) else content.kb.root
        app = build_application(config_for(api, folder, root), content)
        async with running(app) as errors:
            yield Desk(api, app, errors)
        assert api.errors == []


def sent_to(calls: list[Call], chat_id: int, method: str = "sendMessage") -> list[Call]:
    """Return the successful calls of `method` to one chat."""
    return [c for c in calls if c.method == method and c.params.get("chat_id") == chat_id
            and not c.failed]
