"""Rules for the words of answers and UI strings: known placeholders, no typed phone numbers."""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.problems import Problem
from bot.core.registry import HelpNumber, find_typed_numbers, key_for

_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


@dataclass(frozen=True)
class Place:
    """Where a text stands: its file, the line of its key, and whose text it is."""

    path: Path
    key_line: int
    file_lines: Sequence[str]
    lang: str
    entry: str | None = None
    prefix: str = ""
    """Put before every message, e.g. "UI string 'crisis': "."""

    def line_at(self, offset: int) -> int:
        """Return the file line of line `offset` (0-based) of the text."""
        head = self.file_lines[self.key_line - 1] if 0 < self.key_line <= len(
            self.file_lines) else ""
        return self.key_line + 1 + offset if _BLOCK_SCALAR.search(head) else self.key_line

    def problem(self, message: str, fix: str, offset: int | None = None,
                warning: bool = False, blocking: bool = True) -> Problem:
        """Return a Problem at this place (at line `offset` of the text, when given)."""
        line = self.key_line if offset is None else self.line_at(offset)
        return Problem(self.path, line, self.prefix + message, fix, entry=self.entry,
                       severity="warning" if warning else "error", lang=self.lang,
                       blocks_loading=blocking)


@dataclass(frozen=True)
class TextRules:
    """The checks every answer and UI string goes through."""

    placeholders: frozenset[str] | None
    """Names the service file fills; None when it is broken (names are then not checked)."""
    numbers: Mapping[str, HelpNumber]

    def check(self, text: str, place: Place, problems: list[Problem],
              own: Iterable[str] = (), numbers: bool = True) -> None:
        """Add a Problem for each unknown placeholder and, if `numbers`, each typed number."""
        names = self._check_placeholders(text, place, problems, set(own))
        if not numbers:
            return
        for typed in find_typed_numbers(text):
            key = key_for(typed.digits, self.numbers)
            fix = (f"write {{{key}}} instead: numbers live in content/service.yaml" if key else
                   "add the number under 'numbers:' in content/service.yaml with its official "
                   "source, then write its {key} here")
            if key and not self.numbers[key].confirmed:
                fix += (f" (but {{{key}}} is not confirmed, service.yaml line "
                        f"{self.numbers[key].line}: better leave the number out and link the "
                        "service's page)")
            problems.append(place.problem(f"typed phone number '{typed.text}'", fix,
                                          typed.line_offset, blocking=False))
        for name in names:
            record = self.numbers.get(name)
            if record is not None and not record.confirmed:
                problems.append(place.problem(
                    f"uses {{{name}}} ({record.number}), which is not confirmed "
                    f"(service.yaml line {record.line} says why)",
                    "confirm the number, or leave it out of this text", warning=True))

    def _check_placeholders(self, text: str, place: Place, problems: list[Problem],
                            own: set[str]) -> list[str]:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text)
                     if name is not None]
        except ValueError:
            problems.append(place.problem("a lone '{' or '}'", "write a placeholder as "
                                          "{address}, or a bracket as {{ }}"))
            return []
        if self.placeholders is None:
            return names
        allowed = self.placeholders | own
        for name in names:
            if name not in allowed:
                close = difflib.get_close_matches(name, sorted(allowed), n=1)
                problems.append(place.problem(
                    f"unknown placeholder {{{name}}}", f"did you mean {{{close[0]}}}?"
                    if close else "see the list of placeholders in content/README.md"))
        return names
