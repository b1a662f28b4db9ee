"""The composition root: every service, handler and setting of the Telegram bot, wired here."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import settings
from bot.booking.appointments import AppointmentBook, Clock, system_clock
from bot.booking.coaches import load_coaches
from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED
from bot.storage import Database
from bot.storage.bookings import BookingStore
from bot.telegram_channel import booking_flow, coach_desk, delivery, handlers
from bot.telegram_channel.conversation import Services
from bot.telegram_channel.flood_control import FloodControl
from bot.telegram_channel.ordering import PerChatOrder
from bot.telegram_channel.outbox import Courier
from bot.telegram_channel.watchdog import POLL_TIMEOUT, Watchdog, WatchedRequest, notify_systemd

logger = logging.getLogger(__name__)

COMMANDS = ("start", "menu", "language", "coach", "mybooking", "privacy", "forget", "help")
TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set.\n"
    "1. In Telegram, open @BotFather (https://t.me/BotFather), send /newbot and follow the steps.\n"
    "2. Put the token it gives you in a .env file: TELEGRAM_BOT_TOKEN=123456:ABC...\n"
    "   (or export it in your shell). Never commit the token.\n"
    "To try the assistant without Telegram, run: ohjaamo chat --lang en")


@dataclass(frozen=True)
class ChannelConfig:
    """The settings `ohjaamo run` needs, read and checked once."""

    token: str
    api_url: str
    database: Path
    coaches: Path
    content: Path
    topics_spec: Path | None
    webhook_url: str
    webhook_secret: str
    webhook_listen: str
    webhook_port: int
    send_retries: int
    retention_days: int
    send_timeout: float = 5.0
    send_patience: float = 60.0
    alert_concurrency: int = 8
    alert_retry_seconds: float = 2.0
    watchdog_seconds: float = 120.0
    heartbeat: Path = Path("data/heartbeat.json")
    paced: bool = True
    """Keep under Telegram's flood limits (off only for a test server without them)."""

    @property
    def webhook_path(self) -> str:
        """Return the path of the public webhook URL, which the webhook server serves."""
        return urlsplit(self.webhook_url).path.strip("/")

    @classmethod
    def from_environment(cls) -> ChannelConfig:
        """Read every setting; raise SettingError with a clear message for a bad one."""
        token = settings.get("TELEGRAM_BOT_TOKEN")
        if not token:
            raise settings.SettingError(TOKEN_HELP)
        webhook_url = settings.get("OHJAAMO_WEBHOOK_URL")
        secret = settings.get("OHJAAMO_WEBHOOK_SECRET")
        if webhook_url and not secret:
            raise settings.SettingError(
                "OHJAAMO_WEBHOOK_SECRET is required with OHJAAMO_WEBHOOK_URL, so that requests "
                "not from Telegram are refused; set it to a long random string (A-Z, a-z, 0-9,"
                " _ and -)")
        if webhook_url and not webhook_url.startswith("https://"):
            raise settings.SettingError(
                f"OHJAAMO_WEBHOOK_URL must be a public https:// URL (got {webhook_url!r}); "
                "Telegram delivers webhooks only over https")
        if webhook_url and secret in webhook_url:
            raise settings.SettingError(
                "OHJAAMO_WEBHOOK_URL contains OHJAAMO_WEBHOOK_SECRET: proxies and Telegram log "
                "URLs, so choose a path without the secret (it travels in a header instead)")
        api_url = settings.get("TELEGRAM_API_URL").rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise settings.SettingError(
                f"TELEGRAM_API_URL must start with http:// or https:// (got {api_url!r})")
        return cls(
            token=token, api_url=api_url, database=Path(settings.get("OHJAAMO_DB")),
            coaches=Path(settings.get("OHJAAMO_COACHES")),
            content=settings.content_root(), topics_spec=settings.topics_spec(),
            webhook_url=webhook_url, webhook_secret=secret,
            webhook_listen=settings.get("OHJAAMO_WEBHOOK_LISTEN"),
            webhook_port=settings.get_int("OHJAAMO_WEBHOOK_PORT", minimum=1),
            send_retries=settings.get_int("OHJAAMO_SEND_RETRIES"),
            retention_days=settings.get_int("OHJAAMO_RETENTION_DAYS", minimum=1),
            send_timeout=settings.get_int("OHJAAMO_SEND_TIMEOUT", minimum=1),
            send_patience=settings.get_int("OHJAAMO_SEND_PATIENCE", minimum=1),
            alert_concurrency=settings.get_int("OHJAAMO_ALERT_CONCURRENCY", minimum=1),
            alert_retry_seconds=settings.get_int("OHJAAMO_ALERT_RETRY_SECONDS", minimum=1),
            watchdog_seconds=settings.get_int("OHJAAMO_WATCHDOG_SECONDS", minimum=1),
            heartbeat=Path(settings.get("OHJAAMO_HEARTBEAT")),
            paced=_on_or_off("OHJAAMO_FLOOD_LIMITS"))


