"""The programme office: what happens after each step, and what each person is told.

The Telegram channel calls these methods and sends the `Notice`s they return; texts come
from the UI strings of each person's own language (a coordinator's: the coaches' language).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from babel import Locale

from bot.core.content import KnowledgeBase, LanguagePack
from bot.core.languages import BABEL_LOCALES
from bot.mentoring.matching import Reason, Suggestion, suggest
from bot.mentoring.programmes import Programme, ProgrammeBook
from bot.mentoring.vocabulary import ANSWERS, CHOICES, HOURS, MOODS
from bot.storage.bookings import AlertDraft
from bot.storage.mentoring import MentoringStore, Pair, Participant

Clock = Callable[[], dt.datetime]
HELSINKI = ZoneInfo("Europe/Helsinki")
_FIRST_PHRASE = re.compile(r"[?؟.:]")
DAYS_PER_MONTH = 30
"""A programme's months are counted as 30-day periods from the day the pair starts."""


@dataclass(frozen=True)
class Notice:
    """A message for one person: plain text (escaped when sent) and buttons (label, data)."""

    chat_id: int
    text: str
    buttons: tuple[tuple[str, str], ...] = field(default=())


class MentoringOffice:
    """Sign-ups, matches, pairs and their months of support, for every programme."""

    def __init__(self, programmes: ProgrammeBook, store: MentoringStore, kb: KnowledgeBase,
                 staff_lang: str, clock: Clock, retention_days: int = 180,
                 timezone: ZoneInfo = HELSINKI) -> None:
        self.programmes = programmes
        self.timezone = timezone
        self.retention_days = retention_days
        self.store = store
        self.kb = kb
        self.staff_lang = staff_lang
        self.clock = clock

    # --- Words ----------------------------------------------------------------------------

    def label(self, lang: str, question: str, value: str) -> str:
        """Return a profile answer as a person of `lang` reads it."""
        if question == "languages":
            names = Locale.parse(BABEL_LOCALES[lang]).languages
            return str(names.get(value, value))
        if question in CHOICES:
            return self.kb.packs[lang].text(f"mt_{question}_{value}")
        return value

    def reasons_text(self, reasons: Sequence[Reason], lang: str) -> str:
        """Write why two people were suggested: "same field: nursing; both in Kemi"."""
        pack = self.kb.packs[lang]
        return "; ".join(pack.text(f"mt_reason_{r.criterion}", values=", ".join(
            self.label(lang, r.criterion, v) for v in r.values)) for r in reasons) or "–"

    def profile_text(self, participant: Participant, lang: str) -> str:
        """Write a profile for a coordinator, one answer a line (HTML-escaped)."""
        pack = self.kb.packs[lang]
        lines = []
        for question, answer in participant.profile.items():
            values = answer if isinstance(answer, list) else [answer]
            shown = ", ".join(self.label(lang, question, str(v)) for v in values)
            # The question's first words name it: "Your profession or field? (...)".
            label = _FIRST_PHRASE.split(pack.text(f"mt_ask_{question}"), maxsplit=1)[0]
            lines.append(f"{label}: {shown}")
        return html.escape("\n".join(lines), quote=False)

    def notice(self, person: Participant, text: str) -> Notice:
        """Address a text to a participant."""
        return Notice(person.chat_id, text)

    def staff_pack(self) -> LanguagePack:
        """Return the coordinators' language pack."""
        return self.kb.packs[self.staff_lang]

    # --- Matching -------------------------------------------------------------------------

    async def suggestions(self, programme: Programme, seeker: Participant, limit: int = 3
                          ) -> list[tuple[Participant, Suggestion]]:
        """Rank the accepted people of the sought role for an accepted seeker: not those in
        an open pair, nor anyone the seeker was proposed or paired with before."""
        role = programme.role(seeker.role)
        if role is None:
            return []
        busy = await self.store.in_open_pairs(programme.id)
        before = await self.store.past_partners(seeker.id)
        pool = [p for p in await self.store.participants(programme.id, ["accepted"],
                                                          role.seeks)
                if p.id != seeker.id and p.user_id != seeker.user_id
                and p.id not in busy and p.id not in before]
        by_id = {p.id: p for p in pool}
        ranked = suggest(programme, (seeker.id, seeker.profile),
                         [(p.id, p.profile) for p in pool], limit)
        return [(by_id[s.candidate_id], s) for s in ranked]

    async def propose(self, programme: Programme, seeker: Participant, partner: Participant
                      ) -> list[Notice] | None:
        """Propose a pair; both are asked in their own language. None if it cannot be."""
        if seeker.status != "accepted" or partner.status != "accepted":
            return None
        found = suggest(programme, (seeker.id, seeker.profile), [(partner.id, partner.profile)])
        reasons = found[0].reasons if found else ()
        criteria = ";".join(f"{r.criterion}={','.join(r.values)}" for r in reasons)
        pair = await self.store.propose(programme.id, seeker.id, partner.id, criteria,
                                        self.clock())
        if pair is None:
            return None
        return [self._proposal(programme, pair, me, other, reasons)
                for me, other in ((seeker, partner), (partner, seeker))]

    def _proposal(self, programme: Programme, pair: Pair, me: Participant, other: Participant,
                  reasons: Sequence[Reason]) -> Notice:
        pack = self.kb.packs[me.lang]
        low, high = programme.hours_per_month
        text = pack.text("mt_proposal", name=other.first_name, reasons=self.reasons_text(
            reasons, me.lang), months=str(programme.months), hours=f"{low}–{high}")
        return Notice(me.chat_id, text, (
            (pack.text("mt_button_accept_pair"), f"mt:a:{pair.id}:1"),
            (pack.text("mt_button_decline_pair"), f"mt:a:{pair.id}:0")))

    async def answer_proposal(self, pair_id: int, user_id: int, yes: bool) -> list[Notice]:
        """Record a person's yes or no; introduce both when both said yes."""
        pair = await self.store.pair(pair_id)
        me = await self._member(pair, user_id)
        if pair is None or me is None or pair.status != "proposed":
            return []
        side = pair.side_of(me.id)
        assert side is not None
        after = await self.store.answer_proposal(pair.id, side, yes, self.clock())
        other = await self.store.participant(pair.other(me.id))
        programme = self.programmes.programme(pair.programme)
        if after is None or other is None or programme is None:
            return []
        mine = self.kb.packs[me.lang]
        if after.status == "declined":
            await self.alert_coordinators(programme, "mt_alert_declined", name=me.first_name)
            notices = [Notice(me.chat_id, mine.text("mt_declined_ok"))]
            if (pair.seeker_yes if side == "partner" else pair.partner_yes):
                notices.append(Notice(other.chat_id,
                                      self.kb.packs[other.lang].text("mt_partner_declined")))
            return notices
        if after.status == "active":
            await self.alert_coordinators(programme, "mt_alert_pair_formed",
                                        name=f"{me.first_name} + {other.first_name}")
            return [self._introduction(programme, a, b) for a, b in ((me, other), (other, me))]
        return [Notice(me.chat_id, mine.text("mt_waiting_other"))]

    def _introduction(self, programme: Programme, me: Participant, other: Participant
                      ) -> Notice:
        contact = f"https://t.me/{other.username}" if other.username else \
            f"tg://user?id={other.user_id}"
        text = self.kb.packs[me.lang].text("mt_introduction", name=other.first_name,
                                           contact=contact,
                                           first_meeting=programme.first_meeting[me.lang])
        return Notice(me.chat_id, text)

    async def _member(self, pair: Pair | None, user_id: int) -> Participant | None:
        if pair is None:
            return None
        for participant_id in (pair.seeker_id, pair.partner_id):
            found = await self.store.participant(participant_id)
            if found is not None and found.user_id == user_id:
                return found
        return None

    # --- Coordinators' alerts (through the booking outbox) --------------------------------

    async def alert_coordinators(self, programme: Programme, key: str, **values: str) -> None:
        """Queue an alert for the programme's coordinators in the outbox (delivered at least
        once by the same job as the coaches' alerts)."""
        text = html.escape(self.staff_pack().text(key, programme=programme.name[
            self.staff_lang], **values), quote=False)
        await self.store.queue_alerts([AlertDraft("mentoring", chat, text, buttons=False)
                                       for chat in programme.coordinators])

    # --- Months of support ----------------------------------------------------------------

    async def support_due(self) -> list[Notice]:
        """Send due check-ins, alert about pairs that stopped meeting, close finished pairs."""
        now = self.clock()
        notices: list[Notice] = []
        for programme in self.programmes.programmes:
            for pair in await self.store.pairs(programme.id, ["active"]):
                notices += await self._support(programme, pair, now)
        return notices

    async def _support(self, programme: Programme, pair: Pair, now: dt.datetime
                       ) -> list[Notice]:
        assert pair.started_at is not None
        people = [await self.store.participant(i) for i in (pair.seeker_id, pair.partner_id)]
        both = [p for p in people if p is not None]
        if len(both) < 2:
            return []
        names = f"{both[0].first_name} + {both[1].first_name}"
        if now >= pair.started_at + dt.timedelta(days=programme.months * DAYS_PER_MONTH):
            await self.store.complete(pair.id, now)
            return [n for p in both for n in self._closing(programme, pair, p)]
        since = pair.last_met_at or pair.started_at
        quiet = dt.timedelta(days=programme.alert_after_days_without_meeting)
        if now - since >= quiet and (pair.alerted_at is None or pair.alerted_at < since):
            await self.store.mark_alerted(pair.id, now)
            await self.alert_coordinators(programme, "mt_alert_not_met", name=names,
                                        days=str((now - since).days))
        rounds = (now - pair.started_at).days // programme.checkin_every_days
        if rounds <= pair.checkins_sent:
            return []
        await self.store.mark_checkins_sent(pair.id, rounds)
        notices = []
        for me in both:
            pack = self.kb.packs[me.lang]
            other = both[1] if me is both[0] else both[0]
            notices.append(Notice(me.chat_id, pack.text("mt_checkin_met", name=other.first_name),
                                  ((pack.text("mt_answer_yes"), f"mt:cm:{pair.id}:{rounds}:1"),
                                   (pack.text("mt_answer_no"), f"mt:cm:{pair.id}:{rounds}:0"))))
        return notices

    async def answer_checkin(self, pair_id: int, round_: int, user_id: int, step: str,
                             value: str) -> list[Notice]:
        """Record a check-in tap (met `cm`, hours `ch`, mood `cq`) and ask the next question."""
        pair = await self.store.pair(pair_id)
        me = await self._member(pair, user_id)
        if pair is None or me is None or pair.status != "active":
            return []
        pack, now = self.kb.packs[me.lang], self.clock()
        mood_buttons = tuple((pack.text(f"mt_mood_{m}"), f"mt:cq:{pair.id}:{round_}:{m}")
                             for m in MOODS)
        if step == "cm":
            if not await self.store.record_checkin(pair, me, round_, now, met=value == "1"):
                return []
            if value == "1":
                return [Notice(me.chat_id, pack.text("mt_checkin_hours"), tuple(
                    (pack.text("mt_hours", hours=str(h)), f"mt:ch:{pair.id}:{round_}:{h}")
                    for h in HOURS))]
            return [Notice(me.chat_id, pack.text("mt_checkin_mood"), mood_buttons)]
        if step == "ch" and value.isdigit() and int(value) in HOURS:
            if not await self.store.record_checkin(pair, me, round_, now, hours=int(value)):
                return []
            return [Notice(me.chat_id, pack.text("mt_checkin_mood"), mood_buttons)]
        if step == "cq" and value in MOODS:
            if not await self.store.record_checkin(pair, me, round_, now, mood=value):
                return []
            if value == "problem":
                programme = self.programmes.programme(pair.programme)
                if programme is not None:
                    await self.alert_coordinators(programme, "mt_alert_problem",
                                                name=me.first_name)
                return [Notice(me.chat_id, pack.text("mt_checkin_problem_thanks"))]
            return [Notice(me.chat_id, pack.text("mt_checkin_thanks"))]
        return []

    async def end_pair(self, pair_id: int, reason: str, rematch: bool) -> list[Notice]:
        """End a pair for a coordinator; both are told in their own language, without reasons.

        A re-match tells the seeker (the mentee, or the peer the pair was found for) that a
        new partner will be looked for; the partner gets the same neutral notice as after an
        ending, and both return to the pool.
        """
        pair = await self.store.end(pair_id, reason, self.clock(), rematch)
        if pair is None:
            return []
        notices = []
        for participant_id in (pair.seeker_id, pair.partner_id):
            person = await self.store.participant(participant_id)
            if person is None:
                continue
            key = "mt_rematch_seeker" if rematch and participant_id == pair.seeker_id else \
                "mt_pair_ended"
            notices.append(Notice(person.chat_id, self.kb.packs[person.lang].text(key)))
        return notices

    # --- The end: closing feedback --------------------------------------------------------

    def _closing(self, programme: Programme, pair: Pair, me: Participant) -> list[Notice]:
        pack = self.kb.packs[me.lang]
        notices = [Notice(me.chat_id, pack.text("mt_closing", months=str(programme.months),
                                                event=programme.feedback_event[me.lang]))]
        for index, question in enumerate(programme.feedback):
            if question.role not in (None, me.role):
                continue
            notices.append(Notice(me.chat_id, question.text[me.lang], tuple(
                (pack.text(f"mt_answer_{a}"), f"mt:fa:{pair.id}:{index}:{a}")
                for a in ANSWERS)))
        return notices

    async def answer_closing(self, pair_id: int, index: int, user_id: int, answer: str
                             ) -> list[Notice]:
        """Keep one closing answer (anonymously) and thank the person."""
        pair = await self.store.pair(pair_id)
        me = await self._member(pair, user_id)
        programme = self.programmes.programme(pair.programme) if pair else None
        if pair is None or me is None or programme is None or answer not in ANSWERS or \
                not 0 <= index < len(programme.feedback):
            return []
        if not await self.store.record_answer(pair, me, programme.feedback[index].id, answer):
            return []
        return [Notice(me.chat_id, self.kb.packs[me.lang].text("mt_closing_thanks"))]

    # --- Privacy --------------------------------------------------------------------------

    async def forget(self, user_id: int) -> list[Notice]:
        """Delete a person's mentoring data; partners of their open pairs get a neutral notice."""
        notices = []
        for pair, partner in await self.store.forget(user_id, self.clock()):
            notices.append(Notice(partner.chat_id,
                                  self.kb.packs[partner.lang].text("mt_pair_ended")))
            programme = self.programmes.programme(pair.programme)
            if programme is not None:
                await self.alert_coordinators(programme, "mt_alert_left", name=partner.first_name)
        return notices

    async def purge(self) -> int:
        """Delete profiles, notes and pairs `retention_days` after a person's part (or a
        pair) ended, and everything personal of a programme as long after its last day."""
        cutoff = self.clock() - dt.timedelta(days=self.retention_days)
        ended = [p.id for p in self.programmes.programmes
                 if p.ends is not None and p.ends < cutoff.astimezone(self.timezone).date()]
        return await self.store.purge(cutoff, ended)
