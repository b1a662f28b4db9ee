"""Booking a coach: which coaches fit, when they are free, and what they are told."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from enum import StrEnum

from bot.booking.coaches import MODES, CoachBook
from bot.booking.formatting import format_when, mode_label
from bot.booking.slots import Slot, free_slots, is_bookable
from bot.booking.working_time import next_working_moment, working_deadline
from bot.core.content import KnowledgeBase
from bot.core.safe_text import user_text_html
from bot.storage.bookings import Alert, AlertDraft, Booking, BookingRequest, BookingStore
from bot.storage.escalations import Escalations

Clock = Callable[[], dt.datetime]
INTERPRETER_LANGUAGES = ("fi", "en")
"""When no coach speaks a person's language, a coach of these books them with an interpreter."""
CONTACT_REQUESTS_PER_DAY = 3
"""Crisis-contact requests one person may make in 24 hours; one is open until acknowledged."""


class Acknowledgement(StrEnum):
    """What became of a coach's tap on Acknowledge."""

    DONE = "done"
    ALREADY = "already"
    UNKNOWN = "unknown"
    NOT_ALLOWED = "not_allowed"


def system_clock() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


class AppointmentBook:
    """Coaches' free time, bookings and the alerts that go with them."""

    def __init__(self, coaches: CoachBook, store: BookingStore, kb: KnowledgeBase,
                 clock: Clock = system_clock) -> None:
        self.coaches = coaches
        self.store = store
        self.kb = kb
        self.clock = clock
        self.escalations = Escalations(store.database, store.usage)

    def meeting_options(self, lang: str) -> list[tuple[str, bool]]:
        """Return (meeting language, interpreter needed) choices for a person's language."""
        if self.coaches.speakers_of(lang):
            options = [(lang, False)]
            if lang != "fi" and self.coaches.speakers_of("fi"):
                options.append(("fi", False))
            return options
        return [(code, True) for code in INTERPRETER_LANGUAGES if self.coaches.speakers_of(code)]

    def modes_for(self, meeting_lang: str) -> list[str]:
        """Return the meeting modes some coach of `meeting_lang` offers."""
        offered = {m for c in self.coaches.speakers_of(meeting_lang) for m in c.modes}
        return [m for m in MODES if m in offered]

    async def free_slots(self, meeting_lang: str, mode: str, limit: int = 6) -> list[Slot]:
        """Return the earliest free slots with a coach who speaks `meeting_lang` and meets so."""
        now = self.clock()
        coaches = [c for c in self.coaches.speakers_of(meeting_lang) if mode in c.modes]
        horizon = now + dt.timedelta(days=self.coaches.book_ahead_days + 1)
        busy = await self.store.busy(now, horizon)
        return free_slots(self.coaches, coaches, now, busy, limit=limit)

    async def free_slots_of(self, coach_ids: Sequence[str], limit: int = 6) -> list[Slot]:
        """Return the earliest free slots of these coaches, in any mode (e.g. interviews)."""
        now = self.clock()
        coaches = [c for c in self.coaches.coaches if c.id in coach_ids]
        horizon = now + dt.timedelta(days=self.coaches.book_ahead_days + 1)
        return free_slots(self.coaches, coaches, now, await self.store.busy(now, horizon),
                          limit=limit)

    async def still_free(self, slot: Slot) -> bool:
        """Tell whether a slot offered earlier is still a real, free slot."""
        busy = await self.store.busy(slot.starts_at - dt.timedelta(hours=2),
                                     slot.ends_at + dt.timedelta(hours=2))
        return is_bookable(self.coaches, slot, self.clock(), busy)

    async def book(self, request: BookingRequest) -> Booking:
        """Book the slot, queueing the coach's alert and the reminders in the same transaction."""
        history = await self.store.recent_questions(request.user_id)
        return await self.store.book(request, lambda b, event: self.alerts_for(b, event, history))

    async def reschedule(self, booking: Booking, slot: Slot) -> Booking:
        """Move a booking to another slot; it keeps its number and the coach sees both times."""
        history = await self.store.recent_questions(booking.user_id)
        return await self.store.reschedule(
            booking.id, slot, lambda moved, event: self.moved_alerts(booking, moved, history))

    async def cancel(self, booking: Booking, event: str = "cancelled") -> Booking:
        """Cancel a booking and tell its coach."""
        return await self.store.cancel(booking.id, event,
                                       lambda b, e: self.alerts_for(b, e, []))

    def next_human_time(self) -> dt.datetime | None:
        """Return when a coach is next at work: now, if someone is, else a real start time."""
        return next_working_moment(self.coaches, self.clock())

    async def at_cap(self, user_id: int) -> bool:
        """Tell whether the person already holds as many upcoming bookings as allowed."""
        upcoming = await self.store.upcoming_for_user(user_id, self.clock())
        return len(upcoming) >= self.coaches.max_upcoming_per_person

    async def block_time(self, coach_id: str, start: dt.datetime, end: dt.datetime
                         ) -> list[Booking]:
        """Block a coach's time, unless appointments lie in it: then return those instead."""
        earlier = start - dt.timedelta(days=1)
        clashing = [b for b in await self.store.for_coach(coach_id, earlier, end)
                    if b.starts_at < end and b.ends_at > start]
        if not clashing:
            await self.store.block(coach_id, start, end)
        return clashing

    async def request_contact(self, user_id: int, first_name: str, lang: str) -> bool:
        """Alert the coaches on duty and the coordinator that a person asks to be contacted.

        Deduplicated and capped: while a request is unacknowledged, or after
        CONTACT_REQUESTS_PER_DAY of them in a day, nothing new is queued (returns False).
        """
        history = await self.store.recent_questions(user_id)
        drafts = self.contact_alerts(user_id, first_name, lang, history)
        return await self.escalations.request_contact(
            user_id, drafts, self.clock(), dt.timedelta(days=1), CONTACT_REQUESTS_PER_DAY)

    # --- Acknowledgement and escalation -----------------------------------------------------

    async def acknowledge(self, user_id: int, alert_id: str) -> Acknowledgement:
        """Acknowledge an alert's chain, if this staff member may manage it."""
        chain = await self.escalations.chain(alert_id)
        if not chain:
            return Acknowledgement.UNKNOWN
        if not await self._may_acknowledge(user_id, chain):
            return Acknowledgement.NOT_ALLOWED
        done = await self.escalations.acknowledge(chain[0].id, self.clock())
        return Acknowledgement.DONE if done else Acknowledgement.ALREADY

    async def _may_acknowledge(self, user_id: int, chain: Sequence[Alert]) -> bool:
        """A coordinator, the booking's coach, or a coach the alert was sent to may."""
        if user_id in self.coaches.coordinators or any(a.chat_id == user_id for a in chain):
            return True
        booking = await self.store.get(chain[0].booking_id) if chain[0].booking_id else None
        return booking is not None and self.coaches.may_manage(user_id, booking.coach_id)

    async def escalate_due(self) -> int:
        """Escalate every chain whose working-time timeout has passed; return how many.

        The first escalation comes `ack_timeout_minutes` of working time after the alert
        was sent; it is repeated every `escalation_repeat_minutes` of working time, at most
        `escalation_repeats` times.
        """
        now = self.clock()
        book = self.coaches
        count = 0
        for root in await self.escalations.open_chains():
            if root.escalations == 0:
                start, minutes = root.sent_at, book.ack_timeout_minutes
            elif root.escalations <= book.escalation_repeats:
                start, minutes = root.escalated_at, book.escalation_repeat_minutes
            else:
                continue
            if start is None or now < working_deadline(book, start, minutes):
                continue
            count += await self.store.escalate(root, self.escalation(root.text,
                                                                     root.escalations), now)
        return count

    # --- What coaches are told --------------------------------------------------------------

    def alerts_for(self, booking: Booking, event: str,
                   history: Sequence[tuple[str, str, str | None]],
                   previous: Booking | None = None) -> list[AlertDraft]:
        """Write the coach's alert about a booking event (new, moved, cancelled)."""
        coach = self.coaches.coach(booking.coach_id)
        if coach is None:
            return []
        staff = self.kb.packs[self.coaches.coach_language]
        title = staff.text({"new": "alert_new", "moved": "alert_moved"}.get(
            event, "alert_cancelled"))
        lines = [f"<b>{html.escape(title)}</b> #{booking.id}"]
        lines += self._about(booking, staff.lang)
        if previous is not None:
            was = format_when(previous.starts_at, staff.lang, self.coaches.timezone)
            before = self.coaches.coach(previous.coach_id)
            if before is not None and before.id != booking.coach_id:
                was = f"{was} · {before.name}"
            lines.insert(2, html.escape(staff.text("alert_moved_from", when=was)))
        if event in ("new", "moved") and history:
            lines.append(f"<b>{html.escape(staff.text('alert_questions'))}:</b>")
            for question, kind, topic in history[-3:]:
                answer = self.kb.title(topic, staff.lang) if topic and self.kb.has_topic(
                    topic) else kind
                lines.append(f"• {user_text_html(question[:200])} → {html.escape(answer)}")
        return [AlertDraft(event, coach.telegram_id, "\n".join(lines),
                           buttons=event in ("new", "moved"))]

    def moved_alerts(self, old: Booking, moved: Booking,
                     history: Sequence[tuple[str, str, str | None]]) -> list[AlertDraft]:
        """Tell the coach the old and new time; a coach who lost the booking is told too."""
        drafts = self.alerts_for(moved, "moved", history, previous=old)
        before = self.coaches.coach(old.coach_id)
        if before is not None and before.id != moved.coach_id:
            staff = self.kb.packs[self.coaches.coach_language]
            when = format_when(old.starts_at, staff.lang, self.coaches.timezone)
            drafts.append(AlertDraft(
                "cancelled", before.telegram_id, f"<b>{html.escape(staff.text('alert_moved_away'))}"
                f"</b> #{old.id}\n{html.escape(when)}", buttons=False))
        return drafts

    def contact_alerts(self, user_id: int, first_name: str, lang: str,
                       history: Sequence[tuple[str, str, str | None]]) -> list[AlertDraft]:
        """Write the priority alert 'a person asks to be contacted' for coaches on duty."""
        staff = self.kb.packs[self.coaches.coach_language]
        now = self.clock()
        on_duty = [c for c in self.coaches.working_now(now) if lang in c.languages] or list(
            self.coaches.working_now(now))
        lines = [f"<b>{html.escape(staff.text('alert_contact'))}</b>",
                 f"{html.escape(staff.text('alert_client'))}: {_client_link(user_id, first_name)}",
                 f"{html.escape(staff.text('alert_language'))}: {html.escape(lang)}"]
        for question, _, _ in history[-3:]:
            lines.append(f"• {user_text_html(question[:200])}")
        text = "\n".join(lines)
        # The coordinator's copy comes first: it is the root the coaches' copies point to.
        drafts = [AlertDraft("contact", self.coaches.coordinator_chat_id, text)]
        drafts += [AlertDraft("contact", c.telegram_id, text) for c in on_duty]
        return drafts

    def escalation(self, text: str, earlier: int = 0) -> AlertDraft:
        """Write the coordinator's copy of an alert nobody acknowledged (`earlier` copies sent)."""
        staff = self.kb.packs[self.coaches.coach_language]
        title = staff.text("alert_escalated") if earlier == 0 else staff.text(
            "alert_escalated_again", count=str(earlier),
            total=str(self.coaches.escalation_repeats))
        return AlertDraft("escalated", self.coaches.coordinator_chat_id,
                          f"<b>{html.escape(title)}</b>\n{text}", buttons=True)

    def cancellation_notice(self, booking: Booking) -> list[AlertDraft]:
        """Write an anonymous notice for the coach: the person deleted their data."""
        coach = self.coaches.coach(booking.coach_id)
        if coach is None:
            return []
        staff = self.kb.packs[self.coaches.coach_language]
        when = format_when(booking.starts_at, staff.lang, self.coaches.timezone)
        return [AlertDraft("cancelled", coach.telegram_id,
                           f"<b>{html.escape(staff.text('alert_cancelled'))}</b> "
                           f"#{booking.id}\n{html.escape(when)}", buttons=False)]

    def blanked_alert(self, alert: Alert, booking: Booking | None) -> str:
        """Write what a delivered alert still says after the person asked to be forgotten:
        its title, the booking's number and time, and 🗑 where their name, note and
        questions were."""
        staff = self.kb.packs[self.coaches.coach_language]
        key = {"new": "alert_new", "moved": "alert_moved", "cancelled": "alert_cancelled",
               "contact": "alert_contact", "escalated": "alert_escalated"}.get(alert.kind,
                                                                              "alert_cancelled")
        title = f"<b>{html.escape(staff.text(key))}</b>"
        lines = [f"{title} #{booking.id}" if booking else title]
        if booking is not None:
            when = format_when(booking.starts_at, staff.lang, self.coaches.timezone)
            lines.append(f"{html.escape(staff.text('alert_time'))}: {html.escape(when)}")
        lines.append(f"{html.escape(staff.text('alert_client'))}: 🗑")
        return "\n".join(lines)

    def _about(self, booking: Booking, lang: str) -> list[str]:
        staff = self.kb.packs[lang]
        when = format_when(booking.starts_at, lang, self.coaches.timezone)
        flags = [staff.text("flag_interpreter")] if booking.interpreter else []
        if booking.voice:
            flags.append(staff.text("flag_voice"))
        topic = self.kb.title(booking.topic, lang) if booking.topic and \
            self.kb.has_topic(booking.topic) else "–"
        rows = [
            (staff.text("alert_time"), html.escape(when)),
            (staff.text("alert_client"), _client_link(booking.user_id, booking.first_name)),
            (staff.text("alert_language"), html.escape(
                f"{booking.lang} → {booking.meeting_lang}")),
            (staff.text("alert_meeting"), html.escape(mode_label(staff, booking.mode))),
            (staff.text("alert_topic"), html.escape(topic)),
        ]
        if booking.note:
            rows.append((staff.text("alert_note"), user_text_html(booking.note)))
        if flags:
            rows.append((staff.text("alert_flags"), html.escape(", ".join(flags))))
        return [f"{html.escape(label)}: {value}" for label, value in rows]


def _client_link(user_id: int, first_name: str) -> str:
    """A tap-to-open link to the person's chat, with their first name isolated and escaped."""
    return f'<a href="tg://user?id={user_id}">{user_text_html(first_name[:64])}</a>'
