"""Figures with nobody in them: daily counters, distinct-people tokens, unanswered questions.

    usage_counts  (day, event, lang, subject, detail) -> count; days in the service's zone
    visitors      (day, token); token = HMAC-SHA256(this month's salt, Telegram id)[:16]
    month_salts   one random salt per month, deleted as soon as the month is over: after
                  that nobody, not even someone holding the database and the code, can
                  tell whose token is whose; within a month tokens only count distinct people
    unanswered    scrubbed text, language, why, closest topic and day; never who or when

The events counted:

    conversation       lang                   a person writes after a pause (or for the first time)
    message            lang, topic, kind      a typed message and the kind of reply it got
    tap                lang, topic, kind      a topic button pressed (menu, related, candidates)
    contact_request    lang                   "let a coach contact me", with consent
    describes          detail                 the optional ESR question; counted per month only
    booking_made, booking_moved, booking_cancelled, booking_done, booking_no_show
                       lang = meeting language, detail = mode; on the day it happened
                       (held and no-show: the day the coach marked it)
    alert_answered     subject = alert kind, detail = minutes from delivery to acknowledgement
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import aiosqlite

from bot.core.scrubbing import scrub
from bot.storage.database import Database

Clock = Callable[[], dt.datetime]
UNANSWERED_REASONS = ("fallback", "candidates", "unhelpful")
"""'I don't know', 'did you mean', and a 👎 on the answer the message got."""
MAX_KEPT_CHARS = 500
DESCRIPTIONS = ("working", "studying", "jobseeker", "outside", "rather_not")
"""The answers to the optional 'which describes you best' (the ESR start form's groups)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Count:
    """One counter: how often `event` happened on `day`."""

    day: dt.date
    event: str
    lang: str
    subject: str
    detail: str
    count: int


@dataclass(frozen=True)
class UnansweredText:
    """A question the bot could not answer (or whose answer got a 👎), scrubbed."""

    day: dt.date
    lang: str
    reason: str
    topic: str | None
    text: str


@dataclass(frozen=True)
class Feedback:
    """👍 and 👎 for one topic in one language in one month."""

    month: str
    topic: str
    lang: str
    helped: int
    not_helped: int


@dataclass(frozen=True)
class Turn:
    """One message (or tapped topic) and the kind of reply it got, as the figures see it."""

    lang: str
    reply_kind: str
    topic: str | None = None
    event: str = "message"
    """'message' for typed text, 'tap' for a topic button."""
    person: int | None = None
    """The sender's Telegram id: turned into this month's token, never stored."""
    new_conversation: bool = False
    text: str | None = None
    """The message; kept, scrubbed, only when the reply was 'I don't know' or 'did you mean'."""
    names: tuple[str, ...] = ()
    """The sender's own names, removed from the text."""


