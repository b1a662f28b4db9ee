"""Prove the loopback Bot API answers the real python-telegram-bot client like Telegram does."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.loopback_api import ApiError, Call, LoopbackBotApi, parse_html

USER = 4242


@pytest_asyncio.fixture
async def api() -> AsyncIterator[LoopbackBotApi]:
    """Serve a fresh loopback API for one test."""
    async with LoopbackBotApi() as server:
        yield server
    assert server.errors == []  # no request hit a bug in the server


def make_bot(api: LoopbackBotApi, token: str | None = None, read_timeout: float = 5.0) -> Bot:
    """Build a real PTB Bot pointed at the loopback server."""
    return Bot(
        token or api.token,
        base_url=f"{api.url}/bot",  # PTB appends the token: <url>/bot<token>/<method>
        base_file_url=f"{api.url}/file/bot",
        request=HTTPXRequest(read_timeout=read_timeout),
    )


def make_app(api: LoopbackBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build a real PTB Application pointed at the loopback server."""
    return (
        Application.builder()
        .token(api.token)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )


@asynccontextmanager
async def polling(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run the application with long polling, as the bot does in production."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=5))
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def retry_seconds(exc: RetryAfter) -> float:
    """Read RetryAfter's delay whether PTB gives it as int or timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about the int/timedelta transition
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with what the user wrote."""
    assert update.message is not None
    await update.message.reply_text(f"got: {update.message.text}")


@pytest.mark.asyncio
async def test_text_update_reaches_handler_and_reply_is_recorded(api: LoopbackBotApi) -> None:
    app = make_app(api)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(app):
        update = api.user_sends_text(USER, "hei", language_code="fi", first_name="Aino")
        [reply] = await api.wait_for("sendMessage", timeout=5)
    assert reply.params["chat_id"] == USER
    assert reply.params["text"] == "got: hei"
    assert reply.result["from"]["id"] == api.bot_user["id"]
    assert reply.result["chat"]["id"] == USER
    assert reply.result["message_id"] > update["message"]["message_id"]
    assert [m["text"] for m in api.messages_to(USER)] == ["got: hei"]
    methods = [c.method for c in api.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]  # PTB's initialize and bootstrap
    assert api.pending_updates() == 0  # the final getUpdates on stop confirmed it
    assert {c.status for c in api.calls if c.method == "getUpdates"} <= {200, 499}


@pytest.mark.asyncio
async def test_long_poll_returns_promptly_when_update_arrives(api: LoopbackBotApi) -> None:
    async with make_bot(api) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.3)
        assert not poll.done()  # the request is held, not answered empty
        pushed = time.monotonic()
        api.user_sends_text(USER, "ping")
        updates = await asyncio.wait_for(poll, 2)
        assert time.monotonic() - pushed < 1.0
        assert [u.message.text for u in updates if u.message] == ["ping"]
        [held] = [c for c in api.calls if c.method == "getUpdates"]
        assert held.time < pushed  # it arrived before the update did: a real long poll

        started = time.monotonic()
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == ()
        assert time.monotonic() - started >= 0.9  # nothing new: waits out the timeout
        assert api.pending_updates() == 0


