"""What answers tell people must be true: numbers from the registry, live sources, 112 first.

These tests read the YAML files themselves (not the loader's verdict), so a broken check in
the loader cannot hide a typed number or a dead source. They run for all six languages and
skip none: a language whose files still break a rule fails here until it is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from bot.core.assistant import Assistant
from bot.core.links import is_https_url, retired_domain
from bot.core.registry import find_typed_numbers
from tests.conftest import CONTENT, LANGUAGES, registry

NOT_ENTRY_FILES = ("ui.yaml", "intents.yaml", "phrasings.yaml", "crisis.yaml")


def entry_files(lang: str) -> list[Path]:
    return sorted(p for p in (CONTENT / lang).glob("*.yaml") if p.name not in NOT_ENTRY_FILES)


def texts(lang: str) -> Iterator[tuple[str, str]]:
    """Yield (where, text) for every answer and every UI string of `lang`."""
    for path in entry_files(lang):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            yield f"{path}: entry '{entry['id']}'", str(entry.get("answer", ""))
    ui = CONTENT / lang / "ui.yaml"
    for key, value in yaml.safe_load(ui.read_text(encoding="utf-8"))["strings"].items():
        yield f"{ui}: UI string '{key}'", str(value)


@LANGUAGES
def test_no_answer_or_ui_string_types_a_phone_number(lang: str) -> None:
    typed = [f"{where}: {', '.join(n.text for n in numbers)}"
             for where, text in texts(lang) if (numbers := find_typed_numbers(text))]

    assert typed == [], "write {placeholders} from content/service.yaml instead:\n" + \
        "\n".join(typed)


def test_the_typed_number_finder_sees_the_numbers_people_type() -> None:
    text = ("Soita 112 tai 0800 147 111. Nollalinja 080 005 005, EU 116 016, MIELI 09 2525 "
            "0111,\nVero 029 497 050, Kela 020 634 2550, +358 80 005 005.")
    ignored = "Lataa 112 Suomi. Maksu 176 €, 1 560 tuntia, 1.1.2025, https://x.fi/0800147111"

    found = [n.text for n in find_typed_numbers(text)]

    assert found == ["112", "0800 147 111", "080 005 005", "116 016", "09 2525 0111",
                     "029 497 050", "020 634 2550", "+358 80 005 005"]
    assert [n.line_offset for n in find_typed_numbers(text)][-3:] == [1, 1, 1]
    assert find_typed_numbers(ignored) == []


@LANGUAGES
def test_every_source_is_https_and_on_a_live_site(lang: str) -> None:
    bad = []
    for path in entry_files(lang):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            for url in entry.get("sources", []):
                if not is_https_url(url):
                    bad.append(f"{path}: entry '{entry['id']}': not https: {url}")
                elif domain := retired_domain(url):
                    bad.append(f"{path}: entry '{entry['id']}': on retired {domain}: {url}")

    assert bad == [], "\n".join(bad)


def test_plain_finnish_answers_send_readers_to_finnish_pages() -> None:
    english = re.compile(r"https?://\S*/(?:en|en-US)(?:/\S*)?(?=[\s)]|$)")
    found = [f"{path}: entry '{e['id']}': {m.group()}"
             for path in entry_files("fi")
             for e in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]
             for m in english.finditer(str(e["answer"]))]

    assert found == [], "\n".join(found)


@LANGUAGES
def test_the_crisis_reply_puts_112_first_then_the_lines_that_help(assistant: Assistant,
                                                                  lang: str) -> None:
    numbers = registry(assistant)
    reply = assistant.kb.packs[lang].strings["crisis"]
    first_line = reply.splitlines()[0]

    first_number = find_typed_numbers(first_line)[0]
    assert first_number.digits == numbers["emergency"].digits, first_line
    for key in ("poison_info", "violence_line", "crisis_line", "victim_support"):
        assert numbers[key].number in reply, (key, reply)
    assert "nollalinja.fi" in reply  # the chat, for someone who cannot talk safely
    assert numbers["medical_helpline"].number not in reply  # not confirmed for this area


def test_the_crisis_reply_gives_english_and_russian_readers_their_own_line(
        assistant: Assistant) -> None:
    numbers = registry(assistant)

    assert numbers["crisis_line_en"].number in assistant.kb.packs["en"].strings["crisis"]
    assert numbers["crisis_line_ru"].number in assistant.kb.packs["ru"].strings["crisis"]
