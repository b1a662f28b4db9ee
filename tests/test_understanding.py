"""Understanding people as they really write: stories, slang, learners, indirect danger.

Every message here was written for these tests (tests/understanding_cases.py) and is in
neither the content nor an evaluation file, so each test passes only when the real
encoder and the real content generalise.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.assistant import Assistant
from bot.core.encoding import E5Encoder, EmbeddingCache
from bot.core.languages import SUPPORTED
from bot.core.matching import Match
from bot.core.replies import Message, ReplyKind
from bot.core.romanising import chat_spelling, latin_spellings
from bot.core.semantic import Reading, TrainingSet, danger_vote, sentences
from bot.core.understanding import (
    CONFIDENCE_FEATURES,
    Tuning,
    answer_confidence,
    confidence_features,
    fused_scores,
)
from tests.conftest import VECTOR_CACHE
from tests.understanding_cases import (
    CRISIS_CASES,
    LATIN_LETTER_CASES,
    NEAR_CRISIS_CASES,
    OUT_OF_SCOPE_CASES,
    TOPIC_CASES,
    TWO_TOPIC_CASES,
)

KNOWN_GAPS = {
    # Cases the assistant does not yet get right (measured 2026-12-07; docs/benchmarks.md).
    # They stay in the suite, marked, so a fix shows as XPASS and a gap is never hidden.
    ("so", "story"),  # the Arabic story is answered since the character n-gram model
}
LATIN_LETTER_GAPS = {("ar", "finnish-courses"), ("ar", "residence-permit"),
                     ("fa", "early-childhood-education"), ("fa", "residence-permit")}
"""Of the Latin-letter cases, those not yet answered directly; before the Latin-letter
copies, 3 of the 9 failed. The two Persian ones (Finglish) were answered until the crisis
examples typed in Finglish grew (2026-12-07): the danger model now reads them as danger
(a false alarm: emergency numbers instead of the answer), although the nearest-example
vote does not."""


def _cases(table: dict[str, list[tuple[str, ...]]]) -> list[object]:
    return [pytest.param(lang, *case, marks=pytest.mark.xfail(
                reason="known gap in understanding", strict=False))
            if (lang, case[0]) in KNOWN_GAPS else (lang, *case)
            for lang in SUPPORTED for case in table[lang]]


@pytest.mark.parametrize(("lang", "style", "text", "topic"), _cases(TOPIC_CASES))  # type: ignore[arg-type]
def test_everyday_messages_get_the_right_answer(assistant: Assistant, lang: str, style: str,
                                                text: str, topic: str) -> None:
    reply = assistant.reply_to(Message(text, lang))

    assert reply.kind is ReplyKind.ANSWER, (style, reply.kind, reply.candidates)
    assert reply.topic == topic, style
    assert reply.lang == lang


@pytest.mark.parametrize(("lang", "text", "topic"), [
    pytest.param(lang, text, topic, marks=pytest.mark.xfail(
        reason="known gap in understanding", strict=False))
    if (lang, topic) in LATIN_LETTER_GAPS else (lang, text, topic)
    for lang, cases in LATIN_LETTER_CASES.items() for text, topic in cases])
def test_arabic_persian_and_russian_typed_in_latin_letters_are_understood(
        assistant: Assistant, lang: str, text: str, topic: str) -> None:
    reply = assistant.reply_to(Message(text, lang))

    assert (reply.kind, reply.topic) == (ReplyKind.ANSWER, topic), reply.candidates
    assert reply.lang == lang


def test_the_semantic_layer_also_learns_latin_letter_copies_of_examples(
        assistant: Assistant) -> None:
    data = TrainingSet.from_content(assistant.kb)
    question = assistant.kb.packs["ru"].examples_of("yki-test")[0]

    assert latin_spellings(question, "ru")[0] in data.texts
    assert chat_spelling("كيف أسجل في العمل") == "kif asjl fi el3ml"
    assert latin_spellings("yki testi", "ar") == ()  # already Latin: nothing to add


@pytest.mark.parametrize(("lang", "kind", "text"), _cases(CRISIS_CASES))  # type: ignore[arg-type]
def test_indirect_danger_gets_emergency_help_first(assistant: Assistant, lang: str, kind: str,
                                                   text: str) -> None:
    reply = assistant.reply_to(Message(text, lang))

    assert reply.kind is ReplyKind.CRISIS, kind
    assert "112" in reply.text.splitlines()[0]
    assert reply.lang == lang


@pytest.mark.parametrize("lang", SUPPORTED)
def test_one_crisis_sentence_inside_a_long_story_is_enough(assistant: Assistant,
                                                           lang: str) -> None:
    story = TOPIC_CASES[lang][0][1]
    danger = CRISIS_CASES[lang][0][1]

    reply = assistant.reply_to(Message(f"{story} {danger}", lang))

    assert reply.kind is ReplyKind.CRISIS


@pytest.mark.parametrize(("lang", "text"), [(lang, text) for lang in SUPPORTED
                                            for text in NEAR_CRISIS_CASES[lang]])
def test_ordinary_questions_with_words_of_danger_get_no_emergency_reply(
        assistant: Assistant, lang: str, text: str) -> None:
    reply = assistant.reply_to(Message(text, lang))

    assert reply.kind is not ReplyKind.CRISIS


@pytest.mark.parametrize(("lang", "text"), [(lang, text) for lang in SUPPORTED
                                            for text in OUT_OF_SCOPE_CASES[lang]])
def test_out_of_scope_messages_get_the_honest_fallback(assistant: Assistant, lang: str,
                                                       text: str) -> None:
    reply = assistant.reply_to(Message(text, lang))

    assert reply.kind is ReplyKind.FALLBACK
    assert reply.topic is None


@pytest.mark.parametrize(("lang", "text", "topics"), TWO_TOPIC_CASES)
def test_a_message_about_two_things_offers_both(assistant: Assistant, lang: str, text: str,
                                                topics: set[str]) -> None:
    reply = assistant.reply_to(Message(text, lang))

    assert reply.kind is ReplyKind.CANDIDATES
    assert topics <= set(reply.candidates)


@pytest.mark.parametrize("lang", SUPPORTED)
def test_a_greeting_alone_is_still_a_greeting(assistant: Assistant, lang: str) -> None:
    greeting = {"fi": "moikka!", "en": "hiya", "ar": "مرحبا", "so": "asc",
                "fa": "سلام", "ru": "привет"}[lang]

    assert assistant.reply_to(Message(greeting, lang)).kind is ReplyKind.GREETING


def test_a_long_message_is_also_read_sentence_by_sentence() -> None:
    story = "I came here in May. My wife stayed at home. Where do I get a tax card?"

    assert sentences(story) == ["I came here in May.", "My wife stayed at home.",
                                "Where do I get a tax card?"]
    assert sentences("hello") == []


@pytest.mark.parametrize(("lang", "style", "text", "topic"),
                         [(lang, *case) for lang in SUPPORTED for case in TOPIC_CASES[lang]
                          if case[0] in ("typo", "translit", "codeswitch")])
def test_without_the_encoder_the_lexical_matcher_still_answers(
        lexical_assistant: Assistant, lang: str, style: str, text: str, topic: str) -> None:
    reply = lexical_assistant.reply_to(Message(text, lang))

    assert not lexical_assistant.understands_meaning
    assert reply.kind in (ReplyKind.ANSWER, ReplyKind.CANDIDATES)
    assert topic in (reply.topic, *reply.candidates)


class CountingEncoder:
    """The real encoder, counting how many texts it was asked to encode."""

    def __init__(self) -> None:
        self._real = E5Encoder()
        self.name, self.dim = self._real.name, self._real.dim
        self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:  # type: ignore[type-arg]
        self.encoded += len(texts)
        return self._real.encode(texts)


def test_the_vector_cache_encodes_only_texts_it_has_not_seen(
        tmp_path) -> None:  # type: ignore[no-untyped-def]
    encoder = CountingEncoder()
    texts = ["Where do I get a tax card?", "verokortti", "Miten haen asumistukea?"]

    first = EmbeddingCache(tmp_path).vectors(encoder, texts)
    again = EmbeddingCache(tmp_path).vectors(encoder, texts)  # as after a restart
    assert encoder.encoded == 3
    np.testing.assert_array_equal(first, again)

    changed = EmbeddingCache(tmp_path).vectors(
        encoder, [*texts[:2], "Miten haen asumistukea Kelasta?"])
    assert encoder.encoded == 4  # only the changed text was encoded again
    np.testing.assert_array_equal(changed[:2], first[:2])


def test_the_models_are_trained_again_when_one_example_of_the_content_changes(
        assistant: Assistant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    encoder = CountingEncoder()
    cache = EmbeddingCache(tmp_path)
    data = TrainingSet.from_content(assistant.kb)
    pack = assistant.kb.packs["en"]
    entry = pack.entries["tax-card"]
    changed_pack = dataclasses.replace(pack, entries={
        **pack.entries, "tax-card": dataclasses.replace(entry, questions=(
            *entry.questions, "tax card for a summer job"))})
    changed = TrainingSet.from_content(dataclasses.replace(
        assistant.kb, packs={**assistant.kb.packs, "en": changed_pack}))

    same = TrainingSet.from_content(assistant.kb)
    assert cache.path_for(encoder.name, "models", data.model_key()) == cache.path_for(
        encoder.name, "models", same.model_key())
    assert cache.path_for(encoder.name, "models", data.model_key()) != cache.path_for(
        encoder.name, "models", changed.model_key())


def test_each_sentence_of_an_ordinary_story_is_taught_as_not_danger(
        assistant: Assistant) -> None:
    """One sentence of a long message is read alone; the danger model learns what the
    sentences of ordinary stories look like alone, so they stay under the sentence threshold
    (without them about 5 % of these sentences were over it)."""
    data = TrainingSet.from_content(assistant.kb)
    story = next(t for t in assistant.kb.packs["fi"].examples_of("rental-housing")
                 if len(sentences(t)) > 1)
    crisis_story = next(t for t in assistant.kb.packs["en"].crisis.all_examples()
                        if len(sentences(t)) > 1)

    assert set(sentences(story)) <= set(data.ordinary_sentences)
    assert not set(sentences(crisis_story)) & set(data.ordinary_sentences)
    assert data.danger_labels()[-len(data.ordinary_sentences):] == (
        ("@ordinary_sentence",) * len(data.ordinary_sentences))
    assert assistant.semantic is not None
    vectors = EmbeddingCache(VECTOR_CACHE).vectors(assistant.semantic.encoder,
                                                   list(data.ordinary_sentences), store=False)
    tuning = assistant.understanding.tuning
    danger = assistant.semantic.read_vectors(vectors).danger_per_segment(
        tuning.danger_neighbour_weight)
    assert float(np.mean(danger >= tuning.sentence_crisis)) < 0.02


def test_every_language_teaches_crisis_examples_and_near_misses(assistant: Assistant) -> None:
    for lang, pack in assistant.kb.packs.items():
        assert len(pack.crisis.all_examples()) >= 80, lang
        assert len(pack.crisis.not_crisis) >= 20, lang
        assert len(pack.intents["out_of_scope"]) >= 60, lang
        for entry_id in pack.entries:
            assert len(pack.examples_of(entry_id)) >= 25, (lang, entry_id)


def test_the_answer_confidence_has_one_weight_per_feature_and_a_bias() -> None:
    assert len(Tuning().confidence_weights) == len(CONFIDENCE_FEATURES) + 1


def test_a_topic_that_leads_clearly_is_trusted_more_than_a_close_call() -> None:
    labels = ("tax-card", "kela-coverage", "@out_of_scope")
    reading = Reading(labels, np.array([0.5, 0.3, 0.2], dtype=np.float32),
                      np.zeros((0, 3), dtype=np.float32), np.zeros((1, 2), dtype=np.float32))
    tuning = Tuning()

    def confidence(rival_score: float) -> float:
        ranked = [Match("tax-card", 0.5, "en"), Match("kela-coverage", rival_score, "en")]
        scores = fused_scores(ranked, reading, tuning)
        return answer_confidence(confidence_features(scores, ranked, reading), tuning)

    assert confidence(0.1) > tuning.answer > confidence(0.48)


def test_the_kinds_of_danger_vote_as_one_class_not_eleven() -> None:
    # A message about as close to every example (as Latin-letter Persian often is) must not
    # look like danger just because danger has eleven kinds; one close kind still counts.
    kinds, others = 11, 40
    crisis_columns = list(range(kinds))
    even = np.full((1, kinds + others), 0.9, dtype=np.float32)
    one_kind_close = even.copy()
    one_kind_close[0, 3] = 0.97

    assert danger_vote(even, crisis_columns)[0] == pytest.approx(1 / (others + 1))
    assert danger_vote(one_kind_close, crisis_columns)[0] > 0.9
