"""The watchdog: notice when Telegram is no longer reached, say so, and keep a heartbeat.

Contact means a getUpdates that succeeded (polling: `WatchedRequest` sees every poll), or an
update Telegram pushed to the webhook, or, in webhook mode after a quiet spell, a
getWebhookInfo saying that nothing is waiting for delivery. A long poll still within its
window counts as contact too: an idle bot is not an unreachable one.

    no contact for OHJAAMO_WATCHDOG_SECONDS ──▶ ERROR in the log; `ohjaamo health` fails
    contact again ──▶ WARNING in the log; the coordinator chat is told (through the outbox)

The job `delivery.keep_watch` checks every few seconds. It rewrites the heartbeat file
(`bot.health`) and, under systemd with `WatchdogSec=`, tells systemd it is alive while it is
healthy, so a bot whose polling died silently is restarted.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot import health
from bot.telegram_channel.ordering import UpdateLedger

logger = logging.getLogger(__name__)

POLL_TIMEOUT = 10
"""Seconds a getUpdates long poll may wait for updates (passed to run_polling)."""
OUTAGE_NOTICE = (
    "⚠️ Ohjaamo-botti ei tavoittanut Telegramia {start}–{end} ({minutes} min). Sinä aikana "
    "tulleisiin viesteihin vastataan nyt.\n"
    "⚠️ The bot could not reach Telegram from {start} to {end} ({minutes} min). Messages sent "
    "meanwhile are answered now.")
"""An operator's notice, like a log line, in Finnish and English (not editor content)."""


class Watchdog:
    """When Telegram was last reached, whether an outage is reported, and the heartbeat."""

    def __init__(self, limit: float, heartbeat: Path, mode: str = "polling",
                 poll_window: float = POLL_TIMEOUT + 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit, self.heartbeat, self.mode = limit, heartbeat, mode
        self.poll_window, self._clock = poll_window, clock
        self.interval = min(10.0, max(1.0, limit / 3))
        self.started_at = clock()
        self.last_contact: float | None = None
        self.outage_since: float | None = None
        self._polling_since: float | None = None
        self._resume_outage()

    def contact(self) -> None:
        """Note that Telegram was reached just now."""
        self.last_contact = self._clock()

    def poll_started(self) -> None:
        """Note that a getUpdates request went out."""
        self._polling_since = self._clock()

    def poll_ended(self) -> None:
        """Note that the getUpdates request ended (however it ended)."""
        self._polling_since = None

    def silent_for(self) -> float:
        """Return the seconds Telegram has not been reached (0 while a poll is in its window)."""
        now = self._clock()
        if self._polling_since is not None and now - self._polling_since < self.poll_window:
            return 0.0
        return now - (self.last_contact or self.started_at)

    def beat(self) -> health.Heartbeat:
        """Write the heartbeat file; return what it says."""
        beat = health.Heartbeat(
            written_at=self._clock(), interval=self.interval, mode=self.mode, pid=os.getpid(),
            watchdog_seconds=self.limit, last_contact_at=self.last_contact,
            unreachable_since=self.outage_since)
        try:
            health.write(self.heartbeat, beat)
        except OSError as exc:
            logger.error("cannot write the heartbeat file %s (%s)", self.heartbeat,
                         type(exc).__name__)
        return beat

    def _resume_outage(self) -> None:
        """Continue an outage the previous process reported (a restart during it)."""
        try:
            earlier = health.read(self.heartbeat)
        except health.HeartbeatError:
            return
        if earlier.unreachable_since and self.started_at - earlier.written_at < 24 * 3600:
            self.outage_since = earlier.unreachable_since


class WatchedRequest(BaseRequest):
    """The getUpdates transport: the real one, telling the watchdog about every poll.

    With a ledger, a poll first waits (briefly) until the updates of earlier polls are handled,
    since its offset confirms them to Telegram: a kill in between loses none of them.
    """

    def __init__(self, inner: BaseRequest, watchdog: Watchdog,
                 ledger: UpdateLedger | None = None) -> None:
        self.inner, self.watchdog, self.ledger = inner, watchdog, ledger

    @property
    def read_timeout(self) -> float | None:
        """Return the inner transport's read timeout (PTB adds the long-poll time to it)."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the inner transport."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the inner transport."""
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        """Make the request; a successful getUpdates is contact with Telegram."""
        polling = url.endswith("/getUpdates")
        if polling and self.ledger is not None and not await self.ledger.settled():
            logger.warning("confirming %d updates still being handled", self.ledger.unfinished)
        if polling:
            self.watchdog.poll_started()
        try:
            code, payload = await self.inner.do_request(
                url, method, request_data, read_timeout=read_timeout,
                write_timeout=write_timeout, connect_timeout=connect_timeout,
                pool_timeout=pool_timeout)
        finally:
            if polling:
                self.watchdog.poll_ended()
        if polling and 200 <= code < 300:
            self.watchdog.contact()
            if self.ledger is not None:
                self.ledger.received(_updates(payload))
        return code, payload


def _updates(payload: bytes) -> list[dict[str, Any]]:
    """Return the raw updates of a getUpdates answer (none if it cannot be read)."""
    try:
        result = json.loads(payload).get("result")
    except (ValueError, AttributeError):
        return []
    if not isinstance(result, list):
        return []
    return [u for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


def outage_notice(start: float, end: float, zone: dt.tzinfo) -> str:
    """Write the coordinator's notice about an outage from `start` to `end` (Unix seconds)."""

    def clock_time(moment: float) -> str:
        return dt.datetime.fromtimestamp(moment, zone).strftime("%H:%M")

    return html.escape(OUTAGE_NOTICE.format(start=clock_time(start), end=clock_time(end),
                                            minutes=max(1, round((end - start) / 60))))


def notify_systemd(state: str) -> None:
    """Tell systemd `state` (READY=1, WATCHDOG=1) when it started us with NOTIFY_SOCKET."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        logger.warning("could not notify systemd (%s)", type(exc).__name__)
