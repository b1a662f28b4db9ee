"""Turn a core Reply into Telegram HTML messages and inline keyboards that Telegram accepts.

Telegram rejects a message over 4096 characters, HTML with stray `<` or `&`, and
callback data over 64 bytes; none of those can come out of here. Right-to-left
replies keep links, phone numbers and Latin words readable by isolating them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.replies import Action, Button, Reply

MAX_MESSAGE_CHARS = 4096
CHUNK_CHARS = 3800
"""Text per message before markup, leaving room for the title and isolation marks."""
MAX_CALLBACK_BYTES = 64
LANGUAGE_ACTION = "lang"
"""Callback action of the language picker; the channel's own, not a core Action."""
CHANNEL_ACTIONS = frozenset({LANGUAGE_ACTION, "bk", "mb", "al", "fg", "ct", "dc", "mt", "md",
                             "ev", "ed"})
"""The channel's own callback prefixes: booking, my booking, alerts, forget, contact,
duty chat, mentoring (person's side), mentoring desk, what's on (person's side), its desk."""

_LTR_ISOLATE, _POP_ISOLATE = "\u2066", "\u2069"
_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"').,;:!?\]]")
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
"""Latin-script letters, ä ö å é ş ... included: a Finnish word must never be cut apart."""
_MARKS = "\u0300-\u036f"
"""Combining diacritics (a decomposed ä is a + U+0308) stay inside their word."""
_LTR_RUN = re.compile(
    rf"(?:\+?\d[\d ()\-]{{4,}}\d"
    rf"|[{_LATIN}0-9][{_LATIN}{_MARKS}0-9 .,'’/\-–]*[{_LATIN}{_MARKS}0-9.])")


def reply_html(reply: Reply, source_label: str) -> list[str]:
    """Return the reply as one or more HTML messages, each within Telegram's limit."""
    chunks = split_text(reply.text, CHUNK_CHARS)
    rendered = [text_html(chunk, reply.right_to_left) for chunk in chunks]
    if reply.title:
        rendered[0] = f"<b>{html.escape(reply.title)}</b>\n\n{rendered[0]}"
    if reply.sources:
        links = "\n".join(_source_link(url, label, source_label, reply.right_to_left)
                          for url, label in zip(reply.sources, source_names(reply.sources),
                                                strict=True))
        if len(rendered[-1]) + len(links) < CHUNK_CHARS:
            rendered[-1] += "\n\n" + links
        else:
            rendered.append(links)
    return rendered


def text_html(text: str, right_to_left: bool) -> str:
    """Escape trusted content text, make links clickable, keep Latin runs readable in RTL."""
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        parts.append(_plain_html(text[position:match.start()], right_to_left))
        url = match.group(0)
        link = f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>'
        parts.append(f"{_LTR_ISOLATE}{link}{_POP_ISOLATE}" if right_to_left else link)
        position = match.end()
    parts.append(_plain_html(text[position:], right_to_left))
    return "".join(parts)


def _plain_html(text: str, right_to_left: bool) -> str:
    if not right_to_left:
        return html.escape(text, quote=False)
    pieces: list[str] = []
    position = 0
    for match in _LTR_RUN.finditer(text):
        pieces.append(html.escape(text[position:match.start()], quote=False))
        pieces.append(f"{_LTR_ISOLATE}{html.escape(match.group(0), quote=False)}{_POP_ISOLATE}")
        position = match.end()
    pieces.append(html.escape(text[position:], quote=False))
    return "".join(pieces)


def source_names(urls: Sequence[str]) -> list[str]:
    """Name each source link by its site, adding as much of the path as tells two apart."""
    parsed = [urlparse(url) for url in urls]
    hosts = [p.netloc.removeprefix("www.") for p in parsed]
    paths = [[unquote(part) for part in p.path.split("/") if part] for p in parsed]
    names = list(hosts)
    for depth in range(1, 1 + max((len(p) for p in paths), default=0)):
        clashing = {n for n in names if names.count(n) > 1}
        if not clashing:
            break
        names = [_with_path(host, path, depth) if name in clashing and path else name
                 for name, host, path in zip(names, hosts, paths, strict=True)]
    return [name if len(name) <= 60 else name[:59] + "…" for name in names]


def _with_path(host: str, path: list[str], depth: int) -> str:
    shown = "/".join(path[-depth:])
    return f"{host}/{shown}" if depth >= len(path) else f"{host}/…/{shown}"


def _source_link(url: str, name: str, label: str, right_to_left: bool) -> str:
    anchor = f'<a href="{html.escape(url, quote=True)}">{html.escape(name)}</a>'
    link = f"🔗 {html.escape(label)}: {anchor}"
    return f"{_LTR_ISOLATE}{link}{_POP_ISOLATE}" if right_to_left else link


def split_text(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Split text at paragraph, then line, then word boundaries into pieces of at most `limit`."""
    text = text.strip() or "…"
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut <= limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    pieces.append(text)
    return [p for p in pieces if p]


def callback_data(action: str, value: str = "") -> str:
    """Encode a button's action and value; raise ValueError past Telegram's 64 bytes."""
    data = f"{action}:{value}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data {data!r} is over {MAX_CALLBACK_BYTES} bytes; "
                         "use a shorter id")
    return data


def parse_callback_data(data: str | None) -> tuple[str, str] | None:
    """Decode callback data into (action, value), or None if it isn't ours."""
    if not data or ":" not in data:
        return None
    action, _, value = data.partition(":")
    known = {a.value for a in Action} | CHANNEL_ACTIONS
    return (action, value) if action in known else None


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Return the reply's buttons as an inline keyboard, or None when there are none."""
    if not rows:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(button.label[:60], callback_data=callback_data(button.action,
                                                                              button.value))
         for button in row] for row in rows])


def language_keyboard(names: dict[str, str]) -> InlineKeyboardMarkup:
    """Return the language picker: each language in its own script, two per row."""
    buttons = [InlineKeyboardButton(name, callback_data=callback_data(LANGUAGE_ACTION, code))
               for code, name in names.items()]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])
