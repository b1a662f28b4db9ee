"""Remove personal data from a message before anything keeps it.

What is replaced, in this order (each by a bracketed word an editor can read):

    [email]      e-mail addresses
    [id-code]    Finnish personal identity codes (henkilötunnus), old and 2023 forms
    [iban]       bank account numbers (IBAN), written together or in groups of four
    [phone]      phone numbers: 7 to 15 digits, with +, 00, spaces, dashes or brackets
    [number]     longer such runs, and any other five or more digits in a row (customer,
                 case or card numbers)
    [name]       the name after "my name is" and its equivalents in our six languages,
                 and the person's own Telegram names when the channel passes them

It errs on the side of removing too much: a year written next to another one may become
[phone]. It cannot know every name: "my husband Ali" keeps "Ali". That is why what it
keeps is also stored apart from who wrote it, and only for a limited time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ID_CODE = re.compile(r"(?<![\w])\d{6}[-+A-FU-Ya-fu-y]\d{3}[0-9A-FHJ-NPR-Ya-fhj-npr-y](?![\w])")
_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[0-9A-Z]{10,30}|(?: [0-9A-Z]{4}){2,7}"
                   r"(?: [0-9A-Z]{1,4})?)(?![\w])")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-()]{5,}\d(?![\w])")
_DIGITS = re.compile(r"\d{5,}")
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15

_NAME_INTRODUCTIONS = (
    # en
    r"my name is", r"my name's", r"i am called", r"i'm called", r"name:",
    # fi
    r"nimeni on", r"minun nimi on", r"minun nimeni on", r"olen nimeltäni", r"nimi:",
    # so
    r"magacaygu waa", r"magacayga waa", r"magacaygu", r"magacaa waa",
    # ar
    r"اسمي", r"أنا اسمي", r"انا اسمي",
    # fa
    r"اسم من", r"اسمم",
    # ru
    r"меня зовут", r"моё имя", r"мое имя", r"моя фамилия",
)
_NAME = re.compile(
    r"(?i)(?<![\w])(" + "|".join(re.escape(p).replace(r"\ ", r"\s+")
                                 for p in sorted(_NAME_INTRODUCTIONS, key=len, reverse=True))
    + r")(\s+)([^\s.,!?;:()\"'«»،؟]+)((?:\s+[^\s.,!?;:()\"'«»،؟]+){0,2})")
_NOT_A_NAME = frozenset({
    "and", "i", "ja", "olen", "waa", "iyo", "و", "است", "هستم", "هست", "и", "я", "а",
    "but", "mutta", "لكن", "ولی", "но",
})
"""Words that end a name, as written in lower case: 'my name is Ali and I ...'."""
_CASELESS_SCRIPTS = re.compile(r"[\u0600-\u06ff]")


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """Return `text` with personal data replaced by bracketed words (see the module doc)."""
    text = _EMAIL.sub("[email]", text)
    text = _ID_CODE.sub("[id-code]", text)
    text = _IBAN.sub(_iban, text)
    text = _PHONE.sub(_phone, text)
    text = _DIGITS.sub("[number]", text)
    text = _NAME.sub(_introduced_name, text)
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len,
                       reverse=True):
        text = re.sub(rf"(?i)(?<![\w]){re.escape(name)}(?![\w])", "[name]", text)
    return text


def _iban(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return "[iban]" if digits >= 8 else match.group(0)


def _phone(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group(0).removeprefix("00"))
    if digits < MIN_PHONE_DIGITS:
        return match.group(0)
    return "[phone]" if digits <= MAX_PHONE_DIGITS else "[number]"


def _introduced_name(match: re.Match[str]) -> str:
    introduction, space, first, rest = match.groups()
    if first in _NOT_A_NAME or first.startswith("["):
        return match.group(0)
    # A name goes on while its words are capitalised (or in a script without capitals).
    # In Arabic script (no capitals) it takes one more word, unless that begins with "and" (و).
    words = re.findall(r"\s+\S+", rest)
    taken = 0
    for word in words:
        bare = word.strip()
        caseless = bool(_CASELESS_SCRIPTS.match(bare))
        if bare in _NOT_A_NAME or (caseless and (taken or bare.startswith("و"))) or \
                not (caseless or bare[:1].isupper()):
            break
        taken += 1
    return f"{introduction}{space}[name]{''.join(words[taken:])}"
