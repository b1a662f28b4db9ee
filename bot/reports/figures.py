"""Usage figures a funder can read: a month (or any dates), aggregated, with nobody in them."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.languages import SUPPORTED
from bot.duty.store import DutyStore, LanguageFigures
from bot.storage.database import Database
from bot.storage.usage import DESCRIPTIONS, Count

QUALITY = ("answer", "candidates", "fallback")
"""Answered directly, 'did you mean', 'I don't know': the split a funder asks about."""
QUALITY_NAMES = {"answer": "answered directly", "candidates": "did you mean",
                 "fallback": "I don't know"}
BOOKING_OUTCOMES = ("made", "moved", "cancelled", "done", "no_show")
BOOKING_NAMES = {"made": "made", "moved": "moved", "cancelled": "cancelled",
                 "done": "held", "no_show": "no-shows"}
TOP_TOPICS = 15
WHATS_ON = ("activity_place", "activity_waiting", "activity_reminder", "activity_moved_up",
            "activity_cancelled", "activity_attended", "activity_cancelled_by_coordinator",
            "announcement_sent", "announcement_delivered", "announcement_opt_in",
            "announcement_opt_out")
"""What's on: sign-ups (places, waiting list, reminders), attendance, announcements, opt-outs."""
WHATS_ON_NAMES = {
    "activity_place": "sign-ups with a place", "activity_waiting": "sign-ups to a waiting list",
    "activity_reminder": "reminders asked for", "activity_moved_up": "moved up from the list",
    "activity_cancelled": "sign-ups cancelled", "activity_attended": "came (where recorded)",
    "activity_cancelled_by_coordinator": "activities cancelled",
    "announcement_sent": "announcements sent", "announcement_delivered": "copies delivered",
    "announcement_opt_in": "opt-ins", "announcement_opt_out": "opt-outs"}


class PeriodError(ValueError):
    """A month or date range the reports cannot use; the message says how to write it."""


@dataclass(frozen=True)
class Period:
    """The days a report covers, both ends included."""

    start: dt.date
    end: dt.date
    label: str

    @classmethod
    def month(cls, text: str) -> Period:
        """Return the calendar month written as YYYY-MM."""
        try:
            first = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise PeriodError(f"bad month {text!r}: write it as YYYY-MM, e.g. 2026-11") from None
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return cls(first, last, text)

    @classmethod
    def between(cls, since: dt.date, until: dt.date) -> Period:
        """Return the days from `since` to `until`."""
        if until < since:
            raise PeriodError(f"the period ends ({until}) before it starts ({since})")
        return cls(since, until, f"{since.isoformat()}_{until.isoformat()}")

    def weeks(self) -> list[dt.date]:
        """Return the Monday of every week the period touches."""
        monday = self.start - dt.timedelta(days=self.start.weekday())
        return [monday + dt.timedelta(weeks=n)
                for n in range((self.end - monday).days // 7 + 1)]


@dataclass(frozen=True)
class Figures:
    """Everything `ohjaamo report stats` and /stats show for one period."""

    period: Period
    conversations: int
    people: dict[str, int]
    """Distinct people per month; a person active in two months counts in each."""
    messages: dict[str, int]
    """Typed messages by language."""
    replies: dict[str, int]
    """Typed messages by the kind of reply they got."""
    topics: list[tuple[str, int]]
    """Answers shown by topic (typed or tapped), most first."""
    contact_requests: int
    bookings: dict[str, dict[tuple[str, str], int]]
    """Outcome -> (meeting language, mode) -> count."""
    describes: dict[str, int]
    response_minutes: tuple[int, ...]
    """Minutes from an alert's delivery to a coach's acknowledgement, each, sorted."""
    weekly: dict[dt.date, dict[str, int]]
    """Monday -> language -> typed messages that week (within the period)."""
    duty: dict[str, LanguageFigures] = field(default_factory=dict)
    """The live duty chat by the person's language (empty when it is off or unused)."""
    whats_on: dict[str, int] = field(default_factory=dict)
    """What's on: each WHATS_ON event -> count (sign-ups, attendance, announcements)."""

    @property
    def total_messages(self) -> int:
        """Return how many typed messages there were."""
        return sum(self.messages.values())

    @property
    def crisis(self) -> int:
        """Return how many crisis replies were shown."""
        return self.replies.get("crisis", 0)

    def share(self, kind: str) -> float:
        """Return the share of typed messages that got this kind of reply (0 to 1)."""
        return self.replies.get(kind, 0) / self.total_messages if self.total_messages else 0.0

    def booked(self, outcome: str) -> int:
        """Return how many bookings had this outcome."""
        return sum(self.bookings.get(outcome, {}).values())

    @property
    def median_response(self) -> float | None:
        """Return the median minutes to acknowledge an alert, if any was acknowledged."""
        return statistics.median(self.response_minutes) if self.response_minutes else None

    @property
    def slow_response(self) -> int | None:
        """Return the minutes within which 90 % of alerts were acknowledged."""
        if not self.response_minutes:
            return None
        return self.response_minutes[math.ceil(0.9 * len(self.response_minutes)) - 1]


async def duty_figures(database: Database, period: Period, zone: ZoneInfo
                       ) -> dict[str, LanguageFigures]:
    """Read the live duty chat's figures for conversations started within `period`."""
    start = dt.datetime.combine(period.start, dt.time(), zone)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), zone)
    return await DutyStore(database).figures(start, end)


