"""The coordinator's side: content reloads, this month's figures with the chart, and what the
bot could not answer. Coordinators (the coaches file's `coordinators`) only, every time."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging

from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.core.content import KnowledgeBase, LanguagePack
from bot.core.encoding import EmbeddingCache
from bot.core.languages import BABEL_LOCALES
from bot.core.live_content import ContentChange
from bot.core.safe_text import user_text_html
from bot.reports.charts import chart_png, labels_for
from bot.reports.figures import Figures, Period, compute_figures, csv_text, duty_figures
from bot.reports.unanswered import UnansweredGroup, group_unanswered, grouping
from bot.storage.usage import UnansweredText
from bot.telegram_channel.conversation import Services, language_of, send_text, services
from bot.telegram_channel.rendering import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

PROBLEM_CHARS = 3000
"""Problem lines shown in one message; the rest are counted, and `content check` has all."""
UNANSWERED_GROUPS = 8
EXAMPLE_CHARS = 120
TOP_TOPICS_SHOWN = 5


async def _coordinator_only(update: Update, context: ContextTypes.DEFAULT_TYPE
                            ) -> LanguagePack | None:
    """Return the staff language's texts if the sender is a coordinator; else refuse."""
    appointments = services(context).appointments
    user = update.effective_user
    if appointments is not None and user is not None and \
            user.id in appointments.coaches.coordinators:
        return services(context).assistant.kb.packs[appointments.coaches.coach_language]
    await send_text(update, context, await language_of(update, context), "coordinators_only")
    logger.warning("refused a coordinator command from another account")
    return None


# --- Content ----------------------------------------------------------------------------------


