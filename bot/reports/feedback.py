"""Which answers people say did not help: 👍/👎 per topic and language, worst first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.usage import Feedback


@dataclass(frozen=True)
class Rating:
    """The votes on one answer in one language, in total and month by month."""

    topic: str
    lang: str
    helped: int
    not_helped: int
    by_month: tuple[tuple[str, int, int], ...]
    """(month, 👍, 👎), oldest first."""

    @property
    def unhelpful_share(self) -> float:
        """Return the share of 👎, pulled towards one half when there are few votes.

        (👎 + 1) / (votes + 2): one 👎 alone does not outrank ten 👎 out of twelve.
        """
        return (self.not_helped + 1) / (self.helped + self.not_helped + 2)


def worst_rated(rows: Sequence[Feedback], lang: str | None = None,
                limit: int = 20) -> list[Rating]:
    """Return the answers with the most 👎 relative to their votes, worst first."""
    months: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for row in rows:
        if lang is None or row.lang == lang:
            months.setdefault((row.topic, row.lang), []).append(
                (row.month, row.helped, row.not_helped))
    ratings = [Rating(topic, code, sum(m[1] for m in votes), sum(m[2] for m in votes),
                      tuple(sorted(votes)))
               for (topic, code), votes in months.items()]
    ratings.sort(key=lambda r: (-r.unhelpful_share, -r.not_helped, r.topic, r.lang))
    return ratings[:limit]
