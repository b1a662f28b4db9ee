"""The Telegram adapter, driven through the real PTB Application with a recording transport."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.languages import SUPPORTED
from bot.core.safe_text import user_text_html
from bot.storage import Database
from bot.telegram_channel.application import COMMANDS
from bot.telegram_channel.rendering import (
    split_text,
)
from tests.conftest import LANGUAGES, registry
from tests.telegram_support import (
    Bot,
    assert_telegram_accepts,
    command,
    message,
    tap,
    text,
)

# --- First contact --------------------------------------------------------------------------


@LANGUAGES
async def test_a_deep_link_preselects_the_language_and_remembers_it(bot: Bot, lang: str) -> None:
    sent = await bot.send(command(11, "start", "en", args=lang))

    pack = bot.app.bot_data["services"].assistant.kb.packs[lang]
    assert pack.text("language_set") in sent[0]["text"]
    assert pack.strings["intro"].splitlines()[0][:30] in sent[1]["text"]
    assert any(data.startswith("category:") for _, data in bot.buttons(sent[1]))
    database = Database(bot.database)
    await database.open()
    assert await database.language_of(11) == lang
    await database.close()
    assert bot.errors == []


@LANGUAGES
async def test_start_greets_in_telegrams_language_with_a_picker(bot: Bot, lang: str) -> None:
    sent = await bot.send(command(12, "start", lang))

    pack = bot.app.bot_data["services"].assistant.kb.packs[lang]
    assert pack.strings["intro"].splitlines()[0][:30] in sent[0]["text"]
    labels = [label for label, data in bot.buttons(sent[0]) if data.startswith("lang:")]
    names = {p.language_name for p in bot.app.bot_data["services"].assistant.kb.packs.values()}
    assert set(labels) == names
    assert bot.errors == []


async def test_an_unsupported_telegram_language_gets_the_picker_in_every_language(
        bot: Bot) -> None:
    sent = await bot.send(command(13, "start", "de"))

    packs = bot.app.bot_data["services"].assistant.kb.packs
    for code in SUPPORTED:
        assert packs[code].text("choose_language") in sent[0]["text"]
    assert len([d for _, d in bot.buttons(sent[0]) if d.startswith("lang:")]) == 6


@LANGUAGES
async def test_choosing_a_language_is_remembered_for_later_messages(bot: Bot, lang: str) -> None:
    await bot.send(tap(14, f"lang:{lang}", "en"))
    sent = await bot.send(text(14, "verokortti", "en"))

    assert sent[-1]["text"].count("https://") >= 1
    kb = bot.app.bot_data["services"].assistant.kb
    assert kb.entry("tax-card", lang).title in sent[-1]["text"]
    assert bot.errors == []


# --- Questions and answers ------------------------------------------------------------------


@LANGUAGES
async def test_a_question_gets_its_answer_with_buttons(bot: Bot, lang: str) -> None:
    await bot.send(tap(15, f"lang:{lang}"))
    kb = bot.app.bot_data["services"].assistant.kb
    question = kb.entry("housing-allowance", lang).questions[0]

    sent = await bot.send(text(15, question, lang))

    assert_telegram_accepts(sent)
    data = [d for _, d in bot.buttons(sent[-1])]
    assert "helped:housing-allowance" in data
    assert "unhelped:housing-allowance" in data
    assert "coach:" in data
    assert ("plain:housing-allowance" in data) == (lang != "fi")
    assert "<a href=\"https://" in sent[-1]["text"]
    assert bot.errors == []


@LANGUAGES
async def test_plain_finnish_and_feedback_buttons_work(bot: Bot, lang: str) -> None:
    await bot.send(tap(16, f"lang:{lang}"))
    kb = bot.app.bot_data["services"].assistant.kb

    plain = await bot.send(tap(16, "plain:tax-card", lang))
    await bot.send(tap(16, "helped:tax-card", lang))
    await bot.send(tap(16, "unhelped:tax-card", lang))

    assert kb.entry("tax-card", "fi").answer.splitlines()[0][:40] in plain[0]["text"]
    answered = bot.request.sent("answerCallbackQuery")
    assert answered[-1]["text"] == kb.packs[lang].text("feedback_thanks")
    database = bot.app.bot_data["services"].database
    assert (await database.feedback_counts())[("tax-card", lang)] == (1, 1)


@LANGUAGES
async def test_the_menu_reaches_every_answer_by_taps_only(bot: Bot, lang: str) -> None:
    await bot.send(tap(17, f"lang:{lang}"))
    menu = await bot.send(command(17, "menu", lang))
    reached = set()
    for _, data in bot.buttons(menu[-1]):
        category = await bot.send(tap(17, data, lang))
        reached |= {d.removeprefix("topic:") for _, d in bot.buttons(category[-1])
                    if d.startswith("topic:")}
    answer = await bot.send(tap(17, f"topic:{sorted(reached)[0]}", lang))

    assert reached == set(bot.app.bot_data["services"].assistant.kb.packs[lang].entries)
    assert "https://" in answer[-1]["text"]
    assert bot.errors == []


@LANGUAGES
async def test_a_crisis_message_gets_emergency_numbers(bot: Bot, lang: str) -> None:
    await bot.send(tap(18, f"lang:{lang}"))
    crisis = bot.app.bot_data["services"].assistant.kb.packs[lang].crisis.phrases[0]

    sent = await bot.send(text(18, crisis, lang))

    numbers = registry(bot.app.bot_data["services"].assistant)
    assert "112" in sent[0]["text"].splitlines()[0]
    assert numbers["poison_info"].number in sent[0]["text"]
    assert numbers["violence_line"].number in sent[0]["text"]
    assert "contact:" in [d for _, d in bot.buttons(sent[0])]


@LANGUAGES
async def test_voice_photo_sticker_location_get_kind_replies(bot: Bot, lang: str) -> None:
    await bot.send(tap(19, f"lang:{lang}"))
    pack = bot.app.bot_data["services"].assistant.kb.packs[lang]

    voice = await bot.send(message(19, lang, voice={"file_id": "v", "file_unique_id": "v",
                                                    "duration": 3}))
    photo = await bot.send(message(19, lang, photo=[{"file_id": "p", "file_unique_id": "p",
                                                     "width": 9, "height": 9}]))
    sticker = await bot.send(message(19, lang, sticker={
        "file_id": "s", "file_unique_id": "s", "width": 9, "height": 9, "is_animated": False,
        "is_video": False, "type": "regular"}))
    place = await bot.send(message(19, lang, location={"latitude": 65.7, "longitude": 24.5}))
    contact = await bot.send(message(19, lang, contact={"phone_number": "1", "first_name": "A"}))

    assert pack.text("voice_message").splitlines()[0][:25] in voice[0]["text"]
    assert "coach:" in [d for _, d in bot.buttons(voice[0])]
    assert pack.text("photo").splitlines()[0][:25] in photo[0]["text"]
    assert sticker
    assert place
    assert contact
    assert bot.errors == []


async def test_an_edited_question_is_answered_again(bot: Bot) -> None:
    update = text(20, "verokortti", "en")
    update["edited_message"] = {**update.pop("message"), "edit_date": 1_700_000_100}

    sent = await bot.send(update)

    assert "https://" in sent[-1]["text"]


async def test_in_a_group_the_bot_only_answers_when_addressed(bot: Bot) -> None:
    quiet = await bot.send(text(21, "what is the weather", "en", chat_type="group"))
    addressed = await bot.send(text(21, "@ohjaamo_bot hello", "en", chat_type="group",
                                    entities=[{"type": "mention", "offset": 0, "length": 12}]))

    assert quiet == []
    assert addressed
    assert any(link.startswith("https://t.me/ohjaamo_bot?start=")
                             for _, link in bot.buttons(addressed[0]))


async def test_a_long_message_is_read_and_the_reply_stays_within_limits(bot: Bot) -> None:
    sent = await bot.send(text(22, "How do I get a tax card? " + "blah " * 900, "en"))

    assert_telegram_accepts(sent)
    assert "very long" in sent[0]["text"]


@pytest.mark.parametrize("lang", ["ar", "fa"])
async def test_right_to_left_answers_keep_links_readable(bot: Bot, lang: str) -> None:
    await bot.send(tap(23, f"lang:{lang}"))

    sent = await bot.send(tap(23, "topic:tax-card", lang))

    assert '\u2066<a href="https://' in sent[-1]["text"]
    assert_telegram_accepts(sent)


async def test_commands_are_registered_in_every_language(bot: Bot) -> None:
    registered = bot.request.sent("setMyCommands")
    by_language = {params.get("language_code"): params["commands"] for params in registered}

    assert set(by_language) == {*SUPPORTED, None}
    for commands in by_language.values():
        assert [c.command if hasattr(c, "command") else c["command"] for c in commands] == \
            list(COMMANDS)


async def test_a_failing_send_gets_an_apology_and_the_bot_keeps_working(bot: Bot) -> None:
    bot.request.fail_next("sendMessage", 400, "Bad Request: chat is broken")

    sent = await bot.send(text(24, "verokortti", "en"))
    after = await bot.send(text(24, "verokortti", "en"))

    assert len(bot.errors) == 1
    bot.errors.clear()
    assert "Sorry, something went wrong" in sent[-1]["text"]
    assert "https://" in after[-1]["text"]


def test_user_text_is_escaped_and_cannot_override_direction() -> None:
    rendered = user_text_html("<b>x</b> \u202eevil\u202c & \u2066more")

    assert "<b>" not in rendered
    assert "&lt;b&gt;" in rendered
    assert "\u202e" not in rendered
    assert "\u2066more" not in rendered
    assert rendered.startswith("\u2068")
    assert rendered.endswith("\u2069")


def test_long_text_is_split_at_paragraphs_under_the_limit() -> None:
    paragraphs = [("word " * 150).strip() for _ in range(12)]

    pieces = split_text("\n\n".join(paragraphs), 1000)

    assert all(len(p) <= 1000 for p in pieces)
    assert "".join(pieces).replace(" ", "") == "".join(paragraphs).replace(" ", "")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(min_size=1, max_size=4096))
async def test_any_unicode_message_never_crashes_or_breaks_telegram_rules(
        bot: Bot, body: str) -> None:
    sent = await bot.send(text(25, body, "fa"))

    assert bot.errors == []
    assert sent
    assert_telegram_accepts(sent)
