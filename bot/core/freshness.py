"""When content must be checked again: review dates of entries."""

from __future__ import annotations

import calendar
import datetime as dt

from bot.core.content import Entry, KnowledgeBase

REVIEW_INTERVAL_MONTHS = 6
"""An entry without 'review_by' is due for review this many months after 'reviewed'."""


def default_review_by(reviewed: dt.date) -> dt.date:
    """Return `reviewed` plus REVIEW_INTERVAL_MONTHS (the 31st becomes the month's last day)."""
    month_index = reviewed.month - 1 + REVIEW_INTERVAL_MONTHS
    year, month = reviewed.year + month_index // 12, month_index % 12 + 1
    day = min(reviewed.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def stale_entries(kb: KnowledgeBase, today: dt.date) -> dict[str, list[Entry]]:
    """Return, per language, the entries whose review date has passed, oldest first."""
    return {lang: sorted((e for e in pack.entries.values() if e.review_by < today),
                         key=lambda e: (e.review_by, e.id))
            for lang, pack in kb.packs.items()}
