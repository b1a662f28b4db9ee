"""The registry of help numbers in service.yaml, and the checks that keep answers honest.

Errors fail `ohjaamo content check`; warnings (an old verification date, an unconfirmed
number, a profile nobody has confirmed) are listed apart and do not.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.core.freshness import default_review_by
from bot.core.links import is_https_url
from bot.core.loading import check_content, load_knowledge_base
from bot.core.problems import Problem
from bot.core.registry import VERIFICATION_MAX_AGE
from bot.core.service_file import load_service_file
from tests.conftest import CONTENT
from tests.test_cli import ohjaamo
from tests.test_content_validation import line_of

KEYS = ("emergency", "medical_helpline", "crisis_line", "crisis_line_ru", "crisis_line_en",
        "violence_line", "violence_line_eu", "victim_support", "poison_info", "police_advice",
        "public_service_info", "kela_family", "vero")
"""The keys other helpers write into answers. MIELI's Arabic line is left out on purpose:
no official MIELI page confirms it (docs/content-review.md)."""

TODAY = dt.date(2026, 12, 7)


def problems_of(root: Path, today: dt.date = TODAY) -> list[Problem]:
    return check_content(root, None, today)[1]


def shown(problems: list[Problem], severity: str) -> list[str]:
    return [str(p) for p in problems if p.severity == severity]


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in `path` with `new`; return the line it was on."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def rewrite_reviewed(path: Path, entry_id: str, lines: str) -> None:
    """Replace the 'reviewed:' line of one entry with `lines`."""
    text = path.read_text(encoding="utf-8")
    at = text.index("    reviewed:", text.index(f"- id: {entry_id}"))
    end = text.index("\n", at)
    path.write_text(text[:at] + lines + text[end:], encoding="utf-8")


def test_every_number_names_its_official_https_page_and_the_day_it_was_checked() -> None:
    problems: list[Problem] = []
    profile = load_service_file(CONTENT / "service.yaml", problems, TODAY)

    assert profile is not None, [str(p) for p in problems]
    assert set(KEYS) <= set(profile.numbers)
    for key, record in profile.numbers.items():
        assert is_https_url(record.source), key
        assert record.verified <= TODAY, key
        assert record.purpose, key
        assert record.languages, key
        assert record.hours, key


POISON_SOURCE = 'source: "https://paivystyshelppi.terveyskyla.fi/symptoms/333/"'


@pytest.mark.parametrize(("key", "old", "new", "expected"), [
    ("medical_helpline", "verified: 2026-12-06, confirmed", "confirmed", "'verified' is missing"),
    ("poison_info", POISON_SOURCE, "note: x", "'source' is missing"),
    ("poison_info", POISON_SOURCE, 'source: "http://x.fi"', "bad source link 'http://x.fi'"),
    ("poison_info", POISON_SOURCE, 'source: "https://www.valvira.fi/x"',
     "the source is on valvira.fi, which is retired"),
])
def test_a_number_without_a_proper_source_or_date_is_an_error(
        content_copy: Path, key: str, old: str, new: str, expected: str) -> None:
    service = content_copy / "service.yaml"
    line = line_of(service, rf"^\s*{key}:")
    edit(service, old, new)

    errors = shown(problems_of(content_copy), "error")

    assert any(m.startswith(f"{service}:{line}: help number '{key}': {expected}")
               for m in errors), errors


def test_old_verification_dates_warn_but_do_not_fail(content_copy: Path) -> None:
    service = content_copy / "service.yaml"
    edit(service, "verified:\n", "verified: 2026-12-06\n")
    later = dt.date(2026, 12, 6) + VERIFICATION_MAX_AGE + dt.timedelta(days=1)

    fresh = problems_of(content_copy, TODAY)
    old = problems_of(content_copy, later)

    assert not any("more than 90 days" in m for m in shown(fresh, "warning"))
    stale = [m for m in shown(old, "warning") if "more than 90 days ago" in m]
    assert len(stale) == 1 + len(load_service_file(service, [], TODAY).numbers)  # profile too
    poison = line_of(service, r"^\s*poison_info:")
    assert f"{service}:{poison}: warning: help number 'poison_info': verified on 2026-12-06, " \
           "more than 90 days ago" in "\n".join(stale)
    assert shown(old, "error") == shown(fresh, "error")


def test_a_profile_nobody_confirmed_gets_a_warning(content_copy: Path) -> None:
    service = content_copy / "service.yaml"
    line = line_of(service, r"^verified:")

    assert any(m.startswith(f"{service}:{line}: warning: the profile has no 'verified' date")
               for m in shown(problems_of(content_copy), "warning"))
    edit(service, "verified:\n", "verified: 2026-12-06\n")
    assert not any("the profile has no 'verified'" in m
                   for m in shown(problems_of(content_copy), "warning"))


def test_a_typed_number_is_an_error_at_its_own_line(content_copy: Path) -> None:
    path = content_copy / "en" / "health.yaml"
    line = edit(path, "In an overdose or other emergency, call {emergency}",
                "In an overdose or other emergency, call 112")
    ui = content_copy / "fi" / "ui.yaml"
    ui_line = edit(ui, "{poison_info}", "0800 147 111")

    errors = shown(problems_of(content_copy), "error")

    assert f"{path}:{line}: entry 'substance-abuse': typed phone number '112' (write " \
           "{emergency} instead: numbers live in content/service.yaml)" in errors
    assert any(m.startswith(f"{ui}:{ui_line}: UI string 'crisis': typed phone number "
                            "'0800 147 111' (write {poison_info}") for m in errors), errors


def test_an_unknown_or_unconfirmed_number_says_what_to_do(content_copy: Path) -> None:
    path = content_copy / "en" / "housing_money.yaml"
    edit(path, "the Tax Administration's phone numbers are on vero.fi",
         "call 029 497 050 or 09 123 4567")

    errors = "\n".join(shown(problems_of(content_copy), "error"))

    assert "typed phone number '029 497 050' (write {vero} instead" in errors
    assert "{vero} is not confirmed" in errors
    assert "typed phone number '09 123 4567' (add the number under 'numbers:'" in errors


def test_a_placeholder_of_an_unconfirmed_number_gets_a_warning(content_copy: Path) -> None:
    path = content_copy / "en" / "housing_money.yaml"
    edit(path, "the Tax Administration's phone numbers are on vero.fi", "call {vero}")

    warnings = shown(problems_of(content_copy), "warning")

    assert any(m.startswith(f"{path}:") and "entry 'tax-card': uses {vero} (029 497 050), "
               "which is not confirmed" in m for m in warnings), warnings


def test_a_typed_number_does_not_stop_the_bot_from_loading(content_copy: Path) -> None:
    edit(content_copy / "en" / "health.yaml", "call {emergency}", "call 112")

    kb = load_knowledge_base(content_copy)

    assert "call 112" in kb.packs["en"].entries["substance-abuse"].answer


def test_review_by_defaults_to_six_months_after_reviewed() -> None:
    assert default_review_by(dt.date(2026, 12, 6)) == dt.date(2027, 6, 6)
    assert default_review_by(dt.date(2026, 8, 31)) == dt.date(2027, 2, 28)


@pytest.mark.parametrize(("review_by", "expected"), [
    ("2026-01-01", "'review_by' 2026-01-01 is not after 'reviewed'"),
    ("soon", "bad 'review_by' date 'soon'"),
])
def test_a_bad_review_by_is_reported(content_copy: Path, review_by: str,
                                     expected: str) -> None:
    path = content_copy / "en" / "work.yaml"
    rewrite_reviewed(path, "cv-help", f"    review_by: {review_by}\n    reviewed: 2026-11-22")

    errors = shown(problems_of(content_copy), "error")

    assert any(m.startswith(f"{path}:") and "entry 'cv-help':" in m and expected in m
               for m in errors), errors


def test_content_check_stale_lists_entries_past_their_review_date(content_copy: Path) -> None:
    path = content_copy / "en" / "work.yaml"
    rewrite_reviewed(path, "cv-help", "    reviewed: 2020-01-01")
    line = line_of(path, r"^\s*- id: cv-help")

    result = ohjaamo("content", "check", "--stale", "--path", str(content_copy))
    plain = ohjaamo("content", "check", "--path", str(content_copy))

    assert "~~ en (1)" in result.stdout, result.stdout
    assert f"{path}:{line}: entry 'cv-help': review by 2020-07-01 (reviewed 2020-01-01)" \
        in result.stdout
    assert "Stale entries" not in plain.stdout


def test_warnings_alone_do_not_fail_content_check(content_copy: Path) -> None:
    # Give every language the English entries, so the copy has warnings and no errors.
    for lang in ("fi", "ar", "so", "fa", "ru"):
        for source in (content_copy / "en").glob("*.yaml"):
            if source.name not in ("ui.yaml", "intents.yaml"):
                text = source.read_text(encoding="utf-8").replace("language: en",
                                                                  f"language: {lang}", 1)
                (content_copy / lang / source.name).write_text(text, encoding="utf-8")
    shutil.rmtree(content_copy / "fi" / "__pycache__", ignore_errors=True)

    result = ohjaamo("content", "check", "--path", str(content_copy))

    assert result.returncode == 0, result.stdout
    assert "Warnings (they do not fail the check):" in result.stdout
    assert "Errors:" not in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("OK: ")
