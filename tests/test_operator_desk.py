"""The coordinator's desk in Telegram: /reload, /stats, /unanswered; and nobody else's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path

from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED
from bot.core.live_content import LiveContent
from bot.telegram_channel import operator_desk
from tests.booking_support import COACH_IDS, COORDINATOR, COORDINATOR_CHAT
from tests.conftest import CONTENT, LANGUAGES
from tests.loopback_api import Upload
from tests.operator_support import desk, lexical, sent_to
from tests.test_reports import assert_valid_png

STAFF = "fi"
"""The coach_language of examples/coaches.yaml: coordinators read Finnish."""


@LANGUAGES
async def test_coordinator_commands_refuse_everyone_else(tmp_path: Path, assistant: Assistant,
                                                        lang: str) -> None:
    refusal = assistant.kb.packs[lang].text("coordinators_only")
    async with desk(tmp_path, assistant) as bot:
        for sender in (7001, COACH_IDS["amina"]):  # a person, and a coach who is no coordinator
            await bot.process(bot.api.user_sends_text(sender, "/language", language_code=lang))
            await bot.app.bot_data["services"].database.set_language(sender, lang)
            for command in ("reload", "stats", "unanswered"):
                calls = await bot.commands(sender, command, lang)
                assert [c.params["text"] for c in sent_to(calls, sender)] == [refusal]
                assert not [c for c in calls if c.method in ("sendPhoto", "sendDocument")]
        assert bot.errors == []


async def test_stats_sends_this_months_figures_the_chart_and_the_csv(
        tmp_path: Path, assistant: Assistant) -> None:
    async with desk(tmp_path, assistant) as bot:
        for person, lang in ((7101, "so"), (7102, "so"), (7103, "ru")):
            question = assistant.kb.entry("tax-card", lang).questions[0]
            await bot.says(person, question, lang)
        # Written in English, so counted and answered in English.
        await bot.says(7101, "what is the weather on the moon tomorrow", "so")

        calls = await bot.commands(COORDINATOR, "stats", STAFF)

        (summary,) = sent_to(calls, COORDINATOR)
        text = summary.result["text"]
        assert text.startswith("📊 Luvut: ")
        assert "Keskusteluja: 3 · ihmisiä: 3" in text
        assert "Viestejä: 4 (en 1, so 2, ru 1)" in text
        assert f"{assistant.kb.entry('tax-card', 'fi').title} 3" in text
        (photo,) = sent_to(calls, COORDINATOR, "sendPhoto")
        assert isinstance(photo.params["photo"], Upload)
        assert_valid_png(photo.params["photo"].data)
        (document,) = sent_to(calls, COORDINATOR, "sendDocument")
        rows = list(csv.reader(io.StringIO(document.params["document"].data.decode())))
        assert ["messages", "so", "2"] in rows
        assert ["topics", "tax-card", "3"] in rows
        assert bot.errors == []


async def test_unanswered_shows_groups_with_scrubbed_examples_and_nobody_in_them(
        tmp_path: Path, assistant: Assistant) -> None:
    async with desk(tmp_path, assistant) as bot:
        for person, question in ((7201, "where can I rent a kayak?"),
                                 (7202, "where to rent a kayak"), (7203, "kayak rent where")):
            await bot.says(person, f"my name is Leyla, {question} call 040 111 2233", "en",
                           first_name="Leyla")

        calls = await bot.commands(COORDINATOR, "unanswered", STAFF)

        (report,) = sent_to(calls, COORDINATOR)
        text = report.params["text"]
        assert text.startswith("<b>Kysymykset, joihin en osannut vastata (30 päivää)</b>")
        assert "3 × · en 3 · lähin aihe: " in text
        assert "[name]" in text
        assert "[phone]" in text
        assert "Leyla" not in text
        assert "040" not in text
        assert "7201" not in text
        assert bot.errors == []


async def test_a_thumbs_down_keeps_the_question_that_led_to_the_answer(
        tmp_path: Path, assistant: Assistant) -> None:
    async with desk(tmp_path, assistant) as bot:
        answer = await bot.says(7301, "How do I get a tax card? I am Bob", "en")
        await bot.taps(7301, sent_to(answer, 7301)[-1], "unhelped:tax-card")

        kept = await bot.app.bot_data["services"].usage.unanswered(
            bot.app.bot_data["services"].usage.today())

        assert [(t.reason, t.topic, t.lang) for t in kept] == [("unhelpful", "tax-card", "en")]
        assert kept[0].text.startswith("How do I get a tax card?")
        assert bot.errors == []


def mark_answers(root: Path, marker: str) -> None:
    """Append a line to the tax-card answer in every language, as an editor would."""
    for lang in SUPPORTED:
        path = root / lang / "housing_money.yaml"
        text = path.read_text(encoding="utf-8")
        start = text.index("- id: tax-card")
        answer = text.index("    answer: |\n", start) + len("    answer: |\n")
        path.write_text(text[:answer] + f"      {marker}\n" + text[answer:], encoding="utf-8")


async def answers_in_every_language(bot: object, marker: str, present: bool) -> None:
    for number, lang in enumerate(SUPPORTED):
        person = 7400 + number
        await bot.app.bot_data["services"].database.set_language(person, lang)
        menu = await bot.commands(person, "menu", lang)
        category = await bot.taps(person, sent_to(menu, person)[-1], "category:housing_money",
                                  lang)
        calls = await bot.taps(person, sent_to(category, person)[-1], "topic:tax-card", lang)
        shown = " ".join(c.params["text"] for c in sent_to(calls, person))
        assert (marker in shown) == present, (lang, shown[:200])


async def test_reload_picks_up_a_change_and_refuses_a_broken_one_while_people_keep_answers(
        tmp_path: Path, assistant: Assistant) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    live = LiveContent.serving(assistant, root, lexical)
    async with desk(tmp_path, live) as bot:
        await answers_in_every_language(bot, "LIVE-EDIT", present=False)

        mark_answers(root, "LIVE-EDIT")
        done = await bot.commands(COORDINATOR, "reload", STAFF)
        # The first line says it is live; the content's warnings, if any, follow it.
        assert sent_to(done, COORDINATOR)[0].params["text"].splitlines()[0] == \
            assistant.kb.packs[STAFF].text("reload_done")
        await answers_in_every_language(bot, "LIVE-EDIT", present=True)

        broken = root / "en" / "work.yaml"
        broken.write_text(broken.read_text(encoding="utf-8").replace("\n    title:", "\n   title:",
                                                                     1), encoding="utf-8")
        refused = await bot.commands(COORDINATOR, "reload", STAFF)
        lines = sent_to(refused, COORDINATOR)[0].params["text"].splitlines()
        assert lines[0] == assistant.kb.packs[STAFF].text("reload_refused")
        assert len(lines) == 2  # one YAML mistake, one problem
        assert re.fullmatch(rf"• {re.escape(str(broken))}:\d+: YAML syntax error: .+", lines[1])
        await answers_in_every_language(bot, "LIVE-EDIT", present=True)
        assert bot.errors == []


async def test_the_watcher_reloads_saved_files_and_tells_the_coordinator_chat(
        tmp_path: Path, assistant: Assistant) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    live = LiveContent.serving(assistant, root, lexical)
    async with desk(tmp_path, live) as bot:
        broken = root / "so" / "family.yaml"
        broken.write_text(broken.read_text(encoding="utf-8") + "\n\tbad: [\n", encoding="utf-8")

        first = len(bot.api.calls)
        await operator_desk.watch_content(bot.context())  # sees the change: waits a moment
        assert sent_to(bot.api.calls[first:], COORDINATOR_CHAT) == []
        await operator_desk.watch_content(bot.context())  # still so: checks it

        (told,) = sent_to(bot.api.calls[first:], COORDINATOR_CHAT)
        assert told.params["text"].startswith(
            assistant.kb.packs[STAFF].text("reload_refused"))
        assert f"{broken}:" in told.params["text"]
        assert live.assistant is assistant
        assert bot.errors == []


async def test_the_daily_job_deletes_unanswered_texts_past_their_days(
        tmp_path: Path, assistant: Assistant) -> None:
    async with desk(tmp_path, assistant) as bot:
        usage = bot.app.bot_data["services"].usage
        today = usage.today()
        async with usage.database.transaction() as db:
            for age in (31, 30, 29):
                day = (today - dt.timedelta(days=age)).isoformat()
                await db.execute("INSERT INTO unanswered (day, lang, reason, text) VALUES "
                                 "(?, 'fi', 'fallback', ?)", (day, f"{age} days old"))

        await operator_desk.purge_unanswered(bot.context())

        kept = [t.text for t in await usage.unanswered(today - dt.timedelta(days=365))]
        assert kept == ["30 days old", "29 days old"]
