"""Spelling variants people type are folded to the same form before matching."""

from __future__ import annotations

import pytest

from bot.core.normalising import consonant_skeleton, fold, script_of, stems, transliterate


@pytest.mark.parametrize(("typed", "folded"), [
    ("Työttömyysturva ÄÖ", "tyottomyysturva ao"),
    ("Ёлка, ЁЖИК!", "елка ежик"),
    ("أريد إقامة آمنة", "اريد اقامه امنه"),  # hamza forms and ta marbuta
    ("كيف ك ی ي ى", "كيف ك ي ي ي"),  # Arabic and Persian kaf/yeh variants
    ("مـــرحبا", "مرحبا"),  # tatweel
    ("می‌خواهم", "ميخواهم"),  # zero-width non-joiner
    ("می خواهم", "ميخواهم"),  # the same verb typed with a space
    ("مُحَمَّد", "محمد"),  # vowel marks
    ("۱۲۳ ٤٥", "123 45"),  # Persian and Arabic digits
    ("\u202eevil\u202c text", "evil text"),  # direction overrides
    ("", ""),
])
def test_fold_makes_spelling_variants_equal(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(("text", "script"), [
    ("Miten saan verokortin", "latin"), ("Как получить", "cyrillic"),
    ("كيف أحصل", "arabic"), ("چطور بگیرم", "arabic"), ("12345 !!", "other"),
])
def test_script_of_names_the_main_script(text: str, script: str) -> None:
    assert script_of(text) == script


@pytest.mark.parametrize(("a", "b", "lang"), [
    ("verokortin", "verokortti", "fi"), ("работу", "работа", "ru"),
    ("applications", "application", "en"), ("shaqada", "shaqo", "so"),
])
def test_word_forms_share_a_stem(a: str, b: str, lang: str) -> None:
    assert stems(a, lang)[0][:4] == stems(b, lang)[0][:4]


def test_russian_and_persian_in_latin_letters_meet_their_own_script() -> None:
    assert transliterate("налоговая карточка") == "nalogovaya kartochka"
    assert consonant_skeleton(transliterate("کارت مالیاتی")) == consonant_skeleton(
        "kart maliyati")
