"""The one entry point every channel uses: a message in, a channel-independent reply out."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from bot.core.content import KnowledgeBase
from bot.core.detection import LanguageGuesser
from bot.core.encoding import FILL_THREADS, EmbeddingCache, Encoder, load_encoder
from bot.core.languages import DEFAULT, SUPPORTED
from bot.core.loading import load_knowledge_base
from bot.core.matching import INTENT_PREFIX, Match, Matcher
from bot.core.normalising import SCRIPT_LANGUAGES, fold, script_of
from bot.core.replies import Action, Button, Message, Reply, ReplyKind
from bot.core.safety import CrisisDetector
from bot.core.semantic import SemanticLayer
from bot.core.understanding import Decision, Tuning, Understanding, Verdict

SWITCH_CONFIDENCE = 0.9
MIN_WORDS_TO_SWITCH = 3
RELATED_BUTTONS = 3
CRISIS_TOPIC_BUTTONS = 2


class Assistant:
    """Answers messages from the knowledge base; knows nothing of any chat platform."""

    def __init__(self, kb: KnowledgeBase, semantic: SemanticLayer | None = None,
                 tuning: Tuning | None = None, matcher: Matcher | None = None) -> None:
        """`matcher` is the lexical matcher of `kb`, when the caller built it already."""
        self.kb = kb
        self.matcher = matcher or Matcher(kb)
        self.guesser = LanguageGuesser()
        self.crisis = CrisisDetector(kb, self.matcher.document_share)
        self.semantic = semantic
        self.understanding = Understanding(self.matcher, self.crisis, semantic, tuning)

    @classmethod
    def from_content(cls, root: Path, required_topics: Path | None = None, *,
                     cache_dir: Path | None = None,
                     encoder: Encoder | bool | None = True,
                     encode_threads: int = FILL_THREADS) -> Assistant:
        """Load and validate the content folder, then build the assistant.

        `encoder=True` loads the default encoder (e5); `None` or `False` answers with the
        lexical matcher alone; `cache_dir` keeps the content's vectors between starts;
        `encode_threads` encode the examples missing from it (OHJAAMO_ENCODE_THREADS).
        The lexical matcher's index is kept in `cache_dir` too.
        """
        kb = load_knowledge_base(root, required_topics)
        chosen = load_encoder() if encoder is True else encoder or None
        cache = EmbeddingCache(cache_dir, threads=encode_threads)
        semantic = (SemanticLayer.train(kb, chosen, cache)
                    if chosen is not None else None)
        return cls(kb, semantic, matcher=Matcher(kb, cache=cache))

    @property
    def understands_meaning(self) -> bool:
        """Tell whether the semantic layer is on (False: lexical matching only)."""
        return self.semantic is not None

    async def handle(self, message: Message) -> Reply:
        """Answer one message: crisis first, then intents, then the knowledge base."""
        return self.reply_to(message)

    def reply_to(self, message: Message) -> Reply:
        """Answer one message synchronously (the console and batch tools use this)."""
        chosen = message.lang if message.lang in SUPPORTED else DEFAULT
        text = _clean(message.text)
        if not fold(text):
            return self._fallback(chosen, "empty_message")
        guess = self.guesser.guess(text)
        prefer = [chosen] + ([guess[0]] if guess else [])
        decision = self.understanding.understand(text, prefer)
        lang = self._reply_language(text, chosen, guess, decision.lang)
        return self._reply_for(decision, lang)

    def _reply_for(self, decision: Decision, lang: str) -> Reply:
        """Turn the understanding's decision into a reply in `lang`."""
        if decision.verdict is Verdict.CRISIS:
            return self.crisis_reply(lang, decision.topics)
        if decision.verdict is Verdict.INTENT:
            match = Match(INTENT_PREFIX + decision.topics[0], decision.score, lang)
            return self._intent_reply(match, lang)
        if decision.verdict is Verdict.ANSWER:
            return self.answer(decision.topics[0], lang, decision.score)
        if decision.verdict is Verdict.CANDIDATES:
            return self._candidates(list(decision.topics), lang, decision.score)
        return self._fallback(lang)

    # --- Replies a channel can also ask for directly (buttons) -------------------------------

    def press(self, action: Action, value: str, lang: str) -> Reply:
        """Return the reply to pressing a button with `action` and `value`."""
        lang = lang if lang in SUPPORTED else DEFAULT
        if action is Action.TOPIC and self.kb.has_topic(value):
            return self.answer(value, lang)
        if action is Action.PLAIN_FINNISH and self.kb.has_entry(value, "fi"):
            return self.plain_finnish(value, lang)
        if action is Action.ENGLISH and self.kb.has_entry(value, "en"):
            return self._in_language(value, "en", lang, "english_header")
        if action is Action.CATEGORY and any(c.id == value for c in self.kb.categories):
            return self.category(value, lang)
        if action in (Action.HELPED, Action.NOT_HELPED):
            pack = self.kb.packs[lang]
            return Reply(ReplyKind.MENU, lang, pack.text("feedback_thanks"), topic=value or None,
                         buttons=(self._coach_and_menu(lang),))
        if action in (Action.COACH, Action.CONTACT_ME):
            return self._intent_reply(Match(INTENT_PREFIX + "handoff", 1.0, lang), lang)
        return self.menu(lang)

    def answer(self, topic_id: str, lang: str, score: float = 1.0) -> Reply:
        """Return the entry `topic_id` as an answer in `lang`, with follow-up buttons."""
        if not self.kb.has_entry(topic_id, lang):
            return self.not_translated(topic_id, lang, score)
        entry = self.kb.entry(topic_id, lang)
        pack = self.kb.packs[lang]
        related = tuple(
            (Button(self.kb.entry(other, lang).title, Action.TOPIC, other),)
            for other in [r for r in entry.related if self.kb.has_entry(r, lang)][
                :RELATED_BUTTONS])
        rows: list[tuple[Button, ...]] = list(related)
        if lang != "fi" and self.kb.has_entry(topic_id, "fi"):
            rows.append((Button(pack.text("button_plain_finnish"), Action.PLAIN_FINNISH,
                                topic_id),))
        rows.append((Button(pack.text("button_helped_yes"), Action.HELPED, topic_id),
                     Button(pack.text("button_helped_no"), Action.NOT_HELPED, topic_id)))
        rows.append(self._coach_and_menu(lang))
        return Reply(ReplyKind.ANSWER, lang, entry.answer, topic=topic_id, score=score,
                     title=entry.title, sources=entry.sources, buttons=tuple(rows))

    def plain_finnish(self, topic_id: str, lang: str) -> Reply:
        """Return the plain-Finnish version of an answer, introduced in the reader's language."""
        return self._in_language(topic_id, "fi", lang, "plain_finnish_header")

    def not_translated(self, topic_id: str, lang: str, score: float = 1.0) -> Reply:
        """Say honestly that the answer is not yet in `lang`: offer other versions and a coach."""
        pack = self.kb.packs[lang]
        rows: list[tuple[Button, ...]] = []
        if self.kb.has_entry(topic_id, "fi"):
            rows.append((Button(pack.text("button_plain_finnish"), Action.PLAIN_FINNISH,
                                topic_id),))
        if self.kb.has_entry(topic_id, "en"):
            rows.append((Button(pack.text("button_english"), Action.ENGLISH, topic_id),))
        rows.append(self._coach_and_menu(lang))
        return Reply(ReplyKind.UNTRANSLATED, lang, pack.text("not_translated"), topic=topic_id,
                     score=score, title=self.kb.title(topic_id, lang), buttons=tuple(rows))

    def menu(self, lang: str) -> Reply:
        """Return the category menu, and a coach, for people who would rather tap than type."""
        pack = self.kb.packs[lang]
        rows = (*self._category_rows(lang), (Button(pack.text("button_coach"), Action.COACH),))
        return Reply(ReplyKind.MENU, lang, pack.text("menu"), buttons=rows)

    def category(self, category_id: str, lang: str) -> Reply:
        """Return the questions of one category as buttons."""
        pack = self.kb.packs[lang]
        rows = [(Button(e.title, Action.TOPIC, e.id),)
                for e in self.kb.entries_in(category_id, lang)]
        rows.append((Button(pack.text("button_back"), Action.MENU),))
        name = pack.category_names.get(category_id, category_id)
        return Reply(ReplyKind.MENU, lang, pack.text("category", category=name),
                     buttons=tuple(rows))

    def greeting(self, lang: str) -> Reply:
        """Return a kind hello with the menu."""
        return self._intent_reply(Match(INTENT_PREFIX + "greeting", 1.0, lang), lang)

    def crisis_reply(self, lang: str, asked: Sequence[str] = ()) -> Reply:
        """Return emergency help: numbers first, then an offer of a coach, then the topics
        the message also asked about ("he hits me, where is a shelter?"), as buttons."""
        pack = self.kb.packs[lang]
        topics = [(Button(self.kb.title(t, lang), Action.TOPIC, t),)
                  for t in asked[:CRISIS_TOPIC_BUTTONS] if self.kb.has_topic(t)]
        rows = ((Button(pack.text("button_contact_me"), Action.CONTACT_ME),), *topics,
                (Button(pack.text("button_menu"), Action.MENU),))
        return Reply(ReplyKind.CRISIS, lang, pack.text("crisis"), topic="crisis", score=1.0,
                     buttons=rows)

    # --- Internals ---------------------------------------------------------------------------

    def _in_language(self, topic_id: str, source: str, lang: str, header_key: str) -> Reply:
        """Return the answer as written in `source`, introduced in the reader's language."""
        entry = self.kb.entry(topic_id, source)
        header = self.kb.packs[lang].text(header_key)
        return Reply(ReplyKind.ANSWER, source, f"{header}\n\n{entry.answer}", topic=topic_id,
                     score=1.0, title=entry.title, sources=entry.sources,
                     buttons=(self._coach_and_menu(lang),))

    def _intent_reply(self, match: Match, lang: str) -> Reply:
        pack = self.kb.packs[lang]
        name = match.topic.removeprefix(INTENT_PREFIX)
        if name == "handoff":
            return Reply(ReplyKind.HANDOFF, lang, pack.text("handoff"), topic="handoff",
                         score=match.score, buttons=(self._coach_and_menu(lang),))
        if name in ("greeting", "thanks"):
            rows = (*self._category_rows(lang), self._coach_and_menu(lang)[:1])
            return Reply(ReplyKind.GREETING, lang, pack.text(name), topic="greeting",
                         score=match.score, buttons=rows)
        return self._fallback(lang)

    def _fallback(self, lang: str, key: str = "fallback") -> Reply:
        pack = self.kb.packs[lang]
        rows = (*self._category_rows(lang), (Button(pack.text("button_coach"), Action.COACH),))
        return Reply(ReplyKind.FALLBACK, lang, pack.text(key), buttons=rows)

    def _candidates(self, topics: list[str], lang: str, score: float) -> Reply:
        pack = self.kb.packs[lang]
        ids = tuple(topics)
        rows = [(Button(self.kb.title(i, lang), Action.TOPIC, i),) for i in ids]
        rows.append((Button(pack.text("button_none_of_these"), Action.MENU),))
        rows.append((Button(pack.text("button_coach"), Action.COACH),))
        return Reply(ReplyKind.CANDIDATES, lang, pack.text("candidates"), topic=ids[0],
                     score=score, candidates=ids, buttons=tuple(rows))

    def _coach_and_menu(self, lang: str) -> tuple[Button, ...]:
        pack = self.kb.packs[lang]
        return (Button(pack.text("button_coach"), Action.COACH),
                Button(pack.text("button_menu"), Action.MENU))

    def _category_rows(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        pack = self.kb.packs[lang]
        buttons = [Button(f"{c.emoji} {pack.category_names[c.id]}", Action.CATEGORY, c.id)
                   for c in self.kb.categories]
        return tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))

    def _reply_language(self, text: str, chosen: str, guess: tuple[str, float] | None,
                        matched: str | None) -> str:
        """Answer in the chosen language unless the message is clearly in another of ours."""
        script = script_of(text)
        script_langs = SCRIPT_LANGUAGES.get(script, ())
        if script in ("cyrillic", "arabic") and chosen not in script_langs:
            # Another script altogether: Cyrillic is Russian; Arabic script is ar or fa.
            # (Latin letters are not enough: office words and transliteration use them too.)
            if len(script_langs) == 1:
                return script_langs[0]
            if guess and guess[0] in script_langs:
                return guess[0]
            return matched if matched in script_langs else script_langs[0]
        if guess is None or guess[0] == chosen or guess[1] < SWITCH_CONFIDENCE:
            return chosen
        if len(fold(text).split()) < MIN_WORDS_TO_SWITCH:
            return chosen
        # Same script, confident detector, and the best match agrees: clearly another language.
        if matched == guess[0]:
            return guess[0]
        return chosen


def _clean(text: str) -> str:
    """Drop control characters (keeping line breaks) and surrounding space."""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