def compute_figures(period: Period, counts: Sequence[Count], people: dict[str, int],
                    duty: dict[str, LanguageFigures] | None = None) -> Figures:
    """Add up the daily counters of `period` into the figures."""
    messages: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    describes: Counter[str] = Counter()
    bookings: dict[str, Counter[tuple[str, str]]] = {o: Counter() for o in BOOKING_OUTCOMES}
    weekly: dict[dt.date, Counter[str]] = {monday: Counter() for monday in period.weeks()}
    minutes: list[int] = []
    whats_on: Counter[str] = Counter()
    conversations = contacts = 0
    for row in counts:
        if not period.start <= row.day <= period.end:
            continue
        if row.event in ("message", "tap") and row.detail == "answer" and row.subject:
            topics[row.subject] += row.count
        if row.event == "message":
            messages[row.lang] += row.count
            replies[row.detail] += row.count
            weekly[row.day - dt.timedelta(days=row.day.weekday())][row.lang] += row.count
        elif row.event == "conversation":
            conversations += row.count
        elif row.event == "contact_request":
            contacts += row.count
        elif row.event == "describes":
            describes[row.detail] += row.count
        elif row.event.startswith("booking_"):
            bookings.setdefault(row.event.removeprefix("booking_"), Counter())[
                (row.lang, row.detail)] += row.count
        elif row.event == "alert_answered" and row.detail.isdigit():
            minutes.extend([int(row.detail)] * row.count)
        elif row.event in WHATS_ON:
            whats_on[row.event] += row.count
    return Figures(
        period=period, conversations=conversations, people=dict(people),
        messages={lang: messages[lang] for lang in SUPPORTED if messages[lang]}
        | {lang: n for lang, n in messages.items() if lang not in SUPPORTED},
        replies=dict(replies.most_common()), topics=topics.most_common(TOP_TOPICS),
        contact_requests=contacts,
        bookings={outcome: dict(sorted(c.items())) for outcome, c in bookings.items()},
        describes={d: describes[d] for d in DESCRIPTIONS},
        response_minutes=tuple(sorted(minutes)),
        weekly={monday: dict(c) for monday, c in sorted(weekly.items())}, duty=duty or {},
        whats_on={event: whats_on[event] for event in WHATS_ON})


