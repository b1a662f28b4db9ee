"""Reports computed on a real SQLite file with known data give exact numbers, and keep nobody."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import shutil
import sqlite3
import struct
import zlib
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.encoding import EmbeddingCache
from bot.core.loading import load_knowledge_base
from bot.reports.charts import chart_png
from bot.reports.clustering import group_similar
from bot.reports.feedback import worst_rated
from bot.reports.figures import Period, compute_figures
from bot.reports.unanswered import SENTENCE_SIMILAR, sentence_vectoriser
from bot.storage import Database
from bot.storage.bookings import BookingStore
from bot.storage.usage import Feedback, Turn, UsageStore
from tests.booking_support import request, slot_at
from tests.conftest import CONTENT, VECTOR_CACHE
from tests.test_cli import ohjaamo
from tests.usage_data import HELSINKI, SetClock, write_known_usage

NOVEMBER = Period.month("2026-11")


@pytest.fixture(scope="module")
def known_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the usage of tests/usage_data.py written into it."""
    path = tmp_path_factory.mktemp("reports") / "ohjaamo.db"
    asyncio.run(write_known_usage(path))
    return path


async def figures_of(path: Path, period: Period = NOVEMBER) -> object:
    database = Database(path)
    await database.open()
    usage = UsageStore(database, HELSINKI)
    figures = compute_figures(period, await usage.counts(period.start, period.end),
                              await usage.people(period.start, period.end))
    await database.close()
    return figures


async def test_the_months_figures_are_exact(known_db: Path) -> None:
    f = await figures_of(known_db)

    assert f.conversations == 5
    assert f.people == {"2026-11": 3}
    assert f.messages == {"fi": 4, "en": 3, "ar": 2}
    assert f.replies == {"answer": 4, "fallback": 2, "candidates": 1, "crisis": 1,
                         "greeting": 1}
    assert (f.share("answer"), f.share("candidates"), f.share("fallback")) == (4 / 9, 1 / 9,
                                                                               2 / 9)
    assert f.topics == [("tax-card", 4), ("kela-coverage", 1)]
    assert (f.crisis, f.contact_requests) == (1, 1)
    assert f.bookings["made"] == {("ar", "phone"): 1, ("fi", "visit"): 2}
    assert [f.booked(o) for o in ("made", "moved", "cancelled", "done", "no_show")] == \
        [3, 0, 1, 1, 1]
    assert f.describes == {"working": 2, "studying": 0, "jobseeker": 1, "outside": 0,
                           "rather_not": 0}
    assert f.response_minutes == (10, 20, 90)
    assert (f.median_response, f.slow_response) == (20, 90)
    assert f.weekly == {dt.date(2026, 10, 26): {}, dt.date(2026, 11, 2): {"fi": 3, "en": 2},
                        dt.date(2026, 11, 9): {"fi": 1, "ar": 2}, dt.date(2026, 11, 16): {},
                        dt.date(2026, 11, 23): {}, dt.date(2026, 11, 30): {"en": 1}}


async def test_any_date_range_counts_only_its_days_and_people_per_month(known_db: Path) -> None:
    f = await figures_of(known_db, Period.between(dt.date(2026, 10, 31), dt.date(2026, 11, 2)))

    assert f.messages == {"fi": 3, "en": 2, "ar": 1}
    assert f.people == {"2026-10": 1, "2026-11": 2}


def test_the_salt_of_a_finished_month_is_gone(known_db: Path) -> None:
    with sqlite3.connect(known_db) as db:
        months = [row[0] for row in db.execute("SELECT month FROM month_salts")]

    assert months == ["2026-12"]


def test_report_stats_prints_the_table_and_writes_an_exact_csv_and_a_png(
        known_db: Path, tmp_path: Path) -> None:
    result = ohjaamo("report", "stats", "--month", "2026-11", "--out", str(tmp_path),
                     env={"OHJAAMO_DB": str(known_db)})

    assert result.returncode == 0, result.stderr
    assert "Conversations started" in result.stdout
    rows = list(csv.reader(io.StringIO((tmp_path / "stats-2026-11.csv").read_text())))
    values = {(section, item): value for section, item, value in rows[1:]}
    assert values[("conversations", "started")] == "5"
    assert values[("people", "2026-11")] == "3"
    assert values[("messages", "fi")] == "4"
    assert values[("replies", "answer")] == "4"
    assert values[("replies_share", "fallback")] == str(round(2 / 9, 4))
    assert values[("topics", "tax-card")] == "4"
    assert values[("bookings_made", "fi/visit")] == "2"
    assert values[("bookings_no_show", "ar/phone")] == "1"
    assert values[("describes", "working")] == "2"
    assert values[("alerts", "median_minutes")] == "20"
    assert values[("weekly_messages", "2026-11-09/ar")] == "2"
    assert_valid_png((tmp_path / "stats-2026-11.png").read_bytes())