@pytest.mark.asyncio
async def test_get_updates_offset_limit_and_allowed_updates(api: LoopbackBotApi) -> None:
    async with make_bot(api) as bot:
        for text in ("a", "b", "c"):
            api.user_sends_text(USER, text)
        first = await bot.get_updates(limit=2)
        assert [u.message.text for u in first if u.message] == ["a", "b"]
        again = await bot.get_updates()  # nothing confirmed yet: all three come again
        assert len(again) == 3
        rest = await bot.get_updates(offset=first[-1].update_id + 1)
        assert [u.message.text for u in rest if u.message] == ["c"]
        assert api.pending_updates() == 1

        await bot.get_updates(offset=rest[-1].update_id + 1, allowed_updates=["callback_query"])
        api.user_sends_text(USER, "dropped")  # not allowed any more: Telegram never keeps it
        assert await bot.get_updates() == ()
        await bot.get_updates(allowed_updates=[])  # back to the default set
        api.user_sends_text(USER, "kept")
        assert [u.message.text for u in await bot.get_updates() if u.message] == ["kept"]
        api.user_sends_text(USER, "newest")
        latest = await bot.get_updates(offset=-1)  # negative: only the last, forget the rest
        assert [u.message.text for u in latest if u.message] == ["newest"]
        assert api.pending_updates() == 1


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_simulated_updates_parse_as_ptb_objects(api: LoopbackBotApi) -> None:
    api.user_sends_command(USER, "start", "fi", language_code="ar")
    api.user_sends_voice(USER, 7)
    api.user_sends_photo(USER, caption="kuva")
    api.user_sends_document(USER, "cv.pdf")
    api.user_sends_sticker(USER)
    api.user_sends_location(USER, 65.73, 24.56)
    group = api.user_sends_text(USER, "moi", chat_id=-100500, chat_type="supergroup")
    api.user_edits_message(USER, group, "moi!")
    async with make_bot(api) as bot:
        updates = await bot.get_updates()
    msgs = [u.message for u in updates if u.message]
    assert len(msgs) == 7
    assert msgs[0].text == "/start fi"
    assert msgs[0].from_user is not None
    assert msgs[0].from_user.language_code == "ar"
    assert msgs[0].parse_entities() == {msgs[0].entities[0]: "/start"}
    assert filters.COMMAND.check_update(updates[0])
    assert msgs[1].voice is not None
    assert msgs[1].voice.duration in (7, dtm.timedelta(seconds=7))
    assert msgs[2].photo[-1].width == 800
    assert msgs[2].caption == "kuva"
    assert msgs[3].document is not None
    assert msgs[3].document.file_name == "cv.pdf"
    assert msgs[4].sticker is not None
    assert msgs[5].location is not None
    assert msgs[5].location.latitude == 65.73
    assert msgs[6].chat.type == "supergroup"
    assert msgs[6].chat.id == -100500
    edited = updates[-1].edited_message
    assert edited is not None
    assert edited.text == "moi!"
    assert edited.message_id == msgs[6].message_id
    assert [u.update_id for u in updates] == sorted({u.update_id for u in updates})


@pytest.mark.asyncio
async def test_second_poller_ends_first_with_conflict(api: LoopbackBotApi) -> None:
    async with make_bot(api) as one, make_bot(api) as two:
        first = asyncio.create_task(one.get_updates(timeout=3))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(two.get_updates(timeout=3))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        api.user_sends_text(USER, "x")
        assert len(await second) == 1


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_is_raised_and_polling_waits_it_out(api: LoopbackBotApi) -> None:
    api.user_sends_text(USER, "hello")
    async with make_bot(api) as bot:
        api.fail("sendMessage", 429, retry_after=2)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "first try")
        assert retry_seconds(caught.value) == 2
        await bot.send_message(USER, "second try")  # the injected failure was used up
    refused, sent = [c for c in api.sent if c.method == "sendMessage"]
    assert refused.injected
    assert refused.status == 429
    assert refused.response == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
        "parameters": {"retry_after": 2}}
    assert not sent.failed
    assert sent.params["text"] == "second try"

    # The updater's polling loop handles RetryAfter itself and sleeps retry_after (+0.5 s).
    app = make_app(api)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    api.fail("getUpdates", 429, retry_after=1)
    async with polling(app):
        [reply] = await api.wait_for(lambda c: c.params.get("text") == "got: hello", timeout=5)
    polls = [c for c in api.calls if c.method == "getUpdates"]
    limited = next(c for c in polls if c.injected)
    after = min(c.time for c in polls if not c.failed and c.time > limited.time)
    assert after - limited.time >= 1.0
    assert reply.time > limited.time + 1.0


@pytest.mark.asyncio
async def test_server_errors_surface_as_network_error_and_polling_retries(
    api: LoopbackBotApi,
) -> None:
    api.user_sends_text(USER, "hello")
    async with make_bot(api) as bot:
        api.fail("sendMessage", 500)
        with pytest.raises(NetworkError, match="Internal Server Error") as caught:
            await bot.send_message(USER, "x")
        assert not isinstance(caught.value, BadRequest | TimedOut)
        api.fail("sendMessage", 502)  # nginx's HTML page, which PTB cannot parse as JSON
        with pytest.raises(NetworkError, match=r"Bad Gateway \(502\)"):
            await bot.send_message(USER, "x")
        assert [c.status for c in api.sent if c.method == "sendMessage"] == [500, 502]

    app = make_app(api)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    api.fail("getUpdates", 500)
    async with polling(app):
        await api.wait_for("sendMessage", timeout=5)  # polling retried and delivered it
    assert next(c.status for c in api.calls if c.method == "getUpdates") == 500


