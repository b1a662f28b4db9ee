"""The real Application in this process, talking HTTP to the loopback Bot API.

For flows that depend on time (working hours, escalation) the test holds the clock, and it
runs background jobs itself; updates still travel the whole way: the loopback server queues
them, PTB fetches them with getUpdates over HTTP, and every reply is a real HTTP call that
the server validates like Telegram. Faults are injected in the server, never in our code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes

from bot.booking.appointments import Clock
from bot.core.assistant import Assistant
from bot.telegram_channel import duty_chat
from bot.telegram_channel.application import ChannelConfig, build_application
from tests.booking_support import COACH_IDS, COORDINATOR, COORDINATOR_CHAT
from tests.loopback_api import Call, LoopbackBotApi


class LiveBot:
    """A running test Application, the loopback server it talks to, and what went wrong."""

    def __init__(self, api: LoopbackBotApi, app: Application,  # type: ignore[type-arg]
                 errors: list[BaseException]) -> None:
        self.api, self.app, self.errors = api, app, errors
        self._offset = 0

    async def pump(self) -> None:
        """Fetch every queued update over HTTP and process it, in order, through the bot's
        update processor as polling does (so the next poll may confirm it)."""
        while updates := await self.app.bot.get_updates(offset=self._offset, timeout=0):
            for update in updates:
                self._offset = update.update_id + 1
                await self.app.update_processor.process_update(
                    update, self.app.process_update(update))
        # Work a handler started beside its update (the duty chat's crisis check) ends too.
        await duty_chat.finish_crisis_checks(self.app)

    async def run_job(self, name: str) -> list[Call]:
        """Run the background job registered under `name` once; return the messages it sent."""
        assert self.app.job_queue is not None
        [job] = [j for j in self.app.job_queue.jobs() if j.name == name]
        before = len(self.api.calls)
        await job.callback(CallbackContext(self.app))
        if name == "deliver_alerts":  # one alert per chat a round: run rounds until all out
            for _ in range(20):
                sent = len(self.api.calls)
                await job.callback(CallbackContext(self.app))
                if len(self.api.calls) == sent:
                    break
        return [c for c in self.api.calls[before:] if c.method == "sendMessage"
                and not c.failed]

    def received(self, chat_id: int) -> list[Call]:
        """Return the messages the bot sent into a chat."""
        return [c for c in self.api.calls if c.method == "sendMessage" and not c.failed
                and c.params.get("chat_id") == chat_id]

    def answers(self) -> list[Call]:
        """Return the bot's answers to button taps (the toasts)."""
        return [c for c in self.api.calls if c.method == "answerCallbackQuery"]

    async def says(self, user: int, text: str, lang: str = "en") -> list[Call]:
        """A person writes; return what the bot sent them."""
        return await self._after(user, lambda: self.api.user_sends_text(
            user, text, language_code=lang))

    async def commands(self, user: int, name: str, args: str = "",
                       lang: str = "en") -> list[Call]:
        """A person sends `/name args`; return what the bot sent them."""
        return await self._after(user, lambda: self.api.user_sends_command(
            user, name, args, language_code=lang))

    async def taps(self, user: int, message: Call, data: str, lang: str = "en",
                   crafted: bool = False) -> list[Call]:
        """A person taps a button (or sends data no button carries); return the replies."""
        press = self.api.user_sends_crafted_callback if crafted else \
            self.api.user_presses_button
        return await self._after(user, lambda: press(user, message, data, language_code=lang))

    async def _after(self, user: int, act: Callable[[], Any]) -> list[Call]:
        before = len(self.received(user))
        act()
        await self.pump()
        return self.received(user)[before:]


async def start_live_bot(tmp_path: Path, assistant: Assistant, coaches: Path | None,
                         clock: Clock, programmes: Path | None = None,
                         activities: Path | None = None) -> AsyncIterator[LiveBot]:
    """Serve the loopback API, build and initialise the Application, and shut both down."""
    async with LoopbackBotApi() as api:
        for chat in (*COACH_IDS.values(), COORDINATOR):
            api.add_chat(chat)
        api.add_chat(COORDINATOR_CHAT, "supergroup", title="Coordinators")
        config = ChannelConfig(
            token=api.token, api_url=api.url, database=tmp_path / "bot.db",
            coaches=coaches or tmp_path / "no-coaches.yaml", content=assistant.kb.root,
            topics_spec=None, webhook_url="", webhook_secret="", webhook_listen="127.0.0.1",
            webhook_port=8443, send_retries=0, retention_days=30,
            programmes=programmes or tmp_path / "no-programmes.yaml",
            activities=activities or tmp_path / "no-activities.yaml",
            heartbeat=tmp_path / "heartbeat.json", paced=False)  # a loopback without limits
        app = build_application(config, assistant, clock=clock)
        errors: list[BaseException] = []

        async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            if context.error is not None:
                errors.append(context.error)

        app.add_error_handler(collect)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        yield LiveBot(api, app, errors)
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()
        assert api.errors == []


def data_of(call: Call) -> list[str]:
    """Return the callback data of a message's buttons."""
    markup: Any = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def book(bot: LiveBot, user: int, lang: str, mode: str = "visit", slot: int = 0,
               note: str = "Kela letter") -> list[Call]:
    """Walk the booking flow from /coach by taps; return the replies to the last tap.

    The meeting language is the person's own, or plain Finnish when no coach of their own
    language meets in `mode`.
    """
    await bot.commands(user, "start", lang, lang=lang)
    languages = await bot.commands(user, "coach", lang=lang)
    for choice in [d for d in data_of(languages[-1]) if d.startswith("bk:l:")]:
        modes = await bot.taps(user, languages[-1], choice, lang)
        if f"bk:m:{mode}" in data_of(modes[-1]):
            break
    topics = await bot.taps(user, modes[-1], f"bk:m:{mode}", lang)
    await bot.taps(user, topics[-1], data_of(topics[-1])[-1], lang)
    question = await bot.says(user, note, lang)  # the optional "which describes you best"
    times = await bot.taps(user, question[-1], "bk:d:rather_not", lang)
    slots = [d for d in data_of(times[-1]) if d.startswith("bk:s:")]
    confirm = await bot.taps(user, times[-1], slots[slot], lang)
    return await bot.taps(user, confirm[-1], "bk:c:", lang)
