"""The six languages the assistant speaks, and facts about their scripts."""

from typing import Final

SUPPORTED: Final = ("fi", "en", "ar", "so", "fa", "ru")
"""Language codes in menu order; `fi` is plain Finnish (selkosuomi)."""

DEFAULT: Final = "fi"

RIGHT_TO_LEFT: Final = frozenset({"ar", "fa"})

BABEL_LOCALES: Final = {
    "fi": "fi_FI", "en": "en_FI", "ar": "ar", "so": "so", "fa": "fa", "ru": "ru",
}
"""Babel locale for each language; `en_FI` gives 24-hour times and Monday-first weeks."""


def is_supported(code: str | None) -> bool:
    """Tell whether `code` is one of the six languages."""
    return code in SUPPORTED


def from_telegram_code(code: str | None) -> str | None:
    """Map a client language tag such as `ru-RU` or `fa-IR` to a supported language."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    if base == "prs":  # Dari
        return "fa"
    return base if base in SUPPORTED else None
