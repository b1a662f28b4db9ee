"""The heartbeat file, and what it tells a supervisor about the running bot.

The bot's watchdog rewrites the file every few seconds (see `telegram_channel.watchdog`);
`ohjaamo health` reads it and exits 0 when the bot is healthy, 1 when it is not (the file is
stale, so the process is gone or hung; or Telegram has not been reached for too long), and 2
when there is no file to read. Nothing here imports Telegram, so the check starts fast.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STALE_AFTER_BEATS = 3
"""A heartbeat older than this many intervals (and at least `MIN_STALE` s) means no bot."""
MIN_STALE = 15.0


class HeartbeatError(Exception):
    """There is no readable heartbeat file; the message says where it was looked for."""


@dataclass(frozen=True)
class Heartbeat:
    """What the running bot last wrote about itself (times are Unix seconds)."""

    written_at: float
    interval: float
    """Seconds between two heartbeats."""
    mode: str
    """'polling' or 'webhook'."""
    pid: int
    watchdog_seconds: float
    last_contact_at: float | None
    """When the Bot API last answered getUpdates (or Telegram last reached the webhook)."""
    unreachable_since: float | None
    """Set while the watchdog reports an outage: since when Telegram was not reached."""


def write(path: Path, heartbeat: Heartbeat) -> None:
    """Replace the heartbeat file atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(asdict(heartbeat)), encoding="utf-8")
    os.replace(partial, path)


def read(path: Path) -> Heartbeat:
    """Read the heartbeat file, or raise HeartbeatError saying what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Heartbeat(**data)
    except FileNotFoundError:
        raise HeartbeatError(f"no heartbeat file at {path}: the bot has not run here, or "
                             "OHJAAMO_HEARTBEAT points elsewhere") from None
    except (OSError, ValueError, TypeError) as exc:
        raise HeartbeatError(f"{path}: unreadable heartbeat ({exc})") from None


def judge(heartbeat: Heartbeat, now: float | None = None) -> tuple[bool, str]:
    """Return (healthy, one line saying why)."""
    now = time.time() if now is None else now
    age = now - heartbeat.written_at
    if age > max(STALE_AFTER_BEATS * heartbeat.interval, MIN_STALE):
        return False, (f"unhealthy: no heartbeat for {age:.0f} s (pid {heartbeat.pid}): the "
                       "bot is not running, or it hangs")
    if heartbeat.unreachable_since is not None:
        return False, (f"unhealthy: Telegram not reached for "
                       f"{now - heartbeat.unreachable_since:.0f} s ({heartbeat.mode}; "
                       f"watchdog limit {heartbeat.watchdog_seconds:.0f} s)")
    contact = "never yet" if heartbeat.last_contact_at is None else \
        f"{now - heartbeat.last_contact_at:.0f} s ago"
    return True, f"ok: {heartbeat.mode}, Telegram last reached {contact} (pid {heartbeat.pid})"
