"""Editors get every mistake as `path:line: entry 'id': what is wrong (how to fix)`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.coverage import ENTRY_ACTIONS, MAX_ID_BYTES
from bot.core.languages import SUPPORTED
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


def copy_entry(path: Path, entry_id: str, new_id: str) -> None:
    """Append a copy of entry `entry_id` of a YAML file under the id `new_id`."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = line_of(path, rf"^\s*- id: {entry_id}\s*$") - 1
    end = start + 1
    while end < len(lines) and not re.match(r"^\s*- id: ", lines[end]):
        end += 1
    block = "".join(lines[start:end]).replace(f"- id: {entry_id}", f"- id: {new_id}", 1)
    block = re.sub(r"(?m)^(\s*)related:.*$", r"\1related: []", block)
    text = "".join(lines)
    path.write_text(text + ("" if text.endswith("\n") else "\n") + block, encoding="utf-8")


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


def warnings_of(root: Path) -> list[str]:
    _, problems = check_content(root)
    return [str(p) for p in problems if p.severity == "warning"]


def test_an_entry_not_yet_in_some_languages_is_one_warning_and_the_content_loads(
        content_copy: Path) -> None:
    fi_path = content_copy / "fi" / "work.yaml"
    fi_line = line_of(fi_path, r"^\s*- id: cv-help\s*$")
    remove_entry(content_copy / "so" / "work.yaml", "cv-help")
    remove_entry(content_copy / "ru" / "work.yaml", "cv-help")

    kb, problems = check_content(content_copy)

    assert kb is not None
    assert [p for p in problems if p.severity == "error"] == []
    partial = [m for m in warnings_of(content_copy) if "': not yet in " in m]
    assert partial == [
        f"{fi_path}:{fi_line}: warning: entry 'cv-help': not yet in so, ru (the bot answers it "
        "in fi, en, ar, fa; elsewhere it says the answer is not yet in that language and offers"
        " the plain-Finnish or English version and a coach. Translate it into "
        "content/so/work.yaml, content/ru/work.yaml with the same id)"]
    assert kb.languages_of("cv-help") == ("fi", "en", "ar", "fa")
    # Entries that point to it in those languages lose the button, with a warning each.
    related = [m for m in warnings_of(content_copy) if "'related' names 'cv-help'" in m]
    assert related
    assert all("/so/" in m or "/ru/" in m for m in related)


def test_an_id_too_long_for_a_telegram_button_is_an_error_naming_the_limit(
        content_copy: Path) -> None:
    long_id = "recognition-of-foreign-professional-qualifications-for-nurses"  # 61 bytes
    fitting = "a" * MAX_ID_BYTES  # fits every button that carries an id
    assert all(len(f"{a.value}:{fitting}".encode()) <= 64 for a in ENTRY_ACTIONS)
    for lang in SUPPORTED:
        copy_entry(content_copy / lang / "work.yaml", "cv-help", long_id)
        copy_entry(content_copy / lang / "work.yaml", "cv-help", fitting)
    fi_line = line_of(content_copy / "fi" / "work.yaml", rf"^\s*- id: {long_id}\s*$")

    found = messages(content_copy)

    assert found == [
        f"{content_copy / 'fi' / 'work.yaml'}:{fi_line}: entry '{long_id}': the id is 61 bytes "
        "long, over the limit of 55: Telegram allows 64 bytes of button data, and the id goes "
        "after 'unhelped:' (shorten it, e.g. to 'recognition-of-foreign-professional-"
        "qualifications', and use the new id in every language and in 'related')"]


@pytest.mark.parametrize(("old", "new"), [
    ("\n    title:", "\n   title:"),          # one space too few
    ("\n    title:", "\n\ttitle:"),           # a tab
])
def test_one_yaml_mistake_is_reported_as_one_problem(content_copy: Path, old: str,
                                                       new: str) -> None:
    path = content_copy / "en" / "housing_money.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    found = messages(content_copy, TOPICS_SPEC if TOPICS_SPEC.exists() else None)

    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:")
    assert "YAML syntax error" in found[0]
    assert not [m for m in warnings_of(content_copy) if "not yet in" in m or "related" in m]


def test_a_missing_answer_is_one_problem_not_a_missing_translation(content_copy: Path) -> None:
    path = content_copy / "ar" / "health.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("answer:")
    path.write_text(text[:start] + text[text.index("sources:", start):], encoding="utf-8")

    found = messages(content_copy, TOPICS_SPEC if TOPICS_SPEC.exists() else None)

    assert len(found) == 1, found
    assert "'answer' is missing" in found[0]
    assert not [m for m in warnings_of(content_copy) if "not yet in" in m]


def test_an_unreadable_category_file_is_one_problem(content_copy: Path) -> None:
    path = content_copy / "categories.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")

    found = messages(content_copy)

    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:")
    assert "YAML syntax error" in found[0]


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
    assert "work.yaml:3: YAML syntax error" in text
    # A translation still to be written is a warning, not one of the errors.
    assert "child-benefit" not in text
    assert any("entry 'child-benefit': not yet in fi" in str(p) for p in caught.value.problems)


def test_an_empty_file_is_an_error_not_a_silent_gap(content_copy: Path) -> None:
    path = content_copy / "ru" / "ui.yaml"
    path.write_text("", encoding="utf-8")  # e.g. saved half-way by an editor

    found = messages(content_copy)

    assert found == [f"{path}:1: the file must start with 'language: ru' (see content/README.md "
                     "for the layout)"]
