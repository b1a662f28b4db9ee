"""A programme's figures, and the good-practice description filled with them (Markdown),
in English or in Finnish (the coordinator's language).

Figures come from anonymous counts, so they stay right after /forget and the retention purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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


REPORT_LANGUAGES: Final = ("en", "fi")
"""The languages the figures and the good-practice description are written in."""
WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "signups": "Sign-ups", "interviews": "Interviews booked",
        "outcomes": "Interview outcomes", "proposed": "Pairs proposed", "declined": "declined",
        "formed": "Pairs formed", "active": "active now", "completed": "completed",
        "ended_early": "Ended early", "checkins": "Check-ins", "met": "met",
        "not_met": "not met", "hours": "hours reported", "problems": "problems reported",
        "answered": "answered", "to_write": "_(to be written by the coordinator)_",
        "purpose": "Purpose", "target_groups": "Target groups",
        "resources": "Actors and resources", "description": "Description",
        "evaluation": "Evaluation", "results": "Results", "dissemination": "Dissemination",
        "challenges": "Challenges",
        "how": "Pairs meet for about {months} months, {low}–{high} hours a month, in "
               "{languages}. A coordinator interviews every candidate, suggests pairs by "
               "{criteria}, and checks in with both every {days} days. The period ends with "
               "a joint feedback event.",
        "asked": "Closing questions to every participant, answered by taps in their own "
                 "language:"},
    "fi": {
        "signups": "Ilmoittautumiset", "interviews": "Haastatteluja varattu",
        "outcomes": "Haastattelujen tulokset", "proposed": "Ehdotettuja pareja",
        "declined": "ei suostunut", "formed": "Pareja muodostettu", "active": "nyt käynnissä",
        "completed": "päättyi suunnitellusti", "ended_early": "Päättyi ennen aikaa",
        "checkins": "Kuulumiskyselyt", "met": "tavannut", "not_met": "ei tavannut",
        "hours": "tunteja ilmoitettu", "problems": "ongelmia ilmoitettu",
        "answered": "vastasi", "to_write": "_(koordinaattori kirjoittaa)_",
        "purpose": "Tarkoitus", "target_groups": "Kohderyhmät",
        "resources": "Toimijat ja resurssit", "description": "Kuvaus",
        "evaluation": "Arviointi", "results": "Tulokset", "dissemination": "Levitys",
        "challenges": "Haasteet",
        "how": "Parit tapaavat noin {months} kuukauden ajan, {low}–{high} tuntia kuukaudessa, "
               "kielillä {languages}. Koordinaattori haastattelee jokaisen hakijan, ehdottaa "
               "pareja näillä perusteilla: {criteria}, ja kysyy molempien kuulumiset "
               "{days} päivän välein. Jakso päättyy yhteiseen palautetilaisuuteen.",
        "asked": "Loppukysymykset jokaiselle osallistujalle; vastaukset napautuksin omalla "
                 "kielellä:"},
}
"""The report's own words (staff-facing, so not UI strings of every language)."""
NAMES: Final[dict[str, dict[str, str]]] = {
    "fi": {"mentee": "mentoroitava", "mentor": "mentori", "peer": "vertainen",
           "accepted": "hyväksytty", "not_now": "ei nyt", "not_suitable": "ei sovellu",
           "yes": "kyllä", "partly": "osittain", "no": "ei", "schedule": "ei aikaa",
           "mismatch": "pari ei sopinut", "moved": "muutti pois",
           "goals_reached": "tavoitteet saavutettu", "other": "muu syy",
           "left": "poisti tietonsa", "rematch": "uusi pari", "field": "ala",
           "education": "koulutus", "interests": "kiinnostuksen kohteet", "languages": "kielet",
           "municipality": "kunta", "availability": "aikataulut", "goals": "tavoitteet",
           "themes": "teemat"},
}
"""Finnish names of roles, outcomes, answers, end reasons and criteria; English uses the ids."""


def percent(part: int, whole: int) -> str:
    """Write a share as a whole percentage ("89 %"), or "–" of nothing."""
    return f"{round(100 * part / whole)} %" if whole else "–"


def report_lines(programme: Programme, found: Figures, lang: str = "en") -> list[str]:
    """Write the figures as plain lines (for `ohjaamo report mentoring` and /mentoring stats),
    in English or Finnish."""
    word = WORDS[lang if lang in WORDS else "en"]
    names = NAMES.get(lang, {})

    def name(key: str) -> str:
        return names.get(key, key)

    def counts(items: dict[str, int]) -> str:
        return ", ".join(f"{name(k)} {n}" for k, n in items.items())

    question_lang = lang if lang in WORDS else "en"
    lines = [f"{programme.name[question_lang]} ({programme.id})",
             f"{word['signups']}: {counts(found.signups)}",
             f"{word['interviews']}: {found.interviews}",
             f"{word['outcomes']}: {counts(found.outcomes)}",
             f"{word['proposed']}: {found.proposals} ({word['declined']} {found.declined})",
             f"{word['formed']}: {found.pairs_formed}; {word['active']}: {found.active}; "
             f"{word['completed']}: {found.completed}",
             f"{word['ended_early']}: " + (counts(dict(sorted(found.ended_early.items())))
                                          or "0"),
             f"{word['checkins']}: {word['met']} {found.checkins_met}, {word['not_met']} "
             f"{found.checkins_not_met}; {word['hours']}: {found.hours}; {word['problems']}: "
             f"{found.problems}"]
    for question in programme.feedback:
        for (role, asked), answers in sorted(found.answers.items()):
            if asked != question.id:
                continue
            whole = sum(answers.values())
            shares = ", ".join(f"{name(a)} {percent(answers[a], whole)}" for a in ANSWERS)
            lines.append(f"“{question.text[question_lang]}” ({name(role)}, {whole} "
                         f"{word['answered']}): {shares}")
    return lines


def good_practice(programme: Programme, found: Figures, lang: str = "en") -> str:
    """Write the good-practice description in Markdown, in English or Finnish, ready for the
    coordinator to edit (parts the programmes file does not give are marked to be written)."""
    lang = lang if lang in WORDS else "en"
    word, names = WORDS[lang], NAMES.get(lang, {})
    low, high = programme.hours_per_month

    def part(key: str) -> list[str]:
        return [f"## {word[key]}", programme.good_practice.get(key, {}).get(lang)
                or word["to_write"], ""]

    results = "\n".join(f"- {line}" for line in report_lines(programme, found, lang)[1:])
    how = word["how"].format(
        months=programme.months, low=low, high=high,
        languages=", ".join(programme.meeting_languages), days=programme.checkin_every_days,
        criteria=", ".join(names.get(k, k) for k, w in programme.weights.items() if w))
    return "\n".join([
        f"# {programme.name[lang]}", "",
        *part("purpose"), *part("target_groups"), *part("resources"),
        *part("description")[:-1], "", how, "",
        f"## {word['evaluation']}", word["asked"],
        *[f"- {q.text[lang]}" for q in programme.feedback], "",
        f"## {word['results']}", results, "",
        *part("dissemination"), *part("challenges")])
