"""Content changes go live checked and whole; broken content never takes the bot down."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.live_content import LiveContent
from bot.core.problems import ContentError
from bot.core.replies import Message
from bot.telegram_channel.application import ChannelConfig
from tests.booking_support import COORDINATOR_CHAT
from tests.conftest import CONTENT, LANGUAGES, VECTOR_CACHE
from tests.operator_support import desk, lexical, sent_to
from tests.test_operator_desk import mark_answers

QUESTION = {"fi": "verokortti", "en": "How do I get a tax card?"}


def answer_of(live: LiveContent, lang: str = "en") -> str:
    return live.assistant.reply_to(Message(QUESTION.get(lang, "verokortti"), lang)).text


def break_yaml(root: Path) -> Path:
    path = root / "en" / "housing_money.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\n    title:", "\n   title:", 1),
                    encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


async def test_a_valid_change_goes_live_and_a_broken_one_is_refused(root: Path,
                                                                    tmp_path: Path) -> None:
    live = LiveContent(root, lexical, snapshots=tmp_path / "last-good")
    assert live.start().loaded
    assert "LIVE-EDIT" not in answer_of(live)

    mark_answers(root, "LIVE-EDIT")
    loaded = await live.reload()
    served = live.assistant
    broken = break_yaml(root)
    refused = await live.reload()

    assert loaded.loaded
    assert loaded.errors == []
    assert not refused.loaded
    assert [str(p.path) for p in refused.errors] == [str(broken)]  # the editor's own file
    assert live.assistant is served
    assert "LIVE-EDIT" in answer_of(live)
    kept = live.last_good()
    assert kept is not None
    assert "LIVE-EDIT" in (kept / "en" / "housing_money.yaml").read_text(
        encoding="utf-8")


async def test_the_watcher_waits_for_files_to_settle_then_reloads_once(
        root: Path, assistant: Assistant) -> None:
    builds: list[Path] = []

    def counted(folder: Path) -> Assistant:
        builds.append(folder)
        return assistant  # the checks are real; only the (slow) build is skipped here

    live = LiveContent.serving(assistant, root, counted)
    assert await live.poll() is None  # nothing changed

    mark_answers(root, "LIVE-EDIT")
    first = await live.poll()  # saw the change; an editor may still be saving
    second = await live.poll()  # unchanged since: load it
    third = await live.poll()  # nothing new

    assert first is None
    assert second is not None
    assert second.loaded
    assert third is None
    assert builds == [root]


def test_the_bot_starts_on_the_last_good_version_when_the_content_is_broken(
        root: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "last-good"
    LiveContent(root, lexical, snapshots=snapshots).start()
    broken = break_yaml(root)

    live = LiveContent(root, lexical, snapshots=snapshots)
    change = live.start()

    assert change.on_snapshot
    assert not change.loaded
    assert [str(p.path) for p in change.errors] == [str(broken)]
    assert "https://" in answer_of(live)
    assert live.last_good() is not None
    assert live.last_good() != root


def test_without_a_last_good_version_broken_content_refuses_to_start(root: Path,
                                                                     tmp_path: Path) -> None:
    break_yaml(root)

    with pytest.raises(ContentError) as caught:
        LiveContent(root, lexical, snapshots=tmp_path / "nothing-kept-yet").start()

    # One error; the warnings of the real content (numbers to re-verify) may come with it.
    assert [p.severity for p in caught.value.problems].count("error") == 1


@LANGUAGES
async def test_started_on_the_last_good_version_people_get_answers_and_the_coordinator_hears(
        root: Path, tmp_path: Path, assistant: Assistant, lang: str) -> None:
    snapshots = tmp_path / "last-good"
    (snapshots / "v1").mkdir(parents=True)
    shutil.copytree(CONTENT, snapshots / "v1", dirs_exist_ok=True)
    (snapshots / "current").write_text("v1\n", encoding="utf-8")
    break_yaml(root)
    live = LiveContent(root, lambda folder: assistant, snapshots=snapshots)
    live.start()

    async with desk(tmp_path, live) as bot:
        told = sent_to(bot.api.calls, COORDINATOR_CHAT)
        await bot.app.bot_data["services"].database.set_language(7501, lang)
        reply = await bot.says(7501, assistant.kb.entry("tax-card", lang).questions[0], lang)

    assert told[0].params["text"].startswith(
        assistant.kb.packs["fi"].text("reload_on_snapshot"))
    assert "housing_money.yaml" in told[0].params["text"]
    assert assistant.kb.entry("tax-card", lang).title in sent_to(reply, 7501)[-1].params["text"]


async def test_a_failure_while_building_keeps_the_old_content_and_says_so(
        root: Path, assistant: Assistant) -> None:
    def failing(folder: Path) -> Assistant:
        raise MemoryError("no room for the new index")

    live = LiveContent.serving(assistant, root, failing)
    mark_answers(root, "LIVE-EDIT")

    change = await live.reload()

    assert not change.loaded
    assert live.assistant is assistant
    assert "could not be loaded (MemoryError: no room for the new index)" in str(change.errors[0])


async def test_a_reload_retrains_the_semantic_layer_and_encodes_only_the_new_phrasing(
        root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(VECTOR_CACHE, cache)  # the vectors of the content as it is
    config = ChannelConfig(
        token="123:TEST", api_url="http://127.0.0.1:9", database=tmp_path / "bot.db",
        coaches=tmp_path / "no-coaches.yaml", content=root, topics_spec=None, webhook_url="",
        webhook_secret="", webhook_listen="127.0.0.1", webhook_port=8443, send_retries=0,
        retention_days=30, cache_dir=cache, semantic=True, heartbeat=tmp_path / "heartbeat.json",
        paced=False)
    live = LiveContent(root, config.build_assistant, snapshots=tmp_path / "last-good")
    assert live.start().loaded
    before = live.assistant
    phrasings = root / "en" / "phrasings.yaml"
    phrasing = "my boss wants some vero paper from me before the first salary, what is it"
    phrasings.write_text(phrasings.read_text(encoding="utf-8").replace(
        "\n  tax-card:\n", f"\n  tax-card:\n    - {phrasing}\n", 1), encoding="utf-8")

    caplog.set_level(logging.INFO, logger="bot.core.encoding")
    change = await live.reload()

    assert change.loaded
    assert phrasing in live.assistant.kb.packs["en"].phrasings["tax-card"]
    assert before.semantic is not None
    assert live.assistant.semantic is not None
    assert live.assistant.semantic is not before.semantic  # trained again, with the phrasing
    assert live.assistant.semantic.encoder is before.semantic.encoder  # loaded once
    assert "Encoding 1 new message(s)." in caplog.messages
