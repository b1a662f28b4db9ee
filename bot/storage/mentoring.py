"""Mentoring participants, pairs, check-ins, and the anonymous figures reports are made of.

Every write is one IMMEDIATE transaction; figures (`mentoring_events`, `mentoring_answers`)
are written in the same transaction as the change they count, and carry no user ids.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.bookings import AlertDraft, insert_alert, iso, parse_iso
from bot.storage.database import Database


@dataclass(frozen=True)
class SignUp:
    """A completed sign-up form, before it is stored."""

    programme: str
    role: str
    user_id: int
    chat_id: int
    first_name: str
    username: str | None
    lang: str
    profile: dict[str, Any]


@dataclass(frozen=True)
class Participant:
    """A stored sign-up: a candidate, an accepted participant, or one side of a pair."""

    id: int
    programme: str
    role: str
    user_id: int
    chat_id: int
    first_name: str
    username: str | None
    lang: str
    profile: dict[str, Any]
    status: str
    note: str | None
    interview_id: int | None

    @classmethod
    def from_row(cls, row: Any) -> Participant:
        """Build a Participant from a database row."""
        return cls(id=row["id"], programme=row["programme"], role=row["role"],
                   user_id=row["user_id"], chat_id=row["chat_id"],
                   first_name=row["first_name"], username=row["username"], lang=row["lang"],
                   profile=json.loads(row["profile"]), status=row["status"], note=row["note"],
                   interview_id=row["interview_id"])


@dataclass(frozen=True)
class Pair:
    """A proposed, active or closed pair."""

    id: int
    programme: str
    seeker_id: int
    partner_id: int
    status: str
    seeker_yes: bool | None
    partner_yes: bool | None
    reasons: str
    end_reason: str | None
    started_at: dt.datetime | None
    last_met_at: dt.datetime | None
    alerted_at: dt.datetime | None
    checkins_sent: int

    @classmethod
    def from_row(cls, row: Any) -> Pair:
        """Build a Pair from a database row."""
        def moment(key: str) -> dt.datetime | None:
            return parse_iso(row[key]) if row[key] else None

        def answer(key: str) -> bool | None:
            return None if row[key] is None else bool(row[key])

        return cls(id=row["id"], programme=row["programme"], seeker_id=row["seeker_id"],
                   partner_id=row["partner_id"], status=row["status"],
                   seeker_yes=answer("seeker_yes"), partner_yes=answer("partner_yes"),
                   reasons=row["reasons"], end_reason=row["end_reason"],
                   started_at=moment("started_at"), last_met_at=moment("last_met_at"),
                   alerted_at=moment("alerted_at"), checkins_sent=row["checkins_sent"])

    def side_of(self, participant_id: int) -> str | None:
        """Return 'seeker' or 'partner' for one of the pair, else None."""
        return {self.seeker_id: "seeker", self.partner_id: "partner"}.get(participant_id)

    def other(self, participant_id: int) -> int:
        """Return the id of the other side."""
        return self.partner_id if participant_id == self.seeker_id else self.seeker_id


OPEN = ("proposed", "active")


class MentoringStore:
    """Reads and writes mentoring rows."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # --- Participants ---------------------------------------------------------------------

    async def sign_up(self, form: SignUp, now: dt.datetime) -> Participant | None:
        """Store a sign-up and count it; None when the person already signed up in this role."""
        async with self.database.transaction() as db:
            try:
                cursor = await db.execute(
                    "INSERT INTO mentoring_participants (programme, role, user_id, chat_id, "
                    "first_name, username, lang, profile, updated_at) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (form.programme, form.role, form.user_id, form.chat_id, form.first_name,
                     form.username, form.lang, json.dumps(form.profile), iso(now)))
            except sqlite3.IntegrityError:
                return None
            await _count(db, form.programme, "signup", now, form.role)
            return await _participant(db, int(cursor.lastrowid or 0))

    async def participant(self, participant_id: int) -> Participant | None:
        """Return one participant."""
        return await _participant(self.database.connection, participant_id)

    async def participants(self, programme: str, statuses: Sequence[str],
                           role: str | None = None) -> list[Participant]:
        """Return a programme's participants in these statuses, earliest sign-up first."""
        marks = ",".join("?" * len(statuses))
        query = (f"SELECT * FROM mentoring_participants WHERE programme = ? AND status IN "
                 f"({marks})" + (" AND role = ?" if role else "") + " ORDER BY id")
        parameters = (programme, *statuses, *((role,) if role else ()))
        async with self.database.connection.execute(query, parameters) as cursor:
            return [Participant.from_row(r) for r in await cursor.fetchall()]

    async def of_user(self, user_id: int) -> list[Participant]:
        """Return every sign-up of one person."""
        async with self.database.connection.execute(
                "SELECT * FROM mentoring_participants WHERE user_id = ? ORDER BY id",
                (user_id,)) as cursor:
            return [Participant.from_row(r) for r in await cursor.fetchall()]

    async def record_outcome(self, participant_id: int, outcome: str, now: dt.datetime
                             ) -> Participant | None:
        """Record the interview outcome (accepted, not_now, not_suitable) and count it."""
        async with self.database.transaction() as db:
            found = await _participant(db, participant_id)
            if found is None or found.status not in ("new", "not_now"):
                return None
            await db.execute("UPDATE mentoring_participants SET status = ?, updated_at = ? "
                             "WHERE id = ?", (outcome, iso(now), participant_id))
            await _count(db, found.programme, "outcome", now, found.role, outcome)
            return await _participant(db, participant_id)

    async def write_note(self, participant_id: int, note: str) -> None:
        """Keep the coordinator's private note about a participant."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE mentoring_participants SET note = ? WHERE id = ?",
                             (note, participant_id))

    async def record_interview(self, participant_id: int, booking_id: int,
                               now: dt.datetime) -> None:
        """Link a participant to their interview booking and count it."""
        async with self.database.transaction() as db:
            found = await _participant(db, participant_id)
            if found is None:
                return
            await db.execute("UPDATE mentoring_participants SET interview_id = ? WHERE id = ?",
                             (booking_id, participant_id))
            await _count(db, found.programme, "interview", now, found.role)

    # --- Pairs ----------------------------------------------------------------------------

    async def propose(self, programme: str, seeker_id: int, partner_id: int, reasons: str,
                      now: dt.datetime) -> Pair | None:
        """Propose a pair; None when either side already has an open pair."""
        async with self.database.transaction() as db:
            try:
                # A new id above every pair the closing answers still name: a purged pair's
                # id is never reused, so its anonymous answers stay its own.
                cursor = await db.execute(
                    "INSERT INTO mentoring_pairs (id, programme, seeker_id, partner_id, "
                    "reasons, created_at) VALUES ((SELECT MAX(n) + 1 FROM (SELECT "
                    "COALESCE(MAX(id), 0) AS n FROM mentoring_pairs UNION ALL SELECT "
                    "COALESCE(MAX(pair_id), 0) FROM mentoring_answers)), ?, ?, ?, ?, ?)",
                    (programme, seeker_id, partner_id, reasons, iso(now)))
            except sqlite3.IntegrityError:
                return None
            await _count(db, programme, "proposed", now)
            return await _pair(db, int(cursor.lastrowid or 0))

    async def pair(self, pair_id: int) -> Pair | None:
        """Return one pair."""
        return await _pair(self.database.connection, pair_id)

    async def pairs(self, programme: str, statuses: Sequence[str]) -> list[Pair]:
        """Return a programme's pairs in these statuses, oldest first."""
        marks = ",".join("?" * len(statuses))
        async with self.database.connection.execute(
                f"SELECT * FROM mentoring_pairs WHERE programme = ? AND status IN ({marks}) "
                "ORDER BY id", (programme, *statuses)) as cursor:
            return [Pair.from_row(r) for r in await cursor.fetchall()]

    async def in_open_pairs(self, programme: str) -> set[int]:
        """Return the participants of a programme who have a proposed or active pair."""
        async with self.database.connection.execute(
                "SELECT seeker_id, partner_id FROM mentoring_pairs WHERE programme = ? AND "
                "status IN ('proposed', 'active')", (programme,)) as cursor:
            return {i for row in await cursor.fetchall() for i in row}

    async def past_partners(self, participant_id: int) -> set[int]:
        """Return everyone this participant was ever proposed or paired with."""
        async with self.database.connection.execute(
                "SELECT seeker_id, partner_id FROM mentoring_pairs WHERE ? IN (seeker_id, "
                "partner_id)", (participant_id,)) as cursor:
            return {i for row in await cursor.fetchall() for i in row} - {participant_id}

    async def answer_proposal(self, pair_id: int, side: str, yes: bool, now: dt.datetime
                              ) -> Pair | None:
        """Record one side's answer; both yes makes the pair active, one no declines it."""
        async with self.database.transaction() as db:
            pair = await _pair(db, pair_id)
            if pair is None or pair.status != "proposed":
                return None
            await db.execute(f"UPDATE mentoring_pairs SET {side}_yes = ? WHERE id = ?",
                             (int(yes), pair_id))
            pair = await _pair(db, pair_id)
            assert pair is not None
            if not yes:
                await self._close(db, pair, "declined", None, now, back_to="accepted")
                await _count(db, pair.programme, "declined", now, detail=side)
            elif pair.seeker_yes and pair.partner_yes:
                await db.execute("UPDATE mentoring_pairs SET status = 'active', started_at = ? "
                                 "WHERE id = ?", (iso(now), pair_id))
                await db.execute("UPDATE mentoring_participants SET status = 'paired' WHERE "
                                 "id IN (?, ?)", (pair.seeker_id, pair.partner_id))
                await _count(db, pair.programme, "pair_formed", now)
            return await _pair(db, pair_id)

    async def end(self, pair_id: int, reason: str, now: dt.datetime, rematch: bool = False
                  ) -> Pair | None:
        """End an open pair early (counted with its reason); a re-match returns both to the
        pool of accepted participants."""
        async with self.database.transaction() as db:
            pair = await _pair(db, pair_id)
            if pair is None or pair.status not in OPEN:
                return None
            await self._close(db, pair, "ended", reason, now,
                              back_to="accepted" if rematch else "finished")
            if pair.status == "active":
                await _count(db, pair.programme, "ended", now, detail=reason)
            return await _pair(db, pair_id)

    async def complete(self, pair_id: int, now: dt.datetime) -> Pair | None:
        """Close an active pair whose months are over, and count it."""
        async with self.database.transaction() as db:
            pair = await _pair(db, pair_id)
            if pair is None or pair.status != "active":
                return None
            await self._close(db, pair, "completed", None, now, back_to="finished")
            await _count(db, pair.programme, "completed", now)
            return await _pair(db, pair_id)

    async def _close(self, db: aiosqlite.Connection, pair: Pair, status: str,
                     reason: str | None, now: dt.datetime, back_to: str) -> None:
        await db.execute("UPDATE mentoring_pairs SET status = ?, end_reason = ?, ended_at = ? "
                         "WHERE id = ?", (status, reason, iso(now), pair.id))
        await db.execute("UPDATE mentoring_participants SET status = ?, updated_at = ? "
                         "WHERE id IN (?, ?)", (back_to, iso(now), pair.seeker_id,
                                                pair.partner_id))

    # --- Check-ins and closing answers ----------------------------------------------------

    async def mark_checkins_sent(self, pair_id: int, rounds: int) -> None:
        """Record how many check-in rounds the pair has been sent."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE mentoring_pairs SET checkins_sent = ? WHERE id = ?",
                             (rounds, pair_id))

    async def mark_alerted(self, pair_id: int, now: dt.datetime) -> None:
        """Record that the coordinator was told the pair has not met."""
        async with self.database.transaction() as db:
            await db.execute("UPDATE mentoring_pairs SET alerted_at = ? WHERE id = ?",
                             (iso(now), pair_id))

    async def record_checkin(self, pair: Pair, participant: Participant, round_: int,
                             now: dt.datetime, met: bool | None = None,
                             hours: int | None = None, mood: str | None = None) -> bool:
        """Record one answer of a check-in; False when that answer was already given."""
        column, value = ("met", int(met)) if met is not None else (
            ("hours", hours) if hours is not None else ("mood", mood))
        async with self.database.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO mentoring_checkins (pair_id, "
                             "participant_id, round) VALUES (?, ?, ?)",
                             (pair.id, participant.id, round_))
            cursor = await db.execute(
                f"UPDATE mentoring_checkins SET {column} = ? WHERE pair_id = ? AND "
                f"participant_id = ? AND round = ? AND {column} IS NULL",
                (value, pair.id, participant.id, round_))
            if not cursor.rowcount:
                return False
            if met:
                await db.execute("UPDATE mentoring_pairs SET last_met_at = ? WHERE id = ?",
                                 (iso(now), pair.id))
            detail = {"met": "met" if met else "not_met", "hours": "hours",
                      "mood": mood}[column]
            await _count(db, pair.programme, "checkin", now, participant.role, detail,
                         hours if hours is not None else 1)
            return True

    async def record_answer(self, pair: Pair, participant: Participant, question: str,
                            answer: str) -> bool:
        """Keep one closing answer without who gave it; False if this side already answered."""
        side = pair.side_of(participant.id)
        async with self.database.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO mentoring_answers (programme, pair_id, side, role, "
                "question, answer) VALUES (?, ?, ?, ?, ?, ?)",
                (pair.programme, pair.id, side, participant.role, question, answer))
            return bool(cursor.rowcount)

    async def queue_alerts(self, drafts: Sequence[AlertDraft]) -> None:
        """Put coordinators' alerts into the outbox."""
        async with self.database.transaction() as db:
            for draft in drafts:
                await insert_alert(db, draft, None, None)

    # --- Figures, privacy -----------------------------------------------------------------

    async def event_counts(self, programme: str) -> dict[tuple[str, str, str], int]:
        """Return {(kind, role, detail): summed amount} of a programme's events."""
        async with self.database.connection.execute(
                "SELECT kind, COALESCE(role, ''), COALESCE(detail, ''), SUM(amount) FROM "
                "mentoring_events WHERE programme = ? GROUP BY 1, 2, 3", (programme,)) as cur:
            return {(r[0], r[1], r[2]): int(r[3]) for r in await cur.fetchall()}

    async def answer_counts(self, programme: str) -> dict[tuple[str, str, str], int]:
        """Return {(role, question, answer): how many} of a programme's closing answers."""
        async with self.database.connection.execute(
                "SELECT role, question, answer, COUNT(*) FROM mentoring_answers WHERE "
                "programme = ? GROUP BY 1, 2, 3", (programme,)) as cursor:
            return {(r[0], r[1], r[2]): int(r[3]) for r in await cursor.fetchall()}

    async def forget(self, user_id: int, now: dt.datetime) -> list[tuple[Pair, Participant]]:
        """Delete a person's sign-ups and check-ins; end their open pairs (counted as 'left').

        Returns each ended pair with the partner who stays, to be told neutrally.
        """
        left: list[tuple[Pair, Participant]] = []
        async with self.database.transaction() as db:
            async with db.execute("SELECT id FROM mentoring_participants WHERE user_id = ?",
                                  (user_id,)) as cursor:
                mine = [int(r[0]) for r in await cursor.fetchall()]
            for participant_id in mine:
                async with db.execute(
                        "SELECT * FROM mentoring_pairs WHERE status IN ('proposed', 'active') "
                        "AND ? IN (seeker_id, partner_id)", (participant_id,)) as cursor:
                    open_pairs = [Pair.from_row(r) for r in await cursor.fetchall()]
                for pair in open_pairs:
                    await self._close(db, pair, "ended", "left", now, back_to="accepted")
                    if pair.status == "active":
                        await _count(db, pair.programme, "ended", now, detail="left")
                    partner = await _participant(db, pair.other(participant_id))
                    if partner is not None:
                        left.append((pair, partner))
                await db.execute("DELETE FROM mentoring_checkins WHERE participant_id = ?",
                                 (participant_id,))
            await db.execute("DELETE FROM mentoring_participants WHERE user_id = ?",
                             (user_id,))
        return left

    async def purge(self, cutoff: dt.datetime, ended_programmes: Sequence[str] = ()) -> int:
        """Delete profiles and notes of people whose part ended before `cutoff`, and pairs
        that closed before it (with their check-ins); of `ended_programmes`, everyone and
        every pair. The anonymous events and closing answers stay: the report's figures do
        not change. Returns the profiles deleted."""
        async with self.database.transaction() as db:
            deleted = 0
            for programme in ended_programmes:
                deleted += await _delete_programme(db, programme)
            cursor = await db.execute(
                "DELETE FROM mentoring_participants WHERE status IN ('finished', "
                "'not_suitable', 'not_now') AND updated_at < ?", (iso(cutoff),))
            await db.execute("DELETE FROM mentoring_pairs WHERE status IN ('declined', "
                             "'ended', 'completed') AND ended_at < ?", (iso(cutoff),))
            await db.execute("DELETE FROM mentoring_checkins WHERE participant_id NOT IN "
                             "(SELECT id FROM mentoring_participants)")
            return deleted + int(cursor.rowcount)


async def _delete_programme(db: aiosqlite.Connection, programme: str) -> int:
    cursor = await db.execute("DELETE FROM mentoring_participants WHERE programme = ?",
                              (programme,))
    await db.execute("DELETE FROM mentoring_pairs WHERE programme = ?", (programme,))
    return int(cursor.rowcount)


async def _count(db: aiosqlite.Connection, programme: str, kind: str, now: dt.datetime,
                 role: str | None = None, detail: str | None = None, amount: int = 1) -> None:
    await db.execute("INSERT INTO mentoring_events (programme, kind, role, detail, amount, "
                     "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                     (programme, kind, role, detail, amount, iso(now)))


async def _participant(db: aiosqlite.Connection, participant_id: int) -> Participant | None:
    async with db.execute("SELECT * FROM mentoring_participants WHERE id = ?",
                          (participant_id,)) as cursor:
        row = await cursor.fetchone()
    return Participant.from_row(row) if row else None


async def _pair(db: aiosqlite.Connection, pair_id: int) -> Pair | None:
    async with db.execute("SELECT * FROM mentoring_pairs WHERE id = ?", (pair_id,)) as cursor:
        row = await cursor.fetchone()
    return Pair.from_row(row) if row else None
