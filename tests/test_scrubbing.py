"""Personal data never reaches the unanswered-questions table: the scrubber removes each kind."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.scrubbing import scrub

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöå ", max_size=40)
"""Surrounding text with no digits, at-signs or capitals: whatever survives is the words'."""
_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


@st.composite
def identity_codes(draw: st.DrawFn) -> str:
    """A Finnish personal identity code with a correct check character, old or 2023 form."""
    day = draw(st.integers(1, 28))
    month = draw(st.integers(1, 12))
    year = draw(st.integers(0, 99))
    number = draw(st.integers(2, 899))
    century = draw(st.sampled_from("+-ABCDEFUVWXY"))
    check = _CHECK[int(f"{day:02}{month:02}{year:02}{number:03}") % 31]
    return f"{day:02}{month:02}{year:02}{century}{number:03}{check}"


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    """Finnish and international numbers as people type them."""
    rest = draw(st.lists(st.integers(0, 9), min_size=6, max_size=9))
    digits = "".join(map(str, rest))
    prefix = draw(st.sampled_from(["+358 40 ", "+35840", "040 ", "040-", "050", "(09) ",
                                   "0035844 ", "+46 70 "]))
    spaced = draw(st.booleans())
    body = " ".join(digits[i:i + 3] for i in range(0, len(digits), 3)) if spaced else digits
    return prefix + body


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True))
    tld = draw(st.sampled_from(["fi", "com", "org", "net"]))
    address = f"{local}@{domain}.{tld}"
    return address.upper() if draw(st.booleans()) else address


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country, length = draw(st.sampled_from([("FI", 14), ("SE", 20), ("DE", 18), ("EE", 16)]))
    digits = "".join(map(str, draw(st.lists(st.integers(0, 9), min_size=length + 2,
                                            max_size=length + 2))))
    compact = f"{country}{digits}"
    if draw(st.booleans()):
        return compact
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


NAMES = st.from_regex(r"[A-Z][a-z]{1,10}", fullmatch=True)


@settings(max_examples=200)
@given(before=WORDS, code=identity_codes(), after=WORDS)
def test_a_personal_identity_code_is_removed(before: str, code: str, after: str) -> None:
    scrubbed = scrub(f"{before} {code} {after}")

    assert code not in scrubbed
    assert "[id-code]" in scrubbed
    assert scrubbed == f"{before} [id-code] {after}"


@settings(max_examples=200)
@given(before=WORDS, number=phone_numbers(), after=WORDS)
def test_a_phone_number_is_removed(before: str, number: str, after: str) -> None:
    scrubbed = scrub(f"{before} {number} {after}")

    assert not re.search(r"\d", scrubbed), scrubbed
    assert "[phone]" in scrubbed


@settings(max_examples=200)
@given(before=WORDS, address=emails(), after=WORDS)
def test_an_email_address_is_removed(before: str, address: str, after: str) -> None:
    scrubbed = scrub(f"{before} {address} {after}")

    assert "@" not in scrubbed
    assert scrubbed == f"{before} [email] {after}"


@settings(max_examples=200)
@given(before=WORDS, account=ibans(), after=WORDS)
def test_a_bank_account_number_is_removed(before: str, account: str, after: str) -> None:
    scrubbed = scrub(f"{before} {account} {after}")

    assert not re.search(r"\d", scrubbed), scrubbed
    assert "[iban]" in scrubbed


@settings(max_examples=200)
@given(before=WORDS, number=st.integers(10_000, 10 ** 14), after=WORDS)
def test_any_long_run_of_digits_is_removed(before: str, number: int, after: str) -> None:
    scrubbed = scrub(f"{before} case {number} {after}")

    assert str(number) not in scrubbed
    assert not re.search(r"\d{5,}", scrubbed)


@settings(max_examples=200)
@given(intro=st.sampled_from(["my name is", "My name is", "nimeni on", "minun nimi on",
                              "magacaygu waa", "меня зовут", "name:"]),
       name=NAMES, surname=NAMES, after=WORDS)
def test_a_name_the_person_gives_is_removed(intro: str, name: str, surname: str,
                                            after: str) -> None:
    scrubbed = scrub(f"hello, {intro} {name} {surname}, {after}")

    assert name not in scrubbed
    assert surname not in scrubbed
    assert f"{intro} [name]" in scrubbed


@settings(max_examples=100)
@given(first=NAMES, question=WORDS)
def test_the_persons_own_telegram_names_are_removed(first: str, question: str) -> None:
    scrubbed = scrub(f"{first.lower()} here. {question} ({first})", names=[first, "x"])

    # As a word: a short name such as "He" may still be part of another word ("here").
    assert not re.search(rf"\b{re.escape(first.lower())}\b",
                         scrubbed.lower().replace("[name]", ""))


@settings(max_examples=200)
@given(text=st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöАБВабвгдاسمنی ?!.,", max_size=80))
def test_text_without_personal_data_is_kept_as_it_is(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("my name is Ahmed Ali and I need a tax card", "my name is [name] and I need a tax card"),
    ("nimeni on Matti Meikäläinen ja tarvitsen apua", "nimeni on [name] ja tarvitsen apua"),
    ("اسمي أحمد وأريد بطاقة ضريبية", "اسمي [name] وأريد بطاقة ضريبية"),
    ("magacaygu waa Cali Axmed, kaarka canshuurta", "magacaygu waa [name], kaarka canshuurta"),
    ("اسم من احمد است و کارت مالیاتی می‌خواهم", "اسم من [name] است و کارت مالیاتی می‌خواهم"),
    ("меня зовут Анна Петрова, нужна налоговая карточка",
     "меня зовут [name], нужна налоговая карточка"),
])
def test_names_are_removed_in_every_language_and_the_question_is_kept(text: str,
                                                                       expected: str) -> None:
    assert scrub(text) == expected


def test_a_real_message_keeps_its_question_and_loses_all_personal_data() -> None:
    text = ("Hei, olen Ahmed, hetu 131052-308T, puh 040 123 4567, ahmed@example.fi, "
            "tili FI21 1234 5600 0007 85, Kela-asia 123456789. Miten saan verokortin?")

    assert scrub(text, names=["Ahmed"]) == (
        "Hei, olen [name], hetu [id-code], puh [phone], [email], tili [iban], Kela-asia "
        "[phone]. Miten saan verokortin?")
