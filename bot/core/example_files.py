"""Read the files that teach the assistant: `phrasings.yaml` and `crisis.yaml` of a language.

    phrasings.yaml   more ways people ask about each entry, by entry id
    crisis.yaml      phrase rules, whole example messages by kind of danger, near misses

Problems are reported as `path:line` like every other content problem.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.content import CRISIS_KINDS, CrisisExamples
from bot.core.problems import LineDict, LineList, Problem

PHRASINGS_FILE = "phrasings.yaml"
CRISIS_FILE = "crisis.yaml"
MIN_EXAMPLES_PER_ENTRY = 25
"""Questions plus phrasings an entry should have, so the classifier can learn it."""
MIN_CRISIS_EXAMPLES = 80
MIN_NOT_CRISIS = 20


def read_phrasings(path: Path, data: LineDict, lang: str,
                   problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    """Return {entry id: phrasings} from a `phrasings.yaml` file."""
    section = data.get("phrasings")
    if not isinstance(section, LineDict):
        problems.append(Problem(path, data.line_of("phrasings"), "'phrasings' is missing",
                                "write 'phrasings:' and under it one list per entry id",
                                lang=lang))
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for entry_id, items in section.items():
        line = section.line_of(entry_id)
        texts = _texts(items)
        if texts is None:
            problems.append(Problem(path, line, "the phrasings must be a list of messages",
                                    "write one '- message' per line, none empty",
                                    entry=str(entry_id), lang=lang))
            continue
        result[str(entry_id)] = texts
    return result


def read_crisis(path: Path, data: LineDict, lang: str, problems: list[Problem]) -> CrisisExamples:
    """Return the phrase rules, examples and near misses of a `crisis.yaml` file."""
    phrases = _texts(data.get("phrases"))
    if not phrases:
        problems.append(Problem(path, data.line_of("phrases"),
                                "'phrases' is missing or has an empty line",
                                "list short crisis phrases under 'phrases:'", lang=lang))
    examples: dict[str, tuple[str, ...]] = {}
    section = data.get("examples")
    if not isinstance(section, LineDict):
        problems.append(Problem(path, data.line_of("examples"), "'examples' is missing",
                                f"list example messages under kinds: {', '.join(CRISIS_KINDS)}",
                                lang=lang))
    else:
        for kind, items in section.items():
            line = section.line_of(kind)
            if kind not in CRISIS_KINDS:
                problems.append(Problem(path, line, f"unknown kind of crisis {kind!r}",
                                        f"use one of {', '.join(CRISIS_KINDS)}", lang=lang))
                continue
            texts = _texts(items)
            if texts is None:
                problems.append(Problem(path, line, f"'{kind}' must be a list of messages",
                                        "write one '- message' per line, none empty",
                                        lang=lang))
                continue
            examples[str(kind)] = texts
        total = sum(len(v) for v in examples.values())
        if total < MIN_CRISIS_EXAMPLES:
            problems.append(Problem(path, data.line_of("examples"),
                                    f"only {total} crisis examples",
                                    f"write at least {MIN_CRISIS_EXAMPLES}, of every kind, so "
                                    "indirect messages are recognised", severity="warning",
                                    lang=lang))
    not_crisis = _texts(data.get("not_crisis"))
    if not_crisis is None or len(not_crisis) < MIN_NOT_CRISIS:
        problems.append(Problem(path, data.line_of("not_crisis"),
                                "'not_crisis' is missing or short",
                                f"list at least {MIN_NOT_CRISIS} ordinary messages that look a "
                                "little like danger (fire insurance, a kitchen knife ...)",
                                severity="warning", lang=lang))
    return CrisisExamples(phrases or (), examples, not_crisis or ())


def check_phrasings(path: Path, phrasings: dict[str, tuple[str, ...]],
                    questions: dict[str, int], lang: str, problems: list[Problem]) -> None:
    """Report phrasings of unknown entries, and entries with too few examples to learn from."""
    for entry_id in phrasings:
        if entry_id not in questions:
            problems.append(Problem(path, 1, f"phrasings for '{entry_id}', which this language "
                                    "has no entry for", "they are not used until the entry "
                                    "exists; check the id's spelling", severity="warning",
                                    lang=lang))
    for entry_id, count in questions.items():
        total = count + len(phrasings.get(entry_id, ()))
        if total < MIN_EXAMPLES_PER_ENTRY:
            problems.append(Problem(path, 1, f"only {total} questions and phrasings",
                                    f"write at least {MIN_EXAMPLES_PER_ENTRY} ways people "
                                    "really ask", entry=entry_id, severity="warning",
                                    lang=lang))


def _texts(items: object) -> tuple[str, ...] | None:
    """Return the list's texts, or None when it is not a list of non-empty strings."""
    if not isinstance(items, LineList | list) or not all(
            isinstance(x, str) and x.strip() for x in items):
        return None
    return tuple(str(x).strip() for x in items)
