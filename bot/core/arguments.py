"""Read numbers and ids from what people type after a command or carry in button data.

`str.isdigit()` accepts superscripts and Arabic-Indic digits, and `int()` has no upper
bound, so a crafted `/cancel ²` or a 23-digit number used to raise deep inside SQLite.
Everything here matches plain ASCII digits with a length bound and returns None otherwise.
"""

from __future__ import annotations

import re

MAX_NUMBER_DIGITS = 15
"""Booking numbers and list positions stay far below this; SQLite's INTEGER holds 18."""
_NUMBER = re.compile(rf"[0-9]{{1,{MAX_NUMBER_DIGITS}}}", re.ASCII)
_ALERT_ID = re.compile(r"[0-9a-f]{12}", re.ASCII)


def parse_number(text: str | None) -> int | None:
    """Return the whole number written in ASCII digits, or None for anything else."""
    if text is None or not _NUMBER.fullmatch(text):
        return None
    return int(text)


def parse_alert_id(text: str | None) -> str | None:
    """Return an outbox alert id (12 lowercase hex digits), or None for anything else."""
    return text if text is not None and _ALERT_ID.fullmatch(text) else None