def _on_or_off(name: str) -> bool:
    value = settings.get(name).lower()
    if value not in ("on", "off"):
        raise settings.SettingError(f"{name} must be on or off (got {value!r})")
    return value == "on"


def build_application(config: ChannelConfig, assistant: Assistant,
                      request: BaseRequest | None = None,
                      clock: Clock = system_clock) -> Application:  # type: ignore[type-arg]
    """Create the Application with every handler and job registered in order.

    `request` replaces the HTTP transport (tests pass one that records calls); `clock`
    replaces the time (tests of reminders and escalation pass one they control).
    """
    database = Database(config.database)
    store = BookingStore(database)
    coach_book = load_coaches(config.coaches) if config.coaches.is_file() else None
    appointments = AppointmentBook(coach_book, store, assistant.kb, clock) if coach_book \
        else None
    if appointments is None:
        logger.warning("no coaches file at %s: booking is off (see examples/coaches.yaml)",
                       config.coaches)
    watchdog = Watchdog(config.watchdog_seconds, config.heartbeat,
                        "webhook" if config.webhook_url else "polling")
    courier = Courier(config.send_timeout, config.send_patience, config.alert_concurrency,
                      config.alert_retry_seconds)

    async def open_services(application: Application) -> None:  # type: ignore[type-arg]
        await database.open()
        if coach_book is not None:
            await store.set_cap(coach_book.max_upcoming_per_person)
        application.bot_data["services"] = Services(
            assistant, database, config.retention_days, store, appointments, watchdog, courier)
        await register_commands(application, assistant)
        notify_systemd("READY=1")

    async def close_services(application: Application) -> None:  # type: ignore[type-arg]
        await courier.close()
        await database.close()

    builder = ApplicationBuilder()
    if request is not None:
        builder = builder.request(request).get_updates_request(WatchedRequest(request, watchdog))
    else:  # the one transport that polls: its answers tell the watchdog Telegram is reached
        builder = builder.get_updates_request(WatchedRequest(
            HTTPXRequest(connection_pool_size=1), watchdog))
    application = (
        builder
        .token(config.token)
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        # Every send paced per chat and overall; a 429 pauses its chat for every sender.
        .rate_limiter(FloodControl(config.send_retries, paced=config.paced))
        # One chat's updates in order, different chats side by side.
        .concurrent_updates(PerChatOrder())
        .post_init(open_services)
        .post_shutdown(close_services)
        .build()
    )
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    # Before anything else: every update that arrives is a sign that Telegram reaches us.
    application.add_handler(TypeHandler(Update, handlers.note_contact), group=-1)
    # In groups the bot only explains itself when addressed, and invites to a private chat.
    application.add_handler(MessageHandler(
        groups & (filters.COMMAND | filters.Entity("mention")), handlers.invite_to_private_chat))
    # /start, with an optional deep-link language: t.me/<bot>?start=so
    application.add_handler(CommandHandler("start", handlers.start, filters=private))
    # /menu: the category menu, for people who would rather tap than type.
    application.add_handler(CommandHandler("menu", handlers.show_menu, filters=private))
    # /language: choose the language again.
    application.add_handler(CommandHandler("language", handlers.choose_language_prompt,
                                           filters=private))
    # /coach: book an appointment with a coach.
    application.add_handler(CommandHandler("coach", booking_flow.start_booking,
                                           filters=private))
    # /mybooking: see, move or cancel appointments.
    application.add_handler(CommandHandler("mybooking", booking_flow.show_my_bookings,
                                           filters=private))
    # /privacy: what is stored and for how long.
    application.add_handler(CommandHandler("privacy", handlers.show_privacy, filters=private))
    # /forget: delete everything about me (after a confirmation).
    application.add_handler(CommandHandler("forget", booking_flow.ask_to_forget,
                                           filters=private))
    # /help: how to use the bot.
    application.add_handler(CommandHandler("help", handlers.show_help, filters=private))
    # Coaches: /today, /week, /block, /cancel (refused for anyone not in the coaches file).
    application.add_handler(CommandHandler("today", coach_desk.show_today, filters=private))
    application.add_handler(CommandHandler("week", coach_desk.show_week, filters=private))
    application.add_handler(CommandHandler("block", coach_desk.block_time, filters=private))
    application.add_handler(CommandHandler("cancel", coach_desk.cancel_appointment,
                                           filters=private))
    # Every button: topics, categories, plain Finnish, feedback, language choice.
    application.add_handler(CallbackQueryHandler(handlers.press_button))
    # A question typed as text, or a question edited afterwards.
    application.add_handler(MessageHandler(
        private & filters.TEXT & ~filters.COMMAND & (filters.UpdateType.MESSAGES),
        handlers.answer_question))
    # Voice and video notes: the bot can't listen, a coach can.
    application.add_handler(MessageHandler(
        private & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE | filters.VIDEO),
        handlers.answer_voice))
    # Photos and documents: the bot can't read them; a coach can help with letters.
    application.add_handler(MessageHandler(private & (filters.PHOTO | filters.Document.ALL),
                                           handlers.answer_picture))
    # Stickers: a smile back and the menu.
    application.add_handler(MessageHandler(private & filters.Sticker.ALL,
                                           handlers.answer_sticker))
    # A shared location: not needed; here is where the guidance point is.
    application.add_handler(MessageHandler(private & (filters.LOCATION | filters.VENUE),
                                           handlers.answer_location))
    # Anything else in a private chat (contacts, polls, unknown commands): ask for text.
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGES,
                                           handlers.answer_anything_else))
    # One error handler: log without personal data, apologise in the person's language.
    application.add_error_handler(handlers.apologise_for_error)
    # Background jobs: the watchdog; alerts from the outbox, escalation, reminders, retention.
    jobs = application.job_queue
    if jobs is not None:
        jobs.run_repeating(delivery.keep_watch, watchdog.interval, first=watchdog.interval)
    if jobs is not None and appointments is not None:
        jobs.run_repeating(delivery.deliver_alerts, delivery.DELIVERY_SECONDS, first=1)
        jobs.run_repeating(delivery.escalate_unacknowledged, delivery.ESCALATION_SECONDS,
                           first=5)
        jobs.run_repeating(delivery.send_reminders, delivery.REMINDER_SECONDS, first=3)
        jobs.run_repeating(delivery.purge_old_data, delivery.PURGE_SECONDS, first=60)
    return application


async def register_commands(application: Application, assistant: Assistant) -> None:  # type: ignore[type-arg]
    """Register the command menu in each language, and in English for everyone else."""
    for lang in (*SUPPORTED, None):
        pack = assistant.kb.packs[lang or "en"]
        commands = [BotCommand(name, pack.text(f"command_{name}")[:256]) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=lang)


def run(config: ChannelConfig, assistant: Assistant) -> None:
    """Run the bot until interrupted: long polling, or a webhook when one is configured."""
    application = build_application(config, assistant)
    # Messages sent while the bot was down are answered after it starts.
    if config.webhook_url:
        # Serve the public URL's own path, so a proxy passes it through unchanged; the secret
        # travels only in Telegram's header, never in a URL that proxies log.
        application.run_webhook(
            listen=config.webhook_listen, port=config.webhook_port,
            url_path=re.escape(config.webhook_path), webhook_url=config.webhook_url,
            secret_token=config.webhook_secret, drop_pending_updates=False,
            allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(drop_pending_updates=False, allowed_updates=Update.ALL_TYPES,
                                timeout=POLL_TIMEOUT)