def assert_valid_png(data: bytes) -> tuple[int, int]:
    """Check the PNG signature, every chunk's CRC, IHDR first and IEND last; return the size."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        kinds.append(kind)
        position += 12 + length
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert b"IDAT" in kinds
    width, height = struct.unpack(">II", data[16:24])
    assert width > 400
    assert height > 200
    return width, height


async def test_the_chart_is_a_valid_png_even_for_an_empty_month(tmp_path: Path) -> None:
    database = Database(tmp_path / "empty.db")
    await database.open()
    figures = compute_figures(NOVEMBER, [], {})
    await database.close()

    assert_valid_png(chart_png(figures))


async def test_unanswered_texts_are_deleted_after_the_retention(tmp_path: Path) -> None:
    clock = SetClock()
    database = Database(tmp_path / "bot.db")
    await database.open()
    usage = UsageStore(database, HELSINKI, clock)
    for day, name in (("2026-10-01", "first"), ("2026-10-02", "second"),
                      ("2026-10-03", "third")):
        clock.on(day)
        await usage.keep_unanswered(f"asked on the {name}", "fi", "fallback", None)

    clock.on("2026-11-01")  # 30 days after 2 October
    deleted = await usage.purge(30)

    kept = [t.text for t in await usage.unanswered(dt.date(2026, 1, 1))]
    assert deleted == 1
    assert kept == ["asked on the second", "asked on the third"]
    clock.on("2026-11-03")
    await usage.purge(30)
    assert await usage.unanswered(dt.date(2026, 1, 1)) == []
    await database.close()


async def test_nothing_stored_leads_back_to_the_person(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    database = Database(path)
    await database.open()
    usage = UsageStore(database, HELSINKI, SetClock())
    await usage.record_turn(Turn(
        "fi", "fallback", None, person=987654321, new_conversation=True,
        text="Olen Zainab Warsame, puh 040 765 4321, zainab.w@example.fi, hetu 131052-308T",
        names=("Zainab", "Warsame", "zainab_w")))
    await usage.keep_unanswered("minä Zainab en ymmärtänyt, tili FI2112345600000785", "fi",
                                "unhelpful", "tax-card", names=("Zainab",))
    await database.close()

    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        values = [str(value) for table in tables
                  for row in db.execute(f"SELECT * FROM {table}") for value in row]
    everything = " ".join(values)
    for personal in ("987654321", "Zainab", "Warsame", "765", "example.fi", "131052",
                     "12345600000785"):
        assert personal not in everything, personal
    assert "puh [phone]" in everything


async def test_bookings_and_alert_answers_are_counted_by_language_and_mode(
        tmp_path: Path) -> None:
    clock = SetClock()
    database = Database(tmp_path / "bot.db")
    await database.open()
    usage = UsageStore(database, HELSINKI, clock)
    store = BookingStore(database, usage)
    future = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)

    first = await store.book(request(1, slot_at(future), lang="so"), lambda b, e: [])
    second = await store.book(request(2, slot_at(future, "reza"), lang="fa"), lambda b, e: [])
    moved = await store.reschedule(first.id, slot_at(future + dt.timedelta(hours=1)),
                                   lambda b, e: [])
    await store.cancel(second.id, "cancelled", lambda b, e: [])
    await store.set_status(moved.id, "done")
    await store.set_status(moved.id, "done")  # a second tap is not a second meeting

    f = compute_figures(NOVEMBER, await usage.counts(NOVEMBER.start, NOVEMBER.end), {})
    assert f.bookings["made"] == {("fa", "visit"): 1, ("so", "visit"): 1}
    assert f.bookings["moved"] == {("so", "visit"): 1}
    assert f.bookings["cancelled"] == {("fa", "visit"): 1}
    assert f.bookings["done"] == {("so", "visit"): 1}
    await database.close()


def test_feedback_lists_the_worst_rated_answers_first() -> None:
    rows = [Feedback("2026-10", "tax-card", "so", 1, 4), Feedback("2026-11", "tax-card", "so",
                                                                   0, 5),
            Feedback("2026-11", "bank-account", "en", 9, 1),
            Feedback("2026-11", "dental-care", "fi", 0, 1)]

    ratings = worst_rated(rows)

    assert [(r.topic, r.lang, r.helped, r.not_helped) for r in ratings] == [
        ("tax-card", "so", 1, 9), ("dental-care", "fi", 0, 1), ("bank-account", "en", 9, 1)]
    assert ratings[0].by_month == (("2026-10", 1, 4), ("2026-11", 0, 5))


def test_similar_questions_are_grouped_in_any_language() -> None:
    texts = ["how do i get a tax card", "where to get tax card?", "tax card how to get",
             "как получить налоговую карточку", "налоговая карточка как получить",
             "sidee baan u helaa kaarka canshuurta", "kaarka canshuurta sidee loo helaa",
             "what is the weather tomorrow"]

    groups = group_similar(texts)

    assert sorted(map(sorted, groups)) == [[0, 1, 2], [3, 4], [5, 6], [7]]


def test_the_sentence_encoder_groups_one_question_across_languages(
        assistant: Assistant) -> None:
    assert assistant.semantic is not None
    vectorise = sentence_vectoriser(assistant.kb, assistant.semantic.encoder,
                                    EmbeddingCache(VECTOR_CACHE))
    texts = ["how do i get a tax card", "where to get tax card?", "tax card how to get",
             "как получить налоговую карточку", "налоговая карточка как получить",
             "what is the weather tomorrow"]

    groups = sorted(map(sorted, group_similar(texts, vectorise, SENTENCE_SIMILAR)))

    assert groups == [[0, 1, 2, 3, 4], [5]]


async def _write_unanswered(path: Path) -> None:
    clock = SetClock()
    database = Database(path)
    await database.open()
    usage = UsageStore(database, HELSINKI, clock)
    for text, lang, reason, topic in [
            ("how do i get a tax card for my new job", "en", "fallback", None),
            ("where to get tax card for job", "en", "fallback", None),
            ("tax card for new job how", "en", "candidates", "tax-card"),
            ("как найти квартиру в аренду", "ru", "candidates", "housing-search"),
            ("найти квартиру аренда как", "ru", "fallback", None),
            ("can I bring my cat to the meeting", "en", "unhelpful", "service-info")]:
        await usage.keep_unanswered(text, lang, reason, topic)
    await database.close()


def test_report_unanswered_groups_similar_questions_with_the_closest_topic(
        tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    asyncio.run(_write_unanswered(path))

    everything = ohjaamo("report", "unanswered", "--since", "2026-11-01",
                         env={"OHJAAMO_DB": str(path)})
    russian = ohjaamo("report", "unanswered", "--since", "2026-11-01", "--lang", "ru",
                      env={"OHJAAMO_DB": str(path)})

    assert everything.returncode == 0, everything.stderr
    out = everything.stdout
    assert ": 6 in 3 group(s)." in out
    first = out[out.index("\n1. "):out.index("\n2. ")]
    assert "3 question(s) · en 3 · “I don't know” 2, “did you mean” 1" in first
    assert "closest topic: tax-card" in first
    assert "the bot offered: tax-card ×1" in first
    assert "• how do i get a tax card for my new job" in first
    assert ": 2 in 1 group(s)." in russian.stdout
    assert "ru 2" in russian.stdout
    assert "Grouped by meaning (sentence encoder " in out


def test_report_unanswered_groups_by_spelling_when_the_semantic_layer_is_off(
        tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    asyncio.run(_write_unanswered(path))

    result = ohjaamo("report", "unanswered", "--since", "2026-11-01",
                     env={"OHJAAMO_DB": str(path), "OHJAAMO_SEMANTIC": "off"})

    assert result.returncode == 0, result.stderr
    assert ": 6 in 3 group(s)." in result.stdout
    assert "Grouped by spelling (character n-grams)." in result.stdout


def test_report_feedback_lists_the_most_thumbed_down_answers_first(tmp_path: Path) -> None:
    async def write() -> None:
        database = Database(tmp_path / "bot.db")
        await database.open()
        for topic, lang, helped in [("tax-card", "so", False)] * 3 + [
                ("tax-card", "so", True), ("bank-account", "en", True),
                ("bank-account", "en", True), ("dental-care", "fi", False)]:
            await database.record_feedback(topic, lang, helped)
        await database.close()

    asyncio.run(write())
    result = ohjaamo("report", "feedback", env={"OHJAAMO_DB": str(tmp_path / "bot.db")})

    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if "👎" in line
             and "(" in line and ":" not in line]
    assert [(w[2], w[3]) for w in lines] == [("tax-card", "(so)"), ("dental-care", "(fi)"),
                                             ("bank-account", "(en)")]
    assert lines[0][:2] == ["3👎", "1👍"]


def set_review_dates(path: Path, entry_id: str, dates: str) -> None:
    """Replace the 'reviewed:' line of one entry with `dates` (one or more YAML lines)."""
    text = path.read_text(encoding="utf-8")
    at = text.index("reviewed: ", text.index(f"- id: {entry_id}\n"))
    end = text.index("\n", at)
    path.write_text(text[:at] + dates + text[end:], encoding="utf-8")


def test_report_content_lists_what_needs_an_editors_attention(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    finnish = load_knowledge_base(root).entry("tax-card", "fi").reviewed
    set_review_dates(root / "ru" / "housing_money.yaml", "tax-card", "reviewed: 2025-12-01")
    everyday = root / "ru" / "everyday.yaml"
    set_review_dates(everyday, "police-services", "reviewed: 2025-01-15")
    set_review_dates(everyday, "legal-aid", "reviewed: 2025-03-01\n    review_by: 2025-04-01")

    result = ohjaamo("report", "content", "--lang", "ru", env={"OHJAAMO_CONTENT": str(root)})

    assert result.returncode == 0, result.stderr
    out = result.stdout
    behind = out[out.index("translation reviewed before"):out.index("answers over")]
    assert "housing_money.yaml" in behind
    assert f": tax-card reviewed 2025-12-01; Finnish reviewed {finnish}" in behind
    past = out[out.index("past their review date"):out.index("translation reviewed")]
    assert "police-services reviewed 2025-01-15, due 2025-07-15" in past  # 6 months later
    assert "legal-aid reviewed 2025-03-01, due 2025-04-01" in past  # its own 'review_by'
    assert out.count("questions and phrasings\n") == 5
