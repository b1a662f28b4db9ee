"""Loopback Telegram Bot API server for tests and benchmarks.

``LoopbackBotApi`` is an aiohttp server on 127.0.0.1 that speaks the Bot API HTTP protocol:
``/bot<token>/<method>`` over GET or POST, parameters as query string, JSON, form-urlencoded or
multipart, answers wrapped in ``{"ok": ...}`` envelopes with Telegram's status codes and wording.
The real python-telegram-bot stack runs against it unchanged (``base_url=f"{url}/bot"``). Tests
play the users (``user_sends_text`` ...), inspect what the bot called (``sent``, ``wait_for``)
and inject failures at the HTTP level: queued ones (``fail``, ``delay``), a plan that decides
every call's fate (``inject``), Telegram's flood limits with 429s (``limit_rate``), an unreachable
server whose connections are reset (``go_offline``), and webhook delivery through a reverse proxy
(``push_webhooks_via``).

What it is not: a Telegram clone. It keeps only the state a bot's tests need (chats it has seen,
messages, open callback queries, commands, one update queue), serves only the methods in
``_METHODS`` and validates what Telegram rejects most often: text length and emptiness, HTML
entities, button data, reply markup, unknown chats and messages. MarkdownV2 passes unchecked,
leading and trailing whitespace is not trimmed, and no rate limit applies unless injected.

Run standalone for benchmarks: ``python -m tests.loopback_api --port 8081 --token 123:ABC``; a
driver then plays users with ``POST /_loopback/<user_sends_...>`` (JSON keyword arguments) and
reads ``GET /_loopback/calls``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import math
import re
import signal
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypedDict, Unpack

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
DEFAULT_TOKEN = "123456789:AAloopbackTestTokenForOhjaamoBot"
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_PHRASES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
    404: "Not Found", 409: "Conflict", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}
# Form and query values arrive as strings; these are decoded so recorded params look like JSON.
_INT_PARAMS = frozenset({
    "chat_id", "from_chat_id", "message_id", "offset", "limit", "timeout", "cache_time",
    "message_thread_id", "reply_to_message_id", "max_connections",
})
_BOOL_PARAMS = frozenset({
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "allow_sending_without_reply", "disable_content_type_detection", "disable_web_page_preview",
})
_JSON_PARAMS = {
    "reply_markup": "reply keyboard markup", "entities": "entities",
    "caption_entities": "caption entities", "allowed_updates": "allowed updates",
    "commands": "bot commands", "scope": "bot command scope", "menu_button": "menu button",
    "link_preview_options": "link preview options", "reply_parameters": "reply parameters",
}
_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[^\s>]*")  # tdlib reads a tag name up to a space or '>'
_ATTR_RE = re.compile(r"""([^\s=>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_BUTTON_ACTIONS = frozenset({
    "url", "callback_data", "web_app", "login_url", "switch_inline_query", "pay",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game",
})
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# Telegram leaves these out unless a bot asks for them in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONTENT = ("text", "entities", "caption", "caption_entities", "document", "photo", "voice",
            "sticker", "location")


class ApiError(Exception):
    """Carry one Bot API error answer."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> JSON:
        """Return the error envelope exactly as Telegram shapes it."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class Upload:
    """Hold a file the bot uploaded as multipart/form-data."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Call:
    """Record one request the bot made, whether it succeeded or not."""

    method: str
    params: JSON
    time: float  # time.monotonic() when the request arrived
    status: int = 0  # 499 if the client hung up before the answer was ready
    response: JSON = field(default_factory=dict)
    injected: bool = False  # the failure came from fail(), not from validation

    @property
    def failed(self) -> bool:
        """Tell whether the bot got an error answer."""
        return self.status != 200

    @property
    def result(self) -> Any:
        """Return the ``result`` the bot received, if any."""
        return self.response.get("result")


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    description: str | None


@dataclass(frozen=True)
class Fault:
    """The fate of one call, as a fault plan decides it (see ``LoopbackBotApi.inject``).

    With ``status`` the call fails without effect after ``hold`` seconds; without it the call
    takes effect and its answer is held ``hold`` seconds (longer than the client's read timeout
    makes a timeout after Telegram accepted the message).
    """

    status: int | None = None
    hold: float = 0.0
    retry_after: int | None = None


FaultPlan = Callable[[Call], "Fault | None"]
"""Decide a call's fate from its method and parameters; None answers it normally."""

# Sends that Telegram's flood limits count, per chat and overall.
_LIMITED = frozenset({"sendMessage", "sendDocument", "forwardMessage", "copyMessage",
                      "editMessageText", "sendPhoto", "sendVoice"})


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """Take one token; return 0, or the seconds until one is free (nothing taken)."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class _RateLimits:
    per_chat: float
    chat_burst: int
    overall: float
    overall_burst: int
    chats: dict[int, _Bucket] = field(default_factory=dict)
    blocked: dict[int, float] = field(default_factory=dict)  # chat -> end of its retry_after
    total: _Bucket | None = None


class Sender(TypedDict, total=False):
    """Describe who sends a simulated message and where."""

    chat_id: int | None
    language_code: str | None
    chat_type: str
    first_name: str
    last_name: str
    username: str
    title: str
    message_thread_id: int


def _u16(text: str) -> int:
    # Entity offsets and lengths are counted in UTF-16 code units, as in Telegram.
    return len(text.encode("utf-16-le")) // 2


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return _HTML_NAMED[match.group(1)]
        code = int(match.group(2), 10) if match.group(2) else int(match.group(3), 16)
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)

    # Other named entities (e.g. &nbsp;) stay literal text, as in tdlib.
    return _HTML_ENTITY_RE.sub(one, text)


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Turn Telegram-flavoured HTML into plain text and entities, failing like Telegram."""

    def fail(reason: str) -> ApiError:
        return _bad(f"can't parse entities: {reason}")

    def at(index: int) -> int:
        return len(source[:index].encode())  # tdlib reports byte offsets into the UTF-8 text

    parts: list[str] = []
    length = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSON] = []
    i = 0
    while i < len(source):
        lt = source.find("<", i)
        if chunk := _unescape(source[i:] if lt < 0 else source[i:lt]):
            parts.append(chunk)
            length += _u16(chunk)
        if lt < 0:
            break
        if source.startswith("</", lt):
            end = source.find(">", lt)
            if end < 0:
                raise fail(f"Unclosed end tag at byte offset {at(lt)}")
            name = source[lt + 2 : end].strip().lower()
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {at(lt)}")
            tag, start, attrs = stack.pop()
            if name != tag:
                raise fail(f'Unmatched end tag at byte offset {at(lt)}, expected "</{tag}>", '
                           f'found "</{name}>"')
            _close_tag(tag, attrs, start, length, stack, entities)
            i = end + 1
            continue
        name_match = _TAG_NAME_RE.match(source, lt + 1)
        name = name_match.group().lower() if name_match else ""
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {at(lt)}')
        pos, attrs = lt + 1 + len(name), {}
        while True:
            while pos < len(source) and source[pos].isspace():
                pos += 1
            if pos < len(source) and source[pos] == ">":
                break
            attr = _ATTR_RE.match(source, pos)
            if pos >= len(source) or attr is None:
                raise fail(f"Unclosed start tag at byte offset {at(lt)}")
            value = next((g for g in attr.groups()[1:] if g is not None), "")
            attrs[attr.group(1).lower()] = _unescape(value)
            pos = attr.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at(lt)}')
        stack.append((name, length, attrs))
        i = pos + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parts), entities


