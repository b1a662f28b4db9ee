"""The composition root: every service, handler and setting of the Telegram bot, wired here."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import TelegramError
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
from bot.activities.board import ActivityBoard, CatalogueFile
from bot.booking.appointments import AppointmentBook, Clock, system_clock
from bot.booking.coaches import load_coaches
from bot.core.assistant import Assistant
from bot.core.encoding import FILL_THREADS, Encoder, load_encoder
from bot.core.languages import SUPPORTED
from bot.core.live_content import LiveContent
from bot.duty.desk import DutyDesk
from bot.duty.rota import load_rota
from bot.duty.store import DutyStore
from bot.mentoring.office import MentoringOffice
from bot.mentoring.programmes import load_programmes
from bot.storage import Database
from bot.storage.activities import ActivityStore
from bot.storage.bookings import BookingStore
from bot.storage.broadcasts import BroadcastStore
from bot.storage.mentoring import MentoringStore
from bot.storage.usage import UsageStore
from bot.telegram_channel import (
    booking_flow,
    broadcasting,
    coach_desk,
    delivery,
    duty_chat,
    handlers,
    mentoring_desk,
    mentoring_flow,
    operator_desk,
    whats_on,
    whats_on_desk,
)
from bot.telegram_channel.conversation import Services
from bot.telegram_channel.flood_control import FloodControl
from bot.telegram_channel.ordering import PerChatOrder, UpdateLedger
from bot.telegram_channel.outbox import Courier
from bot.telegram_channel.watchdog import POLL_TIMEOUT, Watchdog, WatchedRequest, notify_systemd

logger = logging.getLogger(__name__)

COMMANDS = ("start", "menu", "language", "coach", "mybooking", "privacy", "forget", "help")
MENTORING_COMMANDS = ("mentor",)
"""Shown in the menu (after /mybooking) only when mentoring is configured."""
WHATS_ON_COMMANDS = ("events", "myevents", "subscribe")
"""Shown in the menu (after /mybooking) only when there is an activities file."""
SUPPORT_SECONDS = 3600.0
"""How often due mentoring check-ins and quiet-pair alerts are looked for."""
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
    duty_transcript_days: int = 0
    programmes: Path = Path("programmes.yaml")
    activities: Path = Path("activities.yaml")
    """The activities file (what's on); absent: /events and announcements are off."""
    mentoring_retention_days: int = 180
    last_good_content: Path | None = None
    """Where the last good content is kept (None: no fallback, no copies)."""
    reload_seconds: int = 0
    """How often to look for changed content; 0 reloads only on /reload."""
    unanswered_days: int = 30
    cache_dir: Path | None = field(default_factory=settings.cache_dir)
    """Where the content's sentence vectors and models are kept (OHJAAMO_CACHE)."""
    semantic: bool = field(default_factory=settings.semantic_on)
    """Whether to understand meaning with the encoder (OHJAAMO_SEMANTIC) or words only."""
    encode_threads: int = FILL_THREADS
    """Threads that encode the examples missing from the cache (OHJAAMO_ENCODE_THREADS)."""
    send_timeout: float = 5.0
    order_per_topic: bool = True
    """Keep update order per forum topic in groups (False: per group, the old way, which
    bench/duty_relay.py measures as its baseline)."""
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
            duty_transcript_days=settings.get_int("OHJAAMO_DUTY_TRANSCRIPT_DAYS"),
            programmes=Path(settings.get("OHJAAMO_PROGRAMMES")),
            activities=Path(settings.get("OHJAAMO_ACTIVITIES")),
            mentoring_retention_days=settings.get_int("OHJAAMO_MENTORING_RETENTION_DAYS",
                                                      minimum=1),
            last_good_content=Path(settings.get("OHJAAMO_LAST_GOOD_CONTENT")),
            reload_seconds=settings.get_int("OHJAAMO_RELOAD_SECONDS"),
            unanswered_days=settings.get_int("OHJAAMO_UNANSWERED_DAYS", minimum=1),
            cache_dir=settings.cache_dir(), semantic=settings.semantic_on(),
            encode_threads=settings.encode_threads(),
            send_timeout=settings.get_int("OHJAAMO_SEND_TIMEOUT", minimum=1),
            send_patience=settings.get_int("OHJAAMO_SEND_PATIENCE", minimum=1),
            alert_concurrency=settings.get_int("OHJAAMO_ALERT_CONCURRENCY", minimum=1),
            alert_retry_seconds=settings.get_int("OHJAAMO_ALERT_RETRY_SECONDS", minimum=1),
            watchdog_seconds=settings.get_int("OHJAAMO_WATCHDOG_SECONDS", minimum=1),
            heartbeat=Path(settings.get("OHJAAMO_HEARTBEAT")),
            paced=_on_or_off("OHJAAMO_FLOOD_LIMITS"))

    @cached_property
    def encoder(self) -> Encoder | None:
        """Return the sentence encoder, loaded once for every build (None: words only)."""
        return load_encoder() if self.semantic else None

    def build_assistant(self, root: Path) -> Assistant:
        """Build the assistant from a content folder (at start and on every reload).

        The semantic layer is trained again too; the vectors are cached per text, so a
        reload encodes only the phrasings that are new.
        """
        return Assistant.from_content(root, self.topics_spec, cache_dir=self.cache_dir,
                                      encoder=self.encoder, encode_threads=self.encode_threads)

    def live_content(self) -> LiveContent:
        """Return the content to serve: checked, built, kept as the last good version."""
        return LiveContent(self.content, self.build_assistant,
                           snapshots=self.last_good_content, required_topics=self.topics_spec)


