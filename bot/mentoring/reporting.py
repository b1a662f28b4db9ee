"""A programme's figures, and the good-practice description filled with them (Markdown).

Figures come from anonymous counts, so they stay right after /forget and the retention purge.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.mentoring.programmes import Programme
from bot.mentoring.vocabulary import ANSWERS
from bot.storage.mentoring import MentoringStore


@dataclass(frozen=True)
class Figures:
    """What a mentoring good-practice description asks for, for one programme."""

    programme: str
    signups: dict[str, int]
    interviews: int
    outcomes: dict[str, int]
    proposals: int
    declined: int
    pairs_formed: int
    active: int
    completed: int
    ended_early: dict[str, int]
    checkins_met: int
    checkins_not_met: int
    hours: int
    problems: int
    answers: dict[tuple[str, str], dict[str, int]]
    """(role, question) -> {answer: count}."""


async def figures(programme: Programme, store: MentoringStore) -> Figures:
    """Count a programme's sign-ups, interviews, pairs, meetings, hours and closing answers."""
    events = await store.event_counts(programme.id)

    def total(kind: str, role: str | None = None, detail: str | None = None) -> int:
        return sum(n for (k, r, d), n in events.items() if k == kind and (
            role is None or r == role) and (detail is None or d == detail))

    answers: dict[tuple[str, str], dict[str, int]] = {}
    for (role, question, answer), count in (await store.answer_counts(programme.id)).items():
        answers.setdefault((role, question), dict.fromkeys(ANSWERS, 0))[answer] = count
    return Figures(
        programme=programme.id,
        signups={r.id: total("signup", r.id) for r in programme.roles},
        interviews=total("interview"),
        outcomes={o: total("outcome", detail=o) for o in ("accepted", "not_now",
                                                          "not_suitable")},
        proposals=total("proposed"), declined=total("declined"),
        pairs_formed=total("pair_formed"),
        active=len(await store.pairs(programme.id, ["active"])),
        completed=total("completed"),
        ended_early={d: n for (k, _, d), n in events.items() if k == "ended"},
        checkins_met=total("checkin", detail="met"),
        checkins_not_met=total("checkin", detail="not_met"),
        hours=total("checkin", detail="hours"), problems=total("checkin", detail="problem"),
        answers=answers)


def percent(part: int, whole: int) -> str:
    """Write a share as a whole percentage ("89 %"), or "–" of nothing."""
    return f"{round(100 * part / whole)} %" if whole else "–"


def report_lines(programme: Programme, found: Figures) -> list[str]:
    """Write the figures as plain lines (for `ohjaamo report mentoring` and /mentoring stats)."""
    lines = [f"{programme.name['en']} ({programme.id})",
             "Sign-ups: " + ", ".join(f"{r} {n}" for r, n in found.signups.items()),
             f"Interviews booked: {found.interviews}",
             "Interview outcomes: " + ", ".join(f"{o} {n}" for o, n in found.outcomes.items()),
             f"Pairs proposed: {found.proposals} (declined {found.declined})",
             f"Pairs formed: {found.pairs_formed}; active now: {found.active}; "
             f"completed: {found.completed}",
             "Ended early: " + (", ".join(f"{r} {n}" for r, n in sorted(
                 found.ended_early.items())) or "0"),
             f"Check-ins: met {found.checkins_met}, not met {found.checkins_not_met}; "
             f"hours reported: {found.hours}; problems reported: {found.problems}"]
    for question in programme.feedback:
        for (role, asked), counts in sorted(found.answers.items()):
            if asked != question.id:
                continue
            whole = sum(counts.values())
            shares = ", ".join(f"{a} {percent(counts[a], whole)}" for a in ANSWERS)
            lines.append(f"“{question.text['en']}” ({role}, {whole} answered): {shares}")
    return lines


def good_practice(programme: Programme, found: Figures) -> str:
    """Write the good-practice description in Markdown, ready for the coordinator to edit."""
    text = programme.good_practice
    low, high = programme.hours_per_month

    def part(key: str) -> str:
        return text.get(key) or "_(to be written by the coordinator)_"

    results = "\n".join(f"- {line}" for line in report_lines(programme, found)[1:])
    return "\n".join([
        f"# {programme.name['en']}", "",
        "## Purpose", part("purpose"), "",
        "## Target groups", part("target_groups"), "",
        "## Actors and resources", part("resources"), "",
        "## Description",
        part("description"), "",
        f"Pairs meet for about {programme.months} months, {low}–{high} hours a month, in "
        f"{', '.join(programme.meeting_languages)}. A coordinator interviews every candidate, "
        "suggests pairs by " + ", ".join(k for k, w in programme.weights.items() if w) +
        f", and checks in with both every {programme.checkin_every_days} days. The period "
        "ends with a joint feedback event.", "",
        "## Evaluation",
        "Closing questions to every participant, answered by taps in their own language:",
        *[f"- {q.text['en']}" for q in programme.feedback], "",
        "## Results", results, "",
        "## Dissemination", part("dissemination"), "",
        "## Challenges", part("challenges"), ""])
