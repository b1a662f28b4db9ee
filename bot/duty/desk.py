"""The duty desk: who can chat now, the queue, and what the duty coach is told.

Rules that shape it: the bot is honest about when humans are there (a button only when a
coach of the person's language, or of plain Finnish/English, is on duty; otherwise the
next duty is named); a wait estimate is the queue ahead times a typical chat's length,
shared by the coaches on duty; when duty ends, nobody is left waiting silently.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.booking.coaches import Coach
from bot.booking.formatting import format_when
from bot.core.content import KnowledgeBase
from bot.core.safe_text import user_text_html
from bot.duty.rota import DutyRota
from bot.duty.store import DutyChat, DutyStore

Clock = Callable[[], dt.datetime]
MAX_TOPIC_NAME = 128


@dataclass(frozen=True)
class Arrival:
    """What a person is told on starting a chat: who is coming, or their place and wait."""

    chat: DutyChat
    position: int
    wait_minutes: int


class DutyDesk:
    """Live chat with the duty coaches: availability, queue, transfers and endings."""

    def __init__(self, rota: DutyRota, store: DutyStore, kb: KnowledgeBase, clock: Clock,
                 transcript_days: int = 0) -> None:
        self.rota = rota
        self.store = store
        self.kb = kb
        self.clock = clock
        self.transcript_days = transcript_days
        self.chatting: set[int] = set()
        """People with a live conversation (at least; one that ended is dropped lazily)."""

    async def load(self) -> None:
        """Remember who has a live conversation (at start, after a restart too)."""
        self.chatting = {chat.user_id for chat in await self.store.live()}

    @property
    def staff_chat_id(self) -> int:
        """Return the staff group where conversations get their topics."""
        return self.rota.staff_chat_id

    def available(self, lang: str) -> tuple[str, bool] | None:
        """Return (chat language, interpreter needed) if a duty coach can chat now."""
        return self.rota.chat_language(lang, self.clock())

    def next_duty_text(self, lang: str) -> str:
        """Return when live chat next opens, written for the person ('–' if unknown)."""
        following = self.rota.next_duty(lang, self.clock())
        return format_when(following, lang, self.rota.book.timezone) if following else "–"

    def may_relay(self, telegram_id: int) -> bool:
        """Tell whether a staff-group member is a configured coach or coordinator."""
        return self.rota.book.is_staff(telegram_id)

    def coach_of(self, telegram_id: int) -> Coach | None:
        """Return the coach behind a Telegram account."""
        return self.rota.book.coach_of_user(telegram_id)

    async def start(self, user_id: int, chat_id: int, first_name: str, lang: str,
                    voice: bool) -> Arrival | None:
        """Queue a conversation; None when nobody is on duty (AlreadyChatting if live)."""
        choice = self.available(lang)
        if choice is None:
            return None
        chat = await self.store.start(user_id, chat_id, first_name, lang, choice[0], choice[1],
                                      voice, self.clock())
        self.chatting.add(user_id)
        return await self.arrival(chat)

    async def arrival(self, chat: DutyChat) -> Arrival:
        """Return a conversation's place in its queue and an honest wait estimate."""
        position = await self.store.queue_position(chat)
        busy = [c for c in await self.store.live() if c.status == "open"
                and c.chat_lang == chat.chat_lang]
        coaches = max(1, len(self.rota.on_duty(self.clock(), chat.chat_lang)))
        ahead = position - 1 + len(busy)
        wait = math.ceil(ahead * self.rota.minutes_per_chat / coaches) if ahead else 0
        return Arrival(chat, position, wait)

    def transfer_targets(self, chat: DutyChat) -> tuple[list[Coach], list[str]]:
        """Return the other coaches on duty, and languages with a coach on duty now."""
        now = self.clock()
        coaches = [c for c in self.rota.on_duty(now) if c.id != chat.coach_id]
        languages = sorted({lang for c in self.rota.on_duty(now) for lang in c.languages
                            if lang in self.kb.packs and lang != chat.chat_lang})
        return coaches, languages

    async def unserved_at_duty_end(self) -> list[DutyChat]:
        """End every waiting conversation whose language has nobody on duty any more."""
        now = self.clock()
        left = []
        for chat in await self.store.live():
            if chat.status == "waiting" and not self.rota.on_duty(now, chat.chat_lang) \
                    and await self.store.end(chat.id, now, "unserved"):
                left.append(chat)
        return left

    # --- What the duty coach is told (in the coaches file's language) ---------------------

    def topic_name(self, chat: DutyChat, ended: bool = False) -> str:
        """Name a conversation's topic; an ended one carries no name of the person."""
        staff = self.kb.packs[self.rota.book.coach_language]
        language = f"{chat.lang}→{chat.chat_lang}" if chat.chat_lang != chat.lang else chat.lang
        if ended:
            return f"#{chat.id} · {language} · {staff.text('duty_topic_ended')}"[:MAX_TOPIC_NAME]
        name = " ".join(chat.first_name.split())[:40] or "–"
        return f"#{chat.id} · {name} · {language}"[:MAX_TOPIC_NAME]

    def context_card(self, chat: DutyChat, history: Sequence[tuple[str, str, str | None]],
                     position: int) -> str:
        """Write the first message of a topic: language, interpreter, last questions, flags."""
        staff = self.kb.packs[self.rota.book.coach_language]
        lines = [f"<b>{html.escape(staff.text('duty_new_chat'))}</b> #{chat.id}",
                 f"{html.escape(staff.text('alert_client'))}: "
                 f'<a href="tg://user?id={chat.user_id}">{user_text_html(chat.first_name)}</a>',
                 f"{html.escape(staff.text('alert_language'))}: "
                 f"{html.escape(chat.lang)} → {html.escape(chat.chat_lang)}",
                 html.escape(staff.text("duty_queue_place", position=str(position)))]
        flags = self.flags(chat)
        if flags:
            lines.append(f"{html.escape(staff.text('alert_flags'))}: {html.escape(flags)}")
        if history:
            lines.append(f"<b>{html.escape(staff.text('alert_questions'))}:</b>")
            for question, kind, topic in history[-3:]:
                answer = self.kb.entry(topic, staff.lang).title if topic and self.kb.has_topic(
                    topic) else kind
                lines.append(f"• {user_text_html(question[:200])} → {html.escape(answer)}")
        return "\n".join(lines)

    def flags(self, chat: DutyChat) -> str:
        """List a conversation's flags in the coaches' language."""
        staff = self.kb.packs[self.rota.book.coach_language]
        flags = [staff.text("flag_interpreter")] if chat.interpreter else []
        if chat.crisis:
            flags.append(staff.text("duty_flag_crisis"))
        if chat.voice:
            flags.append(staff.text("flag_voice"))
        return ", ".join(flags)

    def left_report(self, chats: Sequence[DutyChat]) -> str:
        """Write the coordinator's note of who was still waiting when duty ended."""
        staff = self.kb.packs[self.rota.book.coach_language]
        zone = self.rota.book.timezone
        lines = [f"<b>{html.escape(staff.text('duty_left_report', count=str(len(chats))))}</b>"]
        for chat in chats:
            since = format_when(chat.started_at, staff.lang, zone)
            lines.append(f"#{chat.id} · {user_text_html(chat.first_name)} · "
                         f"{html.escape(chat.lang)} · {html.escape(since)}")
        return "\n".join(lines)
