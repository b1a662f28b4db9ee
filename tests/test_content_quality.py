"""Every required topic exists in every language, complete, sourced and short enough."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.core.assistant import Assistant
from bot.core.loading import MAX_ANSWER_CHARS, MIN_QUESTIONS, UI_KEYS, is_https_url
from bot.core.problems import read_yaml
from tests.conftest import LANGUAGES, TOPICS_SPEC

TELEGRAM_LIMIT = 4096


def required_ids() -> list[str]:
    if not TOPICS_SPEC.exists():
        pytest.skip("shared/spec/topics.yaml is not beside the repository")
    data = read_yaml(TOPICS_SPEC, [])
    return [topic for topics in data.values() for topic in topics]


@LANGUAGES
def test_every_required_topic_is_complete(assistant: Assistant, lang: str) -> None:
    entries = assistant.kb.packs[lang].entries
    for topic in required_ids():
        entry = entries[topic]
        assert entry.title.strip(), topic
        assert len(entry.questions) >= MIN_QUESTIONS, topic
        assert entry.answer.strip(), topic
        assert entry.sources, topic
        assert all(is_https_url(url) for url in entry.sources), topic
        assert isinstance(entry.reviewed, dt.date), topic
        assert entry.reviewed <= dt.date.today(), topic


@LANGUAGES
def test_answers_fit_a_phone_screen_and_telegram(assistant: Assistant, lang: str) -> None:
    for entry in assistant.kb.packs[lang].entries.values():
        assert len(entry.answer) <= MAX_ANSWER_CHARS < TELEGRAM_LIMIT, entry.id
        assert "{" not in entry.answer, f"{entry.id}: an unfilled placeholder"


@LANGUAGES
def test_every_answer_names_a_next_step_with_a_link_or_phone(assistant: Assistant,
                                                              lang: str) -> None:
    for entry in assistant.kb.packs[lang].entries.values():
        # A link, a phone number, or a bot command such as /coach or /privacy.
        assert re.search(r"https?://|www\.|\b\d{2,3}[ \d]{3,}\b|(?<!\w)/[a-z]+\b|\.fi\b",
                         entry.answer), entry.id


@LANGUAGES
def test_every_ui_string_and_category_name_exists(assistant: Assistant, lang: str) -> None:
    pack = assistant.kb.packs[lang]
    assert set(UI_KEYS) <= set(pack.strings)
    assert {c.id for c in assistant.kb.categories} <= set(pack.category_names)
    assert pack.language_name
    assert pack.language_name != lang


def test_plain_finnish_answers_use_short_sentences(assistant: Assistant) -> None:
    long_sentences = []
    for entry in assistant.kb.packs["fi"].entries.values():
        prose = re.sub(r"https?://\S+", "", entry.answer)
        for sentence in re.split(r"[.!?:\n]+", prose):
            if len(sentence.split()) > 15:
                long_sentences.append(f"{entry.id}: {sentence.strip()}")
    assert len(long_sentences) <= 5, "\n".join(long_sentences)


def test_related_topics_and_titles_are_consistent_across_languages(
        assistant: Assistant) -> None:
    packs = assistant.kb.packs
    for topic, entry in packs["en"].entries.items():
        for lang, pack in packs.items():
            assert pack.entries[topic].sources, (lang, topic)
            assert set(pack.entries[topic].related) == set(entry.related), (lang, topic)


@LANGUAGES
def test_no_ordinary_example_trips_a_crisis_phrase(assistant: Assistant, lang: str) -> None:
    pack = assistant.kb.packs[lang]
    ordinary = [text for entry_id in pack.entries for text in pack.examples_of(entry_id)]
    ordinary += [text for name, texts in pack.intents.items() for text in texts]
    ordinary += list(pack.crisis.not_crisis)

    tripped = [text for text in ordinary if assistant.crisis.is_crisis(text)]

    assert tripped == [], f"{len(tripped)} ordinary messages get the emergency reply"
