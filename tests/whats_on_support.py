"""Shared helpers for what's-on tests: an activities file with a few places, a clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.booking_support import MONDAY_MORNING

EXAMPLE_ACTIVITIES = Path(__file__).resolve().parent.parent / "examples" / "activities.yaml"
NOW = MONDAY_MORNING
"""Monday 1 March 2027, 08:00 in Helsinki."""
CLUB = "conversation-club:20270302"
"""Tuesday 2 March 2027, 14:00–15:30: the example's conversation club (12 places)."""
HELP_DAY = "digital-help-day:20270304"
"""Thursday 4 March 2027: drop-in, no sign-up (a reminder may be asked)."""

SMALL_GROUP = """\
timezone: Europe/Helsinki
activities:
  - id: interview-practice
    category: work
    title:
      fi: Työhaastattelun harjoitus
      en: Interview practice
    when:
      weekly: [wed]
      time: "10:00-11:00"
    where: Lapintie 11–13, Kemi
    languages: [fi, en]
    places: {places}
    contact: Mikko
"""
SMALL = "interview-practice:20270303"
"""Wednesday 3 March 2027, 10:00 in Helsinki."""


def small_group(tmp_path: Path, places: int) -> Path:
    """Write an activities file with one weekly group of `places` places."""
    path = tmp_path / "activities.yaml"
    path.write_text(SMALL_GROUP.format(places=places), encoding="utf-8")
    return path


def day_before(occurrence_start: dt.datetime) -> dt.datetime:
    """Return a moment 20 hours before a start: the day-before reminder is due."""
    return occurrence_start - dt.timedelta(hours=20)
