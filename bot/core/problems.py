"""Problems found in editor-owned YAML files, and reading YAML with line numbers.

Every problem names a place and says how to fix it::

    content/so/work.yaml:41: entry 'tax-card': 'answer' is missing (every entry needs ...)

    ContentError            the content cannot be used; carries every Problem found
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

try:  # The C parser is ~10x faster; fall back to pure Python where libyaml is missing.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file, with where it is and how to fix it."""

    path: Path
    line: int
    message: str
    fix: str
    entry: str | None = None
    severity: Severity = "error"
    lang: str | None = None
    blocks_loading: bool = True
    """False for a wording error (a typed number, a retired source): `content check` fails,
    but a running bot keeps answering, so nobody loses the emergency numbers over it."""

    def __str__(self) -> str:
        where = f"{shown_path(self.path)}:{self.line}:"
        what = f" entry '{self.entry}':" if self.entry else ""
        kind = " warning:" if self.severity == "warning" else ""
        return f"{where}{kind}{what} {self.message} ({self.fix})"


class ContentError(Exception):
    """Content or settings files have errors; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} problem(s) in content files:\n" + "\n".join(str(p) for p in errors)
        )


def shown_path(path: Path) -> str:
    """Show `path` relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Return the line of `key`, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(_BaseLoader):
    """A safe loader whose mappings and sequences carry 1-based line numbers."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path, problems: list[Problem], lang: str | None = None) -> Any:
    """Parse `path`, adding a Problem (and returning None) when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, f"the file is not UTF-8 text ({exc.reason})",
                                "save the file as UTF-8", lang=lang))
        return None
    except OSError as exc:
        problems.append(Problem(path, 1, f"cannot read the file ({exc.strerror})",
                                "check that the file exists and is readable", lang=lang))
        return None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or "invalid YAML"
        problems.append(Problem(
            path, line, f"YAML syntax error: {what}",
            "check the indentation, and put text containing ': ' or starting with a special "
            "character in quotes", lang=lang))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 1, f"YAML error: {exc}", "check the file's syntax",
                                lang=lang))
        return None
