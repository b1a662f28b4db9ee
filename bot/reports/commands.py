"""`ohjaamo report …`: what failed, what people thumbed down, content health, usage figures."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from bot import settings
from bot.core.content import DEFAULT_ZONE, Entry, KnowledgeBase
from bot.core.languages import SUPPORTED
from bot.core.problems import shown_path
from bot.storage import Database
from bot.storage.usage import UsageStore

if TYPE_CHECKING:
    from bot.reports.unanswered import UnansweredGroup

T = TypeVar("T")


def add_report_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]
                        ) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Register `ohjaamo report` and its actions; return them, for other reports to join."""
    report = commands.add_parser("report", help="reports for editors and the coordinator")
    actions = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    date = dt.date.fromisoformat

    unanswered = actions.add_parser(
        "unanswered", help="questions the bot could not answer, grouped by similarity")
    unanswered.add_argument("--lang", choices=SUPPORTED, help="only this language")
    unanswered.add_argument("--since", type=date, metavar="YYYY-MM-DD",
                            help="from this day (default: all that is kept)")
    unanswered.add_argument("--limit", type=int, default=20, help="groups to show (20)")
    unanswered.set_defaults(run=_unanswered)

    feedback = actions.add_parser("feedback", help="answers rated 👎 most, with their counts")
    feedback.add_argument("--lang", choices=SUPPORTED, help="only this language")
    feedback.add_argument("--since", type=date, metavar="YYYY-MM-DD",
                          help="from this day (default: 90 days ago)")
    feedback.add_argument("--until", type=date, metavar="YYYY-MM-DD", help="to this day")
    feedback.add_argument("--limit", type=int, default=20, help="answers to show (20)")
    feedback.set_defaults(run=_feedback)

    content = actions.add_parser("content", help="entries past review, translations behind "
                                 "the Finnish, long answers, fewest questions")
    content.add_argument("--lang", choices=SUPPORTED, help="only this language")
    content.add_argument("--long", type=int, metavar="CHARS", help="list answers longer than "
                         "this (default 900; the limit is 1200)")
    content.set_defaults(run=_content_report)

    stats = actions.add_parser("stats", help="usage figures for a month or any dates, with a "
                               "CSV file and a chart")
    stats.add_argument("--month", metavar="YYYY-MM", help="a calendar month (default: this one)")
    stats.add_argument("--since", type=date, metavar="YYYY-MM-DD", help="or from this day …")
    stats.add_argument("--until", type=date, metavar="YYYY-MM-DD", help="… to this day")
    stats.add_argument("--out", type=Path, metavar="DIR",
                       help="where the CSV and PNG go (default: reports/ beside the database)")
    stats.add_argument("--lang", choices=SUPPORTED, default="en",
                       help="language of the chart's words (default: en)")
    stats.set_defaults(run=_stats)


# --- The four reports -----------------------------------------------------------------------
    return actions


def _unanswered(args: argparse.Namespace) -> int:
    from bot.core.encoding import EmbeddingCache, load_encoder
    from bot.reports.unanswered import group_unanswered, grouping

    kb = _content()
    days = settings.get_int("OHJAAMO_UNANSWERED_DAYS", minimum=1)
    since = args.since or _today(kb) - dt.timedelta(days=days)
    texts = _with_store(kb, lambda usage: usage.unanswered(since, args.lang))
    if texts is None:
        return 2
    groups: list[UnansweredGroup] = []
    grouped_by = ""
    if texts:  # the encoder takes a moment to load: only when there is something to group
        encoder = load_encoder() if kb is not None and settings.semantic_on() else None
        chosen = grouping(kb, encoder, EmbeddingCache(settings.cache_dir(),
                                                      settings.encode_threads()))
        groups = group_unanswered(texts, kb, chosen.vectorise, chosen.similar)
        grouped_by = chosen.name
    where = f"in {args.lang}" if args.lang else "in all languages"
    print(f"Questions the bot could not answer since {since} {where} (texts are kept {days} "
          f"days, scrubbed, without who asked): {len(texts)} in {len(groups)} group(s).")
    if grouped_by:
        print(f"Grouped by {grouped_by}.")
    for number, group in enumerate(groups[:args.limit], start=1):
        langs = ", ".join(f"{code} {n}" for code, n in group.languages.most_common())
        reasons = ", ".join(f"{_REASONS[r]} {n}" for r, n in group.reasons.most_common())
        print(f"\n{number}. {group.count} question(s) · {langs} · {reasons}")
        if group.closest and kb is not None:
            lang = group.languages.most_common(1)[0][0]
            code = lang if kb.has_entry(group.closest, lang) else kb.languages_of(
                group.closest)[0]
            entry = kb.entry(group.closest, code)
            print(f"   closest topic: {group.closest} \"{entry.title}\" "
                  f"({shown_path(entry.path)}:{entry.line}), similarity {group.closeness:.2f}")
        if group.offered:
            offered = ", ".join(f"{topic} ×{n}" for topic, n in group.offered.most_common(3))
            print(f"   the bot offered: {offered}")
        for example in group.examples():
            print(f"   • {example}")
    if groups:
        print("\nNext: write phrasings of your own like these (not copies) under the closest "
              "entry in phrasings.yaml (in each language), or write a new entry; then "
              "`ohjaamo content check`. The running bot picks the change up by itself.")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from bot.reports.feedback import worst_rated

    kb = _content()
    until = args.until or _today(kb)
    since = args.since or until - dt.timedelta(days=90)
    rows = _with_store(kb, lambda usage: usage.feedback(since, until))
    if rows is None:
        return 2
    ratings = worst_rated(rows, args.lang, args.limit)
    print(f"Answers people rated, most 👎 first, {since} – {until}"
          + (f", {args.lang}" if args.lang else "") + ":")
    if not ratings:
        print("  no ratings in this period")
    for rating in ratings:
        title = kb.title(rating.topic, rating.lang) if kb and kb.has_topic(rating.topic) else ""
        months = "  ".join(f"{m}: {up}👍 {down}👎" for m, up, down in rating.by_month)
        print(f"  {rating.not_helped:>4}👎 {rating.helped:>4}👍  {rating.topic} ({rating.lang}) "
              f"{title}\n{'':>14}{months}")
    return 0


