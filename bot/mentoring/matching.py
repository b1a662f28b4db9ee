"""Match suggestions: candidates ranked by the programme's weighted criteria, with reasons.

Never automatic: the coordinator reads the reasons and proposes a pair, or does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.mentoring.programmes import Programme

Profile = Mapping[str, Any]


@dataclass(frozen=True)
class Reason:
    """One thing two profiles share: the criterion and the shared values (ids or names)."""

    criterion: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """A candidate partner, their score and why."""

    candidate_id: int
    score: int
    reasons: tuple[Reason, ...]


def shared(criterion: str, one: Profile, other: Profile) -> tuple[str, ...]:
    """Return what two profiles share for one criterion, in the first profile's order."""
    first, second = _values(one.get(criterion)), set(_values(other.get(criterion)))
    return tuple(v for v in first if v in second and v != "other")


def can_meet(programme: Programme, one: Profile, other: Profile) -> bool:
    """Tell whether a pair could meet: a common meeting language, and (for peers) two
    organisations. A profile without languages is not ruled out: the interview asked."""
    mine, theirs = _values(one.get("languages")), _values(other.get("languages"))
    if mine and theirs and not set(mine) & set(theirs) & set(programme.meeting_languages):
        return False
    if programme.different_organisation:
        a = str(one.get("organisation") or "").strip().casefold()
        b = str(other.get("organisation") or "").strip().casefold()
        if a and a == b:
            return False
    return True


def suggest(programme: Programme, seeker: tuple[int, Profile],
            candidates: Sequence[tuple[int, Profile]], limit: int = 3) -> list[Suggestion]:
    """Rank candidates for `seeker` by the weighted count of what they share, best first.

    Each shared value of a criterion adds its weight (a shared field or municipality once,
    each shared interest again); ties keep the candidates' order (earlier sign-up first).
    """
    _, profile = seeker
    ranked: list[Suggestion] = []
    for candidate_id, other in candidates:
        if not can_meet(programme, profile, other):
            continue
        reasons, score = [], 0
        for criterion, weight in programme.weights.items():
            common = shared(criterion, profile, other)
            if common and weight:
                reasons.append(Reason(criterion, common))
                score += weight * len(common)
        ranked.append(Suggestion(candidate_id, score, tuple(reasons)))
    ranked.sort(key=lambda s: -s.score)  # stable: equal scores keep sign-up order
    return ranked[:limit]


def _values(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)
