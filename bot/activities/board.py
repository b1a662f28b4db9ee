"""The what's-on board: the activities file as it is now, sign-ups, and what people are told.

Texts to people are written here in their own language (UI strings of the content), so the
Telegram module only renders and sends them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path

from bot.activities.cards import format_span
from bot.activities.catalogue import (
    ActivitiesFileError,
    Catalogue,
    Occurrence,
    load_catalogue,
)
from bot.booking.formatting import format_when
from bot.core.content import KnowledgeBase
from bot.storage.activities import ActivityStore, Notice, OccurrenceSlot, Signup
from bot.storage.broadcasts import Announcement, BroadcastStore, Tally
from bot.storage.outbox import AlertDraft

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class CatalogueFile:
    """The activities file, read again when it changes; a broken edit keeps the last good."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._catalogue: Catalogue = load_catalogue(path)
        self._stamp = self._mtime()
        self.problems: list[str] = []
        """The problems of the last edit that could not be loaded (empty when it loaded)."""

    def current(self) -> Catalogue:
        """Return the catalogue, reloading the file first if it changed."""
        stamp = self._mtime()
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            try:
                self._catalogue = load_catalogue(self.path)
                self.problems = []
                logger.info("activities file reloaded (%d activities)",
                            len(self._catalogue.activities))
            except ActivitiesFileError as exc:
                self.problems = [str(p) for p in exc.problems]
                logger.error("activities file has errors; keeping the last good version:\n%s",
                             "\n".join(self.problems))
        return self._catalogue

    def _mtime(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None


class ActivityBoard:
    """Activities, sign-ups and announcements, with the texts people and coordinators get."""

    def __init__(self, source: CatalogueFile, store: ActivityStore, broadcasts: BroadcastStore,
                 kb: KnowledgeBase, clock: Clock, coordinator_chat: int | None,
                 staff_lang: str) -> None:
        self.source, self.store, self.broadcasts = source, store, broadcasts
        self.kb, self.clock = kb, clock
        self.coordinator_chat, self.staff_lang = coordinator_chat, staff_lang

    @property
    def catalogue(self) -> Catalogue:
        """Return the activities file as it is now."""
        return self.source.current()

    def upcoming(self) -> list[Occurrence]:
        """Return this week's and next week's occurrences."""
        return self.catalogue.this_and_next_week(self.clock())

    def occurrence(self, key: str) -> Occurrence | None:
        """Return an upcoming occurrence by its key, or None (unknown, or already begun)."""
        found = self.catalogue.occurrence(key)
        return found if found is not None and found.starts_at > self.clock() else None

    def when(self, occurrence: Occurrence | Signup, lang: str) -> str:
        """Write when an occurrence (or a sign-up's occurrence) is, in `lang`."""
        if isinstance(occurrence, Signup):
            found = self._occurrence_of(occurrence)
            if found is None:  # gone from the file since: the start is still known
                return format_when(occurrence.starts_at, lang, self.catalogue.timezone)
            occurrence = found
        return format_span(occurrence, lang, self.catalogue.timezone)

    def _occurrence_of(self, signup: Signup) -> Occurrence | None:
        """Return the file's occurrence a sign-up belongs to (None: gone, or moved since)."""
        found = self.catalogue.occurrence(self.catalogue.key_of(signup.activity,
                                                                signup.starts_at))
        return found if found is not None and found.starts_at == signup.starts_at else None

    def title_of(self, activity_id: str, lang: str) -> str:
        """Return an activity's title in `lang`, or its id if it left the file."""
        activity = self.catalogue.activity(activity_id)
        return activity.title(lang) if activity else activity_id

    async def places_left(self, occurrence: Occurrence) -> int | None:
        """Return the free places (None: no limit)."""
        if occurrence.activity.places is None:
            return None
        taken = await self.store.taken(occurrence.activity.id, occurrence.starts_at)
        return max(0, occurrence.activity.places - taken)

    async def sign_up(self, occurrence: Occurrence, user_id: int, chat_id: int,
                      first_name: str, lang: str, wanted: str) -> Signup:
        """Sign a person up (or put them in line, or only remind them); may raise
        ActivityCancelled. The coordinator is told when the last place goes."""
        return await self.store.sign_up(_slot(occurrence), user_id, chat_id, first_name, lang,
                                        wanted, self._full_alert if self.coordinator_chat
                                        else None)

    async def cancel(self, signup_id: int, user_id: int) -> tuple[Signup, Signup | None] | None:
        """Cancel a person's sign-up; the first in line moves up and is told."""
        return await self.store.cancel(signup_id, user_id, self.moved_up_notice)

    async def cancel_occurrence(self, occurrence: Occurrence) -> int:
        """Cancel an occurrence; everyone signed up is told in their own language."""
        return await self.store.cancel_occurrence(_slot(occurrence), self._cancelled_notice)

    # --- What people and coordinators are told ----------------------------------------------

    def moved_up_notice(self, signup: Signup) -> Notice:
        """Tell a person in line that they now have a place (with a cancel button)."""
        pack = self.kb.packs[signup.lang]
        text = pack.text("ev_moved_up", title=self.title_of(signup.activity, signup.lang),
                         when=self.when(signup, signup.lang))
        buttons = json.dumps([[pack.text("ev_button_cancel"), f"ev:c:{signup.id}"]],
                             ensure_ascii=False)
        return Notice(signup.chat_id, signup.user_id, signup.lang, "moved_up", text, buttons)

    def _cancelled_notice(self, signup: Signup) -> Notice:
        pack = self.kb.packs[signup.lang]
        text = pack.text("ev_activity_cancelled",
                         title=self.title_of(signup.activity, signup.lang),
                         when=self.when(signup, signup.lang))
        return Notice(signup.chat_id, signup.user_id, signup.lang, "cancelled", text)

    def reminder_text(self, signup: Signup) -> str:
        """Write the day-before reminder in the person's language."""
        occurrence = self._occurrence_of(signup)
        where = (occurrence.activity.online or occurrence.activity.place) if occurrence else ""
        return self.kb.packs[signup.lang].text(
            "ev_reminder", title=self.title_of(signup.activity, signup.lang),
            when=self.when(signup, signup.lang), where=where)

    def _full_alert(self, slot: OccurrenceSlot) -> list[AlertDraft]:
        assert self.coordinator_chat is not None
        pack = self.kb.packs[self.staff_lang]
        occurrence = self.catalogue.occurrence(
            self.catalogue.key_of(slot.activity, slot.starts_at))
        when = self.when(occurrence, self.staff_lang) if occurrence else slot.starts_at.isoformat()
        return [AlertDraft("activity_full", self.coordinator_chat, pack.text(
            "ev_desk_full", title=self.title_of(slot.activity, self.staff_lang), when=when,
            places=str(slot.places)), buttons=False)]

    def report_for(self, announcement: Announcement, tally: Tally) -> list[AlertDraft]:
        """Write the coordinator's report of a finished announcement."""
        pack = self.kb.packs[self.staff_lang]
        return [AlertDraft("announcement_report", announcement.coordinator_chat, pack.text(
            "ev_desk_report", number=str(announcement.id), delivered=str(tally.delivered),
            blocked=str(tally.blocked), failed=str(tally.failed)), buttons=False)]


def _slot(occurrence: Occurrence) -> OccurrenceSlot:
    return OccurrenceSlot(occurrence.activity.id, occurrence.starts_at, occurrence.ends_at,
                          occurrence.activity.places, occurrence.activity.category)
