"""One entry of an answer file (`content/<lang>/<category>.yaml`) and the rules it follows."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

from bot.core.freshness import default_review_by
from bot.core.links import RETIRED_DOMAINS, is_https_url, retired_domain
from bot.core.problems import LineDict, Problem
from bot.core.text_rules import Place, TextRules

MAX_ANSWER_CHARS = 1200
"""An answer must fit on one phone screen; Telegram's own limit is 4096."""
MAX_TITLE_CHARS = 40
MIN_QUESTIONS = 8
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENTRY_FIELDS = ("id", "category", "title", "questions", "keywords", "answer", "sources",
                "reviewed", "review_by", "related")


def parse_entry(path: Path, item: LineDict, file_category: Any, category_ids: set[str],
                lang: str, rules: TextRules, today: dt.date, lines: list[str],
                problems: list[Problem]) -> dict[str, Any] | None:
    """Check one entry of an answer file; return its fields, or None if it has errors."""
    entry_id = item.get("id")
    label = str(entry_id) if entry_id else f"#{item.line}"
    before = len(problems)
    # Wording problems (a typed number, a retired source) are errors, but the entry is still
    # kept, so that one wrong number is not also reported as a missing entry everywhere.
    wording: list[Problem] = []

    def problem(key: str, message: str, fix: str, severity: str = "error") -> None:
        problems.append(Problem(path, item.line_of(key), message, fix, entry=label,
                                severity=severity, lang=lang))  # type: ignore[arg-type]

    def place(key: str) -> Place:
        return Place(path, item.line_of(key), lines, lang, entry=label)

    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        problem("id", f"bad or missing id {entry_id!r}",
                "use English kebab-case such as 'tax-card', the same in every language")
    for key in item:
        if key not in ENTRY_FIELDS:
            close = difflib.get_close_matches(key, ENTRY_FIELDS, n=1)
            problem(key, f"unknown field '{key}'",
                    f"did you mean '{close[0]}'?" if close else
                    f"fields are: {', '.join(ENTRY_FIELDS)}")
    category = item.get("category", file_category)
    if category not in category_ids:
        problem("category", f"unknown category {category!r}",
                f"use one of {', '.join(sorted(category_ids))} (content/categories.yaml)")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        problem("title", "'title' is missing", "every entry needs a short title for its button")
    elif len(title) > MAX_TITLE_CHARS:
        problem("title", f"'title' is {len(title)} characters long",
                f"keep it under {MAX_TITLE_CHARS} so it fits on a button")
    questions = item.get("questions")
    if not isinstance(questions, list) or not questions or not all(
            isinstance(q, str) and q.strip() for q in questions):
        problem("questions", "'questions' is missing or has an empty line",
                "every entry needs questions and an answer: list how people ask")
        questions = []
    elif len(questions) < MIN_QUESTIONS:
        problem("questions", f"only {len(questions)} questions",
                f"add at least {MIN_QUESTIONS} ways people really ask", "warning")
    keywords = item.get("keywords") or []
    if not isinstance(keywords, list):
        problem("keywords", "'keywords' must be a list", "write keywords: [word, other word]")
        keywords = []
    answer = item.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        problem("answer", "'answer' is missing", "every entry needs questions and an answer")
    elif len(answer.strip()) > MAX_ANSWER_CHARS:
        problem("answer", f"'answer' is {len(answer.strip())} characters long",
                f"shorten it to at most {MAX_ANSWER_CHARS} so it fits on a phone screen")
    if isinstance(title, str):
        rules.check(title, place("title"), wording, numbers=False)
    if isinstance(answer, str):
        rules.check(answer, place("answer"), wording)
    for text in questions:
        rules.check(text, place("questions"), wording, numbers=False)
    sources = _sources(item, problem, place("sources"), wording)
    reviewed, review_by = _review_dates(item, today, problem)
    related = item.get("related") or []
    if not isinstance(related, list):
        problem("related", "'related' must be a list", "write related: [other-id, third-id]")
        related = []
    broken = any(p.severity == "error" for p in problems[before:])
    problems.extend(wording)
    if broken:
        return None
    return {"id": entry_id, "category": category, "title": title, "questions": questions,
            "keywords": [str(k) for k in keywords], "answer": answer, "sources": sources,
            "reviewed": reviewed, "review_by": review_by, "related": [str(r) for r in related],
            "path": path, "line": item.line, "related_line": item.line_of("related")}


def _sources(item: LineDict, problem: Any, place: Place,
             wording: list[Problem]) -> list[Any]:
    sources = item.get("sources")
    if not isinstance(sources, list) or not sources:
        problem("sources", "'sources' is missing",
                "name at least one official https:// link the answer is based on")
        return []
    for url in sources:
        if not is_https_url(url):
            problem("sources", f"bad source link {url!r}", "write a full https:// link")
        elif retired := retired_domain(url):
            wording.append(place.problem(f"source link on {retired}, which is retired: {url}",
                                         RETIRED_DOMAINS[retired], blocking=False))
    return sources


def _review_dates(item: LineDict, today: dt.date,
                  problem: Any) -> tuple[dt.date | None, dt.date | None]:
    reviewed = item.get("reviewed")
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        problem("reviewed", f"bad or missing 'reviewed' date {reviewed!r}",
                "write the day the facts were checked as YYYY-MM-DD")
        return None, None
    if reviewed > today:
        problem("reviewed", f"'reviewed' date {reviewed} is in the future",
                "write the day the facts were really checked")
    review_by = item.get("review_by")
    if review_by is None:
        return reviewed, default_review_by(reviewed)
    if not isinstance(review_by, dt.date) or isinstance(review_by, dt.datetime):
        problem("review_by", f"bad 'review_by' date {review_by!r}",
                "write the day the entry must be checked again as YYYY-MM-DD, or leave "
                "'review_by' out (then it is 'reviewed' plus 6 months)")
        return reviewed, None
    if review_by <= reviewed:
        problem("review_by", f"'review_by' {review_by} is not after 'reviewed' {reviewed}",
                "write a later day, or leave 'review_by' out")
    return reviewed, review_by