class UsageStore:
    """Writes and reads the figures; every write is one short transaction."""

    def __init__(self, database: Database, zone: ZoneInfo, clock: Clock = _now) -> None:
        self.database = database
        self.zone = zone
        self.clock = clock

    def today(self) -> dt.date:
        """Return today's date in the service's time zone."""
        return self.clock().astimezone(self.zone).date()

    def day_of(self, moment: dt.datetime) -> dt.date:
        """Return the service's local date of `moment`."""
        return moment.astimezone(self.zone).date()

    async def count(self, event: str, *, lang: str = "", subject: str = "", detail: str = "",
                    day: dt.date | None = None) -> None:
        """Count one `event`."""
        async with self.database.transaction() as db:
            await self.count_in(db, event, lang=lang, subject=subject, detail=detail, day=day)

    async def count_in(self, db: aiosqlite.Connection, event: str, *, lang: str = "",
                       subject: str = "", detail: str = "", day: dt.date | None = None) -> None:
        """Count one `event` inside a transaction the caller holds (e.g. with a booking)."""
        await db.execute(
            "INSERT INTO usage_counts (day, event, lang, subject, detail, count) VALUES "
            "(?, ?, ?, ?, ?, 1) ON CONFLICT (day, event, lang, subject, detail) DO UPDATE SET "
            "count = count + 1",
            ((day or self.today()).isoformat(), event, lang, subject, detail))

    async def record_turn(self, turn: Turn) -> None:
        """Count a message, its reply, a new conversation and the person; keep what failed."""
        day = self.today()
        async with self.database.transaction() as db:
            await self.count_in(db, turn.event, lang=turn.lang, subject=turn.topic or "",
                                detail=turn.reply_kind, day=day)
            if turn.new_conversation:
                await self.count_in(db, "conversation", lang=turn.lang, day=day)
            if turn.person is not None:
                token = await self._token(db, day, turn.person)
                await db.execute("INSERT OR IGNORE INTO visitors (day, token) VALUES (?, ?)",
                                 (day.isoformat(), token))
            if turn.text and turn.reply_kind in UNANSWERED_REASONS:
                await self._keep(db, day, turn.text, turn.lang, turn.reply_kind, turn.topic,
                                 turn.names)

    async def keep_unanswered(self, text: str, lang: str, reason: str, topic: str | None,
                              names: Sequence[str] = ()) -> None:
        """Keep a question whose answer did not help, scrubbed and without who asked."""
        async with self.database.transaction() as db:
            await self._keep(db, self.today(), text, lang, reason, topic, names)

    async def purge(self, days: int) -> int:
        """Delete unanswered texts older than `days` and salts of past months; return how many
        texts went."""
        today = self.today()
        cutoff = (today - dt.timedelta(days=days)).isoformat()
        async with self.database.transaction() as db:
            cursor = await db.execute("DELETE FROM unanswered WHERE day < ?", (cutoff,))
            await db.execute("DELETE FROM month_salts WHERE month < ?",
                             (today.strftime("%Y-%m"),))
        return int(cursor.rowcount or 0)

    # --- Reading ----------------------------------------------------------------------------

    async def counts(self, start: dt.date, end: dt.date) -> list[Count]:
        """Return every counter from `start` to `end`, both included."""
        async with self.database.connection.execute(
                "SELECT day, event, lang, subject, detail, count FROM usage_counts WHERE day "
                "BETWEEN ? AND ? ORDER BY day", (start.isoformat(), end.isoformat())) as cursor:
            rows = await cursor.fetchall()
        return [Count(dt.date.fromisoformat(r[0]), r[1], r[2], r[3], r[4], int(r[5]))
                for r in rows]

    async def people(self, start: dt.date, end: dt.date) -> dict[str, int]:
        """Return {month: distinct people} from `start` to `end`; months cannot be added up."""
        async with self.database.connection.execute(
                "SELECT substr(day, 1, 7), COUNT(DISTINCT token) FROM visitors WHERE day "
                "BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
                (start.isoformat(), end.isoformat())) as cursor:
            rows = await cursor.fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    async def unanswered(self, since: dt.date, lang: str | None = None) -> list[UnansweredText]:
        """Return the kept questions since `since`, oldest first, in one language or all."""
        query = "SELECT day, lang, reason, topic, text FROM unanswered WHERE day >= ?"
        parameters: tuple[str, ...] = (since.isoformat(),)
        if lang:
            query += " AND lang = ?"
            parameters += (lang,)
        async with self.database.connection.execute(query + " ORDER BY id",
                                                    parameters) as cursor:
            rows = await cursor.fetchall()
        return [UnansweredText(dt.date.fromisoformat(r[0]), r[1], r[2], r[3], r[4])
                for r in rows]

    async def feedback(self, since: dt.date, until: dt.date) -> list[Feedback]:
        """Return 👍/👎 per month, topic and language from `since` to `until`."""
        start = dt.datetime.combine(since, dt.time(), self.zone).astimezone(dt.UTC)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), self.zone
                                  ).astimezone(dt.UTC)
        async with self.database.connection.execute(
                "SELECT created_at, topic, lang, helped FROM feedback WHERE created_at >= ? AND "
                "created_at < ?", (_iso(start), _iso(end))) as cursor:
            rows = await cursor.fetchall()
        totals: dict[tuple[str, str, str], list[int]] = {}
        for created, topic, lang, helped in rows:
            moment = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            key = (self.day_of(moment).strftime("%Y-%m"), str(topic), str(lang))
            totals.setdefault(key, [0, 0])[0 if helped else 1] += 1
        return [Feedback(month, topic, lang, up, down)
                for (month, topic, lang), (up, down) in sorted(totals.items())]

    # --- Internals --------------------------------------------------------------------------

    async def _keep(self, db: aiosqlite.Connection, day: dt.date, text: str, lang: str,
                    reason: str, topic: str | None, names: Sequence[str]) -> None:
        kept = scrub(text, names)[:MAX_KEPT_CHARS].strip()
        if kept:
            await db.execute("INSERT INTO unanswered (day, lang, reason, topic, text) VALUES "
                             "(?, ?, ?, ?, ?)", (day.isoformat(), lang, reason, topic, kept))

    async def _token(self, db: aiosqlite.Connection, day: dt.date, person: int) -> bytes:
        """Return this month's token for `person`; forget the salts of months gone by."""
        month = day.strftime("%Y-%m")
        await db.execute("DELETE FROM month_salts WHERE month < ?", (month,))
        async with db.execute("SELECT salt FROM month_salts WHERE month = ?",
                              (month,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            salt = secrets.token_bytes(32)
            await db.execute("INSERT INTO month_salts (month, salt) VALUES (?, ?)",
                             (month, salt))
        else:
            salt = bytes(row[0])
        return hmac.new(salt, str(person).encode(), "sha256").digest()[:16]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
