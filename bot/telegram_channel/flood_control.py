"""Keep under Telegram's flood limits, and honour every 429 for every sender at once.

python-telegram-bot passes every Bot API call except getUpdates through its rate limiter,
which makes that the one seam where all sends can be paced and paused together:

    call ──▶ wait out pauses ──▶ chat's pace (FIFO) ──▶ overall pace ──▶ HTTP
               ▲                                                          │
               └──── 429 retry_after: pause that chat (or everything) ◀───┘

Proactive limits stay under Telegram's published ones (about one message a second in a chat,
with short bursts; 20 a minute in a group; 30 a second overall), so 429s are rare. When one
comes anyway, every send to that chat waits until `retry_after` has passed, not only the one
that was refused; a 429 without a chat, or for several chats at once, pauses everything.

A reply is then sent again (up to `retries` times; network errors and 5xx back off with
jitter). A caller with its own retry layer, the alert outbox, passes `rate_limit_args=NO_RETRY`
and gets the error at once, after the pause has been recorded for everyone else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
Sleep = Callable[[float], Coroutine[Any, Any, None]]

PRIVATE_RATE = 1.0
"""Messages a second to one private chat (Telegram: avoid more than one a second)."""
PRIVATE_BURST = 2
GROUP_RATE = 1 / 3.2
"""Messages a second to one group (Telegram: at most 20 a minute)."""
GROUP_BURST = 2
OVERALL_RATE = 28.0
"""Messages a second in all chats together (Telegram: about 30; a broadcast runs at 93 % of it)."""
OVERALL_BURST = 25
GLOBAL_SIGNS = 3
"""429s for this many chats within a second are read as a global limit: everything pauses."""


@dataclass(frozen=True)
class SendPolicy:
    """Per-call `rate_limit_args`: whether a failed call is retried here."""

    retry: bool = True
    pause_all: bool = False
    """Read a 429 as the overall limit: pause every send, not only its chat's."""


NO_RETRY = SendPolicy(retry=False)
"""For callers with their own retry layer: record a 429's pause, then raise at once."""
BROADCAST = SendPolicy(retry=False, pause_all=True)
"""For a broadcast (one message to many chats): a 429 there means the overall limit."""


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked to wait, in seconds (PTB gives int or timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Pace:
    """A token bucket whose waiters are served first come, first served."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float],
                 sleep: Sleep) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._at = float(burst), clock()
        self._clock, self._sleep = clock, sleep
        self._turn = asyncio.Lock()  # asyncio.Lock wakes its waiters in order

    async def take(self) -> None:
        """Wait until one send may go."""
        async with self._turn:
            while True:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await self._sleep((1 - self._tokens) / self.rate)

    def empty(self) -> None:
        """Start from no tokens: after a pause, sends resume at the steady pace, not a burst."""
        self._tokens, self._at = 0.0, self._clock()

    @property
    def idle(self) -> bool:
        """Tell whether the bucket is full and nobody waits (its chat may be forgotten)."""
        refilled = self._tokens + (self._clock() - self._at) * self.rate
        return refilled >= self.burst and not self._turn.locked()


class FloodControl(BaseRateLimiter[SendPolicy]):
    """Pace every send per chat and overall; a 429 pauses its chat (or everything)."""

    def __init__(self, retries: int = 5, *, paced: bool = True, base_delay: float = 0.5,
                 max_delay: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.retries, self.paced = retries, paced
        self.base_delay, self.max_delay = base_delay, max_delay
        self._clock, self._sleep = clock, sleep
        self._overall = Pace(OVERALL_RATE, OVERALL_BURST, clock, sleep)
        self._chats: dict[int | str, Pace] = {}
        self._paused: dict[int | str | None, float] = {}  # None: everything
        self._recent_429s: list[tuple[float, int | str]] = []

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: SendPolicy | None,
    ) -> JSONResult:
        """Call the Bot API in its turn; honour 429s; retry passing failures if allowed."""
        policy = rate_limit_args or SendPolicy()
        chat = _chat_of(data)
        attempt = 0
        while True:
            await self._wait_turn(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                self._pause(None if policy.pause_all else chat, wait)
                if not policy.retry or attempt >= self.retries:
                    raise
                logger.warning("Telegram asked to wait %.1f s before %s", wait, endpoint)
            except (BadRequest, Forbidden, InvalidToken, Conflict, ChatMigrated):
                raise  # the request itself is wrong: it would fail again
            except NetworkError as exc:  # includes timeouts and 5xx answers
                if not policy.retry or attempt >= self.retries:
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** attempt)
                delay *= random.uniform(0.5, 1.5)
                logger.warning("%s failed (%s); retry %d in %.1f s", endpoint,
                               type(exc).__name__, attempt + 1, delay)
                await self._sleep(delay)
            attempt += 1

    def paused_for(self, chat: int | str | None) -> float:
        """Return the seconds left before a send to `chat` may go (0 when it may)."""
        until = max(self._paused.get(None, 0.0),
                    self._paused.get(chat, 0.0) if chat is not None else 0.0)
        return max(0.0, until - self._clock())

    async def _wait_turn(self, chat: int | str | None) -> None:
        while True:
            wait = self.paused_for(chat)
            if wait > 0:
                await self._sleep(wait)
                continue
            if self.paced and chat is not None:
                await self._pace_of(chat).take()
                await self._overall.take()
            if self.paused_for(chat) <= 0:  # no 429 came while we waited for our turn
                return

    def _pace_of(self, chat: int | str) -> Pace:
        pace = self._chats.get(chat)
        if pace is None:
            if len(self._chats) > 5000:  # forget chats that are quiet again
                self._chats = {k: v for k, v in self._chats.items() if not v.idle}
            group = isinstance(chat, str) or chat < 0
            pace = self._chats[chat] = Pace(GROUP_RATE if group else PRIVATE_RATE,
                                            GROUP_BURST if group else PRIVATE_BURST,
                                            self._clock, self._sleep)
        return pace

    def _pause(self, chat: int | str | None, seconds: float) -> None:
        now = self._clock()
        until = now + seconds
        if chat is not None:
            self._recent_429s = [(t, c) for t, c in self._recent_429s if now - t < 1.0]
            self._recent_429s.append((now, chat))
            if len({c for _, c in self._recent_429s}) >= GLOBAL_SIGNS:
                chat = None  # several chats at once: it is the overall limit
        self._paused[chat] = max(self._paused.get(chat, 0.0), until)
        if chat is None:
            self._overall.empty()
        else:
            self._pace_of(chat).empty()
        self._paused = {k: v for k, v in self._paused.items() if v > now}


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat = data.get("chat_id")
    if chat is None or isinstance(chat, int):
        return chat
    try:
        return int(chat)
    except (TypeError, ValueError):
        return str(chat)  # an @username
