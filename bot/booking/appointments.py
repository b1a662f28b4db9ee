"""Booking a coach: which coaches fit, when they are free, and what they are told."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence

from bot.booking.coaches import MODES, CoachBook
from bot.booking.formatting import format_when, mode_label
from bot.booking.slots import Slot, free_slots, is_bookable
from bot.core.content import KnowledgeBase
from bot.core.safe_text import user_text_html
from bot.storage.bookings import Alert, AlertDraft, Booking, BookingRequest, BookingStore

Clock = Callable[[], dt.datetime]
INTERPRETER_LANGUAGES = ("fi", "en")
"""When no coach speaks a person's language, a coach of these books them with an interpreter."""


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
        """Move a booking to another slot."""
        history = await self.store.recent_questions(booking.user_id)
        return await self.store.reschedule(
            booking.id, slot, lambda b, event: self.alerts_for(b, event, history))

    async def cancel(self, booking: Booking, event: str = "cancelled") -> Booking:
        """Cancel a booking and tell its coach."""
        return await self.store.cancel(booking.id, event,
                                       lambda b, e: self.alerts_for(b, e, []))

    def next_human_time(self) -> dt.datetime | None:
        """Return when a coach is next at work (now, if someone is)."""
        now = self.clock()
        for minutes in range(0, 14 * 24 * 60, 15):
            moment = now + dt.timedelta(minutes=minutes)
            if self.coaches.working_now(moment):
                return moment
        return None

    # --- What coaches are told --------------------------------------------------------------

    def alerts_for(self, booking: Booking, event: str,
                   history: Sequence[tuple[str, str, str | None]]) -> list[AlertDraft]:
        """Write the coach's alert about a booking event (new, moved, cancelled)."""
        coach = self.coaches.coach(booking.coach_id)
        if coach is None:
            return []
        staff = self.kb.packs[self.coaches.coach_language]
        title = staff.text({"new": "alert_new", "moved": "alert_moved"}.get(
            event, "alert_cancelled"))
        lines = [f"<b>{html.escape(title)}</b> #{booking.id}"]
        lines += self._about(booking, staff.lang)
        if event in ("new", "moved") and history:
            lines.append(f"<b>{html.escape(staff.text('alert_questions'))}:</b>")
            for question, kind, topic in history[-3:]:
                answer = self.kb.entry(topic, staff.lang).title if topic and self.kb.has_topic(
                    topic) else kind
                lines.append(f"• {user_text_html(question[:200])} → {html.escape(answer)}")
        return [AlertDraft(event, coach.telegram_id, "\n".join(lines),
                           buttons=event in ("new", "moved"))]

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
        drafts = [AlertDraft("contact", c.telegram_id, text) for c in on_duty]
        drafts.append(AlertDraft("contact", self.coaches.coordinator_chat_id, text))
        return drafts

    def escalation(self, text: str) -> AlertDraft:
        """Write the coordinator's copy of an alert no coach acknowledged."""
        staff = self.kb.packs[self.coaches.coach_language]
        return AlertDraft("escalated", self.coaches.coordinator_chat_id,
                          f"<b>{html.escape(staff.text('alert_escalated'))}</b>\n{text}",
                          buttons=True)

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
        topic = self.kb.entry(booking.topic, lang).title if booking.topic and \
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
