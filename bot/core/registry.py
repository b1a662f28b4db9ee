"""Help numbers: the registry in `content/service.yaml`, and typed numbers that bypass it.

Every phone number the bot gives lives once in the service file, with what it is for, its
languages and hours, the official page it was verified on and the day it was verified.
Answers and UI strings write a placeholder such as `{poison_info}`; `find_typed_numbers`
finds digits that look like a Finnish phone number and should have been one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.profile import OpeningHours

VERIFICATION_MAX_AGE = dt.timedelta(days=90)
"""A number checked longer ago than this is reported (as a warning) until someone re-checks it."""

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
NUMBER_PATTERN = re.compile(r"^\+?\d[\d ]*\d$")


@dataclass(frozen=True)
class HelpNumber:
    """One help line: the number, what it is for, and where and when it was verified."""

    key: str
    number: str
    purpose: str
    languages: tuple[str, ...]
    hours: str
    source: str
    verified: dt.date
    line: int
    phone_open: tuple[OpeningHours, ...] = ()
    chat_open: tuple[OpeningHours, ...] = ()
    confirmed: bool = True
    note: str = ""

    @property
    def digits(self) -> str:
        """Return the number's digits in national form ('+358 9 …' becomes '09…')."""
        return national_digits(self.number)


def national_digits(number: str) -> str:
    """Return the digits of a phone number, with +358 written as a leading 0."""
    digits = re.sub(r"\D", "", number)
    return "0" + digits[3:] if number.strip().startswith("+358") else digits


# --- Typed numbers in text -------------------------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
_PHONE = re.compile(r"""
    (?<![\w+.,/])(?:
        \+358(?:[ -]?\d){6,11}              # international form
      | 0\d{1,3}(?:[ -]?\d{2,4}){1,3}       # 09 2525 0111, 0800 147 111, 0295 000
      | 116[ ]?\d{3}                        # the EU-wide 116 xxx lines
      | 112(?![ ]Suomi)                     # the emergency number (not the app '112 Suomi')
    )(?![\w,.]\d|\w)
""", re.VERBOSE)
MIN_NATIONAL_DIGITS = 6
MAX_NATIONAL_DIGITS = 12


@dataclass(frozen=True)
class TypedNumber:
    """A phone number typed into a text, and on which line of the text it stands (0-based)."""

    text: str
    line_offset: int

    @property
    def digits(self) -> str:
        """Return its digits in national form."""
        return national_digits(self.text)


def find_typed_numbers(text: str) -> list[TypedNumber]:
    """Return every digit group in `text` that looks like a Finnish phone number."""
    blanked = _URL.sub(lambda m: " " * len(m.group()), text)
    found = []
    for match in _PHONE.finditer(blanked):
        digits = national_digits(match.group())
        if digits.startswith("0") and not (
                MIN_NATIONAL_DIGITS <= len(digits) <= MAX_NATIONAL_DIGITS):
            continue
        found.append(TypedNumber(match.group(), text.count("\n", 0, match.start())))
    return found


def key_for(digits: str, numbers: Mapping[str, HelpNumber]) -> str | None:
    """Return the registry key whose number has these digits, if any."""
    for key, record in numbers.items():
        if record.digits == digits:
            return key
    return None


def is_stale(verified: dt.date, today: dt.date) -> bool:
    """Tell whether a verification date is older than VERIFICATION_MAX_AGE."""
    return today - verified > VERIFICATION_MAX_AGE
