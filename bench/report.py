"""Write a benchmark's figures into its own marked section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(text: str, start: str, end: str, heading: str) -> None:
    """Replace the text between `start` and `end` markers (or add a section with them)."""
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n\n"
    if start in current:
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        current = head + text + tail
    else:
        current = current.rstrip() + f"\n\n## {heading}\n\n" + text + "\n"
    DOCS.write_text(current, encoding="utf-8")
