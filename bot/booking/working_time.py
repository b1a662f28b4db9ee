"""Working time: when at least one coach is at work, and how much of it passes.

An acknowledgement timeout counts working time only, as an on-call rota would: an alert
sent at 23:00 with a 60-minute timeout escalates 60 minutes after the first coach starts
the next working day, not at the first working minute as if ten hours had passed.
"""

from __future__ import annotations

import datetime as dt

from bot.booking.coaches import CoachBook

SEARCH_DAYS = 21
"""How far ahead to look for working time (holidays and absences can stretch it)."""


def working_periods(book: CoachBook, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """Return the day's working periods (any coach at work), merged and in order, as UTC."""
    if day in book.holidays:
        return []
    ranges = sorted(
        (dt.datetime.combine(day, start, book.timezone), dt.datetime.combine(day, end,
                                                                             book.timezone))
        for coach in book.coaches if not coach.away_on(day)
        for start, end in coach.hours.get(day.weekday(), ()))
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [(s.astimezone(dt.UTC), e.astimezone(dt.UTC)) for s, e in merged]


def _periods_from(book: CoachBook, moment: dt.datetime
                  ) -> list[tuple[dt.datetime, dt.datetime]]:
    first = moment.astimezone(book.timezone).date()
    periods = []
    for offset in range(SEARCH_DAYS + 1):
        for start, end in working_periods(book, first + dt.timedelta(days=offset)):
            if end > moment:
                periods.append((max(start, moment), end))
    return periods


def next_working_moment(book: CoachBook, now: dt.datetime) -> dt.datetime | None:
    """Return when a coach is next at work: `now` if one is, else the next real start time."""
    periods = _periods_from(book, now)
    return periods[0][0] if periods else None


def working_deadline(book: CoachBook, start: dt.datetime, minutes: float) -> dt.datetime:
    """Return the moment when `minutes` of working time have passed since `start`.

    If nobody works at all in the next weeks (every coach away), wall-clock time counts,
    so that an alert still reaches the coordinator.
    """
    left = dt.timedelta(minutes=minutes)
    for period_start, period_end in _periods_from(book, start):
        if period_end - period_start >= left:
            return period_start + left
        left -= period_end - period_start
    return start + dt.timedelta(minutes=minutes)
