"""Retry Telegram calls that fail for passing reasons, so no reply is lost.

python-telegram-bot passes every Bot API call through its rate limiter, which makes
that the one seam where every call can be retried: after `RetryAfter` (HTTP 429) we
wait exactly as long as Telegram asks; after network errors, timeouts and 5xx we back
off exponentially with jitter. Errors in the request itself (400 Bad Request, 403) are
never retried: they would fail again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class RetryingLimiter(BaseRateLimiter[None]):
    """Retry failed calls: wait out 429s, back off with jitter on network errors and 5xx."""

    def __init__(self, retries: int = 5, base_delay: float = 0.5, max_delay: float = 30.0,
                 sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep) -> None:
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep

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
        rate_limit_args: None,
    ) -> JSONResult:
        """Call the Bot API, retrying passing failures up to `retries` times."""
        attempt = 0
        while True:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= self.retries:
                    raise
                wait = _seconds(exc.retry_after)
                logger.warning("Telegram asked to wait %.1f s before %s", wait, endpoint)
                await self._sleep(wait)
            except BadRequest:
                raise
            except (TimedOut, NetworkError) as exc:
                # getUpdates is retried by the updater itself, with its own backoff.
                if endpoint == "getUpdates" or attempt >= self.retries:
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** attempt)
                delay *= random.uniform(0.5, 1.5)
                logger.warning("%s failed (%s); retry %d in %.1f s", endpoint,
                               type(exc).__name__, attempt + 1, delay)
                await self._sleep(delay)
            attempt += 1


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