async def reload_content(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check and load the content now; say what is live or exactly what is wrong."""
    pack = await _coordinator_only(update, context)
    chat = update.effective_chat
    if pack is None or chat is None:
        return
    change = await services(context).content.reload()
    await context.bot.send_message(chat.id, change_report(change, pack),
                                   parse_mode=ParseMode.HTML)


async def watch_content(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reload content files that changed, and tell the coordinator chat how it went."""
    change = await services(context).content.poll()
    if change is None:
        return
    logger.log(logging.INFO if change.loaded else logging.ERROR,
               "content change %s (%d error(s), %d warning(s))",
               "loaded" if change.loaded else "refused", len(change.errors), len(change.warnings))
    await _tell_coordinators(context.application, change)


async def announce_start(application: Application) -> None:  # type: ignore[type-arg]
    """Tell the coordinator chat loudly when the bot started on the last good content."""
    change = services_of(application).content.last_change
    if change is not None and change.on_snapshot:
        await _tell_coordinators(application, change)


def change_report(change: ContentChange, pack: LanguagePack) -> str:
    """Write what a content load did, with the problems as `path:line` lines (HTML)."""
    key = "reload_on_snapshot" if change.on_snapshot else \
        "reload_done" if change.loaded else "reload_refused"
    lines = [html.escape(pack.text(key), quote=False)]
    shown = change.errors or change.warnings
    used = 0
    for number, problem in enumerate(shown):
        line = html.escape(str(problem), quote=False)
        if used + len(line) > PROBLEM_CHARS:
            lines.append(f"… +{len(shown) - number} (ohjaamo content check)")
            break
        lines.append(f"• {line}")
        used += len(line)
    return "\n".join(lines)[:MAX_MESSAGE_CHARS]


async def _tell_coordinators(application: Application,  # type: ignore[type-arg]
                             change: ContentChange) -> None:
    found = services_of(application)
    if found.appointments is None:
        return  # no coaches file, no coordinator chat: the log has it
    coaches = found.appointments.coaches
    pack = found.assistant.kb.packs[coaches.coach_language]
    try:
        await application.bot.send_message(coaches.coordinator_chat_id,
                                           change_report(change, pack),
                                           parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        logger.error("could not tell the coordinator chat about the content (%s)",
                     type(exc).__name__)


# --- Figures --------------------------------------------------------------------------------


async def show_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send this month's figures, the chart and the CSV file."""
    pack = await _coordinator_only(update, context)
    chat = update.effective_chat
    if pack is None or chat is None:
        return
    usage = services(context).usage
    period = Period.month(usage.today().strftime("%Y-%m"))
    figures = compute_figures(period, await usage.counts(period.start, period.end),
                              await usage.people(period.start, period.end),
                              await duty_figures(usage.database, period, usage.zone))
    summary = stats_summary(figures, services(context).assistant.kb, pack.lang)
    if services(context).activities is not None:  # what's on: sign-ups and announcements
        summary += "\n" + whats_on_summary(figures, pack)
    await context.bot.send_message(chat.id, html.escape(summary, quote=False),
                                   parse_mode=ParseMode.HTML)
    png = await asyncio.to_thread(chart_png, figures, labels_for(pack))
    await context.bot.send_photo(chat.id, InputFile(png, filename=f"stats-{period.label}.png"))
    await context.bot.send_document(chat.id, InputFile(csv_text(figures).encode(),
                                                       filename=f"stats-{period.label}.csv"))


def stats_summary(figures: Figures, kb: KnowledgeBase, lang: str) -> str:
    """Write the figures as one short message in the staff language `lang`."""
    pack, locale = kb.packs[lang], BABEL_LOCALES[lang]

    def number(value: float) -> str:
        return format_decimal(value, locale=locale)

    def share(kind: str) -> str:
        return format_percent(figures.share(kind), "#,##0.0 %", locale=locale)

    topics = ", ".join(f"{_title(kb, topic, lang)} {number(n)}"
                       for topic, n in figures.topics[:TOP_TOPICS_SHOWN]) or "–"
    response = "–" if figures.median_response is None else format_unit(
        figures.median_response, "duration-minute", length="short", locale=locale)
    languages = ", ".join(f"{code} {number(n)}" for code, n in figures.messages.items()) or "–"
    return pack.text(
        "stats_summary", period=figures.period.label,
        conversations=number(figures.conversations),
        people=number(sum(figures.people.values())), messages=number(figures.total_messages),
        languages=languages, answered=share("answer"), candidates=share("candidates"),
        fallback=share("fallback"), crisis=number(figures.crisis),
        contacts=number(figures.contact_requests), booked=number(figures.booked("made")),
        held=number(figures.booked("done")), cancelled=number(figures.booked("cancelled")),
        no_shows=number(figures.booked("no_show")), response=response, topics=topics)


def whats_on_summary(figures: Figures, pack: LanguagePack) -> str:
    """Write the what's-on figures as one line in the staff language."""
    locale = BABEL_LOCALES[pack.lang]
    counts = {event: format_decimal(n, locale=locale) for event, n in figures.whats_on.items()}
    return pack.text("stats_whats_on", signups=counts["activity_place"],
                     waiting=counts["activity_waiting"], attended=counts["activity_attended"],
                     announcements=counts["announcement_sent"],
                     delivered=counts["announcement_delivered"],
                     opt_outs=counts["announcement_opt_out"])


def _title(kb: KnowledgeBase, topic: str, lang: str) -> str:
    """Return a topic's title (in `lang` if written there), or its id if it no longer exists."""
    return kb.title(topic, lang) if kb.has_topic(topic) else topic


# --- Unanswered questions -------------------------------------------------------------------


async def show_unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the largest groups of questions the bot could not answer, with examples."""
    pack = await _coordinator_only(update, context)
    chat = update.effective_chat
    if pack is None or chat is None:
        return
    found = services(context)
    since = found.usage.today() - dt.timedelta(days=found.unanswered_days)
    texts = await found.usage.unanswered(since)
    groups = await asyncio.to_thread(_group, found, texts)
    lines = [f"<b>{html.escape(pack.text('unanswered_title', days=str(found.unanswered_days)))}"
             "</b>"]
    if not groups:
        lines.append(html.escape(pack.text("unanswered_none"), quote=False))
    for group in groups[:UNANSWERED_GROUPS]:
        topic = _title(found.assistant.kb, group.closest, pack.lang) if group.closest else "–"
        languages = ", ".join(f"{code} {n}" for code, n in group.languages.most_common())
        lines.append("\n" + html.escape(pack.text(
            "unanswered_group", count=str(group.count), languages=languages, topic=topic),
            quote=False))
        lines.extend(f"• {user_text_html(example[:EXAMPLE_CHARS])}"
                     for example in group.examples())
    text = "\n".join(lines)
    while len(text) > MAX_MESSAGE_CHARS and "\n\n" in text:  # drop whole groups, never a tag
        text = text[:text.rfind("\n\n")]
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


def _group(found: Services, texts: list[UnansweredText]) -> list[UnansweredGroup]:
    """Group by meaning with the encoder the assistant already loaded, else by spelling."""
    assistant = found.assistant
    if not texts:
        return []
    encoder = assistant.semantic.encoder if assistant.semantic is not None else None
    chosen = grouping(assistant.kb, encoder, EmbeddingCache(found.cache_dir))
    return group_unanswered(texts, assistant.kb, chosen.vectorise, chosen.similar)


async def purge_unanswered(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete unanswered texts older than their days, and the salts of months gone by."""
    found = services(context)
    deleted = await found.usage.purge(found.unanswered_days)
    if deleted:
        logger.info("deleted %d unanswered text(s) past %d days", deleted, found.unanswered_days)


def services_of(application: Application) -> Services:  # type: ignore[type-arg]
    """Return the services from the application (where there is no context: start-up)."""
    found = application.bot_data["services"]
    assert isinstance(found, Services)
    return found
