"""A consistent copy of the live database, made with SQLite's online backup API."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def backup(source: Path, target: Path) -> int:
    """Copy `source` to `target` page by page while others may write; return the page count."""
    if target.resolve() == source.resolve():
        raise ValueError("the backup must go to another file than the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as live, \
            sqlite3.connect(target) as copy:
        live.backup(copy)
        (check,) = copy.execute("PRAGMA integrity_check").fetchone()
        (pages,) = copy.execute("PRAGMA page_count").fetchone()
    if check != "ok":
        raise ValueError(f"the copy failed its integrity check: {check}")
    return int(pages)
