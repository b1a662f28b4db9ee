"""Every setting in one table, each with a default and a help line.

Settings come from the environment; `ohjaamo` also reads a git-ignored `.env`
file in the working directory. `.env.example` documents them all (a test checks).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One setting: its environment name, default and what it is for."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("OHJAAMO_CONTENT", str(REPO_ROOT / "content"),
            "Folder of the knowledge base (service.yaml, categories.yaml, one folder per "
            "language)."),
    Setting("OHJAAMO_TOPICS_SPEC", str(REPO_ROOT.parent / "shared" / "spec" / "topics.yaml"),
            "The list of topic ids every language must have; skipped when the file is absent."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, environ: dict[str, str] | None = None) -> str:
    """Return the value of setting `name` from the environment or its default."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    return value or _BY_NAME[name].default


def content_root(environ: dict[str, str] | None = None) -> Path:
    """Return the content folder."""
    return Path(get("OHJAAMO_CONTENT", environ))


def topics_spec(environ: dict[str, str] | None = None) -> Path | None:
    """Return the required-topics file, or None when it does not exist."""
    path = Path(get("OHJAAMO_TOPICS_SPEC", environ))
    return path if path.is_file() else None


def load_dotenv(path: Path = Path(".env")) -> None:
    """Put `NAME=value` lines of `path` into the environment, without overriding it."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        os.environ.setdefault(name.strip(), value.strip().strip("'\""))