def _content() -> KnowledgeBase | None:
    """Load the content for titles and paths; None (with a note) when it has errors."""
    from bot.core.loading import check_content

    kb, _ = check_content(settings.content_root(), settings.topics_spec())
    if kb is None:
        print("(The content has errors, so topics are shown by id only; run "
              "'ohjaamo content check'.)", file=sys.stderr)
    return kb


def _content_report(args: argparse.Namespace) -> int:
    from bot.core.freshness import REVIEW_INTERVAL_MONTHS
    from bot.reports.content_health import LONG_ANSWER_CHARS, content_health

    kb = _content()
    if kb is None:
        return 1
    long_chars = args.long or LONG_ANSWER_CHARS
    health = content_health(kb, _today(kb), long_chars=long_chars)
    for lang in [args.lang] if args.lang else SUPPORTED:
        report = health[lang]
        print(f"== {lang}")
        print(f"  past their review date ({len(report.past_review)}):")
        for entry in report.past_review:
            print(f"    {_place(entry)} reviewed {entry.reviewed}, due {entry.review_by}")
        print(f"  translation reviewed before the Finnish last changed "
              f"({len(report.behind_finnish)}):")
        for entry, finnish in report.behind_finnish:
            print(f"    {_place(entry)} reviewed {entry.reviewed}; Finnish reviewed {finnish}")
        print(f"  answers over {long_chars} characters ({len(report.long_answers)}):")
        for entry in report.long_answers:
            print(f"    {_place(entry)} {len(entry.answer)} characters")
        print("  fewest example questions (questions and phrasings):")
        for entry, examples in report.fewest_examples:
            print(f"    {_place(entry)} {examples} questions and phrasings")
        if report.not_translated:
            print(f"  not yet in this language ({len(report.not_translated)}): "
                  + ", ".join(report.not_translated))
        print()
    print(f"An entry is due for review on its 'review_by' date ({REVIEW_INTERVAL_MONTHS} months "
          "after its 'reviewed' date when it has none). A "
          "translation is behind when its 'reviewed' date is earlier than the Finnish entry's: "
          "check it against the Finnish and set 'reviewed:' to the day you did.")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from bot.reports.charts import labels_for, write_chart
    from bot.reports.figures import (
        Figures,
        Period,
        PeriodError,
        compute_figures,
        duty_figures,
        figures_table,
        write_csv,
    )

    kb = _content()
    try:
        if args.since or args.until:
            today = _today(kb)
            period = Period.between(args.since or today.replace(day=1), args.until or today)
        else:
            period = Period.month(args.month or _today(kb).strftime("%Y-%m"))
    except PeriodError as exc:
        print(f"ohjaamo report stats: {exc}", file=sys.stderr)
        return 2

    async def read(usage: UsageStore) -> Figures:
        return compute_figures(period, await usage.counts(period.start, period.end),
                               await usage.people(period.start, period.end),
                               await duty_figures(usage.database, period, usage.zone))

    figures = _with_store(kb, read)
    if figures is None:
        return 2
    print(figures_table(figures, lambda t: kb.title(t, "en") if kb and kb.has_topic(t) else t))
    out = args.out or Path(settings.get("OHJAAMO_DB")).parent / "reports"
    csv_path, png_path = out / f"stats-{period.label}.csv", out / f"stats-{period.label}.png"
    write_csv(figures, csv_path)
    write_chart(figures, png_path, labels_for(kb.packs[args.lang] if kb else None))
    print(f"\nWrote {shown_path(csv_path)} and {shown_path(png_path)}.")
    return 0


# --- Helpers --------------------------------------------------------------------------------

_REASONS = {"fallback": "“I don't know”", "candidates": "“did you mean”", "unhelpful": "👎"}


def _place(entry: Entry) -> str:
    return f"{shown_path(entry.path)}:{entry.line}: {entry.id}"


def _today(kb: KnowledgeBase | None) -> dt.date:
    return dt.datetime.now(kb.zone if kb else ZoneInfo(DEFAULT_ZONE)).date()


def _with_store(kb: KnowledgeBase | None,
                read: Callable[[UsageStore], Awaitable[T]]) -> T | None:
    """Open the database (which must exist), run `read`, close; None if there is none."""
    path = Path(settings.get("OHJAAMO_DB"))
    if not path.is_file():
        print(f"ohjaamo report: no database at {path} (set OHJAAMO_DB to the bot's database)",
              file=sys.stderr)
        return None

    async def run() -> T:
        database = Database(path)
        await database.open()
        try:
            return await read(UsageStore(database, kb.zone if kb else ZoneInfo(DEFAULT_ZONE)))
        finally:
            await database.close()

    return asyncio.run(run())
