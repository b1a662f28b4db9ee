"""Editors get every mistake as `path:line: entry 'id': what is wrong (how to fix)`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.loading import check_content, load_knowledge_base
from bot.core.problems import ContentError
from tests.conftest import TOPICS_SPEC


def line_of(path: Path, pattern: str) -> int:
    """Return the 1-based number of the first line of `path` matching `pattern`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"{pattern!r} not in {path}")


def messages(root: Path, spec: Path | None = None, wording: bool = True) -> list[str]:
    """Return every error; without `wording`, only those that stop the content loading."""
    _, problems = check_content(root, spec)
    return [str(p) for p in problems
            if p.severity == "error" and (wording or p.blocks_loading)]


def remove_entry(path: Path, entry_id: str) -> None:
    """Delete one entry (from its '- id:' line to the next) from a YAML file."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = line_of(path, rf"^\s*- id: {entry_id}\s*$") - 1
    end = start + 1
    while end < len(lines) and not re.match(r"^\s*- id: ", lines[end]):
        end += 1
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


def test_the_real_content_has_no_errors() -> None:
    from tests.conftest import CONTENT

    assert messages(CONTENT, TOPICS_SPEC if TOPICS_SPEC.exists() else None) == []


def test_a_yaml_syntax_error_names_the_file_and_line(content_copy: Path) -> None:
    path = content_copy / "so" / "work.yaml"
    line = line_of(path, r"^\s*title:")
    text = path.read_text(encoding="utf-8").splitlines()
    text[line - 1] = text[line - 1].split("title:")[0] + "title: Shaqo: raadi: [broken"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")

    found = messages(content_copy)

    assert any(m.startswith(f"{path}:{line}: YAML syntax error:") for m in found), found
    assert all("(check the indentation" in m for m in found if "YAML syntax" in m)


def test_a_missing_answer_names_the_entry_and_how_to_fix_it(content_copy: Path) -> None:
    path = content_copy / "so" / "housing_money.yaml"
    entry_line = line_of(path, r"^\s*- id: tax-card\s*$")
    text = path.read_text(encoding="utf-8")
    start = text.index("answer:", text.index("- id: tax-card"))
    end = text.index("sources:", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")

    assert f"{path}:{entry_line}: entry 'tax-card': 'answer' is missing (every entry needs " \
           "questions and an answer)" in messages(content_copy)


def test_an_unknown_language_is_reported_at_its_line(content_copy: Path) -> None:
    path = content_copy / "fa" / "health.yaml"
    text = path.read_text(encoding="utf-8").replace("language: fa", "language: xx", 1)
    path.write_text(text, encoding="utf-8")

    assert (f"{path}:1: unknown language 'xx' (write 'language: fa' as the first line "
            "(languages: fi, en, ar, so, fa, ru))") in messages(content_copy)


def test_an_id_missing_in_one_language_is_listed_for_that_language(content_copy: Path) -> None:
    fi_path = content_copy / "fi" / "work.yaml"
    fi_line = line_of(fi_path, r"^\s*- id: cv-help\s*$")
    remove_entry(content_copy / "ru" / "work.yaml", "cv-help")

    found = messages(content_copy, wording=False)  # not the typed numbers of other entries

    assert f"{content_copy / 'ru' / 'work.yaml'}:1: entry 'cv-help': missing in this " \
           f"language (it exists in content/fi/work.yaml:{fi_line}; add it here with " \
           "the same id)" in found
    # Russian entries that pointed to it are reported too; nothing else is.
    others = [m for m in found if "missing in this language" not in m]
    assert others
    assert all("'related' names unknown id 'cv-help'" in m and "/ru/" in m for m in others)


@pytest.mark.skipif(not TOPICS_SPEC.exists(), reason="shared/spec/topics.yaml is not beside "
                    "the repository")
def test_a_required_topic_missing_everywhere_is_listed_in_every_language(
        content_copy: Path) -> None:
    for lang in ("fi", "en", "ar", "so", "fa", "ru"):
        remove_entry(content_copy / lang / "everyday.yaml", "legal-aid")

    found = messages(content_copy, TOPICS_SPEC)

    for lang in ("fi", "en", "ar", "so", "fa", "ru"):
        assert (f"{content_copy / lang / 'everyday.yaml'}:1: entry 'legal-aid': a required "
                "topic is missing (topics.yaml requires it in every language; add an entry "
                "with this id)") in found


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{address}", "{adress}", "unknown placeholder {adress} (did you mean {address}?)"),
    ("- https://", "- http://", "bad source link 'http://"),
    ("reviewed: 2026-", "reviewed: 2099-", "'reviewed' date 2099-"),
    ("reviewed: 2026-", "reviewed: 2026-13-", "bad or missing 'reviewed' date"),
])
def test_bad_values_in_an_entry_are_reported(content_copy: Path, old: str, new: str,
                                             expected: str) -> None:
    path = content_copy / "en" / "service.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    found = messages(content_copy)

    assert any(m.startswith(str(path)) and expected in m for m in found), found


def test_a_related_id_that_does_not_exist_is_reported(content_copy: Path) -> None:
    path = content_copy / "ar" / "service.yaml"
    line = line_of(path, r"^\s*related:")
    text = path.read_text(encoding="utf-8").splitlines()
    text[line - 1] = text[line - 1].split("related:")[0] + "related: [no-such-topic]"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")

    assert any(m.startswith(f"{path}:{line}: entry ") and
               "'related' names unknown id 'no-such-topic'" in m for m in messages(content_copy))


def test_a_missing_ui_string_is_reported(content_copy: Path) -> None:
    path = content_copy / "so" / "ui.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^  button_coach:.*\n", "", text), encoding="utf-8")

    assert any(m.startswith(f"{path}:") and "UI string 'button_coach' is missing" in m
               for m in messages(content_copy))


def test_broken_content_refuses_to_load_and_lists_every_error(content_copy: Path) -> None:
    remove_entry(content_copy / "fi" / "family.yaml", "child-benefit")
    (content_copy / "en" / "work.yaml").write_text("language: en\nentries: [\n",
                                                   encoding="utf-8")

    with pytest.raises(ContentError) as caught:
        load_knowledge_base(content_copy)

    text = str(caught.value)
    assert "entry 'child-benefit': missing in this language" in text
    assert "work.yaml:3: YAML syntax error" in text
