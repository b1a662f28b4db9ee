"""The duty rota in the coaches file: checked with path:line messages, and when duty is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.booking.coaches import load_coaches
from bot.core.assistant import Assistant
from bot.duty.rota import DutyFileError, load_rota
from bot.duty.store import DutyStore
from bot.storage import Database
from tests.booking_support import EXAMPLE_COACHES
from tests.duty_support import MONDAY_DUTY


def test_mistakes_in_the_duty_section_name_their_line(tmp_path: Path,
                                                      assistant: Assistant) -> None:
    broken = tmp_path / "coaches.yaml"
    text = EXAMPLE_COACHES.read_text(encoding="utf-8")
    text = text.replace("staff_chat_id: -1009876543210", "staff_chat_id: 12")
    text = text.replace('olga: {tue: ["10:00-15:00"]', 'nobody: {tue: ["10:00-15:00"]')
    text = text.replace('amina: {mon: ["13:00-15:00"]', 'amina: {mon: ["15:00-13:00"]')
    broken.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    with pytest.raises(DutyFileError) as caught:
        load_rota(broken, load_coaches(broken), assistant.kb.profile.duty)

    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 3
    for needle, message in zip(("staff_chat_id: 12", "amina:", "nobody:"), messages,
                               strict=True):
        line = next(i for i, row in enumerate(lines, 1) if needle in row)
        assert f"coaches.yaml:{line}: duty:" in message


def test_without_a_duty_section_the_chat_is_off(tmp_path: Path, assistant: Assistant) -> None:
    plain = tmp_path / "coaches.yaml"
    plain.write_text(EXAMPLE_COACHES.read_text(encoding="utf-8").split("\nduty:")[0],
                     encoding="utf-8")
    assert load_rota(plain, load_coaches(plain), assistant.kb.profile.duty) is None


def test_holidays_and_absences_close_the_desk(assistant: Assistant) -> None:
    book = load_coaches(EXAMPLE_COACHES)
    rota = load_rota(EXAMPLE_COACHES, book, assistant.kb.profile.duty)
    assert rota is not None
    assert rota.chat_language("so", MONDAY_DUTY) == ("so", False)
    assert rota.chat_language("ru", MONDAY_DUTY) == ("fi", True)
    christmas_eve = dt.datetime(2026, 12, 24, 11, 30, tzinfo=dt.UTC)  # a Thursday, a holiday
    assert rota.chat_language("en", christmas_eve) is None
    amina_away = dt.datetime(2026, 12, 28, 11, 30, tzinfo=dt.UTC)  # Monday, Amina is away
    assert rota.on_duty(amina_away, "so") == ()
    assert rota.chat_language("so", amina_away) == ("fi", True)  # Reza, plain Finnish


async def test_figures_by_language(tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.db")
    await database.open()
    store = DutyStore(database)
    start = MONDAY_DUTY
    served = await store.start(1, 1, "A", "so", "so", False, False, start)
    await store.take(served.id, "amina", start + dt.timedelta(minutes=4))
    waited = await store.start(2, 2, "B", "so", "so", False, False, start)
    await store.end(waited.id, start + dt.timedelta(hours=1), "unserved")
    await store.start(3, 3, "C", "fa", "fa", False, False, start)

    figures = await store.figures(start - dt.timedelta(days=1))
    await database.close()

    assert figures["so"].started == 2
    assert figures["so"].served == 1
    assert figures["so"].waited_in_vain == 1
    assert figures["so"].median_wait_seconds == 240
    assert figures["fa"].served == 0
