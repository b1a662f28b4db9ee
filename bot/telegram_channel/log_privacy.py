"""Logging that never prints the token, message texts, names or notes, at any level.

One filter sits on every handler of the root logger, so it sees every record of every
library (telegram.ext, httpx, aiosqlite, apscheduler, tornado ...) before it is written:

- the bot token and the webhook secret, and anything shaped like a bot token, are replaced
  by `<secret>` wherever they appear;
- a library's log arguments (an Update, the parameters of a call, SQL parameters and rows)
  are shown as their type only, `<Update>`, `<dict>`; numbers and Bot API method names stay;
- a traceback keeps its frames and the exception's type, but the message only for errors
  whose messages come from Telegram, the network or SQLite, never from people's input.

Our own modules (`bot.*`) log ids, counts and types, never people's words; their arguments
are kept, and still pass the secret redaction.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import traceback
from collections.abc import Iterable
from types import TracebackType

import httpx
from telegram import Bot
from telegram.error import TelegramError

OWN_LOGGERS = ("bot.", "__main__")
SECRET = "<secret>"
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")
_METHOD_NAMES = frozenset(n for n in dir(Bot) if re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", n))
_TELLING_ERRORS = (TelegramError, OSError, sqlite3.Error, httpx.HTTPError)
"""Exceptions whose messages may be logged: they come from Telegram, the network or SQLite."""
_NOISE = ("telegram.request.BaseRequest", "Can not load invalid JSON data")
"""PTB logs an nginx error page at ERROR with a traceback; the NetworkError after it is ours."""


class PrivateLogFilter(logging.Filter):
    """Rewrite each record so that no secret and no personal text reaches the output."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted((s for s in secrets if len(s) >= 8), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        own = record.name.startswith(OWN_LOGGERS)
        if not own:
            if not isinstance(record.msg, str):
                record.msg = _shown(record.msg)
            record.args = _shown_args(record.args)
        if record.name == _NOISE[0] and str(record.msg).startswith(_NOISE[1]):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = None
        record.msg, record.args = self._redact(record.getMessage()), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._redact(_traceback(record.exc_info[1]))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, SECRET)
        return _TOKEN_SHAPE.sub(SECRET, text)


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, through the privacy filter. httpx's request lines, and
    below DEBUG the scheduler's line for every job run (several a second), stay out."""
    chosen = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=chosen)
    privacy = PrivateLogFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(privacy)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    if chosen > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _shown(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and value in _METHOD_NAMES:
        return value
    if isinstance(value, type):  # a class name is code, not data
        return value.__name__
    return f"<{type(value).__name__}>"


def _shown_args(args: object) -> tuple[object, ...] | dict[str, object] | None:
    if not args:
        return None
    if isinstance(args, dict):
        return {key: _shown(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(_shown(value) for value in args)
    return (_shown(args),)


def _traceback(error: BaseException) -> str:
    """Render a traceback with its chain, leaving out messages that may hold user input."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    parts = []
    for exc in reversed(chain):
        frames = "".join(traceback.format_tb(_tb(exc)))
        parts.append(f"Traceback (most recent call last):\n{frames}{_headline(exc)}")
    return "\n\nwhich led to\n\n".join(parts)


def _tb(error: BaseException) -> TracebackType | None:
    return error.__traceback__


def _headline(error: BaseException) -> str:
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if isinstance(error, _TELLING_ERRORS):
        return f"{name}: {error}"
    return f"{name} (message left out: it may hold user input)"