def _close_tag(tag: str, attrs: dict[str, str], start: int, end: int,
               stack: list[tuple[str, int, dict[str, str]]], entities: list[JSON]) -> None:
    if end == start:
        return  # Telegram drops empty entities
    entity: JSON = {"type": _HTML_TAGS[tag], "offset": start, "length": end - start}
    if tag == "a":
        if not attrs.get("href"):
            return
        entity["url"] = attrs["href"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and stack and stack[-1][0] == "pre" and attrs.get(
        "class", ""
    ).startswith("language-"):
        stack[-1][2][" language"] = attrs["class"][len("language-"):]  # <pre><code> folds
        return
    elif tag == "pre" and " language" in attrs:
        entity["language"] = attrs[" language"]
    entities.append(entity)


def _coerce(params: JSON) -> JSON:
    out = dict(params)
    for key, value in params.items():
        if not isinstance(value, str):
            continue
        if key in _JSON_PARAMS:
            try:
                out[key] = json.loads(value)
            except ValueError:
                raise _bad(f"can't parse {_JSON_PARAMS[key]} JSON object") from None
        elif key in _INT_PARAMS and re.fullmatch(r"-?\d+", value.strip()):
            out[key] = int(value)
        elif key in _BOOL_PARAMS:
            out[key] = value.strip().lower() in ("true", "1")
    return out


def _int(params: JSON, key: str, default: int | None = None) -> int:
    value = params.get(key)
    if value is None or value == "":
        if default is None:
            raise _bad(f"{key} is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid {key} specified") from None


def _check_markup(markup: Any) -> JSON | None:
    """Validate reply_markup like Telegram; return it if it is an inline keyboard to keep."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise _bad("can't parse reply keyboard markup JSON object")
        return None  # reply keyboards are shown but never echoed back in Message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of '
                   "Arrays")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not _BUTTON_ACTIONS & button.keys():
            raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the "
                       "inline keyboard")
        data = button.get("callback_data")
        if "callback_data" in button and not (
            isinstance(data, str) and 1 <= len(data.encode()) <= 64
        ):
            raise _bad("BUTTON_DATA_INVALID")
        if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
            raise _bad("BUTTON_URL_INVALID")
    return {"inline_keyboard": rows} if any(rows) else None


def _as_message(message: Any) -> Mapping[str, Any]:
    if isinstance(message, Call):
        message = message.result
    if hasattr(message, "to_dict"):  # a PTB Message or Update
        message = message.to_dict()
    found: Mapping[str, Any] = message.get("message", message)  # an Update holds its message
    return found


def _image_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG or JPEG, or refuse it as Telegram does."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:3] == b"\xff\xd8\xff":
        position = 2
        while position + 9 < len(data):  # walk the segments to a start-of-frame marker
            marker, length = data[position + 1], int.from_bytes(data[position + 2:position + 4],
                                                                "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return (int.from_bytes(data[position + 7:position + 9], "big"),
                        int.from_bytes(data[position + 5:position + 7], "big"))
            position += 2 + length
    raise _bad("IMAGE_PROCESS_FAILED")


def _button_data(message: Mapping[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for b in itertools.chain.from_iterable(rows)
            if "callback_data" in b]


def _chat_key(params: Mapping[str, Any]) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


class LoopbackBotApi:
    """Serve the Telegram Bot API on loopback, play users and record what the bot calls."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, host: str = "127.0.0.1", port: int = 0,
                 bot_username: str = "ohjaamo_test_bot",
                 bot_first_name: str = "Ohjaamo (test)") -> None:
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token, self.host, self.port = token, host, port
        self.bot_user: JSON = {"id": int(token.split(":")[0]), "is_bot": True,
                               "first_name": bot_first_name, "username": bot_username}
        self.calls: list[Call] = []
        self.errors: list[Exception] = []  # bugs in this server, answered as 500; assert empty
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._last_message_id: dict[int, int] = {}
        self._updates: list[JSON] = []
        self._allowed: set[str] | None = None
        self._poller: asyncio.Future[bool] | None = None
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._files: dict[str, tuple[JSON, str, bytes]] = {}  # file_id -> (meta, path, data)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self.topics: dict[tuple[int, int], JSON] = {}  # (chat, thread) -> name, closed
        self.menu_buttons: dict[int | None, JSON] = {}
        self.webhook_url = ""
        self._failures: dict[str, deque[_Failure]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._plan: FaultPlan | None = None
        self._limits: _RateLimits | None = None
        self._offline = False
        self._blocked_by: set[int] = set()  # users who blocked the bot
        self._open: set[asyncio.BaseTransport] = set()  # connections of requests in progress
        self._webhook_via = ""
        self._webhook_secret = ""
        self._pusher: asyncio.Task[None] | None = None
        self.webhook_posts: list[tuple[str, int]] = []  # (path, status) of each webhook POST
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Callable[[JSON], Any]]] = {
            name.lower(): (name, getattr(self, "_api_" + name)) for name in _METHODS
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving; ``url`` is valid afterwards."""
        app = web.Application(client_max_size=64 * 1024 * 1024)  # uploads reach 50 MB
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/_loopback/{action}", self._handle_control)
        # Cancel handlers whose client hung up, as Telegram forgets an abandoned long poll
        # instead of answering it 409 when the next getUpdates arrives. A short shutdown
        # timeout: held long polls are woken in stop() anyway.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0,
                                     handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Wake held requests and stop serving."""
        self._closing.set()
        self._wake_poller(True)
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LoopbackBotApi:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Return the server root; the bot calls ``<url>/bot<token>/<method>``."""
        return f"http://{self.host}:{self.port}"

    # -- simulated users -------------------------------------------------------------------

    def user_sends_text(self, user_id: int, text: str, **sender: Unpack[Sender]) -> JSON:
        """Queue a text message from a user and return its Update."""
        return self._user_message(user_id, sender, text=text)

    def user_sends_command(self, user_id: int, command: str, args: str = "",
                           **sender: Unpack[Sender]) -> JSON:
        """Queue ``/command args`` with its bot_command entity and return its Update."""
        head = "/" + command.lstrip("/")
        entity = {"type": "bot_command", "offset": 0, "length": _u16(head)}
        text = f"{head} {args}" if args else head
        return self._user_message(user_id, sender, text=text, entities=[entity])

    def user_presses_button(self, user_id: int, message: Mapping[str, Any] | Call | Any,
                            callback_data: str, **sender: Unpack[Sender]) -> JSON:
        """Queue a callback_query for a button on a bot message (dict, Call or PTB Message)."""
        sent = _as_message(message)
        stored = self._messages.get((sent["chat"]["id"], sent["message_id"]))
        if stored is None or stored["from"]["id"] != self.bot_user["id"]:
            raise ValueError(f"no live bot message {sent['message_id']} in {sent['chat']['id']}")
        if callback_data not in _button_data(stored):
            raise ValueError(f"{callback_data!r} is not on the message; it has "
                             f"{_button_data(stored)}")
        query_id = str(10**9 + next(self._ids))
        self._open_queries.add(query_id)
        query = {"id": query_id, "from": self._user(user_id, sender), "message": stored,
                 "chat_instance": str(stored["chat"]["id"]), "data": callback_data}
        return self._queue("callback_query", query)

    def user_sends_crafted_callback(self, user_id: int, message: Mapping[str, Any] | Call | Any,
                                    callback_data: str, **sender: Unpack[Sender]) -> JSON:
        """Queue a callback_query with data that no button carries, as a modified client can."""
        sent = _as_message(message)
        stored = self._messages.get((sent["chat"]["id"], sent["message_id"]))
        if stored is None:
            raise ValueError(f"no message {sent['message_id']} in {sent['chat']['id']}")
        query_id = str(10**9 + next(self._ids))
        self._open_queries.add(query_id)
        query = {"id": query_id, "from": self._user(user_id, sender), "message": stored,
                 "chat_instance": str(stored["chat"]["id"]), "data": callback_data}
        return self._queue("callback_query", query)

    def user_sends_voice(self, user_id: int, duration: int = 2, *, data: bytes = b"OggS",
                         **sender: Unpack[Sender]) -> JSON:
        """Queue a voice message (its file downloadable through getFile)."""
        voice = self._add_file("voice", data, "oga") | {"duration": duration,
                                                        "mime_type": "audio/ogg"}
        return self._user_message(user_id, sender, voice=voice)

    def user_sends_photo(self, user_id: int, *, caption: str | None = None,
                         data: bytes = b"\xff\xd8\xff", **sender: Unpack[Sender]) -> JSON:
        """Queue a photo (two sizes, like Telegram) with an optional caption."""
        photo = [self._add_file("photo", data, "jpg") | {"width": w, "height": w}
                 for w in (90, 800)]
        return self._user_message(user_id, sender, photo=photo, caption=caption)

    def user_sends_document(self, user_id: int, file_name: str = "document.pdf", *,
                            data: bytes = b"%PDF-1.4", mime_type: str = "application/pdf",
                            caption: str | None = None, **sender: Unpack[Sender]) -> JSON:
        """Queue a document with an optional caption."""
        document = self._add_file("document", data, file_name.rpartition(".")[2] or "bin")
        document |= {"file_name": file_name, "mime_type": mime_type}
        return self._user_message(user_id, sender, document=document, caption=caption)

    def user_sends_sticker(self, user_id: int, emoji: str = "👍",
                           **sender: Unpack[Sender]) -> JSON:
        """Queue a regular sticker."""
        sticker = self._add_file("sticker", b"RIFF", "webp") | {
            "type": "regular", "width": 512, "height": 512, "is_animated": False,
            "is_video": False, "emoji": emoji}
        return self._user_message(user_id, sender, sticker=sticker)

    def user_sends_location(self, user_id: int, latitude: float, longitude: float,
                            **sender: Unpack[Sender]) -> JSON:
        """Queue a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, sender, location=location)

    def user_edits_message(self, user_id: int, message: Mapping[str, Any] | Any,
                           text: str) -> JSON:
        """Queue an edited_message for a text the user sent earlier (message or its Update)."""
        original = _as_message(message)
        stored = self._messages.get((original["chat"]["id"], original["message_id"]))
        if stored is None or stored["from"]["id"] != user_id:
            raise ValueError(f"user {user_id} has no message {original['message_id']}")
        stored.pop("entities", None)
        stored.update(text=text, edit_date=int(time.time()))
        return self._queue("edited_message", stored)

    def add_chat(self, chat_id: int, chat_type: str = "private", *, title: str = "Test group",
                 first_name: str = "Test", username: str | None = None,
                 is_forum: bool = False) -> JSON:
        """Make a chat known so the bot may write to it before anyone there speaks.

        A supergroup with ``is_forum`` has topics, as when an admin turns Topics on.
        """
        chat: JSON = {"id": chat_id, "type": chat_type}
        chat |= {"first_name": first_name} if chat_type == "private" else {"title": title}
        if is_forum or self._chats.get(chat_id, {}).get("is_forum"):
            chat["is_forum"] = True
        if username:
            chat["username"] = username
        self._chats[chat_id] = chat
        return copy.deepcopy(chat)

    def user_blocks_bot(self, user_id: int) -> None:
        """The user blocks the bot: every later send to their chat is refused with 403
        "Forbidden: bot was blocked by the user", as Telegram answers."""
        self._blocked_by.add(user_id)

    # -- inspection ------------------------------------------------------------------------

    @property
    def sent(self) -> list[Call]:
        """Return every recorded call except the getUpdates polling, in completion order."""
        return [c for c in self.calls if c.method != "getUpdates"]

    def messages_to(self, chat_id: int) -> list[JSON]:
        """Return the bot's messages now in a chat (edits applied, deleted ones gone)."""
        return [copy.deepcopy(m) for (chat, _), m in sorted(self._messages.items())
                if chat == chat_id and m["from"]["id"] == self.bot_user["id"]]

    def pending_updates(self) -> int:
        """Count updates not yet confirmed by the bot (a later getUpdates offset confirms)."""
        return len(self._updates)

    def commands_for(self, language_code: str = "",
                     scope: Mapping[str, Any] | None = None) -> list[JSON]:
        """Return the commands set for exactly this scope and language."""
        return copy.deepcopy(self._commands.get(self._command_key(scope, language_code), []))

    # The timeout parameter is the agreed API, like asyncio.wait_for's; hence the noqa.
    async def wait_for(
        self, what: str | Callable[[Call], bool], count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
        *, include_failed: bool = False,
    ) -> list[Call]:
        """Wait until ``count`` matching calls are recorded and return the first ``count``."""
        match = (lambda c: c.method.lower() == what.lower()) if isinstance(what, str) else what
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed  # grab before looking, so no record slips between
            hits = [c for c in self.calls if (include_failed or not c.failed) and match(c)]
            if len(hits) >= count:
                return hits[:count]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._dump(what, count, len(hits), timeout))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _dump(self, what: object, count: int, found: int, timeout: float) -> str:
        name = what if isinstance(what, str) else getattr(what, "__name__", repr(what))
        polls = len(self.calls) - len(self.sent)
        lines = [f"waited {timeout}s for {count} x {name}, found {found}; "
                 f"{polls} getUpdates calls, {self.pending_updates()} pending updates, "
                 f"server errors {self.errors!r}; calls:"]
        for c in self.sent[-40:]:
            flag = " (injected)" if c.injected else ""
            params = json.dumps(c.params, default=repr, ensure_ascii=False)[:200]
            error = "" if not c.failed else f" {c.response.get('description')}"
            lines.append(f"  {c.method} -> {c.status}{flag}{error} {params}")
        return "\n".join(lines)

    # -- failure injection -----------------------------------------------------------------

    def fail(self, method: str, status: int = 429, *, times: int = 1,
             retry_after: int | None = None, description: str | None = None) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail with ``status``."""
        # 429 always carries parameters.retry_after, so default it. 502-504 without a
        # description answer nginx's HTML page, as Telegram's front end does; others JSON.
        if status == 429 and retry_after is None:
            retry_after = 1
        queue = self._failures.setdefault(method.lower(), deque())
        queue.extend(_Failure(status, retry_after, description) for _ in range(times))

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the answers of the next ``times`` calls of ``method`` after they took effect."""
        self._delays.setdefault(method.lower(), deque()).extend([seconds] * times)

    def clear_failures(self) -> None:
        """Drop every queued failure and delay, the fault plan and the rate limits."""
        self._failures.clear()
        self._delays.clear()
        self._plan = None
        self._limits = None

    def inject(self, plan: FaultPlan | None) -> None:
        """Let ``plan`` decide the fate of every later call that no queued failure takes."""
        self._plan = plan

    def limit_rate(self, per_chat: float = 1.0, chat_burst: int = 3, overall: float = 30.0,
                   overall_burst: int = 30) -> None:
        """Enforce Telegram's flood limits on sends: ``per_chat`` messages/s in one chat and
        ``overall``/s in all (token buckets with the given bursts). A send over a limit, or to
        a chat still inside its retry_after, gets 429 with ``retry_after`` and takes no effect.
        """
        now = time.monotonic()
        self._limits = _RateLimits(per_chat, chat_burst, overall, overall_burst,
                                   total=_Bucket(overall, overall_burst, overall_burst, now))

    def go_offline(self) -> None:
        """Become unreachable: reset every open connection and every new one."""
        self._offline = True
        for transport in list(self._open):
            transport.abort()  # type: ignore[attr-defined]

    def go_online(self) -> None:
        """Answer requests again."""
        self._offline = False

    def push_webhooks_via(self, origin: str) -> None:
        """Deliver updates like Telegram: POST each to the webhook URL set with setWebhook,
        with its ``secret_token`` header, but to ``origin`` (e.g. a local reverse proxy's
        ``http://127.0.0.1:port``) in place of the URL's scheme and host."""
        self._webhook_via = origin.rstrip("/")
        if self._pusher is None:
            self._pusher = asyncio.create_task(self._push_webhooks())

    def sends_during_retry_after(self, grace: float = 0.25) -> list[Call]:
        """Return the sends that reached a chat inside a retry_after this server gave for it.

        A send arriving within ``grace`` seconds of the 429 was already on its way and is not
        counted (the client could not have known yet)."""
        refusals = [(c.time, _chat_key(c.params), c.response.get("parameters", {})
                     .get("retry_after", 0)) for c in self.calls if c.status == 429]
        return [c for c in self.calls if c.method in _LIMITED and any(
            chat == _chat_key(c.params) and at + grace < c.time < at + wait
            for at, chat, wait in refusals)]

    # -- HTTP plumbing ---------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        call = Call(request.match_info["method"], {}, time.monotonic())
        transport = request.transport
        if self._offline and transport is not None:
            call.injected = True  # status 0: the connection was reset, nothing answered
            self._record(call)
            transport.abort()  # type: ignore[attr-defined]
            raise asyncio.CancelledError
        if transport is not None:
            self._open.add(transport)
        try:
            return await self._answer(request, call)
        except asyncio.CancelledError:  # the client hung up (see handler_cancellation)
            if call.status == 0:
                call.status = 0 if self._offline else 499
                call.injected = self._offline
                self._record(call)
            raise
        finally:
            self._open.discard(transport)  # type: ignore[arg-type]

    async def _answer(self, request: web.Request, call: Call) -> web.StreamResponse:
        token = request.match_info["token"]
        held: float | None = None
        try:
            known = self._methods.get(call.method.lower())
            call.method = known[0] if known else call.method
            if not _TOKEN_RE.fullmatch(token):
                raise ApiError(404, "Not Found")  # Telegram: malformed token
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            call.params = await self._read_params(request)
            call.params = _coerce(call.params)
            held = self._pop(self._delays, call.method)
            failure = self._pop(self._failures, call.method)
            if failure is None and self._plan is not None and (fault := self._plan(call)):
                held = held or fault.hold
                if fault.status is not None:
                    failure = _Failure(fault.status, fault.retry_after, None)
            if failure is not None:
                call.injected = True
                return await self._injected(call, failure, held)
            self._check_rate(call)
            if call.method in _LIMITED and _chat_key(call.params) in self._blocked_by:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if known is None:
                raise ApiError(404, "Not Found")
            result = known[1](call.params)
            if inspect.isawaitable(result):
                result = await result
            call.status, call.response = 200, {"ok": True, "result": copy.deepcopy(result)}
        except ApiError as err:
            call.status, call.response = err.code, err.body()
        except Exception as exc:  # a bug here: record it so wait_for's dump shows it
            self.errors.append(exc)
            call.status = 500
            call.response = ApiError(500, f"Internal Server Error (loopback: {exc!r})").body()
        self._record(call)
        if held:
            await self._hold(held)
        return web.json_response(call.response, status=call.status)

    async def _injected(self, call: Call, failure: _Failure,
                        held: float | None) -> web.StreamResponse:
        phrase = _PHRASES.get(failure.status, "Error")
        call.status = failure.status
        html_page = failure.description is None and failure.status in (502, 503, 504)
        if failure.status == 429:
            phrase = f"Too Many Requests: retry after {failure.retry_after}"
        error = ApiError(failure.status, failure.description or phrase, failure.retry_after)
        call.response = error.body()
        self._record(call)
        if held:
            await self._hold(held)
        if html_page:
            page = (f"<html>\r\n<head><title>{failure.status} {phrase}</title></head>\r\n<body>"
                    f"\r\n<center><h1>{failure.status} {phrase}</h1></center>\r\n<hr><center>"
                    "nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")
            return web.Response(text=page, status=failure.status, content_type="text/html")
        return web.json_response(call.response, status=failure.status)

    def _check_rate(self, call: Call) -> None:
        limits, chat = self._limits, _chat_key(call.params)
        if limits is None or call.method not in _LIMITED or chat is None:
            return
        now = time.monotonic()
        wait = max(0.0, limits.blocked.get(chat, 0.0) - now)
        if not wait:
            bucket = limits.chats.setdefault(chat, _Bucket(
                limits.per_chat, limits.chat_burst, limits.chat_burst, now))
            wait = bucket.take(now)
            if not wait and limits.total is not None and (wait := limits.total.take(now)):
                bucket.tokens += 1  # refused: give the chat its token back
        if wait:
            retry_after = max(1, math.ceil(wait))
            limits.blocked[chat] = max(limits.blocked.get(chat, 0.0), now + retry_after)
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    async def _push_webhooks(self) -> None:
        async with aiohttp.ClientSession() as session:
            while not self._closing.is_set():
                if not (self.webhook_url and self._updates):
                    await asyncio.sleep(0.05)
                    continue
                update = self._updates[0]
                path = "/" + self.webhook_url.split("://", 1)[-1].partition("/")[2]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self._webhook_secret}
                try:
                    async with session.post(self._webhook_via + path, json=update,
                                            headers=headers) as response:
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                self.webhook_posts.append((path, status))
                if 200 <= status < 300 and self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                else:
                    await asyncio.sleep(0.5)  # Telegram retries a refused update later

    @staticmethod
    async def _read_params(request: web.Request) -> JSON:
        params: JSON = dict(request.query)  # Telegram also takes parameters in the URL
        if request.content_type == "application/json":
            raw = await request.read()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise _bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad("can't parse JSON object")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    params[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    params[key] = value.decode() if isinstance(value, bytes) else value
        return params

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        for _meta, file_path, data in self._files.values():
            if file_path == path:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle_control(self, request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        if action == "calls":
            rows = [{"method": c.method, "time": c.time, "status": c.status,
                     "injected": c.injected, "params": c.params} for c in self.calls]
            return web.json_response(text=json.dumps(rows, default=repr))
        if action not in _CONTROL:
            return web.json_response({"ok": False, "description": "Not Found"}, status=404)
        kwargs = await request.json() if request.can_read_body else {}
        try:
            result = getattr(self, action)(**kwargs)
        except (TypeError, ValueError, KeyError) as exc:
            return web.json_response({"ok": False, "description": repr(exc)}, status=400)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _pop(queues: Mapping[str, deque[Any]], method: str) -> Any:
        for key in (method.lower(), "*"):
            if queues.get(key):
                return queues[key].popleft()
        return None

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()
        self._changed = asyncio.Event()

    async def _hold(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # -- state helpers ---------------------------------------------------------------------

    def _user(self, user_id: int, sender: Sender) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False,
                      "first_name": sender.get("first_name", "Test")}
        for key in ("last_name", "username"):
            if sender.get(key):
                user[key] = sender.get(key)
        if (language := sender.get("language_code", "en")) is not None:
            user["language_code"] = language
        return user

    def _user_message(self, user_id: int, sender: Sender, **content: Any) -> JSON:
        chat_type = sender.get("chat_type", "private")
        chat_id = sender.get("chat_id")
        if chat_type != "private" and chat_id is None:
            raise ValueError(f"a {chat_type} chat needs chat_id")
        user = self._user(user_id, sender)
        chat_id = user_id if chat_id is None else chat_id
        known_title = self._chats.get(chat_id, {}).get("title", "Test group")
        chat = self.add_chat(chat_id, chat_type, title=sender.get("title", known_title),
                             first_name=user["first_name"], username=user.get("username"))
        thread = sender.get("message_thread_id")
        if thread is not None:
            topic = self.topics.get((chat_id, thread))
            if topic is None:
                raise ValueError(f"no topic {thread} in {chat_id}")
            # In a topic Telegram marks the message and, without an explicit reply, makes it
            # a reply to the topic's service message.
            content |= {"message_thread_id": thread, "is_topic_message": True,
                        "reply_to_message": copy.deepcopy(topic["created"])}
        return self._queue("message", self._store(chat, user, **content))

    def _store(self, chat: JSON, sender: JSON, **content: Any) -> JSON:
        chat_id = chat["id"]
        message_id = self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        message: JSON = {"message_id": message_id, "from": dict(sender), "chat": dict(chat),
                         "date": int(time.time())}
        message.update({k: v for k, v in content.items() if v is not None and v != []})
        self._messages[(chat_id, message_id)] = message
        return message

    def _queue(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        # Telegram filters by allowed_updates when the update is created, not when polled.
        wanted = kind not in _OPT_IN_UPDATES if self._allowed is None else kind in self._allowed
        if wanted:
            self._updates.append(update)
            self._wake_poller(True)
        return copy.deepcopy(update)

    def _wake_poller(self, value: bool) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(value)

    def _add_file(self, kind: str, data: bytes | str, ext: str) -> JSON:
        n = next(self._ids)
        meta = {"file_id": f"{kind}-{n}", "file_unique_id": f"u{n}"}
        body = data.encode() if isinstance(data, str) else data
        self._files[meta["file_id"]] = (meta | {"file_size": len(body)},
                                        f"{kind}s/file_{n}.{ext}", body)
        return meta | {"file_size": len(body)}

    def _chat(self, params: JSON, key: str = "chat_id") -> JSON:
        value = params.get(key)
        if value is None or value == "":
            raise _bad(f"{key} is empty")
        chat: JSON | None = None
        if isinstance(value, str) and value.startswith("@"):
            chat = next((c for c in self._chats.values() if c.get("username") == value[1:]),
                        None)
        else:
            with contextlib.suppress(TypeError, ValueError):
                chat = self._chats.get(int(value))
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _message(self, params: JSON, chat_key: str, missing: str) -> JSON:
        if "inline_message_id" in params and chat_key not in params:
            raise _bad("MESSAGE_ID_INVALID")  # inline messages are not simulated
        chat = self._chat(params, chat_key)
        if params.get("message_id") in (None, ""):
            raise _bad("message identifier is not specified")
        message = self._messages.get((chat["id"], _int(params, "message_id")))
        if message is None:
            raise _bad(missing)
        return message

    def _text(self, params: JSON, key: str = "text", limit: int = 4096) -> tuple[str, list[JSON]]:
        text = "" if params.get(key) is None else str(params[key])
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            text, entities = parse_html(text)
        elif mode in ("markdown", "markdownv2"):
            entities = []  # passed through unparsed: not validated here
        elif mode:
            raise _bad("unsupported parse_mode")
        else:
            entities = list(params.get("entities" if key == "text" else "caption_entities")
                            or [])
        if key == "text" and not text.strip():
            raise _bad("message text is empty")
        if len(text) > limit:
            raise _bad("message is too long" if key == "text" else "message caption is too long")
        return text, entities

    def _caption(self, params: JSON) -> JSON:
        if params.get("caption") in (None, ""):
            return {}
        caption, entities = self._text(params, "caption", 1024)
        return {"caption": caption, "caption_entities": entities}

    def _modify(self, message: JSON, changes: JSON) -> JSON:
        new = {k: v for k, v in changes.items() if v}
        if new == {k: message[k] for k in changes if message.get(k)}:
            raise _bad(_NOT_MODIFIED)
        for key in changes:
            message.pop(key, None)
        message.update(new, edit_date=int(time.time()))
        return message

    @staticmethod
    def _command_key(scope: Mapping[str, Any] | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    # -- Bot API methods -------------------------------------------------------------------

    def _api_getMe(self, p: JSON) -> JSON:
        return self.bot_user | {"can_join_groups": True, "can_read_all_group_messages": False,
                                "supports_inline_queries": False,
                                "can_connect_to_business": False, "has_main_web_app": False}

    async def _api_getUpdates(self, p: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset, limit = _int(p, "offset", 0), min(max(_int(p, "limit", 100), 1), 100)
        timeout = max(_int(p, "timeout", 0), 0)
        if isinstance(p.get("allowed_updates"), list):
            self._allowed = set(p["allowed_updates"]) or None
        if offset > 0:  # confirms everything below offset
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:  # keeps only the last -offset updates, forgetting the rest
            self._updates = self._updates[offset:]
        self._wake_poller(False)  # a newer getUpdates ends the held one with 409, as Telegram
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._updates and not self._closing.is_set():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._poller = poller = asyncio.get_running_loop().create_future()
            try:
                woken = await asyncio.wait_for(poller, remaining)
            except TimeoutError:
                break
            if not woken:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                    "sure that only one bot instance is running")
        return self._updates[:limit]

    def _api_setWebhook(self, p: JSON) -> bool:
        url = str(p.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self._api_deleteWebhook(p)  # honours drop_pending_updates the same way
        self.webhook_url = url
        self._webhook_secret = str(p.get("secret_token") or "")
        return True

    def _api_deleteWebhook(self, p: JSON) -> bool:
        self.webhook_url = ""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getWebhookInfo(self, p: JSON) -> JSON:
        info = {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        return info | ({"allowed_updates": sorted(self._allowed)} if self._allowed else {})

    def _api_logOut(self, p: JSON) -> bool:
        return True

    def _api_close(self, p: JSON) -> bool:
        return True

    def _api_sendMessage(self, p: JSON) -> JSON:
        chat = self._chat(p)
        text, entities = self._text(p)
        markup = _check_markup(p.get("reply_markup"))
        reply = p.get("reply_parameters") or {}
        reply_id = reply.get("message_id") or p.get("reply_to_message_id") or 0
        replied = copy.deepcopy(self._messages.get((chat["id"], int(reply_id)), {}))
        replied.pop("reply_to_message", None)  # Telegram nests replies only one level deep
        allow = reply.get("allow_sending_without_reply") or p.get("allow_sending_without_reply")
        if reply_id and not replied and not allow:
            raise _bad("message to be replied not found")
        return self._store(chat, self.bot_user, text=text, entities=entities,
                           reply_markup=markup, reply_to_message=replied or None,
                           **self._thread(chat, p))

    def _api_editMessageText(self, p: JSON) -> JSON:
        message = self._message(p, "chat_id", "message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad("message can't be edited")
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        text, entities = self._text(p)
        # Without reply_markup Telegram removes the inline keyboard, so compare it too.
        markup = _check_markup(p.get("reply_markup"))
        return self._modify(message, {"text": text, "entities": entities, "reply_markup": markup})

    def _api_editMessageReplyMarkup(self, p: JSON) -> JSON:
        message = self._message(p, "chat_id", "message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return self._modify(message, {"reply_markup": _check_markup(p.get("reply_markup"))})

    def _api_deleteMessage(self, p: JSON) -> bool:
        message = self._message(p, "chat_id", "message to delete not found")
        del self._messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _api_answerCallbackQuery(self, p: JSON) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(p.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    def _api_sendChatAction(self, p: JSON) -> bool:
        self._chat(p)
        if p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _api_sendDocument(self, p: JSON) -> JSON:
        chat, document = self._chat(p), p.get("document")
        if isinstance(document, Upload):
            name = document.filename or "document"
            meta = self._add_file("document", document.data, name.rpartition(".")[2] or "bin")
            meta |= {"file_name": name, "mime_type": document.content_type}
        elif isinstance(document, str) and document in self._files:
            meta = dict(self._files[document][0])
        elif isinstance(document, str) and re.match(r"https?://", document):
            meta = self._add_file("document", b"", "bin") | {
                "file_name": document.rstrip("/").rpartition("/")[2] or "file"}
        elif not document:
            raise _bad("there is no document in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        markup = _check_markup(p.get("reply_markup"))
        return self._store(chat, self.bot_user, document=meta, reply_markup=markup,
                           **self._caption(p), **self._thread(chat, p))

    def _api_sendPhoto(self, p: JSON) -> JSON:
        chat, photo = self._chat(p), p.get("photo")
        if isinstance(photo, Upload):
            width, height = _image_size(photo.data)  # Telegram refuses what it cannot decode
            if len(photo.data) > 10 * 1024 * 1024:
                raise _bad("file is too big")
            if width + height > 10_000 or max(width, height) > 20 * min(width, height):
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            meta = self._add_file("photo", photo.data, "png")
            sizes = [meta | {"width": width, "height": height}]
        elif isinstance(photo, str) and photo in self._files:
            sizes = [dict(self._files[photo][0]) | {"width": 1, "height": 1}]
        elif not photo:
            raise _bad("there is no photo in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        markup = _check_markup(p.get("reply_markup"))
        return self._store(chat, self.bot_user, photo=sizes, reply_markup=markup,
                           **self._caption(p))

    def _api_forwardMessage(self, p: JSON) -> JSON:
        chat = self._chat(p)
        source = self._message(p, "from_chat_id", "message to forward not found")
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT if k in source}
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        return self._store(chat, self.bot_user, forward_origin=origin, **content)

    def _api_copyMessage(self, p: JSON) -> JSON:
        chat = self._chat(p)
        source = self._message(p, "from_chat_id", "message to copy not found")
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT if k in source}
        if "caption" in p:
            content.pop("caption_entities", None)
            content |= self._caption(p)
        markup = _check_markup(p.get("reply_markup"))
        return {"message_id": self._store(chat, self.bot_user, reply_markup=markup,
                                          **content, **self._thread(chat, p))["message_id"]}

    def _thread(self, chat: JSON, p: JSON) -> JSON:
        """Place a message in a forum topic as Telegram does, or refuse like it."""
        if p.get("message_thread_id") in (None, "", 0):
            return {}
        thread = _int(p, "message_thread_id")
        topic = self.topics.get((chat["id"], thread))
        if not chat.get("is_forum") or topic is None:
            raise _bad("message thread not found")
        if topic["closed"]:
            raise _bad("TOPIC_CLOSED")
        return {"message_thread_id": thread, "is_topic_message": True}

    def _topic(self, p: JSON) -> tuple[JSON, JSON]:
        chat = self._chat(p)
        if not chat.get("is_forum"):
            raise _bad("the chat is not a forum")
        topic = self.topics.get((chat["id"], _int(p, "message_thread_id")))
        if topic is None:
            raise _bad("message thread not found")
        return chat, topic

    def _api_createForumTopic(self, p: JSON) -> JSON:
        chat = self._chat(p)
        if chat.get("type") != "supergroup" or not chat.get("is_forum"):
            raise _bad("the chat is not a forum")
        name = str(p.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise _bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        color = int(p.get("icon_color") or 7322096)
        created = self._store(chat, self.bot_user, forum_topic_created={
            "name": name, "icon_color": color})
        thread = created["message_id"]
        created |= {"message_thread_id": thread, "is_topic_message": True}
        self.topics[(chat["id"], thread)] = {"name": name, "closed": False,
                                             "created": copy.deepcopy(created)}
        return {"message_thread_id": thread, "name": name, "icon_color": color}

    def _api_editForumTopic(self, p: JSON) -> bool:
        _, topic = self._topic(p)
        name = p.get("name")
        if name is not None and not 1 <= len(str(name)) <= 128:
            raise _bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        if name is None or str(name) == topic["name"]:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic["name"] = str(name)
        return True

    def _api_closeForumTopic(self, p: JSON) -> bool:
        _, topic = self._topic(p)
        if topic["closed"]:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    def _api_reopenForumTopic(self, p: JSON) -> bool:
        _, topic = self._topic(p)
        if not topic["closed"]:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic["closed"] = False
        return True

    def _api_setMyCommands(self, p: JSON) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse bot commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._command_key(p.get("scope"), p.get("language_code"))
        self._commands[key] = [{"command": c["command"], "description": c["description"]}
                               for c in commands]
        return True

    def _api_getMyCommands(self, p: JSON) -> list[JSON]:
        return self.commands_for(p.get("language_code") or "", p.get("scope"))

    def _api_deleteMyCommands(self, p: JSON) -> bool:
        self._commands.pop(self._command_key(p.get("scope"), p.get("language_code")), None)
        return True

    def _api_setChatMenuButton(self, p: JSON) -> bool:
        chat_id = self._chat(p)["id"] if p.get("chat_id") not in (None, "") else None
        button = p.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands",
                                                                      "web_app"):
            raise _bad("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    def _api_getChatMenuButton(self, p: JSON) -> JSON:
        chat_id = self._chat(p)["id"] if p.get("chat_id") not in (None, "") else None
        return self.menu_buttons.get(chat_id) or {"type": "commands"}

    def _api_getChat(self, p: JSON) -> JSON:
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                               "premium_subscription", "gifts_from_channels"), False)
        return self._chat(p) | {"accent_color_id": 0, "max_reaction_count": 11,
                                "accepted_gift_types": gifts}

    def _api_getFile(self, p: JSON) -> JSON:
        entry = self._files.get(str(p.get("file_id") or ""))
        if entry is None:
            raise _bad("invalid file_id")
        return entry[0] | {"file_path": entry[1]}


_METHODS = (
    "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "logOut", "close",
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage",
    "answerCallbackQuery", "sendChatAction", "sendDocument", "sendPhoto", "forwardMessage",
    "copyMessage",
    "setMyCommands", "getMyCommands", "deleteMyCommands", "setChatMenuButton",
    "getChatMenuButton", "getChat", "getFile", "createForumTopic", "editForumTopic",
    "closeForumTopic", "reopenForumTopic",
)
_CONTROL = frozenset({
    "user_sends_text", "user_sends_command", "user_presses_button", "user_sends_voice",
    "user_sends_photo", "user_sends_document", "user_sends_sticker", "user_sends_location",
    "user_edits_message", "add_chat", "fail", "delay", "clear_failures", "pending_updates",
    "limit_rate", "go_offline", "go_online",
})


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with LoopbackBotApi(args.token, host=args.host, port=args.port) as api:
        print(f"loopback Bot API serving {api.url}/bot{api.token}/<method>", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Serve a loopback Bot API until killed."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