def _on_or_off(name: str) -> bool:
    value = settings.get(name).lower()
    if value not in ("on", "off"):
        raise settings.SettingError(f"{name} must be on or off (got {value!r})")
    return value == "on"


def build_application(config: ChannelConfig, content: LiveContent | Assistant,
                      request: BaseRequest | None = None,
                      clock: Clock = system_clock) -> Application:  # type: ignore[type-arg]
    """Create the Application with every handler and job registered in order.

    `content` is the live content (a bare Assistant is served as it is, and /reload rebuilds
    from `config.content`); `request` replaces the HTTP transport (tests pass one that
    records calls); `clock` replaces the time (tests of reminders and escalation).
    """
    live = content if isinstance(content, LiveContent) else LiveContent.serving(
        content, config.content, config.build_assistant, config.topics_spec)
    database = Database(config.database)
    usage = UsageStore(database, live.assistant.kb.zone, clock)
    store = BookingStore(database, usage)
    coach_book = load_coaches(config.coaches) if config.coaches.is_file() else None
    appointments = AppointmentBook(coach_book, store, live.assistant.kb, clock) if coach_book \
        else None
    if appointments is None:
        logger.warning("no coaches file at %s: booking is off (see examples/coaches.yaml)",
                       config.coaches)
    # Live duty chat: the rota in the coaches file's `duty:` section (none: chat is off).
    profile = live.assistant.kb.profile
    rota = load_rota(config.coaches, coach_book, profile.duty if profile else ()) \
        if coach_book else None
    duty = DutyDesk(rota, DutyStore(database), live.assistant.kb, clock,
                    config.duty_transcript_days) if rota else None
    # Mentoring: the programmes file, checked against the coaches file (interviewers).
    mentoring = None
    if coach_book is not None and config.programmes.is_file():
        programmes = load_programmes(config.programmes,
                                     frozenset(c.id for c in coach_book.coaches))
        mentoring = MentoringOffice(programmes, MentoringStore(database), live.assistant.kb,
                                    coach_book.coach_language, clock,
                                    config.mentoring_retention_days, coach_book.timezone)
    # What's on: the activities file (live), sign-ups, announcements; coordinators and their
    # chat come from the coaches file.
    board = ActivityBoard(
        CatalogueFile(config.activities), ActivityStore(database, usage),
        BroadcastStore(database, usage), live.assistant.kb, clock,
        coach_book.coordinator_chat_id if coach_book else None,
        coach_book.coach_language if coach_book else "fi") \
        if config.activities.is_file() else None
    broadcaster = broadcasting.Broadcaster(board) if board else None
    watchdog = Watchdog(config.watchdog_seconds, config.heartbeat,
                        "webhook" if config.webhook_url else "polling")
    courier = Courier(config.send_timeout, config.send_patience, config.alert_concurrency,
                      config.alert_retry_seconds)

    async def open_services(application: Application) -> None:  # type: ignore[type-arg]
        await database.open()
        if coach_book is not None:
            await store.set_cap(coach_book.max_upcoming_per_person)
        if duty is not None:
            await duty.load()
        application.bot_data["services"] = Services(
            live, database, config.retention_days, store, appointments, usage,
            config.unanswered_days, config.cache_dir, duty=duty, mentoring=mentoring,
            watchdog=watchdog, courier=courier, activities=board, broadcaster=broadcaster)
        await register_commands(application, live.assistant, mentoring is not None,
                                board is not None)
        await operator_desk.announce_start(application)
        notify_systemd("READY=1")

    async def follow_content(assistant: Assistant) -> None:
        """After a reload: the booking desk writes with the new texts; menus in each language."""
        for desk in (appointments, duty, mentoring, board):
            if desk is not None:
                desk.kb = assistant.kb
        try:
            await register_commands(application, assistant, mentoring is not None,
                                    board is not None)
        except TelegramError as exc:  # the old menu stays; the next reload tries again
            logger.warning("could not update the command menu (%s)", type(exc).__name__)

    async def close_services(application: Application) -> None:  # type: ignore[type-arg]
        await duty_chat.finish_crisis_checks(application)
        await courier.close()
        await database.close()

    # Messages to relay in a live duty chat are confirmed to Telegram (the next poll's
    # offset) only once written down: a SIGKILL in between loses none of them.
    ledger = UpdateLedger()
    if duty is not None:
        ledger.watch = duty_chat.relayed(duty)
    builder = ApplicationBuilder()
    if request is not None:
        builder = builder.request(request).get_updates_request(
            WatchedRequest(request, watchdog, ledger))
    else:  # the one transport that polls: its answers tell the watchdog Telegram is reached
        builder = builder.get_updates_request(WatchedRequest(
            HTTPXRequest(connection_pool_size=1), watchdog, ledger))
    application = (
        builder
        .token(config.token)
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        # Every send paced per chat and overall; a 429 pauses its chat for every sender.
        .rate_limiter(FloodControl(config.send_retries, paced=config.paced))
        # One chat's (or forum topic's) updates in order, different ones side by side.
        .concurrent_updates(PerChatOrder(per_topic=config.order_per_topic, ledger=ledger))
        .post_init(open_services)
        .post_shutdown(close_services)
        .build()
    )
    live.listeners.append(follow_content)
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    # Before anything else: every update that arrives is a sign that Telegram reaches us (its
    # own group, so it never takes the place of a handler in the groups after it).
    application.add_handler(TypeHandler(Update, handlers.note_contact), group=-2)
    # Live duty chat (when the coaches file has a `duty:` section). While a person chats with
    # a human, their messages go to the conversation's topic and the bot stays quiet (group
    # -1 runs first and stops the rest; commands still work); coaches answer in the topic.
    if duty is not None:
        application.add_handler(MessageHandler(
            private & filters.UpdateType.MESSAGE & ~filters.COMMAND,
            duty_chat.relay_from_person), group=-1)
        application.add_handler(MessageHandler(
            filters.Chat(duty.staff_chat_id) & filters.UpdateType.MESSAGE
            & ~filters.StatusUpdate.ALL, duty_chat.relay_from_staff))
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
    # Mentoring: /mentor lets anyone join a programme; /mentoring is the coordinators' desk
    # (/mentoring stats for the figures). Their buttons (mt:, md:) go through press_button.
    application.add_handler(CommandHandler("mentor", mentoring_flow.start_signup,
                                           filters=private))
    application.add_handler(CommandHandler("mentoring", mentoring_desk.open_desk,
                                           filters=private))
    # What's on: /events (also a menu button) and /myevents for people, /subscribe to
    # announcements; coordinators' /activities and /announce. Buttons: ev: and ed:.
    application.add_handler(CommandHandler("events", whats_on.show_events, filters=private))
    application.add_handler(CommandHandler("myevents", whats_on.show_my_events,
                                           filters=private))
    application.add_handler(CommandHandler("subscribe", whats_on.ask_topics, filters=private))
    application.add_handler(CommandHandler("activities", whats_on_desk.show_activities,
                                           filters=private))
    application.add_handler(CommandHandler("announce", whats_on_desk.start_announcement,
                                           filters=private))
    # Coordinators: /reload the content now, /stats of this month with the chart, and the
    # /unanswered questions grouped (refused for anyone not a coordinator in the coaches file).
    application.add_handler(CommandHandler("reload", operator_desk.reload_content,
                                           filters=private))
    application.add_handler(CommandHandler("stats", operator_desk.show_stats, filters=private))
    application.add_handler(CommandHandler("unanswered", operator_desk.show_unanswered,
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
    # A command the bot does not know: say so, and point to /help.
    application.add_handler(MessageHandler(private & filters.COMMAND,
                                           handlers.answer_unknown_command))
    # Anything else in a private chat (contacts, polls): ask for text.
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGES,
                                           handlers.answer_anything_else))
    # One error handler: log without personal data, apologise in the person's language.
    application.add_error_handler(handlers.apologise_for_error)
    # Background jobs: the watchdog; alerts from the outbox, escalation in working time,
    # reminders, retention.
    jobs = application.job_queue
    if jobs is not None:
        jobs.run_repeating(delivery.keep_watch, watchdog.interval, first=watchdog.interval)
        # Content edits go live without a restart; unanswered texts go after their days.
        if config.reload_seconds > 0:
            jobs.run_repeating(operator_desk.watch_content, config.reload_seconds,
                               first=config.reload_seconds)
        jobs.run_repeating(operator_desk.purge_unanswered, delivery.PURGE_SECONDS, first=30)
    if jobs is not None and appointments is not None:
        jobs.run_repeating(delivery.deliver_alerts, delivery.DELIVERY_SECONDS, first=1)
        jobs.run_repeating(coach_desk.escalate_unacknowledged, coach_desk.ESCALATION_SECONDS,
                           first=5)
        jobs.run_repeating(delivery.send_reminders, delivery.REMINDER_SECONDS, first=3)
        jobs.run_repeating(delivery.purge_old_data, delivery.PURGE_SECONDS, first=60)
    if jobs is not None and duty is not None:
        # Duty chat: relay what is pending, open or close topics, end duty honestly, purge.
        jobs.run_repeating(duty_chat.relay_pending, duty_chat.RELAY_SECONDS, first=1)
        jobs.run_repeating(duty_chat.tend_topics, duty_chat.TOPIC_SECONDS, first=2)
        jobs.run_repeating(duty_chat.end_of_duty, duty_chat.DUTY_END_SECONDS, first=10)
        jobs.run_repeating(duty_chat.purge_relays, delivery.PURGE_SECONDS, first=120)
    # What's on: announcements and notices (a 429 pauses them), reminders the day before.
    if jobs is not None and board is not None:
        jobs.run_repeating(broadcasting.deliver_announcements, broadcasting.DELIVERY_SECONDS,
                           first=1, job_kwargs={"max_instances": 2})
        jobs.run_repeating(whats_on.send_activity_reminders, delivery.REMINDER_SECONDS, first=4)
        jobs.run_repeating(whats_on.purge_old_signups, delivery.PURGE_SECONDS, first=75)
    # Mentoring jobs: monthly check-ins, quiet-pair alerts and closing feedback; retention.
    if jobs is not None and mentoring is not None:
        jobs.run_repeating(mentoring_flow.send_support, SUPPORT_SECONDS, first=20)
        jobs.run_repeating(mentoring_flow.purge_old_profiles, delivery.PURGE_SECONDS,
                           first=90)
    return application


async def register_commands(application: Application, assistant: Assistant,  # type: ignore[type-arg]
                            mentoring: bool = False, activities: bool = False) -> None:
    """Register the command menu in each language, and in English for everyone else."""
    names = COMMANDS[:5] + (MENTORING_COMMANDS if mentoring else ()) + \
        (WHATS_ON_COMMANDS if activities else ()) + COMMANDS[5:]
    for lang in (*SUPPORTED, None):
        pack = assistant.kb.packs[lang or "en"]
        commands = [BotCommand(name, pack.text(f"command_{name}")[:256]) for name in names]
        await application.bot.set_my_commands(commands, language_code=lang)


def run(config: ChannelConfig, content: LiveContent) -> None:
    """Run the bot until interrupted: long polling, or a webhook when one is configured."""
    application = build_application(config, content)
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
