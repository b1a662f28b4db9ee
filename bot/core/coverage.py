"""Checks across the language folders: which entry ids exist where, and whether they fit a button.

An entry may be written in some languages before the others: that is a warning, and the
bot serves it where it exists. A file that could not be read, or an entry rejected for its
own error, is reported once, where it is; the checks here stay silent about what it hid, so
one typo never reads as twenty problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from bot.core.languages import SUPPORTED
from bot.core.problems import Problem, read_yaml
from bot.core.replies import Action

MAX_BUTTON_DATA_BYTES = 64
"""Telegram's limit for a button's callback data; an entry id travels in it as `action:id`."""
ENTRY_ACTIONS = (Action.TOPIC, Action.PLAIN_FINNISH, Action.ENGLISH, Action.HELPED,
                 Action.NOT_HELPED)
"""The buttons whose data carries an entry id."""
LONGEST_BUTTON_PREFIX = max((f"{action.value}:" for action in ENTRY_ACTIONS), key=len)
MAX_ID_BYTES = MAX_BUTTON_DATA_BYTES - len(LONGEST_BUTTON_PREFIX.encode())
"""The longest entry id that fits every button that carries one (55 bytes)."""


class LanguageFolder(Protocol):
    """What the checks need to know about one language folder after reading it."""

    lang: str
    entries: dict[str, dict[str, Any]]
    """Entry id -> the parsed entry (with `path`, `line`, `related`, `related_line`)."""
    unreadable: list[Path]
    """Files whose entries could not be read at all (YAML errors, a wrong header)."""
    rejected: set[str]
    """Ids of entries that were read but refused for an error of their own."""


def check_coverage(root: Path, folders: Mapping[str, LanguageFolder],
                   required_topics: Path | None, problems: list[Problem]) -> None:
    """Add the problems found across languages: ids, partial translations, related links."""
    required = read_required_topics(required_topics, problems) if required_topics else {}
    _check_id_lengths(folders, problems)
    _check_partial_translations(folders, set(required), problems)
    _check_required_topics(root, required_topics, required, folders, problems)
    for folder in folders.values():
        _check_related(folder, folders, problems)


def read_required_topics(spec: Path, problems: list[Problem]) -> dict[str, str]:
    """Return {topic id: category} from the topics spec (e.g. shared/spec/topics.yaml)."""
    data = read_yaml(spec, problems)
    if not isinstance(data, dict):
        return {}
    return {str(topic): str(category) for category, topics in data.items()
            if isinstance(topics, dict) for topic in topics}


def shorter_id(entry_id: str, limit: int = MAX_ID_BYTES) -> str:
    """Suggest a shorter id: whole words from the start that fit within `limit` bytes."""
    kept: list[str] = []
    for word in entry_id.split("-"):
        if len("-".join([*kept, word]).encode()) > limit:
            break
        kept.append(word)
    while len(kept) > 1 and len(kept[-1]) <= 3:  # not "…-for" or "…-of"
        kept.pop()
    return "-".join(kept) or entry_id.encode()[:limit].decode(errors="ignore")


def _may_hide(folder: LanguageFolder, entry_id: str) -> bool:
    """Tell whether `entry_id` may be in this folder, hidden by an error reported elsewhere."""
    return bool(folder.unreadable) or entry_id in folder.rejected


def _first_place(folders: Mapping[str, LanguageFolder], entry_id: str
                 ) -> tuple[str, dict[str, Any]]:
    lang = next(code for code in SUPPORTED if code in folders
                and entry_id in folders[code].entries)
    return lang, folders[lang].entries[entry_id]


def _all_ids(folders: Mapping[str, LanguageFolder]) -> dict[str, None]:
    return dict.fromkeys(i for code in SUPPORTED if code in folders
                         for i in folders[code].entries)


def _check_id_lengths(folders: Mapping[str, LanguageFolder], problems: list[Problem]) -> None:
    for entry_id in _all_ids(folders):
        size = len(entry_id.encode())
        if size <= MAX_ID_BYTES:
            continue
        lang, raw = _first_place(folders, entry_id)
        problems.append(Problem(
            raw["path"], raw["line"],
            f"the id is {size} bytes long, over the limit of {MAX_ID_BYTES}: Telegram allows "
            f"{MAX_BUTTON_DATA_BYTES} bytes of button data, and the id goes after "
            f"'{LONGEST_BUTTON_PREFIX}'",
            f"shorten it, e.g. to '{shorter_id(entry_id)}', and use the new id in every "
            "language and in 'related'", entry=entry_id, lang=lang))


def _check_partial_translations(folders: Mapping[str, LanguageFolder], required: set[str],
                                problems: list[Problem]) -> None:
    for entry_id in _all_ids(folders):
        if entry_id in required:
            continue  # a required topic missing somewhere is an error of its own, below
        missing = [code for code, folder in folders.items()
                   if entry_id not in folder.entries and not _may_hide(folder, entry_id)]
        if not missing:
            continue
        lang, raw = _first_place(folders, entry_id)
        present = [code for code, folder in folders.items() if entry_id in folder.entries]
        targets = ", ".join(f"content/{code}/{raw['path'].name}" for code in missing)
        problems.append(Problem(
            raw["path"], raw["line"], f"not yet in {', '.join(missing)}",
            f"the bot answers it in {', '.join(present)}; elsewhere it says the answer is not "
            f"yet in that language and offers the plain-Finnish or English version and a "
            f"coach. Translate it into {targets} with the same id",
            entry=entry_id, severity="warning", lang=lang))


def _check_required_topics(root: Path, spec: Path | None, required: dict[str, str],
                           folders: Mapping[str, LanguageFolder],
                           problems: list[Problem]) -> None:
    for lang, folder in folders.items():
        for entry_id, category in required.items():
            if entry_id in folder.entries or _may_hide(folder, entry_id):
                continue
            found = ""
            if entry_id in _all_ids(folders):
                code, raw = _first_place(folders, entry_id)
                found = f" (it exists in content/{code}/{raw['path'].name}:{raw['line']})"
            problems.append(Problem(
                root / lang / f"{category}.yaml", 1, "a required topic is missing",
                f"{spec.name if spec else 'the topics file'} requires it in every language; "
                f"add an entry with this id{found}", entry=entry_id, lang=lang))


def _check_related(folder: LanguageFolder, folders: Mapping[str, LanguageFolder],
                   problems: list[Problem]) -> None:
    elsewhere = _all_ids(folders)
    for entry_id, raw in folder.entries.items():
        for other in raw["related"]:
            if other in folder.entries or (other in elsewhere and _may_hide(folder, other)):
                continue
            if other in elsewhere:
                problems.append(Problem(
                    raw["path"], raw["related_line"],
                    f"'related' names '{other}', which is not yet in this language",
                    "the button is left out until the entry is translated; translate it, or "
                    "remove it from 'related'", entry=entry_id, severity="warning",
                    lang=folder.lang))
                continue
            problems.append(Problem(raw["path"], raw["related_line"],
                                    f"'related' names unknown id '{other}'",
                                    "use the id of an existing entry", entry=entry_id,
                                    lang=folder.lang))