@pytest.mark.asyncio
async def test_delay_causes_client_timeout_but_message_lands(api: LoopbackBotApi) -> None:
    api.user_sends_text(USER, "hello")
    api.delay("sendMessage", 1.0)
    async with make_bot(api, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow")
    # Like Telegram under load: the client gave up, but the message was delivered.
    assert [m["text"] for m in api.messages_to(USER)] == ["slow"]


@pytest.mark.asyncio
async def test_html_validation_matches_telegram(api: LoopbackBotApi) -> None:
    api.user_sends_text(USER, "hello")
    async with make_bot(api) as bot:
        with pytest.raises(BadRequest, match='unsupported start tag "script" at byte offset 0'):
            await bot.send_message(USER, "<script>alert(1)</script>", parse_mode="HTML")
        with pytest.raises(BadRequest, match='find end tag corresponding to start tag "b"'):
            await bot.send_message(USER, "<b>bold", parse_mode="HTML")
        with pytest.raises(BadRequest, match='expected "</i>", found "</b>"'):
            await bot.send_message(USER, "<b><i>x</b></i>", parse_mode="HTML")
        with pytest.raises(BadRequest, match='unsupported start tag "br"'):
            await bot.send_message(USER, "a<br>b", parse_mode="HTML")
        with pytest.raises(BadRequest, match='tag "span" must have class "tg-spoiler"'):
            await bot.send_message(USER, "<span>x</span>", parse_mode="HTML")
        ok = await bot.send_message(
            USER, "<b>Kela</b> &amp; <a href='https://kela.fi'>link</a> ä&#128512;<i>x</i>",
            parse_mode="HTML",
        )
    assert ok.text == "Kela & link ä😀x"
    kinds = [(e.type, e.offset, e.length) for e in ok.entities]
    assert kinds == [("bold", 0, 4), ("text_link", 7, 4), ("italic", 15, 1)]  # UTF-16 units
    assert ok.entities[1].url == "https://kela.fi"


@pytest.mark.asyncio
async def test_text_length_and_emptiness_are_checked_after_parsing(api: LoopbackBotApi) -> None:
    api.user_sends_text(USER, "hello")
    async with make_bot(api) as bot:
        await bot.send_message(USER, "a" * 4096)
        await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER, "a" * 4097)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER, "<b></b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER, "   ")


@pytest.mark.asyncio
async def test_callback_data_over_64_bytes_is_rejected(api: LoopbackBotApi) -> None:
    api.user_sends_text(USER, "hello")

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])

    async with make_bot(api) as bot:
        await bot.send_message(USER, "64 ok", reply_markup=keyboard("x" * 64))
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "65", reply_markup=keyboard("x" * 65))
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "bytes", reply_markup=keyboard("ä" * 33))  # 66 bytes
    assert [m["text"] for m in api.messages_to(USER)] == ["64 ok"]


@pytest.mark.asyncio
async def test_wrong_token_unknown_method_and_raw_protocol(api: LoopbackBotApi) -> None:
    with pytest.raises(InvalidToken):
        await make_bot(api, token="987654:WRONGtoken").get_me()
    base = f"{api.url}/bot{api.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api.url}/bot987654:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401,
                                         "description": "Unauthorized"}
        async with http.post(f"{base}/sendTeleport") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404,
                                         "description": "Not Found"}
        async with http.get(f"{base}/sendMessage", params={"chat_id": "1", "text": "x"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == "Bad Request: chat not found"
        api.user_sends_text(USER, "hello")
        body = {"chat_id": USER, "text": "json", "reply_markup": {"inline_keyboard": [[
            {"text": "A", "callback_data": "a"}]]}}
        async with http.post(f"{base}/SENDMESSAGE", json=body) as resp:  # names ignore case
            assert resp.status == 200
            assert (await resp.json())["result"]["reply_markup"] == body["reply_markup"]
        form = {"chat_id": str(USER), "text": "form", "reply_markup": "{broken"}
        async with http.post(f"{base}/sendMessage", data=form) as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == (
                "Bad Request: can't parse reply keyboard markup JSON object")
    wrong = [c for c in api.calls if c.status == 401]
    assert len(wrong) == 2
    assert all(c.failed for c in wrong)


@pytest.mark.asyncio
async def test_my_commands_round_trip_per_language_and_scope(api: LoopbackBotApi) -> None:
    async with make_bot(api) as bot:
        assert await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
        assert await bot.set_my_commands([BotCommand("start", "Aloita")], language_code="fi")
        assert await bot.set_my_commands(
            [BotCommand("kieli", "Vaihda kieli")], scope=BotCommandScopeAllPrivateChats(),
            language_code="fi",
        )
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        assert [c.description for c in await bot.get_my_commands(language_code="fi")] == [
            "Aloita"]
        private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(),
                                            language_code="fi")
        assert [c.command for c in private] == ["kieli"]
        assert await bot.get_my_commands(language_code="ar") == ()
        assert await bot.delete_my_commands(language_code="fi")
        assert await bot.get_my_commands(language_code="fi") == ()
        assert api.commands_for("")[0]["command"] == "start"
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Start!", "x")])


@pytest.mark.asyncio
async def test_button_press_reaches_callback_handler(api: LoopbackBotApi) -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"chose {query.data}")

    app = make_app(api)
    app.add_handler(CallbackQueryHandler(on_button))
    api.user_sends_text(USER, "hello")
    async with polling(app):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Fi", callback_data="lang:fi")]])
        menu = await app.bot.send_message(USER, "Language?", reply_markup=keyboard)
        [call] = [c for c in api.sent if c.method == "sendMessage"]
        with pytest.raises(ValueError, match="not on the message"):
            api.user_presses_button(USER, call, "lang:xx")
        api.user_presses_button(USER, call, "lang:fi")
        await api.wait_for("editMessageText", timeout=5)
        [answer] = await api.wait_for("answerCallbackQuery")
        with pytest.raises(BadRequest, match="Query is too old"):
            await app.bot.answer_callback_query(answer.params["callback_query_id"])
        with pytest.raises(BadRequest, match="Message is not modified"):
            await app.bot.edit_message_text("chose lang:fi", USER, menu.message_id)
    [shown] = api.messages_to(USER)
    assert shown["text"] == "chose lang:fi"
    assert "reply_markup" not in shown  # editing without reply_markup drops the keyboard