def figures_table(figures: Figures, title_of: Callable[[str], str] = str) -> str:
    """Return the figures as a plain-text table for the terminal (English)."""
    f = figures
    lines = [f"Usage figures {f.period.label} ({f.period.start} – {f.period.end}); no "
             "personal data", ""]

    def row(label: str, value: object, note: str = "") -> None:
        lines.append(f"  {label:<40} {value!s:>7}  {note}".rstrip())

    row("Conversations started", f.conversations)
    for month, count in sorted(f.people.items()):
        row(f"Distinct people ({month})", count)
    row("Messages", f.total_messages)
    for lang, count in f.messages.items():
        row(f"  in {lang}", count)
    lines.append("")
    lines.append("  Replies to typed messages")
    for kind, count in f.replies.items():
        row(f"  {QUALITY_NAMES.get(kind, kind)}", count, f"{f.share(kind):6.1%}")
    row("Crisis replies shown", f.crisis)
    row("Contact requests (after a crisis reply)", f.contact_requests)
    lines.append("")
    lines.append(f"  Answers by topic (top {TOP_TOPICS})")
    for topic, count in f.topics:
        row(f"  {title_of(topic)[:32]}", count, topic)
    lines.append("")
    lines.append("  Bookings by meeting language and mode")
    for outcome in BOOKING_OUTCOMES:
        detail = ", ".join(f"{lang}/{mode} {n}" for (lang, mode), n in
                           f.bookings.get(outcome, {}).items())
        row(f"  {BOOKING_NAMES[outcome]}", f.booked(outcome), detail)
    lines.append("")
    lines.append("  Which describes you best (optional, when booking)")
    for description, count in f.describes.items():
        row(f"  {description}", count)
    lines.append("")
    if f.response_minutes:
        row("Alerts acknowledged by coaches", len(f.response_minutes),
            f"median {f.median_response:g} min, 90 % within {f.slow_response} min")
    else:
        row("Alerts acknowledged by coaches", 0)
    lines.append("")
    lines.append("  Live duty chat by language: started, left waiting when duty ended, served;")
    lines.append("  median minutes to a coach taking it and to the coach's first answer")
    for lang, duty in f.duty.items():
        row(f"  {lang}", duty.started, f"waited in vain {duty.waited_in_vain}, served "
            f"{duty.served}, wait {_minutes(duty.median_wait_seconds)}, first answer "
            f"{_minutes(duty.median_first_response_seconds)}")
    if not f.duty:
        row("  no live chats", 0)
    lines.append("  What's on (activities and announcements)")
    for event, count in f.whats_on.items():
        row(f"  {WHATS_ON_NAMES[event]}", count)
    return "\n".join(lines)


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} min"


def write_csv(figures: Figures, path: Path) -> None:
    """Write the figures as a CSV file (see `csv_text`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(figures), encoding="utf-8", newline="")


def csv_text(figures: Figures) -> str:
    """Return the figures as CSV rows of (section, item, value), easy to pivot in a sheet."""
    f = figures
    rows: list[tuple[str, str, object]] = [
        ("period", "start", f.period.start.isoformat()), ("period", "end", f.period.end),
        ("conversations", "started", f.conversations)]
    rows += [("people", month, n) for month, n in sorted(f.people.items())]
    rows += [("messages", lang, n) for lang, n in f.messages.items()]
    rows += [("replies", kind, n) for kind, n in f.replies.items()]
    rows += [("replies_share", kind, round(f.share(kind), 4)) for kind in f.replies]
    rows += [("crisis", "replies", f.crisis), ("contact", "requests", f.contact_requests)]
    rows += [("topics", topic, n) for topic, n in f.topics]
    rows += [(f"bookings_{outcome}", f"{lang}/{mode}", n) for outcome in BOOKING_OUTCOMES
             for (lang, mode), n in f.bookings.get(outcome, {}).items()]
    rows += [("describes", d, n) for d, n in f.describes.items()]
    rows += [("alerts", "acknowledged", len(f.response_minutes)),
             ("alerts", "median_minutes", f.median_response or ""),
             ("alerts", "p90_minutes", f.slow_response or "")]
    for lang, duty in f.duty.items():
        rows += [("duty_started", lang, duty.started),
                 ("duty_waited_in_vain", lang, duty.waited_in_vain),
                 ("duty_served", lang, duty.served),
                 ("duty_median_wait_seconds", lang, duty.median_wait_seconds or ""),
                 ("duty_median_first_response_seconds", lang,
                  duty.median_first_response_seconds or "")]
    rows += [("whats_on", event, n) for event, n in f.whats_on.items()]
    rows += [("weekly_messages", f"{monday.isoformat()}/{lang}", n)
             for monday, by_lang in f.weekly.items() for lang, n in by_lang.items()]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "item", "value"))
    writer.writerows(rows)
    return buffer.getvalue()
