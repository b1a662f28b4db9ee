"""An entry written in some languages is served there; elsewhere the bot says so honestly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.assistant import Assistant
from bot.core.loading import check_content
from bot.core.replies import Action, Message, ReplyKind
from tests.conftest import LANGUAGES
from tests.partial_content import LIBRARY, LIBRARY_LANGUAGES, SAUNA, partial_content
from tests.telegram_support import Bot, assert_telegram_accepts, start_bot, tap


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An assistant (lexical only) on content with two partly translated entries."""
    root = partial_content(tmp_path_factory.mktemp("partial") / "content")
    kb, problems = check_content(root)
    assert kb is not None, [str(p) for p in problems if p.severity == "error"]
    return Assistant(kb)


def written_and_missing(lang: str) -> tuple[str, str]:
    """Return (an entry written in `lang`, an entry not yet in it)."""
    return (LIBRARY, SAUNA) if lang in LIBRARY_LANGUAGES else (SAUNA, LIBRARY)


@LANGUAGES
def test_an_entry_is_served_in_the_languages_it_is_written_in(partial: Assistant,
                                                             lang: str) -> None:
    written, _ = written_and_missing(lang)

    reply = partial.press(Action.TOPIC, written, lang)

    assert reply.kind is ReplyKind.ANSWER
    assert reply.text == partial.kb.entry(written, lang).answer


@LANGUAGES
def test_elsewhere_the_bot_says_the_answer_is_not_yet_in_that_language(partial: Assistant,
                                                                      lang: str) -> None:
    _, missing = written_and_missing(lang)

    reply = partial.press(Action.TOPIC, missing, lang)

    actions = {(b.action, b.value) for row in reply.buttons for b in row}
    assert reply.kind is ReplyKind.UNTRANSLATED
    assert reply.lang == lang
    assert reply.text == partial.kb.packs[lang].text("not_translated")
    assert (Action.COACH, "") in actions
    # Plain Finnish and English are offered exactly when the entry is written in them.
    assert ((Action.PLAIN_FINNISH, missing) in actions) == partial.kb.has_entry(missing, "fi")
    assert ((Action.ENGLISH, missing) in actions) == partial.kb.has_entry(missing, "en")


@pytest.mark.parametrize("lang", ["so", "fa", "ru"])
def test_the_english_and_plain_finnish_versions_come_with_a_header_in_the_readers_language(
        partial: Assistant, lang: str) -> None:
    english = partial.press(Action.ENGLISH, LIBRARY, lang)
    finnish = partial.press(Action.PLAIN_FINNISH, LIBRARY, lang)

    assert english.text == (f"{partial.kb.packs[lang].text('english_header')}\n\n"
                            f"{partial.kb.entry(LIBRARY, 'en').answer}")
    assert finnish.text.endswith(partial.kb.entry(LIBRARY, "fi").answer)
    assert finnish.text.startswith(partial.kb.packs[lang].text("plain_finnish_header"))


def test_a_finnish_office_word_finds_the_entry_and_the_honest_reply(partial: Assistant) -> None:
    reply = partial.reply_to(Message("kirjastokortti", "so"))
    # Offered as a choice (titled in another language) or answered: either way honestly.
    chosen = partial.press(Action.TOPIC, LIBRARY, "so") \
        if reply.kind is ReplyKind.CANDIDATES else reply

    assert (reply.topic, reply.lang) == (LIBRARY, "so")
    assert (chosen.kind, chosen.lang) == (ReplyKind.UNTRANSLATED, "so")


def test_the_menu_lists_an_entry_only_where_it_is_written(partial: Assistant) -> None:
    for lang in ("fi", "so"):
        listed = {b.value for row in partial.category("everyday", lang).buttons for b in row}
        written, missing = written_and_missing(lang)
        assert written in listed
        assert missing not in listed


@pytest_asyncio.fixture
async def partial_bot(tmp_path: Path, partial: Assistant) -> AsyncIterator[Bot]:
    async for running in start_bot(tmp_path, partial):
        yield running


@LANGUAGES
async def test_in_telegram_a_missing_translation_gets_the_honest_reply_and_its_buttons_work(
        partial_bot: Bot, lang: str) -> None:
    await partial_bot.send(tap(41, f"lang:{lang}"))
    kb = partial_bot.app.bot_data["services"].assistant.kb
    _, missing = written_and_missing(lang)

    sent = await partial_bot.send(tap(41, f"topic:{missing}", lang))

    assert_telegram_accepts(sent)
    assert kb.packs[lang].text("not_translated") in sent[-1]["text"]
    data = [d for _, d in partial_bot.buttons(sent[-1])]
    assert "coach:" in data
    offered = kb.has_entry(missing, "en")  # the library card is in fi and en; the sauna not
    assert (f"english:{missing}" in data) == offered
    assert (f"plain:{missing}" in data) == offered
    if offered:
        english = await partial_bot.send(tap(41, f"english:{missing}", lang))
        assert kb.entry(missing, "en").answer.splitlines()[0] in english[-1]["text"]
        assert kb.packs[lang].text("english_header") in english[-1]["text"]
    assert partial_bot.errors == []