@pytest.mark.asyncio
async def test_documents_files_forward_copy_and_other_methods(api: LoopbackBotApi) -> None:
    staff = -1001234
    api.add_chat(staff, "supergroup", title="Staff")
    update = api.user_sends_text(USER, "I need help")
    voice = api.user_sends_voice(USER, data=b"voice-bytes")
    async with make_bot(api) as bot:
        doc = await bot.send_document(USER, b"hello", filename="ohje.txt",
                                      caption="<b>Ohje</b>", parse_mode="HTML")
        assert doc.document is not None
        assert doc.document.file_name == "ohje.txt"
        assert doc.caption == "Ohje"
        file = await bot.get_file(voice["message"]["voice"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"voice-bytes"
        forwarded = await bot.forward_message(staff, USER, update["message"]["message_id"])
        assert forwarded.text == "I need help"
        assert forwarded.forward_origin is not None
        copied = await bot.copy_message(staff, USER, update["message"]["message_id"])
        with pytest.raises(BadRequest, match="Message to forward not found"):
            await bot.forward_message(staff, USER, 999)
        assert await bot.send_chat_action(USER, "typing")
        with pytest.raises(BadRequest, match="Wrong parameter action"):
            await bot.send_chat_action(USER, "dancing")
        assert await bot.delete_message(USER, doc.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(USER, doc.message_id)
        chat = await bot.get_chat(staff)
        assert chat.title == "Staff"
        assert await bot.set_chat_menu_button()
        await bot.set_webhook("https://example.invalid/hook")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
        assert await bot.delete_webhook()
    [upload] = [c for c in api.sent if c.method == "sendDocument"]
    assert upload.params["document"].data == b"hello"  # multipart upload was parsed
    assert [m["message_id"] for m in api.messages_to(staff)] == [
        forwarded.message_id, copied.message_id]
    assert api.messages_to(USER) == []


@pytest.mark.asyncio
async def test_wait_for_times_out_with_a_dump(api: LoopbackBotApi) -> None:
    async with make_bot(api) as bot:
        with pytest.raises(BadRequest):
            await bot.send_message(1, "to nobody")
    with pytest.raises(TimeoutError, match=r"(?s)found 0.*sendMessage -> 400.*chat not found"):
        await api.wait_for("sendMessage", timeout=0.2)
    failed = await api.wait_for(lambda c: c.method == "sendMessage", include_failed=True)
    assert isinstance(failed[0], Call)
    assert failed[0].failed
    assert not failed[0].injected


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1))
def test_escaped_text_round_trips_through_html_parser(text: str) -> None:
    plain, entities = parse_html(html.escape(text))
    assert plain == text
    assert entities == []


def test_html_parser_folds_code_language_into_pre() -> None:
    plain, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert plain == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_html_parser_rejects_bare_angle_bracket() -> None:
    with pytest.raises(ApiError) as caught:
        parse_html("1 < 2")
    assert caught.value.code == 400
    assert caught.value.description == (
        "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2")
